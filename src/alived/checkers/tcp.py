"""TCP_CHECK: the real server is up when a TCP connection to it completes within connect_timeout.

The connection is closed at once (keepalived's check_tcp.c sends nothing). Log texts as
keepalived's: `TCP connection to [192.0.2.21]:tcp:80 success.` / `... timeout.` / `... failed.`
"""

from __future__ import annotations

from dataclasses import dataclass

from alived.checkers.base import Target, guarded, register
from alived.checkers.connect import ConnectFailed, Connection, tcp_connect
from alived.core.check.result import ProbeResult


@dataclass(frozen=True, slots=True, kw_only=True)
class TcpParams:
    connection: Connection


@register("TCP_CHECK")
class TcpProbe:
    """One TCP connect to the checker's connect_ip:connect_port."""

    keyword = "TCP_CHECK"

    def __init__(self, params: TcpParams, target: Target) -> None:
        self.params = params
        self.target = target

    @property
    def identity(self) -> tuple[object, ...]:
        return (self.keyword, self.params)

    async def attempt(self) -> ProbeResult:
        return await guarded(self.keyword, self._attempt)

    async def _attempt(self) -> ProbeResult:
        try:
            sock = await tcp_connect(self.params.connection)
        except ConnectFailed as err:
            word = "timeout" if err.timeout else "failed"
            return ProbeResult(
                success=False, reason=err.reason, log_text=f"TCP connection to {self.target} {word}."
            )
        sock.close()
        return ProbeResult(
            success=True, reason="connected", log_text=f"TCP connection to {self.target} success."
        )
