"""Failover time of alived and of keepalived on the same 2-node LAN, next to the protocol bound.

    .venv/bin/python bench/bench_failover.py [--runs 5] [--impl alived keepalived] [--no-readme]

Two namespaces on a bridge, node A priority 150 (master), node B priority 100 (backup), both the
same implementation. Each run kills A's daemon and measures, on CLOCK_MONOTONIC, from just before
the signal to the moment the kernel in B's namespace announces the VIP (an RTM_NEWADDR on a
netlink socket opened inside B's namespace: the backup installs the VIP right after it becomes
master, before its gratuitous ARPs). Then A is started again and preempts, and the next run
begins. Hard failover is SIGKILL (B waits out Master_Down_Interval = 3 x interval + Skew_Time);
graceful is SIGTERM (A sends priority 0, B waits only Skew_Time). Kills are spread uniformly over
one advert interval so the hard medians are unbiased. Runs as root; writes the "## Failover"
section of bench/README.md unless --no-readme.
"""

from __future__ import annotations

import argparse
import platform
import queue
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers.cluster import START_SLACK_S, InstanceSpec, Node, make_lan, wait_master  # noqa: E402
from tests.helpers.netns import Lab, Namespace  # noqa: E402

README = Path(__file__).parent / "README.md"
HEADING = "## Failover"
VIP = "192.0.2.100"

# Runs inside the backup's namespace: print the monotonic time of every RTM_NEWADDR for argv[1].
WATCHER = r"""
import socket, struct, sys, time
vip = socket.inet_aton(sys.argv[1])
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
s.bind((0, 0x10))  # RTMGRP_IPV4_IFADDR
print("ready", flush=True)
while True:
    data = s.recv(1 << 16)
    now = time.monotonic()
    off = 0
    while off + 16 <= len(data):
        length, kind = struct.unpack_from("=IH", data, off)
        if length < 16:
            break
        if kind == 20:  # RTM_NEWADDR: ifaddrmsg (8 bytes) then attributes
            pos, end = off + 24, off + length
            while pos + 4 <= end:
                alen, atype = struct.unpack_from("=HH", data, pos)
                if alen < 4:
                    break
                if atype in (1, 2) and data[pos + 4 : pos + alen] == vip:
                    print(f"{now:.6f}", flush=True)
                    break
                pos += (alen + 3) & ~3
        off += (length + 3) & ~3
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class Setup:
    version: int
    advert_int: Fraction

    @property
    def label(self) -> str:
        return f"v{self.version}, advert_int {float(self.advert_int):g} s"


SETUPS = (Setup(version=2, advert_int=Fraction(1)), Setup(version=3, advert_int=Fraction(1, 10)))


class AddressWatcher:
    """The watcher process in a namespace; `next_after(t0)` returns the first VIP event after t0."""

    def __init__(self, ns: Namespace, vip: str) -> None:
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", ns.name, sys.executable, "-c", WATCHER, vip],
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        ns.lab.processes.append(self.proc)  # type: ignore[arg-type]
        self.events: queue.Queue[float] = queue.Queue()
        assert self.proc.stdout is not None
        if self.proc.stdout.readline().strip() != "ready":
            raise RuntimeError("address watcher did not start")
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.events.put(float(line))

    def next_after(self, t0: float, timeout: float) -> float | None:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                t = self.events.get(timeout=left)
            except queue.Empty:
                return None
            if t >= t0:
                return t
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    impl: str
    setup: Setup
    mode: str
    bound_ms: float
    samples_ms: tuple[float, ...]
    failures: int


def measure(impl: str, setup: Setup, runs: int, workdir: Path) -> list[Result]:
    lab = Lab()
    try:
        lan = make_lan(lab, 2)
        base = InstanceSpec(
            vrid=51, priority=0, vips=(f"{VIP}/24",), version=setup.version, advert_int=setup.advert_int
        )
        a = Node(impl, lan.hosts[0], workdir, (replace(base, priority=150),), "a")
        b = Node(impl, lan.hosts[1], workdir, (replace(base, priority=100),), "b")
        mdi = float(b.spec.master_down_interval())
        watcher = AddressWatcher(lan.hosts[1], VIP)
        b.start()
        a.start()
        results = []
        for mode, sig, bound in (
            ("hard (SIGKILL)", signal.SIGKILL, b.spec.master_down_interval()),
            ("graceful (SIGTERM)", signal.SIGTERM, b.spec.skew_time()),
        ):
            samples: list[float] = []
            failures = 0
            for _ in range(runs):
                wait_master(a, b, mdi + START_SLACK_S + 4, f"{impl} A to be master")
                time.sleep(random.uniform(0, float(setup.advert_int)))
                t0 = time.monotonic()
                a.stop(sig)
                t1 = watcher.next_after(t0, mdi + 3)
                if t1 is None:
                    failures += 1
                else:
                    samples.append((t1 - t0) * 1000)
                a.start()
            results.append(
                Result(
                    impl=impl,
                    setup=setup,
                    mode=mode,
                    bound_ms=float(bound) * 1000,
                    samples_ms=tuple(samples),
                    failures=failures,
                )
            )
        return results
    finally:
        lab.close()


def table(results: list[Result], runs: int) -> str:
    rows = [
        "| implementation | VRRP | failover | median ms | min ms | max ms | protocol bound ms | runs |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        if r.samples_ms:
            med, lo, hi = (f"{v:.0f}" for v in (statistics.median(r.samples_ms), *_span(r.samples_ms)))
        else:
            med = lo = hi = "-"
        done = f"{len(r.samples_ms)}/{runs}" + (f" ({r.failures} no takeover)" if r.failures else "")
        rows.append(
            f"| {r.impl} | {r.setup.label} | {r.mode} | {med} | {lo} | {hi} | {r.bound_ms:.0f} | {done} |"
        )
    return "\n".join(rows)


def _span(samples: tuple[float, ...]) -> tuple[float, float]:
    return min(samples), max(samples)


def write_section(heading: str, body: str, readme: Path = README) -> None:
    """Replace the `heading` section of bench/README.md (or append it); leave other sections alone."""
    text = readme.read_text() if readme.exists() else "# Benchmarks\n"
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == heading), None)
    section = [heading, "", *body.strip("\n").splitlines(), ""]
    if start is None:
        new = [*lines, "", *section] if lines and lines[-1].strip() else [*lines, *section]
    else:
        end = next((j for j in range(start + 1, len(lines)) if lines[j].startswith("## ")), len(lines))
        new = [*lines[:start], *section, *lines[end:]]
    readme.write_text("\n".join(new).rstrip("\n") + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--impl", nargs="+", default=["alived", "keepalived"])
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="bench-failover-") as tmp:
        for setup in SETUPS:
            for impl in args.impl:
                print(f"{impl}: {setup.label} ...", flush=True)
                results += measure(impl, setup, args.runs, Path(tmp) / f"{impl}-v{setup.version}")
    out = table(results, args.runs)
    print(out)
    if not args.no_readme:
        body = (
            f"`bench/bench_failover.py`: 2 nodes (priority 150 master, 100 backup) of the same "
            f"implementation on a bridge, {args.runs} runs per row, kills spread over one advert "
            "interval. Time from the signal to the VIP appearing in the backup's namespace (netlink "
            "RTM_NEWADDR). Bound: Master_Down_Interval (3 x interval plus Skew_Time) of the priority-100 "
            "backup for a hard kill, its Skew_Time for a graceful stop (priority-0 advert). "
            f"{platform.python_implementation()} {platform.python_version()}, "
            f"kernel {platform.release()}, {platform.machine()}."
        )
        note = (
            "A hard kill lands anywhere in the advert cycle, so its takeover falls between the "
            "bound minus one interval and the bound (plus a few ms to install the address); a graceful "
            "one sits just above Skew_Time."
        )
        write_section(HEADING, f"{textwrap.fill(body, 100)}\n\n{out}\n\n{textwrap.fill(note, 100)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
