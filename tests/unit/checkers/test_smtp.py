"""SMTP_CHECK against a real SMTP server (aiosmtpd) and against servers that misbehave."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Iterator

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from alived.checkers.base import REGISTRY
from alived.checkers.smtp import SmtpParams, SmtpProbe, reply_code
from alived.core.check.result import ProbeResult
from tests.unit.checkers.servers import closed_port, connection, target, tcp_server


class Recorder:
    """An aiosmtpd handler that keeps every HELO name it is given."""

    def __init__(self) -> None:
        self.helos: list[str] = []

    async def handle_HELO(self, server: SMTP, session: Session, envelope: Envelope, hostname: str) -> str:
        del server, envelope
        session.host_name = hostname
        self.helos.append(hostname)
        return "250 pleased to meet you"


@contextlib.contextmanager
def smtp_server(handler: Recorder) -> Iterator[int]:
    port = closed_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, server_hostname="mx.example.org")
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def _check(*ports: int, helo: str | None = None, timeout_ms: int = 2000) -> ProbeResult:
    hosts = tuple(connection(p, timeout_ms) for p in ports)
    params = SmtpParams(hosts=hosts) if helo is None else SmtpParams(hosts=hosts, helo_name=helo)
    return asyncio.run(SmtpProbe(params, target(25)).attempt())


def test_registered() -> None:
    assert REGISTRY["SMTP_CHECK"] is SmtpProbe


def test_real_smtp_server_is_up_with_default_and_own_helo() -> None:
    recorder = Recorder()
    with smtp_server(recorder) as port:
        result = _check(port)
        assert result.success, result
        assert result.log_text == "Remote SMTP server [127.0.0.1]:tcp:25 succeed on service."
        assert _check(port, helo="checker.example.org").success
    assert recorder.helos == ["smtpchecker.keepalived.org", "checker.example.org"]


def test_every_host_must_answer() -> None:
    with smtp_server(Recorder()) as port:
        down = closed_port()
        result = _check(port, down)
    assert (result.success, result.reason) == (False, "connection refused")
    assert result.log_text == f"SMTP_CHECK Could not connect to server [127.0.0.1]:{down}"


def _scripted(*replies: bytes) -> object:
    def handle(conn: socket.socket) -> None:
        conn.sendall(replies[0])
        for reply in replies[1:]:
            conn.recv(1024)
            conn.sendall(reply)

    return handle


def test_bad_banner_is_down() -> None:
    with tcp_server(_scripted(b"554 go away\r\n")) as port:  # type: ignore[arg-type]
        result = _check(port)
    assert (result.success, result.reason) == (False, "bad greeting banner")
    assert result.log_text == f"SMTP_CHECK Bad greeting banner from server [127.0.0.1]:{port}"


def test_bad_helo_reply_is_down() -> None:
    with tcp_server(_scripted(b"220 hi\r\n", b"501 no\r\n")) as port:  # type: ignore[arg-type]
        result = _check(port)
    assert (result.success, result.reason) == (False, "bad HELO response")


def test_multiline_banner_and_any_quit_reply() -> None:
    with tcp_server(_scripted(b"220-first\r\n220 second\r\n", b"250 ok\r\n", b"500 whatever\r\n")) as port:  # type: ignore[arg-type]
        assert _check(port).success


def test_silent_server_times_out() -> None:
    def silent(conn: socket.socket) -> None:
        time.sleep(1.0)

    with tcp_server(silent) as port:
        result = _check(port, timeout_ms=200)
    assert (result.success, result.reason) == (False, "read timeout")
    assert result.log_text == f"SMTP_CHECK Read timeout from server [127.0.0.1]:{port}"


def test_endless_line_is_a_clean_down() -> None:
    def endless(conn: socket.socket) -> None:
        while True:
            conn.sendall(b"2" * 65536)

    with tcp_server(endless) as port:
        result = _check(port)
    assert (result.success, result.reason) == (False, "reply line too long")


def test_reply_code_as_keepalived() -> None:
    assert reply_code(b"220 mx ready\r\n") == 220
    assert reply_code(b"220\r\n") == 220
    assert reply_code(b"22 x\r\n") is None
    assert reply_code(b"220x\r\n") is None
