"""The seeds' hot standby: from the web service's death to the VIP answering from the backup.

    .venv/bin/python bench/bench_seeds.py [--runs 5] [--impl alived keepalived]
                                          [--track script process] [--no-readme]

The lab is tests/helpers/hot_standby.py's: nodes a (the seeds' MASTER, priority 100) and b (BACKUP,
90) run the seeds' configs, each in front of its own web service, and a client polls the VIP every
50 ms (0.5 s timeout). `script` is the seeds' check as written (`killall -0 NAME` on a, every 2 s,
fall 2, weight -20); `process` puts a vrrp_track_process of the same weight in its place. Each run
stops a's web service (SIGTERM, at a random point of the check's interval) and measures on
CLOCK_MONOTONIC from just before the signal to the client's first answer from b, counting the
client's failed requests in between; then starts the service again and measures the same until
the client's first answer from a (preemption). alived and keepalived 2.2.7 run the same configs in
the same topology, one after the other. Runs as root; writes the "## Seeds' hot standby" section
of bench/README.md unless --no-readme.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_failover import write_section  # noqa: E402
from tests.helpers.hot_standby import PERIOD_S, HotStandby  # noqa: E402
from tests.helpers.netns import Lab  # noqa: E402

HEADING = "## Seeds' hot standby"
TIMEOUT_S = 40.0
# The seeds' numbers: advert_int 1, b at priority 90, a's script every 2 s with fall 2.
ADVERT_S = 1.0
MASTER_DOWN_B_S = 3 * ADVERT_S + (256 - 90) / 256
MASTER_DOWN_A_S = 3 * ADVERT_S + (256 - 100) / 256
SCRIPT_INTERVAL_S, SCRIPT_FALL = 2.0, 2
TRACKS = {
    "script": "vrrp_script (`killall -0`, interval 2, fall 2)",
    "process": "vrrp_track_process",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    impl: str
    track: str
    away_ms: tuple[float, ...]
    away_failed: tuple[int, ...]
    back_ms: tuple[float, ...]
    back_failed: tuple[int, ...]
    failures: int
    note: str = ""


# keepalived 2.2.7 asks for process events in the namespace it runs in; the kernel answers them
# only in the initial one, so inside a lab namespace its track_process never sees a process.
NO_PROC_EVENTS = "Failed to set/clear process event listen"


def measure(impl: str, track: str, runs: int, workdir: Path) -> Result:
    lab = Lab()
    away_ms: list[float] = []
    away_failed: list[int] = []
    back_ms: list[float] = []
    back_failed: list[int] = []
    failures = 0
    note = ""
    cycle = SCRIPT_INTERVAL_S if track == "script" else ADVERT_S
    try:
        hs = HotStandby(lab, workdir, impl, track)
        hs.build()
        hs.start(TIMEOUT_S)
        poller = hs.poller
        assert poller is not None
        if NO_PROC_EVENTS in hs.daemons["a"].log_text():
            note = f"not measurable: `{NO_PROC_EVENTS} - errno 111`, a and b stay at 80 and 70"
            runs = 0
        for _ in range(runs):
            hs.wait_serving("a", 0.0, TIMEOUT_S, f"{impl}: a to serve the VIP")
            # Spread the death over the check's cycle (and the advert's) so medians are unbiased.
            time.sleep(1.0 + random.uniform(0, cycle))
            died = time.monotonic()
            hs.web["a"].stop()
            try:
                first_b = hs.wait_serving("b", died, TIMEOUT_S, f"{impl}: the VIP to move to b")
            except AssertionError:
                failures += 1
                hs.web["a"].start()
                continue
            away_ms.append((first_b - died) * 1000)
            away_failed.append(poller.failures(died, first_b))
            # The same for the return: b's adverts keep a's down timer in step with b's takeover.
            time.sleep(1.0 + random.uniform(0, cycle))
            restarted = time.monotonic()
            hs.web["a"].start()
            first_a = hs.wait_serving("a", restarted, TIMEOUT_S, f"{impl}: a to preempt")
            back_ms.append((first_a - restarted) * 1000)
            back_failed.append(poller.failures(restarted, first_a))
    finally:
        lab.close()
    return Result(
        impl=impl,
        track=track,
        away_ms=tuple(away_ms),
        away_failed=tuple(away_failed),
        back_ms=tuple(back_ms),
        back_failed=tuple(back_failed),
        failures=failures,
        note=note,
    )


def _ms(samples: tuple[float, ...]) -> str:
    if not samples:
        return "-"
    return f"{statistics.median(samples):.0f} ({min(samples):.0f}-{max(samples):.0f})"


def _count(samples: tuple[int, ...]) -> str:
    if not samples:
        return "-"
    return f"{statistics.median(samples):g} ({min(samples)}-{max(samples)})"


def table(results: list[Result], runs: int) -> str:
    rows = [
        "| implementation | check | service death -> answer from b, ms | failed requests "
        "| service back -> answer from a, ms | failed requests | runs |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        done = f"{len(r.away_ms)}/{runs}" + (f" ({r.failures} no takeover)" if r.failures else "")
        if r.note:
            done = r.note
        rows.append(
            f"| {r.impl} | {TRACKS[r.track]} | {_ms(r.away_ms)} | {_count(r.away_failed)} "
            f"| {_ms(r.back_ms)} | {_count(r.back_failed)} | {done} |"
        )
    return "\n".join(rows)


def note() -> str:
    """What bounds the figures, from the seeds' numbers."""
    # The script fails `fall` runs after the death: the first failing run comes 0 to 1 interval later.
    script_low = SCRIPT_INTERVAL_S * (SCRIPT_FALL - 1) + MASTER_DOWN_B_S - ADVERT_S
    script_high = SCRIPT_INTERVAL_S * SCRIPT_FALL + MASTER_DOWN_B_S
    return (
        "What bounds it: a's priority drops to 80 once its check fails (the script: after 2 to "
        f"{SCRIPT_INTERVAL_S * SCRIPT_FALL:g} s, fall 2 at interval 2; track_process: at the "
        "process's exit event); b, at 90, discards a's lower-priority adverts and takes over when "
        f"its Master_Down_Interval ({MASTER_DOWN_B_S:.2f} s) runs out after the last advert at 100, "
        f"so the script's takeover lies within {script_low:.2f}-{script_high:.2f} s and "
        f"track_process's within {MASTER_DOWN_B_S - ADVERT_S:.2f}-{MASTER_DOWN_B_S:.2f} s. Preemption "
        f"is the same with a's Master_Down_Interval ({MASTER_DOWN_A_S:.2f} s) after its check passes "
        f"again (the script: rise 1, within {SCRIPT_INTERVAL_S:g} s). Every request between "
        "the service's death and b's first answer fails (connection refused at once), so the failed "
        "requests are that interval over the polling period. keepalived 2.2.7's track_process "
        "cannot run in a network namespace other than the host's: the kernel refuses its process "
        "connector subscription there (errno 111, ECONNREFUSED), so it never sees the process and "
        "keeps the weight applied from startup; alived opens that socket in PID 1's network "
        "namespace (linux/proc_connector.py) and runs the same config."
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--impl", nargs="+", default=["alived", "keepalived"])
    parser.add_argument("--track", nargs="+", default=list(TRACKS), choices=list(TRACKS))
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="bench-seeds-") as tmp:
        for track in args.track:
            for impl in args.impl:
                print(f"{impl}: {track} ...", flush=True)
                results.append(measure(impl, track, args.runs, Path(tmp) / f"{impl}-{track}"))
    out = table(results, args.runs)
    print(out)
    if not args.no_readme:
        body = (
            "`bench/bench_seeds.py`: the seeds' two-node hot standby (tests/helpers/hot_standby.py: "
            "their nginx_master/nginx_backup configs, a at priority 100, b at 90, advert_int 1, "
            "weight -20), a web service on each node, a client polling the VIP every "
            f"{PERIOD_S * 1000:.0f} ms. Each run stops a's web service at a random point of the "
            "check's cycle; the time runs from the signal to the client's first answer from b, then "
            "from the service's restart to the client's first answer from a (preemption). Median "
            f"(min-max) of {args.runs} runs per row; alived and keepalived 2.2.7 in the same run, same "
            f"topology. {platform.python_implementation()} {platform.python_version()}, "
            f"kernel {platform.release()}, {platform.machine()}."
        )
        write_section(HEADING, f"{textwrap.fill(body, 100)}\n\n{out}\n\n{textwrap.fill(note(), 100)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
