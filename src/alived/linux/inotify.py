"""inotify: one kernel inotify instance read from the asyncio loop (libc through ctypes, no dependency).

The adapter owns the descriptor: `add_watch`/`remove_watch` name directories or files, and
every batch of events read is handed, decoded, to the callback. keepalived's track_file
watches the directory holding each file, so creation, replacement by rename and deletion
are all seen; `parse_events` is the pure decoder of the kernel's records.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import errno
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass

# <sys/inotify.h>
IN_MODIFY = 0x00000002
IN_CLOSE_WRITE = 0x00000008
IN_MOVED_FROM = 0x00000040
IN_MOVED_TO = 0x00000080
IN_MOVE = IN_MOVED_FROM | IN_MOVED_TO
IN_CREATE = 0x00000100
IN_DELETE = 0x00000200
IN_DELETE_SELF = 0x00000400
IN_Q_OVERFLOW = 0x00004000
IN_IGNORED = 0x00008000
IN_ISDIR = 0x40000000
IN_NONBLOCK = os.O_NONBLOCK
IN_CLOEXEC = os.O_CLOEXEC

_HEADER = struct.Struct("=iIII")  # wd, mask, cookie, len
_READ_SIZE = 64 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class InotifyEvent:
    """One `struct inotify_event`: the watch it came from, what happened and the entry's name."""

    wd: int
    mask: int
    cookie: int
    name: str


def parse_events(data: bytes) -> list[InotifyEvent]:
    """Decode the records of one read(); a truncated tail (which the kernel never produces) is dropped."""
    events: list[InotifyEvent] = []
    offset = 0
    while offset + _HEADER.size <= len(data):
        wd, mask, cookie, length = _HEADER.unpack_from(data, offset)
        offset += _HEADER.size
        if offset + length > len(data):
            break
        raw = data[offset : offset + length]
        offset += length
        name = os.fsdecode(raw.split(b"\0", 1)[0])
        events.append(InotifyEvent(wd=wd, mask=mask, cookie=cookie, name=name))
    return events


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.inotify_init1.argtypes = [ctypes.c_int]
    libc.inotify_init1.restype = ctypes.c_int
    libc.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
    libc.inotify_add_watch.restype = ctypes.c_int
    libc.inotify_rm_watch.argtypes = [ctypes.c_int, ctypes.c_int]
    libc.inotify_rm_watch.restype = ctypes.c_int
    return libc


class Inotify:
    """One inotify instance; `on_events` gets each batch of decoded events from the loop."""

    def __init__(
        self, on_events: Callable[[list[InotifyEvent]], None], loop: asyncio.AbstractEventLoop | None = None
    ) -> None:
        self._libc = _libc()
        fd = self._libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if fd < 0:
            err = ctypes.get_errno()
            raise OSError(err, f"inotify_init1: {os.strerror(err)}")
        self.fd: int | None = fd
        self._on_events = on_events
        self._loop = loop if loop is not None else asyncio.get_running_loop()
        self._loop.add_reader(fd, self._readable)

    def add_watch(self, path: str, mask: int) -> int:
        """Watch `path` for `mask`; the watch descriptor (the same one again for the same path)."""
        if self.fd is None:
            raise OSError(errno.EBADF, "inotify closed")
        wd = self._libc.inotify_add_watch(self.fd, os.fsencode(path), mask)
        if wd < 0:
            err = ctypes.get_errno()
            raise OSError(err, f"inotify_add_watch {path}: {os.strerror(err)}")
        return int(wd)

    def remove_watch(self, wd: int) -> None:
        """Stop a watch; one the kernel already dropped (its directory went away) is no error."""
        if self.fd is not None:
            self._libc.inotify_rm_watch(self.fd, wd)

    def read_now(self) -> list[InotifyEvent]:
        """Every event queued so far (the loop's reader does this by itself)."""
        if self.fd is None:
            return []
        events: list[InotifyEvent] = []
        while True:
            try:
                data = os.read(self.fd, _READ_SIZE)
            except BlockingIOError:
                return events
            except InterruptedError:
                continue
            if not data:
                return events
            events.extend(parse_events(data))

    def _readable(self) -> None:
        events = self.read_now()
        if events:
            self._on_events(events)

    def close(self) -> None:
        """Idempotent."""
        if self.fd is None:
            return
        with contextlib.suppress(Exception):
            self._loop.remove_reader(self.fd)
        os.close(self.fd)
        self.fd = None
