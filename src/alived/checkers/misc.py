"""MISC_CHECK: run the user's script; its exit status says whether the real server is up.

As keepalived's check_misc.c: exit 0 is up, any other exit is down, except that with
`misc_dynamic` an exit of 2..255 is up with weight = status - 2 (and 1 is down). A script still
running after `misc_timeout` (default: the virtual server's delay_loop) is sent SIGTERM to its
process group, then SIGKILL (linux/scripts.py's cancel path), and counts as "timed out"; a
script killed by a signal is down "due to signal N". The script runs in its own process group
with keepalived's sanitised environment, as `user` when one is given, and never blocks the loop.

Before each run the script passes `security_gate` (script_security): the hook where the shared
gate of linux/scripts.py is called; a script it refuses is down without being run.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from alived.checkers.base import ProbeBase, Target
from alived.core.check.result import ProbeResult
from alived.linux.scripts import ScriptCommand, ScriptRunner, script_gate
from alived.units import SECOND, Ticks, to_seconds

DEFAULT_MISC_TIMEOUT = Ticks(60 * SECOND)  # keepalived: the virtual server's delay_loop


@dataclass(frozen=True, slots=True, kw_only=True)
class MiscParams:
    command: ScriptCommand
    misc_timeout: Ticks = DEFAULT_MISC_TIMEOUT
    misc_dynamic: bool = False


def security_gate(command: ScriptCommand) -> str | None:
    """Why `command` must not run, or None: the shared gate of linux/scripts.py (keepalived's
    check_script_secure), so a refused misc_path is down with keepalived's reason, never run."""
    return script_gate(command)


def judge(status: int, *, dynamic: bool) -> ProbeResult:
    """keepalived's reading of a script's wait status (negative: killed by that signal)."""
    if status < 0:
        return ProbeResult(success=False, reason=f"due to signal {-status}")
    if status == 0:
        return ProbeResult(success=True, reason="succeeded")
    if dynamic and 2 <= status <= 255:
        return ProbeResult(success=True, reason="succeeded", dynamic_weight=status - 2)
    return ProbeResult(success=False, reason=f"exited with status {status}")


_RUNNER = ScriptRunner()


class MiscProbe(ProbeBase[MiscParams], keyword="MISC_CHECK"):
    """One run of misc_path."""

    def __init__(self, params: MiscParams, target: Target, runner: ScriptRunner | None = None) -> None:
        super().__init__(params, target)
        self.runner = runner or _RUNNER

    async def _attempt(self) -> ProbeResult:
        refused = security_gate(self.params.command)
        if refused is not None:
            return ProbeResult(success=False, reason=refused)
        try:
            async with asyncio.timeout(to_seconds(self.params.misc_timeout)):
                status = await self.runner.run(self.params.command)
        except TimeoutError:
            return ProbeResult(success=False, reason="timed out")
        if status is None:
            return ProbeResult(success=False, reason="cannot run script")
        return judge(status, dynamic=self.params.misc_dynamic)
