"""Config model -> what the VRRP child runs: core InstanceParams plus the adapter-side plan.

The core never sees the config model; this module is the one place that knows both. For
each vrrp_instance it produces an `InstancePlan`: the frozen `InstanceParams` the state
machine needs, and what the adapter needs around it (the interface, the multicast group,
netlink specs for VIPs, routes and rules, notify scripts, tracked interfaces, VMAC).
Looking up the interface's own address is the caller's job (`primary_address`), so this
stays a pure function of its arguments.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from alived.config import model
from alived.core.vrrp.checksum import ChecksumMode, ChecksumVerdict, UnicastChecksum, checksum_verdict
from alived.core.vrrp.params import (
    DEFAULT_PRIORITY,
    NO_TIME,
    PRIORITY_OWNER,
    GarpParams,
    InitialState,
    InstanceParams,
    TrackerSpec,
)
from alived.core.vrrp.tracker import TrackerKind
from alived.core.vrrp.wire import (
    AUTH_AH,
    AUTH_NONE,
    AUTH_PASS,
    VRRP_GROUP4,
    VRRP_GROUP6,
    IPAddress,
    ReceivedPacket,
    next_ip_id,
    virtual_mac,
)
from alived.daemon.script_command import script_command
from alived.daemon.vrrp import file_tracker, group_trackers, process_tracker
from alived.errors import LocalMisuse
from alived.linux.netlink import (
    RT_SCOPE_UNIVERSE,
    RT_TABLE_LOCAL,
    RT_TABLE_MAIN,
    RTPROT_BOOT,
    RTPROT_KEEPALIVED,
    SCOPES,
    AddressSpec,
    RouteSpec,
    RuleSpec,
)
from alived.linux.scripts import ScriptCommand
from alived.notify.scripts import NotifyScripts
from alived.units import Ticks

PrimaryAddress = Callable[[str, int], IPAddress | None]
SocketKey = tuple[str, int, bool, IPAddress | None, str]

TABLES = {"main": RT_TABLE_MAIN, "local": RT_TABLE_LOCAL, "default": 253}
PROTOCOLS = {"redirect": 1, "kernel": 2, "boot": RTPROT_BOOT, "static": 4, "keepalived": RTPROT_KEEPALIVED}
NO_ADDRESS4 = ipaddress.IPv4Address("0.0.0.0")
NO_ADDRESS6 = ipaddress.IPv6Address("::")


@dataclass(frozen=True, slots=True, kw_only=True)
class VmacPlan:
    """A macvlan to create for `use_vmac`: its name, MAC and parent."""

    name: str
    mac: bytes
    parent: str
    xmit_base: bool = False


@dataclass(slots=True)
class SendState:
    """Per-instance sender state that keepalived keeps in its vrrp_t.

    It changes with every advert, so it lives outside the plan's equality: a reload that keeps
    an instance keeps its counter, a restarted instance starts again at 0 as keepalived's does.
    """

    ip_id: int = 0
    old_checksum_adopted: bool = False

    def next_ip_id(self) -> int:
        self.ip_id = next_ip_id(self.ip_id)
        return self.ip_id


@dataclass(frozen=True, slots=True, kw_only=True)
class InstancePlan:
    """One vrrp_instance, ready to run."""

    name: str
    params: InstanceParams
    interface: str  # where adverts go (the VMAC unless vmac_xmit_base)
    base_interface: str
    vip_interface: str  # the default device of VIPs and GARPs
    family: int
    group: IPAddress
    has_source: bool  # False: no usable source address (the instance starts in FAULT)
    vips: tuple[AddressSpec, ...] = ()
    evips: tuple[AddressSpec, ...] = ()
    routes: tuple[RouteSpec, ...] = ()
    rules: tuple[RuleSpec, ...] = ()
    notify: NotifyScripts = field(default_factory=NotifyScripts)
    track_interfaces: tuple[str, ...] = ()
    unicast_ttl: int | None = None
    vmac: VmacPlan | None = None
    sync_group: str | None = None
    dont_track_primary: bool = False
    unicast_checksum: UnicastChecksum = UnicastChecksum.NONE
    v3_checksum_as_v2: bool = False  # IPv4 v3 summed without the pseudo-header (keepalived compat)
    send: SendState = field(default_factory=SendState, compare=False)

    @property
    def socket_key(self) -> SocketKey:
        """What a VRRP socket must receive; instances with equal keys share one socket.

        As keepalived's socket pool: the interface, the family, unicast or the multicast group
        joined, and the IP protocol (AH or VRRP). A reload that changes any of these for an
        instance therefore moves it to a socket that receives what it now needs.
        """
        group = None if self.params.unicast else self.group
        proto = "ah" if self.params.auth_type == AUTH_AH else "vrrp"
        return (self.interface, self.family, self.params.unicast, group, proto)

    @property
    def checksum_mode(self) -> ChecksumMode:
        p = self.params
        return ChecksumMode(
            family=self.family,
            version=p.version,
            unicast=p.unicast,
            unicast_checksum=self.unicast_checksum,
            v3_checksum_as_v2=self.v3_checksum_as_v2,
        )

    @property
    def old_unicast_checksum(self) -> bool:
        """Whether adverts sum the old way (configured, or adopted from a peer)."""
        return self.checksum_mode.sends_old_form(self.send.old_checksum_adopted)

    def vip_specs(self, addresses: Iterable[IPAddress]) -> list[AddressSpec]:
        """The VIP and eVIP specs (in config order) of `addresses`."""
        wanted = set(addresses)
        return [s for s in (*self.vips, *self.evips) if s.address in wanted]

    def checksum_verdict(self, packet: ReceivedPacket, *, as_v2: bool = False) -> ChecksumVerdict:
        """core/vrrp/checksum.py's verdict for this instance; an ADOPT switches its adverts."""
        verdict = checksum_verdict(
            self.checksum_mode, packet, adopted=self.send.old_checksum_adopted, as_v2=as_v2
        )
        if verdict is ChecksumVerdict.ADOPT:
            self.send.old_checksum_adopted = True
        return verdict


def notify_scripts(
    inst: model.VrrpInstance | model.VrrpSyncGroup, defaults: model.GlobalDefs
) -> NotifyScripts:
    specific: dict[str, ScriptCommand] = {}
    pairs: list[tuple[str, model.Script | None]] = [
        ("MASTER", inst.notify_master),
        ("BACKUP", inst.notify_backup),
        ("FAULT", inst.notify_fault),
        ("STOP", inst.notify_stop),
    ]
    deleted = False
    if isinstance(inst, model.VrrpInstance):
        pairs += [("DELETED", inst.notify_deleted), ("MASTER_RX_LOWER_PRI", inst.notify_master_rx_lower_pri)]
        deleted = inst.notify_deleted_set or inst.notify_deleted is not None
    for word, script in pairs:
        command = script_command(script, defaults)
        if command is not None:
            specific[word] = command
    return NotifyScripts(
        specific=specific, generic=script_command(inst.notify, defaults), notify_deleted=deleted
    )


def _preferred_lft(entry: model.AddressEntry) -> int | None:
    if entry.preferred_lft is None:
        # keepalived deprecates an IPv6 /128 VIP unless told otherwise.
        if entry.address.version == 6 and entry.address.network.prefixlen == 128:
            return 0
        return None
    if entry.preferred_lft == "forever":
        return None
    return int(entry.preferred_lft)


def address_spec(entry: model.AddressEntry, default_dev: str) -> AddressSpec:
    brd: IPAddress | str | None = None
    if entry.brd in ("+", "-"):
        brd = entry.brd
    elif entry.brd is not None:
        brd = ipaddress.ip_address(entry.brd)
    return AddressSpec(
        address=entry.address.ip,
        prefixlen=entry.address.network.prefixlen,
        dev=entry.dev or default_dev,
        broadcast=brd,  # type: ignore[arg-type]
        scope=SCOPES.get(entry.scope or "global", RT_SCOPE_UNIVERSE),
        label=entry.label,
        peer=entry.peer.ip if entry.peer is not None else None,
        preferred_lft=_preferred_lft(entry),
        noprefixroute=entry.noprefixroute,
        nodad=entry.nodad,
        home=entry.home,
        mngtmpaddr=entry.mngtmpaddr,
        autojoin=entry.autojoin,
    )


def _table(text: str | None) -> int:
    if text is None:
        return RT_TABLE_MAIN
    return TABLES.get(text) or int(text, 0)


def _protocol(text: str | None) -> int:
    # keepalived marks the routes and rules it installs as its own unless told otherwise.
    if text is None:
        return RTPROT_KEEPALIVED
    return PROTOCOLS.get(text) or int(text, 0)


def route_spec(entry: model.RouteEntry, default_dev: str | None) -> RouteSpec:
    via = entry.via
    dev = entry.dev
    if via is None and entry.nexthops:
        via, dev = entry.nexthops[0].via, entry.nexthops[0].dev or dev
    if dev is None and via is None and entry.type == "unicast":
        dev = default_dev
    return RouteSpec(
        dst=entry.dst,
        type=entry.type,
        via=via,
        dev=dev,
        src=entry.src,
        table=_table(entry.table),
        metric=entry.metric,
        scope=SCOPES.get(entry.scope) if entry.scope is not None else None,
        protocol=_protocol(entry.protocol),
        tos=int(entry.tos, 0) if entry.tos else 0,
        onlink=entry.onlink,
    )


def rule_spec(entry: model.RuleEntry) -> RuleSpec:
    family = entry.family or (
        entry.from_.version if entry.from_ is not None else entry.to.version if entry.to is not None else 4
    )
    options = dict(entry.options)
    fwmark: int | None = None
    fwmask: int | None = None
    if "fwmark" in options:
        mark, _, mask = options["fwmark"].partition("/")
        fwmark = int(mark, 0)
        fwmask = int(mask, 0) if mask else None
    action = entry.action or "to_tbl"
    goto = int(options["goto"], 0) if "goto" in options else None
    if goto is not None:
        action = "goto"
    return RuleSpec(
        family=family,
        src=entry.from_,
        dst=entry.to,
        table=_table(entry.table) if entry.table is not None or action == "to_tbl" else None,
        priority=entry.preference,
        action=action,
        goto=goto,
        fwmark=fwmark,
        fwmask=fwmask,
        iif=options.get("iif") or options.get("dev"),
        oif=options.get("oif"),
        protocol=_protocol(options.get("protocol")),
    )


def _vmac_plan(inst: model.VrrpInstance, base: str, vrid: int, prefix: str) -> VmacPlan | None:
    if inst.use_vmac is None:
        return None
    name = inst.use_vmac.name or f"{prefix}.{vrid}"
    mac = virtual_mac(vrid, inst.family)
    if inst.use_vmac.mac:
        octets = bytes(int(x, 16) for x in inst.use_vmac.mac.split(":"))
        mac = octets + bytes((vrid,)) if len(octets) == 5 else octets
    return VmacPlan(name=name, mac=mac, parent=base, xmit_base=inst.vmac_xmit_base)


def _auth(inst: model.VrrpInstance) -> tuple[int, bytes]:
    auth = inst.authentication
    if auth is None or auth.auth_type is None:
        return AUTH_NONE, b""
    key = (auth.auth_pass or "").encode()
    if auth.auth_type == "AH":
        return AUTH_AH, key
    return AUTH_PASS, key[:8]


def _entry_weight(entry: model.TrackEntry, weight: int, reverse: bool) -> tuple[int, bool]:
    """An entry's weight and sense: what it names, else the tracked object's own (alloc_track_*)."""
    return (
        entry.weight if entry.weight is not None else weight,
        entry.reverse if entry.reverse is not None else reverse,
    )


def _tracked_interfaces(
    inst: model.VrrpInstance,
    *,
    base: str,
    own: set[str],
    vips: tuple[AddressSpec, ...],
    evips: tuple[AddressSpec, ...],
    routes: tuple[RouteSpec, ...],
    rules: tuple[RuleSpec, ...],
) -> dict[str, tuple[int, bool]]:
    """Interface -> (weight, reverse) the instance tracks, as keepalived's vrrp_complete_instance.

    A track_interface naming the instance's own interface is dropped (it is watched anyway).
    Every interface a VIP, eVIP, virtual route (dev) or virtual rule (iif/oif) uses is tracked
    with weight 0, so the instance goes FAULT when it goes down, unless the entry has no_track.
    """
    out = {t.name: (t.weight or 0, bool(t.reverse)) for t in inst.track_interface if t.name != base}
    used: list[str] = []
    entries = zip((*inst.virtual_ipaddress, *inst.virtual_ipaddress_excluded), (*vips, *evips), strict=True)
    used.extend(spec.dev for entry, spec in entries if not entry.no_track)
    for route, route_spec_ in zip(inst.virtual_routes, routes, strict=True):
        if not route.no_track and route_spec_.dev is not None:
            used.append(route_spec_.dev)
    for rule, rule_spec_ in zip(inst.virtual_rules, rules, strict=True):
        if not rule.no_track:
            used.extend(dev for dev in (rule_spec_.iif, rule_spec_.oif) if dev is not None)
    for dev in used:
        if dev not in own:
            out.setdefault(dev, (0, False))
    return out


def ignored_track_interfaces(inst: model.VrrpInstance, config: model.Config) -> tuple[str, ...]:
    """keepalived's startup line for each track_interface that names the instance's own interface."""
    base = inst.interface or config.global_defs.default_interface
    return tuple(
        f"({inst.name}) Ignoring track_interface {base} since own interface"
        for t in inst.track_interface
        if t.name == base
    )


def _trackers(
    inst: model.VrrpInstance, config: model.Config, interfaces: dict[str, tuple[int, bool]]
) -> tuple[TrackerSpec, ...]:
    out: list[TrackerSpec] = [
        TrackerSpec(kind=TrackerKind.INTERFACE, name=name, weight=weight, reverse=reverse)
        for name, (weight, reverse) in interfaces.items()
    ]
    scripts: dict[str, tuple[int, bool]] = {}
    for t in inst.track_script:
        script = config.script(t.name)
        if script is not None and t.name not in scripts:
            scripts[t.name] = _entry_weight(t, script.weight, script.weight_reverse)
    for name, (weight, reverse) in group_trackers.script_entries(inst, config, scripts).items():
        script = config.script(name)
        assert script is not None  # only existing scripts were chosen
        # keepalived counts no script weight until the script's first result (INIT): a weight
        # applied while OK starts not OK, one applied while failed starts OK, so neither applies.
        applied_while_ok = weight != 0 and (weight > 0) != reverse
        initially_ok = not script.init_fail and not applied_while_ok
        out.append(
            TrackerSpec(
                kind=TrackerKind.SCRIPT,
                name=name,
                weight=weight,
                reverse=reverse,
                initially_ok=initially_ok,
                awaited=weight == 0 and not script.init_fail,
            )
        )
    out.extend(_file_trackers(inst, config))
    out.extend(process_tracker.tracker_specs(inst, config))  # track_process (issue 12)
    return tuple(out)


def _file_trackers(inst: model.VrrpInstance, config: model.Config) -> list[TrackerSpec]:
    """track_file entries of the instance and of its sync group, with keepalived's weight rules.

    A member of a sync group without sync_group_tracking_weight, or an address owner, keeps an
    instance entry only unweighted: the default weight 1 becomes 0, another weight drops the
    entry (vrrp_complete_instance). A group entry is unweighted when a member is the owner, and
    its weight replaces a weighted instance entry for the same file (add_obj_to_track_file).
    """
    if not config.track_files:
        return []  # the common case, kept free of the sync-group scan below
    files = {tf.name: tf for tf in config.track_files if file_tracker.watchable(tf)}
    group = next((sg for sg in config.sync_groups if inst.name in sg.group), None)
    owner = (inst.effective_priority or DEFAULT_PRIORITY) == PRIORITY_OWNER
    no_weights = owner or (
        group is not None and not (group.sync_group_tracking_weight or group.global_tracking)
    )
    chosen: dict[str, tuple[int, bool]] = {}
    for t in inst.track_file:
        track_file = files.get(t.name)
        if track_file is None or t.name in chosen:
            continue
        weight, reverse = _entry_weight(t, track_file.weight, track_file.weight_reverse)
        if no_weights and weight == 1:
            weight = 0
        elif no_weights and weight:
            continue
        chosen[t.name] = (weight, reverse)
    if group is not None:
        members = [config.instance(m) for m in group.group]
        group_owner = any(m is not None and m.effective_priority == PRIORITY_OWNER for m in members)
        for t in group.track_file:
            track_file = files.get(t.name)
            if track_file is None:
                continue
            weight, reverse = _entry_weight(t, track_file.weight, track_file.weight_reverse)
            if group_owner:
                weight = 0
            if t.name not in chosen or chosen[t.name][0]:
                chosen[t.name] = (weight, reverse)
    return [
        TrackerSpec(
            kind=TrackerKind.FILE,
            name=name,
            weight=weight,
            reverse=reverse,
            initial_value=file_tracker.initial_value(files[name]),
        )
        for name, (weight, reverse) in chosen.items()
    ]


def _garp_extra(
    inst: model.VrrpInstance,
    g: model.GlobalDefs,
    interface: str,
    vmac: VmacPlan | None,
    specs: tuple[AddressSpec, ...],
) -> tuple[Ticks, tuple[IPAddress, ...]]:
    """garp_extra_if (else the global one): the addresses on interfaces other than the instance's,
    VMACs only unless `all`, and the interval between their single GARPs/NAs."""
    interval, every = (
        (inst.garp_extra_if, inst.garp_extra_if_all)
        if inst.garp_extra_if is not None
        else (g.vrrp_garp_extra_if, g.vrrp_garp_extra_if_all)
    )
    if not interval:
        return NO_TIME, ()
    vmacs = {vmac.name} if vmac is not None else set()
    return interval, tuple(s.address for s in specs if s.dev != interface and (every or s.dev in vmacs))


def _peer_ttl_ranges(inst: model.VrrpInstance) -> tuple[tuple[IPAddress, int, int], ...]:
    """(peer, min_ttl, max_ttl) for each peer given either bound; the other bound is 0 or 255."""
    return tuple(
        (p.address, p.min_ttl if p.min_ttl is not None else 0, p.max_ttl if p.max_ttl is not None else 255)
        for p in inst.unicast_peer
        if p.min_ttl is not None or p.max_ttl is not None
    )


def _unicast_checksum(inst: model.VrrpInstance) -> UnicastChecksum:
    # The model keeps `old_unicast_checksum` alone as "auto" and the word after it otherwise;
    # keepalived knows only `never` and ignores any other word (mode NONE).
    if inst.old_unicast_checksum == "auto":
        return UnicastChecksum.CONFIG
    if inst.old_unicast_checksum == "never":
        return UnicastChecksum.NEVER
    return UnicastChecksum.NONE


def translate_instance(
    inst: model.VrrpInstance, config: model.Config, primary_address: PrimaryAddress
) -> InstancePlan:
    """One configured instance as an InstancePlan (the config was already checked by the loader)."""
    g = config.global_defs
    base = inst.interface or g.default_interface
    vrid = inst.virtual_router_id or 1
    family = inst.family
    vmac = _vmac_plan(inst, base, vrid, g.vmac_prefix)
    vip_if = vmac.name if vmac is not None else base
    interface = vmac.name if vmac is not None and not vmac.xmit_base else base
    source: IPAddress | None = inst.unicast_src_ip or inst.mcast_src_ip
    if source is None:
        source = primary_address(base, family)
    has_source = source is not None
    if source is None:
        source = NO_ADDRESS4 if family == 4 else NO_ADDRESS6
    vips = tuple(address_spec(e, vip_if) for e in inst.virtual_ipaddress)
    evips = tuple(address_spec(e, vip_if) for e in inst.virtual_ipaddress_excluded)
    advertised = tuple(s.address for s in vips if s.address.version == family)
    excluded = tuple(s.address for s in evips) + tuple(s.address for s in vips if s.address.version != family)
    routes = tuple(route_spec(r, vip_if) for r in inst.virtual_routes)
    rules = tuple(rule_spec(r) for r in inst.virtual_rules)
    tracked = _tracked_interfaces(
        inst,
        base=base,
        own={base, vip_if, interface},
        vips=vips,
        evips=evips,
        routes=routes,
        rules=rules,
    )
    tracked = group_trackers.interface_entries(inst, config, tracked, frozenset({base, vip_if, interface}))
    auth_type, auth_key = _auth(inst)
    if inst.mcast_dst_ip is not None:
        group: IPAddress = inst.mcast_dst_ip
    else:
        group = g.vrrp_mcast_group4 if family == 4 else g.vrrp_mcast_group6
    if group.version != family:
        group = VRRP_GROUP4 if family == 4 else VRRP_GROUP6
    priority = inst.effective_priority or DEFAULT_PRIORITY
    extra_interval, extra_addresses = _garp_extra(inst, g, interface, vmac, (*vips, *evips))
    params = InstanceParams(
        name=inst.name,
        vrid=vrid,
        version=inst.effective_version,
        priority=priority,
        advert_int=inst.effective_advert_int,
        initial_state=InitialState.MASTER if inst.effective_state == "MASTER" else InitialState.BACKUP,
        nopreempt=inst.nopreempt,
        preempt_delay=inst.preempt_delay or 0,  # type: ignore[arg-type]
        accept=inst.effective_accept,
        addresses=advertised,
        excluded_addresses=excluded,
        primary_address=source,
        unicast_peers=tuple(p.address for p in inst.unicast_peer),
        unicast_peer_ttl=_peer_ttl_ranges(inst),
        check_unicast_src=inst.check_unicast_src or g.vrrp_check_unicast_src,
        auth_type=auth_type,
        auth_key=auth_key,
        down_timer_adverts=inst.effective_down_timer_adverts,
        garp=GarpParams(
            master_delay=inst.effective_garp_master_delay,
            master_repeat=inst.effective_garp_master_repeat,
            master_refresh=inst.effective_garp_master_refresh,
            refresh_repeat=inst.effective_garp_master_refresh_repeat,
            lower_prio_delay=inst.effective_garp_lower_prio_delay,
            lower_prio_repeat=inst.effective_garp_lower_prio_repeat,
            extra_interval=extra_interval,
            extra_addresses=extra_addresses,
        ),
        lower_prio_no_advert=inst.effective_lower_prio_no_advert,
        higher_prio_send_advert=inst.effective_higher_prio_send_advert,
        strict_mode=inst.effective_strict,
        skip_check_adv_addr=(
            inst.skip_check_adv_addr if inst.skip_check_adv_addr is not None else g.vrrp_skip_check_adv_addr
        ),
        owner_ignore_adverts=(
            inst.owner_ignore_adverts
            if inst.owner_ignore_adverts is not None
            else g.vrrp_owner_ignore_adverts
        ),
        notify_priority_changes=(
            inst.notify_priority_changes
            if inst.notify_priority_changes is not None
            else g.vrrp_notify_priority_changes
        ),
        trackers=_trackers(inst, config, tracked),
        virtual_routes=tuple(range(len(routes))),
        virtual_rules=tuple(range(len(rules))),
    )
    return InstancePlan(
        name=inst.name,
        params=params,
        interface=interface,
        base_interface=base,
        vip_interface=vip_if,
        family=family,
        group=group,
        has_source=has_source,
        vips=vips,
        evips=evips,
        routes=routes,
        rules=rules,
        notify=notify_scripts(inst, g),
        track_interfaces=tuple(tracked),
        unicast_ttl=inst.unicast_ttl,
        vmac=vmac,
        sync_group=inst.sync_group,
        dont_track_primary=inst.dont_track_primary,
        unicast_checksum=_unicast_checksum(inst),
        v3_checksum_as_v2=family == 4
        and (inst.v3_checksum_as_v2 if inst.v3_checksum_as_v2 is not None else g.v3_checksum_as_v2),
    )


@dataclass(slots=True)
class _VipCache:
    config: model.Config | None = None
    vips: frozenset[IPAddress] = frozenset()


_LAST_VIPS = _VipCache()


def config_vips(config: model.Config) -> frozenset[IPAddress]:
    """Every VIP and excluded VIP of every instance: addresses never used as an interface's own.

    The daemon asks once per instance while translating one config, so the last answer is kept
    (by identity) to keep that linear in the number of instances.
    """
    cache = _LAST_VIPS
    if cache.config is not config:
        cache.vips = frozenset(
            e.address.ip
            for inst in config.instances
            for e in (*inst.virtual_ipaddress, *inst.virtual_ipaddress_excluded)
        )
        cache.config = config
    return cache.vips


def translate(
    config: model.Config,
    primary_address: PrimaryAddress,
    on_error: Callable[[str, str], None] | None = None,
) -> tuple[InstancePlan, ...]:
    """Every vrrp_instance of the config, in file order.

    An instance the core refuses (a combination the config checks let through) is left out and
    reported to `on_error(name, reason)` instead of taking the whole daemon down.

    The interface addresses are looked up once per (interface, family) for the whole pass: each
    lookup dumps the interface's addresses, VIPs included, so one per instance made a reload of
    N instances sharing a link cost N x N decoded addresses (1.3 s at 100 instances).
    """
    lookup = functools.cache(primary_address)
    plans: list[InstancePlan] = []
    for inst in config.instances:
        try:
            plans.append(translate_instance(inst, config, lookup))
        except (LocalMisuse, ValueError) as err:
            if on_error is None:
                raise
            on_error(inst.name, str(err))
    return tuple(plans)


def static_addresses(config: model.Config) -> tuple[AddressSpec, ...]:
    return tuple(address_spec(e, config.global_defs.default_interface) for e in config.static_ipaddress)


def static_routes(config: model.Config) -> tuple[RouteSpec, ...]:
    return tuple(route_spec(r, None) for r in config.static_routes)


def static_rules(config: model.Config) -> tuple[RuleSpec, ...]:
    return tuple(rule_spec(r) for r in config.static_rules)
