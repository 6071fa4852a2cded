"""keepalived's dump files: instance reports, SIGUSR2 `keepalived.stats`, the JSON signal's `keepalived.json`.

The VRRP child describes each instance as an `InstanceReport`; this module only formats
and leaves the writing to daemon/dumpfile.py (shared with the parent's own dump). The SIGUSR1
`.data` text is daemon/vrrp/data_dump.py's (its later sections daemon/vrrp/data_sections.py's).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from alived import defaults
from alived.config import model
from alived.core.vrrp import stats as counters
from alived.core.vrrp.instance import TrackerState
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
    # keepalived's flag bits: any set shows `Flags:` (over `Flags: none`), even when none is named.
    flags: bool = False
    unicast_configured: bool = False  # a unicast keyword, peers or not
    check_unicast_src: bool = False  # the instance's own check (or a peer's TTL range), not the global


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
    unicast_peer_ttls: tuple[tuple[int, int], ...] = ()  # each peer's accepted TTL range
    unicast_ttl: int | None = None  # the TTL unicast adverts go out with; None: the kernel's
    unicast_checksum: str = "no"  # keepalived's words: no, never, config, auto
    master_down_timer_us: int | None = None
    master_router: str = ""
    master_priority: int = 0
    last_transition: float = 0.0
    last_transition_from: str = ""  # the state left, "" before the first transition
    last_transition_reason: str = ""  # the core's reason word (init, master_down, fault, ...)
    garps_sent: int = 0
    nas_sent: int = 0
    trackers: tuple[TrackerState, ...] = ()
    track_files: tuple[TrackReport, ...] = ()  # with the weights the instance applies
    track_processes: tuple[TrackReport, ...] = ()
    total_priority: int = 0  # base plus the trackers' weights, unclamped
    config_faults: int = 0
    if_script_faults: int = 0  # every reason the instance is (or would be) in FAULT
    scripts_init: int = 0  # weight-0 scripts not yet heard from
    read_timeout: float | None = None  # Unix time the instance's timer fires; None: none runs
    fds: tuple[int, int] | None = None  # its socket's (fd_in, fd_out); None: no socket
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
        # An entry without its own weight (or reverse word) takes the vrrp_script's.
        weight = entry.weight if entry.weight is not None else (spec.weight if spec is not None else 0)
        own = spec.weight_reverse if spec is not None else False
        reverse = entry.reverse if entry.reverse is not None else own
        argv = spec.script.argv if spec is not None and spec.script is not None else ()
        scripts.append(TrackReport(name=entry.name, weight=weight, reverse=reverse, argv=argv))
    skip_check = bool(
        inst.skip_check_adv_addr if inst.skip_check_adv_addr is not None else g.vrrp_skip_check_adv_addr
    )
    check_src = inst.check_unicast_src or any(
        p.min_ttl is not None or p.max_ttl is not None for p in inst.unicast_peer
    )
    extra_if_all = inst.garp_extra_if_all if inst.garp_extra_if is not None else g.vrrp_garp_extra_if_all
    flags = (
        inst.unicast_configured
        or bool(inst.unicast_peer)
        or inst.dont_track_primary
        or skip_check
        or inst.unicast_src_ip is not None
        or inst.mcast_src_ip is not None
        or inst.track_src_ip
        or check_src
        or inst.promote_secondaries
        or inst.nopreempt
        or inst.use_vmac is not None
        or inst.use_vmac_addr
        or inst.linkbeat_use_polling
        or extra_if_all
    )
    return ConfigView(
        flags=flags,
        unicast_configured=inst.unicast_configured or bool(inst.unicast_peer),
        check_unicast_src=check_src,
        dont_track_primary=inst.dont_track_primary,
        skip_check_adv_addr=skip_check,
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
        notify_priority_changes=inst.notify_priority_changes
        if inst.notify_priority_changes is not None
        else g.vrrp_notify_priority_changes,
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


def _secs(us: int) -> int:
    return us // SECOND


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
