"""GARP/NA pacing: frames in order, no two closer than the interval, failures contained."""

from __future__ import annotations

import asyncio
import itertools

from alived.daemon.vrrp.garp_pacer import Pacer
from alived.errors import BackendError


def _run(interval: float, frames: list[bytes], *, fail: bytes | None = None) -> list[tuple[float, bytes]]:
    async def main() -> list[tuple[float, bytes]]:
        loop = asyncio.get_running_loop()
        sent: list[tuple[float, bytes]] = []

        def send(frame: bytes) -> None:
            if frame == fail:
                raise BackendError("packet_send", 100, "eth0")
            sent.append((loop.time(), frame))

        pacer = Pacer(loop, send, interval)
        for frame in frames:
            pacer.submit(frame)
        for _ in range(200):
            if not pacer.queue:
                break
            await asyncio.sleep(interval / 4 or 0.001)
        return sent

    return asyncio.run(main())


def test_interval_zero_sends_everything_at_once() -> None:
    sent = _run(0.0, [b"a", b"b", b"c"])
    assert [f for _, f in sent] == [b"a", b"b", b"c"]


def test_frames_keep_their_order_and_the_gap() -> None:
    sent = _run(0.05, [b"a", b"b", b"c", b"d"])
    assert [f for _, f in sent] == [b"a", b"b", b"c", b"d"]
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(sent)]
    # call_at never fires early; without pacing the gaps would be microseconds.
    assert all(gap >= 0.049 for gap in gaps), gaps


def test_a_failing_send_does_not_stop_the_queue() -> None:
    sent = _run(0.01, [b"a", b"bad", b"c"], fail=b"bad")
    assert [f for _, f in sent] == [b"a", b"c"]


def test_cancel_drops_the_queue() -> None:
    async def main() -> list[bytes]:
        loop = asyncio.get_running_loop()
        sent: list[bytes] = []
        pacer = Pacer(loop, sent.append, 0.05)
        for frame in (b"a", b"b", b"c"):
            pacer.submit(frame)
        pacer.cancel()
        await asyncio.sleep(0.15)
        return sent

    assert asyncio.run(main()) == [b"a"]
