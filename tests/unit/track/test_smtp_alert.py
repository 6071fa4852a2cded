"""notify/smtp.py: keepalived's alert texts, and delivery to a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from aiosmtpd.controller import Controller

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
    host = socket.gethostname()
    assert (s.server, s.port, s.helo, s.router_id, s.timeout) == ("192.0.2.9", 2525, host, host, 30.0)
    assert s.sender.endswith(f"@{host}")


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
