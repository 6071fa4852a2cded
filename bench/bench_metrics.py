"""Prometheus scrape cost: the parent's conversion of the children's status documents, and the
checker child's reading of nftables' counters.

    .venv/bin/python bench/bench_metrics.py [--no-readme]

1. Scrape (pure, no root): a VRRP status document of N instances (2 VIPs and 2 tracked
   objects each) and a checker document of V virtual servers x R real servers (one check each,
   traffic figures set) go through what one scrape does in the parent: json.loads, the
   families of daemon/metrics.py, and the text exposition (prometheus-client's
   generate_latest); median of 5, with the series count and the exposition size.
2. Counter reading (root, a namespace): `NftablesBackend.counter_reader()` for V NAT services
   of 10 real servers, what the checker child's worker thread does every 5 s at most
   (daemon/check/traffic.py); median of 3.
Writes "## Metrics" in bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_failover import write_section  # noqa: E402
from prometheus_client import CollectorRegistry, generate_latest  # noqa: E402

from alived.core.vrrp import stats  # noqa: E402
from alived.daemon.metrics import ProcessFacts  # noqa: E402
from alived.daemon.metrics_server import AlivedCollector, ChildSocket  # noqa: E402

HEADING = "## Metrics"
RUNS = 5


def vrrp_document(n: int) -> str:
    tracked = [
        {"kind": "script", "name": "chk", "weight": 10, "reverse": False, "ok": True, "value": None}
        | {"priority_delta": 10, "faulting": False},
        {"kind": "interface", "name": "eth1", "weight": 0, "reverse": False, "ok": True, "value": None}
        | {"priority_delta": 0, "faulting": False},
    ]
    rows = [
        {
            "name": f"VI_{i}",
            "state": "MASTER",
            "priority": 150,
            "base_priority": 150,
            "vrid": i % 255 + 1,
            "interface": "eth0",
            "sync_group": "",
            "vips": [f"192.0.2.{i % 250 + 1}/24", f"198.51.100.{i % 250 + 1}/24"],
            "excluded_vips": [],
            "master_router": "192.0.2.1",
            "master_priority": 150,
            "last_transition": 1.0,
            "last_transition_from": "BACKUP",
            "last_transition_reason": "master_down",
            "garp_delay": 5.0,
            "gratuitous_arps_sent": 10,
            "unsolicited_nas_sent": 0,
            "tracked": tracked,
            "stats": dict.fromkeys(stats.ALL, 3),
        }
        for i in range(n)
    ]
    return json.dumps({"version": 1, "instances": rows})


def checker_document(nvs: int, nrs: int) -> str:
    check = {
        "type": "TCP_CHECK",
        "up": True,
        "enabled": True,
        "last_result": "success",
        "reason": "connected",
    }
    check |= {"ago": 1.5, "duration": 0.001, "attempts": 100, "failures": 1, "transitions": 2}
    servers = [
        {
            "name": f"[203.0.113.{v % 250 + 1}]:tcp:{1000 + v // 250}",
            "quorum_up": True,
            "sorry_active": False,
            "packets": None,
            "bytes": None,
            "out_packets": None,
            "out_bytes": None,
            "connections": 1000,
            "real_servers": [
                {
                    "name": f"[198.51.100.{r % 250 + 1}]:tcp:{2000 + r}",
                    "health": "UP",
                    "weight": 1,
                    "configured_weight": 1,
                    "in_pool": True,
                    "pool_weight": 1,
                    "up_transitions": 1,
                    "down_transitions": 1,
                    "packets": None,
                    "bytes": None,
                    "out_packets": None,
                    "out_bytes": None,
                    "connections": 100,
                    "active_connections": None,
                    "inactive_connections": None,
                    "checks": [check],
                }
                for r in range(nrs)
            ],
        }
        for v in range(nvs)
    ]
    return json.dumps({"version": 1, "virtual_servers": servers, "scheduler": {"attempts": 1}})


def scrape(vrrp: str, checker: str) -> tuple[float, int, int]:
    """(median seconds, series, exposition bytes) of one scrape of these answers."""
    answers = {"status-json": vrrp, "json": checker}
    children = [ChildSocket("VRRP", "vrrp", "v"), ChildSocket("Healthcheck", "check", "c")]
    registry = CollectorRegistry(auto_describe=False)
    registry.register(
        AlivedCollector(lambda: children, ProcessFacts(version="x"), ask=lambda p, r, t: answers[r])
    )
    times = []
    text = b""
    for _ in range(RUNS):
        started = time.perf_counter()
        text = generate_latest(registry)
        times.append(time.perf_counter() - started)
    series = sum(1 for line in text.splitlines() if line and not line.startswith(b"#"))
    return statistics.median(times), series, len(text)


def counter_reading(nvs: int) -> float:
    from tests.helpers.inns import inside
    from tests.helpers.netns import Lab

    from alived.core.lb.model import LbState, RealServer, ServiceKey, VirtualService
    from alived.core.lb.plan import plan
    from alived.lb.nftables import NftablesBackend

    services = []
    for v in range(nvs):
        key = ServiceKey(protocol="TCP", address=f"203.0.113.{v % 250 + 1}", port=1000 + v // 250)
        dests = tuple(
            sorted(
                RealServer(address=f"198.51.100.{(v * 10 + i) % 250 + 1}", port=2000 + i) for i in range(10)
            )
        )
        services.append(VirtualService(key=key, lb_algo="rr", real_servers=dests))
    lab = Lab()
    try:
        with inside(lab.netns("metrics")):
            backend = NftablesBackend()
            assert backend.apply(plan(LbState.of(services), backend.known_state())) == ()
            read = backend.counter_reader()
            times = []
            for _ in range(3):
                started = time.monotonic()
                assert len(read()) == nvs
                times.append(time.monotonic() - started)
            return statistics.median(times)
    finally:
        lab.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()
    rows = []
    for label, vrrp, checker in (
        ("1 instance, 1 VS x 3 RS", vrrp_document(1), checker_document(1, 3)),
        ("100 instances, 100 VS x 10 RS", vrrp_document(100), checker_document(100, 10)),
        ("1,000 instances, 1,000 VS x 10 RS", vrrp_document(1000), checker_document(1000, 10)),
    ):
        seconds, series, size = scrape(vrrp, checker)
        rows.append(f"| {label} | {seconds * 1000:.1f} | {series:,} | {size / 1024:,.0f} |")
        print(rows[-1], flush=True)
    readings = []
    if os.geteuid() == 0:
        for nvs in (10, 100, 1000):
            seconds = counter_reading(nvs)
            readings.append(f"| {nvs:,} x 10 | {seconds:.3f} |")
            print(readings[-1], flush=True)
    where = f"Python {platform.python_version()}, {platform.machine()}"
    body = f"""`bench/bench_metrics.py`: {where}, 2 cores shared with other work. One scrape, as
the parent serves it: both children's documents parsed, converted (`daemon/metrics.py`) and
written out (`generate_latest`); median of {RUNS}. The children's own share (building their
documents) is not in it.

| status documents | scrape ms | series | exposition KiB |
|---|---:|---:|---:|
{chr(10).join(rows)}

Reading nftables' counters (`NftablesBackend.counter_reader()`, NAT services x real servers;
median of 3), done by the checker child in a worker thread at most every 5 s
(`daemon/check/traffic.py`), never on its loop:

| services | seconds |
|---|---:|
{chr(10).join(readings) or "| (not run: needs root) | |"}
"""
    if not args.no_readme:
        write_section(HEADING, body)
    print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
