"""keepalived's own sample configs: alived's config-test verdicts equal keepalived 2.2.7's.

The expected exit codes and reasons are the oracle's (`../shared/corpus/README.md` beside the
repository, keepalived -t in a namespace with eth0..eth3); tests/netns/test_corpus_vs_keepalived.py
re-checks them live.
"""

from __future__ import annotations

import pytest

from alived.config.load import load_config, load_text
from tests.corpus.paths import OWN, SEEDS, samples
from tests.unit.config.cases import CASES

SAMPLES = samples()

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


# alived's own corpus: verdicts confirmed against keepalived 2.2.7 by the netns test.
OWN_EXPECTED: dict[str, tuple[int, tuple[str, ...]]] = {
    "bad_values.conf": (
        5,
        (
            "number '300' outside range [1, 255]",
            "number '0' outside range [1, 255]",
            "invalid number 'abc'",
            "VRRP parsed invalid IP 192.0.2.300",
            "(BV_1) the virtual router id must be set",
        ),
    ),
    "braces.conf": (5, ("Extra '}' found", "Unknown keyword 'unknown_block'")),
    "checkers.conf": (0, ()),
    "include_defs.conf": (0, ()),
    "ipv6_v3.conf": (0, ()),
    "misc_bfd.conf": (0, ()),
    "order.conf": (5, ("track_file tf_late not found", "FILE_CHECK has no track_file specified")),
    "routes_rules.conf": (0, ()),
    "security.conf": (6, ("SECURITY VIOLATION",)),
    "security_enabled.conf": (
        5,
        (
            "Unable to set default user keepalived_script for script",
            "Unable to set default user for vrrp script chk_true - removing",
        ),
    ),
    "static.conf": (0, ()),
    "strict.conf": (
        5,
        ("(ST_1) State MASTER must match being address owner", "Strict mode does not support authentication"),
    ),
    "strict_clean.conf": (0, ()),
    "sync_notify.conf": (0, ()),
    "track_weights.conf": (0, ()),
    "unicast.conf": (0, ()),
    "vmac.conf": (0, ()),
}


# Operator-style configs (tutorial templates): keepalived 2.2.7's -t verdict and whether its
# daemon refuses to start (2) or runs (None).
SEEDS_EXPECTED: dict[str, tuple[int, int | None, tuple[str, ...]]] = {
    "debug_in_instance.conf": (
        2,
        2,
        ("*** Configuration line starting `debug` is missing a parameter after keyword `debug`",),
    ),
    "lvs_dr_http.conf": (0, None, ()),
    "lvs_nat_misc.conf": (0, None, ()),
    "missing_interface.conf": (
        5,
        2,
        ("WARNING - interface eth9 for vrrp_instance VI_1 doesn't exist", "Non-existent interface specified"),
    ),
    "nginx_backup.conf": (0, None, ()),
    "nginx_master.conf": (
        6,
        None,
        ("Unknown keyword 'debug'", "number '0' outside range", "SECURITY VIOLATION"),
    ),
    "nginx_unicast.conf": (6, None, ("SECURITY VIOLATION",)),
    "template_global_debug.conf": (5, None, ("Unknown keyword 'debug'", "number '0' outside range")),
}


def test_every_seed_has_an_expectation() -> None:
    assert sorted(p.name for p in SEEDS.glob("*.conf")) == sorted(SEEDS_EXPECTED)


@pytest.mark.parametrize("name", sorted(SEEDS_EXPECTED))
def test_seed_verdict_matches_keepalived(name: str) -> None:
    code, refusal, reasons = SEEDS_EXPECTED[name]
    result = load_config(SEEDS / name, interfaces=ETH)
    problems = [str(d) for d in result.problems]
    assert (result.exit_code, result.refusal) == (code, refusal), problems
    for reason in reasons:
        assert any(reason in p for p in problems), (reason, problems)


def test_every_own_corpus_file_has_an_expectation() -> None:
    assert sorted(p.name for p in OWN.glob("*.conf")) == sorted(OWN_EXPECTED)


@pytest.mark.parametrize("name", sorted(OWN_EXPECTED))
def test_own_corpus_verdict(name: str) -> None:
    code, reasons = OWN_EXPECTED[name]
    result = load_config(OWN / name, interfaces=ETH)
    problems = [str(d) for d in result.problems]
    assert result.exit_code == code, problems
    for reason in reasons:
        assert any(reason in p for p in problems), (reason, problems)


def test_own_corpus_models() -> None:
    inc = load_config(OWN / "include_defs.conf", interfaces=ETH).config
    assert [i.name for i in inc.instances] == ["INC_1", "SEQ_1", "SEQ_2", "SEQ_3"]
    assert [i.virtual_router_id for i in inc.instances] == [72, 81, 82, 83]
    assert str(inc.instances[3].virtual_ipaddress[0].address.ip) == "192.0.2.83"

    v6 = load_config(OWN / "ipv6_v3.conf", interfaces=ETH).config.instances[0]
    assert (v6.family, v6.effective_version, v6.effective_advert_int) == (6, 3, 500_000)
    assert len(v6.virtual_ipaddress_excluded) == 2

    vmac = load_config(OWN / "vmac.conf", interfaces=ETH).config.instances
    assert vmac[0].use_vmac is not None and vmac[0].use_vmac.name == "vrrp.63"
    assert vmac[0].vmac_xmit_base
    assert vmac[1].use_vmac is not None and vmac[1].use_vmac.name is None

    sync = load_config(OWN / "sync_notify.conf", interfaces=ETH).config
    group = sync.sync_groups[0]
    assert group.notify_master is not None
    assert group.notify_master.argv == ("/nonexistent/alived/notify.sh", "master", "two words")
    assert group.smtp_alert is True
    assert {i.sync_group for i in sync.instances} == {"SG_1"}

    strict = load_config(OWN / "strict.conf", interfaces=ETH).config.instances[0]
    assert strict.effective_strict
    assert strict.authentication is None
    assert strict.effective_state == "BACKUP"
    assert strict.effective_lower_prio_no_advert is True
    assert strict.effective_accept is False

    checkers = load_config(OWN / "checkers.conf", interfaces=ETH).config.virtual_servers
    kinds = [c.type for rs in checkers[0].real_servers for c in rs.checkers]
    assert kinds == [
        "TCP_CHECK",
        "HTTP_GET",
        "SSL_GET",
        "SMTP_CHECK",
        "DNS_CHECK",
        "PING_CHECK",
        "FILE_CHECK",
    ]
    tcp = checkers[0].real_servers[0].checkers[0]
    assert (tcp.effective_retry, tcp.effective_delay_before_retry, tcp.effective_delay_loop) == (
        2,
        1_500_000,
        6_000_000,
    )
    http = checkers[0].real_servers[1].checkers[0]
    assert http.url[0].status_code == ((200, 299), (302, 302))
    assert http.effective_delay_before_retry == 3_000_000
    dns = checkers[0].real_servers[4].checkers[0]
    assert (dns.dns_type, dns.dns_name, dns.effective_retry) == ("A", "example.org", 3)
    assert checkers[1].lvs_method.kind == "DR"
    assert checkers[1].real_servers[0].checkers[0].payload == "0102"

    static = load_config(OWN / "static.conf", interfaces=ETH).config
    assert [r.preference for r in static.static_rules] == [100, 101]
    assert static.static_routes[1].table == "100"
    assert static.static_ipaddress[1].label == "eth1:st"


@pytest.mark.parametrize("name", sorted(CASES))
def test_small_case_verdict(name: str) -> None:
    case = CASES[name]
    result = load_text(case.text, name=f"{name}.conf", interfaces=ETH)
    problems = [d.message for d in result.problems]
    assert result.exit_code == case.code, problems
    if case.reason:
        assert any(case.reason in p for p in problems), (case.reason, problems)


@pytest.mark.parametrize(("config_id", "priority"), [("high", 170), ("low", 85)])
def test_conditional_conf_with_a_config_id(config_id: str, priority: int) -> None:
    result = load_config(SAMPLES / "keepalived.conf.conditional_conf", config_id=config_id, interfaces=ETH)
    assert result.exit_code == 0, [str(d) for d in result.problems]
    assert result.config.global_defs.net_namespace == config_id
    inst = result.config.instances[0]
    assert inst.effective_priority == priority
    assert (inst.effective_version, inst.use_vmac is not None) == (3, True)
    script = result.config.vrrp_scripts[0].script
    assert script is not None
    assert script.argv == (f"/etc/keepalived/scripts/check_{config_id}_VI_0.sh",)
