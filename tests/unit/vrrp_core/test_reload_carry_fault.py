"""A reload carrying an instance in FAULT over (Startup(carried=FAULT)), and a reloaded priority.

keepalived rebuilds the instance from the new file and keeps its FAULT state: it names its failing
tracked file again (initialise_tracking_priorities), logs no state line, runs no notify and writes no
FIFO line. With no fault cause left in the new file, the instance starts as a new one does.
"""

from __future__ import annotations

from alived.core.vrrp.actions import Action, Log, RunNotify, SendAdvert
from alived.core.vrrp.inputs import MasterDownFired, PriorityChanged, Startup
from alived.core.vrrp.instance import VrrpInstance
from alived.core.vrrp.params import TrackerSpec
from alived.core.vrrp.states import State
from alived.core.vrrp.tracker import TrackerKind
from alived.units import SECOND, Ticks
from tests.helpers.fakelan import make_params

T0 = Ticks(10 * SECOND)


def failing_file(value: int = 5) -> TrackerSpec:
    return TrackerSpec(kind=TrackerKind.FILE, name="tf", weight=0, initial_value=value)


def logs(actions: list[Action]) -> list[str]:
    return [a.text for a in actions if isinstance(a, Log)]


def test_a_carried_fault_stays_fault_naming_its_file_only() -> None:
    inst = VrrpInstance(make_params(trackers=(failing_file(),)))
    inst.handle(Startup(carried=State.FAULT), T0)
    actions = inst.pop_actions()
    assert inst.state is State.FAULT
    assert logs(actions) == ["(VI_1): entering FAULT state (tracked file tf has status -254)"]
    assert not [a for a in actions if isinstance(a, (RunNotify, SendAdvert))]


def test_a_fresh_start_with_the_same_fault_logs_and_notifies() -> None:
    inst = VrrpInstance(make_params(trackers=(failing_file(),)))
    inst.handle(Startup(), T0)
    actions = inst.pop_actions()
    assert "(VI_1) entering FAULT state" in logs(actions)
    assert any(isinstance(a, RunNotify) for a in actions)


def test_a_carried_fault_without_a_cause_starts_as_a_new_instance() -> None:
    inst = VrrpInstance(make_params(trackers=(failing_file(0),)))
    inst.handle(Startup(carried=State.FAULT), T0)
    assert inst.state is State.BACKUP
    assert logs(inst.pop_actions()) == ["(VI_1) Entering BACKUP STATE (init)"]


def test_a_reloaded_priority_is_taken_silently() -> None:
    # A sync group member keepalived rebuilt with a new priority: no line, no notify.
    inst = VrrpInstance(make_params(priority=150, notify_priority_changes=True))
    inst.handle(Startup(), T0)
    inst.handle(MasterDownFired(), Ticks(T0 + 4 * SECOND))
    inst.pop_actions()
    inst.handle(PriorityChanged(priority=120, reload=True), Ticks(T0 + 5 * SECOND))
    actions = inst.pop_actions()
    assert inst.effective_priority == 120
    assert not logs(actions)
    assert not [a for a in actions if isinstance(a, RunNotify)]
    inst.handle(PriorityChanged(priority=110), Ticks(T0 + 6 * SECOND))
    assert logs(inst.pop_actions()) == ["(VI_1) Changing effective priority from 120 to 110"]
