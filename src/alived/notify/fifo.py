"""Notify FIFOs: `INSTANCE "VI_1" MASTER 150` lines to `notify_fifo` / `vrrp_notify_fifo`.

As keepalived: create the FIFO (0644) when missing, refuse a path that is not a FIFO,
start the configured `*_fifo_script` with the path appended, and open the FIFO
O_RDWR|O_NONBLOCK|O_NOFOLLOW so that writing never blocks and a missing reader never
fails. A full FIFO drops the line (logged), it never stalls the daemon.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import stat
from pathlib import Path

from alived.linux.scripts import ScriptCommand, ScriptRunner

log = logging.getLogger("alived.notify.fifo")


def fifo_line(kind: str, name: str, state: str, priority: int) -> str:
    """One VRRP event line: the name double-quoted, groups reporting priority 0."""
    return f'{kind} "{name}" {state} {0 if kind == "GROUP" else priority}\n'


class NotifyFifo:
    """One FIFO path and the optional script reading it."""

    def __init__(
        self,
        path: str,
        *,
        script: ScriptCommand | None = None,
        uid: int | None = None,
        gid: int | None = None,
    ) -> None:
        self.path = path
        self.script = script
        self.uid = uid
        self.gid = gid
        self._fd: int | None = None
        self._script_task: asyncio.Task[int | None] | None = None
        self._created = False
        self.dropped = 0

    @property
    def is_open(self) -> bool:
        return self._fd is not None

    def open(self, runner: ScriptRunner | None = None) -> bool:
        """Create/check the FIFO, start its script, open it; False (logged) when unusable."""
        p = Path(self.path)
        try:
            try:
                st = os.lstat(p)
            except FileNotFoundError:
                os.mkfifo(p, 0o644)
                p.chmod(0o644)  # mkfifo honours the umask; keepalived's mode is exact
                if self.uid is not None or self.gid is not None:
                    os.chown(p, -1 if self.uid is None else self.uid, -1 if self.gid is None else self.gid)
                self._created = True
            else:
                if not stat.S_ISFIFO(st.st_mode):
                    log.error("notify FIFO %s exists and is not a FIFO", self.path)
                    return False
            if self.script is not None and runner is not None:
                self._script_task = runner.spawn(self.script.with_args(self.path))
            self._fd = os.open(p, os.O_RDWR | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError as err:
            log.error("Unable to open notify FIFO %s: %s", self.path, err)
            return False
        return True

    def write(self, line: str) -> None:
        if self._fd is None:
            return
        try:
            os.write(self._fd, line.encode())
        except BlockingIOError:
            self.dropped += 1
            log.warning("notify FIFO %s is full: dropped %r", self.path, line.rstrip("\n"))
        except OSError as err:
            log.error("Write to notify FIFO %s failed: %s", self.path, err)

    def stop_script(self) -> None:
        """SIGTERM the FIFO's script (keepalived does at reload and stop, before the STOP lines)."""
        task, self._script_task = self._script_task, None
        if task is not None and not task.done():
            task.cancel()

    def close(self) -> None:
        self.stop_script()
        if self._created:
            # keepalived unlinks a FIFO it created (at reload and stop) before closing it: a reader
            # looping on the path cannot reopen this one, and a reload creates a fresh FIFO.
            with contextlib.suppress(OSError):
                Path(self.path).unlink()
            self._created = False
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None
