"""An AF_PACKET socket for ARP on one interface: it reports every ARP frame another host sent.

Used for split-brain detection (core/vrrp/split_brain.py): frames are parsed by core/l2/arp.py;
this adapter only receives bytes (the probes go out through the GARP path's L2Socket). Frames
this host sent itself (packet type PACKET_OUTGOING) are not reported, so our own replies and
gratuitous ARPs never count as another host's, even with a VMAC whose MAC both masters share.
"""

from __future__ import annotations

import asyncio
import errno as errno_codes
import socket
from collections.abc import Callable

from alived.errors import BackendError, LocalMisuse

ETH_P_ARP = 0x0806
PACKET_OUTGOING = 4
_MAX_FRAME = 2048
_MAX_BATCH = 64  # frames read per wake-up; the rest wait for the next one


class ArpWatch:
    """ARP frames received on `ifname`, to `on_frame`."""

    def __init__(
        self,
        *,
        ifname: str,
        sock: socket.socket,
        on_frame: Callable[[str, bytes], None],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.ifname = ifname
        self._sock: socket.socket | None = sock
        self._on_frame = on_frame
        self._loop = loop
        loop.add_reader(sock.fileno(), self._readable)

    @classmethod
    def open(cls, ifname: str, on_frame: Callable[[str, bytes], None]) -> ArpWatch:
        """Watch `ifname`; `on_frame(ifname, frame)` gets each ARP frame another host sent."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError as exc:
            raise LocalMisuse("ArpWatch.open needs a running event loop") from exc
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
        try:
            sock.setblocking(False)
            sock.bind((ifname, ETH_P_ARP))
        except OSError as exc:
            sock.close()
            raise BackendError("arp_socket", exc.errno or errno_codes.ENODEV, ifname) from exc
        return cls(ifname=ifname, sock=sock, on_frame=on_frame, loop=loop)

    def _readable(self) -> None:
        for _ in range(_MAX_BATCH):
            if self._sock is None:
                return
            try:
                frame, address = self._sock.recvfrom(_MAX_FRAME)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return  # a transient error (interface gone): the link watch reports the cause
            if address[2] == PACKET_OUTGOING:
                continue
            self._on_frame(self.ifname, frame)

    def close(self) -> None:
        if self._sock is not None:
            self._loop.remove_reader(self._sock.fileno())
            self._sock.close()
            self._sock = None
