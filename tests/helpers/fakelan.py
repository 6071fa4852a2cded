"""FakeClock, Scheduler and FakeLan: real VrrpInstance objects on an in-memory LAN with virtual time.

Each router runs its instances (and sync groups) in the VRRP child's own Driver
(daemon/vrrp/driver.py): feed an input, run the actions, re-arm one timer at the earliest
deadline; only the timer (the scheduler) and the actions' effects are the simulator's. A
SendAdvert becomes a ReceivedPacket delivered to every instance with the same VRID on the other
reachable routers, after a latency, subject to loss, duplication and partitions. Crash (silent),
restart, graceful stop, tracker and priority changes are methods. Nothing sleeps: run_for()
advances the virtual clock event by event.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Any

from alived.core.vrrp.actions import Action, InstallVips, RemoveVips, RunNotify, SendAdvert, StateChanged
from alived.core.vrrp.auth import pass_field
from alived.core.vrrp.inputs import AdvertReceived, Input, Shutdown, Startup
from alived.core.vrrp.instance import VrrpInstance
from alived.core.vrrp.params import InstanceParams
from alived.core.vrrp.states import State
from alived.core.vrrp.sync_group import SyncGroup
from alived.core.vrrp.wire import (
    VRRP_GROUP4,
    VRRP_GROUP6,
    VRRP_TTL,
    Advert,
    AhHeader,
    AhParams,
    IPAddress,
    ReceivedPacket,
    decode_ipv4_packet,
    decode_ipv6_payload,
    encode_advert,
    encode_ipv4_packet,
)
from alived.daemon.vrrp.driver import Driver, Unit
from alived.units import MICROSECOND, SECOND, Ticks, to_centiseconds

_LATENCY = Ticks(200)
_NO_JITTER = Ticks(0)


class FakeClock:
    """Virtual time in Ticks; only the scheduler moves it forward."""

    def __init__(self, start: Ticks = SECOND) -> None:
        self.now = start

    def advance_to(self, when: Ticks) -> None:
        if when < self.now:
            raise ValueError("time does not run backwards")
        self.now = when


class Scheduler:
    """A heap of (time, seq, callback); ties run in the order they were scheduled."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self._heap: list[tuple[int, int, Callable[[], None]]] = []
        self._seq = 0
        self.steps = 0

    def call_at(self, when: Ticks, callback: Callable[[], None]) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (max(when, self.clock.now), self._seq, callback))

    def run_until(self, until: Ticks) -> None:
        while self._heap and self._heap[0][0] <= until:
            when, _, callback = heapq.heappop(self._heap)
            self.clock.advance_to(Ticks(when))
            self.steps += 1
            callback()
        self.clock.advance_to(until)


@dataclass(slots=True)
class Transition:
    time: Ticks
    router: str
    instance: str
    old: str
    new: str
    reason: str


@dataclass(slots=True)
class Router:
    """One host: its driver (instances and sync groups), what it holds, and what it did."""

    name: str
    params: tuple[InstanceParams, ...]
    sync_groups: Mapping[str, Sequence[str]]
    segment: str = "lan"
    alive: bool = False
    incarnation: int = 0
    driver: Driver | None = None
    vips: dict[str, bool] = field(default_factory=dict)
    armed: Ticks | None = None  # the deadline the router's one timer is set for
    trace: list[tuple[Ticks, str, Action]] = field(default_factory=list)

    def build(
        self,
        perform: Callable[[str, Action], None],
        now: Callable[[], Ticks],
        arm: Callable[[Ticks | None], None],
    ) -> Driver:
        """A fresh driver with fresh instances, sync groups first as the child builds them."""
        self.driver = Driver(perform, now, arm)
        instances = {p.name: VrrpInstance(p) for p in self.params}
        for name, members in self.sync_groups.items():
            insts = [instances[m] for m in members]
            self.driver.add(Unit(insts, SyncGroup(name, insts)))
        grouped = {m for members in self.sync_groups.values() for m in members}
        for inst_name, inst in instances.items():
            if inst_name not in grouped:
                self.driver.add(Unit([inst]))
        self.vips = {p.name: False for p in self.params}
        self.armed = None
        return self.driver

    @property
    def instances(self) -> dict[str, VrrpInstance]:
        return self.driver.instances if self.driver is not None else {}

    def state(self, instance: str) -> State:
        return self.instances[instance].state


class FakeLan:
    """An Ethernet segment (or several, when partitioned) of routers running VRRP."""

    def __init__(
        self,
        *,
        seed: int = 0,
        latency: Ticks = _LATENCY,
        jitter: Ticks = _NO_JITTER,
        loss: float = 0.0,
        duplicate: float = 0.0,
        wire: bool = False,
    ) -> None:
        self.wire = wire
        self.clock = FakeClock()
        self.scheduler = Scheduler(self.clock)
        self.random = random.Random(seed)
        self.latency = latency
        self.jitter = jitter
        self.loss = loss
        self.duplicate = duplicate
        self.routers: dict[str, Router] = {}
        self.transitions: list[Transition] = []
        self.notifies: list[tuple[Ticks, str, RunNotify]] = []
        self.sent: list[tuple[Ticks, str, str, Advert]] = []
        self.delivered = 0
        self.on_action: Callable[[Router, str, Action], None] | None = None
        self.drop_filter: Callable[[Router, Router, Advert], bool] | None = None

    @property
    def now(self) -> Ticks:
        return self.clock.now

    # ---- topology -------------------------------------------------------------------------

    def add_router(
        self,
        name: str,
        params: Iterable[InstanceParams],
        *,
        sync_groups: Mapping[str, Sequence[str]] | None = None,
        start: bool = True,
    ) -> Router:
        router = Router(name=name, params=tuple(params), sync_groups=dict(sync_groups or {}))
        self.routers[name] = router
        if start:
            self.start(name)
        return router

    def start(self, name: str) -> None:
        """Boot the router: fresh instances, Startup to each (through its group)."""
        router = self.routers[name]
        router.incarnation += 1
        router.alive = True
        router.build(partial(self._perform, router), lambda: self.clock.now, partial(self._arm, router))
        for params in router.params:
            self.feed(name, params.name, Startup())

    def crash(self, name: str) -> None:
        """The host vanishes silently: no priority 0, its addresses die with it."""
        router = self.routers[name]
        router.alive = False
        router.incarnation += 1
        router.vips = dict.fromkeys(router.vips, False)

    def restart(self, name: str) -> None:
        if self.routers[name].alive:
            self.crash(name)
        self.start(name)

    def stop(self, name: str) -> None:
        """Graceful stop (SIGTERM): Shutdown to every instance, then the host leaves."""
        router = self.routers[name]
        for params in router.params:
            self.feed(name, params.name, Shutdown())
        router.alive = False
        router.incarnation += 1

    def partition(self, *sides: Iterable[str]) -> None:
        """Put each listed set of routers on its own segment (unlisted ones stay on "lan")."""
        for index, side in enumerate(sides):
            for name in side:
                self.routers[name].segment = f"side{index}"

    def heal(self) -> None:
        for router in self.routers.values():
            router.segment = "lan"

    # ---- running --------------------------------------------------------------------------

    def run_for(self, duration: Ticks) -> None:
        self.scheduler.run_until(Ticks(self.now + duration))

    def run_until(self, when: Ticks) -> None:
        self.scheduler.run_until(when)

    def feed(self, router_name: str, instance: str, event: Input) -> None:
        """Deliver one input to an instance through the router's driver (actions run, timer re-armed)."""
        router = self.routers[router_name]
        if not router.alive:
            return
        assert router.driver is not None
        router.driver.feed(instance, event)

    def inject(self, router_name: str, instance: str, packet: ReceivedPacket) -> None:
        """Deliver a crafted packet now (for validation tests)."""
        self.feed(router_name, instance, AdvertReceived(packet=packet))

    def _perform(self, router: Router, owner: str, action: Action) -> None:
        """The router's action runner: what an action does on the simulated LAN."""
        router.trace.append((self.now, owner, action))
        if self.on_action is not None:
            self.on_action(router, owner, action)
        if isinstance(action, SendAdvert):
            self._transmit(router, router.instances[owner], action)
        elif isinstance(action, InstallVips):
            router.vips[owner] = True
        elif isinstance(action, RemoveVips):
            router.vips[owner] = False
        elif isinstance(action, StateChanged):
            self.transitions.append(
                Transition(self.now, router.name, owner, action.old, action.new, action.reason)
            )
        elif isinstance(action, RunNotify):
            self.notifies.append((self.now, router.name, action))

    def _arm(self, router: Router, deadline: Ticks | None) -> None:
        """The router's one deadline timer, as the scheduler's event; a stale event does nothing."""
        if deadline == router.armed:
            return
        router.armed = deadline
        if deadline is not None:
            self.scheduler.call_at(deadline, partial(self._fire, router, deadline, router.incarnation))

    def _fire(self, router: Router, deadline: Ticks, incarnation: int) -> None:
        if not router.alive or router.incarnation != incarnation or router.armed != deadline:
            return
        router.armed = None
        assert router.driver is not None
        router.driver.on_timer()

    def _transmit(self, sender: Router, inst: VrrpInstance, send: SendAdvert) -> None:
        advert = send.advert
        self.sent.append((self.now, sender.name, inst.name, advert))
        for receiver in self.routers.values():
            if receiver is sender or not receiver.alive or receiver.segment != sender.segment:
                continue
            for target in receiver.instances.values():
                tp = target.params
                if tp.vrid != advert.vrid or tp.family != inst.params.family:
                    continue
                if inst.params.unicast_peers:
                    if tp.primary_address not in inst.params.unicast_peers:
                        continue
                    destination = tp.primary_address
                else:
                    destination = VRRP_GROUP4 if tp.family == 4 else VRRP_GROUP6
                if self.drop_filter is not None and self.drop_filter(sender, receiver, advert):
                    continue
                packet = self._packet(inst.params, send, destination)
                copies = 1 + (self.random.random() < self.duplicate) if self.duplicate else 1
                for _ in range(copies):
                    if self.loss and self.random.random() < self.loss:
                        continue
                    delay = self.latency + (self.random.randrange(self.jitter + 1) if self.jitter else 0)
                    self.scheduler.call_at(
                        Ticks(self.now + max(delay, MICROSECOND)),
                        partial(self._deliver, receiver, target.name, packet, receiver.incarnation, sender),
                    )

    def _packet(self, params: InstanceParams, send: SendAdvert, destination: IPAddress) -> ReceivedPacket:
        """The packet as received: built directly, or (wire=True) encoded to bytes and decoded again."""
        source = params.primary_address
        if not self.wire:
            return ReceivedPacket(source=source, destination=destination, ttl=VRRP_TTL, advert=send.advert)
        if isinstance(source, IPv4Address) and isinstance(destination, IPv4Address):
            ah = None
            if send.ah_seq is not None:
                ah = AhParams(key=pass_field(params.auth_key), seq=send.ah_seq, unicast=params.unicast)
            ident = (send.ah_seq or 0) & 0xFFFF or 1  # keepalived counts IP IDs from 1
            raw = encode_ipv4_packet(send.advert, source=source, destination=destination, ident=ident, ah=ah)
            return decode_ipv4_packet(raw)
        assert isinstance(source, IPv6Address) and isinstance(destination, IPv6Address)
        raw = encode_advert(send.advert, source=source, destination=destination)
        return decode_ipv6_payload(raw, source=source, destination=destination, hop_limit=VRRP_TTL)

    def _deliver(
        self, receiver: Router, instance: str, packet: ReceivedPacket, incarnation: int, sender: Router
    ) -> None:
        if not receiver.alive or receiver.incarnation != incarnation or receiver.segment != sender.segment:
            return
        self.delivered += 1
        self.feed(receiver.name, instance, AdvertReceived(packet=packet))

    # ---- observations ---------------------------------------------------------------------

    def states(self, instance: str) -> dict[str, State]:
        """State of `instance` on every live router that has it."""
        return {
            r.name: r.instances[instance].state
            for r in self.routers.values()
            if r.alive and instance in r.instances
        }

    def masters(self, instance: str) -> list[str]:
        return sorted(name for name, state in self.states(instance).items() if state is State.MASTER)

    def first_transition(self, *, to: str, after: Ticks, instance: str | None = None) -> Transition | None:
        for t in self.transitions:
            if t.time >= after and t.new == to and (instance is None or t.instance == instance):
                return t
        return None

    def check_vip_invariant(self) -> None:
        """A MASTER holds its VIPs and a non-MASTER does not (judged from the actions alone)."""
        for router in self.routers.values():
            if not router.alive:
                continue
            for name, inst in router.instances.items():
                holds = router.vips[name]
                assert holds == (inst.state is State.MASTER), (
                    f"{router.name}/{name} state {inst.state.value} holds_vips={holds} at {self.now}"
                )


# ---- builders shared by the VRRP unit, sim and property tests -----------------------------------

VIP = IPv4Address("192.0.2.100")


def make_params(
    name: str = "VI_1",
    *,
    address: str = "192.0.2.1",
    priority: int = 100,
    vrid: int = 51,
    version: int = 2,
    advert_int: Ticks = SECOND,
    addresses: tuple[IPAddress, ...] | None = None,
    **overrides: Any,
) -> InstanceParams:
    """InstanceParams for tests: one IPv4 VIP from 192.0.2.0/24 unless told otherwise."""
    primary = ip_address(address)
    if addresses is None:
        addresses = (VIP,) if primary.version == 4 else (IPv6Address("2001:db8::100"),)
    return InstanceParams(
        name=name,
        vrid=vrid,
        version=version,
        priority=priority,
        advert_int=advert_int,
        primary_address=primary,
        addresses=addresses,
        **overrides,
    )


def advert_from(params: InstanceParams, *, priority: int | None = None, **changes: Any) -> Advert:
    """The advert an instance with these params would send (optionally altered)."""
    interval = params.advert_int // SECOND if params.version == 2 else to_centiseconds(params.advert_int)
    fields: dict[str, Any] = {
        "version": params.version,
        "vrid": params.vrid,
        "priority": params.priority if priority is None else priority,
        "adver_int": interval,
        "addresses": params.addresses,
        "auth_type": params.auth_type if params.version == 2 else 0,
        "auth_data": (params.auth_key[:8].ljust(8, b"\0") if params.auth_type == 1 else bytes(8))
        if params.version == 2
        else b"",
    }
    fields.update(changes)
    return Advert(**fields)


def packet_from(
    source: str,
    advert: Advert,
    *,
    ttl: int = VRRP_TTL,
    destination: IPAddress | None = None,
    ah: AhHeader | None = None,
) -> ReceivedPacket:
    src = ip_address(source)
    if destination is None:
        destination = VRRP_GROUP4 if src.version == 4 else VRRP_GROUP6
    return ReceivedPacket(source=src, destination=destination, ttl=ttl, advert=advert, ah=ah)
