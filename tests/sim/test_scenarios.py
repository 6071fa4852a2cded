"""Worked VRRP scenarios: real VrrpInstance objects on a FakeLan with a virtual clock."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address

from alived.core.vrrp.actions import Log, RunNotify
from alived.core.vrrp.inputs import TrackerChanged
from alived.core.vrrp.params import TrackerSpec
from alived.core.vrrp.states import State
from alived.core.vrrp.timers import master_down_interval, skew_time
from alived.core.vrrp.tracker import TrackerKind
from alived.units import CENTISECOND, MILLISECOND, SECOND, Ticks
from tests.helpers.fakelan import FakeLan, make_params

MDI_100 = master_down_interval(2, 100, SECOND)


def two_nodes(lan: FakeLan, **b_kw: object) -> None:
    lan.add_router("a", [make_params(address="192.0.2.1", priority=150)])
    lan.add_router("b", [make_params(address="192.0.2.2", priority=100, **b_kw)])  # type: ignore[arg-type]


def test_two_node_hot_standby_and_notify_sequence() -> None:
    lan = FakeLan()
    lan.add_router("b", [make_params(address="192.0.2.2", priority=100)])
    lan.run_for(Ticks(5 * SECOND))
    assert lan.masters("VI_1") == ["b"]
    lan.add_router("a", [make_params(address="192.0.2.1", priority=150)])
    lan.run_for(Ticks(10 * SECOND))
    assert lan.masters("VI_1") == ["a"]
    assert lan.states("VI_1")["b"] is State.BACKUP
    lan.check_vip_invariant()
    lan.stop("a")
    lan.run_for(Ticks(2 * SECOND))
    assert lan.masters("VI_1") == ["b"]
    lan.stop("b")
    seq = [" ".join(n.notify_args()) for _, _, n in lan.notifies if n.kind == "INSTANCE"]
    # facts §3.5's observed two-node sequence (without the startup FAULT of a link not yet up)
    assert seq == [
        "INSTANCE VI_1 BACKUP 100",
        "INSTANCE VI_1 MASTER 100",
        "INSTANCE VI_1 BACKUP 150",
        "INSTANCE VI_1 MASTER 150",
        "INSTANCE VI_1 BACKUP 100",
        "INSTANCE VI_1 STOP 150",
        "INSTANCE VI_1 MASTER 100",
        "INSTANCE VI_1 STOP 100",
    ]


def test_higher_priority_joiner_preempts_after_discarding_lower_adverts() -> None:
    lan = FakeLan()
    lan.add_router("b", [make_params(address="192.0.2.2", priority=100)])
    lan.run_for(Ticks(5 * SECOND))
    joined = lan.now
    lan.add_router("a", [make_params(address="192.0.2.1", priority=150)])
    lan.run_for(Ticks(6 * SECOND))
    took = lan.first_transition(to="MASTER", after=joined)
    assert took is not None and took.router == "a"
    # a waits out its own down timer while discarding b's lower-priority adverts
    assert took.time - joined == master_down_interval(2, 150, SECOND)
    texts = [a.text for _, _, a in lan.routers["a"].trace if isinstance(a, Log)]
    assert "(VI_1) received lower priority (100) advert from 192.0.2.2 - discarding" in texts
    assert "(VI_1) Master received advert from 192.0.2.1 with higher priority 150, ours 100" in [
        a.text for _, _, a in lan.routers["b"].trace if isinstance(a, Log)
    ]


def test_split_brain_two_masters_then_recovery() -> None:
    lan = FakeLan()
    two_nodes(lan)
    lan.run_for(Ticks(6 * SECOND))
    assert lan.masters("VI_1") == ["a"]
    lan.drop_filter = lambda sender, receiver, advert: True
    cut = lan.now
    lan.run_for(Ticks(5 * SECOND))
    assert lan.masters("VI_1") == ["a", "b"]
    b_master = lan.first_transition(to="MASTER", after=cut)
    assert b_master is not None and b_master.time - cut <= MDI_100 + SECOND
    lan.drop_filter = None
    healed = lan.now
    lan.run_for(Ticks(SECOND + skew_time(2, 100, SECOND)))
    assert lan.masters("VI_1") == ["a"]
    back = lan.first_transition(to="BACKUP", after=healed)
    assert back is not None and back.router == "b"
    lan.check_vip_invariant()


def test_partition_and_heal() -> None:
    lan = FakeLan()
    two_nodes(lan)
    lan.add_router("c", [make_params(address="192.0.2.3", priority=50)])
    lan.run_for(Ticks(6 * SECOND))
    lan.partition(["a"], ["b", "c"])
    lan.run_for(Ticks(6 * SECOND))
    assert lan.masters("VI_1") == ["a", "b"]
    lan.heal()
    lan.run_for(Ticks(SECOND + 10 * MILLISECOND))
    assert lan.masters("VI_1") == ["a"]
    lan.check_vip_invariant()


def test_three_equal_priorities_highest_address_wins() -> None:
    lan = FakeLan()
    for last in (7, 9, 8):
        lan.add_router(f"r{last}", [make_params(address=f"192.0.2.{last}", priority=100)])
    lan.run_for(Ticks(6 * SECOND))
    assert lan.masters("VI_1") == ["r9"]
    lan.check_vip_invariant()


def test_nopreempt_keeps_the_lower_master() -> None:
    lan = FakeLan()
    lan.add_router("b", [make_params(address="192.0.2.2", priority=100)])
    lan.run_for(Ticks(5 * SECOND))
    lan.add_router("a", [make_params(address="192.0.2.1", priority=150, nopreempt=True)])
    lan.run_for(Ticks(20 * SECOND))
    assert lan.masters("VI_1") == ["b"]
    lan.crash("b")
    lan.run_for(Ticks(5 * SECOND))
    assert lan.masters("VI_1") == ["a"]


def test_preempt_delay_postpones_preemption() -> None:
    lan = FakeLan()
    lan.add_router("b", [make_params(address="192.0.2.2", priority=100)])
    lan.run_for(Ticks(5 * SECOND))
    joined = lan.now
    lan.add_router("a", [make_params(address="192.0.2.1", priority=150, preempt_delay=Ticks(10 * SECOND))])
    lan.run_for(Ticks(30 * SECOND))
    took = lan.first_transition(to="MASTER", after=joined)
    assert took is not None and took.router == "a"
    assert 10 * SECOND <= took.time - joined <= 10 * SECOND + 2 * master_down_interval(2, 150, SECOND)


def test_priority_zero_takeover_within_skew_time() -> None:
    lan = FakeLan(latency=Ticks(100))
    two_nodes(lan)
    lan.run_for(Ticks(6 * SECOND))
    stopped = lan.now
    lan.stop("a")
    lan.run_for(Ticks(2 * SECOND))
    took = lan.first_transition(to="MASTER", after=stopped)
    assert took is not None and took.router == "b"
    assert took.time - stopped == 100 + skew_time(2, 100, SECOND)


def test_crash_takeover_within_master_down_interval() -> None:
    lan = FakeLan()
    two_nodes(lan)
    lan.run_for(Ticks(6 * SECOND))
    crashed = lan.now
    lan.crash("a")
    lan.run_for(Ticks(5 * SECOND))
    took = lan.first_transition(to="MASTER", after=crashed)
    assert took is not None and took.router == "b"
    assert took.time - crashed <= MDI_100


def test_restart_of_the_preferred_router_takes_back_mastership() -> None:
    lan = FakeLan()
    two_nodes(lan)
    lan.run_for(Ticks(6 * SECOND))
    lan.crash("a")
    lan.run_for(Ticks(5 * SECOND))
    lan.restart("a")
    lan.run_for(Ticks(6 * SECOND))
    assert lan.masters("VI_1") == ["a"]
    lan.check_vip_invariant()


def test_tracker_lowers_priority_and_the_backup_takes_over() -> None:
    lan = FakeLan()
    lan.add_router(
        "a",
        [
            make_params(
                address="192.0.2.1",
                priority=150,
                trackers=(TrackerSpec(kind=TrackerKind.SCRIPT, name="chk", weight=-60),),
            )
        ],
    )
    lan.add_router("b", [make_params(address="192.0.2.2", priority=100)])
    lan.run_for(Ticks(6 * SECOND))
    assert lan.masters("VI_1") == ["a"]
    lan.feed("a", "VI_1", TrackerChanged(kind=TrackerKind.SCRIPT, name="chk", ok=False))
    lan.run_for(Ticks(6 * SECOND))
    assert lan.masters("VI_1") == ["b"]
    lan.feed("a", "VI_1", TrackerChanged(kind=TrackerKind.SCRIPT, name="chk", ok=True))
    lan.run_for(Ticks(6 * SECOND))
    assert lan.masters("VI_1") == ["a"]


def test_v3_ipv6_fast_adverts() -> None:
    lan = FakeLan(latency=Ticks(50))
    six = (IPv6Address("2001:db8::100"),)
    interval = Ticks(10 * CENTISECOND)
    for name, address, priority in (("a", "fe80::1", 200), ("b", "fe80::2", 100)):
        lan.add_router(
            name,
            [make_params(address=address, priority=priority, version=3, advert_int=interval, addresses=six)],
        )
    lan.run_for(Ticks(SECOND))
    assert lan.masters("VI_1") == ["a"]
    crashed = lan.now
    lan.crash("a")
    lan.run_for(Ticks(SECOND))
    took = lan.first_transition(to="MASTER", after=crashed)
    assert took is not None and took.time - crashed <= master_down_interval(3, 100, interval)


def test_unicast_peers() -> None:
    lan = FakeLan()
    a, b = IPv4Address("192.0.2.1"), IPv4Address("192.0.2.2")
    lan.add_router("a", [make_params(address=str(a), priority=150, unicast_peers=(b,))])
    b_params = make_params(address=str(b), priority=100, unicast_peers=(a,), check_unicast_src=True)
    lan.add_router("b", [b_params])
    lan.add_router("c", [make_params(address="192.0.2.3", priority=200)])  # not a peer: never hears them
    lan.run_for(Ticks(6 * SECOND))
    assert lan.masters("VI_1") == ["a", "c"]
    assert lan.routers["b"].instances["VI_1"].stats["advert_rcvd"] > 0


def test_lossy_lan_converges_to_one_master() -> None:
    lan = FakeLan(seed=7, loss=0.2, jitter=Ticks(5 * MILLISECOND), duplicate=0.2)
    two_nodes(lan)
    lan.add_router("c", [make_params(address="192.0.2.3", priority=120)])
    lan.run_for(Ticks(30 * SECOND))
    lan.loss = 0.0
    lan.run_for(Ticks(5 * SECOND))
    assert lan.masters("VI_1") == ["a"]
    lan.check_vip_invariant()


def _group_router(lan: FakeLan, name: str, last: int, priority: int) -> None:
    lan.add_router(
        name,
        [
            make_params("VI_1", address=f"192.0.2.{last}", priority=priority, vrid=51),
            make_params(
                "VI_2",
                address=f"198.51.100.{last}",
                priority=priority,
                vrid=52,
                addresses=(IPv4Address("198.51.100.100"),),
            ),
        ],
        sync_groups={"G1": ("VI_1", "VI_2")},
    )


def test_sync_group_fails_over_together() -> None:
    lan = FakeLan()
    _group_router(lan, "a", 1, 150)
    _group_router(lan, "b", 2, 100)
    lan.run_for(Ticks(6 * SECOND))
    assert lan.masters("VI_1") == lan.masters("VI_2") == ["a"]
    # a fault on one member of a's group takes the whole group to FAULT; b's group takes over
    from alived.core.vrrp.inputs import FaultCleared, FaultRaised

    lan.feed("a", "VI_2", FaultRaised(reason="interface eth1 down"))
    assert lan.states("VI_1")["a"] is State.FAULT
    lan.run_for(Ticks(2 * SECOND))
    assert lan.masters("VI_1") == lan.masters("VI_2") == ["b"]
    lan.check_vip_invariant()
    groups = [(n.name, n.state) for _, r, n in lan.notifies if n.kind == "GROUP" and r == "a"]
    assert groups[-1] == ("G1", "FAULT")
    texts = [a.text for _, _, a in lan.routers["b"].trace if isinstance(a, Log)]
    assert "VRRP_Group(G1) Syncing instances to MASTER state" in texts
    lan.feed("a", "VI_2", FaultCleared(reason="interface eth1 down"))
    lan.run_for(Ticks(6 * SECOND))
    assert lan.masters("VI_1") == lan.masters("VI_2") == ["a"]
    lan.crash("a")
    lan.run_for(Ticks(5 * SECOND))
    assert lan.masters("VI_1") == lan.masters("VI_2") == ["b"]
    lan.check_vip_invariant()


def test_sync_group_member_preempted_drags_the_other() -> None:
    lan = FakeLan()
    _group_router(lan, "b", 2, 100)
    lan.run_for(Ticks(5 * SECOND))
    assert lan.masters("VI_2") == ["b"]
    # a router with only VI_1, at a higher priority: b's VI_1 yields, and its group takes VI_2 along
    lan.add_router("a", [make_params("VI_1", address="192.0.2.1", priority=150)])
    lan.run_for(Ticks(6 * SECOND))
    assert lan.states("VI_1")["b"] is State.BACKUP
    assert lan.states("VI_2")["b"] is State.BACKUP
    notified = [n for _, r, n in lan.notifies if r == "b" and isinstance(n, RunNotify) and n.kind == "GROUP"]
    assert [n.state for n in notified][-1] == "BACKUP"


def test_over_real_bytes_with_pass_and_ah_authentication() -> None:
    for auth_type, key in ((1, b"secret12345"), (2, b"ahkey")):
        lan = FakeLan(wire=True)
        for name, last, priority in (("a", 1, 150), ("b", 2, 100)):
            lan.add_router(
                name,
                [
                    make_params(
                        address=f"192.0.2.{last}", priority=priority, auth_type=auth_type, auth_key=key
                    )
                ],
            )
        lan.run_for(Ticks(6 * SECOND))
        assert lan.masters("VI_1") == ["a"]
        stats = lan.routers["b"].instances["VI_1"].stats
        assert stats["advert_rcvd"] >= 2 and stats["auth_failure"] == 0
        stopped = lan.now
        lan.stop("a")
        lan.run_for(Ticks(SECOND))
        took = lan.first_transition(to="MASTER", after=stopped)
        assert took is not None and took.router == "b"


def test_over_real_bytes_v3_ipv6() -> None:
    lan = FakeLan(wire=True)
    six = (IPv6Address("2001:db8::100"),)
    for name, address, priority in (("a", "fe80::1", 200), ("b", "fe80::2", 100)):
        lan.add_router(name, [make_params(address=address, priority=priority, version=3, addresses=six)])
    lan.run_for(Ticks(6 * SECOND))
    assert lan.masters("VI_1") == ["a"]
    assert lan.routers["b"].instances["VI_1"].stats["advert_rcvd"] >= 2


def test_wrong_password_on_the_wire_gives_two_masters() -> None:
    lan = FakeLan(wire=True)
    lan.add_router("a", [make_params(address="192.0.2.1", priority=150, auth_type=1, auth_key=b"one")])
    lan.add_router("b", [make_params(address="192.0.2.2", priority=100, auth_type=1, auth_key=b"two")])
    lan.run_for(Ticks(6 * SECOND))
    assert lan.masters("VI_1") == ["a", "b"]
    assert lan.routers["b"].instances["VI_1"].stats["auth_failure"] >= 1


def test_ah_sequence_survives_a_master_restart() -> None:
    lan = FakeLan(wire=True)
    for name, last, priority in (("a", 1, 150), ("b", 2, 100)):
        lan.add_router(
            name, [make_params(address=f"192.0.2.{last}", priority=priority, auth_type=2, auth_key=b"k")]
        )
    lan.run_for(Ticks(6 * SECOND))
    lan.crash("a")
    lan.run_for(Ticks(10 * SECOND))
    assert lan.masters("VI_1") == ["b"]
    lan.restart("a")  # its counter restarts at 0, below what b has sent
    lan.run_for(Ticks(10 * SECOND))
    assert lan.masters("VI_1") == ["a"]
    assert lan.routers["b"].instances["VI_1"].stats["auth_failure"] == 0
    lan.check_vip_invariant()
