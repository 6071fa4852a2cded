"""E-mail alerts as keepalived sends them (core/smtp.c, vrrp_notify.c), without blocking the caller.

The texts are pure functions: `vrrp_alert` (instance or sync-group transitions), `checker_alert`
(a real server's checker going up or down), `virtual_server_alert` and `format_message` (the
DATA part: Date, From, Subject, X-Mailer, To, the body and an empty line). `SmtpSettings`
comes from global_defs (daemon/vrrp/mail_alerts.py); without one nothing is ever sent.

`Mailer.send(subject, body)` only queues: each mail is delivered by its own asyncio task
(at most MAX_PENDING waiting or in flight; beyond that a mail is dropped and logged), over
plain SMTP as keepalived's smtp.c speaks it: a non-blocking connect, HELO (never EHLO),
MAIL FROM, one RCPT TO per recipient, DATA, the text, QUIT, with aiosmtplib's protocol
parsing the replies; the connect and every reply are bounded by smtp_connect_timeout. An
unexpected code or a silent server is logged in keepalived's words and answered with QUIT;
a connect that fails at once (no route) is dropped without a word, as keepalived drops it.
Nothing of this ever blocks the loop. Mails still pending when the daemon stops are
abandoned, as keepalived's are when it exits.

The checker child calls `Mailer.send(*checker_alert(...))` (texts below) with the same
settings; `VrrpMailer` adds keepalived's per-instance rules on top (smtp_alert, no_email_faults,
one mail per state actually entered).
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiosmtplib.protocol import SMTPProtocol

log = logging.getLogger("alived.smtp")

MAX_HEADERS_LENGTH = 256  # keepalived's buffers: the subject and body are cut to fit
MAX_BODY_LENGTH = 512
# keepalived writes every command, the DATA text included, into one 1024-byte buffer with
# snprintf: anything longer is cut, the final dot too (the server then waits, and so does
# keepalived, until its read times out). The To header has a buffer of the same size.
SMTP_BUFFER_MAX = 1024
MAX_PENDING = 32

_VRRP_TEXTS = {
    # state: (subject, instance body, group body)
    "MASTER": (
        "Entering MASTER state",
        "=> VRRP Instance is now owning VRRP VIPs <=",
        "=> All VRRP group instances are now in MASTER state <=",
    ),
    "BACKUP": (
        "Entering BACKUP state",
        "=> VRRP Instance is no longer owning VRRP VIPs <=",
        "=> All VRRP group instances are now in BACKUP state <=",
    ),
    "FAULT": (
        "Entering FAULT state",
        "=> VRRP Instance is no longer owning VRRP VIPs <=",
        "=> All VRRP group instances are now in FAULT state <=",
    ),
    "STOP": ("Stopping", "=> VRRP Instance stopping <=", "=> All VRRP group instances are now stopping <="),
    "DELETED": ("Deleted", "=> VRRP Deleted at reload <=", ""),
}


def _subject(router_id: str | None, text: str) -> str:
    full = f"[{router_id}] {text}" if router_id else text
    return full[: MAX_HEADERS_LENGTH - 1]


def vrrp_alert(router_id: str | None, kind: str, name: str, state: str) -> tuple[str, str] | None:
    """(subject, body) for an INSTANCE or GROUP entering `state`; None for states keepalived never mails."""
    texts = _VRRP_TEXTS.get(state)
    if texts is None or (kind == "GROUP" and not texts[2]):
        return None
    what = "Group" if kind == "GROUP" else "Instance"
    body = texts[2] if kind == "GROUP" else texts[1]
    return _subject(router_id, f"VRRP {what} {name} - {texts[0]}"), body


def checker_alert(
    router_id: str | None, real_server: str, virtual_server: str, up: bool, check: str
) -> tuple[str, str]:
    """(subject, body) for a checker moving a real server (keepalived's SMTP_MSG_RS).

    real_server and virtual_server are named as keepalived's FMT_RS / FMT_VS write them, e.g.
    "[192.0.2.10]:tcp:80" and "[192.0.2.100]:tcp:80"; `check` is the checker's word in the body:
    "TCP" gives "=> TCP CHECK succeed on service <=" / "=> TCP CHECK failed on service <=" (the
    others: "HTTP_GET", "SSL_GET", "SMTP", "DNS", "UDP", "PING", "MISC", "FILE", "BFD").
    """
    state = "UP" if up else "DOWN"
    subject = _subject(router_id, f"Realserver {real_server} of virtual server {virtual_server} - {state}")
    body = f"=> {check} CHECK {'succeed' if up else 'failed'} on service <="
    return subject, body[: MAX_BODY_LENGTH - 1]


def real_server_removed_alert(
    router_id: str | None, real_server: str, virtual_server: str, *, stopping: bool
) -> tuple[str, str]:
    """(subject, body) for a real server taken out at reload or shutdown (SMTP_MSG_RS_SHUT)."""
    subject = _subject(router_id, f"Realserver {real_server} of virtual server {virtual_server} - DOWN")
    return subject, "=> Shutting down <=" if stopping else "=> Removing <="


def virtual_server_alert(router_id: str | None, virtual_server: str, up: bool, body: str) -> tuple[str, str]:
    """(subject, body) for a virtual server's quorum going up or down (SMTP_MSG_VS)."""
    state = "UP" if up else "DOWN"
    return _subject(router_id, f"Virtualserver {virtual_server} - {state}"), body[: MAX_BODY_LENGTH - 1]


def rfc822_date(when: float | None = None) -> str:
    """The Date header as keepalived writes it: local time, "Mon, 01 Mar 2021 09:44:08 +0000"."""
    return time.strftime("%a, %d %b %Y %H:%M:%S %z", time.localtime(when))


def to_header(recipients: tuple[str, ...]) -> str:
    """The To header's value as keepalived builds it: addresses while they fit its buffer.

    Its ", " goes in before it checks that the next address fits, so a cut list ends with one.
    """
    out = ""
    room = SMTP_BUFFER_MAX - 1
    for i, rcpt in enumerate(recipients):
        if i:
            if room < 2:
                break
            out += ", "
            room -= 2
        size = len(rcpt.encode())
        if room < size:
            break
        out += rcpt
        room -= size
    return out


def format_message(sender: str, recipients: tuple[str, ...], subject: str, body: str, date: str) -> str:
    """The DATA text (without the final dot), headers in keepalived's order."""
    return (
        f"Date: {date}\r\nFrom: {sender}\r\nSubject: {subject}\r\n"
        f"X-Mailer: Keepalived\r\nTo: {to_header(recipients)}\r\n\r\n{body}\r\n\r\n"
    )


def format_host(host: str, port: int) -> str:
    """keepalived's inet_sockaddrtopair: "[192.0.2.1]:25"."""
    return f"[{host}]:{port}"


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    server: str
    port: int
    helo: str
    sender: str
    recipients: tuple[str, ...]
    timeout: float
    router_id: str | None


class Mailer:
    """Queue mails and deliver them in the background; `send` never blocks nor raises."""

    def __init__(self, settings: SmtpSettings | None, *, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.clock = clock
        self._tasks: set[asyncio.Task[None]] = set()
        self.sent = 0
        self.failed = 0

    @property
    def pending(self) -> int:
        return len(self._tasks)

    def send(self, subject: str, body: str) -> bool:
        """Queue one mail; False when nothing was queued (no settings, no loop, or too many pending)."""
        settings = self.settings
        if settings is None:
            return False
        if len(self._tasks) >= MAX_PENDING:
            log.info("SMTP alert dropped, %d already waiting: %s", len(self._tasks), subject)
            return False
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
        date = rfc822_date(self.clock())
        body = body[: MAX_BODY_LENGTH - 1]
        text = format_message(settings.sender, settings.recipients, subject, body, date)
        task = loop.create_task(self._deliver(settings, text), name="smtp alert")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def drain(self, timeout: float) -> None:
        """Wait (bounded) for the mails in flight; tests and an orderly stop may use it."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    def cancel(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    async def _deliver(self, s: SmtpSettings, text: str) -> None:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(s.server, s.port, type=socket.SOCK_STREAM)
        except OSError:
            # keepalived resolves the name once, when it reads the config, and sends nothing
            # for a server it cannot resolve.
            self.failed += 1
            return
        family, kind, proto, _, address = infos[0]
        host = format_host(str(address[0]), int(address[1]))
        sock = socket.socket(family, kind | socket.SOCK_CLOEXEC | socket.SOCK_NONBLOCK, proto)
        try:
            connected = await _connect(sock, address, s.timeout, host)
        except BaseException:
            sock.close()
            raise
        if not connected:
            sock.close()
            self.failed += 1
            return
        if await _Dialogue(s, host, sock.fileno()).run(sock, text):
            self.sent += 1
        else:
            self.failed += 1


async def _connect(sock: socket.socket, address: tuple[object, ...], timeout: float, host: str) -> bool:
    """keepalived's non-blocking connect: True once connected, else False after its log line if any."""
    loop = asyncio.get_running_loop()
    fd = sock.fileno()
    err = sock.connect_ex(address)
    if err not in (0, errno.EINPROGRESS):
        # No route, refused at once...: keepalived's connect_fail, closed without a word.
        return False
    if err == errno.EINPROGRESS:
        ready: asyncio.Future[None] = loop.create_future()

        def writable() -> None:
            if not ready.done():
                ready.set_result(None)

        loop.add_writer(fd, writable)
        try:
            async with asyncio.timeout(timeout):
                await ready
        except TimeoutError:
            log.info("Timeout opening connection to remote SMTP server %s.", host)
            return False
        finally:
            loop.remove_writer(fd)
        if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
            # keepalived's scheduler sees the error on the write event before it looks at SO_ERROR.
            log.info("smtp fd %d returned write error", fd)
            return False
    log.debug("Remote SMTP server %s connected.", host)
    return True


_EXPECTED = {"(E)SMTP": 220, "HELO": 250, "MAIL": 250, "RCPT": 250, "DATA": 354, "BODY": 250, "QUIT": 221}


class _Dialogue:
    """keepalived's SMTP state machine over aiosmtplib's reply parser: one reply per command.

    A reply with another code than the step expects, or a read timeout, is logged and followed
    by QUIT (a second timeout waiting for its reply is logged again); the server closing or
    resetting the connection ends the session at once. The message goes out as keepalived
    writes it: the DATA text as is, then the final dot.
    """

    def __init__(self, s: SmtpSettings, host: str, fd: int) -> None:
        self.s = s
        self.host = host
        self.fd = fd
        self.sent = False

    async def run(self, sock: socket.socket, text: str) -> bool:
        # Imported on the first mail only: most configurations never send one.
        from aiosmtplib.protocol import SMTPProtocol  # noqa: PLC0415

        loop = asyncio.get_running_loop()
        protocol = SMTPProtocol(loop=loop)
        try:
            transport, _ = await loop.create_connection(lambda: protocol, sock=sock)
        except OSError:
            sock.close()
            return False
        s = self.s
        steps = [("(E)SMTP", b""), ("HELO", f"HELO {s.helo}\r\n".encode())]
        steps.append(("MAIL", f"MAIL FROM:<{s.sender}>\r\n".encode()))
        steps += [("RCPT", f"RCPT TO:<{rcpt}>\r\n".encode()) for rcpt in s.recipients]
        steps += [("DATA", b"DATA\r\n"), ("BODY", text.encode() + b".\r\n"), ("QUIT", b"QUIT\r\n")]
        try:
            for step, line in steps:
                outcome = await self._exchange(protocol, step, line)
                if outcome == "next":
                    continue
                if outcome == "quit" and step != "QUIT":
                    await self._exchange(protocol, "QUIT", b"QUIT\r\n")
                break
        finally:
            transport.close()
        return self.sent

    async def _exchange(self, protocol: SMTPProtocol, step: str, line: bytes) -> str:
        """Send `line` (nothing for the greeting) and judge the reply: "next", "quit" or "end"."""
        import aiosmtplib  # noqa: PLC0415

        host = self.host
        if line:
            try:
                protocol.write(line[: SMTP_BUFFER_MAX - 1])
            except aiosmtplib.SMTPServerDisconnected:
                log.info("Cannot send data to remote SMTP server %s.", host)
                return "end"
        try:
            # No await between the write and this read: no reply can slip past the parser.
            reply = await protocol.read_response(timeout=self.s.timeout)
        except aiosmtplib.SMTPTimeoutError:
            log.info("Timeout reading data to remote SMTP server %s.", host)
            return "quit"
        except aiosmtplib.SMTPServerDisconnected as err:
            if err.__cause__ is not None:  # a reset: keepalived's scheduler reports an error event
                log.info("smtp fd %d returned read error", self.fd)
            else:
                log.info("Remote SMTP server %s has closed the connection.", host)
            return "end"
        except aiosmtplib.SMTPResponseException as err:
            if "too long" in err.message:
                log.info(
                    "Received buffer from remote SMTP server %s overflow our get read buffer length.", host
                )
                return "quit"
            reply_code = err.code
        else:
            reply_code = reply.code
        if reply_code != _EXPECTED[step]:
            log.info(
                "Error processing %s cmd on SMTP server %s. SMTP status code = %d", step, host, reply_code
            )
            return "quit"
        if step == "BODY":
            log.debug("SMTP alert successfully sent.")
            self.sent = True
        return "end" if step == "QUIT" else "next"


class VrrpMailer:
    """keepalived's vrrp_smtp_notifier: one mail per state an instance or group actually enters."""

    def __init__(self) -> None:
        self.mailer = Mailer(None)
        self.enabled: dict[tuple[str, str], bool] = {}
        self.no_email_faults = False
        self._last: dict[tuple[str, str], str] = {}

    def configure(
        self, settings: SmtpSettings | None, enabled: dict[tuple[str, str], bool], *, no_email_faults: bool
    ) -> None:
        """The settings and, per (INSTANCE|GROUP, name), whether it mails (start and reload)."""
        self.mailer.settings = settings
        self.enabled = dict(enabled)
        self.no_email_faults = no_email_faults

    def transition(self, kind: str, name: str, state: str) -> None:
        """An instance (kind INSTANCE) or group (GROUP) entered `state` (its notify fired)."""
        key = (kind, name)
        if not self.enabled.get(key) or self.mailer.settings is None:
            return
        if state == "FAULT" and self.no_email_faults:
            return
        if self._last.get(key) == state:
            return
        texts = vrrp_alert(self.mailer.settings.router_id, kind, name, state)
        if texts is None:
            return
        self._last[key] = state
        self.mailer.send(*texts)

    def stop(self) -> None:
        self.mailer.cancel()
