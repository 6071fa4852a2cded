"""Desired x actual -> the ordered operations that turn one into the other (pure).

The operations are IPVS's own vocabulary (new/set/del service, new/set/del destination), so
the IPVS backend maps them one to one and the nftables backend groups them per service into
one transaction. Order: services are created and edited first, destinations are added and
changed before any is removed (a service never passes through an empty pool on the way from
one pool to another), and removed services go last. `apply_ops` is the reference semantics:
`apply_ops(actual, plan(desired, actual)) == desired`, and a plan of equal states is empty.
"""

from __future__ import annotations

import bisect
import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from alived.core.lb.model import (
    DestChanges,
    LbState,
    RealServer,
    ServiceKey,
    VirtualService,
    dest_changes,
    mark_sorted,
)
from alived.errors import LocalMisuse


@dataclass(frozen=True, slots=True, kw_only=True)
class AddService:
    service: VirtualService  # attributes only (no real servers)


@dataclass(frozen=True, slots=True, kw_only=True)
class EditService:
    service: VirtualService  # attributes only


@dataclass(frozen=True, slots=True, kw_only=True)
class DelService:
    key: ServiceKey


@dataclass(frozen=True, slots=True, kw_only=True)
class AddDest:
    service: ServiceKey
    dest: RealServer


@dataclass(frozen=True, slots=True, kw_only=True)
class EditDest:
    service: ServiceKey
    dest: RealServer


@dataclass(frozen=True, slots=True, kw_only=True)
class DelDest:
    service: ServiceKey
    address: str
    port: int


Op = AddService | EditService | DelService | AddDest | EditDest | DelDest


_KEY = operator.attrgetter("key")


def op_service(op: Op) -> ServiceKey:
    """The service an operation touches."""
    if isinstance(op, AddService | EditService):
        return op.service.key
    if isinstance(op, DelService):
        return op.key
    return op.service


def describe(op: Op) -> str:
    """One line naming the operation, for logs and errors."""
    if isinstance(op, AddService | EditService):
        return f"{type(op).__name__} {op.service.key} {op.service.lb_algo} {op.service.forwarding}"
    if isinstance(op, DelService):
        return f"DelService {op.key}"
    if isinstance(op, DelDest):
        return f"DelDest [{op.address}]:{op.port} from {op.service}"
    return f"{type(op).__name__} {op.dest} weight {op.dest.weight} {op.dest.forwarding} in {op.service}"


def plan(desired: LbState, actual: LbState) -> tuple[Op, ...]:
    """The operations that make `actual` equal `desired`, in a safe order.

    A service present on both sides as the same object is unchanged (VirtualService is
    immutable) and is not looked into; in the others only the destinations that are not the
    same objects are compared (`dest_changes`), so one real server down in a pool of 10,000
    is planned without walking the pool in Python."""
    want, have = desired.by_key(), actual.by_key()
    add_svc: list[Op] = []
    edit_svc: list[Op] = []
    add_dest: list[Op] = []
    edit_dest: list[Op] = []
    del_dest: list[Op] = []
    del_svc: list[Op] = []
    for key, vs in want.items():
        old = have.get(key)
        if old is vs:
            continue
        if old is None:
            add_svc.append(AddService(service=vs.attributes))
            add_dest.extend(AddDest(service=key, dest=rs) for rs in vs.real_servers)
            continue
        if old.attributes != vs.attributes:
            edit_svc.append(EditService(service=vs.attributes))
        came, edited, left = dest_changes(old.real_servers, vs.real_servers)
        add_dest.extend(AddDest(service=key, dest=rs) for rs in came)
        edit_dest.extend(EditDest(service=key, dest=rs) for _, rs in edited)
        del_dest.extend(DelDest(service=key, address=rs.address, port=rs.port) for rs in left)
    del_svc.extend(DelService(key=key) for key in have if key not in want)
    return (*add_svc, *edit_svc, *add_dest, *edit_dest, *del_dest, *del_svc)


def op_changes(old: VirtualService, ops: Iterable[Op]) -> DestChanges | None:
    """What `ops` (one service's, from `plan`) do to `old`'s destinations, as `dest_changes`
    gives it, without comparing the pools; None when they also add or remove the service."""
    added: list[RealServer] = []
    edited: list[tuple[RealServer, RealServer]] = []
    removed: list[RealServer] = []
    for op in ops:
        if isinstance(op, AddService | DelService):
            return None
        if isinstance(op, EditService):
            continue
        key = (op.address, op.port) if isinstance(op, DelDest) else op.dest.key
        prev = old.real_server(key)
        if isinstance(op, AddDest) and prev is None:
            added.append(op.dest)
        elif isinstance(op, EditDest) and prev is not None:
            edited.append((prev, op.dest))
        elif isinstance(op, DelDest) and prev is not None:
            removed.append(prev)
        else:
            return None  # not a plan against `old`: let the caller compare
    added.sort(key=_KEY)
    edited.sort(key=lambda pair: pair[0].key)
    removed.sort(key=_KEY)
    return (tuple(added), tuple(edited), tuple(removed))


class _Draft:
    """One service while operations apply: its attributes, the destinations it started
    with, and the destinations the operations set (None: removed) by key."""

    __slots__ = ("attrs", "base", "edited", "overlay")

    def __init__(self, attrs: VirtualService, base: tuple[RealServer, ...], *, edited: bool) -> None:
        self.attrs = attrs
        self.base = base
        self.edited = edited
        self.overlay: dict[tuple[str, int], RealServer | None] = {}

    def has(self, key: tuple[str, int]) -> bool:
        if key in self.overlay:
            return self.overlay[key] is not None
        i = bisect.bisect_left(self.base, key, key=_KEY)
        return i < len(self.base) and self.base[i].key == key

    def dests(self) -> tuple[RealServer, ...]:
        """The destinations after the operations (the same tuple if none changed)."""
        return splice(self.base, self.overlay)


def splice(
    dests: tuple[RealServer, ...], overlay: Mapping[tuple[str, int], RealServer | None]
) -> tuple[RealServer, ...]:
    """Sorted destinations with some replaced, added or (None) removed by key; each found by
    bisection, the rest copied at C speed. `dests` itself when `overlay` is empty. The result
    is sorted and unique by construction (a key of `overlay` is removed before it is put
    back), so a VirtualService built from it skips its check."""
    if not overlay:
        return dests
    out = list(dests)
    gone = []
    for key in overlay:
        i = bisect.bisect_left(dests, key, key=_KEY)
        if i < len(dests) and dests[i].key == key:
            gone.append(i)
    for i in sorted(gone, reverse=True):
        del out[i]
    for key in sorted(overlay):
        rs = overlay[key]
        if rs is not None:
            bisect.insort(out, rs, key=_KEY)
    result = tuple(out)
    mark_sorted(result)
    return result


def apply_ops(state: LbState, ops: Iterable[Op]) -> LbState:
    """The state after the operations, as a backend that performs them faithfully would hold it.

    An operation that does not fit the state (a new service that exists, a change to a missing
    destination) is our bug: the planner never emits one. A service no operation touches is
    carried over as the same object, and a touched one keeps its other destinations' objects:
    each operation finds its destination by bisection, so a change to one real server costs no
    Python-level walk of its pool.
    """
    services = state.by_key()
    touched: dict[ServiceKey, _Draft | None] = {}

    def draft(key: ServiceKey) -> _Draft | None:
        if key not in touched:
            vs = services.get(key)
            touched[key] = None if vs is None else _Draft(vs, vs.real_servers, edited=False)
        return touched[key]

    for op in ops:
        key = op_service(op)
        if isinstance(op, AddService):
            if draft(key) is not None:
                raise LocalMisuse(f"AddService: {key} exists")
            touched[key] = _Draft(op.service.attributes, (), edited=True)
            continue
        d = draft(key)
        if d is None:
            raise LocalMisuse(f"{describe(op)}: no such service")
        if isinstance(op, EditService):
            d.attrs, d.edited = op.service.attributes, True
        elif isinstance(op, DelService):
            touched[key] = None
        elif isinstance(op, DelDest):
            if not d.has((op.address, op.port)):
                raise LocalMisuse(f"{describe(op)}: no such destination")
            d.overlay[(op.address, op.port)] = None
        else:
            exists = d.has(op.dest.key)
            if exists != isinstance(op, EditDest):
                raise LocalMisuse(f"{describe(op)}: destination {'exists' if exists else 'missing'}")
            d.overlay[op.dest.key] = op.dest
    for key, d in touched.items():
        if d is None:
            services.pop(key, None)
            continue
        dests = d.dests()
        if d.edited or dests is not d.base:
            services[key] = replace(d.attrs, real_servers=dests)
    return LbState.of(services.values())
