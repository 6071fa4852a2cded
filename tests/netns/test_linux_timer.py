"""DeadlineTimer over a real asyncio loop: one call_at, re-armed only when the deadline changes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from alived.linux.clock import now, to_loop_time
from alived.linux.timer import DeadlineTimer
from alived.units import MILLISECOND, Ticks


def test_clock_shares_the_loop_time_base() -> None:
    async def main() -> tuple[float, float, float]:
        loop = asyncio.get_running_loop()
        before = loop.time()
        ours = to_loop_time(now())
        return before, ours, loop.time()

    before, ours, after = asyncio.run(main())
    assert before - 1e-6 <= ours <= after  # now() truncates to the microsecond


def test_fires_in_deadline_order_and_cancel_prevents_firing() -> None:
    fired: list[str] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        done = asyncio.Event()
        late = DeadlineTimer(loop, lambda: fired.append("late") or done.set())  # type: ignore[func-returns-value]
        early = DeadlineTimer(loop, lambda: fired.append("early"))
        cancelled = DeadlineTimer(loop, lambda: fired.append("cancelled"))
        start = now()
        late.arm(Ticks(start + 30 * MILLISECOND))
        early.arm(Ticks(start + 10 * MILLISECOND))
        cancelled.arm(Ticks(start + 5 * MILLISECOND))
        cancelled.cancel()
        cancelled.cancel()
        assert cancelled.deadline is None
        await asyncio.wait_for(done.wait(), timeout=30)
        assert late.deadline is None

    asyncio.run(main())
    assert fired == ["early", "late"]


def test_rearm_moves_the_deadline_and_past_deadline_fires_soon() -> None:
    fired: list[str] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        done = asyncio.Event()
        timer = DeadlineTimer(loop, lambda: fired.append("moved") or done.set())  # type: ignore[func-returns-value]
        marker = DeadlineTimer(loop, lambda: fired.append("marker"))
        start = now()
        timer.arm(Ticks(start + 3_600_000 * MILLISECOND))  # an hour away...
        marker.arm(Ticks(start + 20 * MILLISECOND))
        timer.arm(Ticks(start - MILLISECOND))  # ...moved into the past: fires before the marker
        await asyncio.wait_for(done.wait(), timeout=30)
        await asyncio.sleep(0.05)  # let the marker fire too; ordering only, not timing

    asyncio.run(main())
    assert fired == ["moved", "marker"]


class FakeHandle:
    def __init__(self, callback: Callable[[], None]) -> None:
        self.callback = callback
        self.is_cancelled = False

    def cancel(self) -> None:
        self.is_cancelled = True


class RecordingLoop:
    """Just enough of a loop to see each call_at and cancel."""

    def __init__(self) -> None:
        self.calls: list[float] = []
        self.handles: list[FakeHandle] = []

    def call_at(self, when: float, callback: Callable[[], None]) -> FakeHandle:
        self.calls.append(when)
        self.handles.append(FakeHandle(callback))
        return self.handles[-1]


def test_same_deadline_does_not_rearm_and_callback_may_rearm() -> None:
    loop = RecordingLoop()
    calls: list[int] = []
    timer: DeadlineTimer

    def callback() -> None:
        calls.append(1)
        timer.arm(Ticks(2_000_000))

    timer = DeadlineTimer(loop, callback)  # type: ignore[arg-type]
    timer.arm(Ticks(1_000_000))
    timer.arm(Ticks(1_000_000))
    assert loop.calls == [1.0]
    timer.arm(Ticks(1_500_000))
    assert loop.calls == [1.0, 1.5]
    assert loop.handles[0].is_cancelled
    loop.handles[1].callback()
    assert calls == [1]
    assert loop.calls == [1.0, 1.5, 2.0]
    assert timer.deadline == Ticks(2_000_000)
    timer.arm(None)
    assert loop.handles[2].is_cancelled
    assert timer.deadline is None
