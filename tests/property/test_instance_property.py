"""Hypothesis over a single VrrpInstance: every (state, input) pair, invalid packets, VIP bookkeeping."""

from __future__ import annotations

from dataclasses import replace
from ipaddress import IPv4Address
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alived.core.vrrp.actions import InstallVips, Log, RemoveVips
from alived.core.vrrp.inputs import (
    TABLE_INPUTS,
    AdverTimerFired,
    AdvertReceived,
    FaultCleared,
    FaultRaised,
    GarpTimerFired,
    Input,
    MasterDownFired,
    NameStartFaults,
    PriorityChanged,
    Shutdown,
    Startup,
    SyncToBackup,
    SyncToFault,
    SyncToMaster,
    TimerFired,
    TrackerChanged,
)
from alived.core.vrrp.instance import VrrpInstance
from alived.core.vrrp.params import InstanceParams, TrackerSpec
from alived.core.vrrp.states import TRANSITIONS, State
from alived.core.vrrp.tracker import TrackerKind
from alived.core.vrrp.wire import VRRP_GROUP4, Advert
from alived.errors import LocalMisuse
from alived.units import CENTISECOND, SECOND, Ticks
from tests.helpers.fakelan import advert_from, make_params, packet_from

SETTINGS = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
T0 = Ticks(100 * SECOND)
TRACKERS = (
    TrackerSpec(kind=TrackerKind.SCRIPT, name="w", weight=-30),
    TrackerSpec(kind=TrackerKind.SCRIPT, name="z"),
)


@st.composite
def instance_params(draw: st.DrawFn) -> InstanceParams:
    version = draw(st.sampled_from([2, 3]))
    interval = (
        Ticks(draw(st.integers(1, 3)) * SECOND)
        if version == 2
        else Ticks(draw(st.sampled_from([10, 50, 100, 300])) * CENTISECOND)
    )
    auth: dict[str, Any] = {}
    if version == 2:
        auth = draw(st.sampled_from([{}, {"auth_type": 1, "auth_key": b"secret"}]))
    return make_params(
        address="192.0.2.10",
        priority=draw(st.integers(1, 255)),
        version=version,
        advert_int=interval,
        nopreempt=draw(st.booleans()),
        preempt_delay=Ticks(draw(st.sampled_from([0, 0, 2 * SECOND]))),
        lower_prio_no_advert=draw(st.booleans()),
        higher_prio_send_advert=draw(st.booleans()),
        trackers=TRACKERS,
        **auth,
    )


def drive_to(inst: VrrpInstance, state: State, now: Ticks) -> None:
    """Bring a fresh instance into `state` through ordinary inputs."""
    if state is State.INIT:
        return
    inst.handle(Startup(), now)
    if state is State.MASTER and inst.state is State.BACKUP:
        inst.handle(MasterDownFired(), now)
    elif state is State.FAULT:
        inst.handle(FaultRaised(reason="x"), now)
    elif state is State.STOP:
        inst.handle(Shutdown(), now)
    elif state is State.BACKUP and inst.state is State.MASTER:
        inst.handle(FaultRaised(reason="x"), now)
        inst.handle(FaultCleared(reason="x"), now)
    assert inst.state is state


def valid_advert(params: InstanceParams, priority: int) -> Advert:
    return advert_from(params, priority=priority)


def any_input(kind: type[Input], params: InstanceParams) -> st.SearchStrategy[Input]:
    if kind is AdvertReceived:
        return st.builds(
            lambda prio, last: AdvertReceived(
                packet=packet_from(f"192.0.2.{last}", valid_advert(params, prio))
            ),
            st.integers(0, 255),
            st.integers(1, 254),
        )
    if kind is TrackerChanged:
        return st.builds(
            TrackerChanged,
            kind=st.just(TrackerKind.SCRIPT),
            name=st.sampled_from(["w", "z"]),
            ok=st.booleans(),
        )
    if kind is PriorityChanged:
        return st.builds(PriorityChanged, priority=st.integers(1, 255))
    if kind in (FaultRaised, FaultCleared):
        return st.builds(kind, reason=st.sampled_from(["x", "y"]))
    simple: dict[type[Input], Input] = {
        Startup: Startup(),
        NameStartFaults: NameStartFaults(),
        MasterDownFired: MasterDownFired(),
        AdverTimerFired: AdverTimerFired(),
        GarpTimerFired: GarpTimerFired(),
        Shutdown: Shutdown(),
        SyncToMaster: SyncToMaster(),
        SyncToBackup: SyncToBackup(),
        SyncToFault: SyncToFault(),
    }
    return st.just(simple[kind])


@SETTINGS
@given(
    params=instance_params(),
    state=st.sampled_from(list(State)),
    data=st.data(),
)
def test_every_state_input_pair_is_handled_or_a_counted_drop(
    params: InstanceParams, state: State, data: st.DataObject
) -> None:
    inst = VrrpInstance(params)
    drive_to(inst, state, T0)
    inst.pop_actions()
    kind = data.draw(st.sampled_from(TABLE_INPUTS))
    event = data.draw(any_input(kind, params))
    now = Ticks(T0 + data.draw(st.integers(0, 10 * SECOND)))
    transition = TRANSITIONS.get((state, kind))
    if transition is None:
        try:
            inst.handle(event, now)
        except LocalMisuse:
            return
        raise AssertionError(f"{kind.__name__} in {state.value} should be refused")
    before = sum(inst.stats.snapshot().values())
    inst.handle(event, now)
    if transition.handler is None:
        assert inst.state is state
        assert inst.stats[transition.drop] >= 1
        assert sum(inst.stats.snapshot().values()) == before + 1
        assert inst.pop_actions() == []
    else:
        assert inst.state is state or inst.state in transition.targets


@st.composite
def invalid_packets(draw: st.DrawFn, params: InstanceParams) -> tuple[str, AdvertReceived]:
    """A packet for this instance that fails exactly one validation step."""
    choices = ["ttl", "vrid", "version", "cast"]
    if params.version == 2:
        choices += ["interval", "authtype", "bad_authtype"]
        if params.auth_type == 1:
            choices.append("password")
    kind = draw(st.sampled_from(choices))
    priority = draw(st.integers(0, 255))
    advert = valid_advert(params, priority)
    ttl = 255
    destination: Any = VRRP_GROUP4
    if kind == "ttl":
        ttl = draw(st.integers(0, 254))
    elif kind == "vrid":
        advert = replace(advert, vrid=draw(st.integers(1, 255).filter(lambda v: v != params.vrid)))
    elif kind == "version":
        advert = replace(advert, version=5 - params.version, auth_data=b"", auth_type=0)
    elif kind == "cast":
        destination = IPv4Address("192.0.2.10")
    elif kind == "interval":
        advert = replace(advert, adver_int=draw(st.integers(1, 255).filter(lambda v: v != advert.adver_int)))
    elif kind == "authtype":
        other = draw(st.sampled_from([t for t in (0, 1) if t != params.auth_type]))
        advert = replace(advert, auth_type=other)
    elif kind == "bad_authtype":
        advert = replace(advert, auth_type=draw(st.integers(3, 255)))
    elif kind == "password":
        advert = replace(
            advert, auth_data=draw(st.binary(min_size=8, max_size=8).filter(lambda b: b != b"secret\0\0"))
        )
    last = draw(st.integers(1, 254))
    return kind, AdvertReceived(
        packet=packet_from(f"192.0.2.{last}", advert, ttl=ttl, destination=destination)
    )


@SETTINGS
@given(params=instance_params(), in_master=st.booleans(), data=st.data())
def test_a_packet_failing_validation_changes_nothing(
    params: InstanceParams, in_master: bool, data: st.DataObject
) -> None:
    inst = VrrpInstance(params)
    drive_to(inst, State.MASTER if in_master else State.BACKUP, T0)
    inst.pop_actions()
    kind, event = data.draw(invalid_packets(params))
    before = (inst.state, inst.next_deadline(), inst.effective_priority, inst.master_address)
    now = Ticks(T0 + data.draw(st.integers(0, SECOND // 2)))
    inst.handle(event, now)
    assert (inst.state, inst.next_deadline(), inst.effective_priority, inst.master_address) == before, kind
    assert all(isinstance(a, Log) for a in inst.pop_actions()), kind
    assert inst.stats["advert_rcvd"] == 0


@SETTINGS
@given(params=instance_params(), data=st.data())
def test_vips_follow_the_master_state_through_any_input_sequence(
    params: InstanceParams, data: st.DataObject
) -> None:
    inst = VrrpInstance(params)
    now = T0
    inst.handle(Startup(), now)
    holds = False
    kinds = [k for k in TABLE_INPUTS if k is not Startup]
    for _ in range(data.draw(st.integers(1, 25))):
        if data.draw(st.booleans()):
            deadline = inst.next_deadline()
            if deadline is not None:
                now = max(now, deadline)
            event: Input = TimerFired()
        else:
            # An input arrives no later than the armed timer would have fired, as with the adapter.
            deadline = inst.next_deadline()
            later = Ticks(now + data.draw(st.integers(0, 2 * SECOND)))
            now = later if deadline is None else min(later, max(now, deadline))
            event = data.draw(any_input(data.draw(st.sampled_from(kinds)), params))
        inst.handle(event, now)
        for action in inst.pop_actions():
            if isinstance(action, InstallVips):
                assert not holds
                holds = True
            elif isinstance(action, RemoveVips):
                assert holds
                holds = False
        assert holds == (inst.state is State.MASTER)
        deadline = inst.next_deadline()
        assert deadline is None or deadline >= now
        assert (deadline is None) == (inst.state in (State.FAULT, State.STOP, State.INIT))
