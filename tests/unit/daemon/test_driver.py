"""The VRRP child's driver and its rooms on the fake twins: packets in, addresses out, no root.

The real `VrrpChild` runs with tests/helpers/fake_linux.py's netlink, VRRP and L2 sockets and
deadline timer, and a clock the test moves; the kernel side is covered by tests/netns.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from ipaddress import IPv4Address, ip_address
from pathlib import Path

import pytest

from alived.config.load import load_text
from alived.core.vrrp.actions import Action, InstallVips, SendAdvert
from alived.core.vrrp.inputs import Startup
from alived.core.vrrp.instance import VrrpInstance
from alived.core.vrrp.states import State
from alived.core.vrrp.wire import VRRP_GROUP4, encode_ipv4_packet
from alived.daemon.options import Options
from alived.daemon.vrrp.child import VrrpChild
from alived.daemon.vrrp.driver import Driver, Unit
from alived.daemon.vrrp.translate import translate
from alived.linux.netlink import AddressSpec
from alived.units import SECOND, Ticks
from tests.helpers.fake_linux import (
    FakeArpWatch,
    FakeDeadlineTimer,
    FakeL2Socket,
    FakeNaWatch,
    FakeNetlink,
    FakeVrrp4Socket,
    FakeVrrp6Socket,
    reset_fake_sockets,
)
from tests.helpers.fakelan import advert_from, make_params

SRC = IPv4Address("192.0.2.1")
PEER = IPv4Address("192.0.2.2")
VIP = IPv4Address("192.0.2.100")

CONF = """
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress {
    192.0.2.100/24
  }
}
"""


class Clock:
    def __init__(self) -> None:
        self.now = Ticks(SECOND)

    def __call__(self) -> Ticks:
        return self.now


class Rig:
    """A VrrpChild started on fakes, and the means to move its time and feed its socket."""

    def __init__(self, tmp_path: Path, text: str = CONF, *, link_local: str | None = None) -> None:
        self.clock = Clock()
        self.child = VrrpChild(
            Options(config_file=str(tmp_path / "keepalived.conf")),
            now=self.clock,
            open4=FakeVrrp4Socket.open,
            open6=FakeVrrp6Socket.open,
            open_l2=FakeL2Socket.open,
            open_arp=FakeArpWatch.open,
            open_na=FakeNaWatch.open,
        )
        self.netlink = FakeNetlink()
        self.netlink.add_link("eth0")
        self.netlink.add_fake_address(AddressSpec(address=SRC, prefixlen=24, dev="eth0"))
        if link_local is not None:  # an IPv6 instance's source
            self.netlink.add_fake_address(
                AddressSpec(address=ip_address(link_local), prefixlen=64, dev="eth0")
            )
        self.child.netlink = self.netlink  # type: ignore[assignment]
        self.timer = FakeDeadlineTimer(None, self.child.driver.on_timer)
        self.child.timer = self.timer  # type: ignore[assignment]
        config = load_text(text, interfaces={"eth0"}).config
        self.child.config = config
        self.child.plans = {p.name: p for p in translate(config, self.child.primary_address)}
        for plan in self.child.plans.values():
            self.child.open_socket(plan)
        self.child.rebuild_socket_index()
        self.child.start_units(self.child.build_units(config, set(self.child.plans)))

    @property
    def sock(self) -> FakeVrrp4Socket:
        return FakeVrrp4Socket.opened[-1]

    def run_until(self, when: Ticks) -> None:
        while self.timer.deadline is not None and self.timer.deadline <= when:
            self.clock.now = self.timer.deadline
            self.timer.fire()
        self.clock.now = when

    def vips(self) -> set[IPv4Address]:
        return {a for a, _ in self.netlink.addresses("eth0") if a != SRC}  # type: ignore[misc]

    def state(self) -> State:
        return self.child.instances["VI_1"].state

    def advert_from_peer(self, priority: int) -> None:
        advert = advert_from(self.child.plans["VI_1"].params, priority=priority)
        self.sock.deliver(encode_ipv4_packet(advert, source=PEER, destination=VRRP_GROUP4))


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Callable[..., Rig]]:
    reset_fake_sockets()
    loop = asyncio.new_event_loop()  # the GARP pacers want a loop; nothing runs on it
    asyncio.set_event_loop(loop)
    try:
        yield lambda text=CONF, **kw: Rig(tmp_path, text, **kw)
    finally:
        asyncio.set_event_loop(None)
        loop.close()
        reset_fake_sockets()


def in_loop(body: Callable[[], None]) -> None:
    async def run() -> None:
        body()

    asyncio.get_event_loop().run_until_complete(run())


def test_a_backup_takes_over_when_its_timer_fires_and_sets_its_vips(rig: Callable[..., Rig]) -> None:
    def body() -> None:
        r = rig()
        assert r.state() is State.BACKUP and r.vips() == set()
        assert r.timer.deadline is not None
        r.run_until(Ticks(5 * SECOND))
        assert r.state() is State.MASTER
        assert r.vips() == {VIP}
        assert r.sock.sent, "a master sends adverts"
        assert FakeL2Socket.opened and FakeL2Socket.opened[0].frames, "and gratuitous ARPs"

    in_loop(body)


def test_an_advert_from_a_better_master_takes_the_vips_away(rig: Callable[..., Rig]) -> None:
    def body() -> None:
        r = rig()
        r.run_until(Ticks(5 * SECOND))
        assert r.vips() == {VIP}
        r.advert_from_peer(priority=200)
        assert r.state() is State.BACKUP
        assert r.vips() == set()
        deadline = r.timer.deadline
        assert deadline is not None and deadline > r.clock.now  # the master-down timer is armed

    in_loop(body)


def test_an_advert_from_a_lower_priority_keeps_the_master(rig: Callable[..., Rig]) -> None:
    def body() -> None:
        r = rig()
        r.run_until(Ticks(5 * SECOND))
        r.advert_from_peer(priority=50)
        assert r.state() is State.MASTER and r.vips() == {VIP}

    in_loop(body)


def test_a_failing_netlink_is_logged_and_the_child_carries_on(
    rig: Callable[..., Rig], caplog: pytest.LogCaptureFixture
) -> None:
    def body() -> None:
        r = rig()
        r.netlink.fail_next("addr_add")
        with caplog.at_level(logging.ERROR):
            r.run_until(Ticks(5 * SECOND))
        assert "(VI_1) InstallVips failed" in caplog.text
        assert r.state() is State.MASTER
        sent = len(r.sock.sent)
        r.run_until(Ticks(8 * SECOND))
        assert len(r.sock.sent) > sent, "adverts go on"

    in_loop(body)


def test_interface_down_is_a_fault_that_releases_the_vips(rig: Callable[..., Rig]) -> None:
    def body() -> None:
        r = rig()
        r.run_until(Ticks(5 * SECOND))
        r.child.on_link("eth0", False)
        assert r.state() is State.FAULT and r.vips() == set()
        r.child.on_link("eth0", True)
        assert r.state() is State.BACKUP

    in_loop(body)


def test_reload_retires_an_instance_and_launches_its_successor(rig: Callable[..., Rig]) -> None:
    def body() -> None:
        r = rig()
        r.run_until(Ticks(5 * SECOND))
        old = r.child.instances["VI_1"]
        r.child.retire({"VI_1"}, deleted={"VI_1"}, handover={})
        assert "VI_1" not in r.child.instances and not r.child.driver.units
        assert r.vips() == set()
        assert r.timer.deadline is None, "a retired unit leaves no deadline behind"
        plan = r.child.plans["VI_1"]
        r.child.start_units(r.child.build_units(r.child.config, {plan.name}))  # type: ignore[arg-type]
        r.child.end_handover()
        assert r.child.instances["VI_1"] is not old
        assert r.state() is State.BACKUP and r.timer.deadline is not None
        r.run_until(Ticks(12 * SECOND))
        assert r.state() is State.MASTER and r.vips() == {VIP}

    in_loop(body)


def test_the_driver_arms_the_earliest_deadline_and_fires_only_live_units() -> None:
    done: list[tuple[str, Action]] = []
    armed: list[Ticks | None] = []
    clock = Clock()
    driver = Driver(lambda owner, action: done.append((owner, action)), clock, armed.append)
    slow = VrrpInstance(make_params("slow", vrid=1, advert_int=Ticks(3 * SECOND)))
    fast = VrrpInstance(make_params("fast", vrid=2, advert_int=Ticks(SECOND)))
    driver.add(Unit([slow]))
    driver.add(Unit([fast]))
    driver.tell_all(Startup)
    assert slow.state is State.BACKUP and fast.state is State.BACKUP
    fast_at, slow_at = fast.next_deadline(), slow.next_deadline()
    assert fast_at is not None and slow_at is not None and fast_at < slow_at
    assert armed[-1] == driver.next_deadline() == fast_at
    driver.retire(["fast"])
    driver.rearm()
    assert armed[-1] == slow_at, "a retired unit's deadline is dropped"
    done.clear()
    clock.now = slow_at
    driver.on_timer()
    assert slow.state is State.MASTER and fast.state is State.BACKUP
    assert [o for o, a in done if isinstance(a, InstallVips)] == ["slow"]
    assert any(isinstance(a, SendAdvert) for _, a in done)
    assert {owner for owner, _ in done} == {"slow"}
    assert armed[-1] == slow.next_deadline(), "re-armed for the master's next advert"


def repeat_of_peer(r: Rig, ident: int, priority: int = 150, name: str = "VI_1") -> bytes:
    """The peer's advert as it comes again: same bytes but the IPv4 identification."""
    advert = advert_from(r.child.plans[name].params, priority=priority)
    return encode_ipv4_packet(advert, source=PEER, destination=VRRP_GROUP4, ident=ident)


def test_repeats_move_the_master_down_timer_without_touching_the_armed_timer(
    rig: Callable[..., Rig],
) -> None:
    """Lazy deadlines: a repeated advert leaves the heap entry and the armed timer where they are;
    the early wake-up that follows finds the instance not due and arms its real deadline, so the
    backup still takes over exactly one Master_Down_Interval after the last advert."""

    def body() -> None:
        r = rig()
        r.sock.deliver(repeat_of_peer(r, 1))
        inst = r.child.instances["VI_1"]
        assert r.state() is State.BACKUP
        armed, arms, heard = r.timer.deadline, r.timer.arms, inst.stats["advert_rcvd"]
        assert armed == r.clock.now + inst.down_timer
        for ident in range(2, 12):
            r.clock.now = Ticks(r.clock.now + SECOND // 4)
            r.sock.deliver(repeat_of_peer(r, ident))
        assert inst.stats["advert_rcvd"] == heard + 10
        assert (r.timer.deadline, r.timer.arms) == (armed, arms), "no re-arm per repeat"
        takeover = r.clock.now + inst.down_timer
        r.run_until(Ticks(takeover - 1))
        assert r.state() is State.BACKUP, "the early wake-up is not a master-down"
        assert r.timer.deadline == takeover
        r.run_until(takeover)
        assert r.state() is State.MASTER and r.vips() == {VIP}

    in_loop(body)


def test_a_deadline_that_moves_earlier_after_repeats_is_armed_at_once(rig: Callable[..., Rig]) -> None:
    """After repeats left VI_1's heap entry early, a priority-0 advert (takeover after Skew_Time)
    moves its deadline before VI_2's, the earliest in the heap: it must be queued and armed anew."""

    def body() -> None:
        r = rig(CONF + CONF.replace("VI_1", "VI_2").replace("51", "52").replace(".100/", ".101/"))
        r.sock.deliver(repeat_of_peer(r, 1, name="VI_2"))
        r.clock.now = Ticks(r.clock.now + SECOND // 10)
        r.sock.deliver(repeat_of_peer(r, 1))
        for ident in range(2, 6):
            r.clock.now = Ticks(r.clock.now + SECOND // 2)
            r.sock.deliver(repeat_of_peer(r, ident))
        others = r.child.instances["VI_2"].next_deadline()
        assert r.timer.deadline == others
        r.clock.now = Ticks(r.clock.now + SECOND // 2)
        r.sock.deliver(repeat_of_peer(r, 6, priority=0))
        skew = (256 - 100) * SECOND // 256
        assert others is not None and r.clock.now + skew < others
        assert r.timer.deadline == r.clock.now + skew
        r.run_until(Ticks(r.clock.now + skew))
        assert r.state() is State.MASTER
        assert r.child.instances["VI_2"].state is State.BACKUP

    in_loop(body)
