"""track_file in the core: value x weight arithmetic, the FAULT rules, and the instance reacting to values.

Expected numbers are keepalived 2.2.7's (trackers/track_file.c update_track_file_status,
process_update_vrrp_track_file_status; vrrp/vrrp_track.c initialise_vrrp_file_tracking_priorities).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alived.core.vrrp import priority as prio
from alived.core.vrrp.actions import Action, Log
from alived.core.vrrp.inputs import MasterDownFired, Startup, TrackerChanged
from alived.core.vrrp.instance import VrrpInstance
from alived.core.vrrp.params import TrackerSpec
from alived.core.vrrp.states import State
from alived.core.vrrp.tracker import TrackerKey, TrackerKind
from alived.units import SECOND, Ticks
from tests.helpers.fakelan import make_params

T0 = Ticks(10 * SECOND)
TF = TrackerKey(TrackerKind.FILE, "tf")


def spec(weight: int, *, reverse: bool = False, value: int = 0) -> TrackerSpec:
    return TrackerSpec(kind=TrackerKind.FILE, name="tf", weight=weight, reverse=reverse, initial_value=value)


def logs(actions: list[Action]) -> list[str]:
    return [a.text for a in actions if isinstance(a, Log)]


# ---- the arithmetic --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("weight", "reverse", "value", "status"),
    [
        (1, False, 0, 0),
        (1, False, 5, 5),
        (-60, False, 1, -60),
        (-60, True, 1, 60),
        (10, False, 30, 253),  # clamped to 253
        (-1, False, 253, -253),  # the lowest that is not FAULT
        (-1, False, 254, prio.FILE_FAULT),
        (254, False, -2, prio.FILE_FAULT),
        (2, False, 2**31, 253),
        (0, False, 0, 0),
        (0, False, 7, prio.FILE_FAULT),
        (0, False, -1, prio.FILE_FAULT),
        (0, True, 0, prio.FILE_FAULT),
        (0, True, 3, 0),
    ],
)
def test_file_status(weight: int, reverse: bool, value: int, status: int) -> None:
    assert prio.file_status(spec(weight, reverse=reverse), value) == status


def test_contribution_and_fault_of_a_file_tracker() -> None:
    s = spec(-60)
    # ok is not what counts for a file tracker: the value is.
    assert prio.contribution(s, True, 2) == -120
    assert prio.contribution(s, False, 0) == 0
    assert not prio.is_faulting(s, False, 4)
    assert prio.is_faulting(s, True, 5)
    assert prio.contribution(s, True, 5) == 0  # in FAULT the file adds nothing


def test_totals_use_values_and_initial_values() -> None:
    specs = (spec(-10, value=3), TrackerSpec(kind=TrackerKind.SCRIPT, name="chk", weight=20))
    assert prio.total_priority(100, specs, {}) == 100 - 30 + 20
    assert prio.total_priority(100, specs, {}, {TF: 1}) == 100 - 10 + 20
    assert prio.faulting_trackers(specs, {}, {TF: 26}) == {TF}
    assert prio.faulting_trackers(specs, {}) == frozenset()


def test_initial_value_is_not_part_of_equality() -> None:
    # A reload compares plans: a file whose content moved must not make the instance "changed".
    assert spec(5, value=1) == spec(5, value=9)
    assert hash(spec(5, value=1)) == hash(spec(5, value=9))
    assert spec(5) != spec(6)


@settings(max_examples=200, deadline=None)
@given(
    weight=st.integers(-254, 254),
    reverse=st.booleans(),
    value=st.integers(-(2**31), 2**31),
)
def test_file_status_bounds(weight: int, reverse: bool, value: int) -> None:
    s = spec(weight, reverse=reverse)
    status = prio.file_status(s, value)
    assert prio.FILE_FAULT <= status <= prio.FILE_STATUS_MAX
    if weight == 0:
        assert status in (0, prio.FILE_FAULT)
        assert (status == prio.FILE_FAULT) == ((value != 0) != reverse)
    else:
        raw = value * weight * (-1 if reverse else 1)
        assert (status == prio.FILE_FAULT) == (raw <= -254)
        if -254 < raw <= 253:
            assert status == raw


# ---- the instance --------------------------------------------------------------------------------


def master_with(*specs: TrackerSpec, priority: int = 100) -> VrrpInstance:
    inst = VrrpInstance(make_params(trackers=specs, priority=priority))
    inst.handle(Startup(), T0)
    inst.handle(MasterDownFired(), Ticks(T0 + 4 * SECOND))
    assert inst.state is State.MASTER
    inst.pop_actions()
    return inst


def test_weighted_file_moves_priority() -> None:
    inst = master_with(spec(-60))
    assert inst.effective_priority == 100
    inst.handle(TrackerChanged(kind=TrackerKind.FILE, name="tf", ok=False, value=1), Ticks(T0 + 5 * SECOND))
    assert logs(inst.pop_actions()) == ["(VI_1) Changing effective priority from 100 to 40"]
    assert inst.state is State.MASTER
    inst.handle(TrackerChanged(kind=TrackerKind.FILE, name="tf", ok=True, value=0), Ticks(T0 + 6 * SECOND))
    assert inst.effective_priority == 100
    inst.handle(TrackerChanged(kind=TrackerKind.FILE, name="tf", ok=False, value=-3), Ticks(T0 + 7 * SECOND))
    assert inst.effective_priority == 254  # 100 + 180, clamped


def test_weighted_file_below_minus_253_faults() -> None:
    inst = master_with(spec(-60))
    inst.handle(TrackerChanged(kind=TrackerKind.FILE, name="tf", ok=False, value=5), Ticks(T0 + 5 * SECOND))
    assert inst.state is State.FAULT
    texts = logs(inst.pop_actions())
    assert texts[0] == "(VI_1): tracked file tf now FAULT state"
    assert "(VI_1) Entering FAULT STATE" in texts
    assert not any("entering FAULT state" in t for t in texts)  # the file named itself already
    inst.handle(TrackerChanged(kind=TrackerKind.FILE, name="tf", ok=False, value=2), Ticks(T0 + 6 * SECOND))
    assert inst.state is State.BACKUP
    assert "(VI_1): tracked file tf leaving FAULT state" in logs(inst.pop_actions())
    assert inst.effective_priority == 1  # 100 - 120, clamped


def test_weight_zero_file_faults_on_non_zero() -> None:
    inst = master_with(spec(0))
    inst.handle(TrackerChanged(kind=TrackerKind.FILE, name="tf", ok=False, value=1), Ticks(T0 + 5 * SECOND))
    assert inst.state is State.FAULT
    assert "(VI_1): tracked file tf now FAULT state" in logs(inst.pop_actions())
    assert inst.fault_reasons == {"tracker file:tf"}
    inst.handle(TrackerChanged(kind=TrackerKind.FILE, name="tf", ok=True, value=0), Ticks(T0 + 6 * SECOND))
    assert inst.state is State.BACKUP
    assert inst.effective_priority == 100


def test_weight_zero_reversed_file_faults_on_zero() -> None:
    inst = VrrpInstance(make_params(trackers=(spec(0, reverse=True),)))
    inst.handle(Startup(), T0)
    assert inst.state is State.FAULT
    inst.handle(TrackerChanged(kind=TrackerKind.FILE, name="tf", ok=False, value=9), Ticks(T0 + SECOND))
    assert inst.state is State.BACKUP


def test_weighted_status_at_startup_is_named_unclamped() -> None:
    inst = VrrpInstance(make_params(trackers=(spec(-100, value=3),)))
    inst.handle(Startup(), T0)
    assert logs(inst.pop_actions())[0] == "(VI_1): entering FAULT state (tracked file tf has status -300)"


def test_file_fault_beside_another_reason() -> None:
    inst = master_with(spec(0), TrackerSpec(kind=TrackerKind.SCRIPT, name="chk"))
    inst.handle(TrackerChanged(kind=TrackerKind.FILE, name="tf", ok=False, value=1), Ticks(T0 + SECOND))
    inst.handle(TrackerChanged(kind=TrackerKind.SCRIPT, name="chk", ok=False), Ticks(T0 + 2 * SECOND))
    assert inst.fault_reasons == {"tracker file:tf", "tracker script:chk"}
    inst.handle(TrackerChanged(kind=TrackerKind.FILE, name="tf", ok=True, value=0), Ticks(T0 + 3 * SECOND))
    assert inst.state is State.FAULT  # the script still fails
    assert "(VI_1): tracked file tf leaving FAULT state" in logs(inst.pop_actions())


def test_initial_value_sets_startup_state_and_priority() -> None:
    faulty = VrrpInstance(make_params(trackers=(spec(0, value=3),)))
    faulty.handle(Startup(), T0)
    assert faulty.state is State.FAULT
    assert logs(faulty.pop_actions())[:2] == [
        "(VI_1): entering FAULT state (tracked file tf has status -254)",
        "(VI_1) entering FAULT state",  # keepalived 2.2.7: no "Entering FAULT STATE (init)"
    ]
    weighted = VrrpInstance(make_params(trackers=(spec(-10, value=2),)))
    assert weighted.effective_priority == 80
    weighted.handle(Startup(), T0)
    assert weighted.state is State.BACKUP


def test_file_tracker_without_value_takes_ok_as_zero() -> None:
    inst = master_with(spec(0))
    inst.handle(TrackerChanged(kind=TrackerKind.FILE, name="tf", ok=False), Ticks(T0 + SECOND))
    assert inst.state is State.FAULT
    inst.handle(TrackerChanged(kind=TrackerKind.FILE, name="tf", ok=True), Ticks(T0 + 2 * SECOND))
    assert inst.state is State.BACKUP


def test_owner_keeps_255_but_still_faults() -> None:
    inst = master_with(spec(-10), priority=255)
    inst.handle(TrackerChanged(kind=TrackerKind.FILE, name="tf", ok=False, value=3), Ticks(T0 + 5 * SECOND))
    assert inst.effective_priority == 255
    inst.handle(TrackerChanged(kind=TrackerKind.FILE, name="tf", ok=False, value=30), Ticks(T0 + 6 * SECOND))
    assert inst.state is State.FAULT
