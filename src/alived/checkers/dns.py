"""DNS_CHECK: one UDP query (RD set) for `name`/`type`; the reply's header decides, as check_dns.c does.

keepalived reads only the header of what comes back: a datagram shorter than a header, one
whose ID differs from the query's, or one that is not a response (QR clear) is ignored and the
wait goes on; a response with a non-zero rcode is down, any other response is up (the answer
count is not looked at). Nothing acceptable within connect_timeout is down ("read timeout from
socket"), and so is an ICMP error on the connected socket. The query is built with dnspython
(no EDNS, as keepalived's), defaults SOA for the root name.
"""

from __future__ import annotations

import asyncio
import errno
import os
import socket
import struct
from dataclasses import dataclass

import dns.flags
import dns.message
import dns.rdatatype

from alived.checkers.base import ProbeBase
from alived.checkers.connect import Connection
from alived.core.check.result import ProbeResult
from alived.linux.probe_socket import family_of, open_socket, sockaddr

DNS_BUFFER_SIZE = 1024
HEADER = struct.Struct("!HH")


@dataclass(frozen=True, slots=True, kw_only=True)
class DnsParams:
    connection: Connection
    type: str = "SOA"
    name: str = "."


def make_query(params: DnsParams) -> bytes:
    query = dns.message.make_query(params.name, dns.rdatatype.from_text(params.type), use_edns=False)
    query.flags |= dns.flags.RD
    return query.to_wire()


def judge_reply(query_id: int, reply: bytes) -> int | None:
    """The rcode of a reply keepalived accepts as the answer, or None when it would ignore it."""
    if len(reply) < 12:
        return None
    reply_id, flags = HEADER.unpack_from(reply)
    if reply_id != query_id or not flags & 0x8000:
        return None
    rcode: int = flags & 0x000F
    return rcode


class DnsProbe(ProbeBase[DnsParams], keyword="DNS_CHECK"):
    def _down(self, reason: str, text: str) -> ProbeResult:
        return ProbeResult(success=False, reason=reason, log_text=f"DNS_CHECK ({self.target}) {text}")

    async def _attempt(self) -> ProbeResult:
        conn = self.params.connection
        query = make_query(self.params)
        (query_id,) = struct.unpack_from("!H", query)
        loop = asyncio.get_running_loop()
        ignored = 0
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
            return self._down("socket error", str(err.strerror or err))
        with sock:
            try:
                async with asyncio.timeout(conn.timeout):
                    await loop.sock_connect(sock, sockaddr(conn.connect_ip, conn.connect_port))
                    await loop.sock_sendall(sock, query)
                    while True:
                        reply = await loop.sock_recv(sock, DNS_BUFFER_SIZE)
                        rcode = judge_reply(query_id, reply)
                        if rcode is None:
                            ignored += 1
                            continue
                        break
            except TimeoutError:
                reason = f"read timeout ({ignored} replies ignored)" if ignored else "read timeout"
                return self._down(reason, "read timeout from socket")
            except OSError as err:
                code = err.errno or 0
                text = f"failed to read socket; errno {code} ({os.strerror(code)})"
                reason = "port unreachable" if code == errno.ECONNREFUSED else os.strerror(code).lower()
                return self._down(reason, text)
        if rcode != 0:
            return self._down(f"rcode {rcode}", f"read error occurred. (rcode = {rcode})")
        return ProbeResult(success=True, reason="ok")
