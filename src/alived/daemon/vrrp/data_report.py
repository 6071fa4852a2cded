"""What the VRRP child knows for its SIGUSR1 `.data` dump, gathered into data_sections.py's reports.

The static addresses, routes and rules, the socket pool, the sync groups, the vrrp_scripts it
runs (with keepalived's `result` counter), the track files and processes; the interfaces and
GARP spacings come from data_links.py. daemon/vrrp/data_dump.py writes the text.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Protocol

from alived.config import model
from alived.core.vrrp.states import State
from alived.core.vrrp.sync_group import SyncGroup
from alived.core.vrrp.track_process import QUORUM_MAX_UNSET, ParamMatch, ProcessTable
from alived.core.vrrp.tracker import TrackerKind
from alived.daemon.vrrp import data_dump
from alived.daemon.vrrp.data_links import LinksView, garp_delay_reports, interface_reports
from alived.daemon.vrrp.data_sections import (
    SocketReport,
    SyncGroupReport,
    TrackFileReport,
    Tracking,
    TrackProcessReport,
    VrrpScriptReport,
)
from alived.daemon.vrrp.dumps import InstanceReport
from alived.daemon.vrrp.report import address_text, notify_script_reports, route_text, rule_text, run_ids
from alived.daemon.vrrp.sockets import SocketEntry
from alived.daemon.vrrp.trackers import ScriptTracker
from alived.daemon.vrrp.translate import (
    InstancePlan,
    SocketKey,
    static_addresses,
    static_routes,
    static_rules,
)
from alived.errors import BackendError
from alived.localname import router_id
from alived.notify.scripts import NotifyScripts

log = logging.getLogger("alived.vrrp")


class DataWorld(LinksView, Protocol):
    """What the `.data` dump reads of the VRRP child."""

    @property
    def sockets(self) -> dict[SocketKey, SocketEntry]: ...

    def reports(self) -> list[InstanceReport]: ...

    def script_trackers(self) -> Mapping[str, ScriptTracker]: ...

    def sync_groups(self) -> Mapping[str, SyncGroup]: ...

    def track_file_values(self) -> Mapping[str, int]: ...

    def process_table(self) -> ProcessTable: ...

    def group_scripts(self) -> Mapping[str, NotifyScripts]: ...


def data_text(world: DataWorld) -> str:
    """The SIGUSR1 `.data` text of the child now."""
    config = world.config
    g = config.global_defs if config is not None else model.GlobalDefs()
    lines = data_dump.global_lines(g, router_id(g.router_id), data_dump.default_script_ids(g))
    sections = data_dump.DataSections(
        garp_delays=garp_delay_reports(world),
        static_addresses=_static_address_lines(world),
        static_routes=tuple(route_text(r) for r in static_routes(config)) if config else (),
        static_rules=tuple(rule_text(r) for r in static_rules(config)) if config else (),
        sockets=socket_reports(world.sockets, world.plans),
        sync_groups=sync_group_reports(config, world.sync_groups(), world.group_scripts()),
        scripts=script_reports(config, world.plans, world.script_trackers()),
        track_files=track_file_reports(config, world.plans, world.track_file_values()),
        track_processes=track_process_reports(config, world.plans, world.process_table()),
        interfaces=interface_reports(world),
    )
    return data_dump.format_data(world.reports(), lines, sections)


def _static_address_lines(world: DataWorld) -> tuple[str, ...]:
    """The static addresses, ` set` on those the interface has now."""
    if world.config is None:
        return ()
    specs = static_addresses(world.config)
    netlink = world.netlink
    present: set[tuple[str, object]] = set()
    if specs and netlink is not None:
        try:
            with netlink.address_snapshot():
                for dev in {s.dev for s in specs}:
                    present.update((dev, e.address) for e in netlink.address_entries(dev))
        except BackendError as err:
            log.error("Unable to read the static addresses for the data dump: %s", err)
    return tuple(f"{address_text(s)}{' set' if (s.dev, s.address) in present else ''}" for s in specs)


def socket_reports(
    sockets: Mapping[SocketKey, SocketEntry], plans: Mapping[str, InstancePlan]
) -> tuple[SocketReport, ...]:
    """Each open VRRP socket, with the instances that share it by VRID."""
    out = []
    for key, entry in sockets.items():
        ifname, family, unicast, _, proto = key
        names = [n for vrid in sorted(entry.by_vrid) for n in entry.by_vrid[vrid]]
        source = ""
        if unicast:
            sources = [plans[n].params.primary_address for n in names if n in plans and plans[n].has_source]
            source = str(sources[0]) if sources else ""
        fd_in, fd_out = entry.sock.fds
        out.append(
            SocketReport(
                fd_in=fd_in,
                fd_out=fd_out,
                interface=ifname,
                family=family,
                protocol="AH" if proto == "ah" else "VRRP",
                unicast_src=source if unicast else "",
                instances=tuple((n, plans[n].params.vrid) for n in names if n in plans),
            )
        )
    return tuple(out)


def sync_group_reports(
    config: model.Config | None, groups: Mapping[str, SyncGroup], scripts: Mapping[str, NotifyScripts]
) -> tuple[SyncGroupReport, ...]:
    """Each running sync group, in config order: its state and its members' faults and waits."""
    if config is None:
        return ()
    g = config.global_defs
    out = []
    for sg in config.sync_groups:
        group = groups.get(sg.name)
        if group is None:
            continue
        track_scripts = []
        for entry in sg.track_script:
            spec = config.script(entry.name)
            weight = entry.weight if entry.weight is not None else (spec.weight if spec is not None else 0)
            own = spec.weight_reverse if spec is not None else False
            reverse = entry.reverse if entry.reverse is not None else own
            track_scripts.append(Tracking(iname=entry.name, weight=weight, reverse=reverse))
        notify = notify_script_reports(scripts.get(sg.name, NotifyScripts()))
        smtp = next((v for v in (sg.smtp_alert, g.smtp_alert_vrrp, g.smtp_alert) if v is not None), False)
        out.append(
            SyncGroupReport(
                name=sg.name,
                state=group.state.value,
                members_fault=sum(1 for m in group.members if m.state is State.FAULT),
                members_init=sum(1 for m in group.members if m.scripts_awaited),
                members=tuple(m.name for m in group.members),
                tracking_weight=sg.sync_group_tracking_weight,
                smtp_alert=smtp,
                notify_priority_changes=sg.notify_priority_changes,
                track_ifp=tuple(
                    Tracking(iname=t.name, weight=t.weight or 0, reverse=bool(t.reverse))
                    for t in sg.track_interface
                ),
                track_script=tuple(track_scripts),
                scripts=tuple((s.label, s.argv, s.uid, s.gid) for s in notify),
            )
        )
    return tuple(out)


def _trackers_of(plans: Mapping[str, InstancePlan], kind: TrackerKind, name: str) -> tuple[Tracking, ...]:
    return tuple(
        Tracking(iname=iname, weight=t.weight, reverse=t.reverse)
        for iname, plan in plans.items()
        for t in plan.params.trackers
        if t.kind is kind and t.name == name
    )


def track_file_reports(
    config: model.Config | None, plans: Mapping[str, InstancePlan], values: Mapping[str, int]
) -> tuple[TrackFileReport, ...]:
    """Each track_file the child watches, in config order, with its value and who tracks it."""
    if config is None:
        return ()
    return tuple(
        TrackFileReport(
            name=f.name,
            path=f.file or "",
            status=values[f.name],
            weight=f.weight,
            reverse=f.weight_reverse,
            tracking=_trackers_of(plans, TrackerKind.FILE, f.name),
        )
        for f in config.track_files
        if f.name in values
    )


def track_process_reports(
    config: model.Config | None, plans: Mapping[str, InstancePlan], table: ProcessTable
) -> tuple[TrackProcessReport, ...]:
    """Each vrrp_track_process the child follows, in config order, with its count and quorum now."""
    if config is None:
        return ()
    out = []
    for block in config.track_processes:
        spec = table.spec(block.name)
        if spec is None:
            continue
        fork_timer, terminate_timer = table.delays_running(spec.name)
        params = (
            spec.params.rstrip(b"\0").replace(b"\0", b" ").decode(errors="replace") if spec.params else ""
        )
        out.append(
            TrackProcessReport(
                name=spec.name,
                process=spec.process,
                params=params,
                param_match="" if spec.param_match is ParamMatch.NONE else spec.param_match.value,
                quorum=spec.quorum,
                quorum_max=None if spec.quorum_max == QUORUM_MAX_UNSET else spec.quorum_max,
                count=table.count(spec.name),
                have_quorum=table.have_quorum(spec.name),
                weight=block.weight,
                reverse=block.weight_reverse,
                terminate_delay_us=spec.terminate_delay,
                fork_delay_us=spec.fork_delay,
                fork_timer=fork_timer,
                terminate_timer=terminate_timer,
                full_command=spec.full_command,
                tracking=_trackers_of(plans, TrackerKind.PROCESS, spec.name),
            )
        )
    return tuple(out)


def _result(tracker: ScriptTracker) -> int:
    """keepalived's `result`: rise-1 while undecided, then counting from 0 (failed) or from
    rise+fall-1 (good) towards the flip, by the contradicting results seen."""
    f = tracker.filter
    if f.undecided:
        return f.rise - 1
    return f.rise + f.fall - 1 - f.pending if f.up else f.pending


def script_reports(
    config: model.Config | None, plans: Mapping[str, InstancePlan], trackers: Mapping[str, ScriptTracker]
) -> tuple[VrrpScriptReport, ...]:
    """Each vrrp_script the child runs, in config order, with the instances tracking it."""
    if config is None:
        return ()
    out = []
    for script in config.vrrp_scripts:
        tracker = trackers.get(script.name)
        if tracker is None:
            continue
        tracking = _trackers_of(plans, TrackerKind.SCRIPT, script.name)
        command = tracker.command
        if command is not None:
            argv, uid, gid = run_ids(command)
        else:
            argv, uid, gid = (script.script.argv if script.script is not None else ()), 0, 0
        init = ("INIT/FAILED" if script.init_fail else "INIT") if tracker.untold else "unknown"
        out.append(
            VrrpScriptReport(
                name=script.name,
                argv=argv,
                interval_us=script.interval,
                timeout_us=script.timeout or 0,
                weight=script.weight,
                reverse=script.weight_reverse,
                rise=tracker.filter.rise,
                fall=tracker.filter.fall,
                result=_result(tracker),
                # A script alived would not run (its user unknown) is keepalived's insecure one.
                insecure=command is None,
                init_state=init,
                uid=uid,
                gid=gid,
                tracking=tracking,
                running=tracker.running,
            )
        )
    return tuple(out)
