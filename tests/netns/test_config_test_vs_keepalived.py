"""`-t` on one-point configs: alived's exit code and messages against keepalived 2.2.7's, side by side.

Both run in the same namespace (eth0 exists, as the configs name it). keepalived's children repeat
the parent's lines and it adds its banner; what is compared is the set of diagnostic lines, each as
written: with `(FILE: Line N)` where keepalived locates it, without one where it does not (a check
made once the file is read).
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

from tests.helpers.netns import Lab, Namespace

pytestmark = pytest.mark.netns


def instance(
    extra: str = "",
    *,
    interface: str = "eth0",
    priority: str = "100",
    vrid: str = "51",
    vip: str = "192.0.2.100/24",
    tail: str = "",
) -> str:
    """One instance; `extra` goes before its VIP block, `tail` after it (keepalived reads in order)."""
    return f"""vrrp_instance VI_1 {{
  state BACKUP
  interface {interface}
  virtual_router_id {vrid}
  priority {priority}
  advert_int 1
{extra}
  virtual_ipaddress {{
    {vip}
  }}
{tail}
}}
"""


def vs(head: str, body: str) -> str:
    return f"virtual_server {head} {{\n{body}}}\n"


def rs(head: str, body: str = "") -> str:
    return f"  real_server {head} {{\n{body}  }}\n"


def garp(*bodies: str) -> str:
    return "".join(f"garp_group {{\n{body}}}\n" for body in bodies)


CASES = {
    "ok": instance(),
    "loopback": instance(interface="lo"),
    "priority_zero": instance(priority="0"),
    "priority_word": instance(priority="abc"),
    "vrid_high": instance(vrid="256"),
    "advert_zero": instance("  advert_int 0"),
    "advert_word": instance("  advert_int x"),
    "version_4": instance("  version 4"),
    "bad_state": instance("  state FOO"),
    "bad_auth_type": instance("  authentication {\n    auth_type FOO\n    auth_pass 1234\n  }"),
    "nameless": instance().replace("vrrp_instance VI_1", "vrrp_instance"),
    "unknown_keyword": instance("  foo_bar 1"),
    "vip_prefix_too_long": instance().replace("192.0.2.100/24", "192.0.2.100/33"),
    # checks made once the file is read: keepalived writes them with no location
    "unknown_interface": instance(interface="eth9"),
    "no_interface": instance().replace("  interface eth0\n", ""),
    "no_vrid": instance().replace("  virtual_router_id 51\n", ""),
    "nopreempt_master": instance("  nopreempt").replace("state BACKUP", "state MASTER"),
    "nopreempt_255": instance("  nopreempt", priority="255"),
    "v3_auth": instance("  version 3\n  authentication {\n    auth_type PASS\n    auth_pass 1234\n  }"),
    "auth_no_pass": instance("  authentication {\n    auth_type PASS\n  }"),
    "advert_fraction": instance("  advert_int 1.5"),
    "no_vip": instance().replace("  virtual_ipaddress {\n    192.0.2.100/24\n  }\n", ""),
    "strict_auth_preempt_delay": instance(
        "  strict_mode\n  preempt_delay 5\n  authentication {\n    auth_type PASS\n    auth_pass 12\n  }"
    ),
    "strict_master": instance("  strict_mode").replace("state BACKUP", "state MASTER"),
    "unicast_src_without_peers": instance("  unicast_src_ip 192.0.2.1"),
    "missing_brace": instance()[: -len("}\n")],
    "duplicate_vrid": instance() + instance().replace("VI_1", "VI_2"),
    "sync_group_one_missing": instance() + "vrrp_sync_group G1 {\n  group {\n    VI_1\n    VI_9\n  }\n}\n",
    "sync_group_none_found": instance() + "vrrp_sync_group G1 {\n  group {\n    VI_9\n  }\n}\n",
    "sync_group_no_group": instance() + "vrrp_sync_group G1 {\n}\n",
    "vs_defaults_and_duplicate_rs": (
        "virtual_server 192.0.2.10 80 {\n  lb_algo rr\n  protocol TCP\n}\n"
        "virtual_server 192.0.2.11 80 {\n  lb_algo rr\n  protocol TCP\n"
        "  real_server 192.0.2.20 80 {\n    weight 1\n  }\n"
        "  real_server 192.0.2.20 80 {\n    weight 1\n  }\n}\n"
    ),
    "vs_quorum_ports": (
        "virtual_server 192.0.2.10 80 {\n  lb_algo rr\n  lb_kind DR\n  quorum 5\n  hysteresis 9\n"
        "  real_server 192.0.2.20 81 {\n  }\n}\n"
    ),
    "vs_fwmark_protocol_and_rs_port": (
        "virtual_server fwmark 5 {\n  protocol TCP\n  lb_algo rr\n  lb_kind DR\n"
        "  real_server 192.0.2.20 80 {\n  }\n}\n"
    ),
    "vs_zero_port": (
        "virtual_server 192.0.2.10 0 {\n  protocol TCP\n  lb_algo rr\n  lb_kind NAT\n"
        "  real_server 192.0.2.20 81 {\n  }\n}\n"
    ),
    # located, at the line keepalived names: the `interface` keyword, the block's `}` (the empty
    # group blocks below too, with their owner's name)
    "no_script": "vrrp_script chk {\n  interval 2\n}\n" + instance("  track_script {\n    chk\n  }"),
    "unicast_ttl_without_peers": instance("  unicast_ttl 5"),
    "vmac_unicast": instance("  use_vmac\n  unicast_peer {\n    192.0.2.5\n  }"),
    "sync_group_empty_group": instance() + "vrrp_sync_group G1 {\n  group {\n  }\n}\n",
    "track_group_empty_group": instance() + "track_group TG {\n  group {\n  }\n}\n",
    # 2.2.7 accepts unicast peers in strict mode (it tests for unicast before noting it)
    "strict_unicast": instance("  strict_mode\n  unicast_peer {\n    192.0.2.5\n  }"),
    "strict_ipv6": instance("  strict_mode", vip="2001:db8::100/64"),
    "strict_accept_v2": instance("  strict_mode\n  accept"),
    "strict_vmac_mac": instance("  strict_mode\n  use_vmac 02:00:5e:00:00:33"),
    "vmac_mac_multicast": instance("  use_vmac 01:00:5e:00:00:01"),
    "vmac_mac_rfc5798": instance("  use_vmac 00:00:5e:00:01:33"),
    # the first address read fixes the family; the others are skipped where they are read
    "peer_family_first": instance("  unicast_peer {\n    2001:db8::5\n  }"),
    "peer_family_after": instance(tail="  unicast_peer {\n    192.0.2.6\n    2001:db8::5\n  }"),
    "peer_family_none_left": instance(tail="  unicast_peer {\n    2001:db8::5\n  }"),
    "unicast_peer_empty": instance(tail="  unicast_peer {\n  }"),
    "src_family": instance("  unicast_src_ip 2001:db8::1", tail="  mcast_src_ip 192.0.2.1\n  native_ipv6"),
    "mcast_dst_family": instance("  mcast_dst_ip 2001:db8::1"),
    "native_ipv6_after_v4": instance(tail="  native_ipv6"),
    # deprecated instance keywords: at their own line
    "linkbeat_use_polling": instance("  linkbeat_use_polling"),
    "lvs_sync_daemon_interface": instance("  lvs_sync_daemon_interface eth0"),
    # garp_group: no interfaces is fine; no delay, a repeated interface, bad intervals are not
    "garp_no_interfaces": garp("  garp_interval 1\n"),
    "garp_no_delay": garp("  interfaces {\n    eth0\n  }\n", "  interfaces {\n    eth1\n  }\n"),
    "garp_both_forms": garp("  garp_interval 0.1\n  interface eth0\n  interfaces {\n    eth1\n  }\n"),
    "garp_repeated_interface": garp(
        "  garp_interval 0.1\n  interface eth0\n", "  gna_interval 0.1\n  interfaces {\n    eth0 eth1\n  }\n"
    ),
    "garp_bad_intervals": garp("  garp_interval 5000\n  gna_interval abc\n  interface eth0\n"),
    "garp_missing_interface": garp("  garp_interval 0.1\n  interfaces {\n    eth0 eth9\n  }\n"),
    # keepalived's parent reads global_defs and the root level of the main file as its only file:
    # `(Line N)`, no file name; the children report the root level again, named
    "global_defs_errors": "global_defs {\n  foo_bar 1\n  vrrp_garp_interval abc\n  vrrp_startup_delay 0\n}\n"
    + instance(),
    "root_unknown_and_extra_brace": "foo_root 1\n}\n" + instance(),
    "missing_include": "include nothere.conf\n" + instance(),
    "vrrp_script_values": (
        "global_defs {\n  script_user root\n  enable_script_security\n}\n"
        'vrrp_script chk {\n  script "/bin/true"\n  interval 0\n  timeout abc\n  weight 300\n  rise 0\n'
        "  fall x\n}\n"
        'vrrp_script chk2 {\n  script "/bin/true"\n  interval 1.5\n  timeout 0\n  weight 10 foo\n}\n'
        'vrrp_script chk3 {\n  script "/bin/true"\n  interval 5000\n}\n'
    ),
    # checked as the block ends
    "bfd_no_neighbor": "bfd_instance b1 {\n  min_rx 100\n}\n" + instance(),
    "track_file_no_file": "track_file tf {\n  weight 1\n}\n" + instance(),
    # the load balancer and its checkers (keepalived -t reads them without IPVS)
    "lvs_bad_words": vs(
        "192.0.2.10",
        "  lb_algo bogus\n  lb_kind FOO\n  protocol XYZ\n" + rs("192.0.2.20", "    lvs_method BAR\n"),
    ),
    "lvs_defaults_no_port": vs(
        "192.0.2.10", rs("192.0.2.20", "    TCP_CHECK {\n      connect_port 0\n    }\n")
    ),
    "lvs_quorum_and_sorry": vs(
        "192.0.2.10 80",
        "  protocol TCP\n  quorum 10\n  hysteresis 12\n  sorry_server 192.0.2.99 8080\n  lb_kind DR\n"
        + rs("192.0.2.20 80", "    weight 3\n")
        + rs("192.0.2.21 81", "    weight 2\n"),
    ),
    "lvs_fwmark_ports": vs(
        "fwmark 5",
        "  lb_algo rr\n  lb_kind DR\n  protocol TCP\n  ha_suspend\n  sorry_server 192.0.2.99 8080\n"
        + rs("192.0.2.20 80"),
    ),
    "lvs_ops_tcp_and_sorry_method": vs(
        "192.0.2.10 80",
        "  lb_algo rr\n  protocol TCP\n  ops\n  sorry_server 192.0.2.99 81\n  sorry_server_lvs_method TUN\n"
        + rs("192.0.2.20 80")
        + rs("192.0.2.20 80"),
    ),
    "lvs_numbers": vs(
        "192.0.2.10 80",
        "  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n  connect_timeout abc\n  delay_loop 0\n  retry y\n"
        "  quorum 0\n  hysteresis q\n  weight 0\n  persistence_timeout 0\n"
        + rs(
            "192.0.2.20 80",
            "    weight 70000\n    uthreshold a\n    connect_timeout c\n    delay_loop d\n    retry f\n",
        ),
    ),
    "lvs_http_checks": vs(
        "192.0.2.10 80",
        "  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n"
        + rs(
            "192.0.2.20 80",
            "    HTTP_GET {\n      url {\n        path /\n        digest zzz\n      }\n"
            "      url {\n        path /a\n        digest 0123456789abcdef0123456789abcdeg\n      }\n"
            "      url {\n        path /b\n        digest 0123456789abcdef0123456789abcdef\n"
            "        digest 0123456789abcdef0123456789abcdef\n      }\n      foo_bar 1\n    }\n"
            "    SSL_GET {\n    }\n",
        ),
    ),
    "lvs_other_checks": "track_file late {\n  file /nonexistent\n}\n"
    + vs(
        "192.0.2.10 53",
        "  lb_algo rr\n  lb_kind NAT\n  protocol UDP\n"
        + rs(
            "192.0.2.20 53",
            "    DNS_CHECK {\n      type XYZ\n      name example.\n    }\n"
            "    UDP_CHECK {\n      require_reply zz\n      payload 0g\n    }\n"
            "    SMTP_CHECK {\n      host {\n        connect_ip 192.0.2.21\n        bogus 1\n      }\n    }\n"
            "    MISC_CHECK {\n      misc_timeout 3\n    }\n"
            "    FILE_CHECK {\n      track_file nothere\n    }\n"
            "    FILE_CHECK {\n      track_file late\n    }\n"
            "    TCP_CHECK {\n      connect_port 70000\n      bogus_kw\n    }\n",
        ),
    ),
    "lvs_check_scripts": vs(
        "192.0.2.10 80",
        "  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n"
        + rs("192.0.2.20 80", "    MISC_CHECK {\n      misc_path /bin/true\n    }\n"),
    ),
    "lvs_group_ranges": (
        "virtual_server_group G1 {\n  192.0.2.10/33 80\n  192.0.2.1/30 80\n  192.0.2.20-192.0.2.10 80\n"
        "  192.0.2.10-2001:db8::1 80\n  192.0.2.5-300 80\n  192.0.2.5-7x 80\n  192.0.2.30-25 80\n"
        "  bogus 80\n  192.0.2.40 0\n  fwmark 3 inet\n}\n"
        "virtual_server_group G2 {\n}\n"
        + vs(
            "group G1",
            "  protocol TCP\n  lb_algo rr\n  lb_kind DR\n  sorry_server 192.0.2.99 8080\n"
            + rs("192.0.2.40 81"),
        )
        + vs("group G2", "  protocol TCP\n" + rs("192.0.2.41 80"))
        + vs("group G9", "  protocol TCP\n" + rs("192.0.2.42 80"))
    ),
    "lvs_group_families": (
        "virtual_server_group G1 {\n  192.0.2.10-20 80\n  2001:db8::1-ff 80\n  fwmark 7\n}\n"
        + vs("group G1", "  protocol TCP\n  lb_algo rr\n" + rs("192.0.2.40 80"))
    ),
    "lvs_checker_options": "SSL {\n  password\n  ca /nonexistent\n  foo 1\n}\n"
    + vs(
        "192.0.2.10 80",
        "  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n"
        + rs(
            "192.0.2.20 80",
            "    TCP_CHECK {\n      connect_timeout x\n      retry -1\n      delay_before_retry y\n"
            "      delay_loop 0\n      warmup w\n      bindto 2001:db8::1\n      bind_port 70000\n"
            "      fwmark abc\n    }\n"
            "    TCP_CHECK {\n      bindto 2001:db8::1\n      connect_ip 192.0.2.30\n    }\n"
            "    HTTP_GET {\n      url {\n        path /\n        status_code 99 200-300x 201\n      }\n"
            "      url {\n        digest 0123456789abcdef0123456789abcdef\n      }\n"
            "      http_protocol 2.0\n    }\n",
        ),
    ),
    # checked against what the block has read so far (and the service's address family)
    "lvs_reading_order": vs(
        "2001:db8::10 80",
        "  ip_family inet\n  lb_algo sh\n  sh-port\n  lb_kind TUN type gue\n  protocol SCTP\n"
        "  persistence_timeout 60\n  persistence_granularity 255.255.0.255\n  sorry_server_inhibit\n"
        "  sorry_server_lvs_method DR\n  smtp_alert maybe\n"
        + rs(
            "192.0.2.20 80",
            "    inhibit_on_failure maybe\n    alpha x\n    notify_up /bin/true\n    notify_up /bin/false\n",
        )
        + rs("2001:db8::20 80", "    lvs_method TUN type ipip csum\n    smtp_alert maybe\n"),
    ),
    "lvs_tunnel_and_granularity": vs(
        "192.0.2.10 80",
        "  lb_algo rr\n  protocol TCP\n  persistence_granularity 255.255.0.0\n  smtp_alert yes\n"
        + rs("192.0.2.20 80", "    lvs_method TUN type gue port 6080\n")
        + rs("192.0.2.21 80", "    lvs_method TUN type foo\n"),
    ),
    "lvs_no_real_servers": vs("192.0.2.10 80", "  lb_algo rr\n"),
    # the address quoted as written
    "vip_family": instance().replace(
        "192.0.2.100/24", "192.0.2.100/24\n    2001:db8::100/64\n    2001:db8::101\n    2001:db8::102/128"
    ),
}

_BANNER = re.compile(
    r"^(Starting |Running on |Command line|Opening file|Configuration file|WARNING - keepalived was buil"
    r"|Stopp|Remove|$)"
)

# alived's own notes on its load-balancer backend (nftables here: the test kernel has no IPVS);
# keepalived has no such backend to report on.
_OUR_BACKEND = re.compile(r"^Load balancer backend: |\bnftables\b")


def _lines(text: str, conf: Path) -> set[str]:
    return {line.replace(str(conf), "F") for line in text.splitlines() if not _BANNER.match(line)}


def _host(lab: Lab) -> Namespace:
    ns = lab.netns("cfgt")
    lab.veth(ns, "eth0", ns, "eth1")
    ns.ip("addr", "add", "192.0.2.1/24", "dev", "eth0")
    return ns


@pytest.mark.parametrize("name", sorted(CASES))
def test_config_test_matches_keepalived(name: str, lab: Lab, tmp_path: Path) -> None:
    conf = tmp_path / "k.conf"
    conf.write_text(CASES[name])
    _compare(conf, _host(lab), tmp_path)


def test_included_files_named_as_keepalived(lab: Lab, tmp_path: Path) -> None:
    """keepalived names an included file as its include line's pattern matched it, from the
    including file's directory (here relative), in the parent's reports and the children's."""
    (tmp_path / "inc").mkdir()
    (tmp_path / "inc" / "a.inc").write_text("global_defs {\n  baz 2\n}\n")
    (tmp_path / "inc" / "b.inc").write_text(instance("  foo 3"))
    conf = tmp_path / "k.conf"
    conf.write_text("global_defs {\n  foo_bar 1\n}\ninclude inc/*.inc\n")
    _compare(conf, _host(lab), tmp_path)


def _compare(conf: Path, ns: Namespace, tmp_path: Path) -> None:
    assert shutil.which("keepalived"), "keepalived 2.2.7 is part of the test environment"
    pids = ("-p", str(tmp_path / "k.pid"), "-r", str(tmp_path / "v.pid"), "-c", str(tmp_path / "c.pid"))
    # A private mount namespace too, so keepalived's config test cannot touch the host's /run.
    theirs = ns.exec("unshare", "-m", "keepalived", "-t", "-l", "-f", str(conf), *pids, check=False)
    ours = ns.exec(sys.executable, "-m", "alived", "-t", "-f", str(conf), check=False)
    their_lines = _lines(theirs.stdout + theirs.stderr, conf)
    our_lines = {line for line in _lines(ours.stdout + ours.stderr, conf) if not _OUR_BACKEND.search(line)}
    assert ours.returncode == theirs.returncode, (their_lines, our_lines)
    assert our_lines == their_lines, (sorted(their_lines), sorted(our_lines))


@pytest.mark.parametrize("what", ["missing", "directory"])
def test_an_unusable_config_file_as_keepalived(what: str, lab: Lab, tmp_path: Path) -> None:
    """-t prints the line and exits 0 (2.2.7); the daemon logs it and exits 6, naming no file."""
    path = tmp_path / "gone.conf" if what == "missing" else tmp_path
    ns = _host(lab)
    for test_mode in (True, False):
        flags = ("-t",) if test_mode else ("-n", "-l")
        pids = ("-p", str(tmp_path / "k.pid"), "-r", str(tmp_path / "v.pid"), "-c", str(tmp_path / "c.pid"))
        theirs = ns.exec("unshare", "-m", "keepalived", *flags, "-f", str(path), *pids, check=False)
        ours = ns.exec(sys.executable, "-m", "alived", *flags, "-f", str(path), *pids, check=False)
        assert ours.returncode == theirs.returncode == (0 if test_mode else 6)
        their_text, our_text = theirs.stdout + theirs.stderr, ours.stdout + ours.stderr
        for wanted in ("Config files missing '", "is a directory - skipping", "Configuration file /"):
            line = next((x.split(": ", 1)[-1] for x in their_text.splitlines() if wanted in x), None)
            if line is None:
                assert wanted not in our_text, our_text
            else:
                assert line in our_text, (line, our_text)


# persistence_granularity: keepalived 2.2.7 takes any IPv4 mask its numeric getaddrinfo reads
# (inet_aton's forms), solid or not, and the service's family from the word's form when not yet
# known; an unreadable mask stays an error.
GRANULARITY_CASES = {
    "not_solid": vs(
        "192.0.2.10 80",
        "  lb_algo rr\n  protocol TCP\n  persistence_granularity 255.0.255.0\n" + rs("192.0.2.20 80"),
    ),
    "inet_aton_forms": vs(
        "192.0.2.10 80",
        "  lb_algo rr\n  protocol TCP\n  persistence_granularity 255.0.255\n" + rs("192.0.2.20 80"),
    )
    + vs(
        "192.0.2.10 81",
        "  lb_algo rr\n  protocol TCP\n  persistence_granularity 0xff.0.0.0\n" + rs("192.0.2.20 81"),
    )
    + vs("fwmark 2", "  ip_family inet\n  lb_algo rr\n  persistence_granularity 24\n" + rs("192.0.2.20 80")),
    "family_from_the_mask": vs(
        "fwmark 3",
        "  lb_algo rr\n  persistence_granularity 255.0.255.0\n  ip_family inet6\n" + rs("192.0.2.20 80"),
    ),
    "unreadable_mask": vs(
        "192.0.2.10 80",
        "  lb_algo rr\n  protocol TCP\n  persistence_granularity 255.0.255.0.1\n" + rs("192.0.2.20 80"),
    )
    + vs(
        "192.0.2.10 81",
        "  lb_algo rr\n  protocol TCP\n  persistence_granularity 255.255.255.256\n" + rs("192.0.2.20 81"),
    ),
}


@pytest.mark.parametrize("name", sorted(GRANULARITY_CASES))
def test_persistence_granularity_masks_as_keepalived(name: str, lab: Lab, tmp_path: Path) -> None:
    conf = tmp_path / "k.conf"
    conf.write_text(GRANULARITY_CASES[name])
    _compare(conf, _host(lab), tmp_path)


# Rules numbered as read, a rule's protocol a decimal number, the loopback refusal at its line, a
# missing VIP interface naming the address as written, a real server of the other family skipped.
_RULES = """static_rules {
  from 192.0.2.31 table 102 protocol keepalived
  from 192.0.2.32 table 102 protocol 0x12
  from 192.0.2.33 table 102 protocol 300
  from 192.0.2.34 table 102 protocol 18
  from 192.0.2.35 table 102 protocol 12 no_track
  from 2001:db8::35 table 102
}
"""
READ_ORDER_CASES = {
    "rule_protocol": _RULES,
    "rules_numbered_as_read": instance(tail="  virtual_rules {\n    from 192.0.2.20 table 100\n  }")
    + _RULES
    + instance(tail="  virtual_rules {\n    to 2001:db8::/64 table 101\n  }").replace("VI_1", "VI_2"),
    "loopback_in_place": instance("  foo_a 1\n  bar_b 2", interface="lo"),
    "vip_interface_as_written": "static_ipaddress {\n  192.0.2.20 dev eth9\n  192.0.2.21/24 dev eth9\n}\n"
    + instance(vip="192.0.2.10/24 dev eth9\n    192.0.2.11 dev eth9\n    192.0.2.12/25 dev eth9"),
    "real_server_family": vs(
        "2001:db8::10 80",
        "  lb_algo rr\n  protocol TCP\n" + rs("192.0.2.5 80", "    weight 1\n") + rs("2001:db8::5 80"),
    )
    + vs(
        "fwmark 1", "  lb_algo rr\n  persistence_granularity 24\n" + rs("2001:db8::6 80") + rs("192.0.2.6 80")
    )
    + vs("fwmark 2", "  lb_algo rr\n  persistence_granularity 255.255.255.0\n" + rs("2001:db8::7 80"))
    + vs(
        "192.0.2.10 80", "  lb_algo rr\n  protocol TCP\n" + rs("2001:db8::8 80")
    ),  # a tunnelled real server (its own method, else the service's as read so far) is not checked
    "real_server_tunnel": vs(
        "2001:db8::10 80",
        "  lb_algo rr\n  protocol TCP\n" + rs("192.0.2.5 80", "    lvs_method TUN\n") + rs("2001:db8::5 80"),
    )
    + vs(
        "2001:db8::11 80",
        "  lb_algo rr\n  lb_kind TUN\n  protocol TCP\n"
        + rs("192.0.2.6 80", "    lvs_method NAT\n")
        + rs("192.0.2.7 80"),
    )
    + vs("2001:db8::13 80", "  lb_algo rr\n  protocol TCP\n" + rs("192.0.2.9 80") + "  lb_kind TUN\n")
    + vs("fwmark 1", "  lb_algo rr\n" + rs("192.0.2.5 80", "    lvs_method TUN\n") + rs("2001:db8::5 80")),
}


def _in_order(text: str, conf: Path) -> list[str]:
    """The located lines, each once, in the order first written."""
    seen: dict[str, None] = {}
    for raw in text.splitlines():
        line = raw.replace(str(conf), "F")
        if line.startswith("(F: Line "):
            seen.setdefault(line)
    return list(seen)


@pytest.mark.parametrize("name", sorted(READ_ORDER_CASES))
def test_read_order_and_words_as_keepalived(name: str, lab: Lab, tmp_path: Path) -> None:
    conf = tmp_path / "k.conf"
    conf.write_text(READ_ORDER_CASES[name])
    ns = _host(lab)
    _compare(conf, ns, tmp_path)
    pids = ("-p", str(tmp_path / "k.pid"), "-r", str(tmp_path / "v.pid"), "-c", str(tmp_path / "c.pid"))
    # keepalived's VRRP child alone reads the instances: its lines come in the order it read them
    theirs = ns.exec("unshare", "-m", "keepalived", "-t", "-l", "-f", str(conf), *pids, check=False)
    ours = ns.exec(sys.executable, "-m", "alived", "-t", "-f", str(conf), check=False)
    if name in ("loopback_in_place", "rules_numbered_as_read"):
        assert _in_order(ours.stdout + ours.stderr, conf) == _in_order(theirs.stdout + theirs.stderr, conf)
