"""PING_CHECK: one ICMP (or ICMPv6) echo request; an echo reply within connect_timeout is up.

As keepalived's check_ping.c the request carries 128 bytes of "keepalived check - " and the
first ICMP message the socket delivers decides: an echo reply is up, anything else is down.
On a ping socket the kernel delivers only replies to our identifier; on the raw fallback
(linux/icmp_socket.py) messages for other identifiers or sequences are skipped, as are
IPv4 header bytes. Log texts: `ICMP connection to [192.0.2.21]:tcp:80 success.` and
`ICMP connection to address ... timeout.`
"""

from __future__ import annotations

import asyncio
import itertools
import os
import struct
from dataclasses import dataclass

from alived.checkers.base import ProbeBase
from alived.checkers.connect import Connection, describe
from alived.core.check.result import ProbeResult
from alived.linux.icmp_socket import open_echo_socket
from alived.linux.probe_socket import sockaddr

ICMP_BUFSIZE = 128
ECHO_REQUEST = {4: 8, 6: 128}
ECHO_REPLY = {4: 0, 6: 129}
_FILLER = b"keepalived check - "
PAYLOAD = (_FILLER * (ICMP_BUFSIZE // len(_FILLER) + 1))[:ICMP_BUFSIZE]
_sequence = itertools.count(1)


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071)."""
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def echo_request(version: int, ident: int, sequence: int) -> bytes:
    """An echo request; the checksum is filled for ICMPv4 (the kernel does it for ICMPv6)."""
    header = struct.pack("!BBHHH", ECHO_REQUEST[version], 0, 0, ident, sequence)
    if version == 4:
        header = struct.pack("!BBHHH", ECHO_REQUEST[version], 0, checksum(header + PAYLOAD), ident, sequence)
    return header + PAYLOAD


def parse_icmp(version: int, packet: bytes, raw: bool) -> tuple[int, int, int] | None:
    """(type, identifier, sequence) of a received message; None when too short."""
    if raw and version == 4:
        if len(packet) < 20:
            return None
        packet = packet[(packet[0] & 0x0F) * 4 :]
    if len(packet) < 8:
        return None
    kind, _, _, ident, sequence = struct.unpack_from("!BBHHH", packet)
    return kind, ident, sequence


@dataclass(frozen=True, slots=True, kw_only=True)
class PingParams:
    connection: Connection


class PingProbe(ProbeBase[PingParams], keyword="PING_CHECK"):
    def _down(self, reason: str, text: str = "") -> ProbeResult:
        return ProbeResult(
            success=False, reason=reason, log_text=text or f"ICMP CHECK on service {self.target} failed."
        )

    async def _attempt(self) -> ProbeResult:
        conn = self.params.connection
        version = conn.connect_ip.version
        try:
            sock, raw = open_echo_socket(
                conn.connect_ip, fwmark=conn.fwmark, bind_if=conn.bind_if, bindto=conn.bindto
            )
        except OSError as err:
            return self._down(describe(err))
        loop = asyncio.get_running_loop()
        ident = os.getpid() & 0xFFFF
        sequence = next(_sequence) & 0xFFFF
        with sock:
            try:
                async with asyncio.timeout(conn.timeout):
                    await loop.sock_sendto(
                        sock, echo_request(version, ident, sequence), sockaddr(conn.connect_ip, 0)
                    )
                    while True:
                        packet = await loop.sock_recv(sock, 8 + ICMP_BUFSIZE + 60)
                        parsed = parse_icmp(version, packet, raw)
                        if parsed is None:
                            return self._down("short ICMP packet")
                        kind, got_ident, got_sequence = parsed
                        if raw and (
                            kind == ECHO_REQUEST[version] or (got_ident, got_sequence) != (ident, sequence)
                        ):
                            continue  # our own request on loopback, or someone else's ping
                        if kind != ECHO_REPLY[version]:
                            return self._down(f"ICMP type {kind}")
                        break
            except TimeoutError:
                return self._down("timeout", f"ICMP connection to address {self.target} timeout.")
            except OSError as err:
                return self._down(describe(err))
        return ProbeResult(
            success=True, reason="echo reply", log_text=f"ICMP connection to {self.target} success."
        )
