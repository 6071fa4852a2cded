"""Semantic checks with the outside world faked: script files and users, interfaces, LVS inheritance."""

from __future__ import annotations

from collections.abc import Callable

from alived.config.diagnostics import Severity
from alived.config.load import LoadResult
from alived.config.render import render_config
from alived.config.resolve import ScriptFile
from alived.units import SECOND

Load = Callable[..., LoadResult]

INSTANCE = """
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    virtual_ipaddress {
        192.0.2.1
    }
    track_script {
        chk
    }
}
"""
SCRIPT = 'vrrp_script chk {\n    script "/usr/local/bin/chk.sh arg"\n    interval 2\n    weight -10\n}\n'
SAFE = {"/usr/local/bin/chk.sh": ScriptFile(path="/usr/local/bin/chk.sh")}
UNSAFE = {"/usr/local/bin/chk.sh": ScriptFile(path="/usr/local/bin/chk.sh", insecure=True)}


def messages(result: LoadResult) -> list[str]:
    return [d.message for d in result.problems]


def test_existing_script_without_script_security_is_a_violation(load: Load) -> None:
    result = load(SCRIPT + INSTANCE, scripts=SAFE)
    assert result.exit_code == 6
    assert result.problems[-1].severity == Severity.SECURITY


def test_missing_script_file_disables_the_track_script_as_keepalived(load: Load) -> None:
    # keepalived 2.2.7 -t: rc 5, the script leaves the instance's tracking (no FAULT, no weight).
    result = load(SCRIPT + INSTANCE, scripts={})
    assert result.exit_code == 5
    assert messages(result) == ["Disabling track script chk since not found/accessible"]
    assert result.config.vrrp_scripts == ()
    assert result.config.instances[0].track_script == ()


def test_script_fields_are_kept_as_written(load: Load) -> None:
    result = load(SCRIPT + INSTANCE, scripts=SAFE)
    script = result.config.vrrp_scripts[0]
    assert script.script is not None
    assert script.script.argv == ("/usr/local/bin/chk.sh", "arg")
    assert (script.interval, script.weight) == (2 * SECOND, -10)


def test_script_security_without_default_user_removes_scripts(load: Load) -> None:
    text = "global_defs {\n enable_script_security\n}\n" + SCRIPT + INSTANCE
    result = load(text, scripts=SAFE)
    assert "Unable to set default user keepalived_script for script" in messages(result)
    assert "Unable to set default user for vrrp script chk - removing" in messages(result)
    assert result.config.vrrp_scripts == ()
    assert result.config.instances[0].track_script == ()
    assert result.exit_code == 5


def test_script_security_with_keepalived_script_user_is_clean(load: Load) -> None:
    text = "global_defs {\n enable_script_security\n}\n" + SCRIPT + INSTANCE
    result = load(text, scripts=SAFE, users=frozenset({"keepalived_script"}))
    assert result.exit_code == 0, messages(result)
    assert result.config.instances[0].track_script[0].name == "chk"


def test_script_security_disables_writable_root_scripts(load: Load) -> None:
    text = "global_defs {\n enable_script_security\n script_user root\n}\n" + SCRIPT + INSTANCE
    result = load(text, scripts=UNSAFE)
    assert messages(result) == ["Disabling track script chk due to insecure"]
    logged = [d.message for d in result.diagnostics if d.severity == Severity.LOG]
    assert logged == ["Unsafe permissions found for script '/usr/local/bin/chk.sh' - disabling."]
    assert result.config.vrrp_scripts == ()
    assert result.config.instances[0].track_script == ()
    assert result.exit_code == 5


def test_writable_script_run_as_a_plain_user_is_not_refused(load: Load) -> None:
    # keepalived only walks the path of a script that runs as root (or is set-uid/gid root).
    text = "global_defs {\n enable_script_security\n script_user nobody\n}\n" + SCRIPT + INSTANCE
    result = load(text, scripts=UNSAFE, users=frozenset({"nobody"}))
    assert result.exit_code == 0, messages(result)
    assert result.config.instances[0].track_script[0].name == "chk"


def test_script_with_unknown_user_is_removed(load: Load) -> None:
    text = SCRIPT.replace("interval 2", "user nosuch") + INSTANCE
    result = load(text, scripts=SAFE)
    assert "Unable to set uid/gid for script '/usr/local/bin/chk.sh'" in messages(result)
    assert "(VI_1) track script chk not found, ignoring..." in messages(result)


def test_bare_script_names_are_probed_by_name(load: Load) -> None:
    text = SCRIPT.replace("/usr/local/bin/chk.sh arg", "killall -0 sshd") + INSTANCE
    result = load(text, scripts={"killall": ScriptFile(path="/usr/bin/killall")})
    assert result.exit_code == 6


def test_redirect_scripts_are_not_executables(load: Load) -> None:
    text = SCRIPT.replace("/usr/local/bin/chk.sh arg", "</dev/tcp/127.0.0.1/80") + INSTANCE
    assert load(text, scripts=SAFE).exit_code == 0


VS = """
virtual_server 192.0.2.9 80 {
    delay_loop 10
    lb_algo rr
    lb_kind NAT
    protocol TCP
    retry 4
    real_server 198.51.100.1 {
        delay_before_retry 2
        %s
    }
}
"""


def test_checker_inherits_from_real_and_virtual_server(load: Load) -> None:
    result = load(VS % "TCP_CHECK {\n connect_timeout 1\n }")
    rs = result.config.virtual_servers[0].real_servers[0]
    assert rs.effective_port == 80
    check = rs.checkers[0]
    assert check.effective_retry == 4
    assert check.effective_delay_before_retry == 2 * SECOND
    assert check.effective_connect_timeout == SECOND
    assert check.effective_delay_loop == 10 * SECOND
    assert check.effective_warmup == 10 * SECOND


def test_misc_check_defaults_and_dynamic(load: Load) -> None:
    text = (VS % "MISC_CHECK {\n misc_path \"/bin/check 'a b'\"\n misc_dynamic\n }").replace("retry 4", "")
    check = load(text).config.virtual_servers[0].real_servers[0].checkers[0]
    assert check.misc_path is not None
    assert check.misc_path.argv == ("/bin/check", "a b")
    assert check.misc_dynamic
    assert check.effective_retry == 0


def test_fwmark_service_clears_real_server_ports(load: Load) -> None:
    text = (VS % "TCP_CHECK {\n }").replace("192.0.2.9 80", "fwmark 5").replace("protocol TCP", "")
    rs = load(text).config.virtual_servers[0].real_servers[0]
    assert rs.effective_port is None


def test_virtual_server_group_entries(load: Load) -> None:
    text = "virtual_server_group G {\n 192.0.2.1-9 80\n 198.51.100.0/30 443\n fwmark 7\n}\n"
    group = load(text).config.virtual_server_groups[0]
    assert [(str(e.first), str(e.last), e.port, e.fwmark) for e in group.entries] == [
        ("192.0.2.1", "192.0.2.9", 80, None),
        ("198.51.100.0", "198.51.100.3", 443, None),
        ("None", "None", None, 7),
    ]


def test_route_and_rule_grammar(load: Load) -> None:
    text = """
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    virtual_ipaddress {
        192.0.2.1
    }
    virtual_routes {
        src 192.0.2.1 203.0.113.0/24 via 192.0.2.254 dev eth0 table 10 metric 5 onlink
        198.51.100.0/24 nexthop via 192.0.2.253 dev eth1 weight 2 nexthop via 192.0.2.252 dev eth2
    }
    virtual_rules {
        from 192.0.2.0/24 to 203.0.113.0/24 table 10 preference 50 fwmark 3
    }
}
"""
    result = load(text)
    assert result.exit_code == 0, messages(result)
    inst = result.config.instances[0]
    first, second = inst.virtual_routes
    assert (str(first.src), str(first.dst), str(first.via), first.dev) == (
        "192.0.2.1",
        "203.0.113.0/24",
        "192.0.2.254",
        "eth0",
    )
    assert (first.table, first.metric, first.onlink) == ("10", 5, True)
    assert [(str(h.via), h.dev, h.weight) for h in second.nexthops] == [
        ("192.0.2.253", "eth1", 2),
        ("192.0.2.252", "eth2", None),
    ]
    rule = inst.virtual_rules[0]
    assert (str(rule.from_), str(rule.to), rule.table, rule.preference) == (
        "192.0.2.0/24",
        "203.0.113.0/24",
        "10",
        50,
    )
    assert ("fwmark", "3") in rule.options


def test_interface_checks_cover_tracking_and_vip_devices(load: Load) -> None:
    text = INSTANCE.replace("track_script {\n        chk\n    }", "track_interface {\n eth7\n }").replace(
        "192.0.2.1", "192.0.2.1 dev eth8"
    )
    found = messages(load(text))
    assert "(VI_1) tracked interface eth7 doesn't exist" in found
    assert "WARNING - interface eth8 for ip address 192.0.2.1 doesn't exist" in found
    assert "Non-existent interface specified in configuration" in found


def test_quorum_above_total_weight_and_hysteresis_are_reduced_as_keepalived(load: Load) -> None:
    text = (VS % "TCP_CHECK {\n }").replace("retry 4", "quorum 5\n    hysteresis 3")
    result = load(text)
    vs = result.config.virtual_servers[0]
    assert (vs.quorum, vs.hysteresis) == (1, 0)
    messages = [d.message for d in result.diagnostics]
    assert any(
        "quorum 5 for [192.0.2.9]:tcp:80 exceeds total weight of real servers 1" in m for m in messages
    )
    assert any("hysteresis 3 >= quorum 1; setting hysteresis to 0" in m for m in messages)


def test_a_virtual_server_without_protocol_is_udp_as_keepalived_says(load: Load) -> None:
    # keepalived 2.2.7 -t: "Virtual server [192.0.2.9]:none:80: no protocol set - defaulting to UDP", exit 5
    result = load((VS % "TCP_CHECK {\n }").replace("    protocol TCP\n", ""))
    assert result.config.virtual_servers[0].protocol == "UDP"
    messages = [d.message for d in result.diagnostics]
    assert "Virtual server [192.0.2.9]:none:80: no protocol set - defaulting to UDP" in messages
    fwmark = load(
        (VS % "TCP_CHECK {\n }").replace("    protocol TCP\n", "").replace("192.0.2.9 80", "fwmark 3")
    )
    assert not any("no protocol set" in d.message for d in fwmark.diagnostics)


def test_a_post_read_check_is_unlocated_as_keepalived_writes_it_but_keeps_its_place(load: Load) -> None:
    result = load(INSTANCE.replace("    virtual_router_id 51\n", ""))
    (diag,) = (d for d in result.problems if "virtual router id" in d.message)
    assert diag.keepalived_text() == "(VI_1) the virtual router id must be set"
    assert diag.location is not None and str(diag).startswith(f"{diag.location} ")  # alivectl's view


def test_written_tokens_do_not_change_the_model_or_its_dump(load: Load) -> None:
    text = SCRIPT + INSTANCE
    plain = load(text).config.instances[0].virtual_ipaddress[0]
    written = load(text.replace("192.0.2.1\n", "192.0.2.1/32\n")).config.instances[0].virtual_ipaddress[0]
    assert (plain.written, written.written) == ("192.0.2.1", "192.0.2.1/32")
    assert plain == written  # a reload sees no change
    rendered = render_config(load(text).config)
    assert "written" not in rendered["instances"][0]["virtual_ipaddress"][0]
    assert "interface_location" not in rendered["instances"][0]


def test_a_tracked_route_or_rule_loses_another_protocol_as_keepalived(load: Load) -> None:
    """keepalived 2.2.7 (-t): only a no_track entry may keep a protocol other than 18."""
    text = """static_routes {
  203.0.113.0/26 dev eth0 protocol 13
  203.0.113.64/26 dev eth0 protocol static no_track
}
static_rules {
  from 198.51.100.1 table 101 priority 5 protocol 12
  from 198.51.100.2 table 101 priority 6 protocol 18
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  virtual_ipaddress {
    192.0.2.100/24
  }
  virtual_routes {
    198.51.100.128/25 dev eth0 table 100 protocol keepalived
    198.51.100.64/26 dev eth0 table 100 protocol static
  }
  virtual_rules {
    from 192.0.2.101 table 100 priority 7 protocol 12 no_track
    from 192.0.2.102 table 100 priority 8 protocol 12
  }
}
"""
    result = load(text)
    reset = "cannot be tracked if protocol is not RTPROT_KEEPALIVED(18), resetting protocol"
    assert sorted((d.location.line if d.location else 0, d.message) for d in result.problems) == [
        (2, f"Route {reset}"),
        (6, f"Rule {reset}"),
        (17, f"Route {reset}"),
        (21, f"Rule {reset}"),
    ]
    config = result.config
    assert [r.protocol for r in config.static_routes] == [None, "static"]
    assert [dict(r.options).get("protocol") for r in config.static_rules] == [None, "18"]
    (inst,) = config.instances
    assert [r.protocol for r in inst.virtual_routes] == ["keepalived", None]
    assert [dict(r.options).get("protocol") for r in inst.virtual_rules] == ["12", None]
