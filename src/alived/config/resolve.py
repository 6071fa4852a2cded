"""Semantic checks and effective values: what keepalived's *_complete functions do after parsing.

Input is the model as written; output is the model the daemons run (items keepalived would drop are
dropped, values it would correct are corrected, effective_* fields filled in) plus diagnostics.
Whatever needs the outside world (which interfaces exist, what a script path is) comes in as
arguments, so this module stays pure.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from typing import Any

from alived.config.diagnostics import Diagnostic, Severity
from alived.config.model import (
    AddressEntry,
    Checker,
    Config,
    GlobalDefs,
    RealServer,
    RouteEntry,
    RuleEntry,
    Script,
    VirtualServer,
    VrrpInstance,
    VrrpScript,
    VrrpSyncGroup,
)
from alived.errors import Location
from alived.script_security import DEFAULT_SCRIPT_USER, ScriptVerdict, UserIds
from alived.units import SECOND, Ticks


@dataclass(frozen=True, slots=True, kw_only=True)
class ScriptFile:
    """A fake file system entry for a script's argv[0] (tests and tools that do not touch disk)."""

    path: str
    executable: bool = True
    insecure: bool = False  # the file or a directory above it is writable by someone other than root


# (path, uid, gid, enforce) -> verdict; the real one is alived.script_security.script_verdict.
ScriptProbe = Callable[[str, int, int, bool], ScriptVerdict]
# (user, group) -> ids, or None and the reason keepalived logs.
UserProbe = Callable[[str, str | None], tuple[UserIds | None, str | None]]
ROOT = UserIds(0, 0)


def probe_files(files: Mapping[str, ScriptFile]) -> ScriptProbe:
    """A ScriptProbe answering from a table of fake files, with keepalived's verdict rules."""

    def probe(path: str, uid: int, gid: int, enforce: bool) -> ScriptVerdict:
        if path.startswith("<"):
            return ScriptVerdict(runnable=True, is_script=False, path=path)
        found = files.get(path)
        if found is None:
            reason = f"Script {path} cannot be accessed - No such file or directory"
            return ScriptVerdict(runnable=False, found=False, messages=(reason,))
        if not found.executable:
            reason = f"WARNING - script '{path}' is not executable for uid:gid {uid}:{gid} - disabling."
            return ScriptVerdict(runnable=False, executable=False, path=found.path, messages=(reason,))
        if found.insecure and (uid == 0 or gid == 0):
            reason = f"Unsafe permissions found for script '{found.path}'{' - disabling' if enforce else ''}."
            return ScriptVerdict(runnable=not enforce, insecure=True, path=found.path, messages=(reason,))
        return ScriptVerdict(runnable=True, path=found.path)

    return probe


def probe_users(names: Collection[str]) -> UserProbe:
    """A UserProbe for a fake user table: `root` is 0:0, the others 1000+ in sorted order."""
    ids = {name: UserIds(1000 + i, 1000 + i) for i, name in enumerate(sorted(names))}
    ids["root"] = ROOT

    def lookup(user: str, group: str | None) -> tuple[UserIds | None, str | None]:
        found = ids.get(user)
        if found is None:
            return None, f"Script user '{user}' does not exist"
        return found, None

    return lookup


_no_probe = probe_files({})
_user_exists = probe_users(())


@dataclass(slots=True)
class _Out:
    diagnostics: list[Diagnostic]

    def add(
        self,
        message: str,
        where: Location | None,
        severity: Severity = Severity.ERROR,
        *,
        refuse: bool = False,
    ) -> None:
        self.diagnostics.append(Diagnostic(message, where, severity, refuse=refuse))


def resolve(
    config: Config,
    *,
    interfaces: Collection[str] | None = None,
    script_probe: ScriptProbe = _no_probe,
    user_exists: UserProbe = _user_exists,
) -> tuple[Config, tuple[Diagnostic, ...]]:
    """Check the written model as keepalived does and return the effective model plus diagnostics."""
    out = _Out([])
    g = config.global_defs
    # keepalived's VRRP child judges its scripts only when instances are configured (even ones it
    # then finds incomplete).
    vrrp_side = bool(config.instances)
    scripts = _resolve_scripts(config, out)
    prefs = [16384]
    config = replace(config, vrrp_scripts=scripts, static_rules=_check_static(config, out, prefs))
    instances = tuple(
        inst
        for inst in (_resolve_instance(config, inst, out, prefs) for inst in _unique_instances(config, out))
        if inst is not None
    )
    instances = _check_duplicate_vrids(instances, out)
    sync_groups, instances = _resolve_sync_groups(config.sync_groups, instances, out)
    virtual_servers = tuple(
        vs for vs in (_resolve_vs(config, vs, out) for vs in config.virtual_servers) if vs is not None
    )
    config = replace(config, instances=instances, sync_groups=sync_groups, virtual_servers=virtual_servers)
    # A non-existent interface stops keepalived's VRRP child before it judges any script.
    if interfaces is not None and _check_interfaces(config, set(interfaces), out):
        vrrp_side = False
    config = _check_script_security(config, g, script_probe, user_exists, out, vrrp_side=vrrp_side)
    return config, tuple(out.diagnostics)


# ---------------------------------------------------------------- vrrp_script


def _unique_instances(config: Config, out: _Out) -> list[VrrpInstance]:
    seen: set[str] = set()
    kept = []
    for inst in config.instances:
        if inst.name in seen:
            out.add(f"vrrp instance {inst.name} already defined", inst.location)
            continue
        seen.add(inst.name)
        kept.append(inst)
    return kept


def _resolve_scripts(config: Config, out: _Out) -> tuple[VrrpScript, ...]:
    kept: dict[str, VrrpScript] = {}
    for written in config.vrrp_scripts:
        vs = written
        if vs.script is None:
            out.add(f"No script set for vrrp_script {vs.name} - removing", vs.location)
            continue
        if vs.timeout == 0:
            out.add(f"({vs.name}): vrrp script timeout must be greater than 0, setting to 1", vs.location)
            vs = replace(vs, timeout=SECOND)
        kept[vs.name] = vs
    return tuple(kept.values())


# ---------------------------------------------------------------- vrrp_instance


def _family(inst: VrrpInstance) -> int:
    if inst.native_ipv6:
        return 6
    if inst.virtual_ipaddress:
        return inst.virtual_ipaddress[0].family
    for addr in (inst.unicast_src_ip, inst.mcast_src_ip, *(p.address for p in inst.unicast_peer)):
        if addr is not None:
            return addr.version
    return 4


def _resolve_instance(config: Config, inst: VrrpInstance, out: _Out, prefs: list[int]) -> VrrpInstance | None:
    g = config.global_defs
    name = inst.name
    where = inst.location
    inst = replace(
        inst,
        track_interface=_unique_tracks(name, "track_interface", inst.track_interface, out),
        track_script=_unique_tracks(name, "track_script", inst.track_script, out),
        track_file=_unique_tracks(name, "track_file", inst.track_file, out),
        track_process=_unique_tracks(name, "track_process", inst.track_process, out),
        track_bfd=_unique_tracks(name, "track_bfd", inst.track_bfd, out),
    )
    if inst.virtual_router_id is None:
        out.add(f"({name}) the virtual router id must be set", where, refuse=True)
        return None
    # keepalived 2.2.7 also rejects `interface lo` ("cannot use a loopback interface"); alived accepts
    # it for now because the daemon's tests run instances on lo (see the config report).
    interface = inst.interface
    if interface is None:
        # keepalived 2.2.7 insists on an interface even for unicast instances; without unicast
        # peers the instance cannot be completed and the daemon stops (chk_min_cfg).
        out.add(f"({name}) Unknown interface!", where, refuse=not inst.unicast_peer)
    if inst.linkbeat_use_polling:
        out.add(
            f"({name}) 'linkbeat_use_polling' in vrrp instance deprecated - use linkbeat_interfaces block",
            where,
            Severity.WARNING,
        )
    if inst.lvs_sync_daemon_interface is not None:
        out.add(
            f"({name}) Specifying lvs_sync_daemon_interface against a vrrp is deprecated.",
            where,
            Severity.WARNING,
        )
    family = _family(inst)
    if inst.native_ipv6 and any(v.family == 4 for v in inst.virtual_ipaddress):
        out.add(f"({name}) Cannot specify native_ipv6 with IPv4 addresses", where)
    vips: list[AddressEntry] = []
    for vip in inst.virtual_ipaddress:
        if vip.family != family:
            out.add(
                f"({name}): address family must match VRRP instance [{vip.address.ip}] - ignoring",
                vip.location,
            )
            continue
        vips.append(vip)
    excluded = inst.virtual_ipaddress_excluded
    if not vips and not inst.no_virtual_ipaddress:
        out.add(f"({name}) No VIP specified; at least one is sensible", where)
    version = inst.version if inst.version is not None else g.vrrp_version
    strict = inst.strict_mode if inst.strict_mode is not None else g.vrrp_strict
    if family == 6 and version == 2:
        if strict:
            out.add(f"({name}) cannot use IPv6 with VRRP version 2; setting version 3", where)
        version = 3
    if not vips and not inst.no_virtual_ipaddress and (version == 3 or family == 6 or strict):
        # vrrp_complete_instance gives up on the instance, and the VRRP child with it.
        out.add(f"({name}) No VIP specified; at least one is required", where, refuse=True)
    if inst.vmac_xmit_base and inst.use_vmac is None:
        out.add(f"({name}) vmac_xmit_base is only valid with a vmac", where)
    state = inst.state
    priority = inst.priority
    auth = inst.authentication
    if auth is not None and auth.auth_type is None:
        auth = None
    if auth is not None and (version == 3 or family == 6):
        out.add(f"({name}) VRRP version 3 does not support authentication. Ignoring.", where)
        auth = None
    elif auth is not None and not auth.auth_pass:
        out.add(f"({name}) Authentication specified but no password given. Ignoring", where)
        auth = None
    if auth is not None and auth.auth_type == "AH" and state == "MASTER":
        out.add(f"({name}) Initial state master is incompatible with AH authentication - clearing", where)
        state = None
    if priority is None:
        priority = 255 if state == "MASTER" else 100
    if state is None:
        state = "MASTER" if priority == 255 else "BACKUP"
    nopreempt = inst.nopreempt
    if nopreempt and priority == 255:
        out.add(f"({name}) nopreempt is incompatible with priority 255. resetting nopreempt", where)
        nopreempt = False
    elif nopreempt and state == "MASTER":
        out.add(f"({name}) Warning - nopreempt will not work with initial state MASTER - clearing", where)
        nopreempt = False
    advert = inst.advert_int if inst.advert_int is not None else Ticks(SECOND)
    if version == 2:
        if advert % SECOND:
            secs = advert / SECOND
            out.add(f"({name}) VRRPv2 advertisement interval {secs:.6f}s must be an integer. rounding", where)
            advert = Ticks(max(1, round(secs)) * SECOND)
    else:
        if advert > Ticks(40_950_000):
            out.add(
                f"({name}) VRRPv3 advertisement interval {advert / SECOND:.2f}s is out of range."
                " Must be less than 40.96s. Setting to 40.95s",
                where,
            )
            advert = Ticks(40_950_000)
        cs = (advert + 5_000) // 10_000
        advert = Ticks(max(1, cs) * 10_000)
    peers = inst.unicast_peer
    preempt_delay = inst.preempt_delay
    accept = inst.accept
    garp_lower_prio_repeat = _first(
        inst.garp_lower_prio_repeat,
        g.vrrp_garp_lower_prio_repeat,
        inst.garp_master_repeat,
        g.vrrp_garp_master_repeat,
    )
    lower_prio_no_advert = _first(inst.lower_prio_no_advert, g.vrrp_lower_prio_no_advert)
    higher_prio_send_advert = _first(inst.higher_prio_send_advert, g.vrrp_higher_prio_send_advert)
    down_timer_adverts = _first(inst.down_timer_adverts, g.vrrp_down_timer_adverts)
    use_vmac = inst.use_vmac
    if use_vmac is not None and use_vmac.mac is not None:
        octets = use_vmac.mac.split(":")
        if octets[:4] in (["00", "00", "5e", "00"],) and octets[4:5] in (["01"], ["02"]):
            out.add(f"VMAC MAC address not allowed to be RFC5798 address ({use_vmac.mac}) - ignoring", where)
            use_vmac = replace(use_vmac, mac=None)
        elif int(octets[0], 16) & 1:
            out.add(
                f"VMAC MAC address not allowed to be a multicast address ({use_vmac.mac}) - ignoring", where
            )
            use_vmac = replace(use_vmac, mac=None)
    if strict:
        if peers:
            out.add(f"({name}) Unicast peers are not supported in strict mode", where, refuse=True)
            peers = ()
        if auth is not None:
            out.add(f"({name}) Strict mode does not support authentication. Ignoring.", where)
            auth = None
        if preempt_delay:
            out.add(f"({name}) preempt_delay is incompatible with strict mode - resetting", where)
            preempt_delay = None
        if state == "MASTER" and priority != 255:
            out.add(f"({name}) State MASTER must match being address owner", where)
            state = "BACKUP"
        if family == 6 and vips and not vips[0].address.ip.is_link_local:
            out.add(f"({name}) the first IPv6 VIP address must be link local in strict mode", where)
        if accept and priority != 255:
            out.add(
                f"({name}) warning - accept mode for VRRP version {version} does not comply with"
                f" RFC{'3768' if version == 2 else '5798'} - resetting",
                where,
            )
        accept = priority == 255 if not accept or priority != 255 else True
        if use_vmac is not None and use_vmac.mac is not None:
            out.add(f"({name}) Strict mode does not allow a specified VMAC MAC address - ignoring", where)
            use_vmac = replace(use_vmac, mac=None)
        garp_lower_prio_repeat = 0
        lower_prio_no_advert = True
        higher_prio_send_advert = False
        down_timer_adverts = 3
    if accept is None:
        accept = True
    if peers and use_vmac is not None and not inst.vmac_xmit_base:
        out.add(f"({name}) unicast with use_vmac requires vmac_xmit_base - setting", where, Severity.WARNING)
    for peer in peers:
        if peer.address.version != family:
            out.add(
                f"Configuration error: VRRP instance[{name}] and unicast peer address[{peer.address}] MUST be"
                " of the same family !!! Skipping...",
                where,
            )
    had_peers = bool(peers)
    peers = tuple(p for p in peers if p.address.version == family)
    if had_peers and not peers:
        out.add(
            f"({name}) A unicast keyword has been specified without any unicast peers. Defaulting to"
            " multicast. This usage is deprecated - please update your configuration.",
            where,
        )
    unicast_ttl = inst.unicast_ttl
    if not had_peers:
        # keepalived 2.2.7 counts these against the config (-t exits 5) and runs multicast.
        if inst.unicast_src_ip is not None or inst.check_unicast_src or inst.old_unicast_checksum is not None:
            out.add(
                f"({name}) A unicast keyword has been specified without any unicast peers. Defaulting to"
                " multicast. This usage is deprecated - please update your configuration.",
                where,
            )
        if unicast_ttl is not None:
            out.add(f"({name}): Cannot use unicast_ttl without unicast peers - resetting", where)
            unicast_ttl = None
    master_delay = _first(inst.garp_master_delay, g.vrrp_garp_master_delay)
    master_repeat = _first(inst.garp_master_repeat, g.vrrp_garp_master_repeat)
    for entry in inst.track_script:
        if config.script(entry.name) is None:
            out.add(f"({name}) track script {entry.name} not found, ignoring...", entry.location)
    track_script = tuple(e for e in inst.track_script if config.script(e.name) is not None)
    file_names = {t.name for t in config.track_files}
    for entry in inst.track_file:
        if entry.name not in file_names:
            out.add(f"({name}) track file {entry.name} not found, ignoring...", entry.location)
    process_names = {t.name for t in config.track_processes}
    for entry in inst.track_process:
        if entry.name not in process_names:
            out.add(f"({name}) track process {entry.name} not found, ignoring...", entry.location)
    bfd_names = {b.name for b in config.bfd_instances}
    for entry in inst.track_bfd:
        if entry.name not in bfd_names:
            out.add(f"({name}) track bfd {entry.name} not found, ignoring...", entry.location)
    for route in inst.virtual_routes:
        _check_route(route, out)
    rules = tuple(_check_rule(rule, out, prefs) for rule in inst.virtual_rules)
    smtp = _first(inst.smtp_alert, g.smtp_alert_vrrp, g.smtp_alert, False)
    return replace(
        inst,
        interface=interface,
        virtual_ipaddress=tuple(vips),
        virtual_ipaddress_excluded=tuple(excluded),
        virtual_rules=rules,
        authentication=auth,
        unicast_peer=peers,
        unicast_ttl=unicast_ttl,
        use_vmac=use_vmac,
        nopreempt=nopreempt,
        preempt_delay=preempt_delay,
        track_script=track_script,
        track_file=tuple(e for e in inst.track_file if e.name in file_names),
        track_process=tuple(e for e in inst.track_process if e.name in process_names),
        track_bfd=tuple(e for e in inst.track_bfd if e.name in bfd_names),
        effective_version=version,
        effective_priority=priority,
        effective_state=state,
        effective_advert_int=advert,
        effective_accept=bool(accept),
        effective_strict=bool(strict),
        effective_smtp_alert=bool(smtp),
        effective_garp_master_delay=master_delay,
        effective_garp_master_repeat=master_repeat,
        effective_garp_master_refresh=_first(inst.garp_master_refresh, g.vrrp_garp_master_refresh),
        effective_garp_master_refresh_repeat=_first(
            inst.garp_master_refresh_repeat, g.vrrp_garp_master_refresh_repeat
        ),
        effective_garp_lower_prio_delay=_first(
            inst.garp_lower_prio_delay, g.vrrp_garp_lower_prio_delay, master_delay
        ),
        effective_garp_lower_prio_repeat=garp_lower_prio_repeat,
        effective_down_timer_adverts=down_timer_adverts,
        effective_lower_prio_no_advert=bool(lower_prio_no_advert),
        effective_higher_prio_send_advert=bool(higher_prio_send_advert),
        family=family,
    )


def _unique_tracks(name: str, kind: str, entries: tuple[Any, ...], out: _Out) -> tuple[Any, ...]:
    """keepalived tracks an object once per instance: a repeated entry is reported and dropped."""
    seen: set[str] = set()
    kept = []
    for entry in entries:
        if entry.name in seen:
            out.add(f"({name}) duplicate {kind} {entry.name} - ignoring", entry.location)
            continue
        seen.add(entry.name)
        kept.append(entry)
    return tuple(kept)


def _first(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


def _check_duplicate_vrids(instances: tuple[VrrpInstance, ...], out: _Out) -> tuple[VrrpInstance, ...]:
    seen: dict[tuple[str, int, int], VrrpInstance] = {}
    for inst in instances:
        if inst.unicast_peer or inst.interface is None:
            continue
        assert inst.virtual_router_id is not None
        key = (inst.interface, inst.family, inst.virtual_router_id)
        other = seen.get(key)
        if other is not None:
            fam = "IPv4" if inst.family == 4 else "IPv6"
            out.add(
                f"{other.name} and {inst.name} both use VRID {inst.virtual_router_id} with {fam}"
                f" on interface {inst.interface}",
                inst.location,
                refuse=True,
            )
        else:
            seen[key] = inst
    return instances


def _resolve_sync_groups(
    groups: tuple[VrrpSyncGroup, ...], instances: tuple[VrrpInstance, ...], out: _Out
) -> tuple[tuple[VrrpSyncGroup, ...], tuple[VrrpInstance, ...]]:
    by_name = {i.name: i for i in instances}
    owner: dict[str, str] = {}
    kept: list[VrrpSyncGroup] = []
    for group in groups:
        if group.global_tracking:
            out.add(
                f"({group.name}) global_tracking is deprecated."
                " Use track_interface/script/file on the sync group",
                group.location,
                Severity.WARNING,
            )
        members: list[str] = []
        for member in group.group:
            if member not in by_name:
                out.add(
                    f"Virtual router {member} specified in sync group {group.name} doesn't exist - ignoring",
                    group.location,
                )
            elif member in owner:
                out.add(
                    f"Virtual router {member} cannot exist in more than one sync group;"
                    f" ignoring {group.name}",
                    group.location,
                )
            else:
                members.append(member)
                owner[member] = group.name  # a repeat in the same group is a second membership too
        if not members:
            out.add(f"Sync group {group.name} has no virtual router(s). removing", group.location)
            continue
        if len(members) == 1:
            out.add(
                f"Sync group {group.name} has only 1 virtual router(s) - this probably isn't what you want",
                group.location,
                Severity.WARNING,
            )
        kept.append(replace(group, group=tuple(members)))
    instances = tuple(replace(i, sync_group=owner[i.name]) if i.name in owner else i for i in instances)
    return tuple(kept), instances


# ---------------------------------------------------------------- routes, rules, static entries


def _check_route(route: RouteEntry, out: _Out) -> None:
    if route.no_track or route.dev is not None or any(h.dev for h in route.nexthops):
        return
    out.add(
        f"Warning - cannot track route {route.dst} with no interface specified, not tracking",
        route.location,
        Severity.WARNING,
    )


def _check_rule(rule: RuleEntry, out: _Out, counter: list[int]) -> RuleEntry:
    """Rules without a preference get one counting down from 16384, across the whole file."""
    if rule.preference is not None:
        return rule
    pref = counter[0]
    counter[0] -= 1
    out.add(
        f"Rule has no preference specified - setting to {pref}. This is probably not what you want.",
        rule.location,
        Severity.WARNING,
    )
    return replace(rule, preference=pref)


def _check_static(config: Config, out: _Out, prefs: list[int]) -> tuple[RuleEntry, ...]:
    for route in config.static_routes:
        _check_route(route, out)
    return tuple(_check_rule(rule, out, prefs) for rule in config.static_rules)


# ---------------------------------------------------------------- LVS


def _rs_name(vs: VirtualServer, address: object, port: int | None) -> str:
    return f"[{address}]:{vs.protocol.lower()}:{port or 0}"


def _resolve_vs(config: Config, vs: VirtualServer, out: _Out) -> VirtualServer | None:
    where = vs.location
    if vs.fwmark is not None and vs.protocol_set:
        out.add(
            f"Warning: Virtual server {vs.key}: protocol specified for fwmark - protocol will be ignored",
            where,
            Severity.WARNING,
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
        out.add(f"Virtual server {name}: no protocol set - defaulting to UDP", where, Severity.WARNING)
        vs = replace(vs, protocol="UDP")
    if addressed and vs.group is None and not vs.persistence_timeout and not vs.port:
        out.add(f"Virtual server {vs.key}: zero port only valid for persistent services - setting", where)
        vs = replace(vs, persistence_timeout=360)
    if not vs.lb_algo_set:
        out.add(f"Virtual server {vs.key}: no scheduler set, setting default 'wlc'", where, Severity.WARNING)
    if not vs.lvs_method_set:
        out.add(
            f"Virtual server {vs.key}: no forwarding method set, setting default NAT", where, Severity.WARNING
        )
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
            )
            continue
        seen.add(key)
        servers.append(resolved)
    if not servers:
        out.add(f"Virtual server {vs.key} has no real servers - ignoring", where)
        return None
    quorum, hysteresis = vs.quorum, vs.hysteresis
    weight_sum = sum(rs.effective_weight for rs in servers)
    if quorum > weight_sum:
        out.add(
            f"Warning - quorum {quorum} for {vs.key} exceeds total weight of real servers {weight_sum},"
            f" reducing quorum to {weight_sum}",
            where,
            Severity.WARNING,
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
        )
        hysteresis = fixed
    return replace(vs, real_servers=tuple(servers), quorum=quorum, hysteresis=hysteresis)


def _resolve_rs(config: Config, vs: VirtualServer, rs: RealServer, out: _Out) -> RealServer:
    method = rs.lvs_method or vs.lvs_method
    port = rs.port
    if vs.fwmark is not None:
        port = None
    elif port is None:
        port = vs.port
    elif method.kind != "NAT" and vs.port not in (None, 0) and port != vs.port:
        out.add(
            f"WARNING - virtual server {vs.key} and real server {_rs_name(vs, rs.address, port)} ports"
            " don't match - resetting",
            rs.location,
            Severity.WARNING,
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


_DEFAULT_RETRY = {"DNS_CHECK": 3, "MISC_CHECK": 0}


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
    config: Config, vs: VirtualServer, rs: RealServer, c: Checker, out: _Out
) -> Checker | None:
    if c.type in ("HTTP_GET", "SSL_GET") and not c.url:
        out.add(f"{c.type}: no url specified - removing checker", c.location)
        return None
    if c.type == "MISC_CHECK" and c.misc_path is None:
        out.add("No script path has been specified for MISC_CHECKER - skipping", c.location)
        return None
    if c.type == "FILE_CHECK":
        if c.track_file is not None and not _defined_before(c.track_file, c.location, config):
            out.add(f"track_file {c.track_file} not found", c.location)
            c = replace(c, track_file=None)
        if c.track_file is None:
            out.add("FILE_CHECK has no track_file specified - ignoring", c.location)
            return None
    if c.type == "BFD_CHECK" and c.name is None:
        out.add("BFD_CHECK: no name specified - removing checker", c.location)
        return None
    delay_loop = _first(c.delay_loop, rs.delay_loop, vs.delay_loop)
    if c.type in ("HTTP_GET", "SSL_GET"):
        default_dbr: Ticks = Ticks(3 * SECOND)
    elif c.type == "DNS_CHECK":
        default_dbr = delay_loop
    else:
        default_dbr = SECOND
    return replace(
        c,
        effective_retry=_first(c.retry, rs.retry, vs.retry, _DEFAULT_RETRY.get(c.type, 1)),
        effective_delay_before_retry=_first(
            c.delay_before_retry, rs.delay_before_retry, vs.delay_before_retry, default_dbr
        ),
        effective_connect_timeout=_first(c.connect_timeout, rs.connect_timeout, vs.connect_timeout),
        effective_delay_loop=delay_loop,
        effective_warmup=_first(c.warmup, rs.warmup, vs.warmup, delay_loop),
        effective_alpha=bool(_first(c.alpha, rs.alpha, vs.alpha)),
    )


# ---------------------------------------------------------------- interfaces


def _check_interfaces(config: Config, interfaces: set[str], out: _Out) -> bool:
    """keepalived looks each named interface up while parsing; without dynamic_interfaces a missing
    one is reported where it is named and, once, as CONFIG_BAD_IF (the daemon refuses to start)."""
    g = config.global_defs
    if g.dynamic_interfaces:
        return False  # keepalived only logs that it will use the interface once it is created
    missing = False

    def lacks(name: str | None, message: str, where: Location | None) -> None:
        nonlocal missing
        if name is not None and name not in interfaces:
            out.add(message.format(name=name), where)
            missing = True

    for inst in config.instances:
        lacks(
            inst.interface,
            f"WARNING - interface {{name}} for vrrp_instance {inst.name} doesn't exist",
            inst.location,
        )
        for entry in inst.track_interface:
            lacks(entry.name, f"({inst.name}) tracked interface {{name}} doesn't exist", entry.location)
        for vip in (*inst.virtual_ipaddress, *inst.virtual_ipaddress_excluded):
            lacks(
                vip.dev,
                f"WARNING - interface {{name}} for ip address {vip.address.ip} doesn't exist",
                vip.location,
            )
    for addr in config.static_ipaddress:
        lacks(
            addr.dev,
            f"WARNING - interface {{name}} for ip address {addr.address} doesn't exist",
            addr.location,
        )
        if addr.dev is None and g.default_interface not in interfaces:
            out.add(
                f"Static address {addr.address} requires either an interface or default interface must exist",
                addr.location,
                Severity.FATAL,
            )
            missing = True
    routes = (*config.static_routes, *(r for inst in config.instances for r in inst.virtual_routes))
    for route in routes:
        for dev in (route.dev, *(hop.dev for hop in route.nexthops)):
            lacks(dev, "WARNING - interface {name} for VROUTE nexthop doesn't exist", route.location)
    rules = (*config.static_rules, *(r for inst in config.instances for r in inst.virtual_rules))
    for rule in rules:
        for key, value in rule.options:
            if key in ("dev", "iif", "oif"):
                lacks(value, "WARNING - interface {name} for rule doesn't exist", rule.location)
    for garp in config.garp_groups:
        for name in garp.interfaces:
            lacks(name, "WARNING - interface {name} specified for garp_group doesn't exist", garp.location)
    # These two are looked up without creating a placeholder: fatal for -t, skipped by the daemon.
    for beat in config.linkbeat_interfaces:
        if beat.interface not in interfaces:
            out.add(
                f"unknown interface {beat.interface} specified for linkbeat interface",
                beat.location,
                Severity.FATAL,
            )
    for delay in config.interface_up_down_delays:
        if delay.interface not in interfaces:
            out.add(
                f"unknown interface {delay.interface} specified for up/down delay",
                delay.location,
                Severity.FATAL,
            )
    if missing:
        # keepalived's CONFIG_BAD_IF: -t says 4 when nothing milder was found, the daemon refuses.
        out.add("Non-existent interface specified in configuration", None, Severity.FATAL, refuse=True)
    return missing


# ---------------------------------------------------------------- script security


_SCRIPT_FIELDS: dict[str, tuple[str, ...]] = {}


def _script_fields(cls: type[Any]) -> tuple[str, ...]:
    """The Script-valued fields of a model class (its annotations name Script)."""
    cached = _SCRIPT_FIELDS.get(cls.__name__)
    if cached is None:
        cached = tuple(f.name for f in dataclasses.fields(cls) if str(f.type) == "Script | None")
        _SCRIPT_FIELDS[cls.__name__] = cached
    return cached


# The global scripts the VRRP child checks with the instances' (keepalived's check_vrrp_script_security).
_VRRP_GLOBALS = frozenset({"notify_fifo_script", "vrrp_notify_fifo_script"})


def _drop_scripts(config: Config, removed: set[str], out: _Out, *, report: bool = True) -> Config:
    """Remove vrrp_scripts keepalived refuses, and the instances' references to them."""
    if not removed:
        return config
    instances = []
    for inst in config.instances:
        for entry in inst.track_script:
            if report and entry.name in removed:
                out.add(f"({inst.name}) track script {entry.name} not found, ignoring...", entry.location)
        instances.append(
            replace(inst, track_script=tuple(e for e in inst.track_script if e.name not in removed))
        )
    groups = tuple(
        replace(g, track_script=tuple(e for e in g.track_script if e.name not in removed))
        for g in config.sync_groups
    )
    return replace(
        config,
        vrrp_scripts=tuple(v for v in config.vrrp_scripts if v.name not in removed),
        instances=tuple(instances),
        sync_groups=groups,
    )


@dataclass(slots=True)
class _Gate:
    """One pass over the scripts with the users resolved: what runs, as whom, what is reported."""

    config: Config
    probe: ScriptProbe
    users: UserProbe
    out: _Out
    enforce: bool
    default: UserIds | None
    is_script: bool = False
    insecure: bool = False

    def log(self, message: str) -> None:
        self.out.add(message, None, Severity.LOG)

    def ids(self, scr: Script, kind: str) -> UserIds | None:
        """The user a notify-type script runs as; None (logged as keepalived does) drops it."""
        if scr.user is not None:
            ids, problem = self.users(scr.user, scr.group)
            if ids is None:
                self.log(problem or f"Script user '{scr.user}' does not exist")
                self.log(f"Invalid user/group for {kind} script {scr.path} - ignoring")
            return ids
        if self.default is None:
            self.log(f"Failed to set default user for {kind} script {scr.path} - ignoring")
        return self.default

    def verdict(self, scr: Script, ids: UserIds) -> ScriptVerdict:
        found = self.probe(scr.path, ids.uid, ids.gid, self.enforce)
        for message in found.messages:
            self.log(message)
        if found.is_script and found.found:
            self.is_script = True
        self.insecure |= found.insecure
        return found

    def keep(self, scr: Script | None, kind: str) -> Script | None:
        """`scr` unless keepalived refuses it for its user or its path's safety.

        A missing or non-executable file is only reported (keepalived drops it too): keeping it
        in the model keeps what was written, and running it can only fail."""
        if scr is None:
            return None
        ids = self.ids(scr, kind)
        if ids is None:
            return None
        found = self.verdict(scr, ids)
        return None if not found.runnable and found.found and found.executable else scr

    def notify_fields(self, obj: Any, only: frozenset[str] | None = None) -> Any:
        changes: dict[str, Any] = {}
        for name in _script_fields(type(obj)):
            if only is not None and name not in only:
                continue
            value = getattr(obj, name)
            kept = self.keep(value, "notify")
            if kept is not value:
                changes[name] = kept
        return replace(obj, **changes) if changes else obj


def _first_userless(config: Config) -> tuple[Location | None] | None:
    """Where the first script without its own user is, if there is one."""
    for vs in config.vrrp_scripts:
        if vs.script is not None and _script_user(vs)[0] is None:
            return (vs.location,)
    objects: list[Any] = [config.global_defs, *config.sync_groups, *config.instances]
    for server in config.virtual_servers:
        objects.append(server)
        for rs in server.real_servers:
            objects += [rs, *rs.checkers]
    for obj in objects:
        for name in _script_fields(type(obj)):
            scr = getattr(obj, name)
            if scr is not None and scr.user is None:
                return (scr.location,)
    return None


def _script_user(vs: VrrpScript) -> tuple[str | None, str | None]:
    if vs.user is not None:
        return vs.user, vs.group
    if vs.script is not None and vs.script.user is not None:
        return vs.script.user, vs.script.group
    return None, None


def _check_script_security(
    config: Config,
    g: GlobalDefs,
    probe: ScriptProbe,
    users: UserProbe,
    out: _Out,
    *,
    vrrp_side: bool = True,
) -> Config:
    """keepalived's user and path checks; every script it would not run is removed from the model."""
    enforce = g.enable_script_security
    default: UserIds | None = ROOT
    if g.script_user is not None:
        ids, problem = users(g.script_user, g.script_group)
        if ids is None:
            out.add(problem or f"Script user '{g.script_user}' does not exist", None, Severity.LOG)
            out.add("Error setting global script uid/gid", None)
            default = None
        else:
            default = ids

    userless = _first_userless(config)
    if g.script_user is None and userless is not None:
        # keepalived looks keepalived_script up when it meets the first script without a user.
        ids, problem = users(DEFAULT_SCRIPT_USER, None)
        if ids is not None:
            default = ids
        else:
            out.add(problem or f"Script user '{DEFAULT_SCRIPT_USER}' does not exist", None, Severity.LOG)
            if enforce:
                out.add(f"Unable to set default user {DEFAULT_SCRIPT_USER} for script", userless[0])
                default = None

    removed: set[str] = set()
    runs_as: dict[str, UserIds] = {}
    for vs in config.vrrp_scripts:
        if vs.script is None:
            continue
        user, group = _script_user(vs)
        if user is not None:
            ids, problem = users(user, group)
            if ids is None:
                out.add(problem or f"Script user '{user}' does not exist", None, Severity.LOG)
                out.add(f"Unable to set uid/gid for script '{vs.script.path}'", vs.location)
                removed.add(vs.name)
                continue
        else:
            ids = default
            if ids is None:
                out.add(f"Unable to set default user for vrrp script {vs.name} - removing", vs.location)
                removed.add(vs.name)
                continue
        runs_as[vs.name] = ids
    config = _drop_scripts(config, removed, out)
    gate = _Gate(config, probe, users, out, enforce, default)
    # keepalived -t does not reach the VRRP child's checks for a config run in a net_namespace.
    # vrrp_side: instances were written (even ones then found incomplete), as keepalived's VRRP
    # child judges its scripts before it completes the instances.
    if vrrp_side and config.global_defs.net_namespace is None:
        config = _vrrp_security(gate, config, runs_as, out)
    config = _other_security(gate, config)
    if gate.is_script and not enforce:
        out.add(
            "SECURITY VIOLATION - scripts are being executed but script_security not enabled."
            + (" There are insecure scripts." if gate.insecure else ""),
            None,
            Severity.SECURITY,
        )
    return config


def _vrrp_security(gate: _Gate, config: Config, runs_as: dict[str, UserIds], out: _Out) -> Config:
    """What the VRRP child checks once it has instances: track scripts, notify and FIFO scripts."""
    disabled: set[str] = set()
    for vs in config.vrrp_scripts:
        if vs.script is None or vs.name not in runs_as:
            continue
        found = gate.verdict(vs.script, runs_as[vs.name])
        if found.runnable:
            continue
        if found.insecure or (found.found and found.executable):
            out.add(f"Disabling track script {vs.name} due to insecure", None)
        elif not found.found:
            out.add(f"Disabling track script {vs.name} since not found/accessible", None)
        disabled.add(vs.name)
    config = _drop_scripts(config, disabled, out, report=False)
    return replace(
        config,
        instances=tuple(gate.notify_fields(i) for i in config.instances),
        sync_groups=tuple(gate.notify_fields(s) for s in config.sync_groups),
        global_defs=gate.notify_fields(config.global_defs, _VRRP_GLOBALS),
    )


def _other_security(gate: _Gate, config: Config) -> Config:
    """The parent's scripts (startup/shutdown, LVS FIFO) are removed when refused; the virtual
    servers' are judged for the report but kept: the checker side gates them again when it starts
    them (alived.linux.scripts.ScriptRunner, through alived.script_security.script_verdict)."""
    others = frozenset(_script_fields(GlobalDefs)) - _VRRP_GLOBALS
    for server in config.virtual_servers:
        objects: list[Any] = [server]
        for rs in server.real_servers:
            objects += [rs, *rs.checkers]
        for obj in objects:
            gate.notify_fields(obj)
    return replace(config, global_defs=gate.notify_fields(config.global_defs, others))
