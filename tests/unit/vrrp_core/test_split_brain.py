"""core/vrrp/split_brain: when two masters are declared, how the split brain ends, who re-announces."""

from __future__ import annotations

from alived.core.vrrp.split_brain import (
    Ended,
    Reannounce,
    SplitBrainParams,
    SplitBrainWatch,
    Started,
)
from alived.units import MILLISECOND, SECOND, Ticks

PEER = "02:00:00:00:00:02"


def _watch(*, can_probe: bool = True) -> SplitBrainWatch:
    w = SplitBrainWatch(SplitBrainParams.for_interval(SECOND, can_probe=can_probe))
    w.became_master(Ticks(0))
    return w


def _split(w: SplitBrainWatch) -> None:
    assert w.foreign_claim(PEER, Ticks(0)) == []
    out = w.foreign_claim(PEER, SECOND)
    assert out == [Started(since=SECOND, evidence="arp", peer=PEER)]


def test_one_claim_is_a_takeover_not_a_split_brain() -> None:
    w = _watch()
    assert w.foreign_claim(PEER, Ticks(0)) == []
    assert w.foreign_claim(PEER, Ticks(500 * MILLISECOND)) == []
    assert not w.active and w.count == 0


def test_persisting_claims_declare_it_once() -> None:
    w = _watch()
    _split(w)
    assert w.foreign_claim(PEER, Ticks(2 * SECOND)) == []
    assert w.active and w.since == SECOND and w.count == 1


def test_evidence_far_apart_does_not_add_up() -> None:
    w = _watch()
    w.foreign_claim(PEER, Ticks(0))
    assert w.foreign_claim(PEER, Ticks(10 * SECOND)) == []
    assert not w.active


def test_no_evidence_unless_master() -> None:
    w = SplitBrainWatch(SplitBrainParams.for_interval(SECOND))
    assert w.foreign_claim(PEER, Ticks(0)) == [] and w.foreign_claim(PEER, Ticks(5 * SECOND)) == []
    assert w.lower_advert("192.0.2.2", Ticks(6 * SECOND)) == []
    assert w.next_deadline() is None


def test_lower_adverts_declare_it_and_then_ask_for_reannounce() -> None:
    w = _watch()
    assert w.lower_advert("192.0.2.2", Ticks(0)) == []
    assert w.lower_advert("192.0.2.2", SECOND) == [Started(since=SECOND, evidence="advert", peer="192.0.2.2")]
    assert w.lower_advert("192.0.2.2", Ticks(2 * SECOND)) == [Reannounce(reason="lower_advert")]
    # At most once per advert interval.
    assert w.lower_advert("192.0.2.2", Ticks(2 * SECOND + 10 * MILLISECOND)) == []


def test_the_loser_yields() -> None:
    w = _watch()
    _split(w)
    assert w.left_master(Ticks(4 * SECOND)) == [Ended(duration=Ticks(3 * SECOND), reason="yielded")]
    assert not w.active and w.count == 1 and w.next_deadline() is None


def test_the_winner_sees_the_peer_stop_answering_and_reannounces() -> None:
    w = _watch()
    _split(w)
    now = SECOND
    verdicts = []
    probes = 0
    while not verdicts:
        deadline = w.next_deadline()
        assert deadline is not None
        now = deadline
        probe, verdicts = w.on_timer(now)
        probes += probe
    assert verdicts == [
        Ended(duration=Ticks(now - SECOND), reason="peer_yielded"),
        Reannounce(reason="peer_yielded"),
    ]
    # Fast probes an eighth of the interval apart; two unanswered after the last claim end it.
    assert now - SECOND <= 2 * (SECOND // 8) + SECOND // 8
    assert w.master and not w.active


def test_claims_between_probes_keep_it_going() -> None:
    w = _watch()
    _split(w)
    now = SECOND
    for _ in range(20):
        deadline = w.next_deadline()
        assert deadline is not None
        now = deadline
        _, verdicts = w.on_timer(now)
        assert verdicts == []
        w.foreign_claim(PEER, Ticks(now + 1))
    assert w.active


def test_a_healthy_master_never_probes_and_evidence_starts_fast_probes_until_it_is_stale() -> None:
    w = _watch()
    assert w.next_deadline() is None  # silent on the wire, as keepalived's master
    w.foreign_claim(PEER, Ticks(100 * MILLISECOND))  # e.g. the other master's gratuitous ARP
    assert w.next_deadline() == 100 * MILLISECOND + SECOND // 8
    probes = 0
    while (deadline := w.next_deadline()) is not None:
        probe, verdicts = w.on_timer(deadline)
        probes += probe
        assert verdicts == []  # never confirmed: nobody answered
    assert not w.active and 20 <= probes <= 30  # about 3.5 intervals of eight a second, then silence
    w.foreign_claim(PEER, Ticks(10 * SECOND))
    w.left_master(Ticks(10 * SECOND + 1))
    assert w.next_deadline() is None


def test_without_probes_only_time_ends_it() -> None:
    w = _watch(can_probe=False)
    assert w.next_deadline() is None
    w.lower_advert("192.0.2.2", Ticks(0))
    w.lower_advert("192.0.2.2", SECOND)
    assert w.active
    deadline = w.next_deadline()
    assert deadline is not None and deadline > 3 * SECOND
    probe, verdicts = w.on_timer(deadline)
    assert not probe
    assert verdicts == [
        Ended(duration=Ticks(deadline - SECOND), reason="peer_yielded"),
        Reannounce(reason="peer_yielded"),
    ]


def test_master_again_starts_fresh() -> None:
    w = _watch()
    w.foreign_claim(PEER, Ticks(0))
    w.left_master(Ticks(100))
    w.became_master(Ticks(200))
    assert w.foreign_claim(PEER, Ticks(300)) == []
    assert not w.active


def test_arp_probe_claims_nothing_and_a_reply_names_its_sender() -> None:
    from ipaddress import IPv4Address

    from alived.core.l2.arp import arp_probe, arp_sender
    from alived.core.l2.garp import gratuitous_arp

    mac = bytes.fromhex("020000000001")
    vip = IPv4Address("192.0.2.100")
    probe = arp_probe(mac, vip)
    assert len(probe) == 42 and probe[:6] == b"\xff" * 6
    assert arp_sender(probe) is None  # sender 0.0.0.0
    garp = arp_sender(gratuitous_arp(mac, vip))
    assert garp is not None and garp.address == vip and garp.mac == mac
    # A reply: op 2, sender = the VIP at its holder's MAC.
    reply = bytearray(gratuitous_arp(mac, vip))
    reply[21] = 2
    sender = arp_sender(bytes(reply))
    assert sender is not None and sender.op == 2
    assert arp_sender(b"\x00" * 20) is None
    assert arp_sender(bytes(reply[:12]) + b"\x08\x00" + bytes(reply[14:])) is None
