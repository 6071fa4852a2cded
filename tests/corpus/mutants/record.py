"""Record keepalived 2.2.7's `-t` verdict for every corpus mutant into expected.json (needs root).

Run from the repository root: `python -m tests.corpus.mutants.record`. It builds one namespace with
eth0..eth3 (two veth pairs, as the corpus oracle had), runs `keepalived -t` on each mutant inside
it, removes the namespace, writes expected.json and prints where alived's verdict differs.
An exit code >= 128 or negative means keepalived itself crashed on the mutant.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from alived.config.load import load_config
from tests.corpus.mutants.mutate import COUNT, EXPECTED, Mutant, digest, mutant, plan, source_path
from tests.helpers.netns import Lab, Namespace

ETH = frozenset({"lo", "eth0", "eth1", "eth2", "eth3"})


def eth_namespace(lab: Lab) -> Namespace:
    ns = lab.netns("km")
    lab.veth(ns, "eth0", ns, "eth1")
    lab.veth(ns, "eth2", ns, "eth3")
    return ns


def keepalived_verdict(ns: Namespace, conf: Path, run_dir: Path) -> tuple[int, str]:
    """keepalived's exit code and stderr. Output goes to a file, not a pipe: after a crash a
    leftover process of its session can hold a pipe open; the session is killed by its id."""
    log = run_dir / "stderr.txt"
    with log.open("w") as err:
        proc = subprocess.Popen(
            [
                "ip", "netns", "exec", ns.name, "keepalived", "-t", "-f", str(conf),
                "-p", str(run_dir / "k.pid"), "-r", str(run_dir / "v.pid"),
                "-c", str(run_dir / "c.pid"), "-b", str(run_dir / "b.pid"),
            ],
            stdout=subprocess.DEVNULL, stderr=err, start_new_session=True,
        )  # fmt: skip
        try:
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            code = -int(signal.SIGKILL)  # keepalived hung: recorded as a crash
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return code, log.read_text(errors="replace")


def write_mutant(m: Mutant, directory: Path) -> Path:
    path = directory / f"mutant{m.seed:03d}.conf"
    path.write_text(m.text)
    return path


def main() -> int:
    lab = Lab()
    records = []
    mismatches = 0
    try:
        ns = eth_namespace(lab)
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            for source, seed in plan(COUNT):
                m = mutant(source, seed)
                run_dir = work / f"run{seed:03d}"
                run_dir.mkdir()
                conf = write_mutant(m, run_dir)
                code, stderr = keepalived_verdict(ns, conf, run_dir)
                ours = load_config(conf, interfaces=ETH)
                records.append(
                    {
                        "source": source,
                        "sha256": digest(source_path(source).read_text()),
                        "seed": seed,
                        "mutation": m.mutation,
                        "keepalived": code,
                    }
                )
                if ours.exit_code != code:
                    mismatches += 1
                    print(f"seed {seed} {source} {m.mutation}: keepalived {code}, alived {ours.exit_code}")
                    for line in stderr.splitlines()[-4:]:
                        print(f"    k: {line}")
                    for d in ours.problems[-4:]:
                        print(f"    a: {d}")
    finally:
        lab.close()
    EXPECTED.write_text(json.dumps(records, indent=1) + "\n")
    print(f"{len(records) - mismatches}/{len(records)} match")
    return 0


if __name__ == "__main__":
    sys.exit(main())
