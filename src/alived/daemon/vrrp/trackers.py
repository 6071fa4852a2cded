"""vrrp_script trackers: run each tracked script every `interval`, apply rise/fall, report changes.

The pure decision (how many results in a row flip the status) is core/debounce.py, shared
with the checkers; `ScriptTracker` is the asyncio task around it. As keepalived's, a script
starts undecided: its first result alone sets the status and is logged (`VRRP_Script(chk)
succeeded` at start), then rise/fall apply. A status change is logged in keepalived's words and
handed to a callback, which feeds a script `TrackerChanged` to the instances tracking it; the
weight arithmetic and the FAULT rule for weight 0 live in the core.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from alived.config import model
from alived.core.debounce import Debounce
from alived.daemon.script_command import script_command
from alived.linux.scripts import ScriptRunner
from alived.units import to_seconds

log = logging.getLogger("alived.vrrp")


# A start due within this of the timeout counts as due at the timeout itself (float rounding).
TIE = 0.01
# A run that died this soon after the timeout's SIGTERM is gone before the start due then.
PROMPT_DEATH = 0.25


def next_start(
    tick: float, interval: float, timeout: float, ended: float, *, timed_out: bool = False
) -> tuple[float, list[str]]:
    """The next start after a run due at `tick` ended at `ended`.

    As keepalived's vrrp_script_thread: a run is due every `interval` from the previous due time,
    whatever the run took. A start that falls due while the run is still going is skipped and named
    by what the run was doing then: still running, or being timed out. A start due when the timeout
    struck goes ahead if the script died of its SIGTERM at once (keepalived 2.2.7 with the default
    timeout, which equals the interval, runs such a script back to back). Returns the next due time
    and one word per skipped start.
    """
    # keepalived arms the next start and the run's timeout from the same moment, the start's.
    deadline = tick + timeout
    tick += interval
    skipped = []
    while tick < ended:
        if tick < deadline - TIE:
            skipped.append("already running")
        elif timed_out and ended - deadline <= PROMPT_DEATH:
            break
        else:
            skipped.append("being timed out")
        tick += interval
    return tick, skipped


class ScriptTracker:
    """One vrrp_script, run periodically while the daemon runs."""

    def __init__(
        self,
        script: model.VrrpScript,
        defaults: model.GlobalDefs,
        runner: ScriptRunner,
        on_change: Callable[[str, bool], None],
    ) -> None:
        self.name = script.name
        self.script = script
        self.command = script_command(script.script, defaults)
        self.runner = runner
        self.on_change = on_change
        self.filter = Debounce(
            rise=max(1, script.rise),
            fall=max(1, script.fall),
            up=not script.init_fail,
            undecided=not script.init_fail,
        )
        # The last exit status, as keepalived keeps it: 0 at start, changed only by a run that exited
        # (not one killed by a signal), so a recovery logs `now returning 0` and the first success not.
        self.last_status = 0
        self.untold = True  # no result logged yet
        self.running = False  # a run is under way (the .data dump's `State = running`)
        self._task: asyncio.Task[None] | None = None

    @property
    def decided(self) -> bool:
        return not self.filter.undecided

    def carry(self, old: ScriptTracker) -> None:
        """Take over a reloaded script's result (keepalived's clear_diff_script): a decided one is
        logged `considered successful|unsuccessful on reload` and its next run reports only a flip."""
        if not old.decided:
            return
        self.filter.up, self.filter.undecided = old.filter.up, False
        self.untold = False
        self.last_status = old.last_status
        log.info(
            "VRRP_Script(%s) considered %s on reload",
            self.name,
            "successful" if old.filter.up else "unsuccessful",
        )

    def start(self) -> None:
        if self.command is not None and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop(), name=f"vrrp_script {self.name}")

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _loop(self) -> None:
        assert self.command is not None
        interval = to_seconds(self.script.interval)
        timeout = to_seconds(self.script.timeout) if self.script.timeout else interval
        loop = asyncio.get_running_loop()
        tick = loop.time()
        while True:
            started = loop.time()
            self.running = True
            try:
                status = await self.runner.run(self.command, timeout=timeout)
            finally:
                self.running = False
            ended = loop.time()
            # The runner signals a script only once its timeout has run out; any other signal came
            # from elsewhere.
            timed_out = status is not None and status < 0 and ended - started >= timeout
            self.record(status, timed_out=timed_out)
            tick, skipped = next_start(tick, interval, timeout, ended, timed_out=timed_out)
            for what in skipped:
                log.info("Track script %s is %s, expect idle - skipping run", self.name, what)
            await asyncio.sleep(max(0.0, tick - loop.time()))

    def record(self, status: int | None, *, timed_out: bool = False) -> None:
        """One run's exit status (None: could not run; -N: killed by signal N, `timed_out` when by
        the runner at the timeout) through rise/fall; log and report a flip in keepalived's words."""
        success = status == 0
        if status is not None and status >= 0:
            if status != self.last_status:
                log.info("Script `%s` now returning %d", self.name, status)
            self.last_status = status
        first = self.filter.undecided
        # keepalived names the first result even of an init_fail script it took as failed
        told = flipped = self.filter.feed(success)
        if self.untold:
            self.untold, told = False, True
        if not told:
            return
        if success:
            log.info("VRRP_Script(%s) succeeded", self.name)
        elif status is None:
            log.info("VRRP_Script(%s) timed out or could not run", self.name)
        elif timed_out:
            log.info("VRRP_Script(%s) timed_out", self.name)
        elif status < 0:
            log.info("VRRP_Script(%s) failed (due to signal %d)", self.name, -status)
        else:
            log.info("VRRP_Script(%s) failed (exited with status %d)", self.name, status)
        if flipped or first:
            # The first result also reaches instances that assumed the other way (see translate).
            self.on_change(self.name, success)
