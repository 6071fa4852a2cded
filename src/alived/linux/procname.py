"""Process names as `ps -C`, `pidof` and `killall` see them: comm and the command line.

keepalived's parent and children are all `keepalived` in both places (its children are forks,
not new programs). A Python process is `python3.x` in both, so a drop-in rewrites them:
comm with prctl(PR_SET_NAME), which `ps -C` and `killall` match, and the command line in
place (the memory the kernel shows as /proc/PID/cmdline, found in /proc/self/stat), whose first
word `pidof` matches. The new command line is cut to the space the original had; it is cosmetic
beyond its first word, which always fits (`python3` plus a script path is longer).
"""

from __future__ import annotations

import contextlib
import ctypes
from collections.abc import Sequence
from pathlib import Path

PR_SET_NAME = 15
COMM_MAX = 15  # TASK_COMM_LEN - 1
_STAT_ARG_START = 45  # fields 48 and 49 of /proc/PID/stat, counted after the `(comm)` field
_STAT_ARG_END = 46


def set_comm(name: str) -> bool:
    """Set this thread's comm (the main thread's is the process name); False if the kernel refused."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_NAME, ctypes.c_char_p(name.encode()[:COMM_MAX]), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _argv_area() -> tuple[int, int] | None:
    try:
        text = Path("/proc/self/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    with contextlib.suppress(IndexError, ValueError):
        start, end = int(fields[_STAT_ARG_START]), int(fields[_STAT_ARG_END])
        if 0 < start < end:
            return start, end
    return None


def set_cmdline(argv: Sequence[str]) -> bool:
    """Show `argv` as this process's command line, NUL-separated as exec would have left it."""
    area = _argv_area()
    if area is None or not argv:
        return False
    start, end = area
    size = end - start
    raw = b"\0".join(a.encode() for a in argv) + b"\0"
    raw = raw[: size - 1] + b"\0" if len(raw) > size else raw.ljust(size, b"\0")
    ctypes.memmove(start, raw, size)
    return True


def set_process_name(name: str, argv: Sequence[str]) -> bool:
    """comm `name` and command line `argv`; True when both took."""
    return set_comm(name) & set_cmdline(argv)
