"""Record keepalived 2.2.7's `-t` verdict for every bare-keyword case into expected.json (root).

Run from the repository root: `python -m tests.corpus.bare.record`. Prints where alived differs.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from alived.config.load import load_config
from tests.corpus.bare.cases import EXPECTED, cases
from tests.corpus.mutants.record import ETH, eth_namespace, keepalived_verdict
from tests.helpers.netns import Lab


def main() -> int:
    lab = Lab()
    recorded: dict[str, dict[str, object]] = {}
    try:
        ns = eth_namespace(lab)
        with tempfile.TemporaryDirectory() as tmp:
            for n, (case, text) in enumerate(cases()):
                run_dir = Path(tmp) / f"run{n:03d}"
                run_dir.mkdir()
                conf = run_dir / "bare.conf"
                conf.write_text(text)
                code, stderr = keepalived_verdict(ns, conf, run_dir)
                last = [line for line in stderr.splitlines() if "missing a parameter" in line]
                recorded[case] = {"keepalived": code, "words": last[0].split(") ", 1)[-1] if last else ""}
                ours = load_config(conf, interfaces=ETH).exit_code
                if ours != code:
                    print(f"{case}: keepalived {code}, alived {ours}")
    finally:
        lab.close()
    EXPECTED.write_text(json.dumps(recorded, indent=0, sort_keys=True) + "\n")
    print(f"{len(recorded)} cases recorded")
    return 0


if __name__ == "__main__":
    sys.exit(main())
