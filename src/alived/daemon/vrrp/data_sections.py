"""The `.data` dump's sections after the instances: `VRRP Sockpool`, `VRRP Scripts`, `Interfaces`.

Each section is a frozen report of what the VRRP child has (daemon/vrrp/report.py gathers them)
and a pure function writing keepalived 2.2.7's lines for it: its titles, key names, indentation,
value formats and units. Where keepalived names something of its own (a file descriptor), the
report carries alived's own (the fd of alived's socket).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from alived.daemon.vrrp.dumps import cmd_str
from alived.units import SECOND

# Interface flags (linux/if.h) the `State =` line names.
IFF_UP = 0x1
IFF_BROADCAST = 0x2
IFF_LOOPBACK = 0x8
IFF_POINTOPOINT = 0x10
IFF_RUNNING = 0x40
IFF_NOARP = 0x80
IFF_MULTICAST = 0x1000
# ARP hardware types (linux/if_arp.h) keepalived names.
ARPHRD_ETHER = 1
ARPHRD_LOOPBACK = 772
# keepalived's weight for an instance listed on its interface with dont_track_primary.
NOT_TRACKED_WEIGHT = 255


@dataclass(frozen=True, slots=True, kw_only=True)
class Tracking:
    """One instance a script or an interface is tracked by, with the weight it gives it."""

    iname: str
    weight: int = 0
    reverse: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class SocketReport:
    """One socket of the pool: its fds, where it listens, and the instances by VRID on it."""

    fd_in: int
    fd_out: int
    interface: str
    family: int
    protocol: str  # "VRRP" or "AH"
    unicast_src: str = ""  # "" for a multicast socket
    rx_buf_size: int = 0  # 0: the kernel's default, never set
    instances: tuple[tuple[str, int], ...] = ()  # (iname, vrid), by VRID


@dataclass(frozen=True, slots=True, kw_only=True)
class VrrpScriptReport:
    """One vrrp_script as it runs: its settings, keepalived's `result` counter and who tracks it."""

    name: str
    argv: tuple[str, ...]
    interval_us: int
    timeout_us: int
    weight: int
    reverse: bool
    rise: int
    fall: int
    result: int  # keepalived's: 0..rise+fall-1, GOOD from rise up
    insecure: bool = False
    init_state: str = "unknown"  # INIT, INIT/FAILED, or "unknown" once a result came
    uid: int = 0
    gid: int = 0
    tracking: tuple[Tracking, ...] = ()
    running: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class InterfaceReport:
    """One interface of the namespace as the child sees it (keepalived lists every one)."""

    name: str
    index: int
    ipv4: str = ""
    ipv4_more: tuple[str, ...] = ()
    ipv6: str = ""  # the link-local the instances would use
    ipv6_more: tuple[str, ...] = ()
    mac: str = ""  # "" when the interface has none (or all zeroes)
    mac_broadcast: str = ""
    flags: int = 0
    seen_up: bool = False
    mtu: int = 0
    hw_type: int = ARPHRD_ETHER
    vmac_parent: str = ""  # a VMAC alived made: its parent
    vmac_parent_flags: int = 0
    garp_interval_us: int | None = None
    gna_interval_us: int | None = None
    garp_group: int = 0  # its garp_group's aggregation number, 0 for none
    arp_resets: int = 0  # VMACs on it that changed its ARP sysctls
    arp_ignore: int = 0  # the values saved before they were changed
    arp_filter: int = 0
    rp_filter: int | None = None
    tracking: tuple[Tracking, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncGroupReport:
    """One vrrp_sync_group: its state, its members and what they wait on, its own settings."""

    name: str
    state: str
    members_fault: int = 0
    members_init: int = 0
    members: tuple[str, ...] = ()
    tracking_weight: bool = False
    smtp_alert: bool = False
    notify_priority_changes: bool | None = None  # None: not set on the group
    track_ifp: tuple[Tracking, ...] = ()  # iname: the tracked interface's name
    track_script: tuple[Tracking, ...] = ()  # iname: the vrrp_script's name
    scripts: tuple[tuple[str, tuple[str, ...], int, int], ...] = ()  # (label, argv, uid, gid)


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackFileReport:
    """One track_file: its path, the value last read, its weight and the instances tracking it."""

    name: str
    path: str
    status: int
    weight: int
    reverse: bool = False
    tracking: tuple[Tracking, ...] = ()


def track_file_lines(files: Sequence[TrackFileReport]) -> list[str]:
    out: list[str] = []
    for f in files:
        out += [
            f" Track file = {f.name}",
            f"   File = {f.path}",
            f"   Status = {f.status}",
            f"   Weight = {f.weight}{' reverse' if f.reverse else ''}",
        ]
        if f.tracking:
            out.append("   Tracking instances :")
            out.extend(tracking_line(t) for t in f.tracking)
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackProcessReport:
    """One vrrp_track_process: what it matches, its quorum, the count now, delays and trackers."""

    name: str
    process: str
    params: str = ""  # the configured arguments, space-separated
    param_match: str = ""  # "", "exact", "partial" or "initial"
    quorum: int = 1
    quorum_max: int | None = None
    count: int = 0
    have_quorum: bool = False
    weight: int = 0
    reverse: bool = False
    terminate_delay_us: int = 0
    fork_delay_us: int = 0
    fork_timer: bool = False
    terminate_timer: bool = False
    full_command: bool = False
    tracking: tuple[Tracking, ...] = ()


_PARAM_MATCH = {"exact": "", "partial": " = partial", "initial": " = initial"}


def track_process_lines(processes: Sequence[TrackProcessReport]) -> list[str]:
    out: list[str] = []
    for p in processes:
        out += [f" VRRP Track process = {p.name}", f"   Process = {p.process}"]
        if p.params:
            out.append(f"   Parameters = {p.params}")
        if p.param_match:
            out.append(f"   Param match{_PARAM_MATCH.get(p.param_match, 'unknown')}")
        out.append(f"   Min processes = {p.quorum}")
        if p.quorum_max is not None:
            out.append(f"   Max processes = {p.quorum_max}")
        out += [
            f"   Current processes = {p.count}",
            f"   Have quorum = {'true' if p.have_quorum else 'false'}",
            f"   Weight = {p.weight}{' reverse' if p.reverse else ''}",
            f"   Terminate delay = {p.terminate_delay_us / SECOND:f}s",
            f"   Fork delay = {p.fork_delay_us / SECOND:f}s",
            f"   Fork delay timer {'' if p.fork_timer else 'not '}running",
            f"   Terminate delay timer {'' if p.terminate_timer else 'not '}running",
            f"   Full command = {'true' if p.full_command else 'false'}",
        ]
        if p.tracking:
            out.append("   Tracking instances :")
            out.extend(tracking_line(t) for t in p.tracking)
    return out


def sync_group_lines(groups: Sequence[SyncGroupReport]) -> list[str]:
    out: list[str] = []
    for g in groups:
        out += [
            f" VRRP Sync Group = {g.name}, {g.state}",
            f"   Num member fault {g.members_fault}, num member init {g.members_init}",
        ]
        if g.members:
            out.append("   VRRP member instances :")
            out.extend(f"     {name}" for name in g.members)
        if g.tracking_weight:
            out.append("   sync group tracking weight set")
        out.append(f"   Using smtp notification = {'yes' if g.smtp_alert else 'no'}")
        if g.notify_priority_changes is not None:
            out.append(f"   Notify priority changes = {'yes' if g.notify_priority_changes else 'no'}")
        for title, tracked in (("interfaces", g.track_ifp), ("scripts", g.track_script)):
            if tracked:
                out.append(f"   Tracked {title} :")
                out.extend(
                    f"     {t.iname} weight {t.weight}{' reverse' if t.reverse else ''}" for t in tracked
                )
        out.extend(
            f"   {label} state transition script = {cmd_str(argv)}, uid:gid {uid}:{gid}"
            for label, argv, uid, gid in g.scripts
        )
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class GarpDelayReport:
    """One GARP/NA spacing: a garp_group, or an interface's default from the global intervals.

    `group` is keepalived's aggregation number: from 1 for a garp_group with an `interfaces`
    block, 0 otherwise."""

    group: int
    garp_interval_us: int | None = None
    gna_interval_us: int | None = None
    garp_next: float = 0.0  # Unix time the next frame may go; 0: none sent yet
    gna_next: float = 0.0
    interfaces: tuple[str, ...] = ()


def _next_time(when: float) -> str:
    # keepalived: seconds.micro (the first 19 characters of ctime.micro)
    whole = int(when)
    micro = round((when - whole) * 1_000_000)
    return f"{whole}.{micro:06d} ({time.ctime(whole)[:19]}.{micro:06d})"


def garp_delay_lines(delays: Sequence[GarpDelayReport]) -> list[str]:
    out: list[str] = []
    for d in delays:
        out.append(f"------< GARP delay group {d.group} >------")
        if d.garp_interval_us is not None:
            out.append(f" GARP interval = {d.garp_interval_us / SECOND:g}")
            out.append(f" GARP next time {_next_time(d.garp_next)}")
        if d.gna_interval_us is not None:
            out.append(f" GNA interval = {d.gna_interval_us / SECOND:g}")
            out.append(f" GNA next time {_next_time(d.gna_next)}")
        elif d.garp_interval_us is None:
            out.append(" No configuration")
        out.append(" Interfaces")
        out.extend(f"  {name}" for name in d.interfaces)
    return out


def tracking_line(t: Tracking) -> str:
    return f"     {t.iname}, weight {t.weight}{' reverse' if t.reverse else ''}"


def sockpool_lines(sockets: Sequence[SocketReport]) -> list[str]:
    out: list[str] = []
    for s in sockets:
        out += [
            f" fd_in {s.fd_in} fd_out = {s.fd_out}",
            f"   Interface = {s.interface}",
            f"   Family = IPv{s.family}",
            f"   Protocol = {s.protocol}",
            f"   Type = {'Unicast' if s.unicast_src else 'Multicast'}",
        ]
        if s.unicast_src:
            out.append(f"   Address = {s.unicast_src}")
        out.append(f"   Rx buf size = {s.rx_buf_size}")
        out.append("   VRRP instances")
        out.extend(f"     {iname} vrid {vrid}" for iname, vrid in s.instances)
    return out


def script_lines(scripts: Sequence[VrrpScriptReport]) -> list[str]:
    out: list[str] = []
    for s in scripts:
        out += [
            f" VRRP Script = {s.name}",
            f"   Command = {cmd_str(s.argv)}",
            f"   Interval = {s.interval_us // SECOND} sec",
            f"   Timeout = {s.timeout_us // SECOND} sec",
            f"   Weight = {s.weight}{' reverse' if s.reverse else ''}",
            f"   Rise = {s.rise}",
            f"   Fall = {s.fall}",
            f"   Result = {s.result}",
            f"   Insecure = {'yes' if s.insecure else 'no'}",
            f"   Init state = {s.init_state}",
            f"   Status = {'GOOD' if s.result >= s.rise else 'BAD'}",
            f"   Script uid:gid = {s.uid}:{s.gid}",
            "   VRRP instances :",
        ]
        if s.tracking:
            out.append("   Tracking instances :")
            out.extend(tracking_line(t) for t in s.tracking)
        out.append(f"   State = {'running' if s.running else 'idle'}")
    return out


def _up_running(flags: int) -> list[str]:
    return [f"{'' if flags & IFF_UP else 'not '}UP", f"{'' if flags & IFF_RUNNING else 'not '}RUNNING"]


def state_text(flags: int) -> str:
    """keepalived's `State =` value: `UP, RUNNING` and what the interface lacks or is."""
    words = _up_running(flags)
    if not flags & IFF_BROADCAST:
        words.append("no broadcast")
    for bit, word in ((IFF_LOOPBACK, "loopback"), (IFF_POINTOPOINT, "point to point"), (IFF_NOARP, "no arp")):
        if flags & bit:
            words.append(word)
    if not flags & IFF_MULTICAST:
        words.append("no multicast")
    return ", ".join(words)


def _hw_type(hw_type: int) -> str:
    if hw_type == ARPHRD_LOOPBACK:
        return "LOOPBACK"
    if hw_type == ARPHRD_ETHER:
        return "ETHERNET"
    return f"UNKNOWN ({hw_type})"


def interface_lines(interfaces: Sequence[InterfaceReport]) -> list[str]:
    out: list[str] = []
    for i in interfaces:
        out += [f" Name = {i.name}", f"   index = {i.index}", f"   IPv4 address = {i.ipv4 or '(none)'}"]
        if i.ipv4_more:
            out.append("   Additional IPv4 addresses :")
            out.extend(f"     {a}" for a in i.ipv4_more)
        out.append(f"   IPv6 address = {i.ipv6 or '(none)'}")
        if i.ipv6_more:
            out.append("   Additional IPv6 addresses :")
            out.extend(f"     {a}" for a in i.ipv6_more)
        if i.mac:
            out += [f"   MAC = {i.mac}", f"   MAC broadcast = {i.mac_broadcast}"]
        master_down = ", master down" if i.vmac_parent and not i.vmac_parent_flags & IFF_UP else ""
        out += [
            f"   State = {state_text(i.flags)}{master_down}",
            f"   Seen up = {int(i.seen_up)}",
            # alived takes a link's state as the kernel reports it, with no debounce.
            "   Delayed state change running = false",
            "   Up debounce timer = 0us",
            "   Down debounce timer = 0us",
        ]
        if i.vmac_parent:
            parent = ", ".join(_up_running(i.vmac_parent_flags))
            out.append(f"   VMAC type private, underlying interface = {i.vmac_parent}, state = {parent}")
            out.append("   I/f created by keepalived")
        out += [f"   MTU = {i.mtu}", f"   HW Type = {_hw_type(i.hw_type)}", "   NIC netlink status update"]
        if i.garp_interval_us is not None:
            out.append(f"   Gratuitous ARP interval {i.garp_interval_us // 1000}ms")
        if i.gna_interval_us is not None:
            out.append(f"   Gratuitous NA interval {i.gna_interval_us // 1000}ms")
        if i.garp_group:
            out.append(f"   Gratuitous ARP aggregation group {i.garp_group}")
        out += [
            f"   Reset ARP config counter {i.arp_resets}",
            f"   Original arp_ignore {i.arp_ignore}",
            f"   Original arp_filter {i.arp_filter}",
        ]
        if i.rp_filter is not None:
            out.append(f"   rp_filter {i.rp_filter}")
        # alived leaves promote_secondaries alone on the interfaces it does not create.
        out += ["   Original promote_secondaries 0", "   Reset promote_secondaries counter 0"]
        if i.tracking:
            out.append("   Tracking VRRP instances :")
            out.extend(tracking_line(t) for t in i.tracking)
    return out
