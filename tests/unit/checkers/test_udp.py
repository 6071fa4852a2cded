"""UDP_CHECK against a real UDP echo server and a closed port on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Callable, Iterator

import pytest

from alived.checkers.base import REGISTRY
from alived.checkers.udp import DEFAULT_PAYLOAD, UdpParams, UdpProbe, parse_hex, reply_matches
from alived.core.check.result import ProbeResult
from tests.unit.checkers.servers import closed_port, connection, target


@contextlib.contextmanager
def udp_server(reply: Callable[[bytes], bytes | None], seen: list[bytes] | None = None) -> Iterator[int]:
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
            if seen is not None:
                seen.append(data)
            answer = reply(data)
            if answer is not None:
                sock.sendto(answer, peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        sock.close()


def _check(port: int, timeout_ms: int = 2000, **kw: object) -> ProbeResult:
    params = UdpParams(connection=connection(port, timeout_ms), **kw)  # type: ignore[arg-type]
    return asyncio.run(UdpProbe(params, target(53, "udp")).attempt())


def test_registered() -> None:
    assert REGISTRY["UDP_CHECK"] is UdpProbe


def test_echo_server_is_up_with_keepalived_default_payload() -> None:
    seen: list[bytes] = []
    with udp_server(lambda data: data, seen) as port:
        result = _check(port, require_reply=True)
    assert result.success
    assert result.log_text == "UDP connection to [127.0.0.1]:udp:53 success."
    assert seen == [b"keepalived check - keepalived ch"]
    assert len(DEFAULT_PAYLOAD) == 32


def test_closed_port_is_down_by_icmp_port_unreachable() -> None:
    result = _check(closed_port(socket.SOCK_DGRAM))
    assert (result.success, result.reason) == (False, "port unreachable")
    assert result.log_text == "UDP connection to [127.0.0.1]:udp:53 failed."


def test_silence_is_up_unless_a_reply_is_required() -> None:
    with udp_server(lambda data: None) as port:
        assert _check(port, timeout_ms=200).success
        result = _check(port, timeout_ms=200, require_reply=True)
    assert (result.success, result.reason) == (False, "no reply")


def test_reply_data_with_wildcards_and_lengths() -> None:
    data, mask = parse_hex("50 4F 4X 47", wildcards=True) or (b"", b"")
    with udp_server(lambda _: b"PONG!") as port:
        assert _check(port, payload=b"PING", require_reply=True, reply_data=data, reply_mask=mask).success
        too_short = _check(port, require_reply=True, reply_data=data, reply_mask=mask, min_reply_length=6)
        assert (too_short.success, too_short.reason) == (False, "reply mismatch")
        assert too_short.log_text == "UDP check to [127.0.0.1]:udp:53 reply data mismatch."
        assert not _check(port, require_reply=True, reply_data=b"PI", max_reply_length=4).success
        assert not _check(port, require_reply=True, reply_data=b"PI").success


@pytest.mark.parametrize(
    ("text", "wildcards", "expected"),
    [
        ("0a0b", False, (b"\x0a\x0b", b"\x00\x00")),
        ("a b 0c", False, (b"\x0a\x0b\x0c", b"\x00\x00\x00")),
        ("xA", True, (b"\x0a", b"\xf0")),
        ("xA", False, None),
        ("zz", False, None),
        ("", False, None),
    ],
)
def test_parse_hex_as_keepalived(text: str, wildcards: bool, expected: tuple[bytes, bytes] | None) -> None:
    assert parse_hex(text, wildcards=wildcards) == expected


def test_reply_matches_compares_only_the_common_prefix() -> None:
    assert reply_matches(b"AB", b"ABCD", bytes(4), 0, 255)
    assert not reply_matches(b"AX", b"AB", bytes(2), 0, 255)
    assert reply_matches(b"AX", b"AB", b"\x00\xff", 0, 255)
