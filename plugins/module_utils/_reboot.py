# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Restart a host and wait until it answers again.

FOR INTERNAL COLLECTION USE ONLY.

The host counts as back when it answers and either reports a new boot time or was seen
unreachable since the restart was sent (a host that never went away has not restarted yet).
"""

from __future__ import annotations

import dataclasses
import time

from ansible_collections.winvirt.hyperv.plugins.module_utils._client import HostClient
from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd
from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import HyperVError
from ansible_collections.winvirt.hyperv.plugins.module_utils._host_facts import boot_time_command

_POLL_SECONDS = 2.0


@dataclasses.dataclass
class RebootOutcome:
    seconds: float
    last_boot: str | None


def restart_and_wait(client: HostClient, previous_boot: str | None, timeout: int) -> RebootOutcome:
    started = time.monotonic()
    try:
        client.run([Cmd("Restart-Computer", {"Force": True})])
    except HyperVError as err:
        if err.category not in ("WinRM unreachable", "WinRM transport", "WinRM fault"):
            raise  # refused, not just the connection dropping as the host goes down
    client.close()
    went_away = False
    last_error: HyperVError | None = None
    options = client.options
    while time.monotonic() - started < timeout:
        time.sleep(_POLL_SECONDS)
        probe = HostClient(dataclasses.replace(options, connection_timeout=min(options.connection_timeout, 10)))
        try:
            rows = probe.run([boot_time_command()])
        except HyperVError as err:
            went_away = True
            last_error = err
            continue
        finally:
            probe.close()
        boot = str(rows[0][0].get("LastBootUpTime")) if rows[0] else None
        if went_away or (boot is not None and boot != previous_boot):
            return RebootOutcome(time.monotonic() - started, boot)
    detail = f" (last error: {last_error.message})" if last_error else " (it kept answering with the same boot time)"
    raise HyperVError(options.hostname, f"the host did not come back from its restart within {timeout} s{detail}",
                      command="Restart-Computer -Force", category="reboot timeout",
                      hint="Check the host's console; raise reboot_timeout for slow hosts.")
