"""The checker child's traffic cache: the status shows the last reading, a stale one starts a new
reading in a worker thread (never on the loop where the backend offers a reader), one at a time."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

from alived.daemon.check.traffic import TrafficCache
from alived.lb.base import Counters


class Source:
    def __init__(self, threaded: bool) -> None:
        self.threaded = threaded
        self.readings: list[int] = []  # the thread each reading ran in
        self.fail = False

    def _read(self) -> dict[str, Counters]:
        self.readings.append(threading.get_ident())
        if self.fail:
            raise OSError("nft: no such table")
        return {"VS": Counters(packets=len(self.readings))}

    def traffic(self) -> dict[str, Counters]:
        return self._read()

    def traffic_reader(self) -> Callable[[], dict[str, Counters]] | None:
        return self._read if self.threaded else None


def test_stale_readings_refresh_in_a_worker_thread_one_at_a_time() -> None:
    now = [100.0]
    source = Source(threaded=True)
    cache = TrafficCache(source, max_age=5.0, clock=lambda: now[0])

    async def go() -> None:
        loop_thread = threading.get_ident()
        assert cache.snapshot() is None  # nothing read yet: a reading starts
        assert cache.snapshot() is None  # ... only one
        await asyncio.sleep(0.2)
        first = cache.snapshot()
        assert first is not None and first["VS"].packets == 1
        assert source.readings and source.readings[0] != loop_thread
        now[0] += 4.9
        assert cache.snapshot() is first  # fresh enough: no new reading
        await asyncio.sleep(0.1)
        assert len(source.readings) == 1
        now[0] += 0.1
        assert cache.snapshot() is first  # stale: still the last one, a new reading starts
        await asyncio.sleep(0.2)
        again = cache.snapshot()
        assert again is not None and again["VS"].packets == 2
        source.fail = True
        now[0] += 10
        cache.snapshot()
        await asyncio.sleep(0.2)
        assert cache.snapshot() is again  # a failed reading keeps the last one
        cache.close()

    asyncio.run(go())


def test_a_backend_without_a_reader_is_read_on_the_loop() -> None:
    source = Source(threaded=False)
    cache = TrafficCache(source)

    async def go() -> None:
        cache.snapshot()
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert source.readings == [threading.get_ident()]
        assert cache.snapshot() == {"VS": Counters(packets=1)}

    asyncio.run(go())
