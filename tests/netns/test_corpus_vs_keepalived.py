"""alived's config-test verdict equals keepalived 2.2.7's `keepalived -t`, file by file.

keepalived runs inside a namespace with eth0..eth3 (two veth pairs, up), as the oracle did; alived
is given the same interface names. Covers keepalived's samples, alived's own tests/corpus and its
operator seeds, re-derives a sample of the recorded mutant and bare-keyword verdicts from the live
binary, and checks that both daemons refuse to start on what keepalived treats as fatal.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from alived.config.load import load_config, load_text
from tests.corpus.bare.cases import EXPECTED as BARE_EXPECTED
from tests.corpus.bare.cases import cases as bare_cases
from tests.corpus.mutants.mutate import EXPECTED as MUTANTS_EXPECTED
from tests.corpus.mutants.mutate import mutant
from tests.corpus.paths import OWN, SEEDS
from tests.helpers.netns import Lab, Namespace
from tests.helpers.peers import start_alived, start_keepalived
from tests.helpers.shared import samples
from tests.unit.config.cases import CASES

pytestmark = pytest.mark.netns

SAMPLES = samples()
ETH = frozenset({"lo", "eth0", "eth1", "eth2", "eth3"})


def corpus_files() -> list[Path]:
    return sorted(SAMPLES.iterdir()) + sorted(OWN.glob("*.conf")) + sorted(SEEDS.glob("*.conf"))


@pytest.fixture(scope="module")
def eth_ns() -> Iterator[Namespace]:
    """One namespace for the whole module: keepalived -t only reads it."""
    if shutil.which("keepalived") is None:
        pytest.fail("keepalived is not installed")
    lab = Lab()
    try:
        ns = lab.netns("kc")
        lab.veth(ns, "eth0", ns, "eth1")
        lab.veth(ns, "eth2", ns, "eth3")
        yield ns
    finally:
        lab.close()


def keepalived_verdict(ns: Namespace, conf: Path, run_dir: Path, *extra: str) -> int:
    # Own session: keepalived 2.2.7's -t can signal its process group, which must not be pytest's.
    proc = subprocess.run(
        [
            "ip", "netns", "exec", ns.name, "keepalived", "-t", "-f", str(conf),
            "-p", str(run_dir / "k.pid"), "-r", str(run_dir / "v.pid"),
            "-c", str(run_dir / "c.pid"), "-b", str(run_dir / "b.pid"), *extra,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        start_new_session=True,
    )  # fmt: skip
    return proc.returncode


@pytest.mark.parametrize("conf", corpus_files(), ids=lambda p: p.name)
def test_verdict_matches_keepalived(eth_ns: Namespace, conf: Path, tmp_path: Path) -> None:
    theirs = keepalived_verdict(eth_ns, conf, tmp_path)
    ours = load_config(conf, interfaces=ETH)
    assert theirs in (0, 2, 4, 5, 6), f"keepalived -t gave {theirs}"
    assert ours.exit_code == theirs, [str(d) for d in ours.problems]


@pytest.mark.parametrize("name", sorted(CASES))
def test_small_case_matches_keepalived(eth_ns: Namespace, name: str, tmp_path: Path) -> None:
    case = CASES[name]
    conf = tmp_path / f"{name}.conf"
    conf.write_text(case.text)
    theirs = keepalived_verdict(eth_ns, conf, tmp_path)
    assert theirs == case.code, f"keepalived -t now gives {theirs}"
    assert load_config(conf, interfaces=ETH).exit_code == theirs


@pytest.mark.parametrize("config_id", ["high", "low"])
def test_conditional_conf_with_config_id(eth_ns: Namespace, config_id: str, tmp_path: Path) -> None:
    conf = SAMPLES / "keepalived.conf.conditional_conf"
    theirs = keepalived_verdict(eth_ns, conf, tmp_path, "-i", config_id)
    assert load_config(conf, config_id=config_id, interfaces=ETH).exit_code == theirs


# Every tenth recorded verdict is re-derived from the live binary.
MUTANT_RECORDS = json.loads(MUTANTS_EXPECTED.read_text())[::10]
BARE_RECORDS = sorted(json.loads(BARE_EXPECTED.read_text()).items())[::10]
BARE_TEXTS = dict(bare_cases())


@pytest.mark.parametrize("record", MUTANT_RECORDS, ids=lambda r: f"{r['seed']:03d}")
def test_recorded_mutant_verdict_is_keepalived_s(
    eth_ns: Namespace, record: dict[str, object], tmp_path: Path
) -> None:
    m = mutant(str(record["source"]), int(str(record["seed"])))
    conf = tmp_path / "mutant.conf"
    conf.write_text(m.text)
    theirs = keepalived_verdict(eth_ns, conf, tmp_path)
    assert theirs == record["keepalived"], m.mutation
    if 0 <= theirs < 128:
        assert load_config(conf, interfaces=ETH).exit_code == theirs


@pytest.mark.parametrize(("case", "record"), BARE_RECORDS, ids=[c for c, _ in BARE_RECORDS])
def test_recorded_bare_keyword_verdict_is_keepalived_s(
    eth_ns: Namespace, case: str, record: dict[str, object], tmp_path: Path
) -> None:
    conf = tmp_path / "bare.conf"
    conf.write_text(BARE_TEXTS[case])
    assert keepalived_verdict(eth_ns, conf, tmp_path) == record["keepalived"]


FATAL = {
    "debug_in_instance": (SEEDS / "debug_in_instance.conf").read_text(),
    "missing_interface": (SEEDS / "missing_interface.conf").read_text(),
    "v3_without_vip": "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n version 3\n}\n",
}


@pytest.mark.parametrize("name", sorted(FATAL))
def test_both_daemons_refuse_a_fatal_config(eth_ns: Namespace, name: str, tmp_path: Path) -> None:
    """keepalived's daemon exits 2 ("permanent error CONFIG") on these; alived's does too, before
    installing anything."""
    text = FATAL[name]
    theirs = start_keepalived(eth_ns, text, tmp_path / "k", "ka")
    assert theirs.proc.wait(timeout=60) == 2, theirs.log.read_text()
    ours = start_alived(eth_ns, text, tmp_path / "a", "alived")
    assert ours.proc.wait(timeout=60) == 2, ours.log.read_text()
    assert load_text(text, interfaces=ETH).refusal == 2
    assert "exited with permanent error CONFIG" in ours.log.read_text()
    assert not eth_ns.has_address("eth0", "192.0.2.100")
