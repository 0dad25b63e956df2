# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action plugin of winvirt.hyperv.hyperv_switch_info: the collection's one action, in plugins/plugin_utils/_action.py."""

from __future__ import annotations

from ansible_collections.winvirt.hyperv.plugins.plugin_utils._action import ActionModule

__all__ = ["ActionModule"]
