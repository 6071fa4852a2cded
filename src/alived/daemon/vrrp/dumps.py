"""keepalived's dump files: SIGUSR1 `.data`, SIGUSR2 `keepalived.stats`, the JSON signal's `keepalived.json`.

The VRRP child describes each instance as an `InstanceReport`; this module only formats
and leaves the writing to daemon/dumpfile.py (shared with the parent's own dump).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from alived import defaults
from alived.config import model
from alived.core.vrrp import stats as counters
from alived.core.vrrp.instance import TrackerState
from alived.script_security import default_user, lookup_user
from alived.units import SECOND

# keepalived's numeric states in the JSON dump.
JSON_STATE = {"INIT": 0, "BACKUP": 1, "MASTER": 2, "FAULT": 3, "DELETED": 97, "STOP": 98}

# Notify scripts: (state word in NotifyScripts, JSON key, .data label), in keepalived's order.
SCRIPT_SLOTS = (
    ("BACKUP", "script_backup", "Backup"),
    ("MASTER", "script_master", "Master"),
    ("FAULT", "script_fault", "Fault"),
    ("STOP", "script_stop", "Stop"),
    ("DELETED", "script_deleted", "Deleted"),
    ("", "script", "Generic"),
    ("MASTER_RX_LOWER_PRI", "script_master_rx_lower_pri", "Master rx lower pri"),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ScriptReport:
    """A notify script as the dumps show it: JSON key, .data label, command and the ids it runs as."""

    key: str
    label: str
    argv: tuple[str, ...]
    uid: int
    gid: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackReport:
    """A tracked interface or vrrp_script: its name, weight, and (scripts) the command it runs."""

    name: str
    weight: int = 0
    reverse: bool = False
    argv: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigView:
    """The configured settings of one instance that the dumps show (keepalived's JSON names)."""

    dont_track_primary: bool = False
    skip_check_adv_addr: bool = False
    strict_mode: bool = False
    vmac_ifname: str = ""
    garp_delay_us: int = defaults.GARP_MASTER_DELAY
    garp_rep: int = defaults.GARP_MASTER_REPEAT
    garp_refresh_us: int = defaults.GARP_MASTER_REFRESH
    garp_refresh_rep: int = defaults.GARP_MASTER_REFRESH_REPEAT
    garp_lower_prio_delay_us: int = defaults.GARP_LOWER_PRIO_DELAY
    garp_lower_prio_rep: int = defaults.GARP_LOWER_PRIO_REPEAT
    down_timer_adverts: int = defaults.DOWN_TIMER_ADVERTS
    lower_prio_no_advert: bool = False
    higher_prio_send_advert: bool = False
    promote_secondaries: bool = False
    smtp_alert: bool = False
    notify_deleted: bool = False
    notify_priority_changes: bool = False
    auth_data: str = ""
    sync_group: str = ""
    track_ifp: tuple[TrackReport, ...] = ()
    track_script: tuple[TrackReport, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class InstanceReport:
    """What the dumps say about one VRRP instance (names follow keepalived's JSON keys)."""

    iname: str
    state: str
    wantstate: str
    interface: str
    vrid: int
    version: int
    base_priority: int
    effective_priority: int
    adver_int_us: int
    master_adver_int_us: int
    accept: bool
    nopreempt: bool
    preempt_delay_us: int
    auth_type: int
    vips: tuple[str, ...]
    evips: tuple[str, ...] = ()
    vroutes: tuple[str, ...] = ()
    vrules: tuple[str, ...] = ()
    vipset: bool = False
    src_ip: str = ""
    mcast_addr: str = ""
    unicast_peers: tuple[str, ...] = ()
    master_down_timer_us: int | None = None
    master_router: str = ""
    master_priority: int = 0
    last_transition: float = 0.0
    last_transition_from: str = ""  # the state left, "" before the first transition
    last_transition_reason: str = ""  # the core's reason word (init, master_down, fault, ...)
    garps_sent: int = 0
    nas_sent: int = 0
    trackers: tuple[TrackerState, ...] = ()
    scripts: tuple[ScriptReport, ...] = ()
    conf: ConfigView = field(default_factory=ConfigView)
    stats: Mapping[str, int] = field(default_factory=dict)
    # alived's own (issue 12): split brains seen, and the Unix time the current one began.
    split_brain_count: int = 0
    split_brain_since: float | None = None


def config_view(
    inst: model.VrrpInstance, config: model.Config, own_interface: str, vmac_ifname: str = ""
) -> ConfigView:
    """The dump-relevant settings of `inst`, with keepalived's defaults already resolved.

    `own_interface` is the configured interface; `vmac_ifname` the macvlan's name, when one exists.
    """
    g = config.global_defs
    auth = inst.authentication
    scripts = []
    for entry in inst.track_script:
        spec = config.script(entry.name)
        weight = entry.weight if entry.weight is not None else (spec.weight if spec is not None else 0)
        argv = spec.script.argv if spec is not None and spec.script is not None else ()
        scripts.append(TrackReport(name=entry.name, weight=weight, reverse=bool(entry.reverse), argv=argv))
    return ConfigView(
        dont_track_primary=inst.dont_track_primary,
        skip_check_adv_addr=bool(
            inst.skip_check_adv_addr if inst.skip_check_adv_addr is not None else g.vrrp_skip_check_adv_addr
        ),
        strict_mode=inst.effective_strict,
        vmac_ifname=vmac_ifname,
        garp_delay_us=inst.effective_garp_master_delay,
        garp_rep=inst.effective_garp_master_repeat,
        garp_refresh_us=inst.effective_garp_master_refresh,
        garp_refresh_rep=inst.effective_garp_master_refresh_repeat,
        garp_lower_prio_delay_us=inst.effective_garp_lower_prio_delay,
        garp_lower_prio_rep=inst.effective_garp_lower_prio_repeat,
        down_timer_adverts=inst.effective_down_timer_adverts,
        lower_prio_no_advert=inst.effective_lower_prio_no_advert,
        higher_prio_send_advert=inst.effective_higher_prio_send_advert,
        promote_secondaries=inst.promote_secondaries,
        smtp_alert=inst.effective_smtp_alert,
        notify_deleted=inst.notify_deleted_set,
        notify_priority_changes=bool(inst.notify_priority_changes),
        auth_data=(auth.auth_pass or "")[:8] if auth is not None and auth.auth_type == "PASS" else "",
        sync_group=inst.sync_group or "",
        # keepalived ignores a track_interface naming the instance's own interface.
        track_ifp=tuple(
            TrackReport(name=t.name, weight=t.weight or 0, reverse=bool(t.reverse))
            for t in inst.track_interface
            if t.name != own_interface
        ),
        track_script=tuple(scripts),
    )


def script_reports(
    specific: Mapping[str, tuple[tuple[str, ...], int, int]], generic: tuple[tuple[str, ...], int, int] | None
) -> tuple[ScriptReport, ...]:
    """Notify scripts in keepalived's order from (argv, uid, gid) by state word ("" the generic one)."""
    out = []
    for word, key, label in SCRIPT_SLOTS:
        found = generic if word == "" else specific.get(word)
        if found is not None:
            argv, uid, gid = found
            out.append(ScriptReport(key=key, label=label, argv=argv, uid=uid, gid=gid))
    return tuple(out)


def cmd_str(argv: Sequence[str]) -> str:
    """A command as keepalived prints it: each word in single quotes."""
    return " ".join(f"'{word}'" for word in argv)


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
    return [
        f"Router ID = {router_id}",
        f"VRRP IPv4 mcast group = {g.vrrp_mcast_group4}",
        f"VRRP IPv6 mcast group = {g.vrrp_mcast_group6}",
        f"Gratuitous ARP delay = {_secs(g.vrrp_garp_master_delay)}",
        f"Gratuitous ARP repeat = {g.vrrp_garp_master_repeat}",
        f"Gratuitous ARP refresh timer = {_secs(g.vrrp_garp_master_refresh)}",
        f"Gratuitous ARP refresh repeat = {g.vrrp_garp_master_refresh_repeat}",
        f"Gratuitous ARP lower priority delay = {_secs(lower_delay)}",
        f"Gratuitous ARP lower priority repeat = {lower_rep}",
        f"Num adverts before down = {g.vrrp_down_timer_adverts}",
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
    if r.unicast_peers:
        out += ["   Flags:", "     Using unicast"]
    else:
        out.append("   Flags: none")
    out.append(f"   Wantstate = {r.wantstate}")
    out.append(f"   Last transition = {r.last_transition:.6f} ({_ctime_us(r.last_transition)})")
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
        out.append("   Unicast Peer :")
        out.extend(f"     {peer}" for peer in r.unicast_peers)
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


def format_data(reports: Sequence[InstanceReport], global_lines: Sequence[str] = ()) -> str:
    """The SIGUSR1 `keepalived.data` text (human-readable; keepalived calls it unstable)."""
    out = ["------< Global definitions >------", *(f" {line}" for line in global_lines)]
    out.append("------< VRRP Topology >------")
    for r in reports:
        out.extend(_instance_lines(r))
    return "\n".join(out) + "\n"


def format_stats(reports: Sequence[InstanceReport]) -> str:
    """The SIGUSR2 `keepalived.stats` text, in keepalived 2.2.7's layout (core/vrrp/stats.py)."""
    out: list[str] = []
    for r in reports:
        out.append(f"VRRP Instance: {r.iname}")
        for section, lines in counters.STATS_FILE:
            indent = "  "
            if section:
                out.append(f"  {section}:")
                indent = "    "
            out.extend(f"{indent}{label}: {r.stats.get(name, 0)}" for label, name in lines)
    return "\n".join(out) + "\n"


def _seconds_g(us: int) -> float | int:
    # keepalived writes these with printf %g: whole seconds come out as JSON integers.
    value = us / SECOND
    return int(value) if value.is_integer() else value


def json_data(r: InstanceReport) -> dict[str, object]:
    """keepalived's `data` object for one instance: its keys, order, types and units."""
    c = r.conf
    data: dict[str, object] = {
        "iname": r.iname,
        "dont_track_primary": int(c.dont_track_primary),
        "skip_check_adv_addr": int(c.skip_check_adv_addr),
        "strict_mode": int(c.strict_mode),
        "vmac_ifname": c.vmac_ifname,
        "ifp_ifname": r.interface,
        "master_priority": r.master_priority,
        "last_transition": r.last_transition,
        "garp_delay": _seconds_g(c.garp_delay_us),
        "garp_refresh": _secs(c.garp_refresh_us),
        "garp_rep": c.garp_rep,
        "garp_refresh_rep": c.garp_refresh_rep,
        "garp_lower_prio_delay": _secs(c.garp_lower_prio_delay_us),
        "garp_lower_prio_rep": c.garp_lower_prio_rep,
        "lower_prio_no_advert": int(c.lower_prio_no_advert),
        "higher_prio_send_advert": int(c.higher_prio_send_advert),
        "vrid": r.vrid,
        "base_priority": r.base_priority,
        "effective_priority": r.effective_priority,
        "vipset": r.vipset,
        "promote_secondaries": c.promote_secondaries,
        "adver_int": _seconds_g(r.adver_int_us),
        "master_adver_int": _seconds_g(r.master_adver_int_us),
        "accept": int(r.accept),
        "nopreempt": r.nopreempt,
        "preempt_delay": _secs(r.preempt_delay_us),
        "state": JSON_STATE.get(r.state, 0),
        "wantstate": JSON_STATE.get(r.wantstate, 0),
        "version": r.version,
        "smtp_alert": c.smtp_alert,
        "notify_deleted": c.notify_deleted,
    }
    data.update((s.key, cmd_str(s.argv)) for s in r.scripts)
    # keepalived leaves an empty list out.
    for key, values in (
        ("vips", r.vips),
        ("evips", r.evips),
        ("vroutes", r.vroutes),
        ("vrules", r.vrules),
        ("track_ifp", tuple(t.name for t in c.track_ifp)),
        ("track_script", tuple(cmd_str(t.argv) for t in c.track_script)),
    ):
        if values:
            data[key] = list(values)
    data["auth_type"] = r.auth_type
    if r.auth_type:
        data["auth_data"] = c.auth_data
    if r.split_brain_count:  # alived's own keys, only once a split brain was seen
        data["split_brain_count"] = r.split_brain_count
        data["split_brain_since"] = r.split_brain_since
    return data


def json_document(reports: Sequence[InstanceReport]) -> list[dict[str, object]]:
    """keepalived's `json_version 1` document: one {"data", "stats"} object per instance."""
    return [
        {"data": json_data(r), "stats": {key: r.stats.get(key, 0) for key in counters.KEEPALIVED}}
        for r in reports
    ]


def format_json(reports: Sequence[InstanceReport]) -> str:
    doc = json_document(reports)
    # keepalived's JSON writer escapes '/', which JSON allows; readers see the same strings.
    return json.dumps(doc, separators=(",", ":")).replace("/", "\\/")
