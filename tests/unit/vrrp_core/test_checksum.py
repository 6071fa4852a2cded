"""core/vrrp/checksum.py: which checksum form of a received v3 advert an instance takes, pure."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from alived.core.vrrp.checksum import ChecksumMode, ChecksumVerdict, UnicastChecksum, checksum_verdict
from alived.core.vrrp.wire import VRRP_GROUP4, Advert, ReceivedPacket, decode_ipv4_packet, encode_ipv4_packet

PEER, SELF = IPv4Address("192.0.2.2"), IPv4Address("192.0.2.1")
ACCEPT, ADOPT, REJECT = ChecksumVerdict.ACCEPT, ChecksumVerdict.ADOPT, ChecksumVerdict.REJECT


def received(*, old: bool = False, destination: IPv4Address = SELF, version: int = 3) -> ReceivedPacket:
    advert = Advert(
        version=version, vrid=51, priority=100, adver_int=100 if version == 3 else 1, addresses=()
    )
    data = encode_ipv4_packet(advert, source=PEER, destination=destination, old_unicast_checksum=old)
    return decode_ipv4_packet(data)


def mode(checksum: UnicastChecksum = UnicastChecksum.NONE, **kw: object) -> ChecksumMode:
    facts: dict[str, object] = {"family": 4, "version": 3, "unicast": True, "unicast_checksum": checksum}
    facts.update(kw)
    return ChecksumMode(**facts)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("checksum", "adopted", "old", "verdict"),
    [
        (UnicastChecksum.NONE, False, False, ACCEPT),
        (UnicastChecksum.NONE, False, True, ADOPT),  # a peer uses the old form: take it
        (UnicastChecksum.NONE, True, True, ACCEPT),
        (UnicastChecksum.NONE, True, False, REJECT),  # once adopted, the new form is wrong
        (UnicastChecksum.NEVER, False, True, REJECT),
        (UnicastChecksum.NEVER, False, False, ACCEPT),
        (UnicastChecksum.CONFIG, False, True, ACCEPT),
        (UnicastChecksum.CONFIG, False, False, REJECT),
    ],
)
def test_unicast_v3_modes(
    checksum: UnicastChecksum, adopted: bool, old: bool, verdict: ChecksumVerdict
) -> None:
    assert checksum_verdict(mode(checksum), received(old=old), adopted=adopted) is verdict


def test_multicast_v2_and_ipv6_are_not_judged_here() -> None:
    config = mode(UnicastChecksum.CONFIG)
    assert checksum_verdict(config, received(destination=VRRP_GROUP4), adopted=False) is ACCEPT
    assert checksum_verdict(config, received(version=2), adopted=False) is ACCEPT
    assert checksum_verdict(mode(UnicastChecksum.CONFIG, family=6), received(), adopted=False) is ACCEPT


def test_multicast_instance_never_adopts() -> None:
    assert checksum_verdict(mode(unicast=False), received(old=True), adopted=False) is REJECT


def test_v3_summed_as_v2_is_right_only_for_an_instance_that_sums_so() -> None:
    packet = received()
    assert checksum_verdict(mode(v3_checksum_as_v2=True), packet, adopted=False, as_v2=True) is ACCEPT
    assert checksum_verdict(mode(v3_checksum_as_v2=True), packet, adopted=False, as_v2=False) is REJECT
    assert checksum_verdict(mode(), packet, adopted=False, as_v2=True) is REJECT


def test_sends_old_form_only_for_v3_ipv4_unicast() -> None:
    assert mode(UnicastChecksum.CONFIG).sends_old_form(adopted=False)
    assert mode().sends_old_form(adopted=True) and not mode().sends_old_form(adopted=False)
    assert not mode(UnicastChecksum.CONFIG, version=2).sends_old_form(adopted=False)
    assert not mode(UnicastChecksum.CONFIG, family=6).sends_old_form(adopted=False)
    assert not mode(UnicastChecksum.CONFIG, unicast=False).sends_old_form(adopted=False)
