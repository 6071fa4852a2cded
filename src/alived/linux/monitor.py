"""Kernel link and address events, read from an rtnetlink multicast socket in the event loop.

Subscribes to RTMGRP_LINK, RTMGRP_IPV4_IFADDR and RTMGRP_IPV6_IFADDR and calls back
`on_link(ifname, up)` when an interface's up state (IFF_UP and IFF_RUNNING, keepalived's
IF_ISUP) changes or the interface goes away, and `on_address(ifname, address, added)` for each
address added (once usable: an IPv6 address is reported when DAD has passed) or removed.
On start it dumps the links, so the first `on_link` per interface reports its current state.
The messages are decoded here with struct (a handful of fixed headers and attributes), which
keeps the loop free of pyroute2's own event loop.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Callable, Iterator
from ipaddress import IPv4Address, IPv6Address

from alived.errors import BackendError

IPAddress = IPv4Address | IPv6Address

NETLINK_ROUTE = 0
RTMGRP_LINK = 0x1
RTMGRP_IPV4_IFADDR = 0x10
RTMGRP_IPV6_IFADDR = 0x100

NLMSG_ERROR = 2
NLMSG_DONE = 3
NLMSG_OVERRUN = 4
NLM_F_REQUEST = 0x1
NLM_F_DUMP = 0x300
RTM_NEWLINK = 16
RTM_DELLINK = 17
RTM_GETLINK = 18
RTM_NEWADDR = 20
RTM_DELADDR = 21

IFLA_IFNAME = 3
IFA_ADDRESS = 1
IFA_LOCAL = 2
IFA_FLAGS = 8
IFA_F_DADFAILED = 0x08
IFA_F_TENTATIVE = 0x40

IFF_UP = 0x1
IFF_RUNNING = 0x40

_NLMSGHDR = struct.Struct("=IHHII")
_IFINFOMSG = struct.Struct("=BxHiII")
_IFADDRMSG = struct.Struct("=BBBBi")
_RTATTR = struct.Struct("=HH")

OnLink = Callable[[str, bool], None]
OnAddress = Callable[[str, IPAddress, bool], None]


def _align(n: int) -> int:
    return (n + 3) & ~3


def _attributes(data: bytes, offset: int, end: int) -> Iterator[tuple[int, bytes]]:
    while offset + _RTATTR.size <= end:
        length, kind = _RTATTR.unpack_from(data, offset)
        if length < _RTATTR.size or offset + length > end:
            return
        yield kind & 0x3FFF, data[offset + _RTATTR.size : offset + length]
        offset += _align(length)


def messages(data: bytes) -> Iterator[tuple[int, bytes]]:
    """Split a netlink datagram into (type, payload) pairs."""
    offset = 0
    while offset + _NLMSGHDR.size <= len(data):
        length, kind, _flags, _seq, _pid = _NLMSGHDR.unpack_from(data, offset)
        if length < _NLMSGHDR.size or offset + length > len(data):
            return
        yield kind, data[offset + _NLMSGHDR.size : offset + length]
        offset += _align(length)


class Monitor:
    """Calls back on link up/down and address add/remove; one netlink socket, one add_reader."""

    def __init__(
        self,
        *,
        on_link: OnLink,
        on_address: OnAddress,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self._on_link = on_link
        self._on_address = on_address
        self._loop = loop
        self._sock: socket.socket | None = None
        self._names: dict[int, str] = {}
        self._up: dict[int, bool] = {}
        self.overruns = 0

    def start(self) -> None:
        """Open the socket in the current namespace, start reading and request a link dump."""
        loop = self._loop or asyncio.get_running_loop()
        self._loop = loop
        try:
            sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_NONBLOCK, NETLINK_ROUTE)
        except OSError as exc:
            raise BackendError("netlink_monitor", exc.errno) from exc
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            sock.bind((0, RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR))
            request = _IFINFOMSG.pack(socket.AF_UNSPEC, 0, 0, 0, 0)
            header = _NLMSGHDR.pack(
                _NLMSGHDR.size + len(request), RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 1, 0
            )
            sock.send(header + request)
        except OSError as exc:
            sock.close()
            raise BackendError("netlink_monitor", exc.errno) from exc
        self._sock = sock
        loop.add_reader(sock.fileno(), self._readable)

    def ifname(self, index: int) -> str | None:
        """The name the monitor last saw for an interface index."""
        return self._names.get(index)

    def close(self) -> None:
        if self._sock is None:
            return
        if self._loop is not None:
            self._loop.remove_reader(self._sock.fileno())
        self._sock.close()
        self._sock = None

    def _readable(self) -> None:
        sock = self._sock
        while sock is not None:
            try:
                data = sock.recv(1 << 16)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                # ENOBUFS: events were lost. Count it; a fresh dump resynchronises link states.
                self.overruns += 1
                self._resync(sock)
                return
            self.feed(data)
            sock = self._sock

    def _resync(self, sock: socket.socket) -> None:
        request = _IFINFOMSG.pack(socket.AF_UNSPEC, 0, 0, 0, 0)
        header = _NLMSGHDR.pack(_NLMSGHDR.size + len(request), RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 2, 0)
        try:
            sock.send(header + request)
        except OSError:
            self.overruns += 1

    def feed(self, data: bytes) -> None:
        """Handle one netlink datagram (public so that tests can feed recorded messages)."""
        for kind, payload in messages(data):
            if kind in (RTM_NEWLINK, RTM_DELLINK):
                self._link(kind, payload)
            elif kind in (RTM_NEWADDR, RTM_DELADDR):
                self._address(kind, payload)

    def _link(self, kind: int, payload: bytes) -> None:
        if len(payload) < _IFINFOMSG.size:
            return
        _family, _type, index, flags, _change = _IFINFOMSG.unpack_from(payload)
        name = self._names.get(index)
        for attr, value in _attributes(payload, _IFINFOMSG.size, len(payload)):
            if attr == IFLA_IFNAME:
                name = value.split(b"\0", 1)[0].decode(errors="replace")
        if name is None:
            return
        if kind == RTM_DELLINK:
            self._names.pop(index, None)
            was_up = self._up.pop(index, None)
            if was_up is not False:
                self._on_link(name, False)
            return
        self._names[index] = name
        up = bool(flags & IFF_UP) and bool(flags & IFF_RUNNING)
        if self._up.get(index) != up:
            self._up[index] = up
            self._on_link(name, up)

    def _address(self, kind: int, payload: bytes) -> None:
        if len(payload) < _IFADDRMSG.size:
            return
        family, _prefixlen, flags, _scope, index = _IFADDRMSG.unpack_from(payload)
        local: bytes | None = None
        address: bytes | None = None
        for attr, value in _attributes(payload, _IFADDRMSG.size, len(payload)):
            if attr == IFA_LOCAL:
                local = value
            elif attr == IFA_ADDRESS:
                address = value
            elif attr == IFA_FLAGS and len(value) >= 4:
                flags = struct.unpack("=I", value[:4])[0]
        if kind == RTM_NEWADDR and flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED):
            # Not usable yet (DAD running) or never (DAD failed): the kernel sends another
            # RTM_NEWADDR without these flags when the address becomes usable.
            return
        raw = local if local is not None else address
        if raw is None:
            return
        if family == socket.AF_INET and len(raw) == 4:
            ip: IPAddress = IPv4Address(raw)
        elif family == socket.AF_INET6 and len(raw) == 16:
            ip = IPv6Address(raw)
        else:
            return
        name = self._names.get(index)
        if name is None:
            try:
                name = socket.if_indextoname(index)
            except OSError:
                return
        self._on_address(name, ip, kind == RTM_NEWADDR)
