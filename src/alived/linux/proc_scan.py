"""Read processes from /proc: every process at once (start, fallback) or one pid (after an event).

Only the comm (from /proc/PID/stat, which also tells a zombie) is read unless the command line
is asked for: reading /proc/PID/cmdline touches the process's memory, which may be swapped out
(keepalived avoids it for the same reason). A process that vanishes while being read is skipped.
"""

from __future__ import annotations

import os

from alived.core.vrrp.track_process import ProcInfo

CMDLINE_MAX = 4096


def _read(path: str, size: int) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        return os.read(fd, size)
    except OSError:
        return None
    finally:
        os.close(fd)


def read_process(pid: int, *, cmdline: bool, proc: str = "/proc") -> ProcInfo | None:
    """A process's comm (and cmdline when asked) just after it exec'd; None when it is gone.

    /proc/PID/comm is cheaper than stat (a thousand execs a second are read one by one); a
    process that already exited still reads, and its exit event, which follows, uncounts it.
    """
    raw_comm = _read(f"{proc}/{pid}/comm", 64)
    if not raw_comm:
        return None
    comm = raw_comm.rstrip(b"\n").decode(errors="surrogateescape")
    raw = b""
    if cmdline:
        raw = _read(f"{proc}/{pid}/cmdline", CMDLINE_MAX) or b""
    return ProcInfo(comm=comm, cmdline=raw)


def _scan_one(pid: int, *, cmdline: bool, proc: str) -> ProcInfo | None:
    """One live process for a scan; None when it is gone or a zombie (stat tells)."""
    stat = _read(f"{proc}/{pid}/stat", 512)
    if not stat:
        return None
    start, end = stat.find(b"("), stat.rfind(b")")
    if start < 0 or end < start or stat[end + 2 : end + 3] == b"Z":
        return None
    comm = stat[start + 1 : end].decode(errors="surrogateescape")
    raw = b""
    if cmdline:
        raw = _read(f"{proc}/{pid}/cmdline", CMDLINE_MAX) or b""
    return ProcInfo(comm=comm, cmdline=raw)


def scan(*, cmdline: bool, proc: str = "/proc") -> dict[int, ProcInfo]:
    """Every live process, by pid."""
    out: dict[int, ProcInfo] = {}
    try:
        entries = [e.name for e in os.scandir(proc) if e.name.isdigit()]
    except OSError:
        return out
    for entry in entries:
        info = _scan_one(int(entry), cmdline=cmdline, proc=proc)
        if info is not None:
            out[int(entry)] = info
    return out
