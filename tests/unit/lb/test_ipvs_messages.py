"""IPVS backend: the exact generic netlink messages, keepalived's defaults, "set" never "delete"."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest
from hypothesis import given, settings

from alived.core.lb.granularity import Netmask
from alived.core.lb.model import Forwarding, LbState, RealServer, ServiceKey, Tunnel, VirtualService
from alived.core.lb.plan import AddDest, AddService, DelDest, DelService, EditDest, EditService, plan
from alived.errors import BackendError
from alived.lb.ipvs import IpvsBackend, request_for
from alived.linux import ipvs_netlink as nl
from tests.helpers.lb_ipvs_fake import FAMILY_ID, FakeIpvsKernel
from tests.unit.lb.test_plan import state_st

KEY = ServiceKey(protocol="TCP", address="203.0.113.10", port=80)
RS = RealServer(address="198.51.100.11", port=80, weight=3)
VS = VirtualService(
    key=KEY,
    lb_algo="sh",
    persistence_timeout=300,
    persistence_granularity=24,
    flags=frozenset({"sh-port"}),
    real_servers=(RS,),
)

# IPVS_CMD_SET_DEST for RS in VS, byte for byte: nlmsghdr (len 140, type FAMILY_ID, flags
# REQUEST|ACK, seq 1), genlmsghdr (cmd 6, version 1), the service key, then all ten dest fields.
SET_DEST_HEX = (
    "8c000000"
    "1f00"
    "0500"
    "01000000"
    "00000000"  # nlmsghdr: len 140, type, REQUEST|ACK, seq 1, pid 0
    "06"
    "01"
    "0000"  # genlmsghdr: IPVS_CMD_SET_DEST, version 1
    "2400"
    "0100"  # IPVS_CMD_ATTR_SERVICE (key only)
    "0600"
    "0100"
    "0200"
    "0000"  # AF 2
    "0600"
    "0200"
    "0600"
    "0000"  # PROTOCOL 6
    "0800"
    "0300"
    "cb00710a"  # ADDR 203.0.113.10
    "0600"
    "0400"
    "0050"
    "0000"  # PORT 80 (big-endian)
    "5400"
    "0200"  # IPVS_CMD_ATTR_DEST
    "0600"
    "0b00"
    "0200"
    "0000"  # ADDR_FAMILY 2
    "0800"
    "0100"
    "c633640b"  # ADDR 198.51.100.11
    "0600"
    "0200"
    "0050"
    "0000"  # PORT 80
    "0800"
    "0300"
    "00000000"  # FWD_METHOD 0 = masquerading
    "0800"
    "0400"
    "03000000"  # WEIGHT 3
    "0800"
    "0500"
    "00000000"  # U_THRESH
    "0800"
    "0600"
    "00000000"  # L_THRESH
    "0500"
    "0d00"
    "00"
    "000000"  # TUN_TYPE
    "0600"
    "0e00"
    "0000"
    "0000"  # TUN_PORT
    "0600"
    "0f00"
    "0000"
    "0000"  # TUN_FLAGS
)


# IPVS_CMD_NEW_SERVICE for a persistent UDP SIP service (persistence_engine sip), byte for byte:
# as keepalived's libipvs, IPVS_SVC_ATTR_PE_NAME (11) right after the scheduler's name.
NEW_SIP_SERVICE_HEX = (
    "64000000"
    "1f00"
    "0506"
    "01000000"
    "00000000"  # nlmsghdr: len 100, type, REQUEST|ACK|EXCL|CREATE, seq 1, pid 0
    "01"
    "01"
    "0000"  # genlmsghdr: IPVS_CMD_NEW_SERVICE, version 1
    "5000"
    "0100"  # IPVS_CMD_ATTR_SERVICE
    "0600"
    "0100"
    "0200"
    "0000"  # AF 2
    "0600"
    "0200"
    "1100"
    "0000"  # PROTOCOL 17 (UDP)
    "0800"
    "0300"
    "cb00710a"  # ADDR 203.0.113.10
    "0600"
    "0400"
    "13c4"
    "0000"  # PORT 5060 (big-endian)
    "0700"
    "0600"
    "727200"
    "00"  # SCHED_NAME "rr"
    "0800"
    "0b00"
    "73697000"  # PE_NAME "sip"
    "0c00"
    "0700"
    "01000000"
    "ffffffff"  # FLAGS persistent, mask
    "0800"
    "0800"
    "2c010000"  # TIMEOUT 300
    "0800"
    "0900"
    "ffffffff"  # NETMASK 255.255.255.255
)
SIP = VirtualService(
    key=ServiceKey(protocol="UDP", address="203.0.113.10", port=5060),
    lb_algo="rr",
    persistence_timeout=300,
    persistence_granularity=32,
    persistence_engine="sip",
)


def test_persistence_engine_is_sent_as_pe_name_exactly_as_keepalived() -> None:
    assert nl.encode(request_for(AddService(service=SIP)), FAMILY_ID).hex() == NEW_SIP_SERVICE_HEX
    # A change of engine is a SET_SERVICE carrying it; no engine, no attribute at all.
    edit = request_for(EditService(service=replace(SIP, persistence_engine="")))
    assert edit.command == "set_service"
    assert "IPVS_SVC_ATTR_PE_NAME" not in attrs(edit.msg, "IPVS_CMD_ATTR_SERVICE")
    # Read back from the kernel (the fake decodes the wire bytes): the engine is kept, so a
    # restart plans nothing.
    kernel = FakeIpvsKernel()
    backend = IpvsBackend(kernel)
    assert backend.apply(plan(LbState.of([SIP]), backend.read_actual())) == ()
    assert backend.read_actual() == LbState.of([SIP])
    restarted = IpvsBackend(kernel)
    restarted.own([SIP])
    assert plan(LbState.of([SIP]), restarted.read_actual()) == ()


def attrs(msg: object, nla: str) -> dict[str, object]:
    return dict(msg.get_attr(nla)["attrs"])  # type: ignore[attr-defined]


def test_set_dest_bytes_are_exactly_these() -> None:
    wire = nl.encode(request_for(EditDest(service=KEY, dest=RS)), FAMILY_ID)
    assert wire.hex() == SET_DEST_HEX


def test_a_new_nat_destination_names_every_field_with_keepalived_defaults() -> None:
    kernel = FakeIpvsKernel()
    kernel.send(request_for(AddService(service=VS.attributes)))
    kernel.send(request_for(AddDest(service=KEY, dest=RS)))
    dest = attrs(kernel.sent[-1], "IPVS_CMD_ATTR_DEST")
    assert dest == {
        "IPVS_DEST_ATTR_ADDR_FAMILY": 2,
        "IPVS_DEST_ATTR_ADDR": "198.51.100.11",
        "IPVS_DEST_ATTR_PORT": 80,
        "IPVS_DEST_ATTR_FWD_METHOD": 0,  # masquerading (NAT), not pyroute2's direct routing (3)
        "IPVS_DEST_ATTR_WEIGHT": 3,
        "IPVS_DEST_ATTR_U_THRESH": 0,
        "IPVS_DEST_ATTR_L_THRESH": 0,
        "IPVS_DEST_ATTR_TUN_TYPE": 0,
        "IPVS_DEST_ATTR_TUN_PORT": 0,
        "IPVS_DEST_ATTR_TUN_FLAGS": 0,
    }
    svc = attrs(kernel.sent[0], "IPVS_CMD_ATTR_SERVICE")
    assert svc["IPVS_SVC_ATTR_SCHED_NAME"] == "sh"
    assert svc["IPVS_SVC_ATTR_FLAGS"] == {
        "flags": nl.IP_VS_SVC_F_PERSISTENT | nl.IP_VS_SVC_F_SCHED2,
        "mask": 0xFFFFFFFF,
    }
    assert svc["IPVS_SVC_ATTR_TIMEOUT"] == 300
    assert svc["IPVS_SVC_ATTR_NETMASK"] == "255.255.255.0"
    assert kernel.sent[0]["header"]["flags"] == nl.FLAGS["new"]


@pytest.mark.parametrize(
    ("op", "cmd"),
    [
        (EditDest(service=KEY, dest=replace(RS, weight=0)), 6),
        (EditService(service=replace(VS, lb_algo="mh", flags=frozenset({"mh-port"})).attributes), 2),
        (DelDest(service=KEY, address=RS.address, port=80), 7),
        (DelService(key=KEY), 3),
    ],
)
def test_changes_are_set_commands_and_only_deletes_delete(op: object, cmd: int) -> None:
    request = request_for(op)  # type: ignore[arg-type]
    assert request.msg["cmd"] == cmd
    flags = request.flags
    assert flags & 0x400 == 0 and flags & 0x200 == 0  # never CREATE|EXCL on a change or delete
    if isinstance(op, EditDest | EditService):
        assert request.command.startswith("set_")


def test_weight_change_through_the_backend_keeps_the_destination() -> None:
    kernel = FakeIpvsKernel()
    backend = IpvsBackend(kernel)
    assert backend.apply(plan(LbState.of([VS]), backend.read_actual())) == ()
    drained = replace(VS, real_servers=(replace(RS, weight=0),))
    ops = plan(LbState.of([drained]), backend.read_actual())
    assert ops == (EditDest(service=KEY, dest=drained.real_servers[0]),)
    assert backend.apply(ops) == ()
    assert backend.read_actual() == LbState.of([drained])
    assert [m["cmd"] for m in kernel.sent] == [1, 5, 6]


def test_tun_ipv6_and_fwmark_fields() -> None:
    tun = RealServer(
        address="2001:db8::11",
        port=0,
        forwarding=Forwarding.TUN,
        tunnel=Tunnel(type="gue", port=6080, csum="remcsum"),
    )
    key6 = ServiceKey(family=6, fwmark=9)
    vs = VirtualService(
        key=key6,
        lb_algo="mh",
        persistence_timeout=60,
        persistence_granularity=64,
        forwarding=Forwarding.TUN,
        real_servers=(tun,),
    )
    kernel = FakeIpvsKernel()
    backend = IpvsBackend(kernel)
    assert backend.apply(plan(LbState.of([vs]), backend.read_actual())) == ()
    svc = attrs(kernel.sent[0], "IPVS_CMD_ATTR_SERVICE")
    assert svc["IPVS_SVC_ATTR_FWMARK"] == 9 and svc["IPVS_SVC_ATTR_AF"] == 10
    assert "IPVS_SVC_ATTR_PROTOCOL" not in svc
    assert nl.encode(request_for(AddService(service=vs)), FAMILY_ID)[-4:] == (64).to_bytes(4, "little")
    dest = attrs(kernel.sent[1], "IPVS_CMD_ATTR_DEST")
    assert (dest["IPVS_DEST_ATTR_FWD_METHOD"], dest["IPVS_DEST_ATTR_TUN_TYPE"]) == (2, 1)
    assert dest["IPVS_DEST_ATTR_TUN_FLAGS"] == 2
    # The port goes big-endian on the wire (the kernel's nla_get_be16): 6080 = 0x17c0.
    assert bytes.fromhex("06000e0017c0") in nl.encode(request_for(AddDest(service=key6, dest=tun)), FAMILY_ID)
    assert backend.read_actual() == LbState.of([vs])


@given(state_st(), state_st())
@settings(max_examples=100)
def test_any_plan_through_the_fake_kernel_reaches_desired(desired: LbState, start: LbState) -> None:
    kernel = FakeIpvsKernel()
    backend = IpvsBackend(kernel)
    backend.own(start.services)
    assert backend.apply(plan(start, backend.read_actual())) == ()
    backend.own(desired.services)
    assert backend.apply(plan(desired, backend.read_actual())) == ()
    assert backend.read_actual() == desired
    assert all(m["cmd"] not in (3, 7) for m in kernel.sent if m["cmd"] in (2, 6))


def test_foreign_services_are_neither_read_nor_removed_and_a_refusal_is_reported() -> None:
    kernel = FakeIpvsKernel()
    foreign = VirtualService(key=ServiceKey(protocol="UDP", address="192.0.2.1", port=53), lb_algo="rr")
    kernel.send(request_for(AddService(service=foreign)))
    backend = IpvsBackend(kernel)
    kernel.refuse.add("198.51.100.11")
    failures = backend.apply(plan(LbState.of([VS]), backend.read_actual()))
    assert [type(f.op) for f in failures] == [AddDest]
    assert "errno 22" in failures[0].error
    assert backend.read_actual() == LbState.of([replace(VS, real_servers=())])
    assert backend.apply(plan(LbState(), backend.read_actual())) == ()
    assert len(kernel.services) == 1  # the foreign one


def test_a_kernel_without_ip_vs_is_a_backend_error() -> None:
    # This machine's kernel has no ip_vs; where it has, the socket opens and closes cleanly.
    if os.path.exists("/proc/net/ip_vs"):
        nl.IpvsSocket().close()
    else:
        with pytest.raises(BackendError, match="IPVS"):
            nl.IpvsSocket()


# IPVS_CMD_NEW_SERVICE for a persistent TCP service with persistence_granularity 255.0.255.0:
# keepalived 2.2.7 sends a netmask that is not solid as written (the kernel ANDs with it).
NEW_ODD_MASK_SERVICE_HEX = (
    "5c000000"
    "1f00"
    "0506"
    "01000000"
    "00000000"  # nlmsghdr: len 92, type, REQUEST|ACK|EXCL|CREATE, seq 1, pid 0
    "01"
    "01"
    "0000"  # genlmsghdr: IPVS_CMD_NEW_SERVICE, version 1
    "4800"
    "0100"  # IPVS_CMD_ATTR_SERVICE
    "0600"
    "0100"
    "0200"
    "0000"  # AF 2
    "0600"
    "0200"
    "0600"
    "0000"  # PROTOCOL 6 (TCP)
    "0800"
    "0300"
    "cb00710a"  # ADDR 203.0.113.10
    "0600"
    "0400"
    "0050"
    "0000"  # PORT 80 (big-endian)
    "0700"
    "0600"
    "727200"
    "00"  # SCHED_NAME "rr"
    "0c00"
    "0700"
    "01000000"
    "ffffffff"  # FLAGS persistent, mask
    "0800"
    "0800"
    "3c000000"  # TIMEOUT 60
    "0800"
    "0900"
    "ff00ff00"  # NETMASK 255.0.255.0
)
ODD_MASK = VirtualService(
    key=KEY,
    lb_algo="rr",
    persistence_timeout=60,
    persistence_granularity=Netmask(0xFF00FF00),
    real_servers=(RS,),
)


def test_a_netmask_that_is_not_solid_is_sent_as_written_and_read_back_unchanged() -> None:
    assert nl.encode(request_for(AddService(service=ODD_MASK)), FAMILY_ID).hex() == NEW_ODD_MASK_SERVICE_HEX
    # The kernel's netmask reads back as the same value: the next pass (or a restart) plans nothing.
    kernel = FakeIpvsKernel()
    backend = IpvsBackend(kernel)
    assert backend.apply(plan(LbState.of([ODD_MASK]), backend.read_actual())) == ()
    assert backend.read_actual() == LbState.of([ODD_MASK])
    restarted = IpvsBackend(kernel)
    restarted.own([ODD_MASK])
    assert plan(LbState.of([ODD_MASK]), restarted.read_actual()) == ()
    # A change to a solid mask is one SET_SERVICE carrying 255.255.255.0.
    solid = replace(ODD_MASK, persistence_granularity=24)
    ops = plan(LbState.of([solid]), backend.read_actual())
    assert [type(op) for op in ops] == [EditService]
    svc = attrs(request_for(ops[0]).msg, "IPVS_CMD_ATTR_SERVICE")
    assert svc["IPVS_SVC_ATTR_NETMASK"] == "255.255.255.0"
