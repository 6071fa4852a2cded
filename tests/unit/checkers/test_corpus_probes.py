"""Every checker block of keepalived's sample configs and of our corpus becomes a probe."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from alived.checkers.base import Target
from alived.config.load import load_config
from alived.daemon.check.probe_params import UnsupportedChecker, build_probe
from tests.unit.config.test_corpus import ETH, OWN, SAMPLES

FILES = sorted(p for p in (*SAMPLES.iterdir(), *OWN.glob("*.conf")) if "virtual_server" in p.read_text())


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_checker_builds(path: Path) -> None:
    config = load_config(path, interfaces=ETH).config
    built: Counter[str] = Counter()
    for vs in config.virtual_servers:
        for rs in vs.real_servers:
            target = Target(
                address=rs.address, port=rs.effective_port, virtualhost=rs.virtualhost or vs.virtualhost
            )
            for checker in rs.checkers:
                if checker.type == "BFD_CHECK":
                    with pytest.raises(UnsupportedChecker):
                        build_probe(checker, target, config=config)
                    continue
                probe = build_probe(checker, target, config=config, vs_virtualhost=vs.virtualhost)
                assert probe.keyword == checker.type
                hash(probe.identity)
                built[checker.type] += 1
    assert built or not any(rs.checkers for vs in config.virtual_servers for rs in vs.real_servers)


def test_the_samples_cover_the_main_types() -> None:
    kinds: set[str] = set()
    for path in FILES:
        for vs in load_config(path, interfaces=ETH).config.virtual_servers:
            kinds |= {c.type for rs in vs.real_servers for c in rs.checkers}
    assert {
        "TCP_CHECK",
        "HTTP_GET",
        "SSL_GET",
        "SMTP_CHECK",
        "MISC_CHECK",
        "UDP_CHECK",
        "PING_CHECK",
    } <= kinds
