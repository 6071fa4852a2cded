"""The checker child's status socket (next to its pid file: /run/checkers.pid -> /run/checkers.sock).

Same protocol as the VRRP child's (daemon/status.py): one request line per connection, `ping`
(the supervisor's liveness probe: answered from the loop, so a stuck loop stops answering),
`json`, `status` and `reset-lag` (forget the scheduling-lag samples, to measure afresh).
Each real server shows its health, current weight, its checks' last result and reason, and
how long ago they ran.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Sequence
from typing import Any

from alived.core.check.engine import VirtualServerReport
from alived.daemon.status import StatusServer
from alived.units import Ticks, to_seconds


def document(
    reports: Sequence[VirtualServerReport], now: Ticks, lags: Sequence[int], attempts: int
) -> dict[str, Any]:
    servers = []
    for vs in reports:
        rows = []
        for rs in vs.real_servers:
            checks = [
                {
                    "type": c.keyword,
                    "up": c.up,
                    "enabled": c.enabled,
                    "last_result": None
                    if c.last_success is None
                    else ("success" if c.last_success else "failure"),
                    "reason": c.last_reason,
                    "ago": None if c.last_run is None else round(to_seconds(now - c.last_run), 3),
                }
                for c in rs.checks
            ]
            rows.append(
                {
                    "name": rs.name,
                    "health": "UP" if rs.alive else "DOWN",
                    "weight": rs.weight,
                    "in_pool": rs.pool_weight is not None,
                    "pool_weight": rs.pool_weight,
                    "checks": checks,
                }
            )
        servers.append(
            {
                "name": vs.name,
                "quorum_up": vs.quorum_up,
                "sorry_active": vs.sorry_active,
                "real_servers": rows,
            }
        )
    return {"virtual_servers": servers, "scheduler": scheduler_figures(lags, attempts)}


def scheduler_figures(lags: Sequence[int], attempts: int) -> dict[str, object]:
    figures: dict[str, object] = {"attempts": attempts}
    if len(lags) >= 2:
        cuts = statistics.quantiles(lags, n=100, method="inclusive")
        figures["lag_p50_ms"] = round(cuts[49] / 1000, 3)
        figures["lag_p99_ms"] = round(cuts[98] / 1000, 3)
    return figures


def table(doc: dict[str, Any]) -> str:
    rows = [("VIRTUAL SERVER", "REAL SERVER", "HEALTH", "WEIGHT", "CHECK", "LAST", "REASON", "AGO")]
    for vs in doc["virtual_servers"]:
        for rs in vs["real_servers"]:
            checks = rs["checks"] or [{"type": "-", "last_result": None, "reason": "", "ago": None}]
            for c in checks:
                ago = "-" if c["ago"] is None else f"{c['ago']:.1f}s"
                rows.append(
                    (
                        vs["name"],
                        rs["name"],
                        rs["health"],
                        str(rs["pool_weight"] if rs["pool_weight"] is not None else rs["weight"]),
                        c["type"],
                        c["last_result"] or "-",
                        c["reason"] or "-",
                        ago,
                    )
                )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n" for row in rows
    )


class CheckStatusServer(StatusServer):
    def __init__(
        self,
        path: str,
        doc: Callable[[], dict[str, Any]],
        healthy: Callable[[], bool] = lambda: True,
        reset: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__(path, list)
        self._doc = doc
        self._healthy = healthy
        self._reset = reset

    def answer(self, request: str) -> str:
        if request == "ping":
            # Not "pong" when the scheduler is stalled: the supervisor then restarts the child.
            return "pong\n" if self._healthy() else "stalled\n"
        if request == "json":
            return json.dumps(self._doc()) + "\n"
        if request in ("status", ""):
            return table(self._doc())
        if request == "reset-lag":
            self._reset()
            return "ok\n"
        return f"unknown request {request!r}: use ping, json, status or reset-lag\n"
