"""Raw VRRP sockets, one per (interface, family): bytes in, bytes out, no VRRP codec here.

IPv4 (facts §4.2): the caller builds the whole IPv4 packet (IP_HDRINCL, TOS 0xc0, TTL, ID, and an
optional AH header, protocol 51); receive delivers whole IPv4 packets, header included, from a raw
socket per IP protocol (112, and 51 when AH is in use).
IPv6: the kernel builds the header (hop limit 255 for multicast, traffic class 0xc0) and the checksum
(IPV6_CHECKSUM offset 6); receive delivers the VRRP payload with source, destination and hop limit.

Receiving is `loop.add_reader` based; each wake-up reads up to RECV_BATCH packets (until the
socket would block) and hands them to the callback one at a time. Sockets are non-blocking; a
failed send raises BackendError and the caller decides (log and carry on).
"""

from __future__ import annotations

import asyncio
import errno as errno_codes
import socket
import struct
from collections.abc import Callable
from ipaddress import IPv4Address, IPv6Address

from alived.core.vrrp.wire import AH_PROTO, VRRP_GROUP4, VRRP_GROUP6, VRRP_PROTO, VRRP_TTL
from alived.errors import BackendError, LocalMisuse

__all__ = ["AH_PROTO", "VRRP_GROUP4", "VRRP_GROUP6", "VRRP_PROTO", "Vrrp4Socket", "Vrrp6Socket"]

VRRP_TOS = 0xC0

# Linux constants the socket module does not export.
IP_MULTICAST_ALL = 49
IP_MTU_DISCOVER = 10
IP_PMTUDISC_DONT = 0
IPV6_MULTICAST_ALL = 29
IPV6_FREEBIND = 78

_RECV_SIZE = 65535
# Packets read per wake-up at most: a burst is read in one go (one loop iteration, one EAGAIN),
# and a flood cannot hold the loop for ever (level-triggered readiness brings the reader back).
# It must exceed what a default receive buffer holds (a few hundred adverts): with 64, a child
# busy as master for 255 instances at 0.1 s read too little per turn of the loop, the kernel
# dropped the rest, and the instances kept timing out.
RECV_BATCH = 1024
_CMSG_SPACE = socket.CMSG_SPACE(20) + socket.CMSG_SPACE(4)

Receiver4 = Callable[[bytes], None]
Receiver6 = Callable[[bytes, IPv6Address, IPv6Address, int], None]


def _bind_to_device(sock: socket.socket, ifname: str) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifname.encode())


def _drain(sock: socket.socket, handle: Callable[[], None]) -> None:
    """Read until the socket would block or RECV_BATCH packets were read."""
    for _ in range(RECV_BATCH):
        try:
            handle()
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            # A transient receive error (e.g. ENOBUFS, an ICMP error queued on the socket)
            # must not take the reader down; the next packet is read on the next wake-up.
            return
        if sock.fileno() < 0:
            return


class Vrrp4Socket:
    """Raw IPv4 VRRP sockets bound to one interface; send takes a full IPv4 packet."""

    def __init__(
        self,
        *,
        ifname: str,
        ifindex: int,
        group: IPv4Address | None,
        sockets: dict[int, socket.socket],
        loop: asyncio.AbstractEventLoop | None,
    ) -> None:
        self.ifname = ifname
        self.ifindex = ifindex
        self.group = group
        self._sockets = sockets
        self._loop = loop
        self._receiver: Receiver4 | None = None
        self._readers: list[int] = []

    @classmethod
    def open(
        cls,
        ifname: str,
        *,
        group: IPv4Address = VRRP_GROUP4,
        unicast: bool = False,
        protocols: tuple[int, ...] = (VRRP_PROTO,),
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> Vrrp4Socket:
        """Open one raw socket per protocol on `ifname`; join `group` unless unicast.

        protocols: (112,) normally, (112, 51) when an instance on this interface uses AH.
        The first protocol's socket is the one used to send (IP_HDRINCL: the header decides).
        """
        if not protocols:
            raise LocalMisuse("Vrrp4Socket needs at least one IP protocol")
        try:
            ifindex = socket.if_nametoindex(ifname)
        except OSError as exc:
            raise BackendError("if_nametoindex", exc.errno or errno_codes.ENODEV, ifname) from exc
        sockets: dict[int, socket.socket] = {}
        try:
            for proto in protocols:
                sockets[proto] = cls._open_one(ifname, ifindex, proto, None if unicast else group)
        except OSError as exc:
            for sock in sockets.values():
                sock.close()
            raise BackendError("vrrp4_socket", exc.errno, ifname) from exc
        return cls(
            ifname=ifname, ifindex=ifindex, group=None if unicast else group, sockets=sockets, loop=loop
        )

    @staticmethod
    def _open_one(ifname: str, ifindex: int, proto: int, group: IPv4Address | None) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, proto)
        try:
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
            _bind_to_device(sock, ifname)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, VRRP_TTL)
            # ip_mreqn: group (unused here), local address (any), ifindex.
            mreqn = struct.pack("=4s4si", bytes(4), bytes(4), ifindex)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, mreqn)
            # Only groups this socket joined, not every group any socket on the host joined.
            sock.setsockopt(socket.IPPROTO_IP, IP_MULTICAST_ALL, 0)
            if group is not None:
                mreqn = struct.pack("=4s4si", group.packed, bytes(4), ifindex)
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreqn)
        except OSError:
            sock.close()
            raise
        return sock

    @property
    def fds(self) -> tuple[int, int]:
        """(receiving fd, sending fd), as keepalived's dump names its fd_in and fd_out; -1 once closed."""
        socks = list(self._sockets.values())
        if not socks:
            return -1, -1
        return socks[-1].fileno(), socks[0].fileno()

    def send(self, packet: bytes, destination: IPv4Address) -> None:
        """Send a complete IPv4 packet (header built by the caller) to `destination`."""
        sock = next(iter(self._sockets.values()))
        try:
            sock.sendto(packet, (str(destination), 0))
        except OSError as exc:
            raise BackendError("vrrp4_send", exc.errno, f"{self.ifname} -> {destination}") from exc

    def set_receiver(self, callback: Receiver4 | None) -> None:
        """Deliver every received IPv4 packet (header included) to `callback`; None stops."""
        loop = self._loop or asyncio.get_running_loop()
        self._loop = loop
        self._remove_readers()
        self._receiver = callback
        if callback is None:
            return
        for sock in self._sockets.values():
            loop.add_reader(sock.fileno(), self._readable, sock)
            self._readers.append(sock.fileno())

    def _readable(self, sock: socket.socket) -> None:
        # `_drain` inlined: this runs for every advert a backup hears (thousands a second).
        recv = sock.recv
        for _ in range(RECV_BATCH):
            try:
                data = recv(_RECV_SIZE)
            except OSError:
                # EAGAIN ends the batch; a transient error (e.g. ENOBUFS, an ICMP error queued
                # on the socket) must not take the reader down: the next wake-up reads on.
                return
            receiver = self._receiver
            if receiver is not None:
                receiver(data)
            if sock.fileno() < 0:  # the receiver closed us
                return

    def _remove_readers(self) -> None:
        if self._loop is not None:
            for fd in self._readers:
                self._loop.remove_reader(fd)
        self._readers.clear()

    def close(self) -> None:
        """Stop receiving and close the sockets (leaving the group); idempotent."""
        self._remove_readers()
        self._receiver = None
        for sock in self._sockets.values():
            sock.close()
        self._sockets.clear()


class Vrrp6Socket:
    """A raw IPv6 VRRP socket bound to one interface; the kernel builds the header and checksum."""

    def __init__(
        self,
        *,
        ifname: str,
        ifindex: int,
        group: IPv6Address | None,
        sock: socket.socket,
        loop: asyncio.AbstractEventLoop | None,
    ) -> None:
        self.ifname = ifname
        self.ifindex = ifindex
        self.group = group
        self._sock: socket.socket | None = sock
        self._loop = loop
        self._receiver: Receiver6 | None = None
        self._reading = False

    @classmethod
    def open(
        cls,
        ifname: str,
        *,
        source: IPv6Address | None = None,
        group: IPv6Address = VRRP_GROUP6,
        unicast: bool = False,
        unicast_hops: int | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> Vrrp6Socket:
        """Open the socket on `ifname`, bound to `source` (the interface's link-local) if given.

        unicast_hops: `unicast_ttl`; None keeps the kernel's default hop limit (facts §4.2).
        """
        try:
            ifindex = socket.if_nametoindex(ifname)
        except OSError as exc:
            raise BackendError("if_nametoindex", exc.errno or errno_codes.ENODEV, ifname) from exc
        sock = socket.socket(socket.AF_INET6, socket.SOCK_RAW, VRRP_PROTO)
        try:
            sock.setblocking(False)
            _bind_to_device(sock, ifname)
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_CHECKSUM, 6)
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_TCLASS, VRRP_TOS)
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, VRRP_TTL)
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP, 0)
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, ifindex)
            sock.setsockopt(socket.IPPROTO_IPV6, IPV6_MULTICAST_ALL, 0)
            if unicast_hops is not None:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, unicast_hops)
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT, 1)
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
            if source is not None:
                # Right after link up the link-local is tentative (DAD) and a plain bind fails
                # with EADDRNOTAVAIL; freebind lets the socket open now and send once DAD passes.
                sock.setsockopt(socket.IPPROTO_IPV6, IPV6_FREEBIND, 1)
                sock.bind((str(source), 0, 0, ifindex))
            if not unicast:
                mreq = struct.pack("=16si", group.packed, ifindex)
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
        except OSError as exc:
            sock.close()
            raise BackendError("vrrp6_socket", exc.errno, ifname) from exc
        return cls(ifname=ifname, ifindex=ifindex, group=None if unicast else group, sock=sock, loop=loop)

    @property
    def fds(self) -> tuple[int, int]:
        """(receiving fd, sending fd): one socket does both; -1 once closed."""
        fd = self._sock.fileno() if self._sock is not None else -1
        return fd, fd

    def send(self, payload: bytes, destination: IPv6Address) -> None:
        """Send a VRRP message (checksum field left for the kernel) to `destination`."""
        if self._sock is None:
            raise LocalMisuse("send on a closed Vrrp6Socket")
        try:
            self._sock.sendto(payload, (str(destination), 0, 0, self.ifindex))
        except OSError as exc:
            raise BackendError("vrrp6_send", exc.errno, f"{self.ifname} -> {destination}") from exc

    def set_receiver(self, callback: Receiver6 | None) -> None:
        """Deliver (payload, source, destination, hop_limit) for every packet; None stops."""
        loop = self._loop or asyncio.get_running_loop()
        self._loop = loop
        if self._sock is None:
            raise LocalMisuse("set_receiver on a closed Vrrp6Socket")
        self._receiver = callback
        if callback is None and self._reading:
            loop.remove_reader(self._sock.fileno())
            self._reading = False
        elif callback is not None and not self._reading:
            loop.add_reader(self._sock.fileno(), self._readable)
            self._reading = True

    def _readable(self) -> None:
        sock = self._sock
        if sock is None:
            return
        _drain(sock, lambda: self._one(sock))

    def _one(self, sock: socket.socket) -> None:
        data, ancdata, _flags, address = sock.recvmsg(_RECV_SIZE, _CMSG_SPACE)
        hop_limit = -1
        destination = IPv6Address(0)
        for level, kind, value in ancdata:
            if level != socket.IPPROTO_IPV6:
                continue
            if kind == socket.IPV6_HOPLIMIT and len(value) >= 4:
                hop_limit = struct.unpack("=i", value[:4])[0]
            elif kind == socket.IPV6_PKTINFO and len(value) >= 16:
                destination = IPv6Address(value[:16])
        source = IPv6Address(address[0].split("%", 1)[0])
        if self._receiver is not None:
            self._receiver(data, source, destination, hop_limit)

    def close(self) -> None:
        """Stop receiving and close the socket; idempotent."""
        if self._sock is None:
            return
        if self._reading and self._loop is not None:
            self._loop.remove_reader(self._sock.fileno())
        self._reading = False
        self._receiver = None
        self._sock.close()
        self._sock = None
