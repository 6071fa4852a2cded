"""The VRRP child's split-brain watch on the fake twins: claims, probes, the report, the heal."""

from __future__ import annotations

import logging
from collections.abc import Callable
from ipaddress import IPv4Address, IPv6Address

import pytest

from alived.core.l2.arp import arp_sender
from alived.core.l2.garp import gratuitous_arp
from alived.core.l2.ndisc import dad_probe, na_sender, unsolicited_na
from alived.core.vrrp.states import State
from alived.daemon.status import status_rows
from alived.daemon.vrrp.data_dump import format_data
from alived.daemon.vrrp.dumps import format_json
from alived.units import MILLISECOND, SECOND, Ticks
from tests.helpers.fake_linux import FakeArpWatch, FakeL2Socket, FakeNaWatch
from tests.unit.daemon.test_driver import CONF, VIP, Rig, in_loop, rig  # noqa: F401 (fixture)

OTHER_MAC = bytes.fromhex("02aa00000002")


def _reply_from_other() -> bytes:
    frame = bytearray(gratuitous_arp(OTHER_MAC, VIP))
    frame[21] = 2  # op: reply
    return bytes(frame)


def _master(r: Rig) -> FakeArpWatch:
    FakeArpWatch.opened.clear()
    r.run_until(Ticks(5 * SECOND))
    assert r.state() is State.MASTER
    assert [w.ifname for w in FakeArpWatch.opened] == ["eth0"]
    return FakeArpWatch.opened[0]


def _tick(r: Rig, when: Ticks) -> None:
    r.clock.now = when
    r.child.split_brain.on_timer()


def _split(r: Rig, watch: FakeArpWatch, fifo: list[str]) -> Ticks:
    r.child.split_brain._write_fifos = lambda kind, name, state, prio: fifo.append(
        f"{kind} {name} {state} {prio}"
    )
    sent = FakeL2Socket.opened[0].frames
    t = Ticks(6 * SECOND)  # master since 4.6 s
    before = len(sent)
    _tick(r, t)
    assert len(sent) == before  # a healthy master probes nothing
    watch.deliver(gratuitous_arp(OTHER_MAC, VIP))  # the other master's announcement
    _tick(r, Ticks(t + SECOND // 8))
    probe = sent[-1]  # through the GARP path, paced like a GARP
    assert probe[:6] == b"\xff" * 6 and probe[38:42] == VIP.packed and arp_sender(probe) is None
    watch.deliver(_reply_from_other())
    t = Ticks(t + SECOND)
    _tick(r, t)
    watch.deliver(_reply_from_other())
    return t


def test_a_master_probes_its_vip_and_declares_a_split_brain(
    rig: Callable[..., Rig],  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    def body() -> None:
        r = rig()
        watch = _master(r)
        fifo: list[str] = []
        with caplog.at_level(logging.WARNING, logger="alived.vrrp"):
            _split(r, watch, fifo)
        assert (
            "(VI_1) Split brain: another master holds our VIPs (ARP answered by 02:aa:00:00:00:02"
            in caplog.text
        )
        assert fifo == ["INSTANCE VI_1 SPLIT_BRAIN 100"]
        row = status_rows(r.child.reports())[0]
        assert row["split_brain_count"] == 1 and isinstance(row["split_brain_since"], float)
        assert "Split brains = 1" in format_data(r.child.reports())
        assert '"split_brain_count":1' in format_json(r.child.reports())

    in_loop(body)


def test_no_split_brain_line_in_the_dumps_before_one_is_seen(rig: Callable[..., Rig]) -> None:  # noqa: F811
    def body() -> None:
        r = rig()
        _master(r)
        assert "Split brain" not in format_data(r.child.reports())
        assert "split_brain" not in format_json(r.child.reports())
        assert status_rows(r.child.reports())[0]["split_brain_count"] == 0

    in_loop(body)


def test_the_winner_reannounces_as_soon_as_the_other_master_stops_answering(
    rig: Callable[..., Rig],  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    def body() -> None:
        r = rig()
        watch = _master(r)
        fifo: list[str] = []
        t = _split(r, watch, fifo)
        garps = FakeL2Socket.opened[0]
        before = len(garps.frames)
        with caplog.at_level(logging.INFO, logger="alived.vrrp"):
            # Fast probes (an eighth of the interval) left unanswered: the other master yielded.
            for _ in range(4):
                t = Ticks(t + 250 * MILLISECOND)
                _tick(r, t)
                if fifo[-1].endswith("END 100"):
                    break
        assert "Split brain over after" in caplog.text and "the other master yielded" in caplog.text
        assert fifo[-1] == "INSTANCE VI_1 SPLIT_BRAIN_END 100"
        sent = [f for f in garps.frames[before:] if arp_sender(f) is not None]  # not the probes
        assert sent and all(f == gratuitous_arp(sent[0][6:12], VIP) for f in sent)
        row = status_rows(r.child.reports())[0]
        assert row["split_brain_count"] == 1 and row["split_brain_since"] is None

    in_loop(body)


def test_a_lower_priority_advert_during_the_split_brain_reannounces_at_once(
    rig: Callable[..., Rig],  # noqa: F811
) -> None:
    def body() -> None:
        # No lower-priority GARP burst of keepalived's: only the split-brain heal sends these.
        r = rig(CONF.replace("advert_int 1", "advert_int 1\n  garp_lower_prio_repeat 0"))
        watch = _master(r)
        _split(r, watch, [])
        garps = FakeL2Socket.opened[0]
        before = len(garps.frames)
        r.advert_from_peer(50)
        assert r.state() is State.MASTER
        assert [f for f in garps.frames[before:] if arp_sender(f) is not None]

    in_loop(body)


def test_the_loser_yields_and_reports_the_end(rig: Callable[..., Rig]) -> None:  # noqa: F811
    def body() -> None:
        r = rig()
        watch = _master(r)
        fifo: list[str] = []
        _split(r, watch, fifo)
        r.advert_from_peer(200)
        assert r.state() is State.BACKUP
        assert fifo[-1] == "INSTANCE VI_1 SPLIT_BRAIN_END 100"
        assert status_rows(r.child.reports())[0]["split_brain_since"] is None
        assert IPv4Address("192.0.2.100") not in r.vips()

    in_loop(body)


# ---- an IPv6-only instance: NAs are the evidence, a DAD-style solicitation the probe -----------

VIP6 = IPv6Address("2001:db8::100")
CONF6 = """
vrrp_instance VI_6 {
  state BACKUP
  interface eth0
  virtual_router_id 52
  priority 100
  advert_int 1
  virtual_ipaddress {
    2001:db8::100/64
  }
}
"""


def _answer_from_other() -> bytes:
    """What Linux sends answering a DAD probe: an NA to ff02::1, Override set, Solicited not."""
    return unsolicited_na(OTHER_MAC, VIP6, router=False)


def test_an_ipv6_only_master_probes_with_a_solicitation_and_declares_a_split_brain(
    rig: Callable[..., Rig],  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    def body() -> None:
        r = rig(CONF6, link_local="fe80::1")
        FakeNaWatch.opened.clear()
        r.run_until(Ticks(5 * SECOND))
        assert r.child.instances["VI_6"].state is State.MASTER
        assert [w.ifname for w in FakeNaWatch.opened] == ["eth0"] and not FakeArpWatch.opened
        watch = FakeNaWatch.opened[0]
        fifo: list[str] = []
        r.child.split_brain._write_fifos = lambda kind, name, state, prio: fifo.append(
            f"{kind} {name} {state} {prio}"
        )
        sent = FakeL2Socket.opened[0].frames
        t = Ticks(6 * SECOND)
        before = len(sent)
        _tick(r, t)
        assert len(sent) == before  # a healthy master probes nothing
        ours = sent[-1][6:12]
        watch.deliver(unsolicited_na(ours, VIP6, router=True))  # our own NA (a looped copy): no claim
        _tick(r, Ticks(t + SECOND // 8))
        assert len(sent) == before
        watch.deliver(unsolicited_na(OTHER_MAC, VIP6, router=True))  # the other master's NA
        _tick(r, Ticks(t + SECOND // 4))
        probe = sent[-1]
        assert probe == dad_probe(ours, VIP6) and na_sender(probe) is None
        with caplog.at_level(logging.WARNING, logger="alived.vrrp"):
            watch.deliver(_answer_from_other())
            t = Ticks(t + SECOND + SECOND // 4)
            _tick(r, t)
            watch.deliver(_answer_from_other())
        assert "(VI_6) Split brain: another master holds our VIPs (NA from 02:aa:00:00:00:02" in caplog.text
        assert fifo == ["INSTANCE VI_6 SPLIT_BRAIN 100"]
        assert status_rows(r.child.reports())[0]["split_brain_count"] == 1

    in_loop(body)


def test_a_frame_for_no_vip_of_ours_moves_no_timer(rig: Callable[..., Rig]) -> None:  # noqa: F811
    """The receive path of a busy LAN: ARP for other addresses costs no timer work (no re-arm)."""

    def body() -> None:
        r = rig()
        watch = _master(r)
        rearms: list[None] = []
        real = r.child.split_brain._rearm
        r.child.split_brain._rearm = lambda: (rearms.append(None), real())[1]  # type: ignore[method-assign]
        watch.deliver(gratuitous_arp(OTHER_MAC, IPv4Address("192.0.2.222")))
        assert rearms == []
        watch.deliver(gratuitous_arp(OTHER_MAC, VIP))  # a claim: its deadline must be armed
        assert len(rearms) == 1

    in_loop(body)
