"""The checker core's figures for status and metrics: attempts, failures, verdict flips, the last
attempt's duration, and each real server's up/down transitions (kept across a reload)."""

from __future__ import annotations

from alived.core.check.actions import RunProbe
from alived.core.check.engine import CheckerCore
from alived.units import SECOND, Ticks
from tests.unit.check.harness import FAIL, OK, checker, real, virtual


def _start(core: CheckerCore) -> None:
    core.start(Ticks(0), lambda bound: Ticks(0))
    core.pop_actions()


def _attempt(core: CheckerCore, now: int, took: int, success: bool) -> None:
    """Start the due probe at `now` and give its result `took` later."""
    core.timer(Ticks(now))
    (probe,) = [a for a in core.pop_actions() if isinstance(a, RunProbe)]
    core.result(probe.key, OK if success else FAIL, Ticks(now + took))
    core.pop_actions()


def test_attempts_failures_transitions_and_duration() -> None:
    vs = virtual(real("192.0.2.21", checker("192.0.2.21", retry=0, delay_loop=1)))
    core = CheckerCore([vs])
    _start(core)
    rs = core.report()[0].real_servers[0]
    assert (rs.checks[0].attempts, rs.checks[0].duration, rs.ups, rs.downs) == (0, None, 0, 0)
    now = 0
    for took, success in ((SECOND // 4, True), (SECOND // 2, False), (SECOND // 8, False), (SECOND, True)):
        deadline = core.next_deadline()
        assert deadline is not None
        now = max(now, deadline)
        _attempt(core, now, took, success)
        now += took
    rs = core.report()[0].real_servers[0]
    check = rs.checks[0]
    assert check.attempts == 4
    assert check.failures == 2
    assert check.transitions == 2  # down once, up again: the second failure changed nothing
    assert check.duration == SECOND
    assert (rs.ups, rs.downs) == (1, 1)
    assert (rs.address, rs.port) == ("192.0.2.21", 80)

    # A reload that keeps the real server and its checker keeps the figures.
    core.reload([vs], Ticks(now), lambda bound: Ticks(0))
    rs = core.report()[0].real_servers[0]
    assert (rs.checks[0].attempts, rs.checks[0].transitions, rs.ups, rs.downs) == (4, 2, 1, 1)
