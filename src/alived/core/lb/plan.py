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
            elif not _same_dest(prev, rs):
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
    destination) is our bug: the planner never emits one.
    """
    services = state.by_key()
    for op in ops:
        key = op_service(op)
        vs = services.get(key)
        if isinstance(op, AddService):
            if vs is not None:
                raise LocalMisuse(f"AddService: {key} exists")
            services[key] = op.service.attributes
            continue
        if vs is None:
            raise LocalMisuse(f"{describe(op)}: no such service")
        if isinstance(op, EditService):
            services[key] = replace(op.service, real_servers=vs.real_servers)
        elif isinstance(op, DelService):
            del services[key]
        else:
            services[key] = _apply_dest(vs, op)
    return LbState.of(services.values())


def _apply_dest(vs: VirtualService, op: AddDest | EditDest | DelDest) -> VirtualService:
    dests = {rs.key: rs for rs in vs.real_servers}
    if isinstance(op, DelDest):
        if (op.address, op.port) not in dests:
            raise LocalMisuse(f"{describe(op)}: no such destination")
        del dests[(op.address, op.port)]
    else:
        exists = op.dest.key in dests
        if exists != isinstance(op, EditDest):
            raise LocalMisuse(f"{describe(op)}: destination {'exists' if exists else 'missing'}")
        dests[op.dest.key] = op.dest
    return replace(vs, real_servers=tuple(dests[k] for k in sorted(dests)))
