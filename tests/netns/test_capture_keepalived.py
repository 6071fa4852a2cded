"""Live golden check: every advert, GARP and NA a fresh keepalived 2.2.7 sends is what our codec makes.

keepalived runs in a namespace with one vrrp_instance per variant (tests/golden/capture.py); each
captured advert must decode to what the config says and re-encode to the identical bytes (whole IPv4
packet including the AH ICV; the VRRP message for IPv6), and the announcements must match too.
Then the other direction: keepalived must accept the adverts we encode and send.
"""

from __future__ import annotations

import os
import sys
from ipaddress import IPv4Address, IPv6Address, ip_address
from pathlib import Path

import pytest

from alived.core.l2.garp import gratuitous_arp
from alived.core.l2.ndisc import unsolicited_na
from alived.core.vrrp.auth import check_pass, pass_field, verify_ah
from alived.core.vrrp.wire import (
    VRRP_GROUP4,
    VRRP_GROUP6,
    ReceivedPacket,
    decode_ipv4_packet,
    decode_ipv6_payload,
    encode_advert,
)
from tests.golden.capture import (
    BY_VRID,
    INSTANCES,
    PEER4,
    SENDER4,
    WRONG_KEY_AH,
    capture_keepalived,
    garp_frames,
    keepalived_conf,
    make_pair,
    na_frames,
    start_keepalived,
    vrrp_frames,
)
from tests.golden.files import reencode_ipv4
from tests.helpers.netns import Lab, Namespace, wait_for


def _check_advert(frame: bytes, sender_mac: bytes) -> ReceivedPacket:
    raw = frame[14:]
    if frame[12:14] == b"\x08\x00":
        got = decode_ipv4_packet(raw)
    else:
        got = decode_ipv6_payload(
            raw[40:], source=IPv6Address(raw[8:24]), destination=IPv6Address(raw[24:40]), hop_limit=raw[7]
        )
    inst = BY_VRID[got.advert.vrid]
    ad = got.advert
    assert frame[6:12] == sender_mac
    assert (ad.version, ad.adver_int) == (inst.version, inst.adver_int)
    assert ad.priority in (inst.priority, 0)
    assert ad.addresses == tuple(ip_address(a) for a in inst.addresses)
    if isinstance(got.source, IPv4Address):
        assert got.source == SENDER4
        assert got.destination == (PEER4 if inst.unicast else VRRP_GROUP4)
        assert got.old_unicast_checksum == inst.old_unicast_checksum
        assert ad.auth_type == (inst.auth_type if inst.version == 2 else 0)
        assert (got.ah is not None) == (inst.auth_type == 2)
        if got.ah is not None:
            assert verify_ah(got, inst.auth_pass, unicast=inst.unicast)
        elif inst.auth_type == 1:
            assert check_pass(ad, inst.auth_pass)
            assert ad.auth_data == pass_field(inst.auth_pass)
        assert reencode_ipv4(got, raw, auth_pass=inst.auth_pass, unicast=inst.unicast) == raw
    else:
        assert got.source.is_link_local
        assert got.destination == VRRP_GROUP6
        assert ((raw[0] & 0x0F) << 4) | (raw[1] >> 4) == 0xC0  # traffic class
        assert encode_advert(ad, source=got.source, destination=got.destination) == raw[40:]
    return got


@pytest.mark.netns
def test_keepalived_packets_match_our_codec(lab: Lab, tmp_path: Path) -> None:
    sender, frames = capture_keepalived(lab, tmp_path)
    sender_mac = bytes.fromhex(
        sender.exec("cat", "/sys/class/net/eth0/address").stdout.strip().replace(":", "")
    )
    adverts = [_check_advert(f, sender_mac) for f in vrrp_frames(frames)]
    seen = {(p.advert.vrid, p.advert.priority == 0) for p in adverts}
    assert seen >= {(vrid, False) for vrid in BY_VRID}
    assert seen >= {(vrid, True) for vrid in BY_VRID}  # SIGTERM sends priority 0 everywhere
    # IP IDs count 1, 2, 3 ... per instance; AH sequence numbers too.
    for vrid, inst in BY_VRID.items():
        if inst.version == 3 and ":" in inst.addresses[0]:
            continue
        mine = [f for f, p in zip(vrrp_frames(frames), adverts, strict=True) if p.advert.vrid == vrid]
        idents = [int.from_bytes(f[14 + 4 : 14 + 6], "big") for f in mine]
        assert idents == list(range(1, len(idents) + 1))
        seqs = [p.ah.seq for p in adverts if p.advert.vrid == vrid and p.ah is not None]
        if inst.auth_type == 2:
            assert seqs == list(range(1, len(seqs) + 1))
    garps = garp_frames(frames)
    assert garps
    for frame in garps:
        assert gratuitous_arp(sender_mac, IPv4Address(frame[28:32])) == frame
    nas = na_frames(frames)
    assert nas
    for frame in nas:
        target = IPv6Address(frame[14 + 40 + 8 : 14 + 40 + 24])
        assert unsolicited_na(sender_mac, target, router=False) == frame


def _ipv4_received(ns: Namespace) -> int:
    """IPv4 packets that reached the namespace's IP layer (Ip: InReceives), joined group or not."""
    rows = [line.split() for line in ns.exec("cat", "/proc/net/snmp").stdout.splitlines()]
    names, values = (row for row in rows if row[0] == "Ip:")
    return int(values[names.index("InReceives")])


@pytest.mark.netns
def test_keepalived_accepts_our_packets(lab: Lab, tmp_path: Path) -> None:
    """The other direction: keepalived backups hear our priority-200 adverts and never take over.

    Our packets come from a raw socket in the peer namespace; without them (or if keepalived refused
    them) every backup would become MASTER after its Master_Down_Interval (about 3.6 s). The
    negative control, an AH instance we sign with the wrong key, must refuse them and take over.
    """
    sender, peer = make_pair(lab)
    instances = (*INSTANCES, WRONG_KEY_AH)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    # Our sender first, keepalived once its adverts arrive: a Python start-up slower than the
    # backups' Master_Down_Interval on a loaded host would otherwise let them take over.
    before = _ipv4_received(sender)
    ours = peer.popen(
        sys.executable, "-m", "tests.golden.send_ours", "30", "0.5", log=tmp_path / "send_ours.log", env=env
    )
    wait_for(lambda: _ipv4_received(sender) > before, what="our first adverts")
    keepalived = start_keepalived(sender, tmp_path, keepalived_conf(instances, backup_priority=100))
    log = tmp_path / "keepalived.log"
    wait_for(
        lambda: f"({WRONG_KEY_AH.name}) Entering MASTER STATE" in log.read_text(), timeout=40, what="control"
    )
    assert ours.wait(timeout=40) == 0, (tmp_path / "send_ours.log").read_text()
    lab.kill(keepalived)
    text = log.read_text()
    for inst in INSTANCES:
        assert f"({inst.name}) Entering BACKUP STATE" in text
        assert f"({inst.name}) Entering MASTER STATE" not in text, text
    assert "IPSEC-AH : invalid IPSEC HMAC-MD5" in text
    for complaint in ("checksum", "mismatch", "wrong version", "invalid passwd", "too short", "too long"):
        assert complaint not in text.lower(), text
