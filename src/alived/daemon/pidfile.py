"""Pid files as keepalived keeps them: one per process, refused when the daemon already runs.

A pid file whose process is gone is stale: keepalived logs "Remove a zombie pid file" and
removes it. One naming a live process means "daemon is already running"; so does one it
cannot read a pid from (it logs "Error reading pid file" and removes it, so the next start
goes ahead). The file is written through a temporary name and renamed, so a reader never
sees a half-written pid; as keepalived, alived does not create a missing directory for it.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path


class AlreadyRunning(Exception):
    """Another daemon holds this pid file."""

    def __init__(self, path: str, pid: int) -> None:
        super().__init__(f"daemon is already running (pid {pid} in {path})")
        self.path = path
        self.pid = pid


def read_pid(path: str) -> int | None:
    """The pid recorded in `path`, or None when missing or unreadable."""
    try:
        text = Path(path).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie has exited; keepalived would not count it as running.
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            return False
    return True


def running_pid(path: str) -> int | None:
    """The pid of a live process recorded in `path` (not ours), else None."""
    pid = read_pid(path)
    if pid is None or pid == os.getpid() or not process_alive(pid):
        return None
    return pid


# What fscanf("%d") accepts at the start of the file.
_LEADING_INT = re.compile(r"\s*([+-]?\d+)")


def _claims_running(path: str, log: Callable[[str], None]) -> bool:
    """keepalived's process_running(): whether `path` stops a new daemon; tidies a bad file."""
    try:
        text = Path(path).read_bytes().decode("ascii", errors="replace")
    except OSError:
        return False
    match = _LEADING_INT.match(text)
    if match is None:
        log(f"Error reading pid file {path}")
        with contextlib.suppress(OSError):
            Path(path).unlink()
        return True  # keepalived cannot tell, so it assumes a daemon is running
    pid = int(match.group(1))
    if pid == 0:
        return True
    if pid == os.getpid():
        return False
    if pid < 0 or not process_alive(pid):
        log(f"Remove a zombie pid file {path}")
        with contextlib.suppress(OSError):
            Path(path).unlink()
        return False
    return True


def keepalived_running(paths: Sequence[str], log: Callable[[str], None]) -> bool:
    """Whether a daemon holds any of `paths` (checked in order, as keepalived checks them)."""
    return any(_claims_running(path, log) for path in paths)


def cannot_write(path: str) -> str:
    """keepalived's line when a pid file cannot be created."""
    return f"pidfile_write : Cannot open {path} pidfile"


class PidFile:
    """A pid file owned by this process from `write()` until `remove()`."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._written_pid: int | None = None

    def check(self) -> None:
        """Raise AlreadyRunning when a live process holds the file."""
        pid = running_pid(self.path)
        if pid is not None:
            raise AlreadyRunning(self.path, pid)

    def write(self, pid: int | None = None) -> None:
        """Record `pid` (default: ours), atomically, mode 0644."""
        value = os.getpid() if pid is None else pid
        target = Path(self.path)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        try:
            os.write(fd, f"{value}\n".encode("ascii"))
        finally:
            os.close(fd)
        tmp.replace(target)
        self._written_pid = value

    def remove(self) -> None:
        """Delete the file if it still names the pid we wrote (idempotent)."""
        if self._written_pid is None:
            return
        if read_pid(self.path) == self._written_pid:
            with contextlib.suppress(FileNotFoundError):
                Path(self.path).unlink()
        self._written_pid = None
