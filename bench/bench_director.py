"""Director failover as a client sees it: the interruption and the requests lost, next to the VRRP bound.

    .venv/bin/python bench/bench_director.py [--runs 3] [--advert-int 1 0.1] [--no-readme]

The lab of tests/helpers/director_lab.py: a client, two alived directors (priorities 150/100, one
vrrp_sync_group holding the VIP and the real servers' gateway, the same NAT virtual server on
nftables with HTTP_GET checks), three HTTP real servers. The client sends one request per fresh
connection back to back (10 ms apart, each bounded by a timeout of one advert interval, at most
0.5 s). Each run kills the master director (alived SIGKILLed and its links down: a dead machine)
and records, on the client's clock, the gap between the last answer before the death and the
first answer after it, and the requests that failed. Bound: the backup's Master_Down_Interval
(3 x interval + Skew_Time); the gap also holds up to one client timeout (a request sent into the
void waits it out) and the time since the last answer. Runs as root; writes the "## Director
failover" section of bench/README.md unless --no-readme.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_failover import write_section  # noqa: E402
from tests.helpers.director_lab import (  # noqa: E402
    RS_ADDR,
    Failover,
    build,
    kill_master_and_measure,
    master_down_interval,
    start_directors,
)
from tests.helpers.netns import Lab  # noqa: E402

HEADING = "## Director failover"


def one_run(advert_int: float) -> Failover:
    lab = Lab()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-director-") as tmp:
            dl = build(lab, Path(tmp), ("d1", "d2"), advert_int=advert_int)
            start_directors(dl)
            dl.client.start(timeout=min(0.5, advert_int))
            dl.client.wait_count(60)
            result = kill_master_and_measure(dl)
            if set(result.after) != set(RS_ADDR):
                raise RuntimeError(f"after failover only {result.after} answered")
            return result
    finally:
        lab.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--advert-int", type=float, nargs="+", default=[1.0, 0.1])
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()
    rows = []
    for advert in args.advert_int:
        results = []
        for i in range(args.runs):
            r = one_run(advert)
            print(
                f"advert_int {advert:g} s run {i + 1}: {r.interruption * 1000:.0f} ms, {r.lost} lost",
                flush=True,
            )
            results.append(r)
        gaps = [r.interruption * 1000 for r in results]
        lost = [r.lost for r in results]
        version = "v2" if advert >= 1 else "v3"
        rows.append(
            f"| {version}, advert_int {advert:g} s | {statistics.median(gaps):.0f} | {min(gaps):.0f} | "
            f"{max(gaps):.0f} | {master_down_interval(advert) * 1000:.0f} | "
            f"{statistics.median(lost):.0f} ({min(lost)}-{max(lost)}) | {len(results)} |"
        )
    table = "\n".join(
        [
            "| VRRP | interruption median ms | min ms | max ms | VRRP bound ms "
            "| requests lost median (range) | runs |",
            "|---|---:|---:|---:|---:|---:|---:|",
            *rows,
        ]
    )
    print(table)
    if not args.no_readme:
        body = (
            "`bench/bench_director.py`: client -> VIP -> two alived directors (150/100, a sync group holding "
            "the VIP and the real servers' gateway, NAT on nftables, HTTP_GET checks) -> three HTTP real "
            "servers. The client makes one request per fresh connection, 10 ms apart, each bounded by "
            "min(advert_int, 0.5 s). Each run kills the master (alived SIGKILLed, its links down) and "
            "measures on the client the gap between the last answer before and the first after, and the "
            "failed requests. "
            f"CPython {platform.python_version()}, kernel {platform.release()}, {platform.machine()}."
        )
        note = (
            "The backup director already holds the same nftables rules (its checker child runs "
            "whatever its VRRP state), so the gap is the VRRP takeover (below the Master_Down_Interval "
            "bound, by where the death falls in the advert cycle) plus up to one client timeout, and "
            "the requests lost are those sent into the gap. Connections open through the dead "
            "director are lost with it (its conntrack state is not synchronised)."
        )
        write_section(HEADING, f"{textwrap.fill(body, 100)}\n\n{table}\n\n{textwrap.fill(note, 100)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
