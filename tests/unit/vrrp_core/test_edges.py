"""Edge cases: parameter checks, owners in conflict, our own address, AH resync, misuse."""

from __future__ import annotations

from dataclasses import replace
from ipaddress import IPv4Address, IPv6Address

import pytest

from alived.core.vrrp.actions import Log, SendAdvert
from alived.core.vrrp.inputs import AdvertReceived, MasterDownFired, PriorityChanged, Startup
from alived.core.vrrp.instance import VrrpInstance
from alived.core.vrrp.params import InitialState, InstanceParams
from alived.core.vrrp.states import State
from alived.core.vrrp.sync_group import SyncGroup
from alived.core.vrrp.wire import AhHeader
from alived.errors import LocalMisuse
from alived.units import CENTISECOND, SECOND, Ticks
from tests.helpers.fakelan import FakeLan, advert_from, make_params, packet_from

T0 = Ticks(10 * SECOND)


@pytest.mark.parametrize(
    "changes",
    [
        {"vrid": 0},
        {"version": 4},
        {"priority": 0},
        {"advert_int": Ticks(0)},
        {"advert_int": Ticks(1_500_000)},
        {"version": 3, "advert_int": Ticks(41 * SECOND)},
        {"down_timer_adverts": 0},
        {"auth_type": 5},
        {"version": 3, "auth_type": 1},
        {"addresses": (IPv6Address("2001:db8::1"),)},
    ],
)
def test_invalid_params_are_our_bug(changes: dict[str, object]) -> None:
    with pytest.raises(LocalMisuse):
        make_params(**changes)  # type: ignore[arg-type]


def test_params_properties() -> None:
    p = make_params(priority=255, unicast_peers=(IPv4Address("192.0.2.2"),))
    assert (p.owner, p.unicast, p.family) == (True, True, 4)
    assert isinstance(p, InstanceParams)
    assert make_params(version=3, advert_int=Ticks(10 * CENTISECOND)).advert_int == 100_000


def _master(**kw: object) -> VrrpInstance:
    inst = VrrpInstance(make_params(**kw))  # type: ignore[arg-type]
    inst.handle(Startup(), T0)
    if inst.state is State.BACKUP:
        inst.handle(MasterDownFired(), T0)
    inst.pop_actions()
    assert inst.holds_vips
    return inst


def test_equal_priority_from_our_own_address_is_only_a_warning() -> None:
    inst = _master(address="192.0.2.1")
    advert = advert_from(inst.params)
    inst.handle(AdvertReceived(packet=packet_from("192.0.2.1", advert)), T0)
    texts = [a.text for a in inst.pop_actions() if isinstance(a, Log)]
    assert texts == ["(VI_1) WARNING - equal priority advert received from remote host with our IP address."]
    assert inst.state is State.MASTER


def test_two_owners_the_lower_address_backs_off() -> None:
    lan = FakeLan()
    for name, last in (("a", 1), ("b", 2)):
        lan.add_router(
            name, [make_params(address=f"192.0.2.{last}", priority=255, initial_state=InitialState.MASTER)]
        )
    lan.run_for(Ticks(5 * SECOND))
    assert lan.masters("VI_1") == ["b"]
    texts = [a.text for r in lan.routers.values() for _, _, a in r.trace if isinstance(a, Log)]
    assert (
        "(VI_1) CONFIGURATION ERROR: local instance and 192.0.2.2 are both configured as address owner,"
        " please resolve" in texts
    )


def test_ah_master_resyncs_its_sequence_from_a_lower_priority_advert() -> None:
    inst = VrrpInstance(
        make_params(auth_type=2, auth_key=b"k"), ah_verifier=lambda packet, key, unicast: True
    )
    inst.handle(Startup(), T0)
    inst.handle(MasterDownFired(), T0)
    inst.pop_actions()
    ah = AhHeader(next_header=112, payload_len=4, spi=1, seq=40, icv=b"x" * 12)
    packet = replace(packet_from("192.0.2.9", advert_from(inst.params, priority=50)), ah=ah)
    inst.handle(AdvertReceived(packet=packet), T0)
    sent = [a for a in inst.pop_actions() if isinstance(a, SendAdvert)]
    assert [a.ah_seq for a in sent] == [42]


def test_family_mismatch_and_bad_priority_change() -> None:
    inst = VrrpInstance(make_params())
    inst.handle(Startup(), T0)
    six = packet_from("fe80::9", advert_from(inst.params))
    inst.handle(AdvertReceived(packet=six), T0)
    assert inst.stats["family_mismatch"] == 1
    with pytest.raises(LocalMisuse):
        inst.handle(PriorityChanged(priority=256), T0)
    with pytest.raises(LocalMisuse):
        inst.change_state(State.BACKUP, "again", T0)


def test_group_handles_members_by_name() -> None:
    one = VrrpInstance(make_params("VI_1", vrid=1))
    g = SyncGroup("G", [one])
    g.handle("VI_1", Startup(), T0)
    assert g.member("VI_1") is one
    assert one.state is State.BACKUP
    assert g.may_become_master(one)  # alone in its group
