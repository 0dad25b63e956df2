# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The environment fallback of every option: an empty variable counts as unset.

FOR INTERNAL COLLECTION USE ONLY. AWX / Automation Controller renders each injector of a custom
credential type whether or not its field was filled in, so an unset field arrives as an empty
variable (``HYPERV_AUTH=""``). Ansible's own ``env_fallback`` would hand that empty string to the
option (and fail its choices or its boolean check); this one lets the option's default apply.
"""

from __future__ import annotations

import os
import typing as t

from ansible.module_utils.errors import AnsibleFallbackNotFound


def env_fallback(*names: str, **_kwargs: t.Any) -> str:
    """The value of the first of ``names`` set to something other than blanks."""
    for name in names:
        value = os.environ.get(name, "")
        if value.strip():
            return value
    raise AnsibleFallbackNotFound
