"""nftables load balancer: cost of one change, of a full load, and of the data path.

    .venv/bin/python bench/bench_lb.py [--no-readme]

1. One change: a wrr service with N real servers (N = 10 ... 10,000) is installed; then one
   real server goes down (and comes back), each time plan + render + one nft transaction,
   timed on CLOCK_MONOTONIC in the namespace, and its CPU time (process_time: the kernel's
   side of the netlink transaction runs in this process); median of 10. Every scheduler dispatches
   through the same Maglev table, so wrr stands for all.
2. Full load: 1,000 virtual services with 3 real servers each, from an empty table.
3. Data path: sequential HTTP requests (a new TCP connection each, bounded count) from the
   client namespace through the director's VIP (DNAT, rr over 3 servers), against the same
   requests sent to one real server's own address through the same director (routed, no DNAT).
   The ratio is the cost of the balancer. Runs as root; writes "## Load balancer (nftables)".
"""

from __future__ import annotations

import argparse
import platform
import signal
import statistics
import sys
import tempfile
import textwrap
import time
from dataclasses import replace
from ipaddress import ip_address
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_failover import write_section  # noqa: E402
from tests.helpers import lb_topology as topo  # noqa: E402
from tests.helpers.inns import inside, run_python  # noqa: E402
from tests.helpers.netns import Lab  # noqa: E402

from alived.config.load import load_config  # noqa: E402
from alived.core.check.desired import DesiredVirtualServer, Destination  # noqa: E402
from alived.core.lb.model import LbState, RealServer, ServiceKey, VirtualService  # noqa: E402
from alived.core.lb.plan import plan  # noqa: E402
from alived.daemon.check.lb_sink import BackendLbSink, params_by_name  # noqa: E402
from alived.lb import nft_render  # noqa: E402
from alived.lb.nftables import NftablesBackend  # noqa: E402

HEADING = "## Load balancer (nftables)"
SIZES = (10, 100, 1_000, 10_000)
RUNS = 5
KEY = ServiceKey(protocol="TCP", address="203.0.113.10", port=80)


def _service(algo: str, n: int) -> VirtualService:
    # Documentation addresses only: 250 hosts, the port tells the real servers apart.
    dests = tuple(
        sorted(RealServer(address=f"198.51.100.{i % 250 + 1}", port=1000 + i // 250) for i in range(n))
    )
    return VirtualService(key=KEY, lb_algo=algo, real_servers=dests)


def _timed(backend: NftablesBackend, desired: LbState) -> float:
    return _timed_cpu(backend, desired)[0]


def _timed_cpu(backend: NftablesBackend, desired: LbState) -> tuple[float, float]:
    """(wall s, CPU s of this process, the kernel's side of the transaction included)."""
    started, cpu = time.monotonic(), time.process_time()
    failures = backend.apply(plan(desired, backend.known_state()))
    elapsed, used = time.monotonic() - started, time.process_time() - cpu
    assert failures == (), failures
    return elapsed, used


def _sink_change(algo: str, n: int) -> tuple[float, float]:
    """Median ms (wall, CPU) of one change (one real server down, then back) from the checker core's pool
    to the kernel: the checker child's LB sink maps the destinations to the service (the core
    hands out the same Destination object for a real server whose weight holds), plans and
    applies; in the namespace the caller is in."""
    key = KEY
    servers = [(f"198.51.100.{i % 250 + 1}", 1000 + i // 250) for i in range(n)]
    lines = [f"virtual_server {key.address} {key.port} {{", f"    lb_algo {algo}", "    protocol TCP"]
    lines += [f"    real_server {address} {port} {{ weight 1 }}" for address, port in servers]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "keepalived.conf"
        path.write_text("\n".join([*lines, "}", ""]))
        config = load_config(path).config
    assert config is not None
    (name,) = params_by_name(config)
    dests = [Destination(address=ip_address(address), port=port, weight=1) for address, port in servers]

    def pool(skip: int) -> DesiredVirtualServer:
        return DesiredVirtualServer(
            name=name,
            protocol="tcp",
            address=ip_address(key.address),
            port=key.port,
            fwmark=None,
            group=None,
            destinations=tuple(d for i, d in enumerate(dests) if i != skip),
            quorum_up=True,
        )

    sink = BackendLbSink(NftablesBackend())
    sink.configure(config)
    sink.apply(pool(-1))
    samples = []
    cpus = []
    for i in range(RUNS):
        for wanted in (pool((i * 7919) % n), pool(-1)):
            started, cpu = time.monotonic(), time.process_time()
            sink.apply(wanted)
            samples.append(time.monotonic() - started)
            cpus.append(time.process_time() - cpu)
    return statistics.median(samples) * 1000, statistics.median(cpus) * 1000


def one_change(lab: Lab, algo: str, n: int) -> tuple[float, float, float, float, tuple[float, float]]:
    """(install s, median one-change ms, its CPU ms, rendering alone ms, the same change from
    the checker core's pool through the sink ms) for n real servers."""
    ns = lab.netns("bench")
    with inside(ns):
        backend = NftablesBackend()
        full = _service(algo, n)
        install = _timed(backend, LbState.of([full]))
        samples = []
        cpus = []
        renders = []
        for i in range(RUNS):
            victim = full.real_servers[(i * 7919) % n]
            down = replace(full, real_servers=tuple(rs for rs in full.real_servers if rs != victim))
            # The rendering alone (Python: the Maglev table updated in place, the moved slots
            # and the chains touched), as apply does it from the table in the kernel.
            _, table, _ = nft_render.dispatch_table(full, None)
            started = time.monotonic()
            nft_render.service_change(full, down, table)
            renders.append(time.monotonic() - started)
            for state in (down, full):
                wall, cpu = _timed_cpu(backend, LbState.of([state]))
                samples.append(wall)
                cpus.append(cpu)
        backend.apply(plan(LbState(), backend.known_state()))
        through_sink = _sink_change(algo, n)
    ms = 1000
    return (
        install,
        statistics.median(samples) * ms,
        statistics.median(cpus) * ms,
        statistics.median(renders) * ms,
        through_sink,
    )


def full_load(lab: Lab, count: int = 1000) -> float:
    ns = lab.netns("bench")
    services = []
    for i in range(count):
        key = ServiceKey(protocol="TCP", address=f"203.0.113.{i % 250 + 1}", port=1000 + i)
        dests = tuple(RealServer(address=f"198.51.100.{j + 11}", port=80) for j in range(3))
        services.append(VirtualService(key=key, lb_algo="wrr", real_servers=dests))
    with inside(ns):
        backend = NftablesBackend()
        return _timed(backend, LbState.of(services))


CLIENT_LOOP = """
import http.client, json, time
target, n = TARGET, N
lat = []
errors = 0
start = time.monotonic()
for _ in range(n):
    t = time.monotonic()
    try:
        c = http.client.HTTPConnection(target, 80, timeout=3)
        c.request("GET", "/", headers={"Connection": "close"})
        c.getresponse().read()
        c.close()
    except OSError:
        errors += 1
    lat.append(time.monotonic() - t)
total = time.monotonic() - start
lat.sort()
print(json.dumps({"rps": n / total, "p50": lat[n // 2], "p99": lat[int(n * 0.99)], "errors": errors}))
"""


def data_path(lab: Lab, n: int = 2000) -> dict[str, dict[str, float]]:
    lb = topo.build(lab)
    with lb.in_director():
        backend = NftablesBackend()
        assert topo.converge(backend, [topo.service(topo.params("rr"))]) == ()
    lb.client.ip("route", "add", "198.51.100.0/24", "via", "203.0.113.1")
    result = {}
    for label, target in (("through the VIP (DNAT, rr)", topo.VIP), ("straight to rs1", topo.RS_ADDR["rs1"])):
        code = CLIENT_LOOP.replace("TARGET, N", f"{target!r}, {n}")
        run_python(lb.client, code.replace("N", "200"), timeout=120)  # warm up
        result[label] = run_python(lb.client, code, timeout=600)
    return result


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the labs' finally blocks
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()
    rows = []
    for n in SIZES:
        lab = Lab()
        try:
            install, change, cpu, render, sink = one_change(lab, "wrr", n)
        finally:
            lab.close()
        print(
            f"n={n}: install {install:.3f} s, one change {change:.1f} ms (CPU {cpu:.1f}, "
            f"render {render:.1f}, through the sink {sink[0]:.1f}, CPU {sink[1]:.1f})",
            flush=True,
        )
        rows.append(
            f"| {n:,} | {install:.3f} | {change:.1f} | {cpu:.1f} | {render:.1f} "
            f"| {sink[0]:.1f} | {sink[1]:.1f} |"
        )
    lab = Lab()
    try:
        load = full_load(lab)
    finally:
        lab.close()
    print(f"1,000 services: {load:.3f} s", flush=True)
    lab = Lab()
    try:
        path = data_path(lab)
    finally:
        lab.close()
    for label, figures in path.items():
        print(label, figures, flush=True)
    through, straight = path["through the VIP (DNAT, rr)"], path["straight to rs1"]
    data_rows = [
        f"| {label} | {f['rps']:.0f} | {f['p50'] * 1000:.2f} | {f['p99'] * 1000:.2f} | {f['errors']:.0f} |"
        for label, f in path.items()
    ]
    body = textwrap.fill(
        f"`bench/bench_lb.py`; Python {platform.python_version()}, kernel {platform.release()}, "
        "nftables 1.0.6 through libnftables. Every change is plan + one nft transaction into "
        "`inet alived`, timed in the namespace; median of "
        f"{2 * RUNS} changes (one real server down, then back).",
        100,
    )
    out = "\n".join(
        [
            "One change with N real servers in one service:",
            "",
            "| real servers | install s | one change ms | its CPU ms | rendering alone ms "
            "| from the checker's pool ms | its CPU ms |",
            "|---:|---:|---:|---:|---:|---:|---:|",
            *rows,
            "",
            f"Full load of 1,000 virtual services (3 real servers each, wrr), empty table: {load:.3f} s.",
            "",
            "Data path (sequential requests, a new TCP connection each, 2,000 per row):",
            "",
            "| path | requests/s | p50 ms | p99 ms | errors |",
            "|---|---:|---:|---:|---:|",
            *data_rows,
            "",
            f"Balancer cost at the median: {through['p50'] / straight['p50']:.2f}x the routed path's "
            "p50 latency (DNAT on the first packet of each connection only). Requests/s on this "
            "shared 2-core machine vary more between runs than between the two paths.",
        ]
    )
    print(out)
    if not args.no_readme:
        write_section(HEADING, f"{body}\n\n{out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
