"""Checks of option values made before any remote call (_validate.py)."""

from __future__ import annotations

import pytest

from ansible_collections.winvirt.hyperv.plugins.module_utils._validate import path_problem


@pytest.mark.parametrize("value", [
    "D:\\Hyper-V", "D:\\", "D:/VMs/web1", "\\\\fs1\\VM\\web1", "D:\\a\\..\\b",
    "C:\\ProgramData\\Microsoft\\Windows\\Virtual Hard Disks", "D:\\\u540d\\x.vhdx", "D:\\v1.2\\a b.vhdx",
])
def test_windows_paths_pass(value: str) -> None:
    assert path_problem("path", value) is None


@pytest.mark.parametrize("value, words", [
    ("Hyper-V", "absolute path"),
    ("\\\\fs1", "absolute path"),
    ("D:\\a*b", "'*', which Windows does not allow"),
    ("D:\\x?\\y", "'?', which Windows does not allow"),
    ("D:\\a<b>", "'<', which Windows does not allow"),
    ("D:\\a|b", "'|', which Windows does not allow"),
    ('D:\\a"b', "'\"', which Windows does not allow"),
    ("D:\\a:b", "':', which Windows does not allow"),
    ("D:\\a\tb", "'\\t', which Windows does not allow"),
    ("D:\\a\nb", "'\\n', which Windows does not allow"),
    ("\\\\fs1\\VM\\a*", "'*', which Windows does not allow"),
    ("D:\\disks \\a.vhdx", "ending in a space or a period"),
    ("D:\\disks.", "ending in a space or a period"),
])
def test_paths_windows_refuses_or_changes_are_refused(value: str, words: str) -> None:
    problem = path_problem("virtual_hard_disk_path", value)
    assert problem is not None and words in problem and problem.startswith("virtual_hard_disk_path ")
