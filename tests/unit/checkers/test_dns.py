"""DNS_CHECK against a small dnspython UDP server on loopback, honest and hostile."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Callable, Iterator

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest

from alived.checkers.base import REGISTRY
from alived.checkers.dns import DnsParams, DnsProbe, judge_reply, make_query
from alived.core.check.result import ProbeResult
from tests.unit.checkers.servers import closed_port, connection, target

Reply = Callable[[dns.message.Message], list[bytes]]


@contextlib.contextmanager
def dns_server(reply: Reply, seen: list[dns.message.Message] | None = None) -> Iterator[int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.05)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                data, peer = sock.recvfrom(2048)
            except TimeoutError:
                continue
            query = dns.message.from_wire(data)
            if seen is not None:
                seen.append(query)
            for datagram in reply(query):
                sock.sendto(datagram, peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        sock.close()


def answer(rcode: int = 0) -> Reply:
    def build(query: dns.message.Message) -> list[bytes]:
        response = dns.message.make_response(query)
        response.set_rcode(rcode)
        if rcode == 0:
            response.answer.append(dns.rrset.from_text(".", 300, "IN", "SOA", "a.root. admin. 1 2 3 4 5"))
        return [response.to_wire()]

    return build


def _check(port: int, timeout_ms: int = 2000, **kw: str) -> ProbeResult:
    params = DnsParams(connection=connection(port, timeout_ms), **kw)
    return asyncio.run(DnsProbe(params, target(53, "udp")).attempt())


def test_registered() -> None:
    assert REGISTRY["DNS_CHECK"] is DnsProbe


def test_answered_query_is_up_and_the_query_is_keepalived_s() -> None:
    seen: list[dns.message.Message] = []
    with dns_server(answer(), seen) as port:
        assert _check(port).success
        assert _check(port, type="A", name="www.example.org").success
    soa, a = seen
    assert (soa.question[0].name.to_text(), soa.question[0].rdtype) == (".", dns.rdatatype.SOA)
    assert (a.question[0].name.to_text(), a.question[0].rdtype) == ("www.example.org.", dns.rdatatype.A)
    assert soa.flags & dns.flags.RD
    assert soa.edns < 0


def test_error_rcode_is_down() -> None:
    with dns_server(answer(dns.rcode.NXDOMAIN)) as port:
        result = _check(port)
    assert (result.success, result.reason) == (False, "rcode 3")
    assert result.log_text == "DNS_CHECK ([127.0.0.1]:udp:53) read error occurred. (rcode = 3)"


def test_mismatched_id_is_ignored_then_down_at_the_timeout() -> None:
    def wrong_id(query: dns.message.Message) -> list[bytes]:
        response = dns.message.make_response(query)
        response.id = (query.id + 1) & 0xFFFF
        return [response.to_wire()]

    with dns_server(wrong_id) as port:
        result = _check(port, timeout_ms=300)
    assert (result.success, result.reason) == (False, "read timeout (1 replies ignored)")
    assert result.log_text == "DNS_CHECK ([127.0.0.1]:udp:53) read timeout from socket"


def test_garbage_and_echoed_query_ignored_before_the_real_answer() -> None:
    def noisy(query: dns.message.Message) -> list[bytes]:
        return [b"\x00", query.to_wire(), *answer()(query)]

    with dns_server(noisy) as port:
        assert _check(port).success


def test_closed_port_is_down_by_icmp() -> None:
    result = _check(closed_port(socket.SOCK_DGRAM))
    assert (result.success, result.reason) == (False, "port unreachable")
    assert (
        result.log_text
        == "DNS_CHECK ([127.0.0.1]:udp:53) failed to read socket; errno 111 (Connection refused)"
    )


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (b"\x12\x34\x81\x80" + bytes(8), 0),
        (b"\x12\x34\x81\x83" + bytes(8), 3),
        (b"\x12\x35\x81\x80" + bytes(8), None),
        (b"\x12\x34\x01\x00" + bytes(8), None),
        (b"\x12\x34", None),
    ],
)
def test_judge_reply(reply: bytes, expected: int | None) -> None:
    assert judge_reply(0x1234, reply) == expected


def test_query_has_recursion_desired() -> None:
    wire = make_query(DnsParams(connection=connection(53)))
    assert wire[2] & 0x01
