"""How a sync group starts, as keepalived 2.2.7 does (tests/netns/test_startup_sync_vs_keepalived.py).

A member awaiting a weight-0 script's first result holds every member in INIT, silent; the
result starts them together (success: the member enters BACKUP, the group syncs the others to
BACKUP; failure: the member's FAULT is notified, the group syncs to FAULT without a word from the
others). A group of address owners is MASTER from the start: each member is BACKUP, silent, for
1 us, then MASTER on its own, with no group line or notify. announce_start() notifies a group
starting in FAULT or BACKUP at the point the daemon chooses (before its members start).
"""

from __future__ import annotations

from ipaddress import IPv4Address

from alived.core.vrrp.actions import Log, RunNotify
from alived.core.vrrp.inputs import FaultRaised, NameStartFaults, Startup, TimerFired, TrackerChanged
from alived.core.vrrp.instance import VrrpInstance
from alived.core.vrrp.params import InitialState, TrackerSpec
from alived.core.vrrp.states import State
from alived.core.vrrp.sync_group import SyncGroup
from alived.core.vrrp.tracker import TrackerKind
from alived.units import SECOND, Ticks
from tests.helpers.fakelan import make_params

T0 = Ticks(10 * SECOND)
CHK = TrackerSpec(kind=TrackerKind.SCRIPT, name="chk", awaited=True)
OTHER = TrackerSpec(kind=TrackerKind.SCRIPT, name="other", awaited=True)


def members(
    one: tuple[TrackerSpec, ...] = (), two: tuple[TrackerSpec, ...] = (), **kw: object
) -> tuple[SyncGroup, VrrpInstance, VrrpInstance]:
    a = VrrpInstance(make_params("VI_1", vrid=1, trackers=one, **kw))  # type: ignore[arg-type]
    b = VrrpInstance(
        make_params(
            "VI_2",
            vrid=2,
            address="198.51.100.1",
            addresses=(IPv4Address("198.51.100.100"),),
            trackers=two,
            **kw,  # type: ignore[arg-type]
        )
    )
    return SyncGroup("G1", [a, b]), a, b


def start(g: SyncGroup, *, await_scripts: bool = True) -> None:
    for member in g.members:
        g.handle(member, Startup(await_scripts=await_scripts), T0)


def events(g: SyncGroup) -> list[str]:
    """Log lines and notifies, in order: 'VI_1 BACKUP' for a notify, the text for a line."""
    out = []
    for owner, action in g.pop_actions():
        if isinstance(action, RunNotify):
            out.append(f"{owner} {action.state}")
        elif isinstance(action, Log):
            out.append(action.text)
    return out


def script(name: str, ok: bool) -> TrackerChanged:
    return TrackerChanged(kind=TrackerKind.SCRIPT, name=name, ok=ok)


def test_every_member_waits_for_one_members_script() -> None:
    g, one, two = members(one=(CHK,))
    start(g)
    assert (one.state, two.state, g.state) == (State.INIT, State.INIT, State.INIT)
    assert events(g) == []
    assert g.next_deadline() is None


def test_a_first_success_brings_the_group_to_backup_in_keepalived_order() -> None:
    g, one, two = members(one=(CHK,))
    start(g)
    now = Ticks(T0 + 5 * SECOND)
    g.handle(one, script("chk", True), now)
    assert events(g) == [
        "(VI_1) Entering BACKUP STATE",
        "VI_1 BACKUP",
        "VRRP_Group(G1) Syncing instances to BACKUP state",
        "(VI_2) Entering BACKUP STATE",
        "VI_2 BACKUP",
        "G1 BACKUP",
    ]
    assert (one.state, two.state, g.state) == (State.BACKUP, State.BACKUP, State.BACKUP)
    # A full master-down interval (try_up_instance), not the one-interval quick start.
    assert g.next_deadline() == now + 3_609_375


def test_a_first_failure_faults_the_group_and_the_others_say_nothing() -> None:
    g, one, two = members(one=(CHK,))
    start(g)
    g.handle(one, script("chk", False), T0)
    assert events(g) == ["VI_1 FAULT", "VRRP_Group(G1) Syncing instances to FAULT state", "G1 FAULT"]
    assert (one.state, two.state, g.state) == (State.FAULT, State.FAULT, State.FAULT)
    # Recovering, the group goes BACKUP as after any fault.
    g.handle(one, script("chk", True), Ticks(T0 + SECOND))
    assert events(g) == [
        "(VI_1) Entering BACKUP STATE",
        "VI_1 BACKUP",
        "VRRP_Group(G1) Syncing instances to BACKUP state",
        "(VI_2) Entering BACKUP STATE",
        "VI_2 BACKUP",
        "G1 BACKUP",
    ]


def test_the_last_member_to_get_its_result_leads_the_group() -> None:
    g, one, two = members(one=(CHK,), two=(OTHER,))
    start(g)
    g.handle(one, script("chk", True), T0)
    assert events(g) == []
    assert one.state is State.INIT
    g.handle(two, script("other", True), T0)
    assert events(g)[:3] == [
        "(VI_2) Entering BACKUP STATE",
        "VI_2 BACKUP",
        "VRRP_Group(G1) Syncing instances to BACKUP state",
    ]
    assert one.state is State.BACKUP


def test_without_await_scripts_the_group_starts_at_once() -> None:
    g, one, two = members(one=(CHK,))
    start(g, await_scripts=False)
    assert (one.state, two.state, g.state) == (State.BACKUP, State.BACKUP, State.BACKUP)


def test_a_group_of_address_owners_is_master_from_the_start_and_never_syncs() -> None:
    g, one, two = members(priority=255, initial_state=InitialState.MASTER)
    assert g.state is State.MASTER
    start(g)
    assert (one.state, two.state) == (State.BACKUP, State.BACKUP)
    assert events(g) == []
    assert g.next_deadline() == T0 + 1
    g.handle_timer(Ticks(T0 + 1))
    assert (one.state, two.state, g.state) == (State.MASTER, State.MASTER, State.MASTER)
    assert events(g) == [
        "(VI_1) Receive advertisement timeout",
        "(VI_1) Entering MASTER STATE",
        "VI_1 MASTER",
        "(VI_2) Receive advertisement timeout",
        "(VI_2) Entering MASTER STATE",
        "VI_2 MASTER",
    ]


def test_a_group_of_owners_awaiting_a_script_waits_then_goes_master_together() -> None:
    g, one, two = members(one=(CHK,), priority=255, initial_state=InitialState.MASTER)
    start(g)
    assert (one.state, two.state, g.state) == (State.INIT, State.INIT, State.INIT)
    g.handle(one, script("chk", True), T0)
    assert events(g) == [
        "(VI_1) Entering MASTER STATE",
        "VI_1 MASTER",
        "VRRP_Group(G1) Syncing instances to MASTER state",
        "(VI_2) Entering MASTER STATE",
        "VI_2 MASTER",
        "G1 MASTER",
    ]
    assert (one.state, two.state, g.state) == (State.MASTER, State.MASTER, State.MASTER)


def test_a_held_start_fault_is_notified_by_announce_start_after_the_members() -> None:
    g, one, _ = members()
    one.handle(FaultRaised(reason="interface eth0 down"), T0)
    g.start_in_fault(announce=False)
    start(g)
    assert events(g) == [
        "(VI_1) entering FAULT state",
        "VI_1 FAULT",
        "(VI_2) entering FAULT state",
        "VI_2 FAULT",
    ]
    g.announce_start(await_scripts=True)
    assert events(g) == ["G1 FAULT"]


def test_announce_start_notifies_backup_before_the_members_start() -> None:
    g, _, _ = members()
    g.announce_start(await_scripts=True)
    start(g)
    assert events(g) == [
        "G1 BACKUP",
        "(VI_1) Entering BACKUP STATE (init)",
        "VI_1 BACKUP",
        "(VI_2) Entering BACKUP STATE (init)",
        "VI_2 BACKUP",
    ]


def test_announce_start_leaves_a_waiting_group_unnotified() -> None:
    g, _, _ = members(one=(CHK,))
    g.announce_start(await_scripts=True)
    start(g)
    assert events(g) == []


def test_name_start_faults_names_a_failing_file_once() -> None:
    spec = TrackerSpec(kind=TrackerKind.FILE, name="tf", initial_value=5)
    inst = VrrpInstance(make_params(trackers=(spec,)))
    inst.handle(NameStartFaults(), T0)
    named = [a.text for a in inst.pop_actions() if isinstance(a, Log)]
    assert named == ["(VI_1): entering FAULT state (tracked file tf has status -254)"]
    inst.handle(Startup(), T0)
    assert [a.text for a in inst.pop_actions() if isinstance(a, Log)] == ["(VI_1) entering FAULT state"]
    inst.handle(TimerFired(), Ticks(T0 + SECOND))
    assert inst.state is State.FAULT
