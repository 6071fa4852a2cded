"""LVS in resolve: virtual_server, real_server and checker checks and effective values
(keepalived's check_*_complete and the IPVS side of its config checks)."""

from __future__ import annotations

from dataclasses import replace

from alived.config.diagnostics import Severity
from alived.config.model import (
    Config,
    LvsMethod,
    RealServer,
    VirtualServer,
    VirtualServerGroup,
    VsgEntry,
)
from alived.config.model_check import BfdCheck, Checker, FileCheck, HttpGet, MiscCheck
from alived.config.resolve.common import Out, first


def _vs_name(vs: VirtualServer) -> str:
    """keepalived's FMT_VS: a service's protocol is "none" until it is set."""
    if vs.fwmark is not None or vs.group is not None:
        return vs.key
    proto = vs.protocol.lower() if vs.protocol_set else "none"
    return f"[{vs.address}]:{proto}:{vs.port or 0}"


def _rs_name(vs: VirtualServer, address: object, port: int | None) -> str:
    proto = vs.protocol.lower() if vs.protocol_set else "none"
    return f"[{address}]:{proto}:{port or 0}"


def resolve_vs(config: Config, vs: VirtualServer, out: Out) -> VirtualServer | None:
    """keepalived's validate_check_config for one service, in its order."""
    where = vs.location
    group = next((g for g in config.virtual_server_groups if g.name == vs.group), None)
    if vs.group is not None and group is None:
        # keepalived 2.2.7 drops such a service without a word.
        out.add(
            f"Virtual server group {vs.group} not configured - ignoring virtual server", where, Severity.LOG
        )
        return None
    if not vs.real_servers:
        out.add(f"Virtual server {_vs_name(vs)} has no real servers - ignoring", where, located=False)
        return None
    group_addressed = group is not None and any(e.first is not None for e in group.entries)
    addressed = group_addressed or (group is None and vs.fwmark is None)
    if vs.ha_suspend and (
        vs.fwmark is not None or (group is not None and any(e.fwmark is not None for e in group.entries))
    ):
        out.add(
            f"Virtual server {_vs_name(vs)}: cannot use ha_suspend with fwmarks - clearing ha_suspend",
            where,
            located=False,
        )
        vs = replace(vs, ha_suspend=False)
    if addressed:
        if not vs.protocol_set:
            # protocol 0 would make the kernel pick UDP, so keepalived says so and sets it
            out.add(
                f"Virtual server {_vs_name(vs)}: no protocol set - defaulting to UDP",
                where,
                Severity.WARNING,
                located=False,
            )
            vs = replace(vs, protocol="UDP", protocol_set=True)
        if vs.ops and vs.protocol != "UDP":
            out.add(
                f"Virtual server {_vs_name(vs)}: one packet scheduling requires UDP - resetting",
                where,
                located=False,
            )
            vs = replace(vs, ops=False)
        if not vs.persistence_timeout and group is None and vs.fwmark is None and not vs.port:
            out.add(
                f"Virtual server {_vs_name(vs)}: zero port only valid for persistent services - setting",
                where,
                located=False,
            )
            vs = replace(vs, persistence_timeout=360)
    if (
        not vs.persistence_timeout
        and group is not None
        and any(e.first is not None and not e.port for e in group.entries)
    ):
        out.add(
            f"Virtual server {_vs_name(vs)}: zero port only valid for persistent services - setting",
            where,
            located=False,
        )
        vs = replace(vs, persistence_timeout=360)
    fwmark_only = vs.fwmark is not None or (
        group is not None and not group_addressed and any(e.fwmark is not None for e in group.entries)
    )
    if vs.protocol_set and fwmark_only:
        out.add(
            f"Warning: Virtual server {_vs_name(vs)}: protocol specified for fwmark"
            " - protocol will be ignored",
            where,
            Severity.WARNING,
            located=False,
        )
        vs = replace(vs, protocol_set=False)
    if not vs.lb_algo_set:
        out.add(
            f"Virtual server {_vs_name(vs)}: no scheduler set, setting default 'wlc'",
            where,
            Severity.WARNING,
            located=False,
        )
    servers: list[RealServer] = []
    seen: set[tuple[str, int | None]] = set()
    method_told = False
    for rs in vs.real_servers:
        key = (str(rs.address), rs.port or 0)
        if key in seen:
            out.add(
                f"VS {_vs_name(vs)}: real server {_rs_name(vs, rs.address, rs.port)} is duplicated"
                " - removing second rs",
                rs.location,
                located=False,
            )
            continue
        seen.add(key)
        if rs.lvs_method is None and not vs.lvs_method_set and not method_told:
            out.add(
                f"Virtual server {_vs_name(vs)}: no forwarding method set, setting default NAT",
                where,
                Severity.WARNING,
                located=False,
            )
            method_told = True
        servers.append(rs)
    sorry = vs.sorry_server
    if sorry is not None and vs.sorry_server_lvs_method is None and not vs.lvs_method_set and not method_told:
        out.add(
            f"Virtual server {_vs_name(vs)}: no forwarding method set, setting default NAT",
            where,
            Severity.WARNING,
            located=False,
        )
    quorum, hysteresis = vs.quorum, vs.hysteresis
    weight_sum = sum(rs.weight if rs.weight is not None else vs.weight for rs in servers)
    if quorum > weight_sum:
        out.add(
            f"Warning - quorum {quorum} for {_vs_name(vs)} exceeds total weight of real servers {weight_sum},"
            f" reducing quorum to {weight_sum}",
            where,
            Severity.WARNING,
            located=False,
        )
        quorum = weight_sum
    if hysteresis >= quorum:
        # keepalived's unsigned arithmetic: with quorum 0 the hysteresis wraps
        fixed = (quorum - 1) % 2**32
        out.add(
            f"Virtual server {_vs_name(vs)}: hysteresis {hysteresis} >= quorum {quorum};"
            f" setting hysteresis to {fixed}",
            where,
            Severity.WARNING,
            located=False,
        )
        hysteresis = max(quorum - 1, 0)
    servers = [_resolve_rs(config, vs, group, rs, out) for rs in servers]
    vs = _resolve_sorry(vs, group, out)
    return replace(vs, real_servers=tuple(servers), quorum=quorum, hysteresis=hysteresis)


def _resolve_rs(
    config: Config, vs: VirtualServer, group: VirtualServerGroup | None, rs: RealServer, out: Out
) -> RealServer:
    """The port checks of validate_check_config: unless NAT, a real server takes the service's port."""
    method = rs.lvs_method or (vs.lvs_method if vs.lvs_method_set else LvsMethod())
    port = rs.port or 0
    name = _rs_name(vs, rs.address, port)
    if group is not None:
        if method.kind != "NAT" and port:
            if any(e.fwmark is not None for e in group.entries):
                out.add(
                    f"WARNING - fwmark virtual server {_vs_name(vs)}, real server {name} has port specified"
                    " - port will be ignored",
                    rs.location,
                    Severity.WARNING,
                    located=False,
                )
            for entry in group.entries:
                if entry.first is not None and (entry.port or 0) != port:
                    out.add(
                        f"virtual server {_vs_name(vs)}:[{_vsge_name(entry)}] and real server {name} ports"
                        " don't match",
                        rs.location,
                        Severity.WARNING,
                        located=False,
                    )
    elif method.kind == "NAT":
        if vs.fwmark is None and not port:
            port = vs.port or 0
    elif vs.fwmark is not None:
        if port:
            out.add(
                f"WARNING - fwmark virtual server {_vs_name(vs)}, real server {name} has port specified"
                " - clearing",
                rs.location,
                Severity.WARNING,
                located=False,
            )
            port = 0
    elif not port:
        port = vs.port or 0
    elif port != (vs.port or 0):
        out.add(
            f"WARNING - virtual server {_vs_name(vs)} and real server {name} ports don't match - resetting",
            rs.location,
            Severity.WARNING,
            located=False,
        )
        port = vs.port or 0
    checkers = tuple(
        c
        for c in (_resolve_checker(config, vs, rs, checker, out) for checker in rs.checkers)
        if c is not None
    )
    return replace(
        rs,
        checkers=checkers,
        effective_weight=rs.weight if rs.weight is not None else vs.weight,
        effective_port=port or None,
    )


def _vsge_name(entry: VsgEntry) -> str:
    if entry.fwmark is not None:
        return f"FWM {entry.fwmark}"
    if entry.last is not None and entry.last != entry.first:
        return f"{entry.first}-{entry.last},{entry.port or 0}"
    return f"{entry.first},{entry.port or 0}"


def _resolve_sorry(vs: VirtualServer, group: VirtualServerGroup | None, out: Out) -> VirtualServer:
    sorry = vs.sorry_server
    if sorry is None:
        return vs
    method = vs.sorry_server_lvs_method or (vs.lvs_method if vs.lvs_method_set else LvsMethod())
    port = sorry.port or 0
    if method.kind == "NAT":
        return vs
    where = vs.location
    if group is not None:
        if port and any(e.fwmark is not None for e in group.entries):
            out.add(
                f"WARNING - fwmark virtual server {_vs_name(vs)}, sorry server has port specified"
                " - port will be ignored",
                where,
                Severity.WARNING,
                located=False,
            )
        for entry in group.entries:
            if port and entry.first is not None and (entry.port or 0) != port:
                out.add(
                    f"WARNING - virtual server {_vs_name(vs)}, sorry server has port specified"
                    " - port will be ignored",
                    where,
                    Severity.WARNING,
                    located=False,
                )
        return vs
    if vs.fwmark is not None:
        if port:
            out.add(
                f"WARNING - virtual server {_vs_name(vs)}, sorry server has port specified - clearing",
                where,
                Severity.WARNING,
                located=False,
            )
            return replace(vs, sorry_server=replace(sorry, port=None))
        return vs
    if not port:
        return replace(vs, sorry_server=replace(sorry, port=vs.port))
    if port != (vs.port or 0):
        out.add(
            f"WARNING - virtual server {_vs_name(vs)} and sorry server ports don't match - resetting",
            where,
            Severity.WARNING,
            located=False,
        )
        return replace(vs, sorry_server=replace(sorry, port=vs.port))
    return vs


def _resolve_checker(
    config: Config, vs: VirtualServer, rs: RealServer, c: Checker, out: Out
) -> Checker | None:
    # the checks keepalived makes as the checker's block ends are made as it is read
    # (sections.lvs._complete); a model built by hand may still lack these
    if isinstance(c, HttpGet) and not c.url:
        return None
    if isinstance(c, MiscCheck) and c.misc_path is None:
        return None
    if isinstance(c, FileCheck) and c.track_file is None:
        return None
    if isinstance(c, BfdCheck) and c.name is None:
        out.add("BFD_CHECK: no name specified - removing checker", c.location)
        return None
    delay_loop = first(c.delay_loop, rs.delay_loop, vs.delay_loop)
    return replace(
        c,
        effective_retry=first(c.retry, rs.retry, vs.retry, c.default_retry),
        effective_delay_before_retry=first(
            c.delay_before_retry,
            rs.delay_before_retry,
            vs.delay_before_retry,
            c.default_delay_before_retry(delay_loop),
        ),
        effective_connect_timeout=first(c.connect_timeout, rs.connect_timeout, vs.connect_timeout),
        effective_delay_loop=delay_loop,
        effective_warmup=first(c.warmup, rs.warmup, vs.warmup, delay_loop),
        effective_alpha=bool(first(c.alpha, rs.alpha, vs.alpha)),
    )
