"""Split brain: detection, heal time and client-side recovery, alived vs keepalived 2.2.7.

    .venv/bin/python bench/bench_split_brain.py [--runs 3] [--impl alived keepalived] [--no-readme]

The scenario of tests/helpers/split_brain_lab.py: two nodes (priority 150 and 100) and a client
on a bridge, nftables dropping VRRP in both nodes until both are master; the split lasts 7 s
(past the masters' second gratuitous ARP burst); the client's neighbour entry for the VIP names
the loser. Then the rules go, in one of three ways (rows):

- both at once, the client pinging the VIP 5 times a second: which side hears the other first
  is chance;
- the loser's rule first, the winner's once the loser is backup (the winner never hears a
  lower-priority advert), the client pinging;
- the same, the client silent (only an announcement can correct its entry).

Times are from the first rule's removal, polled every 10 ms: one master (the winner holds the
VIP and the loser is backup, by their logs and addresses), and the client's entry naming the
winner's MAC ("stale" when it did not within 15 s). Runs as root; writes the "## Split brain"
section of bench/README.md unless --no-readme.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_failover import write_section  # noqa: E402
from tests.helpers import split_brain_lab as sb  # noqa: E402
from tests.helpers.netns import Lab  # noqa: E402

HEADING = "## Split brain"
HEAL_WAIT = 15.0
ROWS = (
    ("both rules removed at once, client pinging", False, True),
    ("loser's rule first, client pinging", True, True),
    ("loser's rule first, client silent", True, False),
)


def one(kind: str, loser_first: bool, keep_pinging: bool, tmp: Path) -> sb.Outcome:
    lab = Lab()
    try:
        tmp.mkdir(parents=True, exist_ok=True)
        return sb.run(lab, tmp, kind, loser_first=loser_first, keep_pinging=keep_pinging, heal_wait=HEAL_WAIT)
    finally:
        lab.close()


def ms(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{statistics.median(values) * 1000:.0f} ({min(values) * 1000:.0f}-{max(values) * 1000:.0f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--impl", nargs="+", default=["alived", "keepalived"])
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()
    table = [
        "| implementation | heal | split brain logged ms after both master | one master ms"
        " | client corrected ms | client stale after 15 s |",
        "|---|---|---:|---:|---:|---:|",
    ]
    with tempfile.TemporaryDirectory(prefix="bench-split-brain-") as tmp:
        for label, loser_first, keep_pinging in ROWS:
            for kind in args.impl:
                outcomes = []
                for i in range(args.runs):
                    print(f"{kind}: {label} run {i + 1} ...", flush=True)
                    outcomes.append(
                        one(
                            kind,
                            loser_first,
                            keep_pinging,
                            Path(tmp) / f"{kind}-{ROWS.index((label, loser_first, keep_pinging))}-{i}",
                        )
                    )
                detected = [o.detected_after_s for o in outcomes if o.detected_after_s is not None]
                one_master = [o.one_master_after_s for o in outcomes if o.one_master_after_s is not None]
                client = [o.client_ok_after_s for o in outcomes if o.client_ok_after_s is not None]
                stale = sum(o.client_ok_after_s is None for o in outcomes)
                row = (
                    f"| {kind} | {label} | {ms(detected) if kind == 'alived' else 'not detected'} |"
                    f" {ms(one_master)} | {ms(client)} | {stale}/{len(outcomes)} |"
                )
                print(row, flush=True)
                table.append(row)
    body = f"""`bench/bench_split_brain.py`: {args.runs} runs per row, median (min-max) ms; Python
{platform.python_version()}, {platform.machine()}, 2 cores shared with other work. Two nodes
(priority 150 and 100, advert_int 1) and a client on a bridge; nftables drops VRRP in both nodes
until both are master; the split lasts 7 s; the client's neighbour entry for the VIP names the
loser. Then the rules are removed (rows; "at once" at a random point of the advert cycle); times
from the first removal, polled every 10 ms.

{chr(10).join(table)}

"Client corrected" is the client's neighbour entry for the VIP naming the winner's MAC. The
winner hears a lower-priority advert only when the loser's advert reaches it before the loser
yields: then keepalived's `garp_lower_prio_repeat` burst corrects the client too. Otherwise
keepalived sends nothing, and the client stays on the loser's MAC until its own neighbour
probing gives up on it (about 5 s of `delay_first_probe_time` plus unicast probes, only while it
sends traffic; a silent client stays stale). alived's winner re-announces when it hears that
lower-priority advert or, at the latest, when two fast ARP probes (125 ms
apart) find the loser no longer answering for the VIP. Detection needs two answers to alived's
ARP probe one advert interval apart (one interval, plus the time until the first probe).
"""
    print(body)
    if not args.no_readme:
        write_section(HEADING, body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
