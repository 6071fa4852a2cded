"""The VRRP child process: the asyncio loop that connects the VRRP core to the kernel.

Three steps for everything that happens: feed the input to the instance (or its sync
group), run the actions it returns in order, re-arm the one DeadlineTimer from the
earliest `next_deadline()`. Packets come from one VRRP socket per (interface, family,
unicast) shared by the instances on it and are dispatched by VRID; link events come from
the netlink monitor; operator signals arrive as intents and are handled by the main task.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import os
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from ipaddress import IPv4Address, IPv6Address

from alived.config import model
from alived.core.l2.garp import gratuitous_arp
from alived.core.l2.ndisc import unsolicited_na
from alived.core.vrrp.actions import (
    Action,
    InstallRoutes,
    InstallVips,
    Log,
    RemoveRoutes,
    RemoveVips,
    RunNotify,
    SendAdvert,
    SendGratuitous,
    StateChanged,
)
from alived.core.vrrp.auth import pass_field
from alived.core.vrrp.inputs import (
    AdvertReceived,
    FaultCleared,
    FaultRaised,
    Input,
    MasterDownFired,
    Shutdown,
    Startup,
    TimerFired,
    TrackerChanged,
)
from alived.core.vrrp.instance import VrrpInstance
from alived.core.vrrp.states import State
from alived.core.vrrp.sync_group import SyncGroup
from alived.core.vrrp.wire import (
    AUTH_AH,
    AhParams,
    IPAddress,
    ReceivedPacket,
    decode_ipv4_packet,
    decode_ipv6_payload,
    encode_advert,
    encode_ipv4_packet,
    peek_vrid,
)
from alived.daemon import mail_alerts, signals
from alived.daemon.dumpfile import write_dump_file
from alived.daemon.loader import load
from alived.daemon.logsetup import IDENT_VRRP, setup_logging
from alived.daemon.options import EXIT_CONFIG, EXIT_FATAL, EXIT_OK, RESPAWN_ENV, Options
from alived.daemon.pidfile import PidFile
from alived.daemon.process_tracker import ProcessTrackers
from alived.daemon.script_command import script_command
from alived.daemon.signals import Intent
from alived.daemon.status import StatusServer, path_problem, socket_path
from alived.daemon.vrrp import dumps
from alived.daemon.vrrp.dumps import InstanceReport, format_data, format_json, format_stats
from alived.daemon.vrrp.file_tracker import FileTrackers
from alived.daemon.vrrp.garp_pacer import Pacer
from alived.daemon.vrrp.startup_log import log_assigned_addresses
from alived.daemon.vrrp.trackers import ScriptTracker
from alived.daemon.vrrp.translate import (
    ChecksumVerdict,
    InstancePlan,
    SocketKey,
    config_vips,
    notify_scripts,
    static_addresses,
    static_routes,
    static_rules,
    translate,
)
from alived.daemon.vrrp.unsupported import log_notices
from alived.errors import BackendError, DecodeError, LocalMisuse
from alived.linux import clock
from alived.linux.l2_socket import L2Socket
from alived.linux.monitor import Monitor
from alived.linux.netlink import AddressSpec, Netlink
from alived.linux.scripts import ScriptCommand, ScriptRunner
from alived.linux.timer import DeadlineTimer
from alived.linux.vmac import VmacManager
from alived.linux.vrrp_socket import AH_PROTO, VRRP_PROTO, Vrrp4Socket, Vrrp6Socket
from alived.notify.fifo import NotifyFifo
from alived.notify.scripts import NotifyKind, NotifyScripts, commands_for
from alived.notify.smtp import VrrpMailer
from alived.units import Ticks, to_seconds

log = logging.getLogger("alived.vrrp")

STOP_SCRIPT_WAIT = 1.0  # keepalived waits this long for STOP notify scripts at shutdown
_LOG_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "notice": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}


class Unit:
    """What the loop drives: a lone instance or a sync group, behind one interface."""

    def __init__(self, members: Iterable[VrrpInstance], group: SyncGroup | None = None) -> None:
        self.members = {m.name: m for m in members}
        self.group = group

    @property
    def name(self) -> str:
        return self.group.name if self.group is not None else next(iter(self.members))

    def handle(self, member: str, event: Input, now: Ticks) -> None:
        if self.group is not None:
            self.group.handle(member, event, now)
        else:
            self.members[member].handle(event, now)

    def handle_timer(self, now: Ticks) -> None:
        if self.group is not None:
            self.group.handle_timer(now)
            return
        for inst in self.members.values():
            deadline = inst.next_deadline()
            if deadline is not None and deadline <= now:
                inst.handle(TimerFired(), now)

    def next_deadline(self) -> Ticks | None:
        if self.group is not None:
            return self.group.next_deadline()
        deadlines = [d for d in (m.next_deadline() for m in self.members.values()) if d is not None]
        return min(deadlines) if deadlines else None

    def pop_actions(self) -> list[tuple[str, Action]]:
        if self.group is not None:
            return self.group.pop_actions()
        return [(name, a) for name, inst in self.members.items() for a in inst.pop_actions()]


@dataclass
class SocketEntry:
    """One VRRP socket and the instances (by VRID) that share it."""

    key: SocketKey
    sock: Vrrp4Socket | Vrrp6Socket
    by_vrid: dict[int, list[str]] = field(default_factory=dict)
    v3_checksum_as_v2: bool = False  # some instance here sums v3 the v2 way


class VrrpChild:
    """The VRRP child's state and its intent handlers (STYLE #9)."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.intents: asyncio.Queue[Intent] = asyncio.Queue()
        self.config: model.Config | None = None
        self.plans: dict[str, InstancePlan] = {}
        self.instances: dict[str, VrrpInstance] = {}
        self.units: dict[str, Unit] = {}
        self.unit_of: dict[str, Unit] = {}
        self.group_notify: dict[str, NotifyScripts] = {}
        self.sockets: dict[SocketKey, SocketEntry] = {}
        self.l2: dict[str, L2Socket] = {}
        self.macs: dict[str, bytes] = {}
        self.fifos: list[NotifyFifo] = []
        self.pacers: dict[tuple[str, bool], Pacer] = {}  # (interface, NA?) -> its GARP/NA pacer
        self.adopted: dict[str, set[IPAddress]] = {}
        self.deleting: set[str] = set()
        self.handover: dict[str, InstancePlan] = {}  # reload: restarted masters and their new plans
        self.quiet: set[str] = set()  # reload: instances whose notifies are suppressed
        self.last_transition: dict[str, float] = {}
        self.link_state: dict[str, bool] = {}
        self.script_trackers: dict[str, ScriptTracker] = {}
        self.file_trackers = FileTrackers(self.on_file)
        self.process_trackers = ProcessTrackers(self.on_process)  # track_process (issue 12)
        self.mails = VrrpMailer()  # smtp_alert (issue 12)
        self.status = StatusServer(socket_path(options.vrrp_pid_file), self.reports)
        self.runner = ScriptRunner()
        self.netlink: Netlink | None = None
        self.vmacs: VmacManager | None = None
        self.monitor: Monitor | None = None
        self.timer: DeadlineTimer | None = None
        self.stopping = False
        self._warned: set[str] = set()
        self._heap: list[tuple[Ticks, int, Unit]] = []  # (deadline, tie-break, unit), lazily pruned
        self._deadline_of: dict[Unit, Ticks | None] = {}
        self._seq = 0

    # ---- the three steps -----------------------------------------------------------------------

    def feed(self, name: str, event: Input) -> None:
        unit = self.unit_of.get(name)
        if unit is None:
            return
        unit.handle(name, event, clock.now())
        self.settle((unit,))

    def settle(self, units: Iterable[Unit] | None = None) -> None:
        """Run the queued actions of `units` (None: of every unit), then re-arm the timer.

        The hot paths (an advert, a timer) name the one unit they touched, so the cost of an
        event does not grow with the number of instances; rare paths (start, reload, stop)
        settle everything and rebuild the deadline heap."""
        targets = list(self.units.values()) if units is None else list(units)
        for _ in range(100):  # actions may queue more (a sync group reacting to a member)
            pending = [pair for unit in targets for pair in unit.pop_actions()]
            if not pending:
                break
            for owner, action in pending:
                self.perform(owner, action)
        if units is None:
            self._deadline_of.clear()
            self._heap.clear()
        for unit in targets:
            self._track(unit)
        self.rearm()

    def _track(self, unit: Unit) -> None:
        deadline = unit.next_deadline()
        if self._deadline_of.get(unit) == deadline:
            return
        self._deadline_of[unit] = deadline
        if deadline is not None:
            self._seq += 1
            heapq.heappush(self._heap, (deadline, self._seq, unit))

    def _current(self, deadline: Ticks, unit: Unit) -> bool:
        """False for a heap entry left behind by a re-armed or removed unit (lazy deletion)."""
        return self._deadline_of.get(unit) == deadline and self.units.get(unit.name) is unit

    def rearm(self) -> None:
        heap = self._heap
        while heap and not self._current(heap[0][0], heap[0][2]):
            heapq.heappop(heap)
        if self.timer is not None:
            self.timer.arm(heap[0][0] if heap else None)

    def on_timer(self) -> None:
        now = clock.now()
        due: list[Unit] = []
        while self._heap and self._heap[0][0] <= now:
            deadline, _, unit = heapq.heappop(self._heap)
            if self._current(deadline, unit) and unit not in due:
                self._deadline_of[unit] = None
                due.append(unit)
        for unit in due:
            unit.handle_timer(now)
        self.settle(due)

    # ---- actions ---------------------------------------------------------------------------------

    def perform(self, owner: str, action: Action) -> None:
        try:
            if isinstance(action, SendAdvert):
                self.send_advert(owner, action)
            elif isinstance(action, InstallVips):
                self.install_vips(owner, action)
            elif isinstance(action, RemoveVips):
                self.remove_vips(owner, action)
            elif isinstance(action, InstallRoutes):
                self.routes(owner, action.routes, action.rules, add=True)
            elif isinstance(action, RemoveRoutes):
                self.routes(owner, action.routes, action.rules, add=False)
            elif isinstance(action, SendGratuitous):
                self.send_gratuitous(owner, action)
            elif isinstance(action, RunNotify):
                self.notify(owner, action)
            elif isinstance(action, StateChanged):
                self.state_changed(action)
            elif isinstance(action, Log):
                log.log(_LOG_LEVELS.get(action.level, logging.INFO), "%s", action.text)
        except BackendError as err:
            log.error("(%s) %s failed: %s", owner, type(action).__name__, err)

    def send_advert(self, name: str, action: SendAdvert) -> None:
        plan = self.plans.get(name)
        if plan is None or not plan.has_source:
            return
        if name in self.handover and action.advert.priority == 0:
            return
        entry = self.sockets.get(plan.socket_key)
        if entry is None:
            return
        p = plan.params
        destinations = p.unicast_peers or (plan.group,)
        # One IP ID per advert, shared by its unicast copies, counted per instance (keepalived).
        ident = plan.send.next_ip_id() if isinstance(entry.sock, Vrrp4Socket) else 0
        for destination in destinations:
            try:
                if isinstance(entry.sock, Vrrp4Socket):
                    assert isinstance(p.primary_address, IPv4Address)
                    assert isinstance(destination, IPv4Address)
                    ah = None
                    if p.auth_type == AUTH_AH and action.ah_seq is not None:
                        ah = AhParams(key=pass_field(p.auth_key), seq=action.ah_seq, unicast=p.unicast)
                    ttl = plan.unicast_ttl if p.unicast and plan.unicast_ttl is not None else 255
                    packet = encode_ipv4_packet(
                        action.advert,
                        source=p.primary_address,
                        destination=destination,
                        ttl=ttl,
                        ident=ident,
                        ah=ah,
                        old_unicast_checksum=plan.old_unicast_checksum,
                        v3_checksum_as_v2=plan.v3_checksum_as_v2,
                    )
                    entry.sock.send(packet, destination)
                else:
                    assert isinstance(destination, IPv6Address)
                    payload = encode_advert(action.advert, source=p.primary_address, destination=destination)
                    entry.sock.send(payload, destination)
            except BackendError as err:
                self._warn_once(f"send:{name}", f"({name}) failed to send advert: {err}")

    def _vip_specs(self, plan: InstancePlan, addresses: Iterable[IPAddress]) -> list[AddressSpec]:
        wanted = set(addresses)
        return [s for s in (*plan.vips, *plan.evips) if s.address in wanted]

    def install_vips(self, name: str, action: InstallVips) -> None:
        plan = self.plans.get(name)
        if plan is None:
            return
        self.adopted.pop(name, None)
        if not action.accept:
            self._warn_once(
                f"accept:{name}", f"({name}) no_accept: dropping traffic to VIPs is not supported yet"
            )
        log.info("(%s) setting VIPs.", name)
        assert self.netlink is not None
        for spec in self._vip_specs(plan, (*action.addresses, *action.excluded)):
            self.netlink.add_address(spec)

    def remove_vips(self, name: str, action: RemoveVips) -> None:
        plan = self.plans.get(name)
        if plan is None:
            return
        if self.stopping and self.options.dont_release_vrrp:
            return
        successor = self.handover.get(name)
        keep = {(s.address, s.dev) for s in (*successor.vips, *successor.evips)} if successor else set()
        log.info("(%s) removing VIPs.", name)
        assert self.netlink is not None
        for spec in self._vip_specs(plan, (*action.addresses, *action.excluded)):
            if (spec.address, spec.dev) not in keep:
                self.netlink.delete_address(spec)

    def routes(self, name: str, routes: Iterable[object], rules: Iterable[object], *, add: bool) -> None:
        plan = self.plans.get(name)
        if plan is None or self.netlink is None:
            return
        if not add and self.stopping and self.options.dont_release_vrrp:
            return
        route_specs = [plan.routes[i] for i in routes if isinstance(i, int) and i < len(plan.routes)]
        rule_specs = [plan.rules[i] for i in rules if isinstance(i, int) and i < len(plan.rules)]
        successor = self.handover.get(name)
        if not add and successor is not None:
            route_specs = [r for r in route_specs if r not in successor.routes]
            rule_specs = [r for r in rule_specs if r not in successor.rules]
        if add:
            if route_specs:
                log.info("(%s) setting Virtual Routes", name)
            for route in route_specs:
                self.netlink.add_route(route)
            if rule_specs:
                log.info("(%s) setting Virtual Rules", name)
            for rule in rule_specs:
                self.netlink.add_rule(rule)
        else:
            if rule_specs:
                log.info("(%s) removing Virtual Rules", name)
            for rule in rule_specs:
                self.netlink.delete_rule(rule)
            if route_specs:
                log.info("(%s) removing Virtual Routes", name)
            for route in route_specs:
                self.netlink.delete_route(route)

    def _l2(self, ifname: str) -> L2Socket:
        sock = self.l2.get(ifname)
        if sock is None:
            sock = L2Socket.open(ifname)
            self.l2[ifname] = sock
        return sock

    def _mac(self, ifname: str) -> bytes:
        mac = self.macs.get(ifname)
        if mac is None:
            assert self.netlink is not None
            mac = self.netlink.link_mac(ifname)
            self.macs[ifname] = mac
        return mac

    def send_gratuitous(self, name: str, action: SendGratuitous) -> None:
        plan = self.plans.get(name)
        if plan is None:
            return
        by_dev: dict[str, list[IPAddress]] = {}
        for spec in self._vip_specs(plan, action.addresses):
            by_dev.setdefault(spec.dev, []).append(spec.address)
        for dev, addresses in by_dev.items():
            mac = self._mac(dev)
            for address in addresses:
                if isinstance(address, IPv4Address):
                    log.debug("(%s) Sending/queueing gratuitous ARPs on %s for %s", name, dev, address)
                    frame = gratuitous_arp(mac, address)
                    what = "gratuitous ARP"
                else:
                    log.debug(
                        "(%s) Sending/queueing Unsolicited Neighbour Adverts on %s for %s", name, dev, address
                    )
                    frame = unsolicited_na(mac, address, router=True)
                    what = "unsolicited Neighbour Advert"
                pacer = self._pacer(dev, na=not isinstance(address, IPv4Address))
                for _ in range(action.repeat):
                    log.debug("Sending %s on %s for %s", what, dev, address)
                    pacer.submit(frame)

    def _pacer(self, ifname: str, *, na: bool) -> Pacer:
        """The interface's GARP (or NA) pacer, with the interval the current config gives it."""
        interval = Ticks(0)
        if self.config is not None:
            g = self.config.global_defs
            interval = g.vrrp_gna_interval if na else g.vrrp_garp_interval
            for group in self.config.garp_groups:
                if ifname in group.interfaces:
                    chosen = group.gna_interval if na else group.garp_interval
                    if chosen is not None:
                        interval = chosen
        pacer = self.pacers.get((ifname, na))
        if pacer is None:
            loop = asyncio.get_running_loop()
            pacer = Pacer(loop, lambda frame: self._l2(ifname).send(frame), to_seconds(interval))
            self.pacers[(ifname, na)] = pacer
        pacer.interval = to_seconds(interval)
        return pacer

    def notify(self, owner: str, action: RunNotify) -> None:
        if owner in self.quiet:
            return
        state = action.state
        if owner in self.deleting and state == "STOP":
            state = "DELETED"
        if action.kind == "GROUP":
            scripts = self.group_notify.get(owner, NotifyScripts())
        else:
            plan = self.plans.get(owner)
            scripts = plan.notify if plan is not None else NotifyScripts()
        kind: NotifyKind = "GROUP" if action.kind == "GROUP" else "INSTANCE"
        for command in commands_for(
            scripts, kind=kind, name=action.name, state=state, priority=action.priority
        ):
            self.runner.spawn(command)
        if state == "DELETED" and not scripts.notify_deleted:
            state = "FAULT"
        line = f'{action.kind} "{action.name}" {state} {0 if action.kind == "GROUP" else action.priority}\n'
        for fifo in self.fifos:
            fifo.write(line)
        self.mails.transition(action.kind, action.name, state)  # smtp_alert (issue 12)

    def state_changed(self, action: StateChanged) -> None:
        self.last_transition[action.name] = time.time()
        if action.new == State.FAULT.value:
            self._drop_adopted(action.name)

    def _drop_adopted(self, name: str) -> None:
        adopted = self.adopted.pop(name, None)
        plan = self.plans.get(name)
        if not adopted or plan is None or self.netlink is None:
            return
        log.info("(%s) removing VIPs.", name)
        for spec in self._vip_specs(plan, adopted):
            self.netlink.delete_address(spec)

    def _warn_once(self, key: str, text: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            log.warning("%s", text)

    # ---- packets and link events ---------------------------------------------------------------

    def on_packet4(self, entry: SocketEntry, data: bytes) -> None:
        as_v2 = False
        packet: ReceivedPacket | None = None
        try:
            packet = decode_ipv4_packet(data)
        except DecodeError as err:
            # v3_checksum_as_v2 instances sum v3 like v2; try that form only when one shares the socket.
            if err.reason == "bad_checksum" and entry.v3_checksum_as_v2:
                with contextlib.suppress(DecodeError):
                    packet = decode_ipv4_packet(data, v3_checksum_as_v2=True)
                    as_v2 = True
            if packet is None:
                self.malformed(entry, err, peek_vrid(data))
                return
        self.dispatch(entry, packet, as_v2=as_v2)

    def on_packet6(
        self, entry: SocketEntry, data: bytes, source: IPv6Address, destination: IPv6Address, hops: int
    ) -> None:
        try:
            packet = decode_ipv6_payload(data, source=source, destination=destination, hop_limit=hops)
        except DecodeError as err:
            self.malformed(entry, err, peek_vrid(data, ipv6=True))
            return
        self.dispatch(entry, packet)

    def malformed(self, entry: SocketEntry, err: DecodeError, vrid: int | None) -> None:
        """Count a rejected packet on the instances of its VRID, as keepalived does; else only log."""
        names = entry.by_vrid.get(vrid, []) if vrid is not None else []
        for name in names:
            inst, unit = self.instances.get(name), self.unit_of.get(name)
            if inst is not None and unit is not None:
                inst.note_decode_error(err)
                self.settle((unit,))  # its log line
        if not names:
            log.debug("Dropped a malformed VRRP packet on %s: %s", entry.key[0], err)

    def dispatch(self, entry: SocketEntry, packet: ReceivedPacket, *, as_v2: bool = False) -> None:
        names = entry.by_vrid.get(packet.advert.vrid)
        if not names:
            if self.config is not None and self.config.global_defs.log_unknown_vrids:
                log.info(
                    "Unknown VRID(%d) received on interface(%s). ignoring...",
                    packet.advert.vrid,
                    entry.key[0],
                )
            return
        for name in names:
            plan = self.plans.get(name)
            verdict = ChecksumVerdict.ACCEPT
            if plan is not None:
                verdict = plan.checksum_verdict(packet, as_v2=as_v2)
            if verdict is ChecksumVerdict.REJECT:
                log.info("(%s) Invalid VRRPv3 checksum", name)
                if (inst := self.instances.get(name)) is not None:
                    inst.stats.bump("chk_err")
                continue
            if verdict is ChecksumVerdict.ADOPT:
                log.info("(%s) Setting unicast VRRPv3 checksum to old version", name)
            self.feed(name, AdvertReceived(packet=packet))
            inst = self.instances.get(name)
            if (
                name in self.adopted
                and inst is not None
                and inst.state is State.BACKUP
                and packet.advert.priority > 0
                and (packet.advert.priority >= inst.effective_priority or inst.params.nopreempt)
            ):
                # A restarted child kept the addresses it found; another router is master.
                self._drop_adopted(name)
                self.settle()

    def on_link(self, ifname: str, up: bool) -> None:
        self.macs.pop(ifname, None)
        known = self.link_state.get(ifname)
        self.link_state[ifname] = up
        if known is not None and known != up:
            log.info("Netlink reports %s %s", ifname, "up" if up else "down")
        for name, plan in list(self.plans.items()):
            watched = {plan.interface, plan.base_interface}
            if plan.dont_track_primary:
                watched = set()
            if ifname in watched:
                reason = f"interface {ifname} down"
                inst = self.instances.get(name)
                if not up and known is not False and inst is not None and inst.state is not State.FAULT:
                    log.info("(%s): entering FAULT state (interface %s down)", name, ifname)
                self.feed(name, FaultCleared(reason=reason) if up else FaultRaised(reason=reason))
            if ifname in plan.track_interfaces:
                self.feed(name, TrackerChanged(name=f"interface:{ifname}", ok=up))

    def on_address(self, ifname: str, address: IPAddress, added: bool) -> None:
        if self.options.address_monitoring:
            log.info("Netlink reports %s %s %s", ifname, "added" if added else "removed", address)
        if not added or self.config is None or self.stopping:
            return
        waiting = [
            name
            for name, plan in self.plans.items()
            if not plan.has_source
            and plan.base_interface == ifname
            and plan.family == address.version
            and (plan.family == 4 or address.is_link_local)
            and plan.sync_group is None
        ]
        if waiting:
            self.restart_with_source(waiting)

    def restart_with_source(self, names: list[str]) -> None:
        """An instance that started without a source address gets one: start it again, with it."""
        assert self.config is not None
        fresh = {
            p.name: p
            for p in translate(self.config, self.primary_address, self.bad_instance)
            if p.name in names
        }
        ready = [name for name, plan in fresh.items() if plan.has_source]
        if not ready:
            return
        self.quiet = set(ready)
        for name in ready:
            self.feed(name, Shutdown())
        self.settle()
        self.quiet = set()
        for name in ready:
            unit = self.unit_of.pop(name, None)
            self.instances.pop(name, None)
            if unit is not None:
                self.units.pop(unit.name, None)
            self.plans[name] = fresh[name]
            self.open_socket(fresh[name])
            log.info("(%s) source address %s found: leaving FAULT", name, fresh[name].params.primary_address)
        self.rebuild_socket_index()
        self.start_units(self.build_units(self.config, set(ready)))

    # ---- building and tearing down ------------------------------------------------------------

    def bad_instance(self, name: str, reason: str) -> None:
        self._warn_once(f"bad:{name}:{reason}", f"({name}) cannot run this instance, skipping it: {reason}")

    def primary_address(self, ifname: str, family: int) -> IPAddress | None:
        """The interface's own source address, never one of this daemon's VIPs.

        A respawned child finds its VIPs still set, and one may sort first; keepalived likewise
        ignores its own addresses when it picks an interface's address. None: only VIPs (or nothing).
        """
        assert self.netlink is not None
        ours = config_vips(self.config) if self.config is not None else frozenset[IPAddress]()
        try:
            if family == 4:
                return self.netlink.primary_ipv4(ifname, exclude=ours)
            entries = self.netlink.address_entries(ifname)
        except BackendError:
            return None
        return next(
            (
                e.address
                for e in entries
                if isinstance(e.address, IPv6Address) and e.address.is_link_local and e.address not in ours
            ),
            None,
        )

    def setup_vmac(self, plan: InstancePlan) -> None:
        vmac = plan.vmac
        if vmac is None or self.vmacs is None:
            return
        existed = vmac.name in self.vmacs.vmacs
        self.vmacs.create(
            parent=vmac.parent, vrid=plan.params.vrid, family=plan.family, name=vmac.name, mac=vmac.mac
        )
        if not existed:
            log.info("(%s): Success creating VMAC interface %s", plan.name, vmac.name)

    def open_socket(self, plan: InstancePlan) -> SocketEntry | None:
        entry = self.sockets.get(plan.socket_key)
        if entry is not None:
            return entry
        ifname, family, unicast, _, proto = plan.socket_key
        sock: Vrrp4Socket | Vrrp6Socket
        try:
            if family == 4:
                protocols = (AH_PROTO,) if proto == "ah" else (VRRP_PROTO,)
                assert isinstance(plan.group, IPv4Address)
                sock = Vrrp4Socket.open(ifname, group=plan.group, unicast=unicast, protocols=protocols)
            else:
                assert isinstance(plan.group, IPv6Address)
                source = plan.params.primary_address if plan.has_source else None
                assert source is None or isinstance(source, IPv6Address)
                sock = Vrrp6Socket.open(
                    ifname, source=source, group=plan.group, unicast=unicast, unicast_hops=plan.unicast_ttl
                )
        except BackendError as err:
            log.error("(%s) cannot open a VRRP socket on %s: %s", plan.name, ifname, err)
            return None
        entry = SocketEntry(key=plan.socket_key, sock=sock)
        if isinstance(sock, Vrrp4Socket):
            sock.set_receiver(lambda data: self.on_packet4(entry, data))
        else:
            sock.set_receiver(lambda data, s, d, h: self.on_packet6(entry, data, s, d, h))
        self.sockets[plan.socket_key] = entry
        kind = "unicast" if unicast else f"multicast, address({plan.group})"
        log.info(
            "VRRP sockpool: [ifindex(%3d), family(IPv%d), proto(%d), %s]",
            sock.ifindex,
            family,
            AH_PROTO if proto == "ah" else VRRP_PROTO,
            kind,
        )
        return entry

    def rebuild_socket_index(self) -> None:
        for entry in self.sockets.values():
            entry.by_vrid.clear()
            entry.v3_checksum_as_v2 = False
        for name, plan in self.plans.items():
            found = self.sockets.get(plan.socket_key)
            if found is not None:
                found.by_vrid.setdefault(plan.params.vrid, []).append(name)
                found.v3_checksum_as_v2 |= plan.v3_checksum_as_v2
        for key in [k for k, e in self.sockets.items() if not e.by_vrid]:
            self.sockets.pop(key).sock.close()

    def build_units(self, config: model.Config, names: set[str]) -> list[Unit]:
        """Create instances (and their sync groups) for `names`; members of one group come together."""
        made: list[Unit] = []
        grouped: set[str] = set()
        for sg in config.sync_groups:
            members = [m for m in sg.group if m in names and m in self.plans]
            if not members:
                continue
            insts = [VrrpInstance(self.plans[m].params) for m in members]
            group = SyncGroup(sg.name, insts) if len(insts) > 1 or sg.group else None
            unit = Unit(insts, group)
            for inst in insts:
                self.instances[inst.name] = inst
                self.unit_of[inst.name] = unit
            self.group_notify[sg.name] = _group_scripts(sg, config)
            self.units[unit.name] = unit
            grouped.update(members)
            made.append(unit)
        for name in names:
            if name in grouped or name not in self.plans:
                continue
            inst = VrrpInstance(self.plans[name].params)
            unit = Unit([inst])
            self.instances[name] = inst
            self.unit_of[name] = unit
            self.units[unit.name] = unit
            made.append(unit)
        return made

    def start_units(self, units: list[Unit]) -> None:
        """Initial faults, then Startup, for freshly built units."""
        assert self.netlink is not None
        for unit in units:
            for name in unit.members:
                plan = self.plans[name]
                if not plan.has_source:
                    what = "IPv4 address" if plan.family == 4 else "IPv6 link-local address"
                    log.info("(%s) entering FAULT state (no %s for interface)", name, what)
                    self.feed(name, FaultRaised(reason="no source address"))
                watched = () if plan.dont_track_primary else {plan.interface, plan.base_interface}
                for ifname in watched:
                    if not self._is_up(ifname):
                        self.feed(name, FaultRaised(reason=f"interface {ifname} down"))
                for ifname in plan.track_interfaces:
                    if not self._is_up(ifname):
                        self.feed(name, TrackerChanged(name=f"interface:{ifname}", ok=False))
        now = clock.now()
        for unit in units:
            for name in unit.members:
                unit.handle(name, Startup(), now)
        self.settle()

    def _is_up(self, ifname: str) -> bool:
        assert self.netlink is not None
        try:
            return self.netlink.link_is_up(ifname)
        except BackendError:
            return False

    def adopt(self, names: Iterable[str], *, respawned: bool) -> None:
        """Handle VIPs already present at start. A respawned child keeps its predecessor's (no
        flap); a fresh start removes them, as keepalived does, since they are left from a killed
        run and another router may hold them now."""
        assert self.netlink is not None
        present: dict[str, set[IPAddress]] = {}
        existing = self.netlink.interface_names()
        for name in names:
            plan = self.plans[name]
            if not respawned and plan.base_interface in existing:
                self._clear_stale_routes(plan)
            if not plan.vips:
                continue
            found: set[IPAddress] = set()
            for spec in plan.vips:
                if spec.dev not in present:
                    try:
                        present[spec.dev] = {a for a, _ in self.netlink.addresses(spec.dev)}
                    except BackendError:
                        present[spec.dev] = set()
                if spec.address in present[spec.dev]:
                    found.add(spec.address)
            if respawned and found == {s.address for s in plan.vips}:
                log.info("(%s) found its VIPs already set: keeping them", name)
                self.adopted[name] = found
            elif found or (not respawned and plan.vmac is None and plan.base_interface in existing):
                # keepalived clears the VIPs of an instance whose interface already existed at
                # start, and says so even when none was there.
                log.info("(%s) removing VIPs.", name)
                for spec in self._vip_specs(plan, found):
                    self.netlink.delete_address(spec)

    def _clear_stale_routes(self, plan: InstancePlan) -> None:
        """A fresh start removes virtual routes and rules a killed run may have left, as keepalived."""
        nl = self.netlink
        assert nl is not None
        if plan.routes:
            log.info("(%s) removing Virtual Routes", plan.name)
        for route in plan.routes:
            with contextlib.suppress(BackendError):
                nl.delete_route(route)
        if plan.rules:
            log.info("(%s) removing Virtual Rules", plan.name)
        for rule in plan.rules:
            with contextlib.suppress(BackendError):
                nl.delete_rule(rule)

    def resume_adopted(self) -> None:
        """A respawned child that found all its VIPs was master a moment ago: be master again now,
        before the backups' master-down timers expire, instead of after one of its own. A peer
        with a better claim answers the first advert and the instance steps back as usual."""
        for name in list(self.adopted):
            inst = self.instances.get(name)
            if inst is not None and inst.state is State.BACKUP and not inst.params.nopreempt:
                log.info("(%s) resuming MASTER with the VIPs it kept", name)
                self.feed(name, MasterDownFired())

    def open_fifos(self, config: model.Config) -> None:
        g = config.global_defs
        seen: set[str] = set()
        for value, script in (
            (g.notify_fifo, g.notify_fifo_script),
            (g.vrrp_notify_fifo, g.vrrp_notify_fifo_script),
        ):
            if not value or value[0] in seen:
                continue
            seen.add(value[0])
            fifo = NotifyFifo(value[0], script=script_command(script, g))
            if fifo.open(self.runner):
                self.fifos.append(fifo)

    def apply_static(self, config: model.Config) -> None:
        """static_ipaddress, static_routes, static_rules: each added on its own, a failure logged."""
        nl = self.netlink
        assert nl is not None
        steps: list[tuple[str, Callable[[], None]]] = []
        for spec in static_addresses(config):
            steps.append((f"static address {spec.address}", partial(nl.add_address, spec)))
        for route in static_routes(config):
            steps.append((f"static route {route.dst}", partial(nl.add_route, route)))
        for rule in static_rules(config):
            steps.append(("static rule", partial(nl.add_rule, rule)))
        for what, step in steps:
            try:
                step()
            except BackendError as err:
                log.error("%s: %s", what, err)

    def remove_static(self, config: model.Config) -> None:
        assert self.netlink is not None
        for rule in static_rules(config):
            with contextlib.suppress(BackendError):
                self.netlink.delete_rule(rule)
        for route in static_routes(config):
            with contextlib.suppress(BackendError):
                self.netlink.delete_route(route)
        for spec in static_addresses(config):
            with contextlib.suppress(BackendError):
                self.netlink.delete_address(spec)

    async def start(self, config: model.Config) -> None:
        self.config = config
        self.netlink = Netlink()
        self.vmacs = VmacManager(self.netlink)
        loop = asyncio.get_running_loop()
        self.timer = DeadlineTimer(loop, self.on_timer)
        log.info("Registering Kernel netlink reflector")
        log.info("Registering Kernel netlink command channel")
        log_notices(config)
        self.apply_static(config)
        self.open_fifos(config)
        mail_alerts.configure(self.mails, config)  # smtp_alert (issue 12): before the first transitions
        for vmac_plan in translate(config, self.primary_address, self.bad_instance):
            try:
                self.setup_vmac(vmac_plan)
            except (BackendError, LocalMisuse) as err:
                log.error("(%s) cannot create VMAC %s: %s", vmac_plan.name, vmac_plan.vmac, err)
        self.plans = {p.name: p for p in translate(config, self.primary_address, self.bad_instance)}
        log_assigned_addresses(self.plans.values(), self.primary_address)
        self.adopt(self.plans, respawned=os.environ.get(RESPAWN_ENV) == "1")
        for plan in self.plans.values():
            self.open_socket(plan)
        self.rebuild_socket_index()
        units = self.build_units(config, set(self.plans))
        self.monitor = Monitor(on_link=self.on_link, on_address=self.on_address, loop=loop)
        try:
            self.monitor.start()
        except BackendError as err:
            log.error("netlink monitor: %s", err)
        self.start_units(units)
        self.resume_adopted()
        self.start_trackers(config)
        try:
            await self.status.start()
        except OSError as err:
            log.error("status socket %s: %s", self.status.path, err)
        if self.options.dump_conf:
            for line in format_data(self.reports()).splitlines():
                log.info("%s", line)
        if any(plan.family == 4 for plan in self.plans.values()):
            log.info("Registering gratuitous ARP shared channel")
        log.info("Startup complete")

    def start_trackers(self, config: model.Config) -> None:
        """Run the vrrp_scripts some instance tracks; keep running ones whose definition is unchanged."""
        wanted = {
            t.name.removeprefix("script:")
            for plan in self.plans.values()
            for t in plan.params.trackers
            if t.name.startswith("script:")
        }
        for name, tracker in list(self.script_trackers.items()):
            new = config.script(name)
            if name not in wanted or new is None or new != tracker.script:
                tracker.stop()
                del self.script_trackers[name]
        for name in sorted(wanted - set(self.script_trackers)):
            script = config.script(name)
            if script is None:
                continue
            tracker = ScriptTracker(script, config.global_defs, self.runner, self.on_script)
            self.script_trackers[name] = tracker
            tracker.start()
        mail_alerts.configure(self.mails, config)  # smtp_alert settings (issue 12), at start and reload
        # track_files: an unchanged one keeps its watch; every tracking instance learns the value now.
        files = {t.name for plan in self.plans.values() for t in plan.params.trackers if t.file}
        self.file_trackers.update(f for f in config.track_files if f"file:{f.name}" in files)
        for name, value in self.file_trackers.values.items():
            self.on_file(name, value)
        # track_process (issue 12): tracked blocks follow kernel process events; instances learn the quorum.
        tracked = [t.name for pl in self.plans.values() for t in pl.params.trackers]
        procs = {n.removeprefix("process:") for n in tracked if n.startswith("process:")}
        self.process_trackers.update(p for p in config.track_processes if p.name in procs)
        for name, up in self.process_trackers.quorums.items():
            self.on_process(name, up)

    def on_script(self, script: str, ok: bool) -> None:
        self._tracker_changed(TrackerChanged(name=f"script:{script}", ok=ok))

    def on_file(self, track_file: str, value: int) -> None:
        self._tracker_changed(TrackerChanged(name=f"file:{track_file}", ok=value == 0, value=value))

    def on_process(self, process: str, up: bool) -> None:
        self._tracker_changed(TrackerChanged(name=f"process:{process}", ok=up))

    def _tracker_changed(self, event: TrackerChanged) -> None:
        """Hand a tracker's new state to every instance that tracks it."""
        for name, plan in list(self.plans.items()):
            if any(t.name == event.name for t in plan.params.trackers):
                self.feed(name, event)

    async def shutdown(self) -> None:
        self.stopping = True
        for tracker in self.script_trackers.values():
            tracker.stop()
        self.file_trackers.stop()
        self.process_trackers.stop()
        now = clock.now()
        for unit in list(self.units.values()):
            for name in unit.members:
                unit.handle(name, Shutdown(), now)
        self.settle()
        if self.timer is not None:
            self.timer.cancel()
        await self.runner.drain(STOP_SCRIPT_WAIT)
        self.mails.stop()  # keepalived exits without waiting for its mails either
        await self.status.close()
        self.close_resources()

    def close_resources(self) -> None:
        if self.monitor is not None:
            self.monitor.close()
        for entry in self.sockets.values():
            entry.sock.close()
        self.sockets.clear()
        for pacer in self.pacers.values():
            pacer.cancel()
        self.pacers.clear()
        for l2 in self.l2.values():
            l2.close()
        self.l2.clear()
        for fifo in self.fifos:
            fifo.close()
        if self.netlink is not None:
            if self.config is not None and not self.options.dont_release_vrrp:
                self.remove_static(self.config)
            if self.vmacs is not None:
                for name in self.vmacs.vmacs:
                    try:
                        self.vmacs.delete(name)
                    except BackendError as err:
                        log.error("Removing VMAC interface %s failed: %s", name, err)
                    else:
                        log.info("Success removing VMAC interface %s", name)
                self.vmacs = None
            self.netlink.close()
            self.netlink = None

    # ---- intents ------------------------------------------------------------------------------

    async def run(self) -> None:
        while True:
            intent = await self.intents.get()
            if intent is Intent.STOP:
                return
            await self.dispatch_intent(intent)

    async def dispatch_intent(self, intent: Intent) -> None:
        handler: Callable[[], None] = getattr(self, f"handle_{intent.value}")
        handler()

    def handle_reload(self) -> None:
        from alived.daemon.vrrp.reload import reload  # noqa: PLC0415

        reload(self)

    def reports(self) -> list[InstanceReport]:
        out: list[InstanceReport] = []
        for name, plan in self.plans.items():
            inst = self.instances.get(name)
            if inst is None:
                continue
            p = inst.params
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
                        f"{t}{' set' if inst.state is State.MASTER else ''}"
                        for t in plan.vip_texts[: len(plan.vips)]
                    ),
                    evips=tuple(
                        f"{t}{' set' if inst.state is State.MASTER else ''}"
                        for t in plan.vip_texts[len(plan.vips) :]
                    ),
                    vroutes=plan.route_texts,
                    vipset=inst.state is State.MASTER,
                    src_ip=str(p.primary_address) if plan.has_source else "",
                    mcast_addr="" if p.unicast else str(plan.group),
                    unicast_peers=tuple(str(a) for a in p.unicast_peers),
                    master_down_timer_us=inst.down_timer,
                    master_router=str(inst.master_address or ""),
                    master_priority=inst.master_priority,
                    last_transition=self.last_transition.get(name, 0.0),
                    scripts=_script_reports(plan.notify),
                    conf=dumps.config_view(
                        cfg, self.config, plan.base_interface, plan.vmac.name if plan.vmac else ""
                    )
                    if self.config is not None and (cfg := self.config.instance(name)) is not None
                    else dumps.ConfigView(),
                    stats=inst.stats.snapshot(),
                )
            )
        return out

    def _write(self, name: str, text: str) -> None:
        try:
            path = write_dump_file(name, text)
        except OSError as err:
            log.error("Unable to write %s: %s", name, err)
        else:
            log.debug("Wrote %s", path)

    def handle_data(self) -> None:
        g = self.config.global_defs if self.config is not None else model.GlobalDefs()
        self._write(
            "keepalived.data",
            format_data(
                self.reports(),
                dumps.global_lines(
                    g,
                    g.router_id or socket.gethostname(),
                    dumps.default_script_ids(g),
                ),
            ),
        )

    def handle_stats(self) -> None:
        self._write("keepalived.stats", format_stats(self.reports()))

    def handle_stats_clear(self) -> None:
        self.handle_stats()
        for inst in self.instances.values():
            inst.stats.clear()

    def handle_json(self) -> None:
        self._write("keepalived.json", format_json(self.reports()))

    def handle_child_exited(self) -> None:
        """Scripts are reaped by the runner; nothing to do here."""


def _group_scripts(sg: model.VrrpSyncGroup, config: model.Config) -> NotifyScripts:
    return notify_scripts(sg, config.global_defs)


def _ids(command: ScriptCommand) -> tuple[tuple[str, ...], int, int]:
    # No uid/gid: the script runs as this process.
    uid = os.geteuid() if command.uid is None else command.uid
    return command.argv, uid, os.getegid() if command.gid is None else command.gid


def _script_reports(scripts: NotifyScripts) -> tuple[dumps.ScriptReport, ...]:
    generic = None if scripts.generic is None else _ids(scripts.generic)
    return dumps.script_reports({k: _ids(v) for k, v in scripts.specific.items()}, generic)


async def _main(options: Options, config: model.Config) -> int:
    child = VrrpChild(options)
    loop = asyncio.get_running_loop()
    installed = signals.install(loop, child.intents, ignore_sigint=options.ignore_sigint)
    try:
        await child.start(config)
        await child.run()
        await child.shutdown()
    except BaseException:
        child.close_resources()
        with contextlib.suppress(Exception):
            await child.status.close()
        raise
    finally:
        signals.uninstall(loop, installed)
    return EXIT_OK


def run_vrrp_child(options: Options) -> int:
    """The VRRP child's entry point (`alived --_child vrrp ...`); returns its exit code."""
    if options.umask is not None:
        os.umask(options.umask)
    setup_logging(options, ident=IDENT_VRRP, child_suffix="vrrp")
    problem = path_problem(socket_path(options.vrrp_pid_file))
    if problem is not None:
        # Fatal, not respawned: without its socket the child would fail every liveness probe.
        log.error("%s", problem)
        return EXIT_FATAL
    pidfile = PidFile(options.vrrp_pid_file)
    try:
        pidfile.write()
    except OSError as err:
        log.error("Unable to write pid file %s: %s", options.vrrp_pid_file, err)
        return EXIT_FATAL
    try:
        result = load(options)
        if result is None:
            return EXIT_CONFIG
        return asyncio.run(_main(options, result))
    finally:
        pidfile.remove()
