"""An AF_PACKET socket bound to one interface, for whole Ethernet frames (GARP, unsolicited NA).

Send only: the socket is bound with protocol 0, so the kernel queues nothing for it to read.
Frames are built by core/l2 (garp.py, ndisc.py); this adapter only puts bytes on the wire.
"""

from __future__ import annotations

import errno as errno_codes
import socket

from alived.errors import BackendError, LocalMisuse


class L2Socket:
    """Raw Ethernet frames out of `ifname`."""

    def __init__(self, *, ifname: str, ifindex: int, sock: socket.socket) -> None:
        self.ifname = ifname
        self.ifindex = ifindex
        self._sock: socket.socket | None = sock

    @classmethod
    def open(cls, ifname: str) -> L2Socket:
        try:
            ifindex = socket.if_nametoindex(ifname)
        except OSError as exc:
            raise BackendError("if_nametoindex", exc.errno or errno_codes.ENODEV, ifname) from exc
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        try:
            sock.setblocking(False)
            sock.bind((ifname, 0))
        except OSError as exc:
            sock.close()
            raise BackendError("packet_socket", exc.errno, ifname) from exc
        return cls(ifname=ifname, ifindex=ifindex, sock=sock)

    def send(self, frame: bytes) -> None:
        """Send one complete Ethernet frame (destination MAC first)."""
        if self._sock is None:
            raise LocalMisuse("send on a closed L2Socket")
        try:
            self._sock.send(frame)
        except OSError as exc:
            raise BackendError("packet_send", exc.errno, self.ifname) from exc

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
