"""TCP_CHECK: the real server is up when a TCP connection to it completes within connect_timeout.

The connection is closed at once (keepalived's check_tcp.c sends nothing). Log texts as
keepalived's: `TCP connection to [192.0.2.21]:tcp:80 success.` / `... timeout.` / `... failed.`
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from alived.checkers.base import ProbeBase, Target
from alived.checkers.connect import ConnectFailed, Connection, tcp_connect
from alived.core.check.result import ProbeResult

log = logging.getLogger("alived.checkers")


@dataclass(frozen=True, slots=True, kw_only=True)
class TcpParams:
    connection: Connection


class TcpProbe(ProbeBase[TcpParams], keyword="TCP_CHECK"):
    """One TCP connect to the checker's connect_ip:connect_port."""

    def __init__(self, params: TcpParams, target: Target) -> None:
        super().__init__(params, target)
        # Results are frozen: the common ones are built once, not on every attempt.
        self._success = ProbeResult(
            success=True, reason="connected", log_text=f"TCP connection to {target} success."
        )
        self._timeout = ProbeResult(
            success=False, reason="connect timeout", log_text=f"TCP connection to {target} timeout."
        )
        self._failed_text = f"TCP connection to {target} failed."

    async def attempt(self) -> ProbeResult:
        # guarded()'s net inlined: one coroutine less per attempt.
        try:
            sock = await tcp_connect(self.params.connection)
        except ConnectFailed as err:
            if err.timeout:
                return self._timeout
            return ProbeResult(success=False, reason=err.reason, log_text=self._failed_text)
        except Exception as err:
            log.exception("%s probe failed unexpectedly", self.keyword)
            return ProbeResult(success=False, reason=f"internal error: {type(err).__name__}")
        sock.close()
        return self._success
