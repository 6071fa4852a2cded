"""The `.data` dump's text in keepalived 2.2.7's words: the global lines alived now prints, the
per-instance fault/priority/timer/socket lines, and the VRRP Sockpool, VRRP Scripts and
Interfaces sections (daemon/vrrp/data_dump.py, data_sections.py, data_report.py).

Expected lines are keepalived 2.2.7's own, as its dump_global_data, dump_vrrp, dump_sock_pool,
dump_vscript and dump_if write them (checked against the binary by
tests/netns/test_dumps_vs_keepalived.py for the cases its config shows).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from ipaddress import ip_network
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from alived.config import model
from alived.config.load import load_config
from alived.core.vrrp.params import TrackerSpec
from alived.core.vrrp.tracker import TrackerKind
from alived.daemon.vrrp import data_dump, data_links, data_report, data_sections, dumps, report
from alived.daemon.vrrp.data_sections import (
    ARPHRD_LOOPBACK,
    IFF_BROADCAST,
    IFF_LOOPBACK,
    IFF_MULTICAST,
    IFF_RUNNING,
    IFF_UP,
    InterfaceReport,
    SocketReport,
    Tracking,
    VrrpScriptReport,
)
from alived.daemon.vrrp.data_view import ChildData
from alived.daemon.vrrp.dumps import InstanceReport
from alived.daemon.vrrp.trackers import ScriptTracker
from alived.linux.netlink import RTPROT_KEEPALIVED, RuleSpec
from alived.linux.scripts import ScriptRunner
from alived.units import SECOND, Ticks
from tests.unit.daemon.test_driver import Rig, in_loop, rig  # noqa: F401 (fixture)

ETHER = IFF_UP | IFF_RUNNING | IFF_BROADCAST | IFF_MULTICAST


def _report(**kw: Any) -> InstanceReport:
    base: dict[str, Any] = {
        "iname": "VI_1",
        "state": "MASTER",
        "wantstate": "MASTER",
        "interface": "eth0",
        "vrid": 51,
        "version": 2,
        "base_priority": 150,
        "effective_priority": 150,
        "adver_int_us": SECOND,
        "master_adver_int_us": SECOND,
        "accept": True,
        "nopreempt": False,
        "preempt_delay_us": 0,
        "auth_type": 0,
        "vips": ("192.0.2.100/24 dev eth0 scope global set",),
    }
    base.update(kw)
    return InstanceReport(**base)


# ---------------------------------------------------------------- Global definitions


def test_the_global_lines_alived_reads_are_printed_in_keepalived_s_order() -> None:
    lines = data_dump.global_lines(model.GlobalDefs(), "lb-1", (0, 0))
    expected = [
        "Network namespace = (default)",
        "Router ID = lb-1",
        "No test config before reload",
        "Dynamic interfaces = false",
        "Default interface = eth0",
        "Disable local IGMP = no",
        "FIFO write vrrp states on reload = false",
        "VRRP notify priority changes = false",
        "VRRP IPv4 mcast group = 224.0.0.18",
    ]
    assert lines[: len(expected)] == expected
    # keepalived's interval is 0 when unset, and the line is there all the same.
    down = lines.index("Num adverts before down = 3")
    assert lines[down + 1] == "Gratuitous ARP for each secondary VMAC = 0s"
    assert lines[down + 2].startswith("Send advert after receive lower priority advert")


def test_the_global_lines_follow_the_settings() -> None:
    g = model.GlobalDefs(
        net_namespace="blue",
        reload_check_config="/var/log/check.log",
        dynamic_interfaces=True,
        dynamic_interfaces_allow_if_changes=True,
        no_email_faults=True,
        default_interface="bond0",
        disable_local_igmp=True,
        fifo_write_vrrp_states_on_reload=True,
        vrrp_notify_priority_changes=True,
        vrrp_garp_extra_if=Ticks(10 * SECOND),
        vrrp_garp_extra_if_all=True,
    )
    lines = data_dump.global_lines(g, "lb-1", (0, 0))
    assert lines[:11] == [
        "Network namespace = blue",
        "Router ID = lb-1",
        "Test config before reload, log to /var/log/check.log",
        "Dynamic interfaces = true",
        "Allow interface changes = true",
        "Send emails for fault transitions = off",
        "Default interface = bond0",
        "Disable local IGMP = yes",
        "FIFO write vrrp states on reload = true",
        "VRRP notify priority changes = true",
        "VRRP IPv4 mcast group = 224.0.0.18",
    ]
    assert "Gratuitous ARP for each secondary i/f = 10s" in lines
    # `reload_check_config` alone: keepalived logs the check to /dev/null.
    bare = data_dump.global_lines(model.GlobalDefs(reload_check_config=""), "x", (0, 0))
    assert "Test config before reload, log to /dev/null" in bare


# ---------------------------------------------------------------- VRRP Topology


def test_an_instance_shows_its_faults_timer_total_priority_and_socket() -> None:
    r = _report(
        effective_priority=254,
        total_priority=300,
        if_script_faults=2,
        scripts_init=1,
        read_timeout=1796224770.839115,
        fds=(12, 13),
        evips=("198.51.100.9/32 dev eth0 scope global set",),
        vroutes=("203.0.113.0/24 via 192.0.2.254",),
    )
    lines = data_dump.format_data([r]).splitlines()
    at = lines.index("   Wantstate = MASTER")
    assert lines[at + 1 : at + 4] == [
        "   Number of config faults = 0",
        "   Number of interface and track script faults = 2",
        "   Number of track scripts init = 1",
    ]
    assert lines[at + 4].startswith("   Last transition = ")
    assert lines[at + 5].startswith("   Read timeout = 1796224770.839115 (")
    assert lines[at + 5].endswith(".839115 2026)")
    assert lines[at + 6] == "   Interface = eth0"
    effective = lines.index("   Effective priority = 254")
    assert lines[effective + 1] == "   Total priority = 300"
    # The socket line comes after the excluded VIPs and before the routes, as keepalived's.
    fd = lines.index("   fd_in 12, fd_out 13")
    assert lines[fd - 1] == "     198.51.100.9/32 dev eth0 scope global set"
    assert lines[fd + 1] == "   Virtual Routes :"


def test_an_instance_without_timer_or_socket_says_so_in_keepalived_s_words() -> None:
    text = data_dump.format_data([_report(state="FAULT", read_timeout=None, fds=None)])
    assert "   Read timeout = DISABLED\n" in text
    assert "   No sockets allocated\n" in text


# ---------------------------------------------------------------- sections


def test_the_sockpool_names_each_socket_and_its_instances_by_vrid() -> None:
    multicast = SocketReport(
        fd_in=12,
        fd_out=12,
        interface="eth0",
        family=4,
        protocol="VRRP",
        instances=(("VI_1", 51), ("VI_2", 52)),
    )
    unicast = SocketReport(
        fd_in=14, fd_out=14, interface="eth1", family=6, protocol="AH", unicast_src="2001:db8::1"
    )
    assert data_sections.sockpool_lines([multicast, unicast]) == [
        " fd_in 12 fd_out = 12",
        "   Interface = eth0",
        "   Family = IPv4",
        "   Protocol = VRRP",
        "   Type = Multicast",
        "   Rx buf size = 0",
        "   VRRP instances",
        "     VI_1 vrid 51",
        "     VI_2 vrid 52",
        " fd_in 14 fd_out = 14",
        "   Interface = eth1",
        "   Family = IPv6",
        "   Protocol = AH",
        "   Type = Unicast",
        "   Address = 2001:db8::1",
        "   Rx buf size = 0",
        "   VRRP instances",
    ]


def _script(**kw: Any) -> VrrpScriptReport:
    base: dict[str, Any] = {
        "name": "chk",
        "argv": ("/bin/true",),
        "interval_us": 2 * SECOND,
        "timeout_us": 0,
        "weight": -5,
        "reverse": True,
        "rise": 2,
        "fall": 3,
        "result": 4,
        "uid": 65534,
        "gid": 65534,
    }
    base.update(kw)
    return VrrpScriptReport(**base)


def test_a_vrrp_script_shows_its_settings_result_and_trackers() -> None:
    script = _script(tracking=(Tracking(iname="VI_1", weight=-5, reverse=True),), running=True)
    assert data_sections.script_lines([script]) == [
        " VRRP Script = chk",
        "   Command = '/bin/true'",
        "   Interval = 2 sec",
        "   Timeout = 0 sec",
        "   Weight = -5 reverse",
        "   Rise = 2",
        "   Fall = 3",
        "   Result = 4",
        "   Insecure = no",
        "   Init state = unknown",
        "   Status = GOOD",
        "   Script uid:gid = 65534:65534",
        "   VRRP instances :",
        "   Tracking instances :",
        "     VI_1, weight -5 reverse",
        "   State = running",
    ]


def test_a_script_is_good_from_rise_up_and_lists_no_trackers_when_none() -> None:
    lines = data_sections.script_lines([_script(result=1, init_state="INIT")])
    assert "   Status = BAD" in lines and "   Init state = INIT" in lines
    assert "   Tracking instances :" not in lines and lines[-1] == "   State = idle"
    assert "   Status = GOOD" in data_sections.script_lines([_script(result=2)])


def test_an_ethernet_interface_in_keepalived_s_words() -> None:
    eth0 = InterfaceReport(
        name="eth0",
        index=2,
        ipv4="192.0.2.1",
        ipv4_more=("192.0.2.50",),
        ipv6="fe80::1",
        mac="02:00:00:00:00:02",
        mac_broadcast="ff:ff:ff:ff:ff:ff",
        flags=ETHER,
        seen_up=True,
        mtu=1500,
        garp_interval_us=500_000,
        tracking=(Tracking(iname="VI_1"), Tracking(iname="VI_2", weight=10, reverse=True)),
    )
    assert data_sections.interface_lines([eth0]) == [
        " Name = eth0",
        "   index = 2",
        "   IPv4 address = 192.0.2.1",
        "   Additional IPv4 addresses :",
        "     192.0.2.50",
        "   IPv6 address = fe80::1",
        "   MAC = 02:00:00:00:00:02",
        "   MAC broadcast = ff:ff:ff:ff:ff:ff",
        "   State = UP, RUNNING",
        "   Seen up = 1",
        "   Delayed state change running = false",
        "   Up debounce timer = 0us",
        "   Down debounce timer = 0us",
        "   MTU = 1500",
        "   HW Type = ETHERNET",
        "   NIC netlink status update",
        "   Gratuitous ARP interval 500ms",
        "   Reset ARP config counter 0",
        "   Original arp_ignore 0",
        "   Original arp_filter 0",
        "   Original promote_secondaries 0",
        "   Reset promote_secondaries counter 0",
        "   Tracking VRRP instances :",
        "     VI_1, weight 0",
        "     VI_2, weight 10 reverse",
    ]


def test_loopback_and_a_vmac_with_its_parent_down() -> None:
    lo = InterfaceReport(
        name="lo",
        index=1,
        ipv4="127.0.0.1",
        flags=IFF_UP | IFF_RUNNING | IFF_LOOPBACK,
        hw_type=ARPHRD_LOOPBACK,
    )
    lines = data_sections.interface_lines([lo])
    assert "   State = UP, RUNNING, no broadcast, loopback, no multicast" in lines
    assert "   IPv6 address = (none)" in lines and "   HW Type = LOOPBACK" in lines
    assert not any(line.startswith("   MAC") for line in lines)
    vmac = InterfaceReport(
        name="vrrp.51",
        index=9,
        flags=ETHER,
        vmac_parent="eth0",
        vmac_parent_flags=0,
        hw_type=9999,
        rp_filter=0,
    )
    lines = data_sections.interface_lines([vmac])
    assert "   State = UP, RUNNING, master down" in lines
    assert "   VMAC type private, underlying interface = eth0, state = not UP, not RUNNING" in lines
    assert "   I/f created by keepalived" in lines
    assert "   HW Type = UNKNOWN (9999)" in lines and "   rp_filter 0" in lines


def test_the_sections_follow_the_instances_and_empty_ones_are_left_out() -> None:
    sections = data_dump.DataSections(
        sockets=(SocketReport(fd_in=3, fd_out=3, interface="eth0", family=4, protocol="VRRP"),),
        interfaces=(InterfaceReport(name="eth0", index=2, flags=ETHER),),
    )
    text = data_dump.format_data([_report()], ["Router ID = x"], sections)
    titles = [line for line in text.splitlines() if line.startswith("------<")]
    assert titles == [
        "------< Global definitions >------",
        "------< VRRP Topology >------",
        "------< VRRP Sockpool >------",
        "------< Interfaces >------",
    ]


# ---------------------------------------------------------------- gathered from the child


def _keepalived_result(rise: int, fall: int, init_fail: bool, results: list[bool]) -> int:
    """keepalived 2.2.7's vscript->result after `results` (vrrp_init_script, vrrp_script_child_thread)."""
    result = 0 if init_fail else rise - 1
    for ok in results:
        if ok:
            result = result + 1 if result < rise - 1 else rise + fall - 1
        else:
            result = result - 1 if result > rise else 0
    return result


def test_a_script_s_result_counts_as_keepalived_s() -> None:
    """Every run of up to five results, for rise and fall 1 to 3, with and without init_fail."""
    runner = cast(ScriptRunner, None)  # nothing is run: results are recorded by hand
    for rise, fall, init_fail in itertools.product((1, 2, 3), (1, 2, 3), (False, True)):
        script = model.VrrpScript(
            name="chk", script=model.Script(argv=("/bin/true",)), rise=rise, fall=fall, init_fail=init_fail
        )
        for n in range(6):
            for results in itertools.product((True, False), repeat=n):
                tracker = ScriptTracker(script, model.GlobalDefs(), runner, lambda name, ok: None)
                for ok in results:
                    tracker.record(0 if ok else 1)
                config = model.Config(vrrp_scripts=(script,))
                (report,) = data_report.script_reports(config, {}, {"chk": tracker})
                assert report.result == _keepalived_result(rise, fall, init_fail, list(results)), (
                    rise,
                    fall,
                    init_fail,
                    results,
                )
                init = ("INIT/FAILED" if init_fail else "INIT") if not results else "unknown"
                assert report.init_state == init


def test_interfaces_list_the_instances_tracking_them_in_keepalived_s_order() -> None:
    def plan(base: str, trackers: tuple[TrackerSpec, ...] = (), dont_track: bool = False) -> Any:
        return SimpleNamespace(
            params=SimpleNamespace(trackers=trackers),
            base_interface=base,
            interface=base,
            dont_track_primary=dont_track,
        )

    trk = TrackerSpec(kind=TrackerKind.INTERFACE, name="trk0", weight=-10, reverse=True)
    chk = TrackerSpec(kind=TrackerKind.SCRIPT, name="chk", weight=5)
    plans = {"VI_1": plan("eth0", (trk, chk)), "VI_2": plan("eth0", dont_track=True), "VI_3": plan("trk0")}
    assert data_links._tracking(plans) == {
        "trk0": [Tracking(iname="VI_1", weight=-10, reverse=True), Tracking(iname="VI_3")],
        # dont_track_primary: listed, with keepalived's "not tracked" weight.
        "eth0": [Tracking(iname="VI_1"), Tracking(iname="VI_2", weight=255)],
    }


def test_the_child_s_data_dump_has_its_socket_and_interfaces(rig: Callable[..., Rig]) -> None:  # noqa: F811
    def body() -> None:
        r = rig()
        r.run_until(Ticks(5 * SECOND))  # backup, then master: its advert timer runs
        text = data_report.data_text(ChildData(r.child))
        lines = text.splitlines()
        # The fake socket's fd, the same both ways.
        assert "   fd_in 3, fd_out 3" in lines and " fd_in 3 fd_out = 3" in lines
        assert "     VI_1 vrid 51" in lines
        assert "   Total priority = 100" in lines
        timeout = next(line for line in lines if line.startswith("   Read timeout = "))
        assert timeout != "   Read timeout = DISABLED"
        at = lines.index(" Name = eth0")
        assert lines[at + 2] == "   IPv4 address = 192.0.2.1"  # the VIP is ours, not the interface's
        assert lines[lines.index("   Tracking VRRP instances :", at) + 1] == "     VI_1, weight 0"
        assert " Name = lo" in lines

    in_loop(body)


def test_the_child_s_read_timeout_is_the_instance_s_next_timer(rig: Callable[..., Rig]) -> None:  # noqa: F811
    def body() -> None:
        r = rig()
        r.run_until(Ticks(5 * SECOND))
        sands = r.child.instances["VI_1"].read_timeout
        assert sands is not None
        (report,) = r.child.reports()
        assert report.read_timeout is not None
        # The Unix time that lies as far ahead as the instance's timer does on the child's clock.
        ahead = report.read_timeout - time.time()
        assert abs(ahead - (sands - r.clock.now) / SECOND) < 5

    in_loop(body)


def test_a_tracked_script_and_priority_notices_take_the_defaults_keepalived_gives(tmp_path: Path) -> None:
    """A track_script entry without its own weight takes the vrrp_script's weight and reverse;
    an instance without notify_priority_changes takes vrrp_notify_priority_changes."""
    conf = tmp_path / "keepalived.conf"
    conf.write_text(
        "global_defs {\n vrrp_notify_priority_changes\n}\n"
        'vrrp_script chk {\n script "/bin/true"\n weight -5 reverse\n}\n'
        "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n priority 100\n"
        " track_script {\n  chk\n }\n virtual_ipaddress {\n  192.0.2.100/24\n }\n}\n"
    )
    config = load_config(str(conf), interfaces=None).config
    (inst,) = config.instances
    view = dumps.config_view(inst, config, "eth0")
    assert view.track_script == (dumps.TrackReport(name="chk", weight=-5, reverse=True, argv=("/bin/true",)),)
    assert view.notify_priority_changes
    text = data_dump.format_data([_report(conf=view)])
    assert "     chk weight -5 reverse\n" in text and "   Notify priority changes = true\n" in text


def test_a_unicast_instance_shows_its_ttl_source_check_peers_and_checksum_form() -> None:
    r = _report(
        unicast_peers=("192.0.2.9", "192.0.2.10"),
        unicast_peer_ttls=((0, 255), (250, 255)),
        unicast_ttl=255,
        unicast_checksum="never",
        conf=dumps.ConfigView(flags=True, unicast_configured=True, check_unicast_src=True),
    )
    lines = data_dump.format_data([r]).splitlines()
    assert lines[lines.index("   Flags:") + 1] == "     Using unicast"
    at = lines.index("   Unicast TTL = 255")
    assert lines[at : at + 5] == [
        "   Unicast TTL = 255",
        "   Check unicast src : yes",
        "   Unicast Peer :",
        "     192.0.2.9 min_ttl 0 max_ttl 255",
        "     192.0.2.10 min_ttl 250 max_ttl 255",
    ]
    assert lines[at + 5] == "   Unicast checksum compatibility = never"


def test_flags_show_when_any_of_keepalived_s_flag_bits_is_set(tmp_path: Path) -> None:
    """nopreempt, dont_track_primary, a source address... are flag bits keepalived does not name."""

    def view(body: str, globals_: str = "") -> dumps.ConfigView:
        conf = tmp_path / "keepalived.conf"
        conf.write_text(
            f"global_defs {{\n{globals_}}}\n"
            f"vrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 51\n{body}"
            " virtual_ipaddress {\n  192.0.2.100/24\n }\n}\n"
        )
        (inst,) = load_config(str(conf), interfaces=None).config.instances
        return dumps.config_view(inst, load_config(str(conf), interfaces=None).config, "eth0")

    assert not view("").flags
    for body in (
        " nopreempt\n",
        " dont_track_primary\n",
        " mcast_src_ip 192.0.2.1\n",
        " promote_secondaries\n",
    ):
        assert view(body).flags, body
    assert view("", " vrrp_skip_check_adv_addr\n").flags
    text = data_dump.format_data([_report(conf=view(" nopreempt\n"))])
    assert "   Flags:\n   Wantstate" in text
    assert "   Flags: none\n" in data_dump.format_data([_report()])


def test_a_sync_group_in_keepalived_s_words() -> None:
    group = data_sections.SyncGroupReport(
        name="G1",
        state="MASTER",
        members=("VI_A", "VI_B"),
        notify_priority_changes=True,
        track_ifp=(Tracking(iname="trk1"),),
        track_script=(Tracking(iname="chk", weight=7, reverse=True),),
        scripts=(("Master", ("/bin/true", "gm"), 65534, 65534),),
    )
    assert data_sections.sync_group_lines([group]) == [
        " VRRP Sync Group = G1, MASTER",
        "   Num member fault 0, num member init 0",
        "   VRRP member instances :",
        "     VI_A",
        "     VI_B",
        "   Using smtp notification = no",
        "   Notify priority changes = yes",
        "   Tracked interfaces :",
        "     trk1 weight 0",
        "   Tracked scripts :",
        "     chk weight 7 reverse",
        "   Master state transition script = '/bin/true' 'gm', uid:gid 65534:65534",
    ]


SYNC_CONF = """
vrrp_sync_group G1 {
  group {
    VI_1
    VI_2
  }
  smtp_alert
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress {
    192.0.2.100/24
  }
}
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 52
  priority 100
  advert_int 1
  virtual_ipaddress {
    192.0.2.101/24
  }
}
"""


def test_the_child_s_sync_group_section_follows_its_group(rig: Callable[..., Rig]) -> None:  # noqa: F811
    def body() -> None:
        r = rig(SYNC_CONF)
        r.run_until(Ticks(5 * SECOND))
        lines = data_report.data_text(ChildData(r.child)).splitlines()
        at = lines.index("------< VRRP Sync groups >------")
        state = ChildData(r.child).sync_groups()["G1"].state.value
        assert lines[at + 1 : at + 6] == [
            f" VRRP Sync Group = G1, {state}",
            "   Num member fault 0, num member init 0",
            "   VRRP member instances :",
            "     VI_1",
            "     VI_2",
        ]
        assert lines[at + 6] == "   Using smtp notification = yes"
        assert lines[at + 7] == "------< Interfaces >------"

    in_loop(body)


def test_track_files_and_processes_in_keepalived_s_words() -> None:
    tf = data_sections.TrackFileReport(
        name="tf",
        path="/run/tf",
        status=2,
        weight=-3,
        tracking=(Tracking(iname="VI_V", weight=4, reverse=True),),
    )
    assert data_sections.track_file_lines([tf]) == [
        " Track file = tf",
        "   File = /run/tf",
        "   Status = 2",
        "   Weight = -3",
        "   Tracking instances :",
        "     VI_V, weight 4 reverse",
    ]
    tp = data_sections.TrackProcessReport(
        name="tp",
        process="sleep",
        params="5 x",
        param_match="partial",
        quorum=2,
        quorum_max=3,
        count=1,
        weight=2,
        fork_delay_us=1_500_000,
        fork_timer=True,
        tracking=(Tracking(iname="VI_V", weight=2),),
    )
    assert data_sections.track_process_lines([tp]) == [
        " VRRP Track process = tp",
        "   Process = sleep",
        "   Parameters = 5 x",
        "   Param match = partial",
        "   Min processes = 2",
        "   Max processes = 3",
        "   Current processes = 1",
        "   Have quorum = false",
        "   Weight = 2",
        "   Terminate delay = 0.000000s",
        "   Fork delay = 1.500000s",
        "   Fork delay timer running",
        "   Terminate delay timer not running",
        "   Full command = false",
        "   Tracking instances :",
        "     VI_V, weight 2",
    ]
    # An instance names what it tracks with keepalived's comma for these two kinds.
    r = _report(
        track_files=(dumps.TrackReport(name="tf", weight=4, reverse=True),),
        track_processes=(dumps.TrackReport(name="tp", weight=2),),
    )
    text = data_dump.format_data([r])
    assert (
        "   Tracked files :\n     tf, weight 4 reverse\n   Tracked processes :\n     tp, weight 2\n" in text
    )


def test_the_child_s_track_file_section_shows_the_value_it_read(
    rig: Callable[..., Rig],  # noqa: F811
    tmp_path: Path,
) -> None:
    flag = tmp_path / "tf"
    flag.write_text("2\n")
    conf = f"""
vrrp_track_file tf {{
  file "{flag}"
  weight -3
}}
vrrp_instance VI_1 {{
  interface eth0
  virtual_router_id 51
  priority 100
  track_file {{
    tf weight 4 reverse
  }}
  virtual_ipaddress {{
    192.0.2.100/24
  }}
}}
"""

    def body() -> None:
        r = rig(conf)
        r.child.start_trackers(r.child.config)
        try:
            lines = data_report.data_text(ChildData(r.child)).splitlines()
        finally:
            r.child.trackers.stop()
        at = lines.index("------< VRRP Track files >------")
        assert lines[at + 1 : at + 7] == [
            " Track file = tf",
            f"   File = {flag}",
            "   Status = 2",
            "   Weight = -3",
            "   Tracking instances :",
            "     VI_1, weight 4 reverse",
        ]
        assert "   Tracked files :" in lines and "     tf, weight 4 reverse" in lines

    in_loop(body)


def test_static_addresses_routes_and_rules_come_first(rig: Callable[..., Rig]) -> None:  # noqa: F811
    conf = """
static_ipaddress {
  203.0.113.5/24 dev eth0
}
static_routes {
  198.51.100.0/24 via 192.0.2.254 dev eth0
}
static_rules {
  from 198.51.100.0/24 table 100 priority 70
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
  virtual_ipaddress {
    192.0.2.100/24
  }
  virtual_rules {
    from 203.0.113.0/24 table 101 priority 50
  }
}
"""

    def body() -> None:
        r = rig(conf)
        before = data_report.data_text(ChildData(r.child)).splitlines()
        assert "     203.0.113.5/24 dev eth0 scope global" in before
        assert r.child.config is not None
        r.child.apply_static(r.child.config)
        lines = data_report.data_text(ChildData(r.child)).splitlines()
        at = lines.index("------< Static Addresses >------")
        assert lines[at + 1 : at + 7] == [
            "     203.0.113.5/24 dev eth0 scope global set",
            "------< Static Routes >------",
            "     198.51.100.0/24 via 192.0.2.254 dev eth0",
            "------< Static Rules >------",
            "     from 198.51.100.0/24 priority 70 tos 0x0 protocol 18 lookup 100",
            "------< VRRP Topology >------",
        ]
        rules = lines.index("   Virtual Rules :")
        assert lines[rules + 1] == "     from 203.0.113.0/24 priority 50 tos 0x0 protocol 18 lookup 101"
        # An address alived set is not the interface's own (keepalived says the same).
        eth0 = lines.index(" Name = eth0")
        assert lines[eth0 + 2] == "   IPv4 address = 192.0.2.1" and "     203.0.113.5" not in lines

    in_loop(body)


def test_rules_in_keepalived_s_words() -> None:
    """keepalived 2.2.7 wrote these two as `from 203.0.113.0/24 priority 50 tos 0x0 protocol 18
    lookup 101` and `from all to 198.51.100.7 priority 40 tos 0x0 fwmark 0x10/0xff iif eth0
    protocol 18 lookup 102`."""
    first = RuleSpec(src=ip_network("203.0.113.0/24"), table=101, priority=50, protocol=RTPROT_KEEPALIVED)
    second = RuleSpec(
        dst=ip_network("198.51.100.7/32"),
        table=102,
        priority=40,
        fwmark=0x10,
        fwmask=0xFF,
        iif="eth0",
        protocol=RTPROT_KEEPALIVED,
    )
    assert report.rule_text(first) == "from 203.0.113.0/24 priority 50 tos 0x0 protocol 18 lookup 101"
    assert (
        report.rule_text(second)
        == "from all to 198.51.100.7 priority 40 tos 0x0 fwmark 0x10/0xff iif eth0 protocol 18 lookup 102"
    )
    assert report.rule_text(
        RuleSpec(family=6, action="goto", goto=60, table=None, protocol=RTPROT_KEEPALIVED)
    ) == ("inet6 from all tos 0x0 protocol 18 goto 60")


def test_garp_delays_in_keepalived_s_words() -> None:
    delays = [
        data_sections.GarpDelayReport(group=1, gna_interval_us=400_000, interfaces=("trk1",)),
        data_sections.GarpDelayReport(group=0, garp_interval_us=500_000, interfaces=("eth0",)),
        data_sections.GarpDelayReport(group=0, interfaces=("eth1",)),
    ]
    lines = data_sections.garp_delay_lines(delays)
    epoch = f"0.000000 ({time.ctime(0)[:19]}.000000)"  # nothing sent yet
    assert lines == [
        "------< GARP delay group 1 >------",
        " GNA interval = 0.4",
        f" GNA next time {epoch}",
        " Interfaces",
        "  trk1",
        "------< GARP delay group 0 >------",
        " GARP interval = 0.5",
        f" GARP next time {epoch}",
        " Interfaces",
        "  eth0",
        "------< GARP delay group 0 >------",
        " No configuration",
        " Interfaces",
        "  eth1",
    ]
    text = data_dump.format_data(
        [_report()], ["Router ID = x"], data_dump.DataSections(garp_delays=tuple(delays))
    )
    titles = [line for line in text.splitlines() if line.startswith("------<")]
    assert titles[:3] == [
        "------< Global definitions >------",
        "------< Gratuitous ARP delays >------",
        "------< GARP delay group 1 >------",
    ]


def test_the_child_s_garp_delays_follow_its_groups_and_the_global_interval(rig: Callable[..., Rig]) -> None:  # noqa: F811
    conf = """
global_defs {
  vrrp_garp_interval 0.5
}
garp_group {
  gna_interval 0.4
  interfaces {
    lo
  }
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
  virtual_ipaddress {
    192.0.2.100/24
  }
}
"""

    def body() -> None:
        r = rig(conf)
        lines = data_report.data_text(ChildData(r.child)).splitlines()
        at = lines.index("------< Gratuitous ARP delays >------")
        assert lines[at + 1 : at + 3] == ["------< GARP delay group 1 >------", " GNA interval = 0.4"]
        assert lines[at + 4 : at + 7] == [" Interfaces", "  lo", "------< GARP delay group 0 >------"]
        assert lines[at + 7] == " GARP interval = 0.5" and lines[at + 10] == "  eth0"
        eth0 = lines.index(" Name = eth0")
        assert "   Gratuitous ARP interval 500ms" in lines[eth0:]
        lo = lines.index(" Name = lo")
        assert lines[lo:eth0].count("   Gratuitous ARP aggregation group 1") == 1

    in_loop(body)
