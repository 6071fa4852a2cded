"""keepalived's SIGUSR1 `.data` text: `Global definitions`, `VRRP Topology`, then the later sections.

Pure functions of what the VRRP child reports (daemon/vrrp/dumps.py's `InstanceReport`, the
sections of daemon/vrrp/data_sections.py), in keepalived 2.2.7's titles, keys, order and units.
Free of pyroute2, as dumps.py is.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from alived.config import model
from alived.daemon.vrrp.data_sections import (
    GarpDelayReport,
    InterfaceReport,
    SocketReport,
    SyncGroupReport,
    TrackFileReport,
    TrackProcessReport,
    VrrpScriptReport,
    garp_delay_lines,
    interface_lines,
    script_lines,
    sockpool_lines,
    sync_group_lines,
    track_file_lines,
    track_process_lines,
)
from alived.daemon.vrrp.dumps import InstanceReport, cmd_str
from alived.script_security import default_user, lookup_user
from alived.units import SECOND


@dataclass(frozen=True, slots=True, kw_only=True)
class DataSections:
    """What the `.data` dump says after the instances: sockets, sync groups, scripts, interfaces."""

    garp_delays: tuple[GarpDelayReport, ...] = ()
    static_addresses: tuple[str, ...] = ()  # in the dump's words, as the VIPs
    static_routes: tuple[str, ...] = ()
    static_rules: tuple[str, ...] = ()
    sockets: tuple[SocketReport, ...] = ()
    sync_groups: tuple[SyncGroupReport, ...] = ()
    scripts: tuple[VrrpScriptReport, ...] = ()
    track_files: tuple[TrackFileReport, ...] = ()
    track_processes: tuple[TrackProcessReport, ...] = ()
    interfaces: tuple[InterfaceReport, ...] = ()


def _interval(us: int, version: int) -> str:
    # keepalived prints v2 intervals in whole seconds and v3 intervals in milliseconds.
    return f"{us // SECOND} sec" if version == 2 else f"{us // 1000} milli-sec"


def _secs(us: int) -> int:
    return us // SECOND


def _yes(flag: bool, words: tuple[str, str] = ("true", "false")) -> str:
    return words[0] if flag else words[1]


def global_lines(g: model.GlobalDefs, router_id: str, script_ids: tuple[int, int]) -> list[str]:
    """The `Global definitions` lines alived can state truthfully, in keepalived's words and order."""
    # keepalived's lower-priority GARP settings default to the master ones.
    lower_delay = (
        g.vrrp_garp_master_delay if g.vrrp_garp_lower_prio_delay is None else g.vrrp_garp_lower_prio_delay
    )
    lower_rep = (
        g.vrrp_garp_master_repeat if g.vrrp_garp_lower_prio_repeat is None else g.vrrp_garp_lower_prio_repeat
    )
    # keepalived takes `reload_check_config` without a file as logging to /dev/null.
    check = g.reload_check_config
    lines = [
        f"Network namespace = {g.net_namespace or '(default)'}",
        f"Router ID = {router_id}",
        "No test config before reload"
        if check is None
        else f"Test config before reload, log to {check or '/dev/null'}",
        f"Dynamic interfaces = {_yes(g.dynamic_interfaces)}",
    ]
    if g.dynamic_interfaces:
        lines.append(f"Allow interface changes = {_yes(g.dynamic_interfaces_allow_if_changes)}")
    if g.no_email_faults:
        lines.append("Send emails for fault transitions = off")
    extra_if = 0 if g.vrrp_garp_extra_if is None else g.vrrp_garp_extra_if // SECOND
    return [
        *lines,
        f"Default interface = {g.default_interface}",
        f"Disable local IGMP = {_yes(g.disable_local_igmp, ('yes', 'no'))}",
        f"FIFO write vrrp states on reload = {_yes(g.fifo_write_vrrp_states_on_reload)}",
        f"VRRP notify priority changes = {_yes(g.vrrp_notify_priority_changes)}",
        f"VRRP IPv4 mcast group = {g.vrrp_mcast_group4}",
        f"VRRP IPv6 mcast group = {g.vrrp_mcast_group6}",
        f"Gratuitous ARP delay = {_secs(g.vrrp_garp_master_delay)}",
        f"Gratuitous ARP repeat = {g.vrrp_garp_master_repeat}",
        f"Gratuitous ARP refresh timer = {_secs(g.vrrp_garp_master_refresh)}",
        f"Gratuitous ARP refresh repeat = {g.vrrp_garp_master_refresh_repeat}",
        f"Gratuitous ARP lower priority delay = {_secs(lower_delay)}",
        f"Gratuitous ARP lower priority repeat = {lower_rep}",
        f"Num adverts before down = {g.vrrp_down_timer_adverts}",
        # Unset, keepalived's interval is 0, and the line is there all the same.
        f"Gratuitous ARP for each secondary {'i/f' if g.vrrp_garp_extra_if_all else 'VMAC'} = {extra_if}s",
        f"Send advert after receive lower priority advert = {_yes(not g.vrrp_lower_prio_no_advert)}",
        f"Send advert after receive higher priority advert = {_yes(g.vrrp_higher_prio_send_advert)}",
        f"Gratuitous ARP interval = {g.vrrp_garp_interval / SECOND:f}",
        f"Gratuitous NA interval = {g.vrrp_gna_interval / SECOND:f}",
        f"VRRP default protocol version = {g.vrrp_version}",
        f"VRRP check unicast_src = {_yes(g.vrrp_check_unicast_src)}",
        f"VRRP skip check advert addresses = {_yes(g.vrrp_skip_check_adv_addr)}",
        f"VRRP strict mode = {_yes(g.vrrp_strict)}",
        f"Script security {_yes(g.enable_script_security, ('enabled', 'disabled'))}",
        f"Default script uid:gid {script_ids[0]}:{script_ids[1]}",
    ]


def default_script_ids(g: model.GlobalDefs) -> tuple[int, int]:
    """The `Default script uid:gid`: script_user's, else keepalived_script's, else root's."""
    if g.script_user is not None:
        ids, _ = lookup_user(g.script_user, g.script_group)
    else:
        ids = default_user()
    return (ids.uid, ids.gid) if ids is not None else (0, 0)


def _ctime_us(when: float) -> str:
    """keepalived's ctime_us_r: `Wed Dec  2 05:52:18.067953 2026` (local time)."""
    whole = int(when)
    text = time.ctime(whole)
    return f"{text[:19]}.{round((when - whole) * 1_000_000):06d}{text[19:]}"


def _instance_lines(r: InstanceReport) -> list[str]:
    c = r.conf
    out = [f" VRRP Instance = {r.iname}", f"   VRRP Version = {r.version}"]
    if c.sync_group:
        out.append(f"   Sync group = {c.sync_group}")
    out.append(f"   State = {r.state}")
    if r.state == "BACKUP":
        out.append(f"   Master router = {r.master_router}")
        out.append(f"   Master priority = {r.master_priority}")
        if r.version == 3:
            out.append(f"   Master advert int = {r.master_adver_int_us / SECOND:.2f} sec")
    if r.unicast_peers or c.flags:
        out.append("   Flags:")
        if r.unicast_peers:
            out.append("     Using unicast")
        elif c.unicast_configured:
            out.append("     Unicast config option specified but using multicast")
    else:
        out.append("   Flags: none")
    out += [
        f"   Wantstate = {r.wantstate}",
        f"   Number of config faults = {r.config_faults}",
        f"   Number of interface and track script faults = {r.if_script_faults}",
        f"   Number of track scripts init = {r.scripts_init}",
        f"   Last transition = {r.last_transition:.6f} ({_ctime_us(r.last_transition)})",
    ]
    if r.read_timeout is None:
        out.append("   Read timeout = DISABLED")
    else:
        out.append(f"   Read timeout = {r.read_timeout:.6f} ({_ctime_us(r.read_timeout)})")
    if r.master_down_timer_us is not None:
        out.append(f"   Master down timer = {r.master_down_timer_us} usecs")
    out.append(f"   Interface = {r.interface}")
    if c.dont_track_primary:
        out.append("   VRRP interface tracking disabled")
    if c.skip_check_adv_addr:
        out.append("   Skip checking advert IP addresses")
    if c.strict_mode:
        out.append("   Enforcing strict VRRP compliance")
    out.append(f"   Using src_ip = {r.src_ip or '(none)'}")
    if not r.unicast_peers and r.mcast_addr:
        out.append(f"   Multicast address {r.mcast_addr}")
    out += [
        f"   Gratuitous ARP delay = {_secs(c.garp_delay_us)}",
        f"   Gratuitous ARP repeat = {c.garp_rep}",
        f"   Gratuitous ARP refresh = {_secs(c.garp_refresh_us)}",
        f"   Gratuitous ARP refresh repeat = {c.garp_refresh_rep}",
        f"   Gratuitous ARP lower priority delay = {_secs(c.garp_lower_prio_delay_us)}",
        f"   Gratuitous ARP lower priority repeat = {c.garp_lower_prio_rep}",
        f"   Down timer adverts = {c.down_timer_adverts}",
        f"   Send advert after receive lower priority advert = {_yes(not c.lower_prio_no_advert)}",
        f"   Send advert after receive higher priority advert = {_yes(c.higher_prio_send_advert)}",
        f"   Virtual Router ID = {r.vrid}",
        f"   Priority = {r.base_priority}",
        f"   Effective priority = {r.effective_priority}",
        f"   Total priority = {r.total_priority}",
        f"   Advert interval = {_interval(r.adver_int_us, r.version)}",
    ]
    if r.state == "BACKUP" and r.version == 3:
        out.append(f"   Master advert interval = {r.master_adver_int_us // 1000} milli-sec")
    out.append(f"   Accept = {_yes(r.accept, ('enabled', 'disabled'))}")
    out.append(f"   Preempt = {_yes(r.nopreempt, ('disabled', 'enabled'))}")
    if r.preempt_delay_us:
        out.append(f"   Preempt delay = {r.preempt_delay_us / SECOND:g} secs")
    out.append(f"   Promote_secondaries = {_yes(c.promote_secondaries, ('enabled', 'disabled'))}")
    if r.auth_type:
        out.append(f"   Authentication type = {'IPSEC_AH' if r.auth_type == 2 else 'SIMPLE_PASSWORD'}")
        if r.auth_type == 1:
            out.append(f"   Password = {c.auth_data}")
    elif r.version == 2:
        out.append("   Authentication type = none")
    if r.vips:
        out.append(f"   Virtual IP ({len(r.vips)}):")
        out.extend(f"     {vip}" for vip in r.vips)
    if r.evips:
        out.append("   Virtual IP Excluded :")
        out.extend(f"     {vip}" for vip in r.evips)
    if r.unicast_peers:
        if r.unicast_ttl is not None:
            out.append(f"   Unicast TTL = {r.unicast_ttl}")
        out.append(f"   Check unicast src : {_yes(c.check_unicast_src, ('yes', 'no'))}")
        out.append("   Unicast Peer :")
        ttls = r.unicast_peer_ttls or ((0, 255),) * len(r.unicast_peers)
        out.extend(
            f"     {peer} min_ttl {lo} max_ttl {hi}"
            for peer, (lo, hi) in zip(r.unicast_peers, ttls, strict=True)
        )
        out.append(f"   Unicast checksum compatibility = {r.unicast_checksum}")
    out.append("   No sockets allocated" if r.fds is None else f"   fd_in {r.fds[0]}, fd_out {r.fds[1]}")
    if r.vroutes:
        out.append("   Virtual Routes :")
        out.extend(f"     {route}" for route in r.vroutes)
    if r.vrules:
        out.append("   Virtual Rules :")
        out.extend(f"     {rule}" for rule in r.vrules)
    for title, tracked in (("interfaces", c.track_ifp), ("scripts", c.track_script)):
        if tracked:
            out.append(f"   Tracked {title} :")
            out.extend(f"     {t.name} weight {t.weight}{' reverse' if t.reverse else ''}" for t in tracked)
    for title, tracked in (("files", r.track_files), ("processes", r.track_processes)):
        if tracked:  # keepalived writes these two with a comma
            out.append(f"   Tracked {title} :")
            out.extend(f"     {t.name}, weight {t.weight}{' reverse' if t.reverse else ''}" for t in tracked)
    out.append(f"   Using smtp notification = {_yes(c.smtp_alert, ('yes', 'no'))}")
    out.append(f"   Notify deleted = {_yes(c.notify_deleted, ('Deleted', 'Fault'))}")
    out.extend(
        f"   {s.label} state transition script = {cmd_str(s.argv)}, uid:gid {s.uid}:{s.gid}"
        for s in r.scripts
    )
    out.append(f"   Notify priority changes = {_yes(c.notify_priority_changes)}")
    if r.split_brain_count:  # alived's own lines, only once a split brain was seen
        out.append(f"   Split brains = {r.split_brain_count}")
        since = "-" if r.split_brain_since is None else _ctime_us(r.split_brain_since)
        out.append(f"   Split brain since = {since}")
    return out


def format_data(
    reports: Sequence[InstanceReport], global_lines: Sequence[str] = (), sections: DataSections | None = None
) -> str:
    """The SIGUSR1 `keepalived.data` text (human-readable; keepalived calls it unstable).

    keepalived leaves out a section with nothing in it, the title too.
    """
    s = sections or DataSections()
    out = ["------< Global definitions >------", *(f" {line}" for line in global_lines)]
    for title, lines in (
        ("Gratuitous ARP delays", garp_delay_lines(s.garp_delays)),
        ("Static Addresses", [f"     {a}" for a in s.static_addresses]),
        ("Static Routes", [f"     {r}" for r in s.static_routes]),
        ("Static Rules", [f"     {r}" for r in s.static_rules]),
        ("VRRP Topology", [line for r in reports for line in _instance_lines(r)]),
        ("VRRP Sockpool", sockpool_lines(s.sockets)),
        ("VRRP Sync groups", sync_group_lines(s.sync_groups)),
        ("VRRP Scripts", script_lines(s.scripts)),
        ("VRRP Track files", track_file_lines(s.track_files)),
        ("VRRP Track processes", track_process_lines(s.track_processes)),
        ("Interfaces", interface_lines(s.interfaces)),
    ):
        if lines:
            out.append(f"------< {title} >------")
            out.extend(lines)
    return "\n".join(out) + "\n"
