"""The VRRP child's action runner: what the instances ask for, done on the kernel and the world.

Adverts onto the socket pool's sockets, VIPs, virtual routes and rules through netlink,
gratuitous ARPs and unsolicited NAs (through its Announcer, announcer.py), notify scripts, FIFO
lines and smtp_alert mails.
`perform` names every kind of core action, so a new one cannot be dropped silently. The runner
owns what only it uses (the announcer, FIFOs, adopted VIPs, the reload hand-over);
it reads the child's plans, config and netlink through the narrow `World` view.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from ipaddress import IPv4Address, IPv6Address
from typing import Protocol, assert_never, cast

from alived.config import model
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
from alived.core.vrrp.states import State
from alived.core.vrrp.wire import AUTH_AH, AhParams, IPAddress, encode_advert, encode_ipv4_packet
from alived.daemon.script_command import script_command
from alived.daemon.vrrp.announcer import Announcer
from alived.daemon.vrrp.sockets import SocketEntry
from alived.daemon.vrrp.translate import InstancePlan, SocketKey
from alived.errors import BackendError
from alived.linux.l2_socket import L2Socket
from alived.linux.netlink import Netlink
from alived.linux.scripts import ScriptRunner
from alived.linux.vrrp_socket import Vrrp4Socket, Vrrp6Socket
from alived.notify.fifo import NotifyFifo, fifo_line
from alived.notify.scripts import NotifyKind, NotifyScripts, commands_for
from alived.notify.smtp import VrrpMailer

log = logging.getLogger("alived.vrrp")

_LOG_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "notice": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}


class World(Protocol):
    """What the runner reads of the child; it never writes any of it."""

    @property
    def plans(self) -> dict[str, InstancePlan]: ...

    @property
    def config(self) -> model.Config | None: ...

    @property
    def netlink(self) -> Netlink | None: ...

    @property
    def sockets(self) -> Mapping[SocketKey, SocketEntry]: ...

    def releasing(self) -> bool:
        """False while stopping with dont_release_vrrp: addresses and routes stay."""
        ...


class ActionRunner:
    """Carries out core actions; owns the state only actions use."""

    def __init__(self, world: World, scripts: ScriptRunner, open_l2: Callable[[str], L2Socket]) -> None:
        self.world = world
        self.scripts = scripts
        self.announcer = Announcer(world, open_l2)  # GARPs, NAs and split-brain probes
        self.fifos: list[NotifyFifo] = []
        self.adopted: dict[str, set[IPAddress]] = {}
        self.group_notify: dict[str, NotifyScripts] = {}
        self.deleting: set[str] = set()
        self.handover: dict[str, InstancePlan] = {}  # reload: restarted masters and their new plans
        self.quiet: set[str] = set()  # reload: instances whose notifies are suppressed
        self.silent: set[str] = set()  # reload: instances carried over, whose stop does nothing
        self.last_transition: dict[str, float] = {}
        self.last_change: dict[str, tuple[str, str]] = {}  # instance -> (state left, reason)
        self.mails = VrrpMailer()  # smtp_alert (issue 12)
        self._warned: set[str] = set()

    # Per instance, frames handed to the interfaces' paced senders (status and metrics).
    @property
    def garps_sent(self) -> Counter[str]:
        return self.announcer.garps_sent

    @property
    def nas_sent(self) -> Counter[str]:
        return self.announcer.nas_sent

    # ---- the reload hand-over ------------------------------------------------------------------

    def begin_handover(
        self,
        quiet: set[str],
        deleted: set[str],
        handover: dict[str, InstancePlan],
        silent: set[str] | None = None,
    ) -> None:
        self.deleting = set(deleted)
        self.handover = dict(handover)
        self.quiet = set(quiet)
        self.silent = set(silent or ())

    def deletions_done(self) -> None:
        self.deleting = set()

    def end_handover(self) -> None:
        self.handover, self.quiet, self.deleting, self.silent = {}, set(), set(), set()

    # ---- FIFOs ---------------------------------------------------------------------------------

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
            if fifo.open(self.scripts):
                self.fifos.append(fifo)

    def reopen_fifos(self, config: model.Config) -> None:
        """keepalived restarts the FIFO scripts on reload (SIGTERM, then start again)."""
        for fifo in self.fifos:
            fifo.close()
        self.fifos = []
        self.open_fifos(config)

    def write_fifos(self, kind: str, name: str, state: str, priority: int) -> None:
        line = fifo_line(kind, name, state, priority)
        for fifo in self.fifos:
            fifo.write(line)

    def close(self) -> None:
        self.announcer.close()
        for fifo in self.fifos:
            fifo.close()

    # ---- actions -------------------------------------------------------------------------------

    def perform(self, owner: str, action: Action) -> None:
        """Carry out one action; every kind is named, so mypy fails when a new one is unhandled."""
        if owner in self.silent and not isinstance(action, StateChanged):
            return  # a reload carries this instance over: its stop does nothing outside
        try:
            match action:
                case SendAdvert():
                    self.send_advert(owner, action)
                case InstallVips():
                    self.install_vips(owner, action)
                case RemoveVips():
                    self.remove_vips(owner, action)
                case InstallRoutes():
                    self.routes(owner, action.routes, action.rules, add=True)
                case RemoveRoutes():
                    self.routes(owner, action.routes, action.rules, add=False)
                case SendGratuitous():
                    self.announcer.send_gratuitous(owner, action)
                case RunNotify():
                    self.notify(owner, action)
                case StateChanged():
                    self.state_changed(action)
                case Log():
                    log.log(_LOG_LEVELS.get(action.level, logging.INFO), "%s", action.text)
                case _:
                    assert_never(action)
        except BackendError as err:
            log.error("(%s) %s failed: %s", owner, type(action).__name__, err)

    def send_advert(self, name: str, action: SendAdvert) -> None:
        plan = self.world.plans.get(name)
        if plan is None or not plan.has_source:
            return
        if name in self.handover and action.advert.priority == 0:
            return
        entry = self.world.sockets.get(plan.socket_key)
        if entry is None:
            return
        p = plan.params
        destinations = p.unicast_peers or (plan.group,)
        # One IP ID per advert, shared by its unicast copies, counted per instance (keepalived).
        ident = plan.send.next_ip_id() if entry.family == 4 else 0
        for destination in destinations:
            try:
                if entry.family == 4:
                    sock4 = cast(Vrrp4Socket, entry.sock)
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
                    sock4.send(packet, destination)
                else:
                    assert isinstance(destination, IPv6Address)
                    payload = encode_advert(action.advert, source=p.primary_address, destination=destination)
                    cast(Vrrp6Socket, entry.sock).send(payload, destination)
            except BackendError as err:
                self.warn_once(f"send:{name}", f"({name}) failed to send advert: {err}")

    def install_vips(self, name: str, action: InstallVips) -> None:
        plan = self.world.plans.get(name)
        if plan is None:
            return
        self.adopted.pop(name, None)
        if not action.accept:
            self.warn_once(
                f"accept:{name}", f"({name}) no_accept: dropping traffic to VIPs is not supported yet"
            )
        # keepalived names each non-empty list (vrrp_handle_ipaddress)
        if action.addresses:
            log.info("(%s) setting VIPs.", name)
        if action.excluded:
            log.info("(%s) setting E-VIPs.", name)
        assert self.world.netlink is not None
        for spec in plan.vip_specs((*action.addresses, *action.excluded)):
            self.world.netlink.add_address(spec)

    def remove_vips(self, name: str, action: RemoveVips) -> None:
        plan = self.world.plans.get(name)
        if plan is None:
            return
        if not self.world.releasing():
            return
        successor = self.handover.get(name)
        keep = {(s.address, s.dev) for s in (*successor.vips, *successor.evips)} if successor else set()
        if action.addresses:
            log.info("(%s) removing VIPs.", name)
        if action.excluded:
            log.info("(%s) removing E-VIPs.", name)
        assert self.world.netlink is not None
        for spec in plan.vip_specs((*action.addresses, *action.excluded)):
            if (spec.address, spec.dev) not in keep:
                self.world.netlink.delete_address(spec)

    def routes(self, name: str, routes: Iterable[object], rules: Iterable[object], *, add: bool) -> None:
        plan = self.world.plans.get(name)
        if plan is None or self.world.netlink is None:
            return
        if not add and not self.world.releasing():
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
                self.world.netlink.add_route(route)
            if rule_specs:
                log.info("(%s) setting Virtual Rules", name)
            for rule in rule_specs:
                self.world.netlink.add_rule(rule)
        else:
            if rule_specs:
                log.info("(%s) removing Virtual Rules", name)
            for rule in rule_specs:
                self.world.netlink.delete_rule(rule)
            if route_specs:
                log.info("(%s) removing Virtual Routes", name)
            for route in route_specs:
                self.world.netlink.delete_route(route)

    def notify(self, owner: str, action: RunNotify) -> None:
        if owner in self.quiet:
            return
        state = action.state
        if owner in self.deleting and state == "STOP":
            state = "DELETED"
        if action.kind == "GROUP":
            scripts = self.group_notify.get(owner, NotifyScripts())
        else:
            plan = self.world.plans.get(owner)
            scripts = plan.notify if plan is not None else NotifyScripts()
        kind: NotifyKind = "GROUP" if action.kind == "GROUP" else "INSTANCE"
        for command in commands_for(
            scripts, kind=kind, name=action.name, state=state, priority=action.priority
        ):
            self.scripts.spawn(command)
        if state == "DELETED" and not scripts.notify_deleted:
            state = "FAULT"
        self.write_fifos(action.kind, action.name, state, action.priority)
        self.mails.transition(action.kind, action.name, state)  # smtp_alert (issue 12)

    def state_changed(self, action: StateChanged) -> None:
        self.last_transition[action.name] = time.time()
        self.last_change[action.name] = (action.old, action.reason)
        if action.new == State.FAULT.value:
            self.drop_adopted(action.name)

    def drop_adopted(self, name: str) -> None:
        adopted = self.adopted.pop(name, None)
        plan = self.world.plans.get(name)
        if not adopted or plan is None or self.world.netlink is None:
            return
        log.info("(%s) removing VIPs.", name)
        for spec in plan.vip_specs(adopted):
            self.world.netlink.delete_address(spec)

    def warn_once(self, key: str, text: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            log.warning("%s", text)
