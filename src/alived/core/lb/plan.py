"""Desired x actual -> the ordered operations that turn one into the other (pure).

The operations are IPVS's own vocabulary (new/set/del service, new/set/del destination), so
the IPVS backend maps them one to one and the nftables backend groups them per service into
one transaction. Order: services are created and edited first, destinations are added and
changed before any is removed (a service never passes through an empty pool on the way from
one pool to another), and removed services go last. `apply_ops` is the reference semantics:
`apply_ops(actual, plan(desired, actual)) == desired`, and a plan of equal states is empty.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from alived.core.lb.model import LbState, RealServer, ServiceKey, VirtualService
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
    """The operations that make `actual` equal `desired`, in a safe order."""
    want, have = desired.by_key(), actual.by_key()
    add_svc: list[Op] = []
    edit_svc: list[Op] = []
    add_dest: list[Op] = []
    edit_dest: list[Op] = []
    del_dest: list[Op] = []
    del_svc: list[Op] = []
    for key, vs in want.items():
        old = have.get(key)
        if old is None:
            add_svc.append(AddService(service=vs.attributes))
            add_dest.extend(AddDest(service=key, dest=rs) for rs in vs.real_servers)
            continue
        if old.attributes != vs.attributes:
            edit_svc.append(EditService(service=vs.attributes))
        old_rs = {rs.key: rs for rs in old.real_servers}
        new_keys = set()
        for rs in vs.real_servers:
            new_keys.add(rs.key)
            prev = old_rs.get(rs.key)
            if prev is None:
                add_dest.append(AddDest(service=key, dest=rs))
            elif prev is not rs and not _same_dest(prev, rs):
                edit_dest.append(EditDest(service=key, dest=rs))
        del_dest.extend(
            DelDest(service=key, address=rs.address, port=rs.port)
            for rs in old.real_servers
            if rs.key not in new_keys
        )
    del_svc.extend(DelService(key=key) for key in have if key not in want)
    return (*add_svc, *edit_svc, *add_dest, *edit_dest, *del_dest, *del_svc)


def _same_dest(a: RealServer, b: RealServer) -> bool:
    return a == b and a.tunnel == b.tunnel


def apply_ops(state: LbState, ops: Iterable[Op]) -> LbState:
    """The state after the operations, as a backend that performs them faithfully would hold it.

    An operation that does not fit the state (a new service that exists, a change to a missing
    destination) is our bug: the planner never emits one. Linear in the operations: each
    service's destinations are sorted once at the end, not after every operation.
    """
    attrs: dict[ServiceKey, VirtualService] = {}
    dests: dict[ServiceKey, dict[tuple[str, int], RealServer]] = {}
    for vs in state.services:
        attrs[vs.key] = vs.attributes
        dests[vs.key] = {rs.key: rs for rs in vs.real_servers}
    for op in ops:
        key = op_service(op)
        if isinstance(op, AddService):
            if key in attrs:
                raise LocalMisuse(f"AddService: {key} exists")
            attrs[key] = op.service.attributes
            dests[key] = {}
            continue
        if key not in attrs:
            raise LocalMisuse(f"{describe(op)}: no such service")
        table = dests[key]
        if isinstance(op, EditService):
            attrs[key] = op.service.attributes
        elif isinstance(op, DelService):
            del attrs[key], dests[key]
        elif isinstance(op, DelDest):
            if (op.address, op.port) not in table:
                raise LocalMisuse(f"{describe(op)}: no such destination")
            del table[(op.address, op.port)]
        else:
            exists = op.dest.key in table
            if exists != isinstance(op, EditDest):
                raise LocalMisuse(f"{describe(op)}: destination {'exists' if exists else 'missing'}")
            table[op.dest.key] = op.dest
    return LbState.of(
        replace(attrs[k], real_servers=tuple(dests[k][d] for d in sorted(dests[k]))) for k in attrs
    )
