"""IPVS over generic netlink ("IPVS" family): messages built with every field explicit.

The second module allowed to import pyroute2 (after linux/netlink.py), and only for IPVS's
message classes and its generic netlink socket. pyroute2's own IPVS helpers are not used:
their real-server default is direct routing (keepalived's is NAT) and their "update" verb
sends IPVS_CMD_DEL_*; here a change is always IPVS_CMD_SET_* and nothing has a default.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass
from typing import Any

from pyroute2.netlink import NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REQUEST
from pyroute2.netlink.generic import GenericNetlinkSocket
from pyroute2.netlink.generic import ipvs as _ipvs

from alived.errors import BackendError
from alived.linux import kernel_ops

# include/uapi/linux/ip_vs.h
IP_VS_CONN_F_MASQ = 0
IP_VS_CONN_F_TUNNEL = 2
IP_VS_CONN_F_DROUTE = 3
IP_VS_SVC_F_PERSISTENT = 0x1
IP_VS_SVC_F_HASHED = 0x2
IP_VS_SVC_F_ONEPACKET = 0x4
IP_VS_SVC_F_SCHED1 = 0x8
IP_VS_SVC_F_SCHED2 = 0x10
IP_VS_SVC_F_SCHED3 = 0x20
IP_VS_TUNNEL_ENCAP_FLAG_CSUM = 0x1
IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM = 0x2
TUN_TYPES = {"ipip": 0, "gue": 1, "gre": 2}

CMD = {
    "new_service": _ipvs.IPVS_CMD_NEW_SERVICE,
    "set_service": _ipvs.IPVS_CMD_SET_SERVICE,
    "del_service": _ipvs.IPVS_CMD_DEL_SERVICE,
    "get_service": _ipvs.IPVS_CMD_GET_SERVICE,
    "new_dest": _ipvs.IPVS_CMD_NEW_DEST,
    "set_dest": _ipvs.IPVS_CMD_SET_DEST,
    "del_dest": _ipvs.IPVS_CMD_DEL_DEST,
    "get_dest": _ipvs.IPVS_CMD_GET_DEST,
}
FLAGS = {
    "new": NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
    "set": NLM_F_REQUEST | NLM_F_ACK,
    "del": NLM_F_REQUEST | NLM_F_ACK,
    "get": NLM_F_REQUEST | NLM_F_DUMP,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceFields:
    """IPVS_SVC_ATTR_*; `netmask` is the IPv4 mask, or the IPv6 prefix length."""

    af: int
    protocol: int  # IPPROTO_*, 0 for a fwmark service
    addr: str  # the unspecified address for a fwmark service
    port: int
    fwmark: int
    sched_name: str
    flags: int
    timeout: int
    netmask: str | int
    pe_name: str = ""  # persistence engine ("sip"); sent only when set, as keepalived does


@dataclass(frozen=True, slots=True, kw_only=True)
class DestFields:
    """IPVS_DEST_ATTR_*."""

    addr: str
    addr_family: int
    port: int
    fwd_method: int
    weight: int
    u_thresh: int
    l_thresh: int
    tun_type: int
    tun_port: int
    tun_flags: int


def _netmask(fields: ServiceFields) -> str:
    if fields.af == socket.AF_INET6:
        # The kernel reads the IPv6 prefix length as the attribute's raw u32 (as keepalived
        # writes it, host order); pyroute2 encodes the attribute as four address bytes.
        assert isinstance(fields.netmask, int)
        return socket.inet_ntoa(struct.pack("=I", fields.netmask))
    return str(fields.netmask)


def service_key_attrs(fields: ServiceFields) -> list[tuple[str, Any]]:
    """The attributes that name a service (all a dest command needs)."""
    if fields.fwmark:
        return [("IPVS_SVC_ATTR_AF", fields.af), ("IPVS_SVC_ATTR_FWMARK", fields.fwmark)]
    return [
        ("IPVS_SVC_ATTR_AF", fields.af),
        ("IPVS_SVC_ATTR_PROTOCOL", fields.protocol),
        ("IPVS_SVC_ATTR_ADDR", fields.addr),
        ("IPVS_SVC_ATTR_PORT", fields.port),
    ]


def service_attrs(fields: ServiceFields) -> list[tuple[str, Any]]:
    # keepalived's libipvs: the persistence engine after the scheduler, only when one is set.
    engine = [("IPVS_SVC_ATTR_PE_NAME", fields.pe_name)] if fields.pe_name else []
    return [
        *service_key_attrs(fields),
        ("IPVS_SVC_ATTR_SCHED_NAME", fields.sched_name),
        *engine,
        ("IPVS_SVC_ATTR_FLAGS", {"flags": fields.flags, "mask": 0xFFFFFFFF}),
        ("IPVS_SVC_ATTR_TIMEOUT", fields.timeout),
        ("IPVS_SVC_ATTR_NETMASK", _netmask(fields)),
    ]


def dest_attrs(fields: DestFields) -> list[tuple[str, Any]]:
    return [
        ("IPVS_DEST_ATTR_ADDR_FAMILY", fields.addr_family),
        ("IPVS_DEST_ATTR_ADDR", fields.addr),
        ("IPVS_DEST_ATTR_PORT", fields.port),
        ("IPVS_DEST_ATTR_FWD_METHOD", fields.fwd_method),
        ("IPVS_DEST_ATTR_WEIGHT", fields.weight),
        ("IPVS_DEST_ATTR_U_THRESH", fields.u_thresh),
        ("IPVS_DEST_ATTR_L_THRESH", fields.l_thresh),
        ("IPVS_DEST_ATTR_TUN_TYPE", fields.tun_type),
        # The kernel reads the tunnel port as big-endian (nla_get_be16); pyroute2 declares it
        # a host-order u16, so the value is swapped here.
        ("IPVS_DEST_ATTR_TUN_PORT", socket.htons(fields.tun_port)),
        ("IPVS_DEST_ATTR_TUN_FLAGS", fields.tun_flags),
    ]


@dataclass(frozen=True, slots=True)
class Request:
    """One IPVS command ready to send: `msg` is pyroute2's ipvsmsg, `flags` the nlmsg flags."""

    command: str
    msg: Any
    flags: int


def build(command: str, service: ServiceFields, dest: DestFields | None = None) -> Request:
    """An IPVS request: `new_service`, `set_service`, `del_service`, `new_dest`, `set_dest`, `del_dest`."""
    msg = _ipvs.ipvsmsg()
    msg["cmd"] = CMD[command]
    msg["version"] = _ipvs.GENL_VERSION
    if command.endswith("_service"):
        svc = service_key_attrs(service) if command == "del_service" else service_attrs(service)
        msg["attrs"] = [("IPVS_CMD_ATTR_SERVICE", {"attrs": svc})]
    else:
        if dest is None:
            raise ValueError(f"{command} needs a destination")
        msg["attrs"] = [
            ("IPVS_CMD_ATTR_SERVICE", {"attrs": service_key_attrs(service)}),
            ("IPVS_CMD_ATTR_DEST", {"attrs": dest_attrs(dest)}),
        ]
    return Request(command=command, msg=msg, flags=FLAGS[command.split("_", maxsplit=1)[0]])


def encode(request: Request, family_id: int, seq: int = 1) -> bytes:
    """The wire bytes of a request (for tests and debugging)."""
    msg = request.msg
    msg["header"]["type"] = family_id
    msg["header"]["flags"] = request.flags
    msg["header"]["sequence_number"] = seq
    msg["header"]["pid"] = 0
    msg.encode()
    return bytes(msg.data[: msg["header"]["length"]])


class IpvsSocket:
    """A generic netlink socket bound to the IPVS family (fails when the kernel has no ip_vs)."""

    def __init__(self) -> None:
        self._sock = GenericNetlinkSocket()
        try:
            self._sock.bind(_ipvs.GENL_NAME, _ipvs.ipvsmsg)
        except Exception as err:
            self._sock.close()
            raise BackendError("resolve generic netlink family IPVS", detail=str(err)) from err

    def send(self, request: Request) -> None:
        kernel_ops.count("ipvs", request.command)
        try:
            self._sock.nlm_request(request.msg, msg_type=self._sock.prid, msg_flags=request.flags)
        except Exception as err:
            errno = getattr(err, "code", None)
            raise BackendError(request.command, errno=errno, detail=str(err)) from err

    def dump_services(self) -> list[dict[str, Any]]:
        msg = _ipvs.ipvsmsg()
        msg["cmd"] = CMD["get_service"]
        msg["version"] = _ipvs.GENL_VERSION
        replies = self._sock.nlm_request(msg, msg_type=self._sock.prid, msg_flags=FLAGS["get"])
        return [dict(r.get_attr("IPVS_CMD_ATTR_SERVICE")["attrs"]) for r in replies]

    def dump_dests(self, service: ServiceFields) -> list[dict[str, Any]]:
        msg = _ipvs.ipvsmsg()
        msg["cmd"] = CMD["get_dest"]
        msg["version"] = _ipvs.GENL_VERSION
        msg["attrs"] = [("IPVS_CMD_ATTR_SERVICE", {"attrs": service_key_attrs(service)})]
        replies = self._sock.nlm_request(msg, msg_type=self._sock.prid, msg_flags=FLAGS["get"])
        return [dict(r.get_attr("IPVS_CMD_ATTR_DEST")["attrs"]) for r in replies]

    def close(self) -> None:
        self._sock.close()
