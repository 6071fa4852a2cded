"""SyncGroup: members move together; the rule table settles; the gate prefers BACKUP to thrashing."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from alived.core.vrrp.actions import Log, RunNotify
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


def test_member_wanting_master_starts_with_one_interval_plus_minimum_skew() -> None:
    one = VrrpInstance(make_params("VI_1", vrid=1, initial_state=InitialState.MASTER))
    two = VrrpInstance(make_params("VI_2", vrid=2, address="192.0.2.3"))
    g = SyncGroup("G1", [one, two])
    g.handle(one, Startup(), T0)
    assert one.next_deadline() == T0 + SECOND + skew_time_min(2, SECOND)


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
