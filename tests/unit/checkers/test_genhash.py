"""genhash: our command against Debian's keepalived genhash on the same loopback server, byte for byte."""

from __future__ import annotations

import hashlib
import re
import shutil
import socket
import subprocess
import sys

import pytest

from alived.genhash import dump_buffer
from tests.unit.checkers.servers import closed_port, http_response, read_request, responder, tcp_server

OURS = "import sys; from alived.genhash import main; sys.exit(main(sys.argv[1:], prog='genhash'))"
BODY = b"<html><body>hello genhash</body></html>\n"
CTL = "import sys; from alived.ctl import main; sys.exit(main())"
TIME = re.compile(rb"Global response time for \[(.*)\] = \d+ usecs")


def _keepalived_genhash() -> str:
    path = shutil.which("genhash")
    assert path is not None, "Debian's keepalived package (genhash) is needed: make setup"
    return path


def _both(*args: str) -> tuple[subprocess.CompletedProcess[bytes], subprocess.CompletedProcess[bytes]]:
    theirs = subprocess.run(
        ["genhash", *args], executable=_keepalived_genhash(), capture_output=True, timeout=30, check=False
    )
    ours = subprocess.run([sys.executable, "-c", OURS, *args], capture_output=True, timeout=30, check=False)
    return ours, theirs


def _same(*args: str) -> subprocess.CompletedProcess[bytes]:
    ours, theirs = _both(*args)
    mask = rb"Global response time for [\1] = N usecs"
    assert TIME.sub(mask, ours.stdout) == TIME.sub(mask, theirs.stdout)
    assert ours.stderr == theirs.stderr
    assert ours.returncode == theirs.returncode
    return ours


def test_digest_the_same_as_keepalived() -> None:
    with tcp_server(responder(http_response(BODY))) as port:
        out = _same("-s", "127.0.0.1", "-p", str(port), "-u", "/index.html")
    assert out.stdout == hashlib.md5(BODY).hexdigest().encode() + b"\n"


def test_alivectl_genhash_and_chunked_body_decoded() -> None:
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n<html>\r\n0\r\n\r\n"
    with tcp_server(responder(chunked)) as port:
        out = subprocess.run(
            [sys.executable, "-c", CTL, "genhash", "-s", "127.0.0.1", "-p", str(port), "-u", "/"],
            capture_output=True,
            timeout=30,
            check=False,
        )
    # keepalived's genhash would hash the chunk framing too; the HTTP_GET probe compares this one
    assert (out.returncode, out.stdout) == (0, hashlib.md5(b"<html>").hexdigest().encode() + b"\n")


def test_verbose_output_the_same_as_keepalived() -> None:
    with tcp_server(responder(http_response(BODY))) as port:
        out = _same("-v", "-s", "127.0.0.1", "-p", str(port), "-u", "/index.html")
    assert b"HTML hash final resulting" in out.stdout


def test_long_body_long_options_and_protocol() -> None:
    body = bytes(range(256)) * 40  # more than keepalived's 4 KiB read buffer
    requests: list[bytes] = []
    with tcp_server(responder(http_response(body), requests)) as port:
        _same(
            "--server",
            "127.0.0.1",
            "--port",
            str(port),
            "--url",
            "/big",
            "-P",
            "1.1",
            "-V",
            "www.example.org",
        )
    ours, theirs = requests
    assert ours == theirs
    assert ours.startswith(b"GET /big HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\n")


def test_refused_and_no_data_the_same_as_keepalived() -> None:
    out = _same("-s", "127.0.0.1", "-p", str(closed_port()), "-u", "/")
    assert out.stdout == b"Connection failed\n"

    def close_at_once(conn: socket.socket) -> None:
        read_request(conn)

    with tcp_server(close_at_once) as port:
        out = _same("-s", "127.0.0.1", "-p", str(port), "-u", "/")
    assert out.stderr == b"no data received from remote webserver\n"


@pytest.mark.parametrize(
    "args",
    [
        (),
        ("-h",),
        ("--help", "-s", "127.0.0.1"),
        ("-s", "127.0.0.1", "-p", "80"),
        ("-s", "not-an-ip", "-p", "80", "-u", "/"),
        ("-s", "127.0.0.1", "-p", "0", "-u", "/"),
        ("-s", "127.0.0.1", "-p", "80x", "-u", "/"),
        ("-s", "127.0.0.1", "-p", "80", "-u", "/", "-P", "2.0"),
        ("-s", "127.0.0.1", "-p", "80", "-u", "/", "-t", "abc"),
        ("-s", "127.0.0.1", "-p", "80", "-u", "/", "-m", "-1"),
        ("-s", "127.0.0.1", "-p", "80", "-u", "/", "-x"),
        ("-s", "127.0.0.1", "-p", "80", "-u", "/", "--bogus"),
        ("-s", "127.0.0.1", "-p", "80", "-u"),
        ("-s", "127.0.0.1", "-p", "80", "-u", "/", "extra", "words"),
    ],
)
def test_bad_command_lines_the_same_as_keepalived(args: tuple[str, ...]) -> None:
    out = _same(*args)
    assert out.returncode == 1
    assert b"Usage: genhash COMMAND [OPTIONS]" in out.stderr


def test_dump_buffer_layout() -> None:
    assert dump_buffer(b"HTTP/1.0 200 OK\r\n\r\n") == (
        "0000  48 54 54 50 2f 31 2e 30 - 20 32 30 30 20 4f 4b 0d   HTTP/1.0 200 OK.\n"
        "0016  0a 0d 0a                -                           ...             \n"
    )


def test_ssl_with_sni_the_same_as_keepalived() -> None:
    import trustme

    from tests.unit.checkers.test_ssl import BODY as TLS_BODY
    from tests.unit.checkers.test_ssl import tls_server

    snis: list[str | None] = []
    with tls_server(trustme.CA().issue_cert("www.example.org"), snis) as port:
        out = _same("-S", "-I", "-V", "www.example.org", "-s", "127.0.0.1", "-p", str(port), "-u", "/")
    assert out.stdout == hashlib.md5(TLS_BODY).hexdigest().encode() + b"\n"
    assert snis == ["www.example.org", "www.example.org"]
