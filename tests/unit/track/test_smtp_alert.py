"""notify/smtp.py: keepalived's alert texts, and delivery to a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
import struct
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from alived import localname
from alived.config.load import load_text
from alived.daemon.vrrp import mail_alerts
from alived.daemon.vrrp.mail_alerts import settings_from
from alived.notify.smtp import (
    Mailer,
    SmtpSettings,
    VrrpMailer,
    checker_alert,
    format_message,
    real_server_removed_alert,
    rfc822_date,
    to_header,
    virtual_server_alert,
    vrrp_alert,
)


def test_vrrp_texts_as_keepalived_writes_them() -> None:
    assert vrrp_alert("lb1", "INSTANCE", "VI_1", "MASTER") == (
        "[lb1] VRRP Instance VI_1 - Entering MASTER state",
        "=> VRRP Instance is now owning VRRP VIPs <=",
    )
    assert vrrp_alert("lb1", "INSTANCE", "VI_1", "BACKUP") == (
        "[lb1] VRRP Instance VI_1 - Entering BACKUP state",
        "=> VRRP Instance is no longer owning VRRP VIPs <=",
    )
    assert vrrp_alert("lb1", "INSTANCE", "VI_1", "FAULT") == (
        "[lb1] VRRP Instance VI_1 - Entering FAULT state",
        "=> VRRP Instance is no longer owning VRRP VIPs <=",
    )
    assert vrrp_alert("lb1", "INSTANCE", "VI_1", "STOP") == (
        "[lb1] VRRP Instance VI_1 - Stopping",
        "=> VRRP Instance stopping <=",
    )
    assert vrrp_alert("lb1", "INSTANCE", "VI_1", "DELETED") == (
        "[lb1] VRRP Instance VI_1 - Deleted",
        "=> VRRP Deleted at reload <=",
    )
    assert vrrp_alert("lb1", "GROUP", "G1", "MASTER") == (
        "[lb1] VRRP Group G1 - Entering MASTER state",
        "=> All VRRP group instances are now in MASTER state <=",
    )
    assert vrrp_alert("lb1", "GROUP", "G1", "STOP") == (
        "[lb1] VRRP Group G1 - Stopping",
        "=> All VRRP group instances are now stopping <=",
    )
    assert vrrp_alert("lb1", "GROUP", "G1", "DELETED") is None
    assert vrrp_alert("lb1", "INSTANCE", "VI_1", "MASTER_PRIORITY") is None


def test_checker_texts() -> None:
    rs, vs = "[192.0.2.10]:tcp:80", "[192.0.2.100]:tcp:80"
    assert checker_alert("lb1", rs, vs, False, "TCP") == (
        "[lb1] Realserver [192.0.2.10]:tcp:80 of virtual server [192.0.2.100]:tcp:80 - DOWN",
        "=> TCP CHECK failed on service <=",
    )
    assert checker_alert("lb1", rs, vs, True, "HTTP_GET")[1] == "=> HTTP_GET CHECK succeed on service <="
    assert real_server_removed_alert("lb1", rs, vs, stopping=True)[1] == "=> Shutting down <="
    assert (
        virtual_server_alert("lb1", vs, True, "=> x <=")[0] == "[lb1] Virtualserver [192.0.2.100]:tcp:80 - UP"
    )
    long_name = "x" * 400
    assert len(vrrp_alert(long_name, "INSTANCE", "VI_1", "MASTER")[0]) == 255  # type: ignore[index]


def test_message_layout_and_date() -> None:
    text = format_message("a@example.com", ("b@example.com", "c@example.com"), "S", "B", "D")
    assert text == (
        "Date: D\r\nFrom: a@example.com\r\nSubject: S\r\nX-Mailer: Keepalived\r\n"
        "To: b@example.com, c@example.com\r\n\r\nB\r\n\r\n"
    )
    date = rfc822_date(0)
    assert len(date.split()) == 6 and date[3:5] == ", "


def test_settings_defaults_and_absence() -> None:
    base = (
        "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress { 192.0.2.1 }\n}\n"
    )
    assert settings_from(load_text(base).config.global_defs) is None
    conf = "global_defs {\n notification_email { ops@example.com }\n smtp_server 192.0.2.9 2525\n}\n" + base
    s = settings_from(load_text(conf).config.global_defs)
    assert s is not None
    host = localname.local_name() or "localhost"  # a node name that resolves, as on most hosts
    assert (s.server, s.port, s.helo, s.timeout) == ("192.0.2.9", 2525, host, 30.0)
    assert s.sender.endswith(f"@{host}") or s.sender == "(null)"


def test_the_local_name_is_keepalived_s(monkeypatch: pytest.MonkeyPatch) -> None:
    """The canonical name of the node name; unresolvable: "[unknown]", HELO localhost, no sender."""
    conf = (
        "global_defs {\n notification_email { ops@example.com }\n smtp_server 192.0.2.9\n}\n"
        "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress { 192.0.2.1 }\n}\n"
    )
    g = load_text(conf).config.global_defs
    asked: list[tuple[object, ...]] = []

    def canonical(*args: object, **kw: object) -> list[tuple[object, ...]]:
        asked.append((*args, kw.get("flags")))
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "box.example.com", ("192.0.2.7", 0))]

    def unknown(*args: object, **kw: object) -> list[tuple[object, ...]]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    localname.local_name.cache_clear()
    monkeypatch.setattr(localname.socket, "getaddrinfo", canonical)
    try:
        s = settings_from(g)
        assert s is not None and (s.helo, s.router_id) == ("box.example.com", "box.example.com")
        assert s.sender.endswith("@box.example.com")
        assert asked == [(os.uname().nodename, None, socket.AI_CANONNAME)]
        settings_from(g)
        assert len(asked) == 1  # looked up once per process
        localname.local_name.cache_clear()
        monkeypatch.setattr(localname.socket, "getaddrinfo", unknown)
        s = settings_from(g)
        assert s is not None and (s.helo, s.router_id, s.sender) == ("localhost", "[unknown]", "(null)")
    finally:
        localname.local_name.cache_clear()


class Sink:
    def __init__(self) -> None:
        self.envelopes: list[Any] = []
        self.refuse_rcpt = False

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.refuse_rcpt:
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def sink() -> Iterator[tuple[Sink, int]]:
    handler = Sink()
    with socket.socket() as probe:  # aiosmtpd 1.4 cannot report a port 0 choice: pick a free one
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def settings(port: int, **kw: Any) -> SmtpSettings:
    base = SmtpSettings(
        server="127.0.0.1",
        port=port,
        helo="node-a",
        sender="alived@example.com",
        recipients=("ops@example.com", "dev@example.com"),
        timeout=5.0,
        router_id="node-a",
    )
    return replace(base, **kw)


def test_one_mail_reaches_a_real_server(sink: tuple[Sink, int]) -> None:
    handler, port = sink

    async def go() -> Mailer:
        mailer = Mailer(settings(port))
        assert mailer.send(*vrrp_alert("node-a", "INSTANCE", "VI_1", "MASTER"))  # type: ignore[misc]
        await mailer.drain(10)
        return mailer

    mailer = asyncio.run(go())
    assert mailer.sent == 1 and mailer.failed == 0
    (env,) = handler.envelopes
    assert env.mail_from == "alived@example.com"
    assert env.rcpt_tos == ["ops@example.com", "dev@example.com"]
    text = env.content.decode()
    assert "Subject: [node-a] VRRP Instance VI_1 - Entering MASTER state\r\n" in text
    assert "X-Mailer: Keepalived\r\nTo: ops@example.com, dev@example.com\r\n\r\n" in text
    assert text.endswith("\r\n\r\n=> VRRP Instance is now owning VRRP VIPs <=\r\n\r\n")


def test_a_refused_recipient_and_a_dead_server_are_one_log_line(
    sink: tuple[Sink, int], caplog: pytest.LogCaptureFixture
) -> None:
    handler, port = sink
    handler.refuse_rcpt = True
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        dead_port = spare.getsockname()[1]  # bound, never listening: the connect is refused

        async def go() -> tuple[Mailer, Mailer]:
            refusing, dead = Mailer(settings(port)), Mailer(settings(dead_port))
            assert refusing.send("s", "b") and dead.send("s", "b")
            await refusing.drain(10)
            await dead.drain(10)
            return refusing, dead

        with caplog.at_level(logging.INFO, logger="alived.smtp"):
            refusing, dead = asyncio.run(go())
    assert (refusing.sent, refusing.failed, dead.sent, dead.failed) == (0, 1, 0, 1)
    assert handler.envelopes == []
    lines = [r.getMessage() for r in caplog.records]
    assert f"Error processing RCPT cmd on SMTP server [127.0.0.1]:{port}. SMTP status code = 550" in lines
    assert any(line.startswith("smtp fd ") and line.endswith(" returned write error") for line in lines)


def test_send_never_blocks_and_is_bounded() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)  # never accepts nor greets: every send waits in the background

        async def go() -> list[bool]:
            mailer = Mailer(settings(silent.getsockname()[1], timeout=30.0))
            results = [mailer.send("s", "b") for _ in range(40)]
            assert mailer.pending == 32  # counted when queued: no wait on the network to judge it
            await asyncio.sleep(0.05)
            assert mailer.pending <= 32
            mailer.cancel()
            await asyncio.sleep(0)
            return results

        results = asyncio.run(go())
    assert results.count(True) == 32
    assert Mailer(None).send("s", "b") is False


def test_vrrp_mailer_rules() -> None:
    conf = """
global_defs {
  router_id r1
  notification_email { ops@example.com }
  smtp_server 127.0.0.1 1
  no_email_faults
}
vrrp_sync_group G { group { VI_1 } smtp_alert }
vrrp_instance VI_1 { interface eth0
 virtual_router_id 1
 smtp_alert
 virtual_ipaddress { 192.0.2.1 } }
vrrp_instance VI_2 { interface eth0
 virtual_router_id 2
 virtual_ipaddress { 192.0.2.2 } }
"""
    sent: list[tuple[str, str]] = []
    vm = VrrpMailer()
    mail_alerts.configure(vm, load_text(conf).config)
    vm.mailer.send = lambda subject, body: sent.append((subject, body)) or True  # type: ignore[method-assign]
    vm.transition("INSTANCE", "VI_1", "BACKUP")
    vm.transition("INSTANCE", "VI_1", "BACKUP")  # same state: one mail
    vm.transition("INSTANCE", "VI_1", "FAULT")  # no_email_faults
    vm.transition("INSTANCE", "VI_1", "MASTER_PRIORITY")
    vm.transition("INSTANCE", "VI_2", "MASTER")  # no smtp_alert
    vm.transition("GROUP", "G", "MASTER")
    assert [s for s, _ in sent] == [
        "[r1] VRRP Instance VI_1 - Entering BACKUP state",
        "[r1] VRRP Group G - Entering MASTER state",
    ]


class Scripted:
    """A loopback SMTP server that answers from a script and keeps what the client wrote.

    `greeting` is the first reply (None: never a word); each line read is answered from
    `replies` by its verb (absent: no answer; "RESET": a reset); "HANGUP" as the greeting
    closes at once.
    """

    def __init__(self, greeting: str | None, replies: dict[str, str]) -> None:
        self.greeting = greeting
        self.replies = replies
        self.received = b""

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.greeting == "HANGUP":
            writer.close()
            return
        if self.greeting is not None:
            writer.write(self.greeting.encode() + b"\r\n")
        in_data = False
        while line := await reader.readline():
            self.received += line
            if in_data:
                if line == b".\r\n":
                    in_data = False
                    writer.write(self.replies["."].encode() + b"\r\n")
                continue
            verb = line.split(b" ")[0].split(b":")[0].strip().decode()
            reply = self.replies.get(verb)
            if reply == "RESET":  # an RST, not a FIN: the client reads an error, not an end
                sock = writer.get_extra_info("socket")
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                break
            if reply is not None:
                writer.write(reply.encode() + b"\r\n")
                in_data = verb == "DATA" and reply.startswith("354")
            if verb == "QUIT" and reply is not None:
                break
        writer.close()


HAPPY = {
    "HELO": "250 hi",
    "MAIL": "250 ok",
    "RCPT": "250 ok",
    "DATA": "354 go",
    ".": "250 queued",
    "QUIT": "221 bye",
}


def converse(server: Scripted, timeout: float = 5.0) -> tuple[Mailer, list[str], int]:
    """One mail to `server`; the mailer, its log lines (fd numbers masked) and the port."""

    async def go() -> tuple[Mailer, int]:
        listener = await asyncio.start_server(server.serve, "127.0.0.1", 0)
        port = listener.sockets[0].getsockname()[1]
        mailer = Mailer(settings(port, timeout=timeout), clock=lambda: 0.0)
        assert mailer.send("[node-a] VRRP Instance VI_1 - Entering MASTER state", "=> body <=")
        await mailer.drain(10)
        listener.close()
        return mailer, port

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("alived.smtp")
    logger.addHandler(handler)
    old = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        mailer, port = asyncio.run(go())
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)
    lines = [re.sub(r"fd \d+", "fd N", r.getMessage().replace(str(port), "PORT")) for r in records]
    return mailer, lines, port


def test_the_dialogue_is_keepalived_s_byte_for_byte() -> None:
    server = Scripted("220 mx ready", HAPPY)
    mailer, lines, _ = converse(server)
    date = rfc822_date(0.0)
    assert server.received.decode() == (
        "HELO node-a\r\nMAIL FROM:<alived@example.com>\r\n"
        "RCPT TO:<ops@example.com>\r\nRCPT TO:<dev@example.com>\r\nDATA\r\n"
        f"Date: {date}\r\nFrom: alived@example.com\r\n"
        "Subject: [node-a] VRRP Instance VI_1 - Entering MASTER state\r\nX-Mailer: Keepalived\r\n"
        "To: ops@example.com, dev@example.com\r\n\r\n=> body <=\r\n\r\n.\r\nQUIT\r\n"
    )
    assert (mailer.sent, mailer.failed) == (1, 0)
    assert lines == ["Remote SMTP server [127.0.0.1]:PORT connected.", "SMTP alert successfully sent."]


@pytest.mark.parametrize(
    ("greeting", "replies", "logged", "quit_sent"),
    [
        # a silent server: the greeting times out, QUIT is sent, its reply times out too
        (None, {}, ["Timeout reading data to remote SMTP server [127.0.0.1]:PORT."] * 2, True),
        ("HANGUP", {}, ["Remote SMTP server [127.0.0.1]:PORT has closed the connection."], False),
        (
            "554 go away",
            {"QUIT": "221 bye"},
            ["Error processing (E)SMTP cmd on SMTP server [127.0.0.1]:PORT. SMTP status code = 554"],
            True,
        ),
        (
            "220 mx",
            {**HAPPY, ".": "452 full"},
            ["Error processing BODY cmd on SMTP server [127.0.0.1]:PORT. SMTP status code = 452"],
            True,
        ),
        (
            "220 mx",
            {**HAPPY, "DATA": "503 no"},
            ["Error processing DATA cmd on SMTP server [127.0.0.1]:PORT. SMTP status code = 503"],
            True,
        ),
        ("220 mx", {"HELO": "RESET"}, ["smtp fd N returned read error"], False),
        (
            "220 mx",
            {**HAPPY, "QUIT": "500 what"},
            [
                "SMTP alert successfully sent.",
                "Error processing QUIT cmd on SMTP server [127.0.0.1]:PORT. SMTP status code = 500",
            ],
            True,
        ),
    ],
)
def test_an_unhappy_server_costs_keepalived_s_lines(
    greeting: str | None, replies: dict[str, str], logged: list[str], quit_sent: bool
) -> None:
    server = Scripted(greeting, replies)
    mailer, lines, _ = converse(server, timeout=0.3)
    assert lines[0] == "Remote SMTP server [127.0.0.1]:PORT connected."
    assert lines[1:] == logged
    assert server.received.endswith(b"QUIT\r\n") is quit_sent
    assert mailer.pending == 0


def test_the_to_header_holds_what_keepalived_s_buffer_holds() -> None:
    assert to_header(("a@example.com", "b@example.com")) == "a@example.com, b@example.com"
    long = tuple(f"user-{i:02d}@example.com" for i in range(60))  # 19 bytes each, 21 with ", "
    header = to_header(long)
    # 48 addresses fit in 1023 bytes (48 * 21 - 2 = 1006); the 49th's ", " (1008) fits, it does not
    assert header == ", ".join(long[:48]) + ", "
    assert len(header) == 1008


def test_a_text_longer_than_keepalived_s_buffer_is_cut_before_its_dot() -> None:
    server = Scripted("220 mx", HAPPY)
    many = tuple(f"user-{i:02d}@example.com" for i in range(60))

    async def go() -> list[str]:
        listener = await asyncio.start_server(server.serve, "127.0.0.1", 0)
        port = listener.sockets[0].getsockname()[1]
        mailer = Mailer(settings(port, timeout=0.3, recipients=many), clock=lambda: 0.0)
        assert mailer.send("subject", "=> body <=")
        await mailer.drain(10)
        listener.close()
        return [str(mailer.sent), str(mailer.failed)]

    assert asyncio.run(go()) == ["0", "1"]
    data = server.received.split(b"DATA\r\n", 1)[1]
    assert data.endswith(b"QUIT\r\n")  # sent after the read timed out, read as more text
    text = data[: -len(b"QUIT\r\n")]
    assert len(text) == 1023 and b"\r\n.\r\n" not in text
    full = format_message("alived@example.com", many, "subject", "=> body <=", rfc822_date(0.0))
    assert text == (full + ".\r\n").encode()[:1023]
