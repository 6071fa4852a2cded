"""Differential test: alived's `-t` exit code equals keepalived 2.2.7's on 200 seeded corpus mutants.

keepalived's verdicts were recorded in a namespace with eth0..eth3 by
`python -m tests.corpus.mutants.record` into tests/corpus/mutants/expected.json; each mutant is
regenerated here from its source and seed (tests/corpus/mutants/mutate.py). Where keepalived itself
crashed (a negative code or one of 128 and above: a signal, or killed after hanging), alived must give
an ordinary verdict instead; those mutants are listed in the README.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from alived.config.load import load_config
from tests.corpus.mutants.mutate import COUNT, EXPECTED, digest, mutant, source_path
from tests.corpus.paths import samples

ETH = frozenset({"lo", "eth0", "eth1", "eth2", "eth3"})
RECORDS: list[dict[str, Any]] = json.loads(EXPECTED.read_text())


def crashed(code: int) -> bool:
    return code < 0 or code >= 128


def test_two_hundred_mutants_are_recorded() -> None:
    assert len(RECORDS) == COUNT
    assert len({(r["source"], r["seed"]) for r in RECORDS}) == COUNT


def test_the_mutants_cover_every_verdict() -> None:
    codes = {r["keepalived"] for r in RECORDS}
    assert {0, 2, 5, 6} <= codes


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: f"{r['seed']:03d}-{r['source']}")
def test_mutant_verdict_matches_keepalived(record: dict[str, Any], tmp_path: Path) -> None:
    if record["source"].startswith("samples/"):
        samples()
    text = source_path(record["source"]).read_text()
    assert digest(text) == record["sha256"], "the source changed: re-record the mutants"
    m = mutant(record["source"], record["seed"])
    assert m.mutation == record["mutation"]
    conf = tmp_path / "mutant.conf"
    conf.write_text(m.text)
    result = load_config(conf, interfaces=ETH)
    problems = [str(d) for d in result.problems]
    if crashed(record["keepalived"]):
        assert result.exit_code in (0, 2, 4, 5, 6), problems
        assert problems, "keepalived crashed on it: alived must at least say what is wrong"
    else:
        assert result.exit_code == record["keepalived"], problems
