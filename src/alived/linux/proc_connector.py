"""The kernel's process connector: fork, exec, comm-change and exit events as they happen.

A NETLINK_CONNECTOR socket bound to the CN_IDX_PROC group, told PROC_CN_MCAST_LISTEN, gets one
message per process event (linux/cn_proc.h). Thread events are dropped here (keepalived tracks
processes, not threads): a fork counts when the child is a new process (child pid == tgid),
exec, comm and exit when the thread is the process's main one.

The kernel answers the connector only in the initial network namespace; a daemon started in
another one (`ip netns exec`, `net_namespace`) gets ECONNREFUSED. As root it can still listen:
the socket is then created in PID 1's network namespace (setns on this thread, then back), the
events being the same for every namespace. Without that, `open` raises OSError and the caller
falls back to scanning /proc. A full receive buffer (ENOBUFS) means events were lost: the
`on_lost` callback asks for a rescan.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import errno
import os
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

NETLINK_CONNECTOR = 11
CN_IDX_PROC = 1
CN_VAL_PROC = 1
NLMSG_DONE = 3
PROC_CN_MCAST_LISTEN = 1
PROC_CN_MCAST_IGNORE = 2

PROC_EVENT_NONE = 0
PROC_EVENT_FORK = 0x1
PROC_EVENT_EXEC = 0x2
PROC_EVENT_COMM = 0x200
PROC_EVENT_EXIT = 0x80000000

CLONE_NEWNET = 0x40000000
RCVBUF = 4 * 1024 * 1024
_NLMSGHDR = struct.Struct("=IHHII")
_CN_MSG = struct.Struct("=IIIIHH")
_EVENT_HEAD = struct.Struct("=IIQ")
_FOUR_INTS = struct.Struct("=iiii")
_TWO_INTS = struct.Struct("=ii")
_EVENT_AT = _NLMSGHDR.size + _CN_MSG.size
_DATA_AT = _EVENT_AT + _EVENT_HEAD.size
_RECV_BATCH = 1024
HOLDOFF = 0.001


@dataclass(frozen=True, slots=True)
class ProcEvent:
    """One process event: kind is "fork" (pid = child, parent set), "exec", "comm" or "exit"."""

    kind: str
    pid: int
    parent: int = 0
    comm: str = ""


def listen_message(op: int = PROC_CN_MCAST_LISTEN) -> bytes:
    """The netlink message that subscribes (or unsubscribes) to process events."""
    body = _CN_MSG.pack(CN_IDX_PROC, CN_VAL_PROC, 0, 0, 4, 0) + struct.pack("=I", op)
    return _NLMSGHDR.pack(_NLMSGHDR.size + len(body), NLMSG_DONE, 0, 0, 0) + body


def parse(data: bytes) -> list[ProcEvent]:
    """The process events in one datagram, threads left out."""
    out: list[ProcEvent] = []
    offset = 0
    while offset + _DATA_AT <= len(data):
        length = _NLMSGHDR.unpack_from(data, offset)[0]
        if length < _DATA_AT or offset + length > len(data):
            break
        what = _EVENT_HEAD.unpack_from(data, offset + _EVENT_AT)[0]
        at = offset + _DATA_AT
        if what == PROC_EVENT_FORK and length >= _DATA_AT + _FOUR_INTS.size:
            _parent_pid, parent_tgid, child_pid, child_tgid = _FOUR_INTS.unpack_from(data, at)
            if child_pid == child_tgid:
                out.append(ProcEvent("fork", child_tgid, parent=parent_tgid))
        elif what in (PROC_EVENT_EXEC, PROC_EVENT_EXIT, PROC_EVENT_COMM):
            pid, tgid = _TWO_INTS.unpack_from(data, at)
            if pid == tgid:
                if what == PROC_EVENT_COMM:
                    raw = data[at + 8 : at + 24].split(b"\0", 1)[0]
                    out.append(ProcEvent("comm", tgid, comm=raw.decode(errors="surrogateescape")))
                else:
                    out.append(ProcEvent("exec" if what == PROC_EVENT_EXEC else "exit", tgid))
        offset += (length + 3) & ~3
    return out


def _libc_setns(fd: int) -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def _subscribed_socket() -> socket.socket:
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC, NETLINK_CONNECTOR)
    try:
        for option in (33, socket.SO_RCVBUF):  # SO_RCVBUFFORCE as root, else what the limit allows
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, option, RCVBUF)
                break
        sock.bind((0, CN_IDX_PROC))
        sock.send(listen_message())
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def _ancestors() -> list[int]:
    """PID 1, then this process's parents nearest first: where the initial namespace may be."""
    out = [1]
    pid = os.getpid()
    for _ in range(64):
        try:
            stat = Path(f"/proc/{pid}/stat").read_bytes()
        except OSError:
            break
        pid = int(stat[stat.rfind(b")") + 2 :].split()[1])
        if pid <= 1:
            break
        out.append(pid)
    return out


def _open_in(pid: int) -> socket.socket:
    """Subscribe from the network namespace of `pid`, then come back to ours."""
    here = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        there = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY | os.O_CLOEXEC)
        try:
            if os.fstat(there).st_ino == os.fstat(here).st_ino:
                raise ConnectionRefusedError(errno.ECONNREFUSED, "same network namespace")
            _libc_setns(there)
        finally:
            os.close(there)
        try:
            return _subscribed_socket()
        finally:
            _libc_setns(here)
    finally:
        os.close(here)


def open_socket() -> socket.socket:
    """A subscribed connector socket, made in the initial network namespace when need be.

    That namespace is PID 1's, or failing access to it (a container's init), the nearest
    ancestor's in another namespace (the shell or service manager that ran `ip netns exec`).
    """
    try:
        return _subscribed_socket()
    except ConnectionRefusedError as err:
        first: OSError = err
    for pid in _ancestors():
        try:
            return _open_in(pid)
        except OSError:
            continue
    raise first


class ProcConnector:
    """Process events delivered to `on_events` in batches, from the event loop's reader."""

    def __init__(
        self,
        on_events: Callable[[list[ProcEvent]], None],
        on_lost: Callable[[], None],
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self.on_events = on_events
        self.on_lost = on_lost
        self.loop = loop
        self.sock: socket.socket | None = None
        self._rest: asyncio.TimerHandle | None = None

    def open(self) -> None:
        """Subscribe; raises OSError when the kernel will not tell (no CONFIG_PROC_EVENTS, no rights)."""
        self.sock = open_socket()
        loop = self.loop or asyncio.get_running_loop()
        loop.add_reader(self.sock.fileno(), self._readable)

    def _readable(self) -> None:
        # After a batch the reader rests HOLDOFF seconds, so a storm (a build forking thousands of
        # processes a second) is read in a few large batches rather than one wake-up per event;
        # the first event after a quiet spell is still read at once.
        if self.sock is not None:
            self._loop().remove_reader(self.sock.fileno())
            self._drain_and_rest()

    def _resume(self) -> None:
        self._rest = None
        if self.sock is not None:
            self._drain_and_rest()

    def _drain_and_rest(self) -> None:
        loop = self._loop()
        assert self.sock is not None
        if self._drain(self.sock):
            self._rest = loop.call_later(HOLDOFF, self._resume)
        else:
            loop.add_reader(self.sock.fileno(), self._readable)

    def _drain(self, sock: socket.socket) -> bool:
        """Read every queued message and hand its events over; False when nothing was queued."""
        events: list[ProcEvent] = []
        lost = got = False
        for _ in range(_RECV_BATCH):
            try:
                data = sock.recv(65536)
            except BlockingIOError:
                break
            except OSError as err:
                if err.errno == errno.ENOBUFS:
                    lost = got = True
                    continue
                break
            got = True
            events.extend(parse(data))
        if events:
            self.on_events(events)
        if lost:
            self.on_lost()
        return got

    def _loop(self) -> asyncio.AbstractEventLoop:
        return self.loop or asyncio.get_running_loop()

    def close(self) -> None:
        if self._rest is not None:
            self._rest.cancel()
            self._rest = None
        if self.sock is None:
            return
        with contextlib.suppress(RuntimeError, ValueError):
            self._loop().remove_reader(self.sock.fileno())
        with contextlib.suppress(OSError):
            self.sock.send(listen_message(PROC_CN_MCAST_IGNORE))
        self.sock.close()
        self.sock = None
