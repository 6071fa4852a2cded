"""Config -> core/lb: virtual servers as ServiceParams, and which backend will carry them.

The checker child calls `service_params(config)` once per (re)load and then
`core.lb.model.build_service(params, health)` whenever health changes. keepalived's port rules
are applied here: a NAT real server without a port takes the service's; DR/TUN real servers
use the service's port; fwmark services have no ports. Scheduler flags are named as
keepalived names them for the scheduler (sh-port, mh-fallback, flag-2 ...), as backends read
them back.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from alived.config.model import Config, LvsMethod, RealServer, VirtualServer, VsgEntry
from alived.config.sections.common import parse_ipv4_quad
from alived.core.lb import granularity
from alived.core.lb.granularity import Granularity
from alived.core.lb.model import Forwarding, RealServerParams, ServiceKey, ServiceParams, Tunnel
from alived.errors import Location

PROC_IP_VS = "/proc/net/ip_vs"
BACKENDS = ("ipvs", "nftables", "auto")


@dataclass(frozen=True, slots=True)
class BackendChoice:
    name: str  # "ipvs" | "nftables"
    reason: str


def choose_backend(
    setting: str, override: str | None, *, kernel_has_ipvs: bool | None = None
) -> BackendChoice:
    """`--lvs-backend` wins over global_defs `lvs_backend`; auto means IPVS when the kernel has it."""
    has_ipvs = Path(PROC_IP_VS).exists() if kernel_has_ipvs is None else kernel_has_ipvs
    wanted = override or setting
    if wanted == "auto":
        if has_ipvs:
            return BackendChoice("ipvs", "auto: the kernel has IPVS")
        return BackendChoice("nftables", "auto: the kernel has no IPVS")
    source = "--lvs-backend" if override else "lvs_backend"
    return BackendChoice(wanted, f"{source} {wanted}")


# The forwarding worked out per LvsMethod object, by id (the object held in the value).
MethodCache = dict[int, tuple[LvsMethod, Forwarding, Tunnel | None]]


def _forwarding(method: LvsMethod) -> tuple[Forwarding, Tunnel | None]:
    kind = Forwarding(method.kind.upper())
    if kind != Forwarding.TUN:
        return kind, None
    return kind, Tunnel(
        type=method.tun_type or "ipip", port=method.tun_port or 0, csum=method.tun_csum or "nocsum"
    )


def _flags(vs: VirtualServer) -> frozenset[str]:
    algo = vs.lb_algo
    one = vs.flag_1 or (algo == "sh" and vs.sh_fallback) or (algo == "mh" and vs.mh_fallback)
    two = vs.flag_2 or (algo == "sh" and vs.sh_port) or (algo == "mh" and vs.mh_port)
    names: set[str] = set()
    if one:
        names.add(f"{algo}-fallback" if algo in ("sh", "mh") else "flag-1")
    if two:
        names.add(f"{algo}-port" if algo in ("sh", "mh") else "flag-2")
    if vs.flag_3:
        names.add("flag-3")
    if vs.ops:
        names.add("ops")
    return frozenset(names)


def _granularity(vs: VirtualServer, family: int) -> Granularity | None:
    """The granularity read as keepalived reads it: a netmask (in any form inet_aton takes) when
    the service was IPv4 as the line was read or the word has a dot, else a prefix length."""
    text = vs.persistence_granularity
    if not text:
        return None
    v4_block = vs.ip_family == "inet" or (vs.address is not None and vs.address.version == 4)
    if family == 4 and ("." in text or v4_block):
        bits = parse_ipv4_quad(text)
        return None if bits is None else granularity.from_ipv4_mask(bits)
    return int(text) if text.isdigit() else None


def _real_server(
    rs: RealServer,
    vs: VirtualServer,
    port: int,
    fwmark: bool,
    methods: MethodCache | None = None,
) -> RealServerParams:
    """`methods`: the forwarding already worked out per LvsMethod object (by id, the object held
    there): a virtual server's real servers share one, and 10,000 of them are read per reload."""
    method = rs.lvs_method or vs.lvs_method
    if methods is None:
        kind, tunnel = _forwarding(method)
    else:
        known = methods.get(id(method))
        if known is None:
            known = methods[id(method)] = (method, *_forwarding(method))
        _, kind, tunnel = known
    if fwmark:
        rs_port = 0
    elif kind == Forwarding.NAT:
        rs_port = rs.effective_port or rs.port or port
    else:
        rs_port = port
    return RealServerParams(
        address=str(rs.address),
        port=rs_port,
        weight=rs.effective_weight if rs.weight is None else rs.weight,
        forwarding=kind,
        tunnel=tunnel,
        inhibit_on_failure=vs.inhibit_on_failure if rs.inhibit_on_failure is None else rs.inhibit_on_failure,
        uthreshold=rs.uthreshold or 0,
        lthreshold=rs.lthreshold or 0,
    )


def _keys(vs: VirtualServer, config: Config) -> Iterator[ServiceKey]:
    if vs.fwmark is not None:
        yield ServiceKey(family=6 if vs.ip_family == "inet6" else 4, fwmark=vs.fwmark)
        return
    if vs.group is None:
        if vs.address is not None:
            yield ServiceKey(
                family=vs.address.version,
                protocol=vs.protocol.upper(),
                address=str(vs.address),
                port=vs.port or 0,
            )
        return
    for group in config.virtual_server_groups:
        if group.name == vs.group:
            for entry in group.entries:
                yield from _entry_keys(entry, vs)


def _entry_keys(entry: VsgEntry, vs: VirtualServer) -> Iterator[ServiceKey]:
    if entry.fwmark is not None:
        yield ServiceKey(family=entry.family or 4, fwmark=entry.fwmark)
        return
    if entry.first is None:
        return
    last = entry.last or entry.first
    port = entry.port if entry.port is not None else (vs.port or 0)
    for value in range(int(entry.first), int(last) + 1):
        address = ipaddress.ip_address(value) if entry.first.version == 4 else ipaddress.IPv6Address(value)
        yield ServiceKey(
            family=address.version, protocol=vs.protocol.upper(), address=str(address), port=port
        )


def service_params(config: Config) -> list[ServiceParams]:
    """Every virtual service the configuration asks for (a group expands to its members)."""
    methods: MethodCache = {}
    return [p for vs in config.virtual_servers for p in vs_service_params(vs, config, methods)]


def vs_service_params(
    vs: VirtualServer,
    config: Config,
    methods: MethodCache | None = None,
) -> list[ServiceParams]:
    """The virtual services one virtual_server block asks for (its group's members, or one)."""
    if methods is None:
        methods = {}
    result: list[ServiceParams] = []
    kind, _ = _forwarding(vs.lvs_method)
    for key in _keys(vs, config):
        fwmark = bool(key.fwmark)
        sorry = None
        if vs.sorry_server is not None:
            sorry_rs = RealServer(
                address=vs.sorry_server.address,
                port=vs.sorry_server.port,
                lvs_method=vs.sorry_server_lvs_method,
            )
            sorry = _real_server(sorry_rs, vs, key.port, fwmark)
        dests: dict[tuple[str, int], RealServerParams] = {}
        for rs in vs.real_servers:
            params = _real_server(rs, vs, key.port, fwmark, methods)
            dests.setdefault(params.key, params)  # keepalived drops duplicates
        result.append(
            ServiceParams(
                key=key,
                lb_algo=vs.lb_algo,
                forwarding=kind,
                persistence_timeout=vs.persistence_timeout or 0,
                persistence_granularity=_granularity(vs, key.family),
                persistence_engine=vs.persistence_engine or "",
                flags=_flags(vs),
                real_servers=tuple(dests.values()),
                sorry_server=sorry,
                sorry_server_inhibit=vs.sorry_server_inhibit,
                quorum=vs.quorum,
                hysteresis=vs.hysteresis,
            )
        )
    return result


def backend_report(config: Config, choice: BackendChoice) -> list[str]:
    """The config test's lines about load balancing: the backend, and what it cannot do as asked."""
    services = service_params(config)
    if not services:
        return []
    lines = [f"Load balancer backend: {choice.name} ({choice.reason})"]
    if choice.name != "nftables":
        return lines
    from alived.lb.nft_render import NEAREST, engine_note  # noqa: PLC0415 - only the nftables report

    seen: set[str] = set()
    for p in services:
        _, note = NEAREST[p.lb_algo]
        if note and p.lb_algo not in seen:
            seen.add(p.lb_algo)
            lines.append(f"WARNING - {p.key}: lb_algo {note}")
        if p.persistence_engine:
            lines.append(f"WARNING - {engine_note(p.key, p.persistence_engine, p.persistence_timeout)}")
    for vs in config.virtual_servers:
        lines += _kind_report(vs, config)
    return lines


def _kind_report(vs: VirtualServer, config: Config) -> list[str]:
    """nftables' limits on lb_kind for one virtual_server block, each at the line that asks."""
    kind, _ = _forwarding(vs.lvs_method)
    asked: dict[Forwarding, Location | None] = {kind: vs.location}
    for rs in vs.real_servers:
        rs_kind = _forwarding(rs.lvs_method)[0] if rs.lvs_method is not None else kind
        asked.setdefault(rs_kind, rs.location if rs.lvs_method is not None else vs.location)
    lines = []
    for key in _keys(vs, config):
        for rs_kind in sorted(set(asked) - {Forwarding.NAT}):
            where = f"{asked[rs_kind]} " if asked[rs_kind] is not None else ""
            if rs_kind == Forwarding.DR and kind == Forwarding.DR and not key.fwmark:
                lines.append(
                    f"{where}WARNING - {key}: lb_kind DR on nftables forwards at ingress, before conntrack: "
                    "flows are hashed (Maglev), a real server leaving breaks its open connections"
                )
            elif rs_kind == Forwarding.TUN:
                lines.append(
                    f"{where}ERROR - {key}: lb_kind TUN is not available with the nftables backend "
                    "(nftables has no statement that encapsulates a packet in ipip, gue or gre): its "
                    "real servers will not be installed; use lvs_backend ipvs on a kernel with ip_vs"
                )
            else:
                why = "by fwmark " if key.fwmark else ""
                lines.append(
                    f"{where}WARNING - {key}: lb_kind {rs_kind} {why}is not available with the nftables "
                    "backend; its real servers will not be installed"
                )
    return lines
