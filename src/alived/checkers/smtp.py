"""SMTP_CHECK: a short SMTP dialogue with every configured host: banner 220, HELO 250, QUIT.

As keepalived's check_smtp.c: the greeting must be 220, `HELO <helo_name>` (default
smtpchecker.keepalived.org) must get 250, then QUIT is sent and any reply line ends the
dialogue successfully (keepalived does not look at the QUIT reply's code). A reply code is
three digits followed by a space or the end of the line; unlike keepalived, a multi-line reply
(`220-...` continuation lines) is read to its last line instead of failing. Each line is
bounded (512 bytes, keepalived's SMTP_BUFF_MAX); the connect and then the whole dialogue each
take at most connect_timeout. With the deprecated `host` blocks every host must pass.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from alived.checkers.base import ProbeBase
from alived.checkers.connect import ConnectFailed, Connection, describe, tcp_connect
from alived.core.check.result import ProbeResult

DEFAULT_HELO = "smtpchecker.keepalived.org"
SMTP_BUFF_MAX = 512
MAX_REPLY_LINES = 64


@dataclass(frozen=True, slots=True, kw_only=True)
class SmtpParams:
    hosts: tuple[Connection, ...]
    helo_name: str = DEFAULT_HELO


class _Failed(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message


def reply_code(line: bytes) -> int | None:
    """keepalived's smtp_get_status: 3 digits then a space or the end of the line; else None."""
    text = line.rstrip(b"\r\n")
    if len(text) < 3 or not text[:3].isdigit() or (len(text) > 3 and text[3:4] != b" "):
        return None
    return int(text[:3])


async def _read_reply(reader: asyncio.StreamReader, where: str) -> int | None:
    """The code of one (possibly multi-line) reply."""
    for _ in range(MAX_REPLY_LINES):
        try:
            line = await reader.readuntil(b"\n")
        except asyncio.LimitOverrunError as err:
            raise _Failed("reply line too long", f"Read failure from server {where}") from err
        except asyncio.IncompleteReadError as err:
            raise _Failed("connection closed", f"Read failure from server {where}") from err
        except OSError as err:
            raise _Failed(describe(err), f"Read failure from server {where}") from err
        if line[3:4] == b"-" and line[:3].isdigit():
            continue
        return reply_code(line)
    raise _Failed("reply too long", f"Read failure from server {where}")


async def _send(writer: asyncio.StreamWriter, data: bytes, where: str) -> None:
    try:
        writer.write(data)
        await writer.drain()
    except OSError as err:
        raise _Failed(describe(err), f"Write failure to server {where}") from err


async def dialogue(conn: Connection, helo_name: str) -> None:
    """One host's banner/HELO/QUIT exchange; raises _Failed with keepalived's message."""
    where = str(conn)
    try:
        sock = await tcp_connect(conn)
    except ConnectFailed as err:
        message = "Connection timeout to server" if err.timeout else "Could not connect to server"
        raise _Failed(err.reason, f"{message} {where}") from err
    reader, writer = await asyncio.open_connection(sock=sock, limit=SMTP_BUFF_MAX)
    try:
        async with asyncio.timeout(conn.timeout):
            if await _read_reply(reader, where) != 220:
                raise _Failed("bad greeting banner", f"Bad greeting banner from server {where}")
            await _send(writer, f"HELO {helo_name}\r\n".encode(), where)
            if await _read_reply(reader, where) != 250:
                raise _Failed("bad HELO response", f"Bad HELO response from server {where}")
            await _send(writer, b"QUIT\r\n", where)
            await _read_reply(reader, where)
    except TimeoutError as err:
        raise _Failed("read timeout", f"Read timeout from server {where}") from err
    finally:
        writer.transport.abort()


class SmtpProbe(ProbeBase[SmtpParams], keyword="SMTP_CHECK"):
    """The dialogue with each host in turn; the first failure ends the attempt."""

    async def _attempt(self) -> ProbeResult:
        for conn in self.params.hosts:
            try:
                await dialogue(conn, self.params.helo_name)
            except _Failed as err:
                return ProbeResult(success=False, reason=err.reason, log_text=f"SMTP_CHECK {err.message}")
        text = f"Remote SMTP server {self.target} succeed on service."
        return ProbeResult(success=True, reason="ok", log_text=text)
