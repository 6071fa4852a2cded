"""HTTP_GET against real loopback HTTP servers: the request keepalived sends and how the reply is judged."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import struct
import time
import tracemalloc
from ipaddress import IPv6Address

import pytest

from alived.checkers.base import REGISTRY
from alived.checkers.connect import Connection
from alived.checkers.http import HttpParams, HttpProbe, UrlSpec
from alived.checkers.http_fetch import MAX_BODY, ChunkedDecoder, request_bytes, status_code
from alived.core.check.result import ProbeResult
from tests.unit.checkers.servers import (
    closed_port,
    connection,
    http_response,
    read_request,
    responder,
    target,
    tcp_server,
)

BODY = b"<html>hello keepalived</html>\n"
MD5 = hashlib.md5(BODY).hexdigest()


def _check(port: int, *urls: UrlSpec, protocol: str = "1.0", timeout_ms: int = 2000) -> ProbeResult:
    params = HttpParams(connection=connection(port, timeout_ms), urls=urls, http_protocol=protocol)
    return asyncio.run(HttpProbe(params, target(80)).attempt())


def _serve(response: bytes, requests: list[bytes] | None = None):  # type: ignore[no-untyped-def]
    return tcp_server(responder(response, requests))


def test_registered() -> None:
    assert REGISTRY["HTTP_GET"] is HttpProbe


@pytest.mark.parametrize(
    ("protocol", "expected"),
    [
        ("1.0", b"GET /a HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: h:1\r\n\r\n"),
        ("1.0C", b"GET /a HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: h:1\r\n\r\n"),
        ("1.1", b"GET /a HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: h:1\r\n\r\n"),
    ],
)
def test_request_bytes_as_keepalived(protocol: str, expected: bytes) -> None:
    assert request_bytes("/a", protocol, "h:1") == expected


def test_up_with_digest_and_request_on_the_wire() -> None:
    requests: list[bytes] = []
    with _serve(http_response(BODY), requests) as port:
        result = _check(port, UrlSpec(path="/index.html", digest=MD5))
    assert result.success, result
    assert result.log_text == "Remote Web server [127.0.0.1]:tcp:80 succeed on service."
    assert requests == [
        f"GET /index.html HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    ]


def test_virtualhost_names_the_host() -> None:
    requests: list[bytes] = []
    with _serve(http_response(BODY), requests) as port:
        assert _check(port, UrlSpec(path="/", virtualhost="www.example.org"), protocol="1.1").success
    assert b"\r\nHost: www.example.org\r\n" in requests[0]
    assert requests[0].startswith(b"GET / HTTP/1.1\r\n")


def test_every_url_must_pass() -> None:
    with _serve(http_response(BODY)) as port:
        result = _check(port, UrlSpec(path="/a", digest=MD5), UrlSpec(path="/b", digest="0" * 32))
    assert not result.success
    assert result.reason == "digest mismatch"
    assert result.log_text == "MD5 digest error to server [127.0.0.1]:tcp:80."


def test_wrong_status_is_down() -> None:
    with _serve(http_response(BODY, "500 Internal Server Error")) as port:
        result = _check(port, UrlSpec(path="/"))
    assert not result.success
    assert result.reason == "status code 500"
    assert result.log_text == "HTTP status code error to server [127.0.0.1]:tcp:80."


def test_status_code_ranges() -> None:
    with _serve(http_response(BODY, "302 Found")) as port:
        assert _check(port, UrlSpec(path="/", status_code=((200, 200), (300, 303)))).success
        assert not _check(port, UrlSpec(path="/", status_code=((200, 299),))).success


def test_regex_match_mismatch_no_match_and_offsets() -> None:
    with _serve(http_response(BODY)) as port:
        assert _check(port, UrlSpec(path="/", regex="hello")).success
        miss = _check(port, UrlSpec(path="/", regex="goodbye"))
        assert (miss.success, miss.reason, miss.log_text) == (
            False,
            "regex mismatch",
            "Regex match failed server [127.0.0.1]:tcp:80.",
        )
        assert not _check(port, UrlSpec(path="/", regex="hello", regex_no_match=True)).success
        assert _check(port, UrlSpec(path="/", regex="goodbye", regex_no_match=True)).success
        # "hello" starts at body offset 6
        assert _check(port, UrlSpec(path="/", regex="hello", regex_max_offset=6)).success
        assert not _check(port, UrlSpec(path="/", regex="hello", regex_max_offset=5)).success
        assert not _check(port, UrlSpec(path="/", regex="hello", regex_min_offset=7)).success
        assert _check(port, UrlSpec(path="/", regex="HELLO", regex_options=("caseless",))).success


def test_refused_is_down() -> None:
    result = _check(closed_port(), UrlSpec(path="/"))
    assert not result.success
    assert result.reason == "connection refused"
    assert result.log_text == "Connection failed server [127.0.0.1]:tcp:80."


def test_slow_server_times_out() -> None:
    def slow(conn: socket.socket) -> None:
        read_request(conn)
        time.sleep(1.0)

    with tcp_server(slow) as port:
        result = _check(port, UrlSpec(path="/"), timeout_ms=200)
    assert not result.success
    assert result.reason == "read timeout"
    assert result.log_text == "Timeout HTTP read server [127.0.0.1]:tcp:80."


def test_connection_reset_is_down() -> None:
    def reset(conn: socket.socket) -> None:
        read_request(conn)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    with tcp_server(reset) as port:
        result = _check(port, UrlSpec(path="/"))
    assert not result.success
    assert result.reason == "connection reset"
    assert result.log_text == "Read error with server [127.0.0.1]:tcp:80."


def test_closed_without_reply_is_no_data() -> None:
    with tcp_server(read_request) as port:  # type: ignore[arg-type]
        result = _check(port, UrlSpec(path="/"))
    assert (result.success, result.reason) == (False, "no data received")
    assert result.log_text == "Read, no data received from  server [127.0.0.1]:tcp:80."


def test_garbage_status_line_is_down() -> None:
    with _serve(b"\x00\xffgarbage\r\n\r\nbody") as port:
        result = _check(port, UrlSpec(path="/"))
    assert (result.success, result.reason) == (False, "invalid status line")


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (b"HTTP/1.1 200 OK\r\n\r\n", 200),
        (b"HTTP/1.1 404 \r\n\r\n", 404),
        (b"HTTP/1.1 200\r\n\r\n", 0),  # keepalived wants a space after the code
        (b"HTTP/1.1  200 OK\r\n\r\n", 0),
        (b"HTTP/1.1 2x0 OK\r\n\r\n", 0),
        (b"nospace\r\n\r\n", 0),
    ],
)
def test_status_code_parsed_as_keepalived(header: bytes, code: int) -> None:
    assert status_code(header) == code


def test_huge_header_is_a_clean_down() -> None:
    def huge(conn: socket.socket) -> None:
        read_request(conn)
        conn.sendall(b"HTTP/1.0 200 OK\r\n")
        line = b"X-Filler: " + b"a" * 1000 + b"\r\n"
        for _ in range(100 * 1024):  # 100 MB of header, never ended
            conn.sendall(line)

    with tcp_server(huge) as port:
        result = _check(port, UrlSpec(path="/"))
    assert (result.success, result.reason) == (False, "response header too large")


def test_endless_body_is_bounded_in_size_and_memory() -> None:
    def endless(conn: socket.socket) -> None:
        read_request(conn)
        conn.sendall(b"HTTP/1.0 200 OK\r\n\r\n")
        block = b"x" * 65536
        while True:
            conn.sendall(block)

    with tcp_server(endless) as port:
        tracemalloc.start()
        try:
            result = _check(port, UrlSpec(path="/", digest=MD5), timeout_ms=20000)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert (result.success, result.reason) == (False, "response body too large")
    assert peak < MAX_BODY // 4


def test_content_length_cuts_the_hashed_body() -> None:
    with _serve(http_response(BODY) + b"trailing junk") as port:
        assert _check(port, UrlSpec(path="/", digest=MD5)).success


def test_chunked_body_is_decoded_before_hashing() -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;ext=1\r\n<html\r\n19\r\n>hello keepalived</html>\n\r\n0\r\n\r\n"
    )
    with _serve(chunked) as port:
        assert _check(port, UrlSpec(path="/", digest=MD5), protocol="1.1").success


def test_chunked_decoder_rejects_garbage() -> None:
    with pytest.raises(ValueError, match="bad chunk size"):
        ChunkedDecoder().feed(b"zz\r\n")
    decoder = ChunkedDecoder()
    assert decoder.feed(b"3\r\nab") == b"ab"
    assert decoder.feed(b"c\r\n0\r\n\r\n") == b"c"
    assert decoder.done


def test_ipv6_host_header_in_brackets() -> None:
    requests: list[bytes] = []
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as listener:
        listener.bind(("::1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        conn = Connection(connect_ip=IPv6Address("::1"), connect_port=port)
        params = HttpParams(connection=conn, urls=(UrlSpec(path="/"),))

        async def exchange() -> ProbeResult:
            loop = asyncio.get_running_loop()
            listener.setblocking(False)

            async def serve() -> None:
                peer, _ = await loop.sock_accept(listener)
                with peer:
                    requests.append(await loop.sock_recv(peer, 4096))
                    await loop.sock_sendall(peer, http_response(BODY))

            server = asyncio.create_task(serve())
            result = await HttpProbe(params, target(80)).attempt()
            await server
            return result

        assert asyncio.run(exchange()).success
    assert f"\r\nHost: [::1]:{port}\r\n".encode() in requests[0]
