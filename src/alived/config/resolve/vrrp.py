"""VRRP in resolve: vrrp_instance and vrrp_sync_group checks and effective values, static routes and
rules, and which interfaces exist (keepalived's vrrp_complete_* and friends)."""

from __future__ import annotations

from dataclasses import replace

from alived.config.diagnostics import Severity
from alived.config.model import (
    Config,
    RouteEntry,
    VrrpInstance,
    VrrpSyncGroup,
)
from alived.config.resolve.common import Out, first, unique_tracks
from alived.config.sections.addresses import UNTRACKABLE, untrackable_protocol
from alived.errors import Location
from alived.units import SECOND, Ticks


def unique_instances(config: Config, out: Out) -> list[VrrpInstance]:
    seen: set[str] = set()
    kept = []
    for inst in config.instances:
        if inst.name in seen:
            out.add(f"vrrp instance {inst.name} already defined", inst.location)
            continue
        seen.add(inst.name)
        kept.append(inst)
    return kept


# ---------------------------------------------------------------- vrrp_instance


def _family(inst: VrrpInstance) -> int:
    """The instance's family; only items of that family are left once its block was read."""
    if inst.native_ipv6 or inst.family == 6:  # 6 if an address that was then skipped said so
        return 6
    if inst.virtual_ipaddress:
        return inst.virtual_ipaddress[0].family
    ipvlan = inst.use_ipvlan.address if inst.use_ipvlan is not None else None
    addresses = (inst.unicast_src_ip, inst.mcast_src_ip, inst.mcast_dst_ip, ipvlan)
    for addr in (*addresses, *(p.address for p in inst.unicast_peer)):
        if addr is not None:
            return addr.version
    return 4


def resolve_instance(config: Config, inst: VrrpInstance, out: Out) -> VrrpInstance | None:
    g = config.global_defs
    name = inst.name
    where = inst.location
    end = inst.end_location or where  # checks keepalived makes as it reads the block's `}`
    inst = replace(
        inst,
        track_interface=unique_tracks(name, "track_interface", inst.track_interface, out),
        track_script=unique_tracks(name, "track_script", inst.track_script, out),
        track_file=unique_tracks(name, "track_file", inst.track_file, out),
        track_process=unique_tracks(name, "track_process", inst.track_process, out),
        track_bfd=unique_tracks(name, "track_bfd", inst.track_bfd, out),
    )
    if inst.virtual_router_id is None:
        out.add(f"({name}) the virtual router id must be set", where, refuse=True, located=False)
        return None
    interface = inst.interface
    if interface is None:
        # keepalived 2.2.7 insists on an interface even for unicast instances; without unicast
        # peers the instance cannot be completed and the daemon stops (chk_min_cfg).
        out.add(f"({name}) Unknown interface!", where, refuse=not inst.unicast_peer, located=False)
    # the family was settled as the block was read (sections.vrrp): what is left matches it
    family = _family(inst)
    vips = list(inst.virtual_ipaddress)
    excluded = inst.virtual_ipaddress_excluded
    version = inst.version if inst.version is not None else g.vrrp_version
    strict = inst.strict_mode if inst.strict_mode is not None else g.vrrp_strict
    if family == 6 and version == 2:
        if strict and inst.version == 2:  # keepalived applies the global version after this check
            out.add(f"({name}) cannot use IPv6 with VRRP version 2; setting version 3", where, located=False)
        version = 3
    if not vips and not inst.no_virtual_ipaddress and (version == 3 or family == 6 or strict):
        # vrrp_complete_instance gives up on the instance, and the VRRP child with it: it makes
        # none of its later checks (those made as the block was read are already reported).
        out.add(f"({name}) No VIP specified; at least one is required", where, refuse=True, located=False)
        out = Out(out.diagnostics, located_only=True)
    elif not vips and not inst.no_virtual_ipaddress:
        out.add(f"({name}) No VIP specified; at least one is sensible", where, located=False)
    if inst.vmac_xmit_base and inst.use_vmac is None:
        out.add(f"({name}) vmac_xmit_base is only valid with a vmac", where, located=False)
    state = inst.state
    priority = inst.priority
    auth = inst.authentication
    if auth is not None and auth.auth_type is None:
        auth = None
    if auth is not None and (version == 3 or family == 6):
        out.add(f"({name}) VRRP version 3 does not support authentication. Ignoring.", where, located=False)
        auth = None
    elif auth is not None and not auth.auth_pass:
        out.add(f"({name}) Authentication specified but no password given. Ignoring", where, located=False)
        auth = None
    if auth is not None and auth.auth_type == "AH" and state == "MASTER":
        out.add(
            f"({name}) Initial state master is incompatible with AH authentication - clearing",
            where,
            located=False,
        )
        state = None
    if priority is None:
        priority = 255 if state == "MASTER" else 100
    if state is None:
        state = "MASTER" if priority == 255 else "BACKUP"
    nopreempt = inst.nopreempt
    if nopreempt and priority == 255:
        out.add(
            f"({name}) nopreempt is incompatible with priority 255. resetting nopreempt", where, located=False
        )
        nopreempt = False
    elif nopreempt and state == "MASTER":
        out.add(
            f"({name}) Warning - nopreempt will not work with initial state MASTER - clearing",
            where,
            located=False,
        )
        nopreempt = False
    preempt_delay = inst.preempt_delay
    if preempt_delay and state == "MASTER":
        out.add(
            f"({name}) Warning - preempt delay will not work with initial state MASTER - clearing",
            where,
            located=False,
        )
        preempt_delay = None
    advert = inst.advert_int if inst.advert_int is not None else Ticks(SECOND)
    if version == 2:
        if advert % SECOND:
            secs = advert / SECOND
            out.add(
                f"({name}) VRRPv2 advertisement interval {secs:.6f}s must be an integer. rounding",
                where,
                located=False,
            )
            advert = Ticks(max(1, round(secs)) * SECOND)
    else:
        if advert > Ticks(40_950_000):
            out.add(
                f"({name}) VRRPv3 advertisement interval {advert / SECOND:.2f}s is out of range."
                " Must be less than 40.96s. Setting to 40.95s",
                where,
                located=False,
            )
            advert = Ticks(40_950_000)
        cs = (advert + 5_000) // 10_000
        advert = Ticks(max(1, cs) * 10_000)
    peers = inst.unicast_peer
    accept = inst.accept
    garp_lower_prio_repeat = first(
        inst.garp_lower_prio_repeat,
        g.vrrp_garp_lower_prio_repeat,
        inst.garp_master_repeat,
        g.vrrp_garp_master_repeat,
    )
    lower_prio_no_advert = first(inst.lower_prio_no_advert, g.vrrp_lower_prio_no_advert)
    higher_prio_send_advert = first(inst.higher_prio_send_advert, g.vrrp_higher_prio_send_advert)
    down_timer_adverts = first(inst.down_timer_adverts, g.vrrp_down_timer_adverts)
    use_vmac = inst.use_vmac
    if strict:
        # keepalived 2.2.7 tests for unicast before it has noted it: strict mode keeps the peers.
        if auth is not None:
            out.add(f"({name}) Strict mode does not support authentication. Ignoring.", where, located=False)
            auth = None
        if preempt_delay:
            out.add(
                f"({name}) preempt_delay is incompatible with strict mode - resetting", where, located=False
            )
            preempt_delay = None
        if state == "MASTER" and priority != 255:
            out.add(f"({name}) State MASTER must match being address owner", where, located=False)
            state = "BACKUP"
        if family == 6 and not peers and vips and not vips[0].address.ip.is_link_local:
            out.add(f"({name}) the first IPv6 VIP address must be link local", where, located=False)
        if accept and priority != 255 and version == 2:
            out.add(
                f"({name}) warning - accept mode for VRRP version 2 does not comply with RFC3768 - resetting",
                where,
                located=False,
            )
            accept = False
        if accept is None:
            accept = priority == 255
        if use_vmac is not None and use_vmac.mac is not None:
            out.add(f"({name}): cannot specify MAC address with strict mode - clearing", where, located=False)
            use_vmac = replace(use_vmac, mac=None)
        garp_lower_prio_repeat = 0
        lower_prio_no_advert = True
        higher_prio_send_advert = False
        down_timer_adverts = 3
    if preempt_delay and nopreempt:
        out.add(
            f"({name}) preempt_delay is incompatible with nopreempt mode - resetting", where, located=False
        )
        preempt_delay = None
    if accept is None:
        accept = True
    if peers and use_vmac is not None and not inst.vmac_xmit_base:
        out.add(f"({name}) unicast with use_vmac requires vmac_xmit_base - setting", end, Severity.WARNING)
    if not peers and inst.unicast_configured and not inst.unicast_fault_no_peer:
        out.add(
            f"({name}) A unicast keyword has been specified without any unicast peers. Defaulting to"
            " multicast. This usage is deprecated - please update your configuration.",
            where,
            Severity.WARNING,
            located=False,
        )
    unicast_ttl = inst.unicast_ttl
    if not peers and unicast_ttl is not None:
        out.add(f"({name}): Cannot use unicast_ttl without unicast peers - resetting", end)
        unicast_ttl = None
    master_delay = first(inst.garp_master_delay, g.vrrp_garp_master_delay)
    master_repeat = first(inst.garp_master_repeat, g.vrrp_garp_master_repeat)
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
    routes = tuple(_check_route(route, out) for route in inst.virtual_routes)
    smtp = first(inst.smtp_alert, g.smtp_alert_vrrp, g.smtp_alert, False)
    return replace(
        inst,
        interface=interface,
        virtual_ipaddress=tuple(vips),
        virtual_ipaddress_excluded=tuple(excluded),
        virtual_routes=routes,
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
        effective_garp_master_refresh=first(inst.garp_master_refresh, g.vrrp_garp_master_refresh),
        effective_garp_master_refresh_repeat=first(
            inst.garp_master_refresh_repeat, g.vrrp_garp_master_refresh_repeat
        ),
        effective_garp_lower_prio_delay=first(
            inst.garp_lower_prio_delay, g.vrrp_garp_lower_prio_delay, master_delay
        ),
        effective_garp_lower_prio_repeat=garp_lower_prio_repeat,
        effective_down_timer_adverts=down_timer_adverts,
        effective_lower_prio_no_advert=bool(lower_prio_no_advert),
        effective_higher_prio_send_advert=bool(higher_prio_send_advert),
        family=family,
    )


def check_duplicate_vrids(instances: tuple[VrrpInstance, ...], out: Out) -> tuple[VrrpInstance, ...]:
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
                located=False,
            )
        else:
            seen[key] = inst
    return instances


def resolve_sync_groups(
    groups: tuple[VrrpSyncGroup, ...], instances: tuple[VrrpInstance, ...], out: Out
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
                    located=False,
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
            message = (
                f"Sync group {group.name}, no matching virtual router found in group declaration - removing"
                if group.group
                else f"Sync group {group.name} has no virtual router(s). removing"
            )
            out.add(message, group.location, located=False)
            continue
        if len(members) == 1:
            out.add(
                f"Sync group {group.name} has only 1 virtual router(s) - this probably isn't what you want",
                group.location,
                Severity.WARNING,
                located=False,
            )
        kept.append(replace(group, group=tuple(members)))
    instances = tuple(replace(i, sync_group=owner[i.name]) if i.name in owner else i for i in instances)
    return tuple(kept), instances


# ---------------------------------------------------------------- routes, rules, static entries


def _check_route(route: RouteEntry, out: Out) -> RouteEntry:
    if untrackable_protocol(route.protocol, route.no_track):
        out.add(UNTRACKABLE.format(what="Route"), route.location)
        route = replace(route, protocol=None)
    if route.no_track or route.dev is not None or any(h.dev for h in route.nexthops):
        return route
    out.add(
        f"Warning - cannot track route {route.dst} with no interface specified, not tracking",
        route.location,
        Severity.WARNING,
    )
    return route


def check_static(config: Config, out: Out) -> Config:
    """The static routes, checked as keepalived reads them (rules are checked as they are read)."""
    routes = tuple(_check_route(route, out) for route in config.static_routes)
    return replace(config, static_routes=routes)


# ---------------------------------------------------------------- interfaces


def check_interfaces(config: Config, interfaces: set[str], out: Out) -> bool:
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
            inst.interface_location or inst.location,
        )
        for entry in inst.track_interface:
            lacks(entry.name, f"({inst.name}) tracked interface {{name}} doesn't exist", entry.location)
        # keepalived names the address as written (its token, mask and all)
        for vip in (*inst.virtual_ipaddress, *inst.virtual_ipaddress_excluded):
            lacks(
                vip.dev,
                f"WARNING - interface {{name}} for ip address {vip.written or vip.address.ip} doesn't exist",
                vip.location,
            )
    for addr in config.static_ipaddress:
        lacks(
            addr.dev,
            f"WARNING - interface {{name}} for ip address {addr.written or addr.address} doesn't exist",
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
        places = garp.interface_locations or (garp.location,) * len(garp.interfaces)
        for name, where in zip(garp.interfaces, places, strict=False):
            lacks(name, "WARNING - interface {name} specified for garp_group doesn't exist", where)
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
