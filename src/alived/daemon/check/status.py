"""The checker child's status socket (next to its pid file: /run/checkers.pid -> /run/checkers.sock).

Same protocol as the VRRP child's (daemon/status.py): one request line per connection, `ping`
(the supervisor's liveness probe: answered from the loop, so a stuck loop stops answering),
`json`, `status`, `process-json` (reloads and kernel operations, daemon/process_status.py)
and `reset-lag` (forget the scheduling-lag samples, to measure afresh).
Each real server shows its health, current weight, up/down transitions, the load balancer's
packets, bytes and connections where the backend counts them, and each check's last result and
reason, how long ago it ran, how long it took, its attempts, failures and verdict flips.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from alived.core.check.engine import RealServerReport, VirtualServerReport
from alived.daemon import process_status
from alived.daemon.status import StatusServer
from alived.lb.base import Counters
from alived.units import Ticks, to_seconds

# The checker status document's version (docs/status-json.md), as the VRRP child's.
STATUS_VERSION = 1


def _seconds(ticks: int | None) -> float | None:
    return None if ticks is None else round(to_seconds(ticks), 6)


def _rs_traffic(rs: RealServerReport, counters: Counters | None) -> dict[str, int | None]:
    """The backend's figures for one real server (None where it has none, see Counters)."""
    out: dict[str, int | None] = {
        "packets": None,
        "bytes": None,
        "out_packets": None,
        "out_bytes": None,
        "connections": None,
        "active_connections": None,
        "inactive_connections": None,
    }
    if counters is None:
        return out
    key = _traffic_key(rs, counters)
    if key in counters.real_servers:
        packets, nbytes = counters.real_servers[key]
        if counters.first_packets_only:
            out["connections"] = packets
        else:
            out["packets"], out["bytes"] = packets, nbytes
    if key in counters.rs_out:
        out["out_packets"], out["out_bytes"] = counters.rs_out[key]
    if key in counters.rs_new_connections:
        out["connections"] = counters.rs_new_connections[key]
    if key in counters.connections:
        out["active_connections"], out["inactive_connections"] = counters.connections[key]
    return out


def _vs_traffic(counters: Counters | None) -> dict[str, int | None]:
    out: dict[str, int | None] = dict.fromkeys(
        ("packets", "bytes", "out_packets", "out_bytes", "connections")
    )
    if counters is None:
        return out
    if counters.first_packets_only:
        out["connections"] = counters.packets
        return out
    out["packets"], out["bytes"] = counters.packets, counters.bytes
    if counters.out is not None:
        out["out_packets"], out["out_bytes"] = counters.out
    out["connections"] = counters.new_connections
    return out


def _traffic_key(rs: RealServerReport, counters: Counters) -> tuple[str, int] | None:
    key = (rs.address, rs.port or 0)
    known = (
        counters.real_servers.keys()
        | counters.connections.keys()
        | counters.rs_new_connections.keys()
        | counters.rs_out.keys()
    )
    if key in known or rs.port is not None:
        return key
    # No port on the checker side (DR, fwmark): the backend's only destination at the address.
    same = [k for k in known if k[0] == rs.address]
    return same[0] if len(same) == 1 else None


def document(
    reports: Sequence[VirtualServerReport],
    now: Ticks,
    lags: Sequence[int],
    attempts: int,
    traffic: Mapping[str, Counters] | None = None,
) -> dict[str, Any]:
    """The checker child's `json` answer (docs/status-json.md lists every field).

    `traffic` is the load balancer's counters per virtual server name (daemon/check/lb_sink.py);
    without a backend (or for a name it has no service for) the traffic fields are null.
    """
    servers = []
    for vs in reports:
        counters = (traffic or {}).get(vs.name)
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
                    "duration": _seconds(c.duration),
                    "attempts": c.attempts,
                    "failures": c.failures,
                    "transitions": c.transitions,
                }
                for c in rs.checks
            ]
            rows.append(
                {
                    "name": rs.name,
                    "health": "UP" if rs.alive else "DOWN",
                    "weight": rs.weight,
                    "configured_weight": rs.configured_weight,
                    "in_pool": rs.pool_weight is not None,
                    "pool_weight": rs.pool_weight,
                    "up_transitions": rs.ups,
                    "down_transitions": rs.downs,
                    **_rs_traffic(rs, counters),
                    "checks": checks,
                }
            )
        servers.append(
            {
                "name": vs.name,
                "quorum_up": vs.quorum_up,
                "sorry_active": vs.sorry_active,
                **_vs_traffic(counters),
                "real_servers": rows,
            }
        )
    return {
        "version": STATUS_VERSION,
        "virtual_servers": servers,
        "scheduler": scheduler_figures(lags, attempts),
        "process": process_status.document(),
    }


def scheduler_figures(lags: Sequence[int], attempts: int) -> dict[str, object]:
    figures: dict[str, object] = {"attempts": attempts}
    if len(lags) >= 2:
        cuts = statistics.quantiles(lags, n=100, method="inclusive")
        figures["lag_p50_ms"] = round(cuts[49] / 1000, 3)
        figures["lag_p99_ms"] = round(cuts[98] / 1000, 3)
    return figures


def table(doc: dict[str, Any]) -> str:
    rows = [
        (
            "VIRTUAL SERVER",
            "REAL SERVER",
            "HEALTH",
            "WEIGHT",
            "CHECK",
            "LAST",
            "REASON",
            "AGO",
            "TOOK",
            "FAILED",
        )
    ]
    for vs in doc["virtual_servers"]:
        for rs in vs["real_servers"]:
            checks = rs["checks"] or [{"type": "-", "last_result": None, "reason": "", "ago": None}]
            for c in checks:
                ago = "-" if c["ago"] is None else f"{c['ago']:.1f}s"
                took = "-" if c.get("duration") is None else f"{c['duration'] * 1000:.0f}ms"
                failed = "-" if "attempts" not in c else f"{c['failures']}/{c['attempts']}"
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
                        took,
                        failed,
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
        if request == "process-json":
            return json.dumps(process_status.document()) + "\n"
        return f"unknown request {request!r}: use ping, json, status, process-json or reset-lag\n"
