"""An AF_PACKET socket for IPv6 neighbour advertisements on one interface (split-brain detection).

The IPv6 twin of arp_watch.py: it reports every ICMPv6 NA frame another host sent, parsed by
core/l2/ndisc.py. A classic BPF filter keeps the kernel from queueing the interface's other IPv6
traffic to us (the VIPs' data plane runs through this interface): only next header 58 with ICMPv6
type 136 passes. Frames this host sent (PACKET_OUTGOING) are dropped, as in the ARP watch.
"""

from __future__ import annotations

import asyncio
import ctypes
import errno as errno_codes
import socket
import struct
from collections.abc import Callable

from alived.errors import BackendError, LocalMisuse
from alived.linux.arp_watch import ArpWatch

ETH_P_IPV6 = 0x86DD
SO_ATTACH_FILTER = 26
# ldb [20] (next header); jeq 58; ldb [54] (ICMPv6 type); jeq 136; accept / drop.
_FILTER = (
    (0x30, 0, 0, 20),
    (0x15, 0, 3, 58),
    (0x30, 0, 0, 54),
    (0x15, 0, 1, 136),
    (0x06, 0, 0, 0x40000),
    (0x06, 0, 0, 0),
)


def _attach_filter(sock: socket.socket) -> None:
    program = ctypes.create_string_buffer(b"".join(struct.pack("HBBI", *op) for op in _FILTER))
    fprog = struct.pack("HL", len(_FILTER), ctypes.addressof(program))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)  # the kernel copies the program


class NaWatch(ArpWatch):
    """Neighbour advertisements received on `ifname`, to `on_frame`."""

    @classmethod
    def open(cls, ifname: str, on_frame: Callable[[str, bytes], None]) -> NaWatch:
        """Watch `ifname`; `on_frame(ifname, frame)` gets each NA frame another host sent."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError as exc:
            raise LocalMisuse("NaWatch.open needs a running event loop") from exc
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)  # nothing queued before the filter
        try:
            sock.setblocking(False)
            _attach_filter(sock)
            sock.bind((ifname, ETH_P_IPV6))
        except OSError as exc:
            sock.close()
            raise BackendError("na_socket", exc.errno or errno_codes.ENODEV, ifname) from exc
        return cls(ifname=ifname, sock=sock, on_frame=on_frame, loop=loop)
