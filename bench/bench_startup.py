"""Start-up time: process start to the first VRRP advert on the wire, alived next to keepalived.

    .venv/bin/python bench/bench_startup.py [--runs 7] [--impl alived keepalived]

Two namespaces on a bridge. Node A runs the daemon with one VRRPv3 instance at priority 255 (the
address owner goes MASTER at once, so the first advert follows start-up with no protocol wait);
node B runs a capture (an AF_PACKET socket on its eth0) that prints the CLOCK_MONOTONIC time of
the first IPv4 packet of protocol 112. The figure is that time minus the time just before the
daemon's process is started. Runs alternate between the implementations (the order flips every
repeat) so a busy machine weighs on both alike; the medians are printed. Runs as root.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers.cluster import InstanceSpec, Lan, keepalived_conf, make_lan  # noqa: E402
from tests.helpers.netns import Lab  # noqa: E402
from tests.helpers.peers import KeepalivedPeer, start_alived, start_keepalived  # noqa: E402

# --before SRC adds "alived-before": the same daemon run from another source tree (PYTHONPATH wins
# over the editable install), e.g. `git archive main src | tar -x -C /tmp/before`.
BEFORE_ENV: dict[str, str] = {}

# Runs inside the observer's namespace: print the monotonic time of the first VRRP packet on eth0.
CAPTURE = r"""
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
s.bind(("eth0", 0))
print("ready", flush=True)
while True:
    data = s.recv(2048)
    if len(data) > 23 and data[23] == 112:
        print(f"{time.monotonic():.6f}", flush=True)
        break
"""


def owner_spec(count: int = 1) -> tuple[InstanceSpec, ...]:
    """`count` VRRPv3 instances at priority 255 (address owner): MASTER and advertising at once."""
    return tuple(
        InstanceSpec(
            vrid=i,
            priority=255,
            vips=(f"198.51.100.{i}/24" if i <= 254 else f"203.0.113.{i - 254}/24",),
            name=f"VI_{i}",
            version=3,
            advert_int=Fraction(1),
        )
        for i in range(1, count + 1)
    )


def start(impl: str, lan: Lan, conf: str, workdir: Path, tag: str) -> KeepalivedPeer:
    """Start `impl` (alived, alived-before or keepalived) in host 0 of `lan`."""
    ns = lan.hosts[0]
    if impl == "keepalived":
        return start_keepalived(ns, conf, workdir, tag)
    return start_alived(ns, conf, workdir, tag, env=BEFORE_ENV if impl == "alived-before" else None)


def first_advert_ms(lab: Lan, impl: str, workdir: Path, tag: str) -> float:
    """Start `impl` on host 0, return ms from just before its start to its first advert seen on host 1."""
    capture = subprocess.Popen(
        ["ip", "netns", "exec", lab.hosts[1].name, sys.executable, "-c", CAPTURE],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert capture.stdout is not None
        assert capture.stdout.readline().strip() == "ready"
        conf = keepalived_conf(owner_spec())
        t0 = time.monotonic()
        peer = start(impl, lab, conf, workdir, tag)
        try:
            line = capture.stdout.readline().strip()
            seen = float(line)
        finally:
            lab.lab.kill(peer.proc)
        return (seen - t0) * 1000
    finally:
        capture.kill()
        capture.wait()


# Imports every module the parent and the children make dataclasses in, with the methods' cache on
# (a tree without config/method_cache.py has none to write).
WARM = """
try:
    from alived.daemon import method_cache
except ImportError:
    method_cache = None
else:
    method_cache.install()
import alived.cli, alived.daemon.loader, alived.daemon.supervisor, alived.daemon.control
import alived.config.load, alived.daemon.vrrp.child, alived.daemon.check.child
if method_cache is not None:
    method_cache.flush()
"""


def compile_sources(*trees: Path) -> None:
    """Write the bytecode of each source tree, as installing the package does, and the dataclass
    methods' cache (config/method_cache.py), as the daemon's first start does.

    A checkout run with PYTHONDONTWRITEBYTECODE (as the test machines are) would otherwise
    compile every alived module again at each start, a cost no installed daemon pays.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for tree in trees:
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree)], check=True)
        src = str(tree.resolve())
        subprocess.run([sys.executable, "-c", WARM], check=True, env={**env, "PYTHONPATH": src})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--impl", nargs="+", default=["alived", "keepalived"])
    parser.add_argument("--before", type=Path, help="source tree (its src/) to run as alived-before")
    args = parser.parse_args()
    if args.before is not None:
        BEFORE_ENV["PYTHONPATH"] = str(args.before.resolve() / "src")
        args.impl = [*args.impl, "alived-before"]
    compile_sources(ROOT / "src", *([args.before / "src"] if args.before is not None else []))
    times: dict[str, list[float]] = {impl: [] for impl in args.impl}
    lab = Lab()
    try:
        lan = make_lan(lab, 2)
        with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
            for run in range(args.runs):
                order = args.impl if run % 2 == 0 else list(reversed(args.impl))
                for impl in order:
                    ms = first_advert_ms(lan, impl, Path(tmp) / impl, f"{impl}{run}")
                    times[impl].append(ms)
                    print(f"run {run + 1}: {impl} {ms:.0f} ms", flush=True)
    finally:
        lab.close()
    print("| implementation | median ms | min ms | max ms | runs |")
    print("|---|---:|---:|---:|---:|")
    for impl, values in times.items():
        median = statistics.median(values)
        print(f"| {impl} | {median:.0f} | {min(values):.0f} | {max(values):.0f} | {len(values)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
