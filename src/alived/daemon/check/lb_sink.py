"""The LbSink that drives a real load-balancer backend (nftables or IPVS) from the checker child.

The checker core says, per virtual server name, which destinations are in the pool and at which
weight. This sink maps each name to its configured services (daemon/lb_params.py: a group
expands to several), builds the core/lb `VirtualService` each must be, plans against the
backend's state and applies the operations. The backend's state is read once when the sink is
configured the first time: a restarted checker child adopts the rules in place (no flush, so no
traffic gap) and only removes services it no longer has in its configuration. After that the
sink tracks the state itself and re-reads it only when the backend refused something.

A backend error never escapes: it is logged with the operation and the next change plans again.

For lb_kind DR the nftables backend needs the director's links (the real servers' link and the
clients' ingress links): they are derived here from the configuration and the routing table
(dr_links.py) when the backend is built, and again on each reload; a reload that changes them
builds the backend afresh, which adopts the rules in place.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import operator
from collections.abc import Callable, Iterable, Sequence

from alived.config import model
from alived.core.check.desired import DesiredVirtualServer, Destination
from alived.core.lb.model import (
    LbState,
    RealServer,
    RealServerParams,
    ServiceKey,
    ServiceParams,
    VirtualService,
    service_with,
)
from alived.core.lb.plan import Op, describe, plan, splice
from alived.daemon.check.dr_links import NO_LINKS, DrLinks, kernel_links
from alived.daemon.check.params import vs_name
from alived.daemon.lb_params import BackendChoice, MethodCache, choose_backend, vs_service_params
from alived.lb.base import Counters, LbBackend

log = logging.getLogger("alived.check.lb")


def params_by_name(config: model.Config) -> dict[str, list[ServiceParams]]:
    """Each virtual server's checker-side name -> the services it stands for in the kernel."""
    methods: MethodCache = {}
    return {vs_name(vs): vs_service_params(vs, config, methods) for vs in config.virtual_servers}


def _by_address(params: ServiceParams) -> dict[str, list[RealServerParams]]:
    index: dict[str, list[RealServerParams]] = {}
    for rs in params.real_servers:
        index.setdefault(rs.address, []).append(rs)
    return index


def _find(
    params: ServiceParams, dest: Destination, index: dict[str, list[RealServerParams]]
) -> RealServerParams | None:
    candidates: Iterable[RealServerParams]
    address = str(dest.address)
    if dest.sorry:
        sorry = params.sorry_server
        candidates = () if sorry is None else (sorry,)
        same_address = [rs for rs in candidates if rs.address == address]
    else:
        # Indexed by address: a scan per destination made a 5,000-server pool cost 0.4 s a change.
        same_address = index.get(address, [])
    for rs in same_address:
        if dest.port is None or rs.port == dest.port:
            return rs
    # A port the checker side left implicit (NAT without a port, DR/TUN, fwmark): by address.
    return same_address[0] if len(same_address) == 1 else None


def desired_service(
    params: ServiceParams,
    desired: DesiredVirtualServer,
    previous: VirtualService | None = None,
    made: dict[int, tuple[Destination, RealServer]] | None = None,
) -> VirtualService:
    """The kernel service `params` must be for the destinations the checker core chose.

    `previous`: the service as it stands; its real servers that stay as they are are carried
    over as the same objects (and an unchanged service is `previous` itself), so the planner
    and the backend look only at the ones that changed. `made`, if given, is filled with the
    RealServer each Destination object became (by id), unless two name one real server."""
    dests: dict[tuple[str, int], RealServer] = {}
    index = _by_address(params)
    kept = {rs.key: rs for rs in previous.real_servers} if previous is not None else {}
    pairs: dict[int, tuple[Destination, RealServer]] = {}
    twice = False
    for dest in desired.destinations:
        rs = _find(params, dest, index)
        if rs is None:
            log.warning("LB: %s has no configured destination [%s]:%s", params.key, dest.address, dest.port)
            continue
        if rs.key in dests:
            twice = True  # two destinations, one real server: the first counts
            continue
        real = rs.at_weight(dest.weight)
        same = kept.get(rs.key)
        if same is not None and same == real and same.tunnel == real.tunnel:
            real = same
        dests[rs.key] = real
        pairs[id(dest)] = (dest, real)
    if made is not None:
        made.clear()
        if not twice:
            made.update(pairs)
    service = service_with(params, dests)
    if (
        previous is not None
        and service.attributes == previous.attributes
        and len(service.real_servers) == len(previous.real_servers)
        and all(map(operator.is_, service.real_servers, previous.real_servers))
    ):
        return previous  # unchanged: the planner skips it by identity
    return service


class _Builder:
    """One service's desired state, rebuilt from the last one when its pool changes.

    The checker core hands out the same Destination object for a real server whose weight
    did not change. The RealServer made for each Destination is kept by the object's id (the
    object held here, so the id cannot be reused), so a change of one real server in 10,000
    maps one Destination and splices its RealServer into the last service by bisection, with
    C-level passes over the rest instead of mapping and sorting the whole pool."""

    def __init__(self, params: ServiceParams) -> None:
        self.params = params
        self.index = _by_address(params)
        self.service: VirtualService | None = None
        self.made: dict[int, tuple[Destination, RealServer]] = {}

    def build(self, desired: DesiredVirtualServer, previous: VirtualService | None) -> VirtualService:
        service = self._spliced(desired) if self.service is not None else None
        if service is None:
            base = self.service if self.service is not None else previous
            service = desired_service(self.params, desired, base, self.made)
        self.service = service
        return service

    def _spliced(self, desired: DesiredVirtualServer) -> VirtualService | None:
        """The last service with only the destinations that are new objects mapped again;
        None where that cannot be told apart from a full mapping (duplicates, unknowns)."""
        last = self.service
        assert last is not None
        dests = desired.destinations
        ids = list(map(id, dests))
        came = list(itertools.compress(dests, map(operator.not_, map(self.made.get, ids))))
        present = set(ids)
        gone = self.made.keys() - present if came or len(self.made) != len(present) else set()
        if not came and not gone:
            return last
        if len(came) + len(gone) > len(dests) // 4 + 8:
            return None  # most of the pool changed: the full mapping is as cheap
        overlay: dict[tuple[str, int], RealServer | None] = {}
        for dest_id in gone:
            overlay[self.made[dest_id][1].key] = None
        made: dict[int, tuple[Destination, RealServer]] = {}
        for dest in came:
            rs = _find(self.params, dest, self.index)
            if rs is None or overlay.get(rs.key) is not None:
                return None
            if rs.key not in overlay and last.real_server(rs.key) is not None:
                return None  # a second destination for a real server already in the pool
            real = rs.at_weight(dest.weight)
            same = last.real_server(rs.key)
            if same is not None and same == real and same.tunnel == real.tunnel:
                real = same
            overlay[rs.key] = real
            made[id(dest)] = (dest, real)
        for dest_id in gone:  # only now: a None above leaves the map as it was
            del self.made[dest_id]
        self.made.update(made)
        return dataclasses.replace(last, real_servers=splice(last.real_servers, overlay))


class BackendLbSink:
    """LbSink on an LbBackend: desired state per name -> planned, applied operations."""

    def __init__(
        self,
        backend: LbBackend,
        *,
        links: DrLinks = NO_LINKS,
        rebuild: Callable[[model.Config, list[ServiceParams]], tuple[LbBackend, DrLinks] | None]
        | None = None,
    ) -> None:
        self.backend = backend
        self.links = links
        self._rebuild = rebuild
        self._params: dict[str, list[ServiceParams]] = {}
        self._last: dict[str, DesiredVirtualServer] = {}
        self._builders: dict[ServiceKey, _Builder] = {}
        # The backend's services by key as this sink left them (None: not read yet); a change
        # replaces only its own services' entries.
        self._actual: dict[ServiceKey, VirtualService] | None = None

    @property
    def actual(self) -> LbState:
        return LbState.of(self._actual.values()) if self._actual is not None else LbState()

    def configure(self, config: model.Config) -> None:
        """Start or reload: learn the configured services; the first time, adopt the kernel's state.

        Names that left the configuration keep their services until the core removes them; a
        name still configured whose parameters changed (lb_algo, lb_kind, group members ...) is
        re-applied at once with its last pool.
        """
        new = params_by_name(config)
        if self._rebuild is not None and self._actual is not None:
            self._relink(config, [p for ps in new.values() for p in ps])
        own = getattr(self.backend, "own", None)
        if callable(own):  # IPVS adopts and removes only the services it is told it owns
            own(
                VirtualService(key=p.key, lb_algo=p.lb_algo, forwarding=p.forwarding)
                for ps in new.values()
                for p in ps
            )
        changed = [n for n, ps in new.items() if n in self._params and ps != self._params[n]]
        self._params.update(new)
        self._builders.clear()
        if self._actual is None:
            self._adopt(new)
        self.apply_many([(self._last[name], False) for name in changed if name in self._last])

    def _relink(self, config: model.Config, services: list[ServiceParams]) -> None:
        """Reload: when the DR links derived now differ, a backend on the new links adopts the rules."""
        assert self._rebuild is not None
        try:
            built = self._rebuild(config, services)
        except Exception as err:
            log.error("LB: cannot rebuild the %s backend: %s", self.backend.name, err)
            return
        if built is None:
            return
        backend, links = built
        log.info("LB: DR links now %s -> %s", ", ".join(links.ingress) or "-", links.device or "-")
        self.backend, self.links, self._actual = backend, links, None

    def _adopt(self, configured: dict[str, list[ServiceParams]]) -> None:
        try:
            self._actual = self.backend.read_actual().by_key()
        except Exception as err:
            log.error("LB: cannot read the %s state: %s", self.backend.name, err)
            self._actual = {}
            return
        wanted = {p.key for ps in configured.values() for p in ps}
        stale = LbState.of(vs for vs in self._actual.values() if vs.key not in wanted)
        if stale.services:
            self._run(plan(LbState(), stale), stale, LbState())

    def traffic(self) -> dict[str, Counters]:
        """The backend's counters per virtual server name, summed over its services (a group has
        several); empty when the backend cannot say (logged at debug: status must not fail)."""
        return by_name(self._params, _guarded(self.backend.counters, self.backend.name))

    def traffic_reader(self) -> Callable[[], dict[str, Counters]] | None:
        """`traffic` to run in another thread, where the backend has a reader of its own for it
        (nftables); None where it has not (IPVS, fakes: their reading is quick)."""
        make = getattr(self.backend, "counter_reader", None)
        if not callable(make):
            return None
        read: Callable[[], dict[ServiceKey, Counters]] = make()
        params, name = dict(self._params), self.backend.name
        return lambda: by_name(params, _guarded(read, name))

    def apply(self, desired: DesiredVirtualServer, *, removed: bool = False) -> None:
        self.apply_many(((desired, removed),))

    def apply_many(self, changes: Sequence[tuple[DesiredVirtualServer, bool]]) -> None:
        """Several names' changes as one plan and one backend apply (one nftables transaction).

        At start-up the core hands over every virtual server at once: applied one by one, 1,000
        virtual servers were 1,000 transactions, each slower than the last as the table grew
        (a minute in all). A later change to a name replaces an earlier one. Names that share a
        service (a configuration naming one service twice) are applied one after the other,
        as they come, so the last one wins as it always did."""
        latest: dict[str, tuple[DesiredVirtualServer, bool]] = {}
        owner: dict[ServiceKey, str] = {}
        for desired, removed in changes:
            latest[desired.name] = (desired, removed)
            for p in self._params.get(desired.name, ()):
                if owner.setdefault(p.key, desired.name) != desired.name:
                    for one in changes:
                        self._apply_together((one,))
                    return
        if latest:
            self._apply_together(latest.values())

    def _apply_together(self, changes: Iterable[tuple[DesiredVirtualServer, bool]]) -> None:
        """Plan and apply changes to names that share no service."""
        actual = self._actual if self._actual is not None else {}
        have: list[VirtualService] = []
        want: list[VirtualService] = []
        for desired, removed in changes:
            services = self._params.get(desired.name)
            if services is None:
                log.warning("LB: no configured service for %s", desired.name)
                continue
            keys = dict.fromkeys(p.key for p in services)  # a group's members, once each
            have.extend(actual[key] for key in keys if key in actual)
            if removed:
                self._last.pop(desired.name, None)
            else:
                self._last[desired.name] = desired
                by_key = {p.key: self._builder(p).build(desired, actual.get(p.key)) for p in services}
                want.extend(by_key.values())
        before, after = LbState.of(have), LbState.of(want)
        self._run(plan(after, before), before, after)

    def _builder(self, params: ServiceParams) -> _Builder:
        builder = self._builders.get(params.key)
        if builder is None or builder.params is not params:
            # New parameters (a reload): the service is mapped afresh once.
            builder = self._builders[params.key] = _Builder(params)
        return builder

    def _run(self, ops: tuple[Op, ...], have: LbState, want: LbState) -> None:
        """Apply `ops`, planned from `have` (this sink's view of the services they touch) to
        `want`; applied in full, the services are `want`'s (`apply_ops(have, ops) == want`,
        the planner's property), kept as those objects so the next plan compares by identity."""
        if not ops:
            return
        try:
            refused = bool(self.backend.apply(ops))  # each failure is logged by the backend
        except Exception as err:  # a backend must not take the child down
            for op in ops:
                log.error("LB %s: %s failed: %s", self.backend.name, describe(op), err)
            refused = True
        if refused:
            try:
                self._actual = self.backend.read_actual().by_key()
            except Exception as err:
                log.error("LB: cannot read the %s state back: %s", self.backend.name, err)
            return
        if self._actual is None:
            self._actual = {}
        for vs in have.services:
            self._actual.pop(vs.key, None)
        self._actual.update(want.by_key())


def _guarded(read: Callable[[], dict[ServiceKey, Counters]], backend: str) -> dict[ServiceKey, Counters]:
    try:
        return read()
    except Exception as err:
        log.debug("LB: cannot read the %s counters: %s", backend, err)
        return {}


def by_name(params: dict[str, list[ServiceParams]], found: dict[ServiceKey, Counters]) -> dict[str, Counters]:
    """Counters per virtual server name from counters per service (a group's services summed)."""
    out: dict[str, Counters] = {}
    for name, services in params.items():
        parts = [found[p.key] for p in services if p.key in found]
        if not parts:
            continue
        per_rs: dict[tuple[str, int], tuple[int, int]] = {}
        conns: dict[tuple[str, int], tuple[int, int]] = {}
        replies: dict[tuple[str, int], tuple[int, int]] = {}
        scheduled: dict[tuple[str, int], int] = {}
        for part in parts:
            for into, source in (
                (per_rs, part.real_servers),
                (conns, part.connections),
                (replies, part.rs_out),
            ):
                for key, (a, b) in source.items():
                    old = into.get(key, (0, 0))
                    into[key] = (old[0] + a, old[1] + b)
            for key, count in part.rs_new_connections.items():
                scheduled[key] = scheduled.get(key, 0) + count
        counted = [p.new_connections for p in parts if p.new_connections is not None]
        outs = [p.out for p in parts if p.out is not None]
        out[name] = Counters(
            packets=sum(p.packets for p in parts),
            bytes=sum(p.bytes for p in parts),
            real_servers=per_rs,
            connections=conns,
            # One virtual server's services are of one kind (a group's members share its lb_kind).
            first_packets_only=parts[0].first_packets_only,
            new_connections=sum(counted) if counted else None,
            rs_new_connections=scheduled,
            out=(sum(o[0] for o in outs), sum(o[1] for o in outs)) if outs else None,
            rs_out=replies,
        )
    return out


BackendFactory = Callable[[BackendChoice, DrLinks], LbBackend]
LinkFinder = Callable[[model.Config, list[ServiceParams]], DrLinks]


def make_backend(choice: BackendChoice, links: DrLinks = NO_LINKS) -> LbBackend:
    """The backend the choice names (imported on use: each pulls in its own library)."""
    if choice.name == "ipvs":
        from alived.lb.ipvs import IpvsBackend  # noqa: PLC0415

        return IpvsBackend()
    from alived.lb.nftables import NftablesBackend  # noqa: PLC0415

    return NftablesBackend(dr_device=links.device, dr_ingress=links.ingress)


def _links(
    config: model.Config,
    choice: BackendChoice,
    finder: LinkFinder,
    services: list[ServiceParams] | None = None,
) -> DrLinks:
    if choice.name != "nftables":  # IPVS routes DR itself
        return DrLinks()
    try:
        if services is None:
            services = [p for ps in params_by_name(config).values() for p in ps]
        return finder(config, services)
    except Exception as err:
        log.error("LB: cannot derive the DR links: %s", err)
        return DrLinks()


def backend_sink(
    config: model.Config,
    override: str | None,
    factory: BackendFactory = make_backend,
    finder: LinkFinder = kernel_links,
) -> BackendLbSink | None:
    """The sink for the configured backend, or None (logged) when the backend cannot start."""
    choice = choose_backend(config.global_defs.lvs_backend, override)
    links = _links(config, choice, finder)
    try:
        backend = factory(choice, links)
    except Exception as err:
        log.error("Load balancer backend %s cannot start (%s): %s", choice.name, choice.reason, err)
        return None
    log.info("Load balancer backend: %s (%s)", choice.name, choice.reason)
    if links.ingress or links.device:
        log.info("LB: DR links %s -> %s", ", ".join(links.ingress) or "-", links.device or "-")

    def rebuild(new: model.Config, services: list[ServiceParams]) -> tuple[LbBackend, DrLinks] | None:
        # The backend choice is fixed for the child's life; only the DR links follow the config.
        now = _links(new, choice, finder, services)
        if now == sink.links:
            return None
        return factory(choice, now), now

    sink = BackendLbSink(backend, links=links, rebuild=rebuild)
    return sink
