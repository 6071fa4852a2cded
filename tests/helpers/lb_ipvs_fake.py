"""A fake IPVS kernel behind the IpvsTransport interface: decodes each request's wire bytes and
keeps services and destinations as the kernel would (EEXIST / ENOENT like ip_vs_ctl.c)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pyroute2.netlink.generic import ipvs as genl_ipvs

from alived.errors import BackendError
from alived.linux import ipvs_netlink as nl

FAMILY_ID = 0x1F
KEY_ATTRS = (
    "IPVS_SVC_ATTR_AF",
    "IPVS_SVC_ATTR_PROTOCOL",
    "IPVS_SVC_ATTR_ADDR",
    "IPVS_SVC_ATTR_PORT",
    "IPVS_SVC_ATTR_FWMARK",
)


def _decoded(request: nl.Request) -> Any:
    msg = genl_ipvs.ipvsmsg(nl.encode(request, FAMILY_ID))
    msg.decode()
    return msg


def _svc_key(attrs: dict[str, Any]) -> tuple[Any, ...]:
    if attrs.get("IPVS_SVC_ATTR_FWMARK"):
        return (attrs["IPVS_SVC_ATTR_AF"], attrs["IPVS_SVC_ATTR_FWMARK"])
    return tuple(attrs.get(k) for k in KEY_ATTRS[:4])


@dataclass
class FakeIpvsKernel:
    services: dict[tuple[Any, ...], dict[str, Any]] = field(default_factory=dict)
    dests: dict[tuple[Any, ...], dict[tuple[str, int], dict[str, Any]]] = field(default_factory=dict)
    sent: list[Any] = field(default_factory=list)  # decoded messages, in order
    refuse: set[str] = field(default_factory=set)  # destination addresses to refuse (EINVAL)

    def send(self, request: nl.Request) -> None:
        msg = _decoded(request)
        self.sent.append(msg)
        cmd = msg["cmd"]
        svc = dict(msg.get_attr("IPVS_CMD_ATTR_SERVICE")["attrs"])
        key = _svc_key(svc)
        dest_nla = msg.get_attr("IPVS_CMD_ATTR_DEST")
        dest = dict(dest_nla["attrs"]) if dest_nla else {}
        if dest.get("IPVS_DEST_ATTR_ADDR") in self.refuse:
            raise BackendError(request.command, errno=22, detail="Invalid argument")
        if cmd == genl_ipvs.IPVS_CMD_NEW_SERVICE:
            if key in self.services:
                raise BackendError(request.command, errno=17)
            self.services[key] = svc
            self.dests[key] = {}
            return
        if key not in self.services:
            raise BackendError(request.command, errno=3)  # ESRCH, as ip_vs_ctl.c
        if cmd == genl_ipvs.IPVS_CMD_SET_SERVICE:
            self.services[key] = svc
        elif cmd == genl_ipvs.IPVS_CMD_DEL_SERVICE:
            del self.services[key]
            del self.dests[key]
        else:
            dkey = (str(dest["IPVS_DEST_ATTR_ADDR"]), dest["IPVS_DEST_ATTR_PORT"])
            table = self.dests[key]
            if cmd == genl_ipvs.IPVS_CMD_NEW_DEST:
                if dkey in table:
                    raise BackendError(request.command, errno=17)
                table[dkey] = dest
            elif cmd == genl_ipvs.IPVS_CMD_SET_DEST:
                if dkey not in table:
                    raise BackendError(request.command, errno=2)
                table[dkey] = dest
            elif cmd == genl_ipvs.IPVS_CMD_DEL_DEST:
                if dkey not in table:
                    raise BackendError(request.command, errno=2)
                del table[dkey]

    def dump_services(self) -> list[dict[str, Any]]:
        return [dict(v) for v in self.services.values()]

    def dump_dests(self, service: nl.ServiceFields) -> list[dict[str, Any]]:
        key = _svc_key(dict(nl.service_key_attrs(service)))
        return [dict(v) for v in self.dests.get(key, {}).values()]
