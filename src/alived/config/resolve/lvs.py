"""LVS in resolve: virtual_server, real_server and checker checks and effective values
(keepalived's check_*_complete and the IPVS side of its config checks)."""

from __future__ import annotations

from dataclasses import replace

from alived.config.diagnostics import Severity
from alived.config.model import Config, RealServer, VirtualServer
from alived.config.model_check import BfdCheck, Checker, FileCheck, HttpGet, MiscCheck
from alived.config.resolve.common import Out, first
from alived.errors import Location


def _rs_name(vs: VirtualServer, address: object, port: int | None) -> str:
    return f"[{address}]:{vs.protocol.lower()}:{port or 0}"


def resolve_vs(config: Config, vs: VirtualServer, out: Out) -> VirtualServer | None:
    where = vs.location
    if vs.fwmark is not None and vs.protocol_set:
        out.add(
            f"Warning: Virtual server {vs.key}: protocol specified for fwmark - protocol will be ignored",
            where,
            Severity.WARNING,
            located=False,
        )
    if vs.group is not None and not any(g.name == vs.group for g in config.virtual_server_groups):
        # keepalived 2.2.7 drops such a service without a word.
        out.add(
            f"Virtual server group {vs.group} not configured - ignoring virtual server", where, Severity.INFO
        )
        return None
    addressed = vs.fwmark is None and (
        vs.group is None
        or any(
            e.first is not None for g in config.virtual_server_groups if g.name == vs.group for e in g.entries
        )
    )
    if addressed and not vs.protocol_set:
        # keepalived 2.2.7: protocol 0 would make the kernel pick UDP, so it says so and sets it.
        name = (
            f"[{vs.group}]:{vs.port or 0}" if vs.group is not None else f"[{vs.address}]:none:{vs.port or 0}"
        )
        out.add(
            f"Virtual server {name}: no protocol set - defaulting to UDP",
            where,
            Severity.WARNING,
            located=False,
        )
        vs = replace(vs, protocol="UDP")
    if addressed and vs.group is None and not vs.persistence_timeout and not vs.port:
        out.add(
            f"Virtual server {vs.key}: zero port only valid for persistent services - setting",
            where,
            located=False,
        )
        vs = replace(vs, persistence_timeout=360)
    servers: list[RealServer] = []
    seen: set[tuple[str, int | None]] = set()
    for rs in vs.real_servers:
        resolved = _resolve_rs(config, vs, rs, out)
        key = (str(resolved.address), resolved.effective_port)
        if key in seen:
            out.add(
                f"VS {vs.key}: real server {_rs_name(vs, rs.address, resolved.effective_port)} is duplicated"
                " - removing second rs",
                rs.location,
                located=False,
            )
            continue
        seen.add(key)
        servers.append(resolved)
    if not servers:
        out.add(f"Virtual server {vs.key} has no real servers - ignoring", where, located=False)
        return None
    # keepalived names the defaults it fills in only for a service it keeps.
    if not vs.lb_algo_set:
        out.add(
            f"Virtual server {vs.key}: no scheduler set, setting default 'wlc'",
            where,
            Severity.WARNING,
            located=False,
        )
    if not vs.lvs_method_set:
        out.add(
            f"Virtual server {vs.key}: no forwarding method set, setting default NAT",
            where,
            Severity.WARNING,
            located=False,
        )
    quorum, hysteresis = vs.quorum, vs.hysteresis
    weight_sum = sum(rs.effective_weight for rs in servers)
    if quorum > weight_sum:
        out.add(
            f"Warning - quorum {quorum} for {vs.key} exceeds total weight of real servers {weight_sum},"
            f" reducing quorum to {weight_sum}",
            where,
            Severity.WARNING,
            located=False,
        )
        quorum = weight_sum
    if hysteresis >= quorum:
        # keepalived's unsigned arithmetic: with quorum 0 the hysteresis wraps; keep it at 0.
        fixed = max(quorum - 1, 0)
        out.add(
            f"Virtual server {vs.key}: hysteresis {hysteresis} >= quorum {quorum};"
            f" setting hysteresis to {fixed}",
            where,
            Severity.WARNING,
            located=False,
        )
        hysteresis = fixed
    return replace(vs, real_servers=tuple(servers), quorum=quorum, hysteresis=hysteresis)


def _resolve_rs(config: Config, vs: VirtualServer, rs: RealServer, out: Out) -> RealServer:
    method = rs.lvs_method or vs.lvs_method
    port = rs.port
    if vs.fwmark is not None:
        if port:
            out.add(
                f"WARNING - fwmark virtual server {vs.key}, real server [{rs.address}]:none:{port}"
                " has port specified - clearing",
                rs.location,
                Severity.WARNING,
                located=False,
            )
        port = None
    elif port is None:
        port = vs.port
    elif method.kind != "NAT" and vs.port not in (None, 0) and port != vs.port:
        out.add(
            f"WARNING - virtual server {vs.key} and real server {_rs_name(vs, rs.address, port)} ports"
            " don't match - resetting",
            rs.location,
            Severity.WARNING,
            located=False,
        )
        port = vs.port
    checkers = tuple(
        c
        for c in (_resolve_checker(config, vs, rs, checker, out) for checker in rs.checkers)
        if c is not None
    )
    return replace(
        rs,
        checkers=checkers,
        effective_weight=rs.weight if rs.weight is not None else vs.weight,
        effective_port=port,
    )


def _defined_before(name: str, where: Location | None, config: Config) -> bool:
    """keepalived looks a checker's track_file up while reading: it must come earlier in the file."""
    for tf in config.track_files:
        if tf.name != name:
            continue
        if where is None or tf.location is None or tf.location.file != where.file:
            return True
        if tf.location.line < where.line:
            return True
    return False


def _resolve_checker(
    config: Config, vs: VirtualServer, rs: RealServer, c: Checker, out: Out
) -> Checker | None:
    if isinstance(c, HttpGet) and not c.url:
        out.add(f"{c.type}: no url specified - removing checker", c.location)
        return None
    if isinstance(c, MiscCheck) and c.misc_path is None:
        out.add("No script path has been specified for MISC_CHECKER - skipping", c.location)
        return None
    if isinstance(c, FileCheck):
        if c.track_file is not None and not _defined_before(c.track_file, c.location, config):
            out.add(f"track_file {c.track_file} not found", c.location)
            c = replace(c, track_file=None)
        if c.track_file is None:
            out.add("FILE_CHECK has no track_file specified - ignoring", c.location)
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
