"""What the VRRP child puts on the wire for an advert: IP ID per instance, old_unicast_checksum.

The child is driven through `send_advert` with a recording IPv4 socket in place of the raw one.
"""

from __future__ import annotations

import struct
from dataclasses import replace
from ipaddress import IPv4Address, IPv6Address

import pytest

from alived.config.load import load_text
from alived.core.vrrp.actions import SendAdvert
from alived.core.vrrp.checksum import ChecksumVerdict, UnicastChecksum
from alived.core.vrrp.wire import (
    VRRP_GROUP4,
    Advert,
    ReceivedPacket,
    decode_ipv4_packet,
    encode_advert,
    encode_ipv4_packet,
)
from alived.daemon.options import Options
from alived.daemon.vrrp.child import SocketEntry, VrrpChild
from alived.daemon.vrrp.reload import diff
from alived.daemon.vrrp.translate import InstancePlan, translate
from alived.linux.vrrp_socket import Vrrp4Socket

SRC = IPv4Address("192.0.2.1")
PEERS = (IPv4Address("192.0.2.2"), IPv4Address("192.0.2.3"))


def config_text(*, version: int = 3, extra: str = "", unicast: bool = True, auth: str = "") -> str:
    peers = "  unicast_peer {\n    192.0.2.2\n    192.0.2.3\n  }\n" if unicast else ""
    return f"""
global_defs {{
  vrrp_version {version}
}}
vrrp_instance VI_1 {{
  interface eth0
  virtual_router_id 51
  priority 150
  advert_int 1
{peers}{extra}{auth}
  virtual_ipaddress {{
    192.0.2.100/24
  }}
}}
vrrp_instance VI_2 {{
  interface eth0
  virtual_router_id 52
  priority 150
  advert_int 1
{peers}
  virtual_ipaddress {{
    192.0.2.101/24
  }}
}}
"""


def plans_of(text: str) -> dict[str, InstancePlan]:
    config = load_text(text, interfaces={"eth0"}).config
    return {p.name: p for p in translate(config, lambda ifname, fam: SRC if fam == 4 else None)}


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[bytes, IPv4Address]] = []

    def __call__(self, packet: bytes, destination: IPv4Address) -> None:
        self.sent.append((packet, destination))


def child_with(plans: dict[str, InstancePlan]) -> tuple[VrrpChild, Recorder]:
    child = VrrpChild(Options())
    child.plans = dict(plans)
    recorder = Recorder()
    for plan in plans.values():
        if plan.socket_key in child.sockets:
            continue
        sock = Vrrp4Socket(ifname="eth0", ifindex=2, group=None, sockets={}, loop=None)
        sock.send = recorder  # type: ignore[method-assign]
        child.sockets[plan.socket_key] = SocketEntry(key=plan.socket_key, sock=sock)
    return child, recorder


def advert_of(plan: InstancePlan) -> SendAdvert:
    p = plan.params
    assert p.version in (2, 3)
    return SendAdvert(
        advert=Advert(
            version=p.version,
            vrid=p.vrid,
            priority=p.priority,
            adver_int=1 if p.version == 2 else 100,
            addresses=p.addresses,
            auth_type=p.auth_type if p.version == 2 else 0,
        ),
        ah_seq=1,
    )


def ip_id(packet: bytes) -> int:
    return int(struct.unpack_from("!H", packet, 4)[0])


def test_each_instance_counts_its_own_ip_ids_from_one_and_unicast_copies_share_one() -> None:
    plans = plans_of(config_text())
    child, sent = child_with(plans)
    for _ in range(2):
        child.actions.send_advert("VI_1", advert_of(plans["VI_1"]))
    child.actions.send_advert("VI_2", advert_of(plans["VI_2"]))
    assert [(ip_id(packet), dest) for packet, dest in sent.sent] == [
        (1, PEERS[0]),
        (1, PEERS[1]),
        (2, PEERS[0]),
        (2, PEERS[1]),
        (1, PEERS[0]),
        (1, PEERS[1]),
    ]


def test_multicast_and_ah_adverts_carry_the_counter_too() -> None:
    auth = "  authentication {\n    auth_type AH\n    auth_pass secret\n  }\n"
    plans = plans_of(config_text(version=2, unicast=False, auth=auth))
    child, sent = child_with(plans)
    for _ in range(3):
        child.actions.send_advert("VI_1", advert_of(plans["VI_1"]))
    assert [ip_id(packet) for packet, _ in sent.sent] == [1, 2, 3]
    assert all(dest == VRRP_GROUP4 for _, dest in sent.sent)
    assert all(packet[9] == 51 for packet, _ in sent.sent)  # AH


def test_a_reload_that_keeps_an_instance_keeps_its_counter_and_plans_still_compare_equal() -> None:
    text = config_text()
    old, new = plans_of(text), plans_of(text)
    old["VI_1"].send.next_ip_id()
    assert old["VI_1"] == new["VI_1"]
    config = load_text(text, interfaces={"eth0"}).config
    kept, _, restarted, _ = diff(config, old, config, new)
    assert kept == {"VI_1", "VI_2"} and not restarted


@pytest.mark.parametrize(
    ("line", "mode"),
    [
        ("", UnicastChecksum.NONE),
        ("  old_unicast_checksum\n", UnicastChecksum.CONFIG),
        ("  old_unicast_checksum never\n", UnicastChecksum.NEVER),
    ],
)
def test_translate_reads_old_unicast_checksum(line: str, mode: UnicastChecksum) -> None:
    assert plans_of(config_text(extra=line))["VI_1"].unicast_checksum is mode


def test_old_unicast_checksum_reaches_the_wire() -> None:
    plans = plans_of(config_text(extra="  old_unicast_checksum\n"))
    child, sent = child_with(plans)
    child.actions.send_advert("VI_1", advert_of(plans["VI_1"]))
    child.actions.send_advert("VI_2", advert_of(plans["VI_2"]))
    (old1, _), (old2, _), (new1, _), (new2, _) = sent.sent
    advert = advert_of(plans["VI_1"]).advert
    assert old1[20:] == old2[20:] == encode_advert(advert, source=SRC, destination=VRRP_GROUP4)
    assert decode_ipv4_packet(old1).old_unicast_checksum and decode_ipv4_packet(old2).old_unicast_checksum
    # VI_2 did not ask for it: its checksum covers each peer's own address.
    assert not decode_ipv4_packet(new1).old_unicast_checksum
    assert new1[20:] == encode_advert(advert_of(plans["VI_2"]).advert, source=SRC, destination=PEERS[0])
    assert new2[20:] == encode_advert(advert_of(plans["VI_2"]).advert, source=SRC, destination=PEERS[1])


def received(*, old: bool, destination: IPv4Address = SRC, version: int = 3) -> ReceivedPacket:
    advert = Advert(
        version=version, vrid=51, priority=100, adver_int=100 if version == 3 else 1, addresses=()
    )
    packet = encode_ipv4_packet(
        advert, source=PEERS[0], destination=destination, ident=1, old_unicast_checksum=old
    )
    return decode_ipv4_packet(packet)


def test_checksum_verdicts_follow_keepalived_modes() -> None:
    default = plans_of(config_text())["VI_1"]
    never = plans_of(config_text(extra="  old_unicast_checksum never\n"))["VI_1"]
    config = plans_of(config_text(extra="  old_unicast_checksum\n"))["VI_1"]
    new_form, old_form = received(old=False), received(old=True)
    assert old_form.old_unicast_checksum and not new_form.old_unicast_checksum
    assert never.checksum_verdict(new_form) is ChecksumVerdict.ACCEPT
    assert never.checksum_verdict(old_form) is ChecksumVerdict.REJECT
    assert config.checksum_verdict(old_form) is ChecksumVerdict.ACCEPT
    assert config.checksum_verdict(new_form) is ChecksumVerdict.REJECT
    # The default takes the new form, and adopts the old one the first time a peer uses it.
    assert default.checksum_verdict(new_form) is ChecksumVerdict.ACCEPT
    assert not default.old_unicast_checksum
    assert default.checksum_verdict(old_form) is ChecksumVerdict.ADOPT
    assert default.old_unicast_checksum
    assert default.checksum_verdict(old_form) is ChecksumVerdict.ACCEPT
    assert default.checksum_verdict(new_form) is ChecksumVerdict.REJECT
    # Multicast and VRRPv2 have one form only.
    assert config.checksum_verdict(received(old=False, destination=VRRP_GROUP4)) is ChecksumVerdict.ACCEPT
    assert config.checksum_verdict(received(old=False, version=2)) is ChecksumVerdict.ACCEPT


def test_adopting_the_old_form_switches_what_is_sent() -> None:
    plans = plans_of(config_text())
    child, sent = child_with(plans)
    assert plans["VI_1"].checksum_verdict(received(old=True)) is ChecksumVerdict.ADOPT
    child.actions.send_advert("VI_1", advert_of(plans["VI_1"]))
    assert all(decode_ipv4_packet(packet).old_unicast_checksum for packet, _ in sent.sent)


def test_ipv6_plans_never_use_the_old_form() -> None:
    plan = plans_of(config_text())["VI_1"]
    params = replace(plan.params, primary_address=IPv6Address("fe80::1"), addresses=())
    v6 = replace(plan, family=6, params=params, unicast_checksum=UnicastChecksum.CONFIG)
    assert not v6.old_unicast_checksum


def test_v3_checksum_as_v2_takes_only_its_own_form() -> None:
    as_v2 = plans_of(config_text(extra="  v3_checksum_as_v2\n"))["VI_1"]
    standard = plans_of(config_text())["VI_1"]
    packet = received(old=False)
    assert as_v2.v3_checksum_as_v2 and not standard.v3_checksum_as_v2
    assert as_v2.checksum_verdict(packet, as_v2=True) is ChecksumVerdict.ACCEPT
    assert as_v2.checksum_verdict(packet, as_v2=False) is ChecksumVerdict.REJECT
    assert standard.checksum_verdict(packet, as_v2=True) is ChecksumVerdict.REJECT
    # VRRPv2 has one checksum form: the option does not apply.
    assert as_v2.checksum_verdict(received(old=False, version=2), as_v2=False) is ChecksumVerdict.ACCEPT
