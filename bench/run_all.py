"""Run every benchmark and rewrite its section of bench/README.md (`make bench`, root, a few minutes).

Each bench is its own script (and can be run alone); this runs them one after the other so the
figures in bench/README.md come from one machine and one run. Pass names to run a subset:
`bench/run_all.py codec config`.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES: dict[str, list[str]] = {
    "codec": ["bench_codec.py", "--write-readme"],
    "config": ["bench_config.py", "--write"],
    "instance": ["bench_instance.py", "--write-readme"],
    "failover": ["bench_failover.py"],
    "cpu": ["bench_cpu.py"],
    "lb": ["bench_lb.py"],
    "director": ["bench_director.py"],
    "metrics": ["bench_metrics.py"],
    "reload": ["bench_reload.py"],
    "seeds": ["bench_seeds.py"],
}


def main(argv: list[str]) -> int:
    chosen = argv or list(BENCHES)
    unknown = [name for name in chosen if name not in BENCHES]
    if unknown:
        print(f"unknown bench(es): {', '.join(unknown)}; known: {', '.join(BENCHES)}", file=sys.stderr)
        return 2
    failed = []
    for name in chosen:
        script, *args = BENCHES[name]
        print(f"== {name}", flush=True)
        started = time.monotonic()
        rc = subprocess.call([sys.executable, str(HERE / script), *args])
        print(f"== {name}: rc {rc} in {time.monotonic() - started:.0f} s", flush=True)
        if rc != 0:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"figures written to {HERE / 'README.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
