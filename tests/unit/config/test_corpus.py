"""keepalived's own sample configs: alived's config-test verdicts equal keepalived 2.2.7's.

The expected exit codes and reasons are the oracle's (`/work/shared/corpus/README.md`, keepalived -t
in a namespace with eth0..eth3); tests/netns/test_corpus_vs_keepalived.py re-checks them live.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from alived.config.load import load_config

SAMPLES = Path("/work/shared/corpus/keepalived-samples")
OWN = Path(__file__).resolve().parents[2] / "corpus"
ETH = frozenset({"lo", "eth0", "eth1", "eth2", "eth3"})

# file -> (exit code, substrings that must appear among the problems)
EXPECTED: dict[str, tuple[int, tuple[str, ...]]] = {
    "keepalived.conf.HTTP_GET.port": (0, ()),
    "keepalived.conf.IPv6": (0, ()),
    "keepalived.conf.PING_CHECK": (0, ()),
    "keepalived.conf.SMTP_CHECK": (0, ()),
    "keepalived.conf.SSL_GET": (5, ("(VI_1) Initial state master is incompatible with AH authentication",)),
    "keepalived.conf.UDP_CHECK": (0, ()),
    "keepalived.conf.conditional_conf": (
        5,
        ("No script set for vrrp_script check_VI_0 - removing", "(VI_0) track script check_VI_0 not found"),
    ),
    "keepalived.conf.fwmark": (5, ("protocol specified for fwmark - protocol will be ignored",)),
    "keepalived.conf.inhibit": (0, ()),
    "keepalived.conf.misc_check": (0, ()),
    "keepalived.conf.misc_check_arg": (0, ()),
    "keepalived.conf.quorum": (0, ()),
    "keepalived.conf.sample": (0, ()),
    "keepalived.conf.status_code": (0, ()),
    "keepalived.conf.track_interface": (
        5,
        (
            "interface eth0.1 for vrrp_instance VI_1 doesn't exist",
            "cannot track route 192.168.112.0/24 with no interface specified",
        ),
    ),
    "keepalived.conf.virtual_server_group": (0, ()),
    "keepalived.conf.virtualhost": (0, ()),
    "keepalived.conf.vrrp": (0, ()),
    "keepalived.conf.vrrp.localcheck": (6, ("SECURITY VIOLATION - scripts are being executed",)),
    "keepalived.conf.vrrp.lvs_syncd": (
        5,
        (
            "Unknown keyword 'VI_2'",
            "Unknown keyword 'VI_3'",
            "Specifying lvs_sync_daemon_interface against a vrrp is deprecated",
        ),
    ),
    "keepalived.conf.vrrp.routes": (
        5,
        ('"or" for routes is deprecated', "cannot track route 192.168.112.0/24 with no interface specified"),
    ),
    "keepalived.conf.vrrp.rules": (
        5,
        ("VRRP parsed invalid IP 192.168.100./24", "Rule has no preference specified - setting to 16384"),
    ),
    "keepalived.conf.vrrp.scripts": (0, ()),
    "keepalived.conf.vrrp.static_ipaddress": (5, ("cannot track route 192.168.112.0/24",)),
    "keepalived.conf.vrrp.sync": (0, ()),
}


def test_every_sample_has_an_expectation() -> None:
    assert sorted(p.name for p in SAMPLES.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_verdict_matches_keepalived(name: str) -> None:
    code, reasons = EXPECTED[name]
    result = load_config(SAMPLES / name, interfaces=ETH)
    problems = [str(d) for d in result.problems]
    assert result.exit_code == code, problems
    for reason in reasons:
        assert any(reason in p for p in problems), (reason, problems)
    # Every problem keepalived reports against a line says which file and line.
    for diag in result.problems:
        if diag.location is not None:
            assert diag.location.line >= 1
            assert diag.location.file.endswith(name)


def test_samples_build_a_model() -> None:
    sync = load_config(SAMPLES / "keepalived.conf.vrrp.sync", interfaces=ETH).config
    assert [g.name for g in sync.sync_groups] == ["G1", "G2"]
    assert len(sync.instances) >= 2
    quorum = load_config(SAMPLES / "keepalived.conf.quorum", interfaces=ETH).config
    vs = quorum.virtual_servers[0]
    assert (vs.quorum, vs.hysteresis, vs.alpha, vs.omega) == (7, 2, True, True)
    assert vs.quorum_up is not None
    assert len(vs.real_servers) == 10
    vsg = load_config(SAMPLES / "keepalived.conf.virtual_server_group", interfaces=ETH).config
    assert vsg.virtual_server_groups
    ranges = [e for g in vsg.virtual_server_groups for e in g.entries if e.first != e.last]
    assert any(str(e.first) == "192.168.200.3" and str(e.last) == "192.168.200.10" for e in ranges)
