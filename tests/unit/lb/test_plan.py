"""core/lb/plan.py: plans reach the desired state, are empty when equal, and stay small."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alived.core.lb.granularity import Netmask
from alived.core.lb.model import Forwarding, LbState, RealServer, ServiceKey, VirtualService, dest_changes
from alived.core.lb.plan import (
    AddDest,
    AddService,
    DelDest,
    DelService,
    EditDest,
    EditService,
    apply_ops,
    describe,
    op_changes,
    op_service,
    plan,
)
from alived.errors import LocalMisuse

rs_st = st.builds(
    RealServer,
    address=st.sampled_from([f"198.51.100.{i}" for i in range(1, 6)]),
    port=st.sampled_from([80, 8080]),
    weight=st.integers(0, 5),
    forwarding=st.sampled_from(list(Forwarding)),
)
key_st = st.one_of(
    st.builds(
        ServiceKey,
        protocol=st.sampled_from(["TCP", "UDP"]),
        address=st.just("203.0.113.10"),
        port=st.sampled_from([80, 443]),
    ),
    st.builds(ServiceKey, fwmark=st.integers(1, 3)),
)


@st.composite
def service_st(draw: st.DrawFn) -> VirtualService:
    dests = {rs.key: rs for rs in draw(st.lists(rs_st, max_size=5))}
    return VirtualService(
        key=draw(key_st),
        lb_algo=draw(st.sampled_from(["rr", "wrr", "sh", "mh"])),
        persistence_timeout=draw(st.sampled_from([0, 300])),
        persistence_granularity=draw(st.sampled_from([32, 24, Netmask(0xFF00FF00)])),
        real_servers=tuple(dests[k] for k in sorted(dests)),
    )


@st.composite
def state_st(draw: st.DrawFn) -> LbState:
    services = {vs.key: vs for vs in draw(st.lists(service_st(), max_size=4))}
    return LbState.of(services.values())


@given(state_st(), state_st())
@settings(max_examples=300)
def test_applying_the_plan_reaches_desired(desired: LbState, actual: LbState) -> None:
    ops = plan(desired, actual)
    assert apply_ops(actual, ops) == desired
    assert plan(desired, apply_ops(actual, ops)) == ()


@given(state_st())
def test_equal_states_give_an_empty_plan(state: LbState) -> None:
    assert plan(state, state) == ()


@given(state_st(), state_st())
def test_order_adds_before_removes(desired: LbState, actual: LbState) -> None:
    kinds = [type(op) for op in plan(desired, actual)]
    rank = {AddService: 0, EditService: 1, AddDest: 2, EditDest: 3, DelDest: 4, DelService: 5}
    assert [rank[k] for k in kinds] == sorted(rank[k] for k in kinds)


def big_service(n: int) -> VirtualService:
    dests = [RealServer(address=f"198.51.{i // 250}.{i % 250 + 1}", port=80) for i in range(n)]
    return VirtualService(
        key=ServiceKey(protocol="TCP", address="203.0.113.10", port=80),
        lb_algo="wrr",
        real_servers=tuple(sorted(dests)),
    )


def test_one_real_server_change_is_one_operation_not_a_rebuild() -> None:
    vs = big_service(1000)
    down = replace(vs, real_servers=vs.real_servers[1:])
    drained = replace(vs, real_servers=(replace(vs.real_servers[0], weight=0), *vs.real_servers[1:]))
    first = vs.real_servers[0]
    assert plan(LbState.of([down]), LbState.of([vs])) == (
        DelDest(service=vs.key, address=first.address, port=first.port),
    )
    assert plan(LbState.of([drained]), LbState.of([vs])) == (
        EditDest(service=vs.key, dest=drained.real_servers[0]),
    )


def test_attribute_change_is_an_edit_and_keeps_dests() -> None:
    vs = big_service(3)
    sh = replace(vs, lb_algo="sh")
    ops = plan(LbState.of([sh]), LbState.of([vs]))
    assert ops == (EditService(service=sh.attributes),)
    assert apply_ops(LbState.of([vs]), ops) == LbState.of([sh])
    assert describe(ops[0]) == "EditService [203.0.113.10]:tcp:80 sh NAT"


def test_misfit_operations_are_our_bug() -> None:
    vs = big_service(2)
    state = LbState.of([vs])
    with pytest.raises(LocalMisuse, match="exists"):
        apply_ops(state, [AddService(service=vs.attributes)])
    with pytest.raises(LocalMisuse, match="no such service"):
        apply_ops(LbState(), [DelService(key=vs.key)])
    with pytest.raises(LocalMisuse, match="no such destination"):
        apply_ops(state, [DelDest(service=vs.key, address="192.0.2.1", port=1)])
    with pytest.raises(LocalMisuse, match="exists"):
        apply_ops(state, [AddDest(service=vs.key, dest=vs.real_servers[0])])
    with pytest.raises(LocalMisuse, match="missing"):
        apply_ops(state, [EditDest(service=vs.key, dest=RealServer(address="192.0.2.1"))])
    for op in (
        DelService(key=vs.key),
        DelDest(service=vs.key, address="192.0.2.1", port=1),
        AddDest(service=vs.key, dest=vs.real_servers[0]),
    ):
        assert str(vs.key) in describe(op)


def test_recording_backend_converges_and_reports_refusals() -> None:
    from tests.helpers.lb_fake import RecordingBackend

    vs = big_service(3)
    backend = RecordingBackend(refuse=lambda op: isinstance(op, AddDest) and op.dest.address.endswith(".2"))
    failures = backend.apply(plan(LbState.of([vs]), backend.read_actual()))
    assert [f.op for f in failures] == [AddDest(service=vs.key, dest=vs.real_servers[1])]
    assert len(backend.read_actual().services[0].real_servers) == 2
    assert set(backend.counters()) == {vs.key}


def _naive_changes(
    old: tuple[RealServer, ...], new: tuple[RealServer, ...]
) -> tuple[list[RealServer], list[RealServer], list[tuple[str, int]]]:
    before = {rs.key: rs for rs in old}
    after = {rs.key: rs for rs in new}
    added = [rs for k, rs in sorted(after.items()) if k not in before]
    edited = [rs for k, rs in sorted(after.items()) if k in before and before[k] != rs]
    return added, edited, [k for k in sorted(before) if k not in after]


@st.composite
def derived_st(draw: st.DrawFn) -> tuple[LbState, LbState]:
    """(actual, desired) where desired shares actual's unchanged objects, as the checker
    child's sink builds it: some real servers dropped, some reweighted, some added."""
    actual = draw(state_st())
    services = []
    for vs in actual.services:
        if draw(st.booleans()):
            services.append(vs)  # the very same service object: untouched
            continue
        dests = {}
        for rs in vs.real_servers:
            action = draw(st.sampled_from(["keep", "keep", "drop", "weight"]))
            if action == "keep":
                dests[rs.key] = rs
            elif action == "weight":
                dests[rs.key] = replace(rs, weight=draw(st.integers(0, 5)))
        for rs in draw(st.lists(rs_st, max_size=3)):
            dests.setdefault(rs.key, rs)
        services.append(replace(vs, real_servers=tuple(dests[k] for k in sorted(dests))))
    return actual, LbState.of(services)


@given(derived_st())
@settings(max_examples=300)
def test_a_plan_against_shared_objects_reaches_desired_and_keeps_them(pair: tuple[LbState, LbState]) -> None:
    actual, desired = pair
    ops = plan(desired, actual)
    after = apply_ops(actual, ops)
    assert after == desired
    assert plan(desired, after) == ()
    have = actual.by_key()
    for vs in desired.services:
        old = have[vs.key]
        added, edited, removed = _naive_changes(old.real_servers, vs.real_servers)
        assert [op.dest for op in ops if isinstance(op, AddDest) and op.service == vs.key] == added
        assert [op.dest for op in ops if isinstance(op, EditDest) and op.service == vs.key] == edited
        assert [
            (op.address, op.port) for op in ops if isinstance(op, DelDest) and op.service == vs.key
        ] == removed
        # A destination no operation touched is carried over as the same object.
        touched = {rs.key for rs in added + edited} | set(removed)
        kept = {rs.key: rs for rs in old.real_servers if rs.key not in touched}
        result = after.by_key()[vs.key]
        assert all(rs is kept[rs.key] for rs in result.real_servers if rs.key in kept)
        if old is vs:
            assert result is old
        # What the backend renders from: the plan's view of the change equals the comparison.
        mine = [op for op in ops if op_service(op) == vs.key]
        assert op_changes(old, mine) == dest_changes(old.real_servers, vs.real_servers)
