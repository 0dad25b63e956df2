# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Power states of a VM: which cmdlets take it from one state to another (pure, no I/O).

FOR INTERNAL COLLECTION USE ONLY.
"""

from __future__ import annotations

import dataclasses
import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd
from ansible_collections.winvirt.hyperv.plugins.module_utils._vm_state import from_vm

# hyperv_vm's state option -> the VMState it ends in (present: whatever the VM is in).
TARGET_STATE = {"running": "Running", "stopped": "Off", "paused": "Paused", "saved": "Saved", "restarted": "Running"}
# The states a VM rests in; anything else (Starting, Saving, Stopping, ...) is on its way somewhere.
STABLE_STATES = ("Running", "Off", "Paused", "Saved")


@dataclasses.dataclass
class Step:
    description: str
    commands: list[Cmd]


def stable(state: str) -> str | None:
    """The state in Hyper-V's spelling if it is one a VM rests in, else None."""
    return next((s for s in STABLE_STATES if s.lower() == state.lower()), None)


def _stop(selector: t.Callable[[], Cmd], shutdown_method: str) -> Cmd:
    if shutdown_method == "turn_off":
        return from_vm(selector(), "Stop-VM", {"TurnOff": True})
    # -Force: shut the guest down without a prompt. When the guest does not shut down, Stop-VM writes an error and
    # only then turns the VM off (the Hyper-V module's StopVM.ShutDown), so under ErrorAction Stop it stays on: the
    # module turns it off itself (is_guest_shutdown / turn_off_instead) and says so.
    return from_vm(selector(), "Stop-VM", {"Force": True})


def is_guest_shutdown(command: Cmd) -> bool:
    """Whether ``command`` asks the guest to shut down (Stop-VM without -TurnOff or -Save)."""
    last = command.chain()[-1]
    return last.cmdlet == "Stop-VM" and not ({"TurnOff", "Save"} & set(last.parameters))


def turn_off_instead(command: Cmd) -> Cmd:
    """The same VM's Stop-VM -TurnOff: the explicit fallback when the guest did not shut down."""
    head, *piped = command.chain()
    if not piped:
        return Cmd(head.cmdlet, {**{k: v for k, v in head.parameters.items() if k != "Force"}, "TurnOff": True})
    return Cmd(head.cmdlet, dict(head.parameters),
               piped=[*(Cmd(p.cmdlet, dict(p.parameters)) for p in piped[:-1]), Cmd("Stop-VM", {"TurnOff": True})])


def transition(selector: t.Callable[[], Cmd], current: str, target: str, shutdown_method: str = "shutdown") -> list[Step]:
    """The steps from ``current`` to ``target`` (both stable states); empty when they are equal."""
    if current == target:
        return []
    start = Step("start the VM", [from_vm(selector(), "Start-VM")])
    if current == "Off":
        tail = {"Running": [], "Paused": [Step("pause the VM", [from_vm(selector(), "Suspend-VM")])],
                "Saved": [Step("save the VM", [from_vm(selector(), "Save-VM")])]}[target]
        return [start, *tail]
    if target == "Off":
        if current == "Saved":
            return [Step("discard the VM's saved state (the VM is then off)", [from_vm(selector(), "Remove-VMSavedState")])]
        steps = []
        if current == "Paused" and shutdown_method != "turn_off":
            steps.append(Step("resume the VM", [from_vm(selector(), "Resume-VM")]))
        how = "turn off" if shutdown_method == "turn_off" else "shut down"
        return [*steps, Step(f"{how} the VM", [_stop(selector, shutdown_method)])]
    if target == "Running":
        if current == "Paused":
            return [Step("resume the VM", [from_vm(selector(), "Resume-VM")])]
        return [start]  # from Saved
    if target == "Paused":
        if current == "Running":
            return [Step("pause the VM", [from_vm(selector(), "Suspend-VM")])]
        return [start, Step("pause the VM", [from_vm(selector(), "Suspend-VM")])]  # from Saved
    # target Saved, from Running or Paused
    return [Step("save the VM", [from_vm(selector(), "Save-VM")])]


def restart(selector: t.Callable[[], Cmd], shutdown_method: str = "shutdown") -> list[Step]:
    """A running VM's restart: through the guest (shut down, then start) unless ``shutdown_method`` is turn_off,
    which asks for Restart-VM, "a 'hard' restart, like powering the computer down, then back up again"
    (Microsoft Learn, Restart-VM)."""
    if shutdown_method == "turn_off":
        return [Step("reset the VM (hard restart)", [from_vm(selector(), "Restart-VM", {"Force": True})])]
    return [Step("shut down the VM", [_stop(selector, "shutdown")]), Step("start the VM", [from_vm(selector(), "Start-VM")])]
