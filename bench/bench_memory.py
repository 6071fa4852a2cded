"""Memory of the daemon's process tree at 1 and 255 VRRP instances, alived next to keepalived.

    .venv/bin/python bench/bench_memory.py [--runs 3] [--counts 1 255] [--impl alived keepalived]

One namespace runs the daemon with N VRRPv3 instances at priority 255 (each MASTER at once, one
VIP each). Once every VIP is installed and a few more seconds have passed (GARP bursts done),
RSS and PSS are summed over the daemon's whole process tree from /proc/PID/smaps_rollup. PSS
splits each shared page between the processes sharing it, so the tree's PSS is what the tree
costs the machine; RSS counts a page shared by parent and child twice. Runs alternate between
the implementations; medians of --runs are printed. Runs as root.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_startup  # noqa: E402
from bench_cpu import tree  # noqa: E402
from tests.helpers.cluster import START_SLACK_S, keepalived_conf, make_lan  # noqa: E402
from tests.helpers.netns import Lab, wait_for  # noqa: E402

SETTLE_S = 6.0


def rollup_kib(pids: list[int]) -> tuple[int, int]:
    """(RSS, PSS) in KiB summed over `pids`."""
    rss = pss = 0
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith("Rss:"):
                rss += int(line.split()[1])
            elif line.startswith("Pss:"):
                pss += int(line.split()[1])
    return rss, pss


def measure(impl: str, count: int, workdir: Path) -> tuple[float, float, int]:
    """(RSS MiB, PSS MiB, processes) of `impl`'s tree with `count` instances, settled."""
    lab = Lab()
    try:
        lan = make_lan(lab, 1)
        specs = bench_startup.owner_spec(count)
        peer = bench_startup.start(impl, lan, keepalived_conf(specs), workdir, "mem")
        vips = [f" {s.vips[0].split('/')[0]}/" for s in specs]

        def installed() -> int:
            text = lan.hosts[0].addresses("eth0")
            return sum(1 for v in vips if v in text)

        try:
            wait_for(
                lambda: installed() == count,
                timeout=START_SLACK_S + 10 + count * 0.2,
                interval=0.5,
                what=f"{impl}: {count} VIPs",
            )
        except AssertionError as err:
            print(f"  {err} ({installed()} installed): measured as it is", flush=True)
        time.sleep(SETTLE_S)
        pids = tree(peer.proc.pid)
        rss, pss = rollup_kib(pids)
        lab.kill(peer.proc)
        return rss / 1024, pss / 1024, len(pids)
    finally:
        lab.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 255])
    parser.add_argument("--impl", nargs="+", default=["alived", "keepalived"])
    parser.add_argument("--before", type=Path, help="source tree (its src/) to run as alived-before")
    args = parser.parse_args()
    if args.before is not None:
        bench_startup.BEFORE_ENV["PYTHONPATH"] = str(args.before.resolve() / "src")
        args.impl = [*args.impl, "alived-before"]
    bench_startup.compile_sources(ROOT / "src", *([args.before / "src"] if args.before is not None else []))
    results: dict[tuple[str, int], list[tuple[float, float, int]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        for run in range(args.runs):
            for count in args.counts:
                order = args.impl if run % 2 == 0 else list(reversed(args.impl))
                for impl in order:
                    sample = measure(impl, count, Path(tmp) / f"{impl}-{count}-{run}")
                    results.setdefault((impl, count), []).append(sample)
                    print(f"run {run + 1}: {impl} x{count}: RSS {sample[0]:.1f} MiB PSS {sample[1]:.1f} MiB")
    print("| instances | implementation | processes | tree RSS MiB | tree PSS MiB | runs |")
    print("|---:|---|---:|---:|---:|---:|")
    for count in args.counts:
        for impl in args.impl:
            samples = results[(impl, count)]
            rss = statistics.median(s[0] for s in samples)
            pss = statistics.median(s[1] for s in samples)
            print(f"| {count} | {impl} | {samples[0][2]} | {rss:.1f} | {pss:.1f} | {len(samples)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
