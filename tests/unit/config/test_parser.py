"""Keyword tree, block structure and typed values: what keepalived.conf text becomes."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from alived.config.diagnostics import Severity
from alived.config.load import LoadResult
from alived.units import SECOND

Load = Callable[..., LoadResult]

BASIC = """
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    virtual_ipaddress {
        192.0.2.10/24 dev eth1 label eth1:1
        192.0.2.11
    }
%s
}
"""


def messages(result: LoadResult) -> list[str]:
    return [d.message for d in result.problems]


def test_a_clean_instance_loads_with_keepalived_defaults(load: Load) -> None:
    result = load(BASIC % "")
    assert result.exit_code == 0, messages(result)
    inst = result.config.instances[0]
    assert inst.name == "VI_1"
    assert inst.virtual_router_id == 51
    assert inst.effective_priority == 100
    assert inst.effective_state == "BACKUP"
    assert inst.effective_version == 2
    assert inst.effective_advert_int == SECOND
    assert inst.effective_garp_master_delay == 5 * SECOND
    assert inst.effective_garp_master_repeat == 5
    vip = inst.virtual_ipaddress[0]
    assert vip.address == ipaddress.ip_interface("192.0.2.10/24")
    assert (vip.dev, vip.label) == ("eth1", "eth1:1")
    assert inst.virtual_ipaddress[1].address.network.prefixlen == 32


def test_state_master_without_priority_means_owner(load: Load) -> None:
    inst = load(BASIC % "state MASTER").config.instances[0]
    assert inst.effective_priority == 255
    assert inst.effective_state == "MASTER"


def test_priority_255_without_state_starts_master(load: Load) -> None:
    inst = load(BASIC % "priority 255").config.instances[0]
    assert inst.effective_state == "MASTER"


def test_an_unknown_keyword_opens_no_block(load: Load) -> None:
    """As keepalived 2.2.7 reads it (checked with keepalived -t): the `{` after an unknown keyword is
    ignored, its lines are read in the instance, and its `}` closes the instance."""
    result = load(BASIC % "foo_kw {\n bar\n}\npriority 120")
    assert sorted(messages(result)) == sorted(
        [
            "Unknown keyword 'foo_kw'",
            "Unexpected '{' - ignoring",
            "Unknown keyword 'bar'",
            "Unknown keyword 'priority'",
            "Unknown keyword '}'",
        ]
    )
    assert result.config.instances[0].effective_priority == 100
    assert result.exit_code == 5


def test_missing_open_brace(load: Load) -> None:
    result = load("vrrp_instance VI_1\n interface eth0\n}\n")
    found = messages(result)
    assert "Missing '{' at beginning of configuration block" in found
    assert "Extra '}' found" in found
    assert result.exit_code == 5


def test_missing_close_brace_is_counted(load: Load) -> None:
    result = load(BASIC.replace("}\n", "", 1) % "")
    assert any("There are 1 missing '}'s or extra '{'s" in m for m in messages(result))


def test_out_of_range_values_are_skipped_with_keepalived_message(load: Load) -> None:
    result = load(BASIC % "priority 300")
    assert "number '300' outside range [1, 255]" in messages(result)
    assert result.config.instances[0].effective_priority == 100
    assert result.problems[0].location is not None
    assert result.problems[0].location.line == 9


def test_booleans_are_lower_case_words(load: Load) -> None:
    ok = load(BASIC % "smtp_alert yes")
    assert ok.config.instances[0].effective_smtp_alert is True
    bad = load(BASIC % "smtp_alert YES")
    assert bad.exit_code == 5
    assert bad.config.instances[0].smtp_alert is None


def test_timers_keep_microseconds(load: Load) -> None:
    inst = load(BASIC % "version 3\nadvert_int 0.25\npreempt_delay 1.000001").config.instances[0]
    assert inst.effective_advert_int == 250_000
    assert inst.preempt_delay == 1_000_001


def test_v2_advert_int_is_rounded(load: Load) -> None:
    result = load(BASIC % "advert_int 1.5")
    assert result.config.instances[0].effective_advert_int == 2 * SECOND
    assert any("must be an integer. rounding" in m for m in messages(result))


def test_ipv6_instance_is_version_3(load: Load) -> None:
    text = (
        BASIC.replace("192.0.2.10/24 dev eth1 label eth1:1", "2001:db8::1/64").replace(
            "192.0.2.11", "2001:db8::2"
        )
        % ""
    )
    inst = load(text).config.instances[0]
    assert (inst.family, inst.effective_version) == (6, 3)


def test_script_keyword_is_resplit_from_raw_line(load: Load) -> None:
    result = load(BASIC % 'notify_master "/bin/echo hello world" nobody', users=frozenset({"nobody"}))
    script = result.config.instances[0].notify_master
    assert script is not None
    assert script.argv == ("/bin/echo", "hello", "world")
    assert script.user == "nobody"


def test_track_entries_with_weights(load: Load) -> None:
    text = (
        BASIC
        % "track_interface {\n eth1 weight -20\n eth2 weight 10 reverse\n eth3\n eth0 weight 5 noreverse\n}"
    )
    entries = load(text).config.instances[0].track_interface
    # None: no word given, so the tracked object's own sense applies (keepalived).
    assert [(e.name, e.weight, e.reverse) for e in entries] == [
        ("eth1", -20, None),
        ("eth2", 10, True),
        ("eth3", None, None),
        ("eth0", 5, False),
    ]


def test_unicast_peers(load: Load) -> None:
    text = (
        BASIC % "unicast_src_ip 192.0.2.1\nunicast_peer {\n 192.0.2.2\n 192.0.2.3 min_ttl 250 max_ttl 255\n}"
    )
    inst = load(text).config.instances[0]
    assert str(inst.unicast_src_ip) == "192.0.2.1"
    assert [(str(p.address), p.min_ttl, p.max_ttl) for p in inst.unicast_peer] == [
        ("192.0.2.2", None, None),
        ("192.0.2.3", 250, 255),
    ]


def test_duplicate_vrid_on_same_interface(load: Load) -> None:
    text = (BASIC % "") + (BASIC % "").replace("VI_1", "VI_2")
    result = load(text)
    assert "VI_1 and VI_2 both use VRID 51 with IPv4 on interface eth0" in messages(result)


def test_ah_with_initial_master_is_cleared(load: Load) -> None:
    text = BASIC % "state MASTER\npriority 150\nauthentication {\n auth_type AH\n auth_pass secret\n}"
    result = load(text)
    assert "(VI_1) Initial state master is incompatible with AH authentication - clearing" in messages(result)
    assert result.config.instances[0].effective_state == "BACKUP"


def test_auth_pass_is_truncated_to_8(load: Load) -> None:
    text = BASIC % "authentication {\n auth_type PASS\n auth_pass 0123456789\n}"
    auth = load(text).config.instances[0].authentication
    assert auth is not None
    assert auth.auth_pass == "01234567"


def test_nopreempt_with_owner_is_reset(load: Load) -> None:
    result = load(BASIC % "priority 255\nnopreempt")
    assert result.config.instances[0].nopreempt is False
    assert "(VI_1) nopreempt is incompatible with priority 255. resetting nopreempt" in messages(result)


def test_unknown_interface_only_when_interfaces_given(load: Load) -> None:
    text = (BASIC % "").replace("interface eth0", "interface eth9")
    assert load(text, interfaces=None).exit_code == 0
    checked = load(text)
    assert "WARNING - interface eth9 for vrrp_instance VI_1 doesn't exist" in messages(checked)
    assert checked.exit_code == 5


def test_track_script_naming_missing_script(load: Load) -> None:
    result = load(BASIC % "track_script {\n nosuch\n}")
    assert "(VI_1) track script nosuch not found, ignoring..." in messages(result)
    assert result.config.instances[0].track_script == ()


def test_vrrp_track_file_alias_loads_silently_as_in_2_2_7(load: Load) -> None:
    result = load('vrrp_track_file tf {\n file "/run/x"\n weight -3 reverse\n}\n')
    assert result.config.track_files[0].name == "tf"
    assert result.config.track_files[0].weight == -3
    assert result.config.track_files[0].weight_reverse is True
    assert result.problems == ()


def test_deprecated_keyword_warns_and_still_applies(load: Load) -> None:
    result = load(BASIC % "vmac_garp_intvl 10")
    assert result.problems[0].severity == Severity.WARNING
    assert 'Keyword "vmac_garp_intvl" is deprecated' in result.problems[0].message
    assert result.config.instances[0].garp_extra_if == 10_000_000


def test_sync_group_members_and_missing_ones(load: Load) -> None:
    text = (BASIC % "") + "vrrp_sync_group G {\n group {\n VI_1 VI_X\n }\n}\n"
    result = load(text)
    assert result.config.sync_groups[0].group == ("VI_1",)
    assert result.config.instances[0].sync_group == "G"
    assert any("VI_X specified in sync group G doesn't exist" in m for m in messages(result))


def test_global_defs_blocks_accumulate(load: Load) -> None:
    text = "global_defs {\n router_id r1\n vrrp_garp_master_delay 2\n}\nglobal_defs {\n vrrp_version 3\n}\n"
    g = load(text).config.global_defs
    assert (g.router_id, g.vrrp_garp_master_delay, g.vrrp_version) == ("r1", 2 * SECOND, 3)


def test_instance_garp_falls_back_to_global(load: Load) -> None:
    text = "global_defs {\n vrrp_garp_master_repeat 2\n}\n" + BASIC % "garp_master_delay 1"
    inst = load(text).config.instances[0]
    assert (inst.effective_garp_master_delay, inst.effective_garp_master_repeat) == (SECOND, 2)
    assert inst.effective_garp_lower_prio_delay == SECOND


def test_a_vip_prefix_too_long_keeps_the_address_as_a_host(load: Load) -> None:
    # keepalived 2.2.7: the number's range, then "- using 32", and the VIP stays (as /32).
    result = load(BASIC.replace("192.0.2.11\n", "192.0.2.11/33\n") % "")
    assert messages(result) == [
        "number '33' outside range [0, 32]",
        "Invalid address prefix len 33 for address 192.0.2.11/33 - using 32",
    ]
    vips = [str(v.address) for v in result.config.instances[0].virtual_ipaddress]
    assert vips == ["192.0.2.10/24", "192.0.2.11/32"]


def test_garp_extra_if_keeps_all_and_reports_bad_values_as_keepalived(load: Load) -> None:
    """keepalived 2.2.7 -t: whole seconds, 1-86400 globally, 0-86400 in an instance."""
    glob = (
        "global_defs {\n vrrp_garp_extra_if all\n vrrp_garp_extra_if 86401\n vrrp_garp_extra_if all 1.5\n"
        " vrrp_vmac_garp_intvl -3\n vrrp_garp_extra_if all 7\n}\n"
    )
    inst = "garp_extra_if 1.5\n garp_extra_if all x\n garp_extra_if\n vmac_garp_intvl all 0"
    result = load(glob + BASIC % inst)
    assert [d.message for d in result.problems if "deprecated" not in d.message] == [
        "vrrp_garp_extra_if specified without time - ignoring",
        "number '86401' outside range [1, 86400]",
        "vrrp_garp_extra_if '86401' invalid - ignoring",
        "invalid number '1.5'",
        "vrrp_garp_extra_if '1.5' invalid - ignoring",
        "negative number '-3'",
        "vrrp_vmac_garp_intvl '-3' invalid - ignoring",
        "invalid number '1.5'",
        "(VI_1): garp_extra_if '1.5' invalid - ignoring",
        "invalid number 'x'",
        "(VI_1): garp_extra_if 'x' invalid - ignoring",
        "(VI_1): garp_extra_if specified without time - ignoring",
    ]
    g = result.config.global_defs
    assert (g.vrrp_garp_extra_if, g.vrrp_garp_extra_if_all) == (7_000_000, True)
    (vi,) = result.config.instances
    assert (vi.garp_extra_if, vi.garp_extra_if_all) == (0, True)
