"""smtp_alert on the checker side: which transitions mail, with keepalived 2.2.7's words."""

from __future__ import annotations

import asyncio
from ipaddress import ip_address

from alived.config import model, model_check
from alived.core.check.actions import Mail
from alived.daemon.check.alerts import CheckMailer, wording
from alived.daemon.check.params import build
from alived.notify.smtp import Mailer, SmtpSettings
from tests.unit.check.harness import Driver, checker, real, virtual
from tests.unit.check.test_engine import down_after

RS1 = "192.0.2.21"
RS2 = "192.0.2.22"
VS = "[192.0.2.10]:tcp:80"


def mails(d: Driver) -> list[Mail]:
    return [a for a in d.actions if isinstance(a, Mail)]


def test_a_real_server_going_down_and_up_mails_once_each_way() -> None:
    d = Driver([virtual(real(RS1, smtp_alert=True), real(RS2))], down_after(RS1, 5, up_again=25))
    d.run_until(40)
    rs = "[192.0.2.21]:tcp:80"
    assert mails(d) == [
        Mail(
            kind="rs", virtual_server=VS, real_server=rs, up=False, body="=> TCP CHECK failed on service <="
        ),
        Mail(
            kind="rs", virtual_server=VS, real_server=rs, up=True, body="=> TCP CHECK succeed on service <="
        ),
    ]


def test_no_mail_without_smtp_alert_and_none_for_a_success_that_changes_nothing() -> None:
    d = Driver([virtual(real(RS1), real(RS2, smtp_alert=True))], down_after(RS1, 5))
    d.run_until(40)
    assert mails(d) == []


def test_quorum_changes_mail_when_the_virtual_server_has_smtp_alert() -> None:
    vs = virtual(real(RS1), real(RS2), quorum=2, smtp_alert=True)
    d = Driver([vs], down_after(RS1, 5, up_again=25))
    d.run_until(40)
    vs_mails = [m for m in mails(d) if m.kind == "vs"]
    # keepalived judges the quorum with nothing alive, then adds the servers: the start mails too.
    assert vs_mails == [
        Mail(kind="vs", virtual_server=VS, up=True, body="=> Starting with quorum up 2+0=2 <= 2 <="),
        Mail(kind="vs", virtual_server=VS, up=False, body="=> Lost quorum 2+0=2 <= 1 <="),
        Mail(kind="vs", virtual_server=VS, up=True, body="=> Gained quorum 2+0=2 <= 2 <="),
    ]


def test_two_checkers_each_mail_with_the_real_server_state_in_the_subject() -> None:
    http = checker(RS1, keyword="HTTP_GET", identity=("HTTP_GET", RS1))
    tcp = checker(RS1, keyword="TCP_CHECK", identity=("TCP_CHECK", RS1))
    rs = real(RS1, tcp, http, smtp_alert=True)
    calls: list[str] = []

    def respond(addr: str, now: int) -> object:
        from tests.unit.check.harness import FAIL, OK

        calls.append(addr)
        # Both fail from 5 s; from 25 s every other attempt passes, so one checker comes back alone.
        n = len(calls)
        if now < 5_000_000:
            return OK
        if now >= 25_000_000 and n % 2 == 0:
            return OK
        return FAIL

    d = Driver([virtual(rs)], respond)  # type: ignore[arg-type]
    d.run_until(40)
    got = [(m.up, m.body) for m in mails(d)]
    assert (False, "=> TCP CHECK failed on service <=") in got
    assert (False, "=> CHECK failed on service : HTTP request failed <=") in got
    # One checker came back while the other is still down: it mails, the subject stays DOWN.
    assert [m for m in got if "succeed" in m[1]] and all(not up for up, _ in got)


def test_no_checker_emails_mails_only_when_the_real_server_moves() -> None:
    http = checker(RS1, keyword="HTTP_GET", identity=("HTTP_GET", RS1))
    tcp = checker(RS1, keyword="TCP_CHECK", identity=("TCP_CHECK", RS1))
    rs = real(RS1, tcp, http, smtp_alert=True)
    d = Driver([virtual(rs, no_checker_emails=True)], down_after(RS1, 5))
    d.run_until(20)
    assert len(mails(d)) == 1  # the first checker down moves the server; the second does not


def test_shutdown_with_omega_mails_shutting_down() -> None:
    d = Driver([virtual(real(RS1, smtp_alert=True), omega=True, smtp_alert=True)], down_after(RS1, 99))
    d.run_until(5)
    d.core.stop(d.now)
    got = d.core.pop_actions()
    assert (
        Mail(
            kind="rs_shut",
            virtual_server=VS,
            real_server="[192.0.2.21]:tcp:80",
            up=False,
            body="=> Shutting down <=",
        )
        in got
    )
    assert Mail(kind="vs", virtual_server=VS, up=False, body="=> Shutting down <=") in got


def _config(g: model.GlobalDefs, rs_flag: bool | None, vs_flag: bool | None) -> model.Config:
    c = model_check.TcpCheck()
    rs = model.RealServer(
        address=ip_address(RS1), port=80, smtp_alert=rs_flag, checkers=(c,), effective_port=80
    )
    vs = model.VirtualServer(
        address=ip_address("192.0.2.10"), port=80, smtp_alert=vs_flag, real_servers=(rs,)
    )
    return model.Config(global_defs=g, virtual_servers=(vs,))


def test_the_flags_default_as_keepalived_check_data() -> None:
    cases = [
        (model.GlobalDefs(), None, None, (True, False)),
        (model.GlobalDefs(smtp_alert=False), None, None, (False, False)),
        (model.GlobalDefs(smtp_alert=True), None, None, (True, True)),
        (model.GlobalDefs(smtp_alert=True, smtp_alert_checker=False), None, None, (False, False)),
        (model.GlobalDefs(smtp_alert=False), True, True, (True, True)),
    ]
    for g, rs_flag, vs_flag, want in cases:
        built = build(_config(g, rs_flag, vs_flag))
        vs = built.virtual_servers[0]
        assert (vs.real_servers[0].smtp_alert, vs.smtp_alert) == want, (g, rs_flag, vs_flag)


def test_subjects_as_keepalived_smtp_c() -> None:
    rs_mail = Mail(kind="rs", virtual_server=VS, real_server="[192.0.2.21]:tcp:80", up=False, body="b")
    assert wording("lb1", rs_mail) == (
        "[lb1] Realserver [192.0.2.21]:tcp:80 of virtual server [192.0.2.10]:tcp:80 - DOWN",
        "b",
    )
    assert wording("lb1", Mail(kind="vs", virtual_server=VS, up=True, body="x")) == (
        "[lb1] Virtualserver [192.0.2.10]:tcp:80 - UP",
        "x",
    )


class FakeMailer(Mailer):
    def __init__(self) -> None:
        super().__init__(None)
        self.outbox: list[tuple[str, str]] = []

    def send(self, subject: str, body: str) -> bool:
        self.outbox.append((subject, body))
        return True


def test_the_child_mailer_sends_nothing_without_smtp_settings_and_words_each_mail() -> None:
    fake = FakeMailer()
    m = CheckMailer(fake)
    mail = Mail(kind="rs", virtual_server=VS, real_server="[192.0.2.21]:tcp:80", up=True, body="b")
    m.configure(model.GlobalDefs())
    m.send(mail)
    assert fake.outbox == []
    m.configure(
        model.GlobalDefs(smtp_server="192.0.2.1", notification_email=("a@example.org",), router_id="r")
    )
    assert isinstance(fake.settings, SmtpSettings)
    m.send(mail)
    assert fake.outbox == [
        ("[r] Realserver [192.0.2.21]:tcp:80 of virtual server [192.0.2.10]:tcp:80 - UP", "b")
    ]
    asyncio.run(m.drain(0.1))
