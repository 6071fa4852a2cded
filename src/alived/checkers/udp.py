"""UDP_CHECK: send one datagram; an ICMP unreachable (or, when a reply is required, none) is down.

As keepalived's check_udp.c and layer4.c: the payload is `payload` or, without one, 32 bytes of
"keepalived check - " repeated. The socket is connected, so the kernel reports an ICMP port
unreachable as ECONNREFUSED on it (and, with IP_RECVERR, host and network unreachables too).
Without `require_reply` the check passes when no error comes back within connect_timeout; with
it a reply must arrive, and when `require_reply` gives data the reply's first bytes must match
it (X digits are wildcards) and its length must lie in [min_reply_length, max_reply_length]
(default 0..255; a longer reply is cut at max + 1, so it fails the length test).
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass

from alived.checkers.base import ProbeBase
from alived.checkers.connect import Connection, describe
from alived.core.check.result import ProbeResult
from alived.linux.probe_socket import family_of, open_socket, sockaddr

_FILLER = b"keepalived check - "
DEFAULT_PAYLOAD = (_FILLER * 2)[:32]
IP_RECVERR = 11
IPV6_RECVERR = 25


def parse_hex(text: str, *, wildcards: bool = False) -> tuple[bytes, bytes] | None:
    """keepalived's read_hex_str: (data, mask) from hex pairs with optional spaces; None if invalid.

    A mask bit set means "any value" (an X digit, when `wildcards`); a lone digit before a space
    or the end is one byte.
    """
    data = bytearray()
    mask = bytearray()
    i = 0
    n = len(text)

    def digit(char: str) -> tuple[int, int] | None:
        if wildcards and char in "xX":
            return 0, 0x0F
        try:
            return int(char, 16), 0
        except ValueError:
            return None

    while True:
        while i < n and text[i] in " \t":
            i += 1
        if i >= n:
            break
        first = digit(text[i])
        i += 1
        if first is None:
            return None
        value, bits = first
        if i < n and text[i] != " ":
            second = digit(text[i])
            i += 1
            if second is None:
                return None
            value = value << 4 | second[0]
            bits = bits << 4 | second[1]
        data.append(value)
        mask.append(bits)
    if not data:
        return None
    return bytes(data), bytes(mask)


def reply_matches(reply: bytes, data: bytes, mask: bytes, min_len: int, max_len: int) -> bool:
    """check_udp_reply: the length bounds, then the common prefix compared outside the mask."""
    if not min_len <= len(reply) <= max_len:
        return False
    return all((r ^ d) & ~m & 0xFF == 0 for r, d, m in zip(reply, data, mask, strict=False))


@dataclass(frozen=True, slots=True, kw_only=True)
class UdpParams:
    connection: Connection
    payload: bytes = DEFAULT_PAYLOAD
    require_reply: bool = False
    reply_data: bytes | None = None
    reply_mask: bytes | None = None
    min_reply_length: int = 0
    max_reply_length: int = 255


class UdpProbe(ProbeBase[UdpParams], keyword="UDP_CHECK"):
    def _result(self, success: bool, reason: str, *, mismatch: bool = False) -> ProbeResult:
        if mismatch:
            text = f"UDP check to {self.target} reply data mismatch."
        else:
            text = f"UDP connection to {self.target} {'success' if success else 'failed'}."
        return ProbeResult(success=success, reason=reason, log_text=text)

    async def _attempt(self) -> ProbeResult:
        p = self.params
        conn = p.connection
        loop = asyncio.get_running_loop()
        try:
            sock = open_socket(
                family_of(conn.connect_ip),
                socket.SOCK_DGRAM,
                fwmark=conn.fwmark,
                bind_if=conn.bind_if,
                bindto=conn.bindto,
                bind_port=conn.bind_port,
            )
        except OSError as err:
            return self._result(False, describe(err))
        with sock:
            if conn.connect_ip.version == 6:
                sock.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVERR, 1)
            else:
                sock.setsockopt(socket.IPPROTO_IP, IP_RECVERR, 1)
            try:
                await loop.sock_connect(sock, sockaddr(conn.connect_ip, conn.connect_port))
                await loop.sock_sendall(sock, p.payload)
                async with asyncio.timeout(conn.timeout):
                    reply = await loop.sock_recv(sock, p.max_reply_length + 1)
            except TimeoutError:
                if p.require_reply:
                    return self._result(False, "no reply")
                return self._result(True, "no ICMP error")
            except OSError as err:
                reason = "port unreachable" if describe(err) == "connection refused" else describe(err)
                return self._result(False, reason)
        if p.reply_data is not None:
            mask = p.reply_mask or bytes(len(p.reply_data))
            if not reply_matches(reply, p.reply_data, mask, p.min_reply_length, p.max_reply_length):
                return self._result(False, "reply mismatch", mismatch=True)
        return self._result(True, "reply received")
