"""Every read the modules send selects only properties its output type really has, and nothing deeper than depth 1.

A property that ``Select-Object`` names but the object lacks comes back as $null on Windows, silently; a property
whose value is a complex object arrives (selected, at depth 1) as that object with its own properties flattened to
strings. The reads are found in the source: every call in plugins/ that passes ``select=`` (a ``Cmd``, or a helper
such as ``from_vm`` that builds one), evaluated in its module's namespace. Each read's output type comes from
``OUTPUT_TYPES`` (the cmdlet's documented output type) and its property set from hvsim's type data
(``hvsim.world.shapes``: Hyper-V's from the module's reflected stubs, the platform's from Microsoft's class docs).
"""

from __future__ import annotations

import ast
import builtins
import importlib
import pathlib
import typing as t

import pytest
from hvsim.world import hyperv_types, platform_types
from hvsim.world.shapes import ENUMS, PROPERTIES, property_names

from ansible_collections.winvirt.hyperv.plugins.module_utils import _vm_state
from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd
from ansible_collections.winvirt.hyperv.plugins.module_utils._vhd import VHD_PROPERTIES

PLUGINS = pathlib.Path(__file__).resolve().parents[2] / "plugins"
PACKAGE = "ansible_collections.winvirt.hyperv.plugins"
HV = "Microsoft.HyperV.PowerShell."
SERVER_MANAGER = "Microsoft.Windows.ServerManager.Commands."

# The output type of each cmdlet a read uses (Microsoft Learn's cmdlet reference, "Outputs"); a callable picks the
# type from the parameters. A read of a cmdlet not listed here fails the test.
OUTPUT_TYPES: dict[str, t.Any] = {
    **{cmdlet: HV + name for cmdlet, name in {
        "Get-VM": "VirtualMachine", "New-VM": "VirtualMachine", "Get-VMSnapshot": "VMSnapshot",
        "Get-VMHardDiskDrive": "HardDiskDrive", "Get-VMDvdDrive": "DvdDrive", "Get-VMSwitch": "VMSwitch",
        "Get-VMNetworkAdapter": "VMNetworkAdapter", "Get-VMNetworkAdapterVlan": "VMNetworkAdapterVlanSetting",
        "Get-VMHost": "VMHost", "Get-VMMigrationNetwork": "VMMigrationNetwork",
        "Get-VMHostSupportedVersion": "VMHostSupportedVersion", "Get-VMReplication": "VMReplication",
        "Get-VMReplicationServer": "VMReplicationServer",
        "Get-VMReplicationAuthorizationEntry": "VMReplicationAuthorizationEntry", "Get-VMFirmware": "VMFirmware",
        "Get-VMBios": "VMBios", "Get-VMMemory": "VMMemory", "Get-VMProcessor": "VMProcessor",
        "Get-VMScsiController": "VMScsiController", "Compare-VM": "VMCompatibilityReport",
        "Measure-VMReplication": "VMReplicationStatistics"}.items()},
    "Get-VHD": "Microsoft.Vhd.PowerShell.VirtualHardDisk", "New-VHD": "Microsoft.Vhd.PowerShell.VirtualHardDisk",
    "Get-CimInstance": lambda parameters: {
        "win32_operatingsystem": platform_types.OS_TYPE, "win32_computersystem": platform_types.CS_TYPE,
        "msvm_migrationjob": platform_types.MIGRATION_JOB_TYPE, "msvm_computersystem": "Msvm_ComputerSystem",
        "msvm_concretejob": "Msvm_ConcreteJob"}[str(parameters["ClassName"]).lower()],
    "Get-CimAssociatedInstance": lambda parameters: {"msvm_concretejob": "Msvm_ConcreteJob"}[
        str(parameters["ResultClassName"]).lower()],
    "Get-Service": platform_types.SERVICE_TYPE, "Get-Volume": platform_types.VOLUME_TYPE,
    "Get-NetAdapter": platform_types.NET_ADAPTER_TYPE, "Get-NetIPAddress": platform_types.IP_ADDRESS_TYPE,
    "Get-ChildItem": lambda parameters: platform_types.FILE_TYPE if parameters.get("File") else None,
    "New-Item": lambda parameters: platform_types.DIRECTORY_TYPE if parameters.get("ItemType") == "Directory" else None,
    "Get-Item": lambda parameters: {"wsman:": platform_types.WSMAN_LEAF_TYPE, "hklm:": platform_types.REGISTRY_KEY_TYPE,
                                    "hkcu:": platform_types.REGISTRY_KEY_TYPE}.get(
        str(parameters.get("Path", "")).split("\\", 1)[0].lower()),
    "Get-SmbShare": platform_types.SMB_SHARE_TYPE, "Get-SmbShareAccess": platform_types.SMB_ACE_TYPE,
    "Get-NetFirewallRule": platform_types.FIREWALL_RULE_TYPE, "New-NetFirewallRule": platform_types.FIREWALL_RULE_TYPE,
    "Get-NetFirewallPortFilter": platform_types.PORT_FILTER_TYPE,
    "Get-WindowsFeature": SERVER_MANAGER + "Feature",
    "Install-WindowsFeature": SERVER_MANAGER + "FeatureOperationResult",
    "Uninstall-WindowsFeature": SERVER_MANAGER + "FeatureOperationResult",
    # without -FeatureName a BasicFeatureObject (tests/hvsim/DESIGN.md)
    "Get-WindowsOptionalFeature": lambda parameters: platform_types.DISM_ADVANCED_FEATURE_TYPE if parameters.get(
        "FeatureName") else platform_types.DISM_BASIC_FEATURE_TYPE,
    "Enable-WindowsOptionalFeature": platform_types.DISM_IMAGE_TYPE,
    "Disable-WindowsOptionalFeature": platform_types.DISM_IMAGE_TYPE,
    "Get-Module": platform_types.MODULE_INFO_TYPE,
    "Get-ADDomain": "Microsoft.ActiveDirectory.Management.ADDomain",
    "Get-ADComputer": "Microsoft.ActiveDirectory.Management.ADComputer",
    "Get-ADGroup": "Microsoft.ActiveDirectory.Management.ADGroup",
    "Get-ADObject": "Microsoft.ActiveDirectory.Management.ADObject",
}
# Output types whose full property set hvsim does not hold (yet), each with the reason; a read of one of these is
# reported by name here, so the list cannot grow unnoticed.
UNCHECKED = {
    HV + "VMReplicationStatistics": "no source found for Measure-VMReplication's type (tests/hvsim/DESIGN.md)",
    "Msvm_ConcreteJob": "hvsim's own list (hyperv_jobs.py); the class doc is not yet transcribed",
    SERVER_MANAGER + "Feature": "no source found for the .NET type's property list (tests/hvsim/DESIGN.md)",
    SERVER_MANAGER + "FeatureOperationResult": "no source found for the .NET type's property list",
}
# Calls with select= whose cmdlet is a variable: covered by the reads they are made from (see test below)
INDIRECT = {("_vm_state.py", "from_vm"), ("_vm_state.py", "read_vm_commands"),
            ("_session_wire.py", "command_from_data"), ("hyperv_vm_info.py", "vm_disk_files")}
# Element types a flat value may have: primitives, enums (sent as their name at depth 0), collections of these
_PRIMITIVES = {"System.String", "System.Boolean", "System.Guid", "System.DateTime", "System.TimeSpan",
               "System.Version", "System.Char", "System.Byte", "System.Int16", "System.UInt16", "System.Int32",
               "System.UInt32", "System.Int64", "System.UInt64", "System.Double", "System.Object"}


class _Unknown(str):
    """Stands for a runtime value (an option, a spec) while a read's arguments are evaluated."""

    def __new__(cls) -> _Unknown:
        return super().__new__(cls, "x")

    def __getattr__(self, name: str) -> _Unknown:
        return self

    def __call__(self, *args: t.Any, **kwargs: t.Any) -> _Unknown:
        return self

    def __getitem__(self, key: t.Any) -> _Unknown:  # type: ignore[override]
        return self

    def __iter__(self) -> t.Iterator[t.Any]:
        return iter(())


class _Names(dict):  # type: ignore[type-arg]
    def __init__(self, namespace: dict[str, t.Any]) -> None:
        super().__init__()
        self.namespace = namespace

    def __missing__(self, key: str) -> t.Any:
        if key in self.namespace:
            return self.namespace[key]
        return getattr(builtins, key, _Unknown())


class Read(t.NamedTuple):
    where: str
    function: str
    command: Cmd


def _evaluate(node: ast.expr, namespace: dict[str, t.Any]) -> t.Any:
    code = compile(ast.Expression(node), "<read>", "eval")
    return eval(code, dict(namespace), _Names(namespace))  # noqa: S307  pylint: disable=eval-used


def _function_of(tree: ast.Module, call: ast.Call) -> str:
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.lineno <= call.lineno <= (
                node.end_lineno or node.lineno):
            return node.name
    return "<module>"


def _command(call: ast.Call, namespace: dict[str, t.Any]) -> Cmd | None:
    """The Cmd a ``Cmd(...)`` or ``from_vm(selector, ...)`` call builds, or None when its cmdlet is a variable."""
    name = call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", "")
    first = 1 if name == "from_vm" else 0
    if len(call.args) <= first or not isinstance(call.args[first], ast.Constant):
        return None
    keywords = {keyword.arg: _evaluate(keyword.value, namespace) for keyword in call.keywords if keyword.arg}
    try:  # a selector built at run time (dict(selector)) leaves the parameters unknown
        parameters = _evaluate(call.args[first + 1], namespace) if len(call.args) > first + 1 else {}
    except (TypeError, ValueError, KeyError):
        parameters = {}
    if not isinstance(parameters, dict) and len(call.args) > first + 1 and isinstance(call.args[first + 1], ast.Call):
        # parameters built by a helper (self._search(LDAPFilter=..., Properties=[...])): its keyword arguments
        parameters = {keyword.arg: _evaluate(keyword.value, namespace)
                      for keyword in call.args[first + 1].keywords if keyword.arg}
    select = keywords.get("select")
    return Cmd(call.args[first].value, dict(parameters) if isinstance(parameters, dict) else {},
               select=list(select) if isinstance(select, list) else None,
               piped=list(keywords.get("piped") or []) if name == "Cmd" else [])


def module_reads() -> tuple[list[Read], list[tuple[str, str]]]:
    """Every read in plugins/ (a call passing select=), and the (file, function) of those with a variable cmdlet."""
    reads, indirect = [], []
    for path in sorted([*PLUGINS.glob("module_utils/*.py"), *PLUGINS.glob("modules/*.py"),
                        *PLUGINS.glob("plugin_utils/*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        namespace = vars(importlib.import_module(f"{PACKAGE}.{path.parent.name}.{path.stem}"))
        for call in (node for node in ast.walk(tree) if isinstance(node, ast.Call)):
            if not any(keyword.arg == "select" for keyword in call.keywords):
                continue
            command = _command(call, namespace)
            if command is None:
                indirect.append((path.name, _function_of(tree, call)))
            else:
                reads.append(Read(f"{path.parent.name}/{path.name}:{call.lineno}", _function_of(tree, call), command))
    return reads, indirect


def _element(dotnet_type: str) -> str:
    """The element type of a collection type (``X[]``, ``List<X>``, ``IList<X>``), else the type itself."""
    if dotnet_type.endswith("[]"):
        return dotnet_type[:-2]
    if "<" in dotnet_type and dotnet_type.endswith(">"):
        return dotnet_type[dotnet_type.index("<") + 1:-1]
    return dotnet_type


def declared_type(type_name: str, name: str) -> str | None:
    """The declared .NET type of a property (aliases: their target's); None for a script property."""
    aliases = {**hyperv_types.ALIASES, **platform_types.ALIASES}.get(type_name, {})
    name = aliases.get(name, name) or ""
    return next((dotnet for prop, dotnet in PROPERTIES.get(type_name, ()) if prop.lower() == name.lower()), None)


def output_type(command: Cmd) -> str | None:
    """The type of the objects ``command``'s chain writes (before its own Select-Object)."""
    current = None
    for link in command.chain():
        if link.cmdlet == "Select-Object":
            expand = link.parameters.get("ExpandProperty")
            if expand:
                declared = declared_type(current or "", expand)
                current = _element(declared) if declared else None
            continue
        kind = OUTPUT_TYPES[link.cmdlet]
        current = kind(link.parameters) if callable(kind) else kind
    return current


def _properties_of(kind: str, command: Cmd) -> t.Iterable[str]:
    """The properties an object of ``kind`` written by ``command`` carries: an AD object's default set plus the
    attributes its -Properties names (platform_types.AD_DEFAULTS), else the type's property set."""
    if kind in platform_types.AD_DEFAULTS:
        wanted = next((link.parameters.get("Properties") for link in command.chain()
                       if link.cmdlet.startswith("Get-AD")), None)
        return [*platform_types.AD_DEFAULTS[kind], *(wanted or [])]
    return property_names(kind)


def is_flat(dotnet_type: str | None) -> bool:
    """Whether a value of this type arrives whole at depth 1: a primitive, an enum, a collection of these (a script
    property, None, is computed text)."""
    if dotnet_type is None:
        return True
    base = _element(dotnet_type.removeprefix("System.Nullable<").removesuffix(">") if dotnet_type.startswith(
        "System.Nullable<") else dotnet_type)
    return base in _PRIMITIVES or base in ENUMS or base.startswith("System.ServiceProcess.Service") \
        and base != "System.ServiceProcess.ServiceController" or base == "System.IO.FileAttributes"


# Complex properties a read selects on purpose, and what of them the module reads (each must be flat on its type)
# (_vm_state.parent_adapter_id reads the adapter's Id, or parses it from the ToString of an unselected row)
COMPLEX_SELECTED = {
    (HV + "VMNetworkAdapterVlanSetting", "ParentAdapter"): (HV + "VMNetworkAdapter", ["Id"]),
}

READS, INDIRECT_FOUND = module_reads()


def test_reads_are_found() -> None:
    """The scan sees the reads (a scan that finds nothing would pass everything)."""
    cmdlets = {read.command.cmdlet for read in READS}
    assert len(READS) > 60
    assert {"Get-VM", "Get-CimInstance", "Get-NetAdapter", "Get-Volume", "Get-Service", "Compare-VM"} <= cmdlets
    assert set(INDIRECT_FOUND) == INDIRECT


def test_every_read_cmdlet_has_a_known_output_type() -> None:
    unknown = {read.command.cmdlet for read in READS for link in read.command.chain()
               if link.cmdlet != "Select-Object" and link.cmdlet not in OUTPUT_TYPES}
    assert not unknown, f"add the output type of {sorted(unknown)} to OUTPUT_TYPES"


@pytest.mark.parametrize("read", READS, ids=lambda read: f"{read.where}:{read.command.cmdlet}")
def test_read_selects_only_real_properties(read: Read) -> None:
    kind = output_type(read.command)
    assert kind is not None, f"{read.where}: no output type for {read.command.describe()}"
    if kind in UNCHECKED:
        pytest.skip(f"{kind}: {UNCHECKED[kind]}")
    known = {name.lower() for name in _properties_of(kind, read.command)}  # PowerShell matches names case-insensitively
    missing = [name for name in read.command.select or [] if name.lower() not in known]
    assert not missing, (f"{read.where} ({read.function}) selects {missing} from {kind}, which has no such property: "
                         "Windows would send $null")


@pytest.mark.parametrize("read", READS, ids=lambda read: f"{read.where}:{read.command.cmdlet}")
def test_read_relies_on_depth_one_only(read: Read) -> None:
    kind = output_type(read.command)
    if kind is None or kind in UNCHECKED or kind in platform_types.AD_DEFAULTS:
        pytest.skip("no property set with declared types")
    for name in read.command.select or []:
        dotnet = declared_type(kind, name)
        if is_flat(dotnet):
            continue
        assert (kind, name) in COMPLEX_SELECTED, (
            f"{read.where} selects {kind}.{name} ({dotnet}): at depth 1 it arrives as an object whose own properties "
            "are strings; expand it on the host or list it in COMPLEX_SELECTED with what the module reads of it")
        inner, used = COMPLEX_SELECTED[(kind, name)]
        assert all(is_flat(declared_type(inner, field)) for field in used)


def test_vm_parts_select_real_properties() -> None:
    """The reads built with a variable cmdlet: read_vm_commands' Get-VM and its PARTS."""
    vm = HV + "VirtualMachine"
    assert set(_vm_state.VM_PROPERTIES) <= property_names(vm)
    for cmdlet, select in _vm_state.PARTS:
        kind = OUTPUT_TYPES[cmdlet]
        assert set(select) <= property_names(kind), f"{cmdlet} selects {set(select) - property_names(kind)}"
        assert all(is_flat(declared_type(kind, name)) or (kind, name) in COMPLEX_SELECTED for name in select), cmdlet
    # hyperv_vm_info.vm_disk_files: <selector> | Select-Object VMId | Get-VHD
    assert set(VHD_PROPERTIES) <= property_names("Microsoft.Vhd.PowerShell.VirtualHardDisk")


# Reads without select=, each with why its output needs no property set: Test-Path writes a Boolean, Get-ItemProperty a
# PSCustomObject of the key's values (note properties, flat); the others are selectors, the start of a chain whose
# last command selects (from_vm, read_vm_commands, .pipe(...)) or whose output the module does not read.
UNSELECTED = {
    ("_connector_host.py", "Test-Path"), ("_features.py", "Test-Path"), ("_replica_server.py", "Test-Path"),
    ("_smb_share.py", "Test-Path"), ("_vhd.py", "Test-Path"), ("_vm_plan.py", "Test-Path"),
    ("_management_client.py", "Get-ItemProperty"),
    ("_vm_state.py", "Get-VM"), ("hyperv_vm_info.py", "Get-VM"), ("_vm_inventory.py", "Get-VM"),
    ("_migration.py", "Get-VM"),  # read_vm_commands(Cmd("Get-VM"))
    ("_checkpoint.py", "Get-VMSnapshot"),  # _by_id: piped into Remove-/Restore-VMSnapshot
    ("_replica_plan.py", "Get-VMSnapshot"),  # piped into Start-VMFailover
}
_READ_VERBS = ("Get", "Test", "Measure", "Compare")


def unselected_reads() -> set[tuple[str, str]]:
    """(file, cmdlet) of each Cmd("Get-..."/"Test-..."/...) without select= that is not itself a link of a chain."""
    found = set()
    for path in sorted(PLUGINS.glob("*/*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        links = {id(sub) for node in ast.walk(tree) if isinstance(node, ast.Call)
                 for part in [*(k.value for k in node.keywords if k.arg == "piped"),
                              *(node.args if getattr(node.func, "attr", "") == "pipe" else [])]
                 for sub in ast.walk(part)}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Cmd" and node.args
                    and isinstance(node.args[0], ast.Constant) and id(node) not in links
                    and str(node.args[0].value).split("-", 1)[0] in _READ_VERBS
                    and not any(keyword.arg == "select" for keyword in node.keywords)):
                found.add((path.name, str(node.args[0].value)))
    return found


def test_reads_without_select_are_known() -> None:
    """A new read without select= must say why it needs no property set (else: select what the module reads)."""
    assert unselected_reads() == UNSELECTED


def test_a_misspelt_property_would_be_caught() -> None:
    """The check fails on a property the type lacks (what Windows would answer with $null)."""
    read = Read("test", "test", Cmd("Get-NetAdapter", {}, select=["Name", "IfIndexx"]))
    with pytest.raises(AssertionError, match="IfIndexx"):
        test_read_selects_only_real_properties(read)
    ad_read = Read("test", "test",
                   Cmd("Get-ADComputer", {"LDAPFilter": "(cn=x)"}, select=["Name", "servicePrincipalName"]))
    with pytest.raises(AssertionError, match="servicePrincipalName"):  # an attribute -Properties does not name
        test_read_selects_only_real_properties(ad_read)
    nested = Read("test", "test", Cmd("Get-VM", {}, select=["Name", "HardDrives"]))
    with pytest.raises(AssertionError, match="HardDrives"):
        test_read_relies_on_depth_one_only(nested)
