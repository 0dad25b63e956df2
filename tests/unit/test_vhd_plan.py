"""hyperv_vhd planning and the shared VHD helpers, without a host."""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.winvirt.hyperv.plugins.module_utils._vhd import (
    VhdFile,
    chain,
    index_vhds,
    missing_parents,
    parse_size,
    read_chains,
)
from ansible_collections.winvirt.hyperv.plugins.module_utils._vhd_plan import VhdSpec, plan_vhd, spec_problems

GB = 1024**3


def disk(path: str, vhd_type: str = "dynamic", size: int = 10 * GB, parent: str | None = None,
         minimum: int | None = None) -> VhdFile:
    fmt = "vhdx" if path.lower().endswith("x") else "vhd"
    return VhdFile(path, fmt, vhd_type, size, 4 * 1024**2, minimum, parent, False)


def known(*disks: VhdFile) -> dict[str, VhdFile]:
    return index_vhds([{"Path": d.path, "VhdFormat": d.vhd_format.upper(), "VhdType": d.vhd_type.capitalize(),
                        "Size": d.size, "FileSize": d.file_size, "MinimumSize": d.minimum_size,
                        "ParentPath": d.parent_path, "Attached": False} for d in disks])


@pytest.mark.parametrize("text, size", [("40GB", 40 * GB), ("512 MB", 512 * 1024**2), ("1tb", 1024 * GB), (4096, 4096)])
def test_parse_size(text: t.Any, size: int) -> None:
    assert parse_size(text, "size") == size


@pytest.mark.parametrize("text", ["-1", "0", "lots", True])
def test_parse_size_refuses(text: t.Any) -> None:
    with pytest.raises(ValueError):
        parse_size(text, "size")


def test_spec_problems() -> None:
    assert spec_problems(VhdSpec("C:\\a.img", size=GB))
    assert "multiple of 512" in spec_problems(VhdSpec("C:\\a.vhdx", size=1000))[0]
    assert "more than a VHD can hold" in spec_problems(VhdSpec("C:\\a.vhd", size=3000 * GB))[0]
    assert "format of its parent" in spec_problems(VhdSpec("C:\\a.vhdx", parent_path="C:\\p.vhd"))[0]
    assert "must differ" in spec_problems(VhdSpec("C:\\a.vhdx", convert_from="c:/A.vhdx"))[0]
    assert spec_problems(VhdSpec("C:\\a.vhdx", size=GB)) == []


def test_create_dynamic_fixed_and_differencing() -> None:
    plan = plan_vhd(VhdSpec("C:\\a.vhdx", size=GB), {})
    assert plan.changes == ["create dynamic disk 'C:\\a.vhdx' of 1 GB"]
    assert plan.commands[0].parameters == {"Path": "C:\\a.vhdx", "SizeBytes": GB, "Dynamic": True}
    fixed = plan_vhd(VhdSpec("C:\\a.vhdx", vhd_type="fixed", size=GB), {})
    assert fixed.commands[0].parameters["Fixed"] is True
    child = plan_vhd(VhdSpec("C:\\c.vhdx", parent_path="C:\\p.vhdx"), known(disk("C:\\p.vhdx")))
    assert child.commands[0].parameters == {"Path": "C:\\c.vhdx", "Differencing": True, "ParentPath": "C:\\p.vhdx"}
    assert child.after is not None and child.after["type"] == "differencing" and child.after["size"] == 10 * GB


def test_create_needs_size_or_existing_parent() -> None:
    assert "give size" in plan_vhd(VhdSpec("C:\\a.vhdx"), {}).errors[0]
    assert "does not exist" in plan_vhd(VhdSpec("C:\\c.vhdx", parent_path="C:\\p.vhdx"), {}).errors[0]


def test_existing_disk_of_that_size_is_unchanged() -> None:
    plan = plan_vhd(VhdSpec("c:\\A.VHDX", size=10 * GB), known(disk("C:\\a.vhdx")))
    assert plan.commands == [] and plan.errors == []


def test_grow_and_guarded_shrink() -> None:
    grow = plan_vhd(VhdSpec("C:\\a.vhdx", size=20 * GB), known(disk("C:\\a.vhdx")))
    assert grow.commands[0].cmdlet == "Resize-VHD" and grow.commands[0].parameters["SizeBytes"] == 20 * GB
    assert "allow_shrink" in plan_vhd(VhdSpec("C:\\a.vhdx", size=5 * GB), known(disk("C:\\a.vhdx"))).errors[0]
    too_far = plan_vhd(VhdSpec("C:\\a.vhdx", size=5 * GB, allow_shrink=True), known(disk("C:\\a.vhdx", minimum=8 * GB)))
    assert "cannot shrink below 8 GB" in too_far.errors[0]
    vhd = plan_vhd(VhdSpec("C:\\a.vhd", size=5 * GB, allow_shrink=True), known(disk("C:\\a.vhd")))
    assert "only VHDX" in vhd.errors[0]
    ok = plan_vhd(VhdSpec("C:\\a.vhdx", size=8 * GB, allow_shrink=True), known(disk("C:\\a.vhdx", minimum=8 * GB)))
    assert ok.errors == [] and ok.changes == ["shrink 'C:\\a.vhdx' from 10 GB to 8 GB"]


def test_type_does_not_change_in_place() -> None:
    plan = plan_vhd(VhdSpec("C:\\a.vhdx", vhd_type="fixed"), known(disk("C:\\a.vhdx")))
    assert plan.commands == [] and "convert_from" in plan.errors[0]


def test_convert_writes_a_new_file_once() -> None:
    source = disk("C:\\old.vhd", vhd_type="fixed")
    plan = plan_vhd(VhdSpec("C:\\new.vhdx", vhd_type="dynamic", convert_from="C:\\old.vhd", remove_source=True), known(source))
    assert plan.commands[0].cmdlet == "Convert-VHD"
    assert plan.commands[0].parameters == {"Path": "C:\\old.vhd", "DestinationPath": "C:\\new.vhdx", "VHDType": "Dynamic",
                                           "DeleteSource": True}
    assert plan.after is not None and plan.after["format"] == "vhdx"
    done = plan_vhd(VhdSpec("C:\\new.vhdx", convert_from="C:\\old.vhd"), known(disk("C:\\new.vhdx")))
    assert done.commands == [] and done.errors == []
    assert "neither" in plan_vhd(VhdSpec("C:\\new.vhdx", convert_from="C:\\old.vhd"), {}).errors[0]


def test_relink_differencing_parent() -> None:
    child = disk("C:\\c.vhdx", vhd_type="differencing", parent="C:\\old\\p.vhdx")
    plan = plan_vhd(VhdSpec("C:\\c.vhdx", parent_path="D:\\p.vhdx"), known(child, disk("D:\\p.vhdx")))
    assert plan.commands[0].cmdlet == "Set-VHD"
    assert plan.commands[0].parameters == {"Path": "C:\\c.vhdx", "ParentPath": "D:\\p.vhdx"}


def test_absent_needs_confirmation_and_a_detached_disk() -> None:
    here = known(disk("C:\\a.vhdx"))
    assert "delete_file" in plan_vhd(VhdSpec("C:\\a.vhdx", state="absent"), here).errors[0]
    attached = [{"VMName": "web1", "Path": "c:\\A.vhdx"}]
    assert "attached to VM web1" in plan_vhd(VhdSpec("C:\\a.vhdx", state="absent", delete_file=True), here, attached).errors[0]
    delete = plan_vhd(VhdSpec("C:\\a.vhdx", state="absent", delete_file=True), here, [])
    assert delete.commands[0].cmdlet == "Remove-Item" and delete.commands[0].parameters == {"LiteralPath": "C:\\a.vhdx"}
    assert plan_vhd(VhdSpec("C:\\a.vhdx", state="absent", delete_file=True), {}).commands == []


def test_chain_walks_parents_and_marks_a_missing_one() -> None:
    disks = known(disk("C:\\c.vhdx", "differencing", parent="C:\\b.vhdx"),
                  disk("C:\\b.vhdx", "differencing", parent="C:\\a.vhdx"))
    links = chain("C:\\c.vhdx", disks)
    assert [link["path"] for link in links] == ["C:\\c.vhdx", "C:\\b.vhdx", "C:\\a.vhdx"]
    assert [link["missing"] for link in links] == [False, False, True]
    assert missing_parents(disks) == ["C:\\a.vhdx"]


def test_read_chains_asks_one_level_per_round_trip_and_never_twice() -> None:
    files = {"c:\\b.vhdx": {"Path": "C:\\b.vhdx", "VhdType": "Differencing", "Size": 1, "ParentPath": "C:\\a.vhdx"},
             "c:\\a.vhdx": {"Path": "C:\\a.vhdx", "VhdType": "Dynamic", "Size": 1}}
    asked: list[list[str]] = []

    def run(commands: list[t.Any], retry: bool = False) -> list[list[t.Any]]:
        paths = commands[0].parameters["Path"]
        asked.append(paths)
        return [[files[p.lower()] for p in paths if p.lower() in files]]

    found = known(disk("C:\\c.vhdx", "differencing", parent="C:\\b.vhdx"), disk("C:\\x.vhdx", "differencing", parent="C:\\gone.vhdx"))
    read_chains(run, found)
    assert asked == [["C:\\b.vhdx", "C:\\gone.vhdx"], ["C:\\a.vhdx"]]
    assert [link["path"] for link in chain("C:\\c.vhdx", found)] == ["C:\\c.vhdx", "C:\\b.vhdx", "C:\\a.vhdx"]
