"""Fake twins of linux/proc_connector.py and linux/proc_scan.py: an in-memory process table.

`FakeProcs` holds the processes the fake /proc shows (`scan`, `read_process`) and plays the
kernel's connector: `spawn`, `fork`, `exec`, `rename` and `kill` change the table and deliver the
matching events to the connector the daemon opened; `lose()` reports lost events.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from alived.core.vrrp.track_process import ProcInfo
from alived.linux.proc_connector import ProcEvent


class FakeProcConnector:
    """ProcConnector without a socket; `refuse` makes open() fail like a kernel without proc events."""

    refuse: OSError | None = None

    def __init__(
        self,
        on_events: Callable[[list[ProcEvent]], None],
        on_lost: Callable[[], None],
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self.on_events = on_events
        self.on_lost = on_lost
        self.loop = loop
        self.opened = False

    def open(self) -> None:
        if self.refuse is not None:
            raise self.refuse
        self.opened = True

    def close(self) -> None:
        self.opened = False


class FakeProcs:
    def __init__(self) -> None:
        self.table: dict[int, ProcInfo] = {}
        self.connectors: list[FakeProcConnector] = []
        self.refuse: OSError | None = None
        self._next = 1000

    # -- what the daemon calls (same signatures as linux/proc_scan.py and ProcConnector) --------

    def scan(self, *, cmdline: bool, proc: str = "/proc") -> dict[int, ProcInfo]:
        del proc
        return {pid: info if cmdline else ProcInfo(info.comm) for pid, info in self.table.items()}

    def read_process(self, pid: int, *, cmdline: bool, proc: str = "/proc") -> ProcInfo | None:
        del proc
        info = self.table.get(pid)
        return None if info is None else (info if cmdline else ProcInfo(info.comm))

    def connector(
        self,
        on_events: Callable[[list[ProcEvent]], None],
        on_lost: Callable[[], None],
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> FakeProcConnector:
        made = FakeProcConnector(on_events, on_lost, loop)
        made.refuse = self.refuse
        self.connectors.append(made)
        return made

    # -- the kernel's part --------------------------------------------------------------------

    def _emit(self, *events: ProcEvent) -> None:
        for c in self.connectors:
            if c.opened:
                c.on_events(list(events))

    def spawn(self, comm: str, *argv: str, parent: int = 1) -> int:
        """fork from `parent` then exec `comm` (two events, as a shell starting a program)."""
        pid = self.fork(parent)
        self.exec(pid, comm, *argv)
        return pid

    def fork(self, parent: int) -> int:
        self._next += 1
        pid = self._next
        self.table[pid] = self.table.get(parent, ProcInfo("init"))
        self._emit(ProcEvent("fork", pid, parent=parent))
        return pid

    def exec(self, pid: int, comm: str, *argv: str) -> None:
        args = argv or (comm,)
        self.table[pid] = ProcInfo(comm, b"".join(a.encode() + b"\0" for a in args))
        self._emit(ProcEvent("exec", pid))

    def rename(self, pid: int, comm: str) -> None:
        self.table[pid] = ProcInfo(comm, self.table[pid].cmdline)
        self._emit(ProcEvent("comm", pid, comm=comm))

    def kill(self, pid: int) -> None:
        del self.table[pid]
        self._emit(ProcEvent("exit", pid))

    def vanish(self, pid: int) -> None:
        """A process gone without an event reaching us (lost in a full buffer)."""
        del self.table[pid]

    def lose(self) -> None:
        for c in self.connectors:
            if c.opened:
                c.on_lost()
