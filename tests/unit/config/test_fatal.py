"""keepalived's fatal config verdicts: what exits 2, what keeps 4 apart from 5, what stops the daemon.

The bare-keyword cases (tests/corpus/bare) give every keyword alived knows without its parameter;
keepalived 2.2.7's verdict for each was recorded in a namespace with eth0..eth3 (the netns tier
re-derives them). Most of its handlers read the parameter unchecked and give up with exit 2.
"""

from __future__ import annotations

import json

import pytest

from alived.config.diagnostics import (
    Diagnostic,
    Severity,
    config_test_exit_code,
    daemon_exit_code,
)
from alived.config.load import load_text
from tests.corpus.bare.cases import EXPECTED, cases

ETH = frozenset({"lo", "eth0", "eth1", "eth2", "eth3"})
RECORDED: dict[str, dict[str, object]] = json.loads(EXPECTED.read_text())
CASES = dict(cases())

# Where alived's verdict differs from keepalived 2.2.7's on purpose, with the reason.
KNOWN: dict[str, str] = {
    # keywords added after 2.2.7 (facts §0): 2.2.7 reports "Unknown keyword", alived accepts them.
    **dict.fromkeys(
        (
            "global_defs/use_symlink_paths",
            "global_defs/set_supplementary_groups",
            "global_defs/v3_checksum_as_v2",
            "global_defs/dbus_no_interface_name",
            "global_defs/vrrp_owner_ignore_adverts",
            "vrrp_instance/no_virtual_ipaddress",
            "vrrp_instance/v3_checksum_as_v2",
            "vrrp_instance/timer_expired_backup",
            "vrrp_instance/thread_timer_expired",
            "vrrp_instance/owner_ignore_adverts",
            "vrrp_instance/auth_hmac {}",
            "vrrp_instance/auth_hmac/key",
            "bfd_instance/multihop",
        ),
        "keyword added after 2.2.7",
    ),
    "global_defs/vrrp_ipsets": "the packaged 2.2.7 is built without iptables: the keyword is unknown",
    "vrrp_instance/use_ipvlan": "ipvlan is not supported by alived (reported at start, not by the parser)",
    "vrrp_instance/unicast_peer": "empty unicast_peer block: keepalived's deprecation warning not given",
    # keepalived 2.2.7 crashes (SIGSEGV) on these; alived gives its clean diagnostic.
    "bfd_instance {}": "keepalived segfaults",
    "bfd_instance/neighbor_ip": "keepalived segfaults",
    "bfd_instance/neighbour_ip": "keepalived segfaults",
    "virtual_server/real_server/HTTP_GET {}": "keepalived segfaults (HTTP_GET without url)",
    "virtual_server/real_server/SSL_GET {}": "keepalived segfaults (SSL_GET without url)",
}


def test_every_keyword_case_has_a_recorded_verdict() -> None:
    assert sorted(CASES) == sorted(RECORDED)


def test_the_recording_has_fatal_cases() -> None:
    fatal = [case for case, rec in RECORDED.items() if rec["keepalived"] == 2]
    assert len(fatal) > 200


@pytest.mark.parametrize("case", sorted(c for c in CASES if c not in KNOWN))
def test_bare_keyword_verdict_matches_keepalived(case: str) -> None:
    theirs = RECORDED[case]["keepalived"]
    result = load_text(CASES[case], name="bare.conf", interfaces=ETH)
    assert result.exit_code == theirs, [str(d) for d in result.problems]
    if theirs == 2:
        # keepalived's words, at the keyword's line.
        aborts = [str(d) for d in result.diagnostics if d.severity == Severity.ABORT]
        assert aborts, "no missing-parameter diagnostic"
        assert RECORDED[case]["words"] in {a.split(") ", 1)[-1] for a in aborts}
        assert result.refusal == 2


@pytest.mark.parametrize("case", sorted(KNOWN))
def test_known_differences_are_still_clean(case: str) -> None:
    """keepalived crashes or disagrees by design here: alived gives an ordinary verdict, no traceback."""
    assert case in RECORDED
    assert load_text(CASES[case], name="bare.conf", interfaces=ETH).exit_code in (0, 5, 6)


def test_a_bare_debug_in_an_instance_is_fatal_with_keepalived_words() -> None:
    result = load_text(
        "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n debug\n"
        " virtual_ipaddress {\n  192.0.2.1\n }\n}\n",
        name="k.conf",
        interfaces=ETH,
    )
    assert result.exit_code == 2
    assert (
        "(k.conf: Line 4) *** Configuration line starting `debug` is missing a parameter after keyword"
        " `debug` at word position 2"
    ) in [str(d) for d in result.diagnostics]


def test_a_checked_bare_keyword_is_an_ordinary_error() -> None:
    result = load_text("global_defs {\n router_id\n}\n", name="k.conf", interfaces=ETH)
    assert result.exit_code == 5
    assert result.refusal is None
    assert "(k.conf: Line 2) routerid name missing - ignoring" in [str(d) for d in result.diagnostics]


def _d(severity: Severity, *, refuse: bool = False) -> Diagnostic:
    return Diagnostic("x", None, severity, refuse=refuse)


@pytest.mark.parametrize(
    ("severities", "code"),
    [
        ((), 0),
        ((Severity.INFO,), 0),
        ((Severity.FATAL,), 4),
        # keepalived keeps the mildest class it met: one ordinary error makes a 4 a 5.
        ((Severity.FATAL, Severity.ERROR), 5),
        ((Severity.FATAL, Severity.WARNING), 5),
        ((Severity.ERROR, Severity.SECURITY), 6),
        ((Severity.FATAL, Severity.SECURITY), 6),
        # a missing parameter ends keepalived on the spot.
        ((Severity.SECURITY, Severity.ABORT), 2),
        ((Severity.ABORT, Severity.FATAL, Severity.ERROR), 2),
    ],
)
def test_config_test_exit_code_follows_keepalived(severities: tuple[Severity, ...], code: int) -> None:
    assert config_test_exit_code(_d(s) for s in severities) == code


def test_daemon_refuses_on_abort_or_refusal_only() -> None:
    assert daemon_exit_code([_d(Severity.ERROR), _d(Severity.SECURITY), _d(Severity.FATAL)]) is None
    assert daemon_exit_code([_d(Severity.ABORT)]) == 2
    assert daemon_exit_code([_d(Severity.FATAL, refuse=True)]) == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "vrrp_instance VI_1 {\n interface eth9\n virtual_router_id 51\n"
            " virtual_ipaddress {\n  192.0.2.1\n }\n}\n",
            "Non-existent interface specified in configuration",
        ),
        (
            "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n version 3\n}\n",
            "(VI_1) No VIP specified; at least one is required",
        ),
        (
            "vrrp_instance VI_1 {\n interface eth0\n virtual_ipaddress {\n  192.0.2.1\n }\n}\n",
            "(VI_1) the virtual router id must be set",
        ),
        (
            "vrrp_instance A {\n interface eth0\n virtual_router_id 51\n"
            " virtual_ipaddress {\n  192.0.2.1\n }\n}\n"
            "vrrp_instance B {\n interface eth0\n virtual_router_id 51\n"
            " virtual_ipaddress {\n  192.0.2.2\n }\n}\n",
            "A and B both use VRID 51",
        ),
    ],
)
def test_what_stops_keepalived_daemon_is_a_refusal_but_not_a_test_failure(text: str, message: str) -> None:
    """keepalived -t says 5 for these, but its VRRP child exits 2 and the daemon never runs them."""
    result = load_text(text, name="k.conf", interfaces=ETH)
    assert result.exit_code == 5
    assert result.refusal == 2
    assert any(message in str(d) and d.refuse for d in result.diagnostics)


def test_a_plain_config_is_not_refused() -> None:
    result = load_text(
        "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n"
        " virtual_ipaddress {\n  192.0.2.1\n }\n}\n",
        interfaces=ETH,
    )
    assert (result.exit_code, result.refusal) == (0, None)


def test_repeated_value_blocks_add_up_and_duplicates_are_reported() -> None:
    result = load_text(
        "vrrp_script s {\n script /bin/true\n}\n"
        "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n"
        " virtual_ipaddress {\n  192.0.2.1\n }\n virtual_ipaddress {\n  192.0.2.2\n }\n"
        " track_script {\n  s\n  s\n }\n notify /bin/true\n notify /bin/false\n}\n",
        name="k.conf",
        interfaces=ETH,
    )
    inst = result.config.instances[0]
    assert [str(v.address.ip) for v in inst.virtual_ipaddress] == ["192.0.2.1", "192.0.2.2"]
    assert [e.name for e in inst.track_script] == ["s"]
    messages = [str(d) for d in result.diagnostics]
    assert "(k.conf: Line 15) (VI_1) duplicate track_script s - ignoring" in messages
    assert "(k.conf: Line 18) notify script already specified - ignoring /bin/false" in messages
