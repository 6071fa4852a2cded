"""CPU and memory of alived and keepalived with 1, 10, 100 and 255 VRRP instances, master and backup.

    .venv/bin/python bench/bench_cpu.py [--seconds 10] [--counts 1 10 100 255] [--no-readme]

Two namespaces on a bridge run the same implementation with N instances (VRID 1..N, one VIP
each, VRRPv2, advert_int 1): node A at priority 150 holds every VIP, node B at priority 100 is
backup for all of them. Once the election has settled, the daemon's whole process tree (the
parent plus the VRRP child) is sampled over a window: CPU % is utime+stime from /proc/PID/stat
over the wall time, RSS the sum of VmRSS from /proc/PID/status at the end. Runs as root; writes
the "## CPU and memory" section of bench/README.md unless --no-readme.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_failover import write_section  # noqa: E402
from tests.helpers.cluster import START_SLACK_S, InstanceSpec, Node, make_lan  # noqa: E402
from tests.helpers.netns import Lab, wait_for  # noqa: E402

HEADING = "## CPU and memory"
CLK_TCK = os.sysconf("SC_CLK_TCK")
GARP_SETTLE_S = 6.5


def vip(i: int) -> str:
    """VIP of instance i (1-based): 198.51.100.1-254, then 203.0.113.x."""
    return f"198.51.100.{i}/24" if i <= 254 else f"203.0.113.{i - 254}/24"


# (VRRP version, advert_int): --version 3 --interval 0.1 is issue #9's receive-path load.
SETUP: dict[str, object] = {"version": 2, "advert_int": Fraction(1)}
# --before SRC: "alived-before" runs alived from that source tree (PYTHONPATH beats the install).
BEFORE_SRC: list[str] = []


def specs(count: int, priority: int) -> tuple[InstanceSpec, ...]:
    return tuple(
        InstanceSpec(
            vrid=i,
            priority=priority,
            vips=(vip(i),),
            name=f"VI_{i}",
            version=int(str(SETUP["version"])),
            advert_int=Fraction(str(SETUP["advert_int"])),
        )
        for i in range(1, count + 1)
    )


def start_node(node: Node) -> None:
    """node.start(), with alived-before run as alived from BEFORE_SRC."""
    if node.kind != "alived-before":
        node.start()
        return
    node.kind = "alived"
    os.environ["PYTHONPATH"] = BEFORE_SRC[0]
    try:
        node.start()
    finally:
        del os.environ["PYTHONPATH"]
        node.kind = "alived-before"


def tree(pid: int) -> list[int]:
    """pid and all its descendants (keepalived and alived fork a VRRP child)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*/children"):
            try:
                todo += [int(c) for c in task.read_text().split()]
            except OSError:
                continue
    return out


def cpu_ticks(pids: list[int]) -> int:
    total = 0
    for p in pids:
        try:
            stat = Path(f"/proc/{p}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
    return total


def rss_kib(pids: list[int]) -> int:
    total = 0
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


@dataclass(frozen=True, slots=True, kw_only=True)
class Sample:
    impl: str
    count: int
    role: str
    cpu_percent: float
    rss_mib: float
    processes: int
    load: float = 0.0  # 1-minute load average over the window (mean of its two ends)
    clean: bool = True  # roles held through the window


def vip_count(node: Node) -> int:
    text = node.ns.addresses("eth0")
    return sum(1 for spec in node.specs if f" {spec.vips[0].split('/')[0]}/" in text)


def measure(impl: str, count: int, seconds: float, workdir: Path) -> list[Sample]:
    lab = Lab()
    try:
        lan = make_lan(lab, 2)
        master = Node(impl, lan.hosts[0], workdir, specs(count, 150), "master")
        backup = Node(impl, lan.hosts[1], workdir, specs(count, 100), "backup")
        start_node(backup)
        start_node(master)
        mdi = float(backup.spec.master_down_interval())
        wait_for(
            lambda: vip_count(master) == count and vip_count(backup) == 0,
            timeout=mdi + START_SLACK_S + count * 0.2,
            interval=0.2,
            what=f"{impl}: {count} VIPs on the master, none on the backup",
        )
        # Past the second GARP burst (garp_master_delay, 5 s by default) so the window is steady state.
        time.sleep(GARP_SETTLE_S)
        nodes = {"master": master, "backup": backup}
        pids = {role: tree(n.proc.pid) for role, n in nodes.items() if n.proc is not None}
        load0 = os.getloadavg()[0]
        t0, ticks0 = time.monotonic(), {r: cpu_ticks(p) for r, p in pids.items()}
        time.sleep(seconds)
        t1, ticks1 = time.monotonic(), {r: cpu_ticks(p) for r, p in pids.items()}
        load = (load0 + os.getloadavg()[0]) / 2
        clean = vip_count(master) == count and vip_count(backup) == 0
        if not clean:
            print(f"  warning: {impl} x{count}: roles changed during the window (run left out)", flush=True)
        return [
            Sample(
                impl=impl,
                count=count,
                role=role,
                cpu_percent=100.0 * (ticks1[role] - ticks0[role]) / CLK_TCK / (t1 - t0),
                rss_mib=rss_kib(p) / 1024,
                processes=len(p),
                load=load,
                clean=clean,
            )
            for role, p in pids.items()
        ]
    finally:
        lab.close()


def medians(runs: list[Sample]) -> list[Sample]:
    """One sample per (impl, count, role): the median CPU and RSS of its clean runs (roles held)."""
    groups: dict[tuple[str, int, str], list[Sample]] = {}
    for s in runs:
        if s.clean:
            groups.setdefault((s.impl, s.count, s.role), []).append(s)
    return [
        Sample(
            impl=impl,
            count=count,
            role=role,
            cpu_percent=statistics.median(s.cpu_percent for s in group),
            rss_mib=statistics.median(s.rss_mib for s in group),
            processes=group[0].processes,
            load=statistics.median(s.load for s in group),
        )
        for (impl, count, role), group in groups.items()
    ]


def table(samples: list[Sample], counts: list[int], impls: list[str]) -> str:
    by = {(s.impl, s.count, s.role): s for s in samples}
    rows = [
        "| instances | implementation | master CPU % | µs per sent advert | master RSS MiB "
        "| backup CPU % | µs per received advert | backup RSS MiB |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for count in counts:
        for impl in impls:
            cells = [f"| {count} | {impl} |"]
            for role in ("master", "backup"):
                s = by.get((impl, count, role))
                # N instances: N / advert_int adverts per second sent (master) or received (backup).
                rate = count / float(Fraction(str(SETUP["advert_int"])))
                per_advert = s.cpu_percent / 100 / rate * 1e6 if s else 0.0
                cells.append(
                    f" {s.cpu_percent:.1f} | {per_advert:.0f} | {s.rss_mib:.1f} |" if s else " - | - | - |"
                )
            rows.append("".join(cells))
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 10, 100, 255])
    parser.add_argument("--impl", nargs="+", default=["alived", "keepalived"])
    parser.add_argument("--no-readme", action="store_true")
    parser.add_argument("--version", type=int, default=2)
    parser.add_argument("--interval", type=Fraction, default=Fraction(1), help="advert_int, seconds")
    parser.add_argument("--repeats", type=int, default=1, help="runs per row, interleaved; medians")
    parser.add_argument("--before", type=Path, help="source tree (its src/) to run as alived-before")
    args = parser.parse_args()
    SETUP.update(version=args.version, advert_int=args.interval)
    if args.before is not None:
        BEFORE_SRC.append(str(args.before.resolve() / "src"))
        args.impl = [*args.impl, "alived-before"]
    samples: list[Sample] = []
    every: list[Sample] = []
    with tempfile.TemporaryDirectory(prefix="bench-cpu-") as tmp:
        for count in args.counts:
            runs: list[Sample] = []
            for run in range(args.repeats):
                for impl in args.impl if run % 2 == 0 else list(reversed(args.impl)):
                    print(f"{impl}: {count} instances ...", flush=True)
                    try:
                        got = measure(impl, count, args.seconds, Path(tmp) / f"{impl}-{count}-{run}")
                    except (AssertionError, subprocess.TimeoutExpired) as err:
                        # A loaded machine may not settle, or `ip` may time out: one lost run.
                        print(f"  failed: {err}", flush=True)
                        continue
                    for s in got:
                        print(
                            f"  {s.role}: {s.cpu_percent:.2f} % CPU, {s.rss_mib:.1f} MiB, "
                            f"load average {s.load:.2f}",
                            flush=True,
                        )
                    runs += got
            samples += medians(runs)
            every += runs
    out = table(samples, args.counts, args.impl)
    print(out)
    print("runs (in order): instances, implementation, role, CPU %, load average, roles held")
    for s in every:
        print(f"  {s.count} {s.impl} {s.role} {s.cpu_percent:.2f} {s.load:.2f} {s.clean}")
    if not args.no_readme:
        procs = sorted({(s.impl, s.processes) for s in samples})
        body = (
            "`bench/bench_cpu.py`: two nodes of the same implementation, N VRRPv2 instances "
            "(one VRID and one VIP each, advert_int 1 s), priority 150 on the master and 100 on the "
            f"backup; CPU % of one core (utime+stime) and RSS over a {args.seconds:g} s window starting "
            f"{GARP_SETTLE_S:g} s after the election settled (after the second GARP burst), "
            "summed over the daemon's process tree ("
            + ", ".join(f"{impl}: {n} processes" for impl, n in procs)
            + f"). {platform.python_implementation()} {platform.python_version()}, "
            f"kernel {platform.release()}, {platform.machine()}, {os.cpu_count()} CPUs. "
            f"Resolution: one clock tick (1/{CLK_TCK} s) per window, i.e. "
            f"{100 / CLK_TCK / args.seconds:.1f} % CPU; the per-advert columns divide the CPU time by "
            "N adverts per second, so they are meaningful from about 100 instances."
        )
        write_section(HEADING, f"{textwrap.fill(body, 100)}\n\n{out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
