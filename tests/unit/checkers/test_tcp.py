"""TCP_CHECK against real loopback listeners: up, refused, and a connect that never completes."""

from __future__ import annotations

import asyncio
import socket

from alived.checkers.base import REGISTRY
from alived.checkers.tcp import TcpParams, TcpProbe
from tests.unit.checkers.servers import closed_port, connection, full_backlog, target


def _probe(port: int, timeout_ms: int = 2000) -> TcpProbe:
    return TcpProbe(TcpParams(connection=connection(port, timeout_ms)), target(80))


def test_registered_under_keepalived_keyword() -> None:
    assert REGISTRY["TCP_CHECK"] is TcpProbe


def test_listener_is_up_with_keepalived_log_text() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        result = asyncio.run(_probe(listener.getsockname()[1]).attempt())
    assert result.success
    assert result.log_text == "TCP connection to [127.0.0.1]:tcp:80 success."


def test_closed_port_is_down_refused() -> None:
    result = asyncio.run(_probe(closed_port()).attempt())
    assert not result.success
    assert result.reason == "connection refused"
    assert result.log_text == "TCP connection to [127.0.0.1]:tcp:80 failed."


def test_connect_that_never_completes_times_out() -> None:
    with full_backlog() as port:
        result = asyncio.run(_probe(port, timeout_ms=200).attempt())
    assert not result.success
    assert result.reason == "connect timeout"
    assert result.log_text == "TCP connection to [127.0.0.1]:tcp:80 timeout."


def test_identity_equal_for_the_same_check() -> None:
    assert _probe(1).identity == _probe(1).identity
    assert _probe(1).identity != _probe(2).identity
