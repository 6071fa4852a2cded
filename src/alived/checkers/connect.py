"""keepalived's common connection keywords and a bounded, non-blocking TCP connect built on them.

Every network checker (TCP, HTTP, SSL, SMTP, DNS, UDP, PING) takes `connect_ip`,
`connect_port`, `bindto`, `bind_port`, `bind_if`, `fwmark` and `connect_timeout`; the
translation from the config fills in the real server's address and port where the checker
names none, so a `Connection` here is always complete.
"""

from __future__ import annotations

import asyncio
import errno
import os
import socket
from dataclasses import dataclass

from alived.checkers.base import IPAddress
from alived.linux.probe_socket import SocketOptionError, family_of, open_socket, sockaddr
from alived.units import SECOND, Ticks, to_seconds

DEFAULT_CONNECT_TIMEOUT = Ticks(5 * SECOND)


@dataclass(frozen=True, slots=True, kw_only=True)
class Connection:
    """Where one check connects and how (keepalived's conn_opts_t)."""

    connect_ip: IPAddress
    connect_port: int
    bindto: IPAddress | None = None
    bind_port: int | None = None
    bind_if: str | None = None
    fwmark: int | None = None
    connect_timeout: Ticks = DEFAULT_CONNECT_TIMEOUT

    @property
    def timeout(self) -> float:
        """connect_timeout in seconds, as asyncio wants it."""
        return to_seconds(self.connect_timeout)

    def __str__(self) -> str:
        return f"[{self.connect_ip}]:{self.connect_port}"


class ConnectFailed(Exception):
    """A connection attempt did not succeed; `reason` is a few stable words, `timeout` tells which kind."""

    def __init__(self, reason: str, *, timeout: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.timeout = timeout


def describe(err: OSError) -> str:
    """A stable, short reason for a socket error ("connection refused", "no route to host")."""
    if isinstance(err, SocketOptionError):
        return str(err.strerror or err)
    code = err.errno
    if code == errno.ECONNREFUSED:
        return "connection refused"
    if code == errno.ECONNRESET:
        return "connection reset"
    if code is not None:
        return os.strerror(code).lower()
    return str(err) or type(err).__name__


async def tcp_connect(conn: Connection, timeout: float | None = None) -> socket.socket:
    """A connected non-blocking TCP socket, within `timeout` seconds (connect_timeout by default)."""
    limit = conn.timeout if timeout is None else timeout
    try:
        sock = open_socket(
            family_of(conn.connect_ip),
            socket.SOCK_STREAM,
            fwmark=conn.fwmark,
            bind_if=conn.bind_if,
            bindto=conn.bindto,
            bind_port=conn.bind_port,
        )
    except OSError as err:
        raise ConnectFailed(describe(err)) from err
    try:
        await _connect(sock, sockaddr(conn.connect_ip, conn.connect_port), limit)
    except TimeoutError as err:
        sock.close()
        raise ConnectFailed("connect timeout", timeout=True) from err
    except OSError as err:
        sock.close()
        raise ConnectFailed(describe(err)) from err
    except BaseException:
        sock.close()
        raise
    return sock


def _wake(fut: asyncio.Future[bool], writable: bool) -> None:
    if not fut.done():
        fut.set_result(writable)


async def _connect(sock: socket.socket, address: tuple[object, ...], limit: float) -> None:
    """A non-blocking connect awaited on the socket's writability, bounded by one timer.

    What loop.sock_connect under asyncio.timeout does, with fewer objects per attempt (one
    future, one timer, no timeout context nor done-callbacks): at thousands of checks a second
    that was the largest share of the checker child's CPU.
    """
    code = sock.connect_ex(address)
    if code == 0:
        return
    if code != errno.EINPROGRESS:
        raise OSError(code, os.strerror(code))
    loop = asyncio.get_running_loop()
    fd = sock.fileno()
    fut: asyncio.Future[bool] = loop.create_future()
    loop.add_writer(fd, _wake, fut, True)
    timer = loop.call_later(limit, _wake, fut, False)
    try:
        writable = await fut
    finally:
        loop.remove_writer(fd)
        timer.cancel()
    if not writable:
        raise TimeoutError
    code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if code != 0:
        raise OSError(code, os.strerror(code))
