"""alived's config-test verdict equals keepalived 2.2.7's `keepalived -t`, file by file.

keepalived runs inside a namespace with eth0..eth3 (two veth pairs, up), as the oracle did; alived
is given the same interface names. Covers keepalived's samples and alived's own tests/corpus.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from alived.config.load import load_config
from tests.helpers.netns import Lab, Namespace
from tests.helpers.shared import samples
from tests.unit.config.cases import CASES

pytestmark = pytest.mark.netns

SAMPLES = samples()
OWN = Path(__file__).resolve().parents[1] / "corpus"
ETH = frozenset({"lo", "eth0", "eth1", "eth2", "eth3"})


def corpus_files() -> list[Path]:
    return sorted(SAMPLES.iterdir()) + sorted(OWN.glob("*.conf"))


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
    assert theirs in (0, 4, 5, 6), f"keepalived -t gave {theirs}"
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
