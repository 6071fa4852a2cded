"""What the VRRP child says about its instances: one `InstanceReport` each, for dumps and status.

daemon/vrrp/dumps.py formats the reports (`.data`, `.stats`, `.json`) and daemon/status.py
serves them; this module gathers the facts from the plans and the running instances. The dump
texts of addresses and routes live here (keepalived's `192.0.2.100/24 dev eth0 scope global`):
they need the netlink spec types, which dumps.py, imported by the parent and alivectl, must not
pull in (pyroute2 stays out of those processes).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from typing import Protocol

from alived.config import model
from alived.core.vrrp.checksum import UnicastChecksum
from alived.core.vrrp.instance import VrrpInstance
from alived.core.vrrp.params import InstanceParams
from alived.core.vrrp.states import State
from alived.core.vrrp.tracker import TrackerKind
from alived.core.vrrp.wire import IPAddress
from alived.daemon.dumpfile import write_dump_file
from alived.daemon.vrrp import dumps
from alived.daemon.vrrp.dumps import InstanceReport
from alived.daemon.vrrp.sockets import SocketEntry
from alived.daemon.vrrp.split_brain import SplitBrainReport
from alived.daemon.vrrp.translate import InstancePlan, SocketKey
from alived.linux import clock
from alived.linux.netlink import RT_TABLE_MAIN, SCOPES, AddressSpec, IPNetwork, RouteSpec, RuleSpec
from alived.linux.scripts import ScriptCommand
from alived.notify.scripts import NotifyScripts
from alived.units import SECOND, Ticks

log = logging.getLogger("alived.vrrp")


def address_text(spec: AddressSpec) -> str:
    """keepalived's dump form `192.0.2.100/24 dev eth0 scope global`."""
    scope = next((name for name, value in SCOPES.items() if value == spec.scope), str(spec.scope))
    return f"{spec.address}/{spec.prefixlen} dev {spec.dev} scope {scope}"


def route_text(spec: RouteSpec) -> str:
    """keepalived's dump form of a virtual route: `198.51.100.0/24 via 192.0.2.1 dev eth0`."""
    parts = [str(spec.dst)]
    if spec.via is not None:
        parts.append(f"via {spec.via}")
    if spec.dev is not None:
        parts.append(f"dev {spec.dev}")
    if spec.table != RT_TABLE_MAIN:
        parts.append(f"table {spec.table}")
    return " ".join(parts)


def _net(network: IPNetwork) -> str:
    # keepalived's ipaddresstos: no prefix on a host address.
    host = network.prefixlen == network.max_prefixlen
    return str(network.network_address) if host else str(network)


def rule_text(spec: RuleSpec) -> str:
    """keepalived's dump form of a virtual rule: `from 192.0.2.0/24 tos 0x0 lookup 100`."""
    parts = ["inet6"] if spec.src is None and spec.dst is None and spec.family == 6 else []
    if spec.invert:
        parts.append("not")
    parts.append(f"from {_net(spec.src) if spec.src is not None else 'all'}")
    if spec.dst is not None:
        parts.append(f"to {_net(spec.dst)}")
    if spec.priority is not None:
        parts.append(f"priority {spec.priority}")
    parts.append(f"tos 0x{spec.tos:x}")
    if spec.fwmark is not None or spec.fwmask is not None:
        mask = "" if spec.fwmask in (None, 0xFFFFFFFF) else f"/0x{spec.fwmask:x}"
        parts.append(f"fwmark 0x{spec.fwmark or 0:x}{mask}")
    parts += [f"{word} {dev}" for word, dev in (("iif", spec.iif), ("oif", spec.oif)) if dev is not None]
    if spec.suppress_prefixlength is not None:
        parts.append(f"suppress_prefixlen {spec.suppress_prefixlength}")
    if spec.suppress_ifgroup is not None:
        parts.append(f"suppress_ifgroup {spec.suppress_ifgroup}")
    if spec.uidrange is not None:
        parts.append(f"uidrange {spec.uidrange[0]}-{spec.uidrange[1]}")
    if spec.l3mdev:
        parts.append("l3mdev")
    parts.append(f"protocol {spec.protocol}")
    if spec.ipproto is not None:
        parts.append(f"ipproto {spec.ipproto}")
    parts += [
        f"{word} {r[0]}-{r[1]}" for word, r in (("sport", spec.sport), ("dport", spec.dport)) if r is not None
    ]
    if spec.action == "to_tbl":
        parts.append(f"lookup {spec.table if spec.table is not None else RT_TABLE_MAIN}")
    elif spec.action == "goto":
        parts.append(f"goto {spec.goto}")
    else:
        parts.append("nop" if spec.action == "nop" else f"type {spec.action}")
    return " ".join(parts)


class RunnerFacts(Protocol):
    """What the action runner (daemon/vrrp/action_runner.py) knows of each instance's history."""

    @property
    def last_transition(self) -> Mapping[str, float]: ...

    @property
    def last_change(self) -> Mapping[str, tuple[str, str]]: ...

    @property
    def garps_sent(self) -> Mapping[str, int]: ...

    @property
    def nas_sent(self) -> Mapping[str, int]: ...


def instance_reports(
    plans: Mapping[str, InstancePlan],
    instances: Mapping[str, VrrpInstance],
    config: model.Config | None,
    facts: RunnerFacts,
    *,
    split_brain: Mapping[str, SplitBrainReport] | None = None,
    sockets: Mapping[SocketKey, SocketEntry] | None = None,
    now: Callable[[], Ticks] = clock.now,
) -> list[InstanceReport]:
    """One report per running instance, in plan order."""
    out: list[InstanceReport] = []
    mono, wall = now(), time.time()
    for name, plan in plans.items():
        inst = instances.get(name)
        if inst is None:
            continue
        split = (split_brain or {}).get(name, SplitBrainReport(count=0, since=None))
        p = inst.params
        entry = (sockets or {}).get(plan.socket_key)
        sands = inst.read_timeout
        out.append(
            InstanceReport(
                iname=name,
                state=inst.state.value,
                wantstate=inst.wantstate.value,
                interface=plan.interface,
                vrid=p.vrid,
                version=p.version,
                base_priority=p.priority,
                effective_priority=inst.effective_priority,
                adver_int_us=p.advert_int,
                master_adver_int_us=inst.master_adver_int,
                accept=p.accept,
                nopreempt=p.nopreempt,
                preempt_delay_us=p.preempt_delay,
                auth_type=p.auth_type,
                vips=tuple(
                    f"{address_text(s)}{' set' if inst.state is State.MASTER else ''}" for s in plan.vips
                ),
                evips=tuple(
                    f"{address_text(s)}{' set' if inst.state is State.MASTER else ''}" for s in plan.evips
                ),
                vroutes=tuple(route_text(r) for r in plan.routes),
                vrules=tuple(rule_text(r) for r in plan.rules),
                vipset=inst.state is State.MASTER,
                src_ip=str(p.primary_address) if plan.has_source else "",
                mcast_addr="" if p.unicast else str(plan.group),
                unicast_peers=tuple(str(a) for a in p.unicast_peers),
                unicast_peer_ttls=tuple(_ttl_range(p, a) for a in p.unicast_peers),
                # IPv4 adverts go out with TTL 255 unless unicast_ttl says otherwise.
                unicast_ttl=plan.unicast_ttl if plan.unicast_ttl is not None or plan.family == 6 else 255,
                unicast_checksum=_checksum_words(plan),
                master_down_timer_us=inst.down_timer,
                master_router=str(inst.master_address or ""),
                master_priority=inst.master_priority,
                last_transition=facts.last_transition.get(name, 0.0),
                last_transition_from=facts.last_change.get(name, ("", ""))[0],
                last_transition_reason=facts.last_change.get(name, ("", ""))[1],
                garps_sent=facts.garps_sent.get(name, 0),
                nas_sent=facts.nas_sent.get(name, 0),
                trackers=tuple(inst.tracker_states()),
                track_files=_tracked(p, TrackerKind.FILE),
                track_processes=_tracked(p, TrackerKind.PROCESS),
                total_priority=inst.total_priority,
                # alived refuses what keepalived counts as config faults at load: none is left.
                config_faults=0,
                if_script_faults=len(inst.fault_reasons),
                scripts_init=inst.scripts_awaited,
                read_timeout=None if sands is None else wall + (sands - mono) / SECOND,
                fds=None if entry is None else entry.sock.fds,
                scripts=notify_script_reports(plan.notify),
                conf=dumps.config_view(cfg, config, plan.base_interface, plan.vmac.name if plan.vmac else "")
                if config is not None and (cfg := config.instance(name)) is not None
                else dumps.ConfigView(),
                stats=inst.stats.snapshot(),
                split_brain_count=split.count,
                split_brain_since=split.since,
            )
        )
    return out


def _tracked(params: InstanceParams, kind: TrackerKind) -> tuple[dumps.TrackReport, ...]:
    return tuple(
        dumps.TrackReport(name=t.name, weight=t.weight, reverse=t.reverse)
        for t in params.trackers
        if t.kind is kind
    )


def _ttl_range(params: InstanceParams, peer: IPAddress) -> tuple[int, int]:
    return next(((lo, hi) for a, lo, hi in params.unicast_peer_ttl if a == peer), (0, 255))


def _checksum_words(plan: InstancePlan) -> str:
    """keepalived's `Unicast checksum compatibility`: `auto` once the old form was taken from a peer."""
    if plan.send.old_checksum_adopted and plan.unicast_checksum is UnicastChecksum.NONE:
        return "auto"
    return {UnicastChecksum.NONE: "no", UnicastChecksum.NEVER: "never", UnicastChecksum.CONFIG: "config"}[
        plan.unicast_checksum
    ]


def run_ids(command: ScriptCommand) -> tuple[tuple[str, ...], int, int]:
    # No uid/gid: the script runs as this process.
    uid = os.geteuid() if command.uid is None else command.uid
    return command.argv, uid, os.getegid() if command.gid is None else command.gid


def notify_script_reports(scripts: NotifyScripts) -> tuple[dumps.ScriptReport, ...]:
    generic = None if scripts.generic is None else run_ids(scripts.generic)
    return dumps.script_reports({k: run_ids(v) for k, v in scripts.specific.items()}, generic)


def write_dump(name: str, text: str) -> None:
    """Write one dump file; a failure is logged, never raised (the child keeps running)."""
    try:
        # keepalived says nothing once the file is written, even with -D.
        write_dump_file(name, text)
    except OSError as err:
        log.error("Unable to write %s: %s", name, err)
