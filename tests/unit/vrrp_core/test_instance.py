"""VrrpInstance driven directly: startup, elections, ordering contracts, validation, faults, trackers."""

from __future__ import annotations

from dataclasses import replace
from ipaddress import IPv4Address

import pytest

from alived.core.vrrp.actions import (
    Action,
    InstallRoutes,
    InstallVips,
    Log,
    RemoveRoutes,
    RemoveVips,
    RunNotify,
    SendAdvert,
    SendGratuitous,
    StateChanged,
)
from alived.core.vrrp.auth import check_pass, pass_field
from alived.core.vrrp.inputs import (
    AdverTimerFired,
    AdvertReceived,
    FaultCleared,
    FaultRaised,
    MasterDownFired,
    PriorityChanged,
    Shutdown,
    Startup,
    TimerFired,
    TrackerChanged,
)
from alived.core.vrrp.instance import VrrpInstance
from alived.core.vrrp.params import GarpParams, InitialState, TrackerSpec
from alived.core.vrrp.states import State
from alived.core.vrrp.tracker import TrackerKind
from alived.core.vrrp.wire import AUTH_AH, AUTH_PASS, AhHeader, ReceivedPacket
from alived.errors import DecodeError, LocalMisuse
from alived.notify.fifo import fifo_line
from alived.units import CENTISECOND, SECOND, Ticks
from tests.helpers.fakelan import VIP, advert_from, make_params, packet_from

T0 = Ticks(10 * SECOND)


def kinds(actions: list[Action]) -> list[str]:
    return [type(a).__name__ for a in actions]


def logs(actions: list[Action]) -> list[str]:
    return [a.text for a in actions if isinstance(a, Log)]


def started(**kw: object) -> VrrpInstance:
    """Started, with the startup actions still queued."""
    inst = VrrpInstance(make_params(**kw))  # type: ignore[arg-type]
    inst.handle(Startup(), T0)
    return inst


def backup(**kw: object) -> VrrpInstance:
    inst = started(**kw)
    inst.pop_actions()
    return inst


def master(**kw: object) -> VrrpInstance:
    inst = started(**kw)
    inst.handle(MasterDownFired(), Ticks(T0 + 4 * SECOND))
    assert inst.state is State.MASTER
    inst.pop_actions()
    return inst


def rx(inst: VrrpInstance, source: str, priority: int, now: Ticks, **changes: object) -> list[Action]:
    inst.handle(
        AdvertReceived(packet=packet_from(source, advert_from(inst.params, priority=priority, **changes))),
        now,
    )
    return inst.pop_actions()


# ---- startup -----------------------------------------------------------------------------------


def test_startup_enters_backup_and_waits_master_down_interval() -> None:
    inst = started()
    actions = inst.pop_actions()
    assert logs(actions) == ["(VI_1) Entering BACKUP STATE (init)"]
    assert actions[0] == StateChanged(name="VI_1", old="INIT", new="BACKUP", reason="init")
    assert RunNotify(kind="INSTANCE", name="VI_1", state="BACKUP", priority=100) in actions
    assert inst.next_deadline() == T0 + 3_609_375


def test_non_owner_configured_master_still_starts_backup() -> None:
    inst = started(initial_state=InitialState.MASTER, priority=200)
    assert inst.state is State.BACKUP
    assert inst.next_deadline() == T0 + 3 * SECOND + (56 * SECOND) // 256


def test_owner_with_state_master_is_master_after_a_1us_silent_backup() -> None:
    # keepalived's vrrp_init_state: BACKUP without a line or notify, master-down timer 1 us.
    inst = started(priority=255, initial_state=InitialState.MASTER)
    assert inst.state is State.BACKUP
    assert kinds(inst.pop_actions()) == ["StateChanged"]
    assert inst.next_deadline() == T0 + 1
    inst.handle(TimerFired(), Ticks(T0 + 1))
    assert inst.state is State.MASTER
    actions = inst.pop_actions()
    assert [a.text for a in actions if isinstance(a, Log)][:2] == [
        "(VI_1) Receive advertisement timeout",
        "(VI_1) Entering MASTER STATE",
    ]
    assert [a.state for a in actions if isinstance(a, RunNotify)] == ["MASTER"]
    assert inst.next_deadline() == T0 + 1 + SECOND


def test_startup_with_a_fault_enters_fault_init() -> None:
    inst = VrrpInstance(make_params())
    inst.handle(FaultRaised(reason="interface veth1 down"), T0)
    inst.handle(Startup(), T0)
    assert inst.state is State.FAULT
    actions = inst.pop_actions()
    # keepalived 2.2.7, link down at start: already FAULT before vrrp_init_state, no "(init)" line.
    assert logs(actions) == ["(VI_1) entering FAULT state"]
    assert RunNotify(kind="INSTANCE", name="VI_1", state="FAULT", priority=100) in actions
    assert inst.next_deadline() is None


def test_startup_twice_is_our_bug() -> None:
    inst = started()
    with pytest.raises(LocalMisuse):
        inst.handle(Startup(), T0)


# ---- becoming and leaving MASTER: the ordering contract ---------------------------------------


def test_becoming_master_order_advert_vips_routes_garp_notify() -> None:
    inst = started(virtual_routes=("r1",), excluded_addresses=(IPv4Address("198.51.100.7"),))
    inst.pop_actions()
    inst.handle(TimerFired(), Ticks(T0 + 3_609_375))
    actions = inst.pop_actions()
    order = [k for k in kinds(actions) if k != "Log"]
    assert order == [
        "SendAdvert",
        "StateChanged",
        "InstallVips",
        "InstallRoutes",
        "SendGratuitous",
        "RunNotify",
    ]
    assert "(VI_1) Entering MASTER STATE" in logs(actions)
    vips = next(a for a in actions if isinstance(a, InstallVips))
    assert vips.addresses == (VIP,) and vips.excluded == (IPv4Address("198.51.100.7"),)
    garp = next(a for a in actions if isinstance(a, SendGratuitous))
    assert garp.repeat == 5 and garp.reason == "master"
    assert isinstance(actions[-1], RunNotify) and actions[-1].state == "MASTER"
    assert inst.stats["become_master"] == 1


def test_garp_delayed_burst_and_refresh() -> None:
    garp = GarpParams(master_delay=Ticks(2 * SECOND), master_repeat=3, master_refresh=Ticks(10 * SECOND))
    inst = started(garp=garp)
    became = Ticks(T0 + 3_609_375)
    inst.handle(MasterDownFired(), became)
    inst.pop_actions()
    seen: list[tuple[int, str, int]] = []
    now = became
    while now < became + 25 * SECOND:
        deadline = inst.next_deadline()
        assert deadline is not None
        now = deadline
        inst.handle(TimerFired(), now)
        seen += [
            (now - became, a.reason, a.repeat) for a in inst.pop_actions() if isinstance(a, SendGratuitous)
        ]
    assert seen[:3] == [(2 * SECOND, "delayed", 3), (12 * SECOND, "refresh", 1), (22 * SECOND, "refresh", 1)]


def test_garp_extra_if_sends_one_garp_each_interval_for_the_extra_addresses_while_master() -> None:
    """keepalived 2.2.7 (`garp_extra_if all 3`): one GARP every 3 s from becoming master, whatever
    garp_master_repeat and garp_master_refresh_repeat say."""
    extra = (IPv4Address("198.51.100.100"),)
    garp = GarpParams(
        master_delay=Ticks(5 * SECOND),
        master_repeat=3,
        extra_interval=Ticks(3 * SECOND),
        extra_addresses=extra,
    )
    inst = started(garp=garp)
    became = Ticks(T0 + 3_609_375)
    inst.handle(MasterDownFired(), became)
    inst.pop_actions()
    seen: list[tuple[int, str, int, tuple[object, ...]]] = []
    now = became
    while now < became + 10 * SECOND:
        deadline = inst.next_deadline()
        assert deadline is not None
        now = deadline
        inst.handle(TimerFired(), now)
        seen += [
            (now - became, a.reason, a.repeat, a.addresses)
            for a in inst.pop_actions()
            if isinstance(a, SendGratuitous)
        ]
    assert [x for x in seen if x[1] == "extra_if"][:3] == [
        (3 * SECOND, "extra_if", 1, extra),
        (6 * SECOND, "extra_if", 1, extra),
        (9 * SECOND, "extra_if", 1, extra),
    ]
    rx(inst, "192.0.2.9", 200, now)  # a higher priority master: back to BACKUP, no more extra GARPs
    assert inst.state is State.BACKUP
    inst.handle(TimerFired(), Ticks(now + 3 * SECOND))
    assert not [a for a in inst.pop_actions() if isinstance(a, SendGratuitous)]


def test_master_sends_advert_every_interval() -> None:
    inst = master()
    now = inst.next_deadline()
    assert now is not None
    inst.handle(TimerFired(), now)
    actions = inst.pop_actions()
    assert kinds(actions) == ["SendAdvert"]
    assert inst.next_deadline() == now + SECOND


def test_shutdown_of_master_sends_priority_zero_before_removing_vips_then_notifies_stop() -> None:
    inst = master(virtual_routes=("r",))
    inst.handle(Shutdown(), Ticks(T0 + 5 * SECOND))
    actions = inst.pop_actions()
    order = [k for k in kinds(actions) if k != "Log"]
    assert order == ["SendAdvert", "RemoveRoutes", "RemoveVips", "StateChanged", "RunNotify"]
    assert isinstance(actions[0], SendAdvert) and actions[0].priority == 0
    assert actions[-1] == RunNotify(kind="INSTANCE", name="VI_1", state="STOP", priority=100)
    assert inst.next_deadline() is None
    assert inst.stats["pri_zero_sent"] == 1
    inst.handle(Shutdown(), Ticks(T0 + 6 * SECOND))  # idempotent
    assert inst.pop_actions() == []


def test_shutdown_of_backup_sends_nothing_but_notifies_stop() -> None:
    inst = started()
    inst.pop_actions()
    inst.handle(Shutdown(), T0)
    assert [k for k in kinds(inst.pop_actions()) if k != "Log"] == ["StateChanged", "RunNotify"]


def test_fault_from_master_priority_zero_first_then_no_vips_no_adverts() -> None:
    inst = master()
    inst.handle(FaultRaised(reason="interface veth0 down"), Ticks(T0 + 5 * SECOND))
    actions = inst.pop_actions()
    order = [k for k in kinds(actions) if k != "Log"]
    # keepalived sends two priority 0 adverts (leave_master's, then restore_interface's), logs one.
    assert order == ["SendAdvert", "SendAdvert", "RemoveVips", "StateChanged", "RunNotify"]
    assert all(a.priority == 0 for a in actions if isinstance(a, SendAdvert))
    assert logs(actions) == ["(VI_1) Entering FAULT STATE", "(VI_1) sent 0 priority"]
    assert inst.stats["pri_zero_sent"] == 1
    assert inst.next_deadline() is None
    # adverts are ignored in FAULT (counted)
    assert rx(inst, "192.0.2.9", 200, Ticks(T0 + 6 * SECOND)) == []
    assert inst.stats["dropped_in_state"] == 1
    inst.handle(FaultCleared(reason="interface veth0 down"), Ticks(T0 + 7 * SECOND))
    actions = inst.pop_actions()
    assert inst.state is State.BACKUP
    assert "(VI_1) Entering BACKUP STATE" in logs(actions)
    assert inst.next_deadline() == T0 + 7 * SECOND + 3_609_375


def test_fault_needs_every_reason_cleared() -> None:
    inst = started()
    inst.handle(FaultRaised(reason="a"), T0)
    inst.handle(FaultRaised(reason="b"), T0)
    inst.handle(FaultCleared(reason="a"), T0)
    assert inst.state is State.FAULT
    inst.handle(FaultCleared(reason="b"), T0)
    assert inst.state is State.BACKUP


def test_owner_leaving_fault_goes_straight_to_master() -> None:
    inst = started(priority=255, initial_state=InitialState.MASTER)
    inst.handle(FaultRaised(reason="x"), T0)
    inst.handle(FaultCleared(reason="x"), Ticks(T0 + SECOND))
    assert inst.state is State.MASTER


# ---- BACKUP receiving adverts -------------------------------------------------------------------


def test_backup_accepts_higher_priority_and_resets_down_timer() -> None:
    inst = started()
    now = Ticks(T0 + 2 * SECOND)
    rx(inst, "192.0.2.9", 150, now)
    assert inst.next_deadline() == now + 3_609_375
    assert inst.master_address == IPv4Address("192.0.2.9")


def test_backup_discards_lower_priority_and_keeps_timer() -> None:
    inst = backup()
    before = inst.next_deadline()
    actions = rx(inst, "192.0.2.9", 50, Ticks(T0 + SECOND))
    assert logs(actions) == ["(VI_1) received lower priority (50) advert from 192.0.2.9 - discarding"]
    assert inst.next_deadline() == before


def test_nopreempt_backup_accepts_lower_priority() -> None:
    inst = started(nopreempt=True)
    now = Ticks(T0 + SECOND)
    rx(inst, "192.0.2.9", 50, now)
    assert inst.next_deadline() == now + 3_609_375


def test_priority_zero_sets_down_timer_to_skew() -> None:
    inst = started()
    now = Ticks(T0 + SECOND)
    rx(inst, "192.0.2.9", 0, now)
    assert inst.next_deadline() == now + 609_375
    assert inst.stats["pri_zero_rcvd"] == 1


def test_preempt_delay_holds_backup_then_lets_it_preempt() -> None:
    inst = started(preempt_delay=Ticks(5 * SECOND))
    first = Ticks(T0 + SECOND)
    rx(inst, "192.0.2.9", 50, first)  # starts the preempt delay, accepted
    assert inst.next_deadline() == first + 3_609_375
    rx(inst, "192.0.2.9", 50, Ticks(first + 4 * SECOND))  # still in the delay: accepted
    held = inst.next_deadline()
    actions = rx(inst, "192.0.2.9", 50, Ticks(first + 6 * SECOND))  # delay over: discarded
    assert "discarding" in logs(actions)[0]
    assert inst.next_deadline() == held


def test_preempt_delay_start_and_stop_are_logged_as_keepalived_logs_them() -> None:
    inst = started(preempt_delay=Ticks(3 * SECOND + 250_000))
    inst.pop_actions()
    assert logs(rx(inst, "192.0.2.9", 50, Ticks(T0 + SECOND))) == ["(VI_1) start preempt delay (3.250000)"]
    assert logs(rx(inst, "192.0.2.9", 50, Ticks(T0 + 2 * SECOND))) == []  # already running
    assert logs(rx(inst, "192.0.2.9", 200, Ticks(T0 + 3 * SECOND))) == ["(VI_1) stop preempt delay"]
    assert logs(rx(inst, "192.0.2.9", 200, Ticks(T0 + 4 * SECOND))) == []


def test_v3_backup_adopts_master_interval() -> None:
    inst = started(version=3, advert_int=SECOND)
    now = Ticks(T0 + SECOND)
    rx(inst, "192.0.2.9", 150, now, adver_int=50)
    assert inst.master_adver_int == 50 * CENTISECOND
    assert inst.next_deadline() == now + 3 * 50 * CENTISECOND + (156 * 50 * 625) // 16


def test_effective_priority_change_shifts_backup_down_timer() -> None:
    inst = backup(trackers=(TrackerSpec(kind=TrackerKind.SCRIPT, name="chk", weight=-60),))
    before = inst.next_deadline()
    assert before is not None
    inst.handle(TrackerChanged(kind=TrackerKind.SCRIPT, name="chk", ok=False), Ticks(T0 + SECOND))
    actions = inst.pop_actions()
    assert logs(actions) == ["(VI_1) Changing effective priority from 100 to 40"]
    assert inst.effective_priority == 40
    assert inst.next_deadline() == before + 843_750 - 609_375  # the skew grew with the lower priority


# ---- MASTER receiving adverts -------------------------------------------------------------------


def test_master_yields_to_higher_priority() -> None:
    inst = master()
    now = Ticks(T0 + 5 * SECOND)
    actions = rx(inst, "192.0.2.9", 150, now)
    assert "(VI_1) Master received advert from 192.0.2.9 with higher priority 150, ours 100" in logs(actions)
    assert "(VI_1) Entering BACKUP STATE" in logs(actions)
    assert [k for k in kinds(actions) if k != "Log"] == ["RemoveVips", "StateChanged", "RunNotify"]
    assert inst.next_deadline() == now + 3_609_375


def test_leaving_master_names_the_new_state_before_letting_the_addresses_go() -> None:
    # keepalived 2.2.7 (vrrp_state_leave_master): "(VI_1) Entering BACKUP STATE", then "removing VIPs."
    # (the action runner logs that line as it removes them); for FAULT also before priority 0.
    for event, entering, first_action in (
        (None, "(VI_1) Entering BACKUP STATE", RemoveVips),
        (FaultRaised(reason="interface veth0 down"), "(VI_1) Entering FAULT STATE", SendAdvert),
    ):
        inst = master()
        now = Ticks(T0 + 5 * SECOND)
        if event is None:
            actions = rx(inst, "192.0.2.9", 150, now)
        else:
            inst.handle(event, now)
            actions = inst.pop_actions()
        announced = next(i for i, a in enumerate(actions) if isinstance(a, Log) and a.text == entering)
        released = next(i for i, a in enumerate(actions) if isinstance(a, first_action))
        assert announced < released, kinds(actions)
        assert logs(actions).count(entering) == 1


def test_master_yields_to_equal_priority_with_higher_address_only() -> None:
    inst = master(address="192.0.2.5")
    rx(inst, "192.0.2.4", 100, Ticks(T0 + 5 * SECOND))
    assert inst.state is State.MASTER
    actions = rx(inst, "192.0.2.6", 100, Ticks(T0 + 5 * SECOND))
    assert inst.state is State.BACKUP
    assert (
        "(VI_1) Master received advert from 192.0.2.6 with same priority 100 but higher IP address than ours"
        in logs(actions)
    )


def test_master_answers_lower_priority_and_forces_election() -> None:
    inst = master(garp=GarpParams(lower_prio_repeat=2, lower_prio_delay=Ticks(SECOND)))
    now = Ticks(T0 + 5 * SECOND + 300_000)
    actions = rx(inst, "192.0.2.9", 50, now)
    assert logs(actions) == [
        "(VI_1) Received advert from 192.0.2.9 with lower priority 50, ours 100, forcing new election"
    ]
    assert kinds(actions) == ["Log", "SendAdvert", "SendGratuitous", "RunNotify"]
    assert isinstance(actions[-1], RunNotify) and actions[-1].state == "MASTER_RX_LOWER_PRI"
    assert inst.next_deadline() == now + SECOND
    inst.handle(TimerFired(), Ticks(now + SECOND))
    assert [a.reason for a in inst.pop_actions() if isinstance(a, SendGratuitous)] == ["lower_prio"]


def test_lower_prio_no_advert_stays_silent() -> None:
    inst = master(lower_prio_no_advert=True)
    before = inst.next_deadline()
    actions = rx(inst, "192.0.2.9", 50, Ticks(T0 + 5 * SECOND))
    assert "SendAdvert" not in kinds(actions)
    assert logs(actions) == ["(VI_1) Received advert from 192.0.2.9 with lower priority 50, ours 100"]
    assert inst.next_deadline() == before


def test_higher_prio_send_advert_sends_before_yielding() -> None:
    inst = master(higher_prio_send_advert=True)
    actions = rx(inst, "192.0.2.9", 150, Ticks(T0 + 5 * SECOND))
    assert kinds(actions)[0] == "SendAdvert"
    assert inst.state is State.BACKUP


def test_master_answers_priority_zero_with_an_advert() -> None:
    inst = master()
    actions = rx(inst, "192.0.2.9", 0, Ticks(T0 + 5 * SECOND))
    assert [k for k in kinds(actions) if k != "Log"] == ["SendAdvert"]
    assert inst.state is State.MASTER


def test_strict_mode_forces_lower_prio_no_advert() -> None:
    inst = master(strict_mode=True)
    assert "SendAdvert" not in kinds(rx(inst, "192.0.2.9", 50, Ticks(T0 + 5 * SECOND)))


def test_owner_ignore_adverts() -> None:
    inst = started(priority=255, initial_state=InitialState.MASTER, owner_ignore_adverts=True)
    inst.handle(TimerFired(), Ticks(T0 + 1))
    inst.pop_actions()
    rx(
        inst,
        "192.0.2.9",
        255,
        Ticks(T0 + SECOND),
    )
    assert inst.state is State.MASTER
    assert inst.stats["owner_ignored"] == 1


# ---- validation: each failure counted, none moves state or deadlines ---------------------------


def _invalid_cases() -> list[tuple[str, dict[str, object], str]]:
    return [
        ("ttl", {"ttl": 64}, "ip_ttl_err"),
        ("vrid", {"vrid": 52}, "vrid_mismatch"),
        ("version", {"version": 3}, "vers_err"),
        ("interval", {"adver_int": 2}, "advert_interval_err"),
        ("auth type", {"auth_type": 1}, "authtype_mismatch"),
        ("bad auth type", {"auth_type": 7}, "invalid_authtype"),
        ("unicast", {"destination": IPv4Address("192.0.2.1")}, "addr_list_err"),
    ]


@pytest.mark.parametrize(("label", "change", "stat"), _invalid_cases(), ids=[c[0] for c in _invalid_cases()])
@pytest.mark.parametrize("in_master", [False, True])
def test_invalid_packets_are_counted_and_change_nothing(
    label: str, change: dict[str, object], stat: str, in_master: bool
) -> None:
    del label
    inst = master() if in_master else started()
    inst.pop_actions()
    state, deadline = inst.state, inst.next_deadline()
    change = dict(change)
    ttl = change.pop("ttl", 255)
    destination = change.pop("destination", None)
    advert = advert_from(inst.params, priority=200, **change)
    packet = packet_from("192.0.2.9", advert, ttl=ttl, destination=destination)  # type: ignore[arg-type]
    inst.handle(AdvertReceived(packet=packet), Ticks(T0 + 5 * SECOND))
    assert inst.stats[stat] == 1
    assert inst.stats["advert_rcvd"] == 0
    assert (inst.state, inst.next_deadline()) == (state, deadline)
    assert not [a for a in inst.pop_actions() if not isinstance(a, Log)]


def test_password_is_checked() -> None:
    inst = started(auth_type=AUTH_PASS, auth_key=b"secret12345")
    good = advert_from(inst.params, priority=200)
    assert good.auth_data == b"secret12" == pass_field(b"secret12345")
    assert check_pass(good, b"secret12")
    bad = advert_from(inst.params, priority=200, auth_data=b"secret13")
    deadline = inst.next_deadline()
    inst.handle(AdvertReceived(packet=packet_from("192.0.2.9", bad)), Ticks(T0 + SECOND))
    assert inst.stats["auth_failure"] == 1
    assert inst.next_deadline() == deadline
    assert "(VI_1) received an invalid passwd from 192.0.2.9!" in logs(inst.pop_actions())
    inst.handle(AdvertReceived(packet=packet_from("192.0.2.9", good)), Ticks(T0 + SECOND))
    assert inst.stats["advert_rcvd"] == 1


def test_ah_uses_the_injected_verifier() -> None:
    calls: list[ReceivedPacket] = []

    def verifier(packet: ReceivedPacket, key: bytes, unicast: bool) -> bool:
        calls.append(packet)
        return packet.ah is not None and packet.ah.icv == b"ok" and key == b"k" and not unicast

    inst = VrrpInstance(make_params(auth_type=AUTH_AH, auth_key=b"k"), ah_verifier=verifier)
    inst.handle(Startup(), T0)
    advert = advert_from(inst.params, priority=200)
    ah = AhHeader(next_header=112, payload_len=4, spi=1, seq=1, icv=b"ok")
    inst.handle(AdvertReceived(packet=packet_from("192.0.2.9", advert)), T0)
    assert inst.stats["authtype_mismatch"] == 1  # no AH header at all
    inst.handle(AdvertReceived(packet=packet_from("192.0.2.9", advert, ah=replace(ah, icv=b"no"))), T0)
    assert inst.stats["auth_failure"] == 1
    inst.handle(AdvertReceived(packet=packet_from("192.0.2.9", advert, ah=replace(ah, seq=7))), T0)
    assert inst.stats["advert_rcvd"] == 1
    assert len(calls) == 2
    inst.handle(AdvertReceived(packet=packet_from("192.0.2.9", advert, ah=replace(ah, seq=7))), T0)
    assert inst.stats["auth_failure"] == 2  # a replay
    assert (
        "IPSEC-AH : sequence number 7 already processed. Packet dropped. Local(7)"
        in logs(inst.pop_actions())[-1]
    )
    inst.handle(MasterDownFired(), Ticks(T0 + 10 * SECOND))
    sent = [a for a in inst.pop_actions() if isinstance(a, SendAdvert)]
    assert sent[0].ah_seq == 8 and sent[0].advert.auth_type == AUTH_AH  # continues the VRID's sequence


def test_address_list_mismatch_is_counted_but_accepted() -> None:
    inst = started()
    now = Ticks(T0 + SECOND)
    actions = rx(inst, "192.0.2.9", 150, now, addresses=(IPv4Address("192.0.2.200"),))
    assert inst.stats["addr_list_err"] == 1
    assert inst.next_deadline() == now + 3_609_375
    assert (
        "(VI_1) ip address associated with VRID 51 not present in advert from 192.0.2.9: 192.0.2.100"
        in logs(actions)
    )
    rx(inst, "192.0.2.9", 150, now, addresses=())
    assert inst.stats["addr_list_err"] == 2


def test_unicast_skips_ttl_and_can_check_the_source() -> None:
    peer = IPv4Address("192.0.2.9")
    inst = started(unicast_peers=(peer,), check_unicast_src=True)
    advert = advert_from(inst.params, priority=200)
    inst.handle(
        AdvertReceived(packet=packet_from("192.0.2.9", advert, ttl=64, destination=IPv4Address("192.0.2.1"))),
        T0,
    )
    assert inst.stats["advert_rcvd"] == 1
    inst.handle(
        AdvertReceived(packet=packet_from("192.0.2.8", advert, destination=IPv4Address("192.0.2.1"))), T0
    )
    assert inst.stats["unicast_src_err"] == 1


def test_v3_interval_mismatch_is_logged_once_and_accepted() -> None:
    inst = backup(version=3)
    a = rx(inst, "192.0.2.9", 150, T0, adver_int=200)
    rx(inst, "192.0.2.9", 150, T0, adver_int=200)  # keepalived re-arms its log flag on a new master
    b = rx(inst, "192.0.2.9", 150, T0, adver_int=200)
    assert inst.stats["advert_rcvd"] == 3
    assert logs(a) == ["(VI_1) advertisement interval mismatch ours = 100 centi-sec rcv'd=200 centi-sec"]
    assert logs(b) == []


def test_decode_errors_are_counted() -> None:
    inst = started()
    inst.pop_actions()
    inst.note_decode_error(DecodeError("short", "6 bytes"))
    inst.note_decode_error(DecodeError("bad_type", "type 2"))
    inst.note_decode_error(DecodeError("bad_checksum"))
    inst.note_decode_error(DecodeError("ttl", "TTL 1 on a multicast advert"))
    inst.note_decode_error(DecodeError("bad_version", "version 4"))
    assert inst.stats["packet_len_err"] == 1
    assert inst.stats["invalid_type_rcvd"] == 1
    assert inst.stats["chk_err"] == 1
    assert inst.stats["ip_ttl_err"] == 1
    assert inst.stats["vers_err"] == 1
    assert sum(inst.stats.snapshot().values()) == 5
    # each kind is logged once, naming the instance
    texts = [a.text for a in inst.pop_actions() if isinstance(a, Log)]
    assert len(texts) == 5 and all(t.startswith("(VI_1) dropped a malformed VRRP packet") for t in texts)


def test_a_counter_outside_the_table_is_refused() -> None:
    inst = started()
    with pytest.raises(KeyError):
        inst.stats.bump("decode_bad_checksum")


# ---- trackers and priority -----------------------------------------------------------------------


def test_weight_zero_tracker_faults_and_recovers() -> None:
    specs = (
        TrackerSpec(kind=TrackerKind.BFD, name="chk"),  # no keepalived wording yet: the reason itself
        TrackerSpec(kind=TrackerKind.SCRIPT, name="chk_nginx"),
        TrackerSpec(kind=TrackerKind.INTERFACE, name="eth1"),
    )
    inst = master(trackers=specs)
    inst.handle(TrackerChanged(kind=TrackerKind.BFD, name="chk", ok=False), Ticks(T0 + 5 * SECOND))
    actions = inst.pop_actions()
    assert inst.state is State.FAULT
    # keepalived names the tracker only at start-up; at run time the state line says it all.
    assert not any("entering FAULT state" in line for line in logs(actions))
    assert "(VI_1) Entering FAULT STATE" in logs(actions)
    inst.handle(TrackerChanged(kind=TrackerKind.BFD, name="chk", ok=True), Ticks(T0 + 6 * SECOND))
    assert inst.state is State.BACKUP
    inst.handle(TrackerChanged(kind=TrackerKind.SCRIPT, name="chk_nginx", ok=False), Ticks(T0 + 6 * SECOND))
    assert inst.state is State.FAULT
    assert not any("entering FAULT state" in line for line in logs(inst.pop_actions()))
    inst.handle(TrackerChanged(kind=TrackerKind.SCRIPT, name="chk_nginx", ok=True), Ticks(T0 + 6 * SECOND))
    inst.handle(TrackerChanged(kind=TrackerKind.INTERFACE, name="eth1", ok=False), Ticks(T0 + 6 * SECOND))
    assert inst.state is State.FAULT
    assert not any("entering FAULT state" in line for line in logs(inst.pop_actions()))
    inst.handle(TrackerChanged(kind=TrackerKind.INTERFACE, name="eth1", ok=True), Ticks(T0 + 6 * SECOND))
    assert inst.state is State.BACKUP


def test_priority_notifies_when_asked() -> None:
    inst = master(
        trackers=(TrackerSpec(kind=TrackerKind.SCRIPT, name="chk", weight=-60),),
        priority=150,
        notify_priority_changes=True,
    )
    inst.handle(TrackerChanged(kind=TrackerKind.SCRIPT, name="chk", ok=False), Ticks(T0 + 5 * SECOND))
    notify = [a for a in inst.pop_actions() if isinstance(a, RunNotify)]
    assert notify == [RunNotify(kind="INSTANCE", name="VI_1", state="MASTER_PRIORITY", priority=90)]
    n = notify[0]
    assert fifo_line(n.kind, n.name, n.state, n.priority) == 'INSTANCE "VI_1" MASTER_PRIORITY 90\n'
    assert notify[0].notify_args() == ("INSTANCE", "VI_1", "MASTER_PRIORITY", "90")


def test_base_priority_change_and_owner_is_not_adjusted() -> None:
    inst = started(priority=255, trackers=(TrackerSpec(kind=TrackerKind.SCRIPT, name="t", weight=-50),))
    inst.handle(TrackerChanged(kind=TrackerKind.SCRIPT, name="t", ok=False), T0)
    assert inst.effective_priority == 255
    inst.handle(PriorityChanged(priority=120), T0)
    assert inst.effective_priority == 70


def test_unknown_tracker_is_our_bug() -> None:
    inst = started()
    with pytest.raises(LocalMisuse):
        inst.handle(TrackerChanged(kind=TrackerKind.SCRIPT, name="nope", ok=True), T0)


def test_stale_timer_inputs_are_counted_drops() -> None:
    inst = started()
    inst.handle(AdverTimerFired(), T0)
    assert inst.stats["dropped_in_state"] == 1
    assert inst.state is State.BACKUP


def test_timer_fired_early_does_nothing() -> None:
    inst = started()
    inst.pop_actions()
    inst.handle(TimerFired(), T0)
    assert inst.pop_actions() == []
    assert inst.state is State.BACKUP


def test_remove_routes_only_when_configured() -> None:
    inst = master()
    inst.handle(Shutdown(), T0)
    assert not [a for a in inst.pop_actions() if isinstance(a, (RemoveRoutes, InstallRoutes))]


def test_unicast_peer_ttl_range() -> None:
    peer = IPv4Address("192.0.2.9")
    inst = backup(unicast_peers=(peer,), unicast_peer_ttl=((peer, 250, 255),))
    advert = advert_from(inst.params, priority=200)
    here = IPv4Address("192.0.2.1")
    inst.handle(AdvertReceived(packet=packet_from("192.0.2.9", advert, ttl=64, destination=here)), T0)
    assert inst.stats["ip_ttl_err"] == 1
    assert logs(inst.pop_actions()) == ["(VI_1) TTL/HL 64 not in range 250 - 255"]
    # keepalived 2.2.7 logs each advert outside the range, not the first of a run only
    inst.handle(AdvertReceived(packet=packet_from("192.0.2.9", advert, ttl=64, destination=here)), T0)
    assert inst.stats["ip_ttl_err"] == 2
    assert logs(inst.pop_actions()) == ["(VI_1) TTL/HL 64 not in range 250 - 255"]
    inst.handle(AdvertReceived(packet=packet_from("192.0.2.8", advert, destination=here)), T0)
    assert inst.stats["unicast_src_err"] == 1  # a range implies the source check
    inst.handle(AdvertReceived(packet=packet_from("192.0.2.9", advert, ttl=254, destination=here)), T0)
    # keepalived counts advert_rcvd before its unicast source/TTL-range checks
    assert inst.stats["advert_rcvd"] == 4
    assert inst.master_address == IPv4Address("192.0.2.9")


def test_resume_master_after_a_reload_keeps_mastership_at_once() -> None:
    inst = VrrpInstance(make_params())
    inst.handle(Startup(resume_master=True), T0)
    assert inst.state is State.MASTER
    assert [k for k in kinds(inst.pop_actions()) if k != "Log"][:3] == [
        "SendAdvert",
        "StateChanged",
        "InstallVips",
    ]
    faulty = VrrpInstance(make_params())
    faulty.handle(FaultRaised(reason="x"), T0)
    faulty.handle(Startup(resume_master=True), T0)
    assert faulty.state is State.FAULT
