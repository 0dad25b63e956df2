# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shapes a VM plan is made of: what was observed on the host and one planned change.

FOR INTERNAL COLLECTION USE ONLY.
"""

from __future__ import annotations

import dataclasses
import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd
from ansible_collections.winvirt.hyperv.plugins.module_utils._vhd import VhdFile, normalize_path
from ansible_collections.winvirt.hyperv.plugins.module_utils._vm_state import VmView


@dataclasses.dataclass
class Change:
    """One thing the plan does, in words and as cmdlets.

    ``needs_off``: Hyper-V makes this change only while the VM is off (judged for a VM that is not off).
    """

    description: str
    commands: list[Cmd]
    needs_off: bool = False


@dataclasses.dataclass
class Observed:
    """What the read batch found."""

    vms: list[VmView]  # the VMs of exactly that name (more than one is an error)
    switches: list[str]
    vhds: dict[str, VhdFile]  # by normalized path
    iso_exists: bool | None = None

    def vhd(self, path: str | None) -> VhdFile | None:
        return self.vhds.get(normalize_path(path)) if path else None

    def switch(self, name: str) -> str | None:
        """The host's spelling of switch ``name`` (switch names are matched without regard to case)."""
        return next((s for s in self.switches if s.lower() == name.lower()), None)


Selector = t.Callable[[], Cmd]
