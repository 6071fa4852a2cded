"""A starting instance waits in INIT for its weight-0 scripts' first results (keepalived 2.2.7).

keepalived logs nothing and notifies nothing until then; a first success enters BACKUP without
"(init)", a first failure enters FAULT without a line (the notify scripts hear FAULT). A weighted
script changes the priority during the wait but does not end it. Without `await_scripts` (a
reload, a respawn) the instance starts at once as before.
"""

from __future__ import annotations

from alived.core.vrrp.actions import Action, Log, RunNotify, SendAdvert
from alived.core.vrrp.inputs import MasterDownFired, Startup, TimerFired, TrackerChanged
from alived.core.vrrp.instance import VrrpInstance
from alived.core.vrrp.params import InitialState, TrackerSpec
from alived.core.vrrp.states import State
from alived.core.vrrp.tracker import TrackerKind
from alived.units import SECOND, Ticks
from tests.helpers.fakelan import make_params

T0 = Ticks(10 * SECOND)
CHK = TrackerSpec(kind=TrackerKind.SCRIPT, name="chk", awaited=True)
W = TrackerSpec(kind=TrackerKind.SCRIPT, name="w", weight=10, initially_ok=False)


def logs(actions: list[Action]) -> list[str]:
    return [a.text for a in actions if isinstance(a, Log)]


def notifies(actions: list[Action]) -> list[str]:
    return [a.state for a in actions if isinstance(a, RunNotify)]


def waiting(*trackers: TrackerSpec, **kw: object) -> VrrpInstance:
    inst = VrrpInstance(make_params(trackers=trackers, **kw))  # type: ignore[arg-type]
    inst.handle(Startup(await_scripts=True), T0)
    return inst


def script(name: str, ok: bool) -> TrackerChanged:
    return TrackerChanged(kind=TrackerKind.SCRIPT, name=name, ok=ok)


def test_a_starting_instance_waits_silently_for_its_weight_0_script() -> None:
    inst = waiting(CHK)
    assert inst.state is State.INIT
    assert inst.pop_actions() == []
    assert inst.next_deadline() is None
    # Nothing is due while it waits: no advert, no mastership, however long the script takes.
    inst.handle(TimerFired(), Ticks(T0 + 60 * SECOND))
    inst.handle(MasterDownFired(), Ticks(T0 + 60 * SECOND))
    assert inst.state is State.INIT
    assert not any(isinstance(a, SendAdvert) for a in inst.pop_actions())


def test_a_first_success_enters_backup_without_init_and_starts_the_down_timer() -> None:
    inst = waiting(CHK)
    now = Ticks(T0 + 5 * SECOND)
    inst.handle(script("chk", True), now)
    actions = inst.pop_actions()
    assert inst.state is State.BACKUP
    assert logs(actions) == ["(VI_1) Entering BACKUP STATE"]
    assert notifies(actions) == ["BACKUP"]
    assert inst.next_deadline() == now + 3_609_375


def test_a_first_failure_enters_fault_without_a_line_but_notifies_it() -> None:
    inst = waiting(CHK)
    inst.handle(script("chk", False), T0)
    actions = inst.pop_actions()
    assert inst.state is State.FAULT
    assert logs(actions) == []
    assert notifies(actions) == ["FAULT"]
    inst.handle(script("chk", True), Ticks(T0 + SECOND))
    assert inst.state is State.BACKUP
    assert logs(inst.pop_actions()) == ["(VI_1) Entering BACKUP STATE"]


def test_a_weighted_script_moves_the_priority_but_the_wait_goes_on() -> None:
    inst = waiting(CHK, W)
    inst.handle(script("w", True), T0)
    assert inst.state is State.INIT
    assert logs(inst.pop_actions()) == ["(VI_1) Changing effective priority from 100 to 110"]
    inst.handle(script("chk", True), T0)
    actions = inst.pop_actions()
    assert logs(actions) == ["(VI_1) Entering BACKUP STATE"]
    assert [a.priority for a in actions if isinstance(a, RunNotify)] == [110]


def test_every_awaited_script_must_answer_before_backup() -> None:
    other = TrackerSpec(kind=TrackerKind.SCRIPT, name="other", awaited=True)
    inst = waiting(CHK, other)
    inst.handle(script("chk", True), T0)
    assert inst.state is State.INIT
    inst.handle(script("other", True), T0)
    assert inst.state is State.BACKUP


def test_an_owner_goes_master_on_the_first_success() -> None:
    inst = waiting(CHK, priority=255, initial_state=InitialState.MASTER)
    assert inst.state is State.INIT
    inst.handle(script("chk", True), T0)
    assert inst.state is State.MASTER


def test_without_await_scripts_the_instance_starts_at_once() -> None:
    inst = VrrpInstance(make_params(trackers=(CHK,)))
    inst.handle(Startup(), T0)
    assert inst.state is State.BACKUP
    assert logs(inst.pop_actions()) == ["(VI_1) Entering BACKUP STATE (init)"]
