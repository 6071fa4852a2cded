"""SyncGroup: members move together; the rule table settles; the gate prefers BACKUP to thrashing."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from alived.core.vrrp.actions import Log, RunNotify, SendAdvert
from alived.core.vrrp.inputs import (
    AdvertReceived,
    FaultCleared,
    FaultRaised,
    MasterDownFired,
    Shutdown,
    Startup,
    TimerFired,
)
from alived.core.vrrp.instance import VrrpInstance
from alived.core.vrrp.params import InitialState
from alived.core.vrrp.states import State
from alived.core.vrrp.sync_group import SYNC_RULES, SyncGroup
from alived.core.vrrp.timers import skew_time_min
from alived.errors import LocalMisuse
from alived.units import SECOND, Ticks
from tests.helpers.fakelan import advert_from, make_params, packet_from

T0 = Ticks(10 * SECOND)


def group(**kw: object) -> tuple[SyncGroup, VrrpInstance, VrrpInstance]:
    one = VrrpInstance(make_params("VI_1", vrid=1, **kw))  # type: ignore[arg-type]
    two = VrrpInstance(
        make_params("VI_2", vrid=2, address="198.51.100.1", addresses=(IPv4Address("198.51.100.100"),), **kw)  # type: ignore[arg-type]
    )
    g = SyncGroup("G1", [one, two])
    for member in (one, two):
        g.handle(member, Startup(), T0)
    return g, one, two


def group_events(g: SyncGroup) -> list[str]:
    out = []
    for owner, action in g.pop_actions():
        if owner == "G1" and isinstance(action, RunNotify):
            out.append(f"notify {action.state}")
        elif owner == "G1" and isinstance(action, Log):
            out.append(action.text)
    return out


def test_startup_reports_group_backup() -> None:
    g, one, two = group()
    assert g.state is State.BACKUP
    assert group_events(g) == ["notify BACKUP"]
    assert (one.state, two.state) == (State.BACKUP, State.BACKUP)


def test_the_group_is_notified_before_its_members_at_startup() -> None:
    g, _, _ = group()
    notifies = [(a.kind, a.name) for _, a in g.pop_actions() if isinstance(a, RunNotify)]
    # keepalived's vrrp_init_state notifies groups first.
    assert notifies == [("GROUP", "G1"), ("INSTANCE", "VI_1"), ("INSTANCE", "VI_2")]


def test_a_member_held_in_backup_still_logs_its_timeout() -> None:
    g, one, _ = group()
    g.pop_actions()
    g.handle(one, MasterDownFired(), Ticks(T0 + 4 * SECOND))
    assert one.state is State.BACKUP
    texts = [a.text for _, a in g.pop_actions() if isinstance(a, Log)]
    assert texts == ["(VI_1) Receive advertisement timeout"]


def test_a_master_member_the_group_faults_sends_priority_0_unlogged() -> None:
    g, one, two = group()
    g.handle_timer(Ticks(T0 + 10 * SECOND))
    assert g.state is State.MASTER
    g.pop_actions()
    g.handle(two, FaultRaised(reason="interface eth2 down"), Ticks(T0 + 11 * SECOND))
    actions = g.pop_actions()
    zeros = {n: [a for o, a in actions if o == n and isinstance(a, SendAdvert)] for n in ("VI_1", "VI_2")}
    texts = [a.text for _, a in actions if isinstance(a, Log)]
    assert len(zeros["VI_2"]) == 2 and len(zeros["VI_1"]) == 1  # the faulting one: two, as keepalived
    assert all(a.priority == 0 for a in zeros["VI_1"] + zeros["VI_2"])
    assert "(VI_2) sent 0 priority" in texts and "(VI_1) sent 0 priority" not in texts
    assert (one.stats["pri_zero_sent"], two.stats["pri_zero_sent"]) == (0, 1)


def test_equal_deadlines_fire_in_the_order_they_were_set() -> None:
    g, one, two = group()
    g.handle(two, FaultRaised(reason="interface eth2 down"), Ticks(T0 + SECOND))
    g.handle(two, FaultCleared(reason="interface eth2 down"), Ticks(T0 + 2 * SECOND))
    assert one.next_deadline() == two.next_deadline()  # VI_2 left FAULT, then brought VI_1 along
    g.pop_actions()
    g.handle_timer(Ticks(T0 + 10 * SECOND))
    texts = [a.text for _, a in g.pop_actions() if isinstance(a, Log)]
    assert texts[:4] == [
        "(VI_2) Receive advertisement timeout",  # held: VI_1 does not want MASTER yet
        "(VI_1) Receive advertisement timeout",
        "(VI_1) Entering MASTER STATE",
        "VRRP_Group(G1) Syncing instances to MASTER state",
    ]


def test_one_member_alone_may_not_become_master_until_all_want_it() -> None:
    g, one, two = group()
    g.pop_actions()
    g.handle(one, MasterDownFired(), Ticks(T0 + 4 * SECOND))
    assert one.state is State.BACKUP  # vetoed: VI_2 still hears its master
    assert one.wantstate is State.MASTER
    assert one.next_deadline() == T0 + 4 * SECOND + one.down_timer
    g.handle(two, MasterDownFired(), Ticks(T0 + 5 * SECOND))
    assert (one.state, two.state) == (State.MASTER, State.MASTER)
    assert group_events(g) == ["VRRP_Group(G1) Syncing instances to MASTER state", "notify MASTER"]


def test_backup_spreads_when_a_member_is_preempted() -> None:
    g, one, two = group()
    g.handle_timer(Ticks(T0 + 10 * SECOND))
    assert g.state is State.MASTER
    g.pop_actions()
    higher = packet_from("192.0.2.9", advert_from(one.params, priority=200))
    g.handle(one, AdvertReceived(packet=higher), Ticks(T0 + 11 * SECOND))
    assert (one.state, two.state) == (State.BACKUP, State.BACKUP)
    assert group_events(g) == ["VRRP_Group(G1) Syncing instances to BACKUP state", "notify BACKUP"]


def test_fault_spreads_and_clears_only_when_every_fault_is_gone() -> None:
    g, one, two = group()
    g.handle_timer(Ticks(T0 + 10 * SECOND))
    g.pop_actions()
    now = Ticks(T0 + 11 * SECOND)
    g.handle(two, FaultRaised(reason="if down"), now)
    assert (one.state, two.state) == (State.FAULT, State.FAULT)
    assert group_events(g) == ["VRRP_Group(G1) Syncing instances to FAULT state", "notify FAULT"]
    g.handle(one, FaultRaised(reason="other"), now)
    g.handle(two, FaultCleared(reason="if down"), now)
    assert (one.state, two.state) == (State.FAULT, State.FAULT)  # VI_1 still has its own fault
    g.handle(one, FaultCleared(reason="other"), now)
    assert (one.state, two.state) == (State.BACKUP, State.BACKUP)
    assert g.state is State.BACKUP


@pytest.mark.parametrize("two_state", [InitialState.BACKUP, InitialState.MASTER])
def test_a_member_not_owner_wanting_master_starts_as_a_backup(two_state: InitialState) -> None:
    # keepalived's vrrp_complete_init: in a group, `state MASTER` holds only if every member
    # is an address owner; otherwise each waits a full master-down interval.
    one = VrrpInstance(make_params("VI_1", vrid=1, initial_state=InitialState.MASTER))
    two = VrrpInstance(make_params("VI_2", vrid=2, address="192.0.2.3", initial_state=two_state))
    g = SyncGroup("G1", [one, two])
    assert one.wantstate is State.BACKUP and two.wantstate is State.BACKUP
    g.handle(one, Startup(), T0)
    assert one.next_deadline() == T0 + one.down_timer
    assert one.down_timer > SECOND + skew_time_min(2, SECOND)


def test_all_stopped_reports_group_stop() -> None:
    g, one, two = group()
    g.pop_actions()
    g.handle(one, Shutdown(), T0)
    g.handle(two, Shutdown(), T0)
    assert group_events(g) == ["notify STOP"]


def test_timer_fired_through_the_group() -> None:
    g, one, _ = group()
    deadline = g.next_deadline()
    assert deadline is not None
    g.handle(one, TimerFired(), deadline)
    assert one.state is State.BACKUP  # vetoed, timer re-armed
    assert g.next_deadline() is not None


def test_misuse() -> None:
    one = VrrpInstance(make_params("VI_1"))
    SyncGroup("G1", [one])
    with pytest.raises(LocalMisuse):
        SyncGroup("G2", [one])
    with pytest.raises(LocalMisuse):
        SyncGroup("G3", [])
    stranger = VrrpInstance(make_params("VI_9"))
    g = SyncGroup("G4", [VrrpInstance(make_params("VI_2"))])
    with pytest.raises(LocalMisuse):
        g.handle(stranger, Startup(), T0)
    with pytest.raises(LocalMisuse):
        g.member("nope")


def test_rules_have_distinct_names() -> None:
    assert len({r.name for r in SYNC_RULES}) == len(SYNC_RULES)


def test_a_group_starting_in_fault_starts_every_member_in_fault_then_notifies_itself() -> None:
    one = VrrpInstance(make_params("VI_1", vrid=1))
    two = VrrpInstance(make_params("VI_2", vrid=2, address="192.0.2.3"))
    g = SyncGroup("G1", [one, two])
    g.handle(two, FaultRaised(reason="interface eth2 down"), T0)
    g.start_in_fault()
    for member in (one, two):
        g.handle(member, Startup(), T0)
    actions = g.pop_actions()
    assert (one.state, two.state, g.state) == (State.FAULT, State.FAULT, State.FAULT)
    assert [a.text for _, a in actions if isinstance(a, Log)] == [
        "(VI_1) entering FAULT state",
        "(VI_2) entering FAULT state",
    ]
    notifies = [(a.name, a.state) for _, a in actions if isinstance(a, RunNotify)]
    assert notifies == [("VI_1", "FAULT"), ("VI_2", "FAULT"), ("G1", "FAULT")]
    g.handle(two, FaultCleared(reason="interface eth2 down"), Ticks(T0 + SECOND))
    assert (one.state, two.state, g.state) == (State.BACKUP, State.BACKUP, State.BACKUP)
