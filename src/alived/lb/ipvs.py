"""The IPVS load-balancer backend: each planned operation is one IPVS generic netlink command.

Every field is passed with keepalived's meaning (NAT = masquerading, forwarding method given
for each destination; persistence flag with its timeout and netmask; scheduler flags), never
pyroute2's defaults. A change is IPVS_CMD_SET_SERVICE / IPVS_CMD_SET_DEST. The backend owns
the services it is told it owns (`own()`): others in the kernel are neither read nor removed.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Iterable
from dataclasses import replace
from typing import Any, Protocol

from alived.core.lb import granularity
from alived.core.lb.granularity import Granularity
from alived.core.lb.model import Forwarding, LbState, RealServer, ServiceKey, Tunnel, VirtualService
from alived.core.lb.plan import (
    AddDest,
    AddService,
    DelService,
    EditDest,
    EditService,
    Op,
    describe,
    op_service,
)
from alived.errors import BackendError
from alived.lb.base import Counters, OpFailure
from alived.linux import ipvs_netlink as nl

log = logging.getLogger("alived.lb.ipvs")

PROTO = {"TCP": socket.IPPROTO_TCP, "UDP": socket.IPPROTO_UDP, "SCTP": 132}
PROTO_NAME = {v: k for k, v in PROTO.items()}
FWD = {
    Forwarding.NAT: nl.IP_VS_CONN_F_MASQ,
    Forwarding.TUN: nl.IP_VS_CONN_F_TUNNEL,
    Forwarding.DR: nl.IP_VS_CONN_F_DROUTE,
}
FWD_NAME = {v: k for k, v in FWD.items()}
SCHED_FLAGS = {
    "flag-1": nl.IP_VS_SVC_F_SCHED1,
    "sh-fallback": nl.IP_VS_SVC_F_SCHED1,
    "mh-fallback": nl.IP_VS_SVC_F_SCHED1,
    "flag-2": nl.IP_VS_SVC_F_SCHED2,
    "sh-port": nl.IP_VS_SVC_F_SCHED2,
    "mh-port": nl.IP_VS_SVC_F_SCHED2,
    "flag-3": nl.IP_VS_SVC_F_SCHED3,
    "ops": nl.IP_VS_SVC_F_ONEPACKET,
}
TUN_CSUM = {
    "nocsum": 0,
    "csum": nl.IP_VS_TUNNEL_ENCAP_FLAG_CSUM,
    "remcsum": nl.IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM,
}


def flag_names(sched: str) -> tuple[tuple[str, int], ...]:
    """The scheduler flags under the names keepalived gives them for this scheduler."""
    one, two = ("flag-1", "flag-2")
    if sched in ("sh", "mh"):
        one, two = (f"{sched}-fallback", f"{sched}-port")
    return (
        (one, nl.IP_VS_SVC_F_SCHED1),
        (two, nl.IP_VS_SVC_F_SCHED2),
        ("flag-3", nl.IP_VS_SVC_F_SCHED3),
        ("ops", nl.IP_VS_SVC_F_ONEPACKET),
    )


def _af(family: int) -> int:
    return socket.AF_INET if family == 4 else socket.AF_INET6


def service_fields(vs: VirtualService) -> nl.ServiceFields:
    """keepalived's service: persistence sets the persistent flag; netmask from the granularity."""
    key = vs.key
    flags = 0
    for flag in vs.flags:
        flags |= SCHED_FLAGS[flag]
    if vs.persistence_timeout:
        flags |= nl.IP_VS_SVC_F_PERSISTENT
    pgran = vs.persistence_granularity
    if key.family == 4:
        # the netmask as keepalived sends it, solid or not
        netmask: str | int = granularity.ipv4_netmask(pgran)
    else:
        assert isinstance(pgran, int)  # VirtualService holds a Netmask for IPv4 only
        netmask = pgran
    return nl.ServiceFields(
        af=_af(key.family),
        protocol=PROTO[key.protocol] if key.protocol else 0,
        addr=key.address or ("0.0.0.0" if key.family == 4 else "::"),
        port=key.port,
        fwmark=key.fwmark,
        sched_name=vs.lb_algo,
        flags=flags,
        timeout=vs.persistence_timeout,
        netmask=netmask,
        pe_name=vs.persistence_engine,
    )


def key_fields(key: ServiceKey) -> nl.ServiceFields:
    return service_fields(VirtualService(key=key, persistence_granularity=32 if key.family == 4 else 128))


def dest_fields(rs: RealServer) -> nl.DestFields:
    tunnel = rs.tunnel if rs.forwarding == Forwarding.TUN and rs.tunnel is not None else None
    return nl.DestFields(
        addr=rs.address,
        addr_family=_af(rs.family),
        port=rs.port,
        fwd_method=FWD[rs.forwarding],
        weight=rs.weight,
        u_thresh=rs.uthreshold,
        l_thresh=rs.lthreshold,
        tun_type=nl.TUN_TYPES[tunnel.type] if tunnel else 0,
        tun_port=tunnel.port if tunnel else 0,
        tun_flags=TUN_CSUM[tunnel.csum] if tunnel else 0,
    )


def request_for(op: Op) -> nl.Request:
    """The one IPVS command an operation is."""
    if isinstance(op, AddService):
        return nl.build("new_service", service_fields(op.service))
    if isinstance(op, EditService):
        return nl.build("set_service", service_fields(op.service))
    if isinstance(op, DelService):
        return nl.build("del_service", key_fields(op.key))
    if isinstance(op, AddDest):
        return nl.build("new_dest", key_fields(op.service), dest_fields(op.dest))
    if isinstance(op, EditDest):
        return nl.build("set_dest", key_fields(op.service), dest_fields(op.dest))
    # A delete names the destination by address and port; the other fields are not read.
    gone = RealServer(address=op.address, port=op.port)
    return nl.build("del_dest", key_fields(op.service), dest_fields(gone))


class IpvsTransport(Protocol):
    """The socket side (linux/ipvs_netlink.IpvsSocket, or a recording twin in tests)."""

    def send(self, request: nl.Request) -> None: ...
    def dump_services(self) -> list[dict[str, Any]]: ...
    def dump_dests(self, service: nl.ServiceFields) -> list[dict[str, Any]]: ...


def parse_service(attrs: dict[str, Any]) -> VirtualService:
    af = attrs["IPVS_SVC_ATTR_AF"]
    family = 4 if af == socket.AF_INET else 6
    fwmark = attrs.get("IPVS_SVC_ATTR_FWMARK", 0)
    flags_value = attrs.get("IPVS_SVC_ATTR_FLAGS", {"flags": 0})["flags"]
    sched = attrs["IPVS_SVC_ATTR_SCHED_NAME"]
    flags = frozenset(name for name, bit in flag_names(sched) if flags_value & bit)
    netmask = attrs.get("IPVS_SVC_ATTR_NETMASK", "255.255.255.255")
    pgran: Granularity
    if family == 4:
        pgran = granularity.from_ipv4_mask(int(ipaddress.IPv4Address(netmask)))
    else:
        pgran = int.from_bytes(socket.inet_aton(netmask), "little") or 128
    timeout = attrs.get("IPVS_SVC_ATTR_TIMEOUT", 0) if flags_value & nl.IP_VS_SVC_F_PERSISTENT else 0
    key = (
        ServiceKey(family=family, fwmark=fwmark)
        if fwmark
        else ServiceKey(
            family=family,
            protocol=PROTO_NAME[attrs["IPVS_SVC_ATTR_PROTOCOL"]],
            address=str(ipaddress.ip_address(attrs["IPVS_SVC_ATTR_ADDR"])),
            port=attrs["IPVS_SVC_ATTR_PORT"],
        )
    )
    return VirtualService(
        key=key,
        lb_algo=attrs["IPVS_SVC_ATTR_SCHED_NAME"],
        persistence_timeout=timeout,
        persistence_granularity=pgran,
        flags=flags,
        persistence_engine=attrs.get("IPVS_SVC_ATTR_PE_NAME", "") or "",
    )


def parse_dest(attrs: dict[str, Any]) -> RealServer:
    fwd = FWD_NAME.get(attrs["IPVS_DEST_ATTR_FWD_METHOD"] & 0x7, Forwarding.NAT)
    tunnel = None
    if fwd == Forwarding.TUN:
        types = {v: k for k, v in nl.TUN_TYPES.items()}
        csums = {v: k for k, v in TUN_CSUM.items()}
        tunnel = Tunnel(
            type=types.get(attrs.get("IPVS_DEST_ATTR_TUN_TYPE", 0), "ipip"),
            port=socket.ntohs(attrs.get("IPVS_DEST_ATTR_TUN_PORT", 0)),
            csum=csums.get(attrs.get("IPVS_DEST_ATTR_TUN_FLAGS", 0), "nocsum"),
        )
    return RealServer(
        address=str(ipaddress.ip_address(attrs["IPVS_DEST_ATTR_ADDR"])),
        port=attrs["IPVS_DEST_ATTR_PORT"],
        weight=attrs["IPVS_DEST_ATTR_WEIGHT"],
        forwarding=fwd,
        tunnel=tunnel,
        uthreshold=attrs.get("IPVS_DEST_ATTR_U_THRESH", 0),
        lthreshold=attrs.get("IPVS_DEST_ATTR_L_THRESH", 0),
    )


class IpvsBackend:
    """LbBackend on IPVS; `transport` defaults to a real IPVS socket (BackendError without ip_vs)."""

    name = "ipvs"

    def __init__(self, transport: IpvsTransport | None = None) -> None:
        self._io: IpvsTransport = transport if transport is not None else nl.IpvsSocket()
        self._owned: set[ServiceKey] = set()
        # IPVS keeps no service-level forwarding method (only each destination's): remembered here.
        self._forwarding: dict[ServiceKey, Forwarding] = {}

    def own(self, services: Iterable[VirtualService]) -> None:
        """Services this backend may adopt, change and remove (the configured ones)."""
        for vs in services:
            self._owned.add(vs.key)
            self._forwarding[vs.key] = vs.forwarding

    def read_actual(self) -> LbState:
        services = []
        for attrs in self._io.dump_services():
            vs = parse_service(attrs)
            if vs.key not in self._owned:
                continue
            dests = sorted(parse_dest(d) for d in self._io.dump_dests(key_fields(vs.key)))
            forwarding = self._forwarding.get(vs.key, Forwarding.NAT)
            services.append(replace(vs, forwarding=forwarding, real_servers=tuple(dests)))
        return LbState.of(services)

    def apply(self, ops: tuple[Op, ...]) -> tuple[OpFailure, ...]:
        failures = []
        failed_services: set[ServiceKey] = set()
        for op in ops:
            if isinstance(op, AddService | EditService):
                self.own([op.service])
            service = op_service(op)
            if service in failed_services and not isinstance(op, DelService):
                # The service could not be made: its destinations cannot go in either.
                failures.append(OpFailure(op=op, error="service not created"))
                continue
            try:
                self._io.send(request_for(op))
            except BackendError as err:
                log.error("IPVS: %s failed: %s", describe(op), err)
                failures.append(OpFailure(op=op, error=str(err)))
                if isinstance(op, AddService):
                    failed_services.add(service)
        return tuple(failures)

    def counters(self) -> dict[ServiceKey, Counters]:
        result = {}
        for attrs in self._io.dump_services():
            vs = parse_service(attrs)
            if vs.key not in self._owned:
                continue
            stats = attrs.get("IPVS_SVC_ATTR_STATS64") or attrs.get("IPVS_SVC_ATTR_STATS") or {}
            per_rs = {}
            conns = {}
            scheduled = {}
            replies = {}
            for d in self._io.dump_dests(key_fields(vs.key)):
                rs = parse_dest(d)
                ds = d.get("IPVS_DEST_ATTR_STATS64") or d.get("IPVS_DEST_ATTR_STATS") or {}
                per_rs[rs.key] = (_stat(ds, "INPKTS"), _stat(ds, "INBYTES"))
                scheduled[rs.key] = _stat(ds, "CONNS")
                replies[rs.key] = (_stat(ds, "OUTPKTS"), _stat(ds, "OUTBYTES"))
                conns[rs.key] = (
                    int(d.get("IPVS_DEST_ATTR_ACTIVE_CONNS", 0)),
                    int(d.get("IPVS_DEST_ATTR_INACT_CONNS", 0)),
                )
            result[vs.key] = Counters(
                packets=_stat(stats, "INPKTS"),
                bytes=_stat(stats, "INBYTES"),
                real_servers=per_rs,
                connections=conns,
                new_connections=_stat(stats, "CONNS"),
                rs_new_connections=scheduled,
                out=(_stat(stats, "OUTPKTS"), _stat(stats, "OUTBYTES")),
                rs_out=replies,
            )
        return result


def _stat(stats: Any, name: str) -> int:
    """A counter from a decoded stats attribute (pyroute2 nla or its plain-dict form)."""
    attrs: list[tuple[str, Any]] = stats.get("attrs", []) if stats else []
    return int(dict(attrs).get(f"IPVS_STATS_ATTR_{name}", 0))
