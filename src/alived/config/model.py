"""The typed, immutable configuration model: what keepalived.conf means, with keepalived's defaults.

Field names are keepalived's keywords verbatim (`-` becomes `_`). `None` means "not given": the
effective value then comes from an enclosing block or global_defs, and `resolve.py` fills in the
effective_* fields the daemon needs. Timers are Ticks (integer microseconds).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from alived.defaults import (
    DOWN_TIMER_ADVERTS,
    GARP_LOWER_PRIO_DELAY,
    GARP_LOWER_PRIO_REPEAT,
    GARP_MASTER_DELAY,
    GARP_MASTER_REFRESH,
    GARP_MASTER_REFRESH_REPEAT,
    GARP_MASTER_REPEAT,
)
from alived.errors import Location
from alived.units import SECOND, Ticks

if TYPE_CHECKING:  # the checker blocks live in model_check.py, which builds on this module
    from alived.config.model_check import Checker

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPInterface = ipaddress.IPv4Interface | ipaddress.IPv6Interface
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

VRRP_GROUP4: Final = ipaddress.IPv4Address("224.0.0.18")
VRRP_GROUP6: Final = ipaddress.IPv6Address("ff02::12")
_10S: Final = Ticks(10 * SECOND)
_30S: Final = Ticks(30 * SECOND)
_5S: Final = Ticks(5 * SECOND)
_60S: Final = Ticks(60 * SECOND)
_ZERO: Final = Ticks(0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Script:
    """A script-valued keyword: argv re-split from the raw line, plus the optional user and group."""

    argv: tuple[str, ...]
    user: str | None = None
    group: str | None = None
    location: Location | None = None

    @property
    def path(self) -> str:
        return self.argv[0] if self.argv else ""


# ---------------------------------------------------------------- address, route and rule entries


@dataclass(frozen=True, slots=True, kw_only=True)
class AddressEntry:
    """One VIP, excluded VIP or static address line (`IP[/MASK] [dev IF] [scope S] ...`)."""

    address: IPInterface
    dev: str | None = None
    scope: str | None = None
    brd: str | None = None
    label: str | None = None
    peer: IPInterface | None = None
    home: bool = False
    nodad: bool = False
    mngtmpaddr: bool = False
    noprefixroute: bool = False
    autojoin: bool = False
    no_track: bool = False
    preferred_lft: str | None = None
    track_group: str | None = None
    use_vmac: bool = False
    location: Location | None = None
    # the address token as written (keepalived quotes it so); not part of the address's value
    written: str | None = field(default=None, compare=False)

    @property
    def family(self) -> int:
        return self.address.version


@dataclass(frozen=True, slots=True, kw_only=True)
class Nexthop:
    via: IPAddress | None = None
    dev: str | None = None
    weight: int | None = None
    onlink: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteEntry:
    """One virtual or static route line, modelled on `ip route add`."""

    dst: IPNetwork
    type: str = "unicast"
    src: IPAddress | None = None
    via: IPAddress | None = None
    nexthops: tuple[Nexthop, ...] = ()
    dev: str | None = None
    table: str | None = None
    protocol: str | None = None
    scope: str | None = None
    metric: int | None = None
    tos: str | None = None
    onlink: bool = False
    options: tuple[tuple[str, str], ...] = ()
    no_track: bool = False
    track_group: str | None = None
    location: Location | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleEntry:
    """One virtual or static rule line, modelled on `ip rule add`."""

    family: int | None = None
    from_: IPNetwork | None = None
    to: IPNetwork | None = None
    table: str | None = None
    preference: int | None = None
    action: str | None = None
    options: tuple[tuple[str, str], ...] = ()
    no_track: bool = False
    track_group: str | None = None
    location: Location | None = None


# ---------------------------------------------------------------- trackers


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackEntry:
    """A line of a track_interface/script/file/process/bfd block: NAME [weight W [reverse]]."""

    name: str
    weight: int | None = None
    reverse: bool | None = None  # None: no reverse/noreverse word (the tracked object's own applies)
    location: Location | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VrrpScript:
    name: str
    script: Script | None = None
    interval: Ticks = SECOND
    timeout: Ticks | None = None
    weight: int = 0
    weight_reverse: bool = False
    rise: int = 1
    fall: int = 1
    user: str | None = None
    group: str | None = None
    init_fail: bool = False
    location: Location | None = None
    end_location: Location | None = field(default=None, compare=False)  # the block's `}`


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackFile:
    name: str
    file: str | None = None
    weight: int = 1
    weight_reverse: bool = False
    init_file: bool = False
    init_file_value: int = 0
    init_file_overwrite: bool = False
    location: Location | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackProcess:
    name: str
    process: tuple[str, ...] = ()
    param_match: str | None = None
    weight: int = 0
    weight_reverse: bool = False
    quorum: int = 1
    quorum_max: int | None = None
    delay: Ticks | None = None
    terminate_delay: Ticks | None = None
    fork_delay: Ticks | None = None
    full_command: bool = False
    location: Location | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BfdInstance:
    name: str
    neighbor_ip: IPAddress | None = None
    source_ip: IPAddress | None = None
    min_rx: int = 10
    min_tx: int = 10
    idle_tx: int = 1000
    multiplier: int = 5
    passive: bool = False
    ttl: int | None = None
    hoplimit: int | None = None
    max_hops: int = 0
    multihop: bool = False
    weight: int = 0
    weight_reverse: bool = False
    vrrp: bool = False
    checker: bool = False
    location: Location | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class GarpGroup:
    garp_interval: Ticks | None = None
    gna_interval: Ticks | None = None
    interfaces: tuple[str, ...] = ()
    aggregation_group: int = 0  # numbered from 1 among groups with an `interfaces` block, else 0
    location: Location | None = None
    interface_locations: tuple[Location, ...] = field(default=(), compare=False)  # where each is named


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackGroup:
    name: str
    group: tuple[str, ...] = ()
    location: Location | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class InterfaceDelay:
    interface: str
    down_delay: Ticks
    up_delay: Ticks
    location: Location | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkbeatInterface:
    interface: str
    polling: str = "MII"
    location: Location | None = None


# ---------------------------------------------------------------- VRRP


@dataclass(frozen=True, slots=True, kw_only=True)
class Authentication:
    auth_type: str | None = None  # "PASS" or "AH"
    auth_pass: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthHmac:
    """keepalived 2.4's HMAC-SHA256 advert trailer; parsed so configs using it load."""

    key: tuple[tuple[str, ...], ...] = ()
    active_key: int | None = None
    time_window: int | None = None
    anti_replay: str | None = None
    mode: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UnicastPeer:
    address: IPAddress
    min_ttl: int | None = None
    max_ttl: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UseVmac:
    name: str | None = None
    mac: str | None = None
    netlink_notify_msg: bool = False
    group: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UseIpvlan:
    name: str | None = None
    address: IPInterface | None = None
    mode: str | None = None
    group: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VrrpSyncGroup:
    name: str
    group: tuple[str, ...] = ()
    notify_master: Script | None = None
    notify_backup: Script | None = None
    notify_fault: Script | None = None
    notify_stop: Script | None = None
    notify: Script | None = None
    smtp_alert: bool | None = None
    track_interface: tuple[TrackEntry, ...] = ()
    track_script: tuple[TrackEntry, ...] = ()
    track_file: tuple[TrackEntry, ...] = ()
    track_process: tuple[TrackEntry, ...] = ()
    track_bfd: tuple[TrackEntry, ...] = ()
    notify_priority_changes: bool | None = None
    global_tracking: bool = False
    sync_group_tracking_weight: bool = False
    location: Location | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VrrpInstance:
    """A vrrp_instance block. Raw fields as written; effective_* fields are filled by resolve.py."""

    name: str
    state: str | None = None
    interface: str | None = None
    vrf: str | None = None
    virtual_router_id: int | None = None
    priority: int | None = None
    advert_int: Ticks | None = None
    version: int | None = None
    native_ipv6: bool = False
    virtual_ipaddress: tuple[AddressEntry, ...] = ()
    virtual_ipaddress_excluded: tuple[AddressEntry, ...] = ()
    no_virtual_ipaddress: bool = False
    virtual_routes: tuple[RouteEntry, ...] = ()
    virtual_rules: tuple[RuleEntry, ...] = ()
    authentication: Authentication | None = None
    auth_hmac: AuthHmac | None = None
    unicast_src_ip: IPAddress | None = None
    mcast_src_ip: IPAddress | None = None
    mcast_dst_ip: IPAddress | None = None
    unicast_peer: tuple[UnicastPeer, ...] = ()
    unicast_ttl: int | None = None
    unicast_fault_no_peer: bool = False
    unicast_configured: bool = False  # a unicast keyword was given, peers or not (keepalived notes it)
    check_unicast_src: bool = False
    old_unicast_checksum: str | None = None
    v3_checksum_as_v2: bool | None = None
    track_src_ip: bool = False
    use_vmac: UseVmac | None = None
    use_vmac_addr: bool = False
    vmac_xmit_base: bool = False
    use_ipvlan: UseIpvlan | None = None
    nopreempt: bool = False
    preempt_delay: Ticks | None = None
    accept: bool | None = None
    dont_track_primary: bool = False
    promote_secondaries: bool = False
    skip_check_adv_addr: bool | None = None
    strict_mode: bool | None = None
    track_interface: tuple[TrackEntry, ...] = ()
    track_script: tuple[TrackEntry, ...] = ()
    track_file: tuple[TrackEntry, ...] = ()
    track_process: tuple[TrackEntry, ...] = ()
    track_bfd: tuple[TrackEntry, ...] = ()
    notify_master: Script | None = None
    notify_backup: Script | None = None
    notify_fault: Script | None = None
    notify_stop: Script | None = None
    notify_deleted: Script | None = None
    notify_deleted_set: bool = False
    notify: Script | None = None
    notify_master_rx_lower_pri: Script | None = None
    notify_priority_changes: bool | None = None
    smtp_alert: bool | None = None
    garp_master_delay: Ticks | None = None
    garp_master_repeat: int | None = None
    garp_master_refresh: Ticks | None = None
    garp_master_refresh_repeat: int | None = None
    garp_lower_prio_delay: Ticks | None = None
    garp_lower_prio_repeat: int | None = None
    garp_extra_if: Ticks | None = None
    garp_extra_if_all: bool = False
    down_timer_adverts: int | None = None
    lower_prio_no_advert: bool | None = None
    higher_prio_send_advert: bool | None = None
    owner_ignore_adverts: bool | None = None
    timer_expired_backup: int | None = None
    kernel_rx_buf_size: int | None = None
    lvs_sync_daemon_interface: str | None = None
    linkbeat_use_polling: bool = False
    debug: int | None = None
    # Filled in by resolve.py: what the VRRP daemon runs with.
    effective_version: int = 2
    effective_priority: int = 100
    effective_state: str = "BACKUP"
    effective_advert_int: Ticks = SECOND
    effective_accept: bool = True
    effective_strict: bool = False
    effective_smtp_alert: bool = False
    effective_garp_master_delay: Ticks = GARP_MASTER_DELAY
    effective_garp_master_repeat: int = GARP_MASTER_REPEAT
    effective_garp_master_refresh: Ticks = GARP_MASTER_REFRESH
    effective_garp_master_refresh_repeat: int = GARP_MASTER_REFRESH_REPEAT
    effective_garp_lower_prio_delay: Ticks = GARP_LOWER_PRIO_DELAY
    effective_garp_lower_prio_repeat: int = GARP_LOWER_PRIO_REPEAT
    effective_down_timer_adverts: int = DOWN_TIMER_ADVERTS
    effective_lower_prio_no_advert: bool = False
    effective_higher_prio_send_advert: bool = False
    family: int = 4
    sync_group: str | None = None
    location: Location | None = None
    interface_location: Location | None = field(default=None, compare=False)  # the `interface` line
    end_location: Location | None = field(default=None, compare=False)  # the block's `}`


# ---------------------------------------------------------------- LVS


@dataclass(frozen=True, slots=True, kw_only=True)
class LvsMethod:
    kind: str = "NAT"  # NAT, DR, TUN
    tun_type: str | None = None
    tun_port: int | None = None
    tun_csum: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RealServer:
    address: IPAddress
    port: int | None = None
    weight: int | None = None
    lvs_method: LvsMethod | None = None
    uthreshold: int | None = None
    lthreshold: int | None = None
    inhibit_on_failure: bool | None = None
    notify_up: Script | None = None
    notify_down: Script | None = None
    alpha: bool | None = None
    retry: int | None = None
    delay_before_retry: Ticks | None = None
    warmup: Ticks | None = None
    connect_timeout: Ticks | None = None
    delay_loop: Ticks | None = None
    smtp_alert: bool | None = None
    virtualhost: str | None = None
    snmp_name: str | None = None
    checkers: tuple[Checker, ...] = ()
    effective_weight: int = 1
    effective_port: int | None = None
    location: Location | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SorryServer:
    address: IPAddress
    port: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VsgEntry:
    """One virtual_server_group line: an address range with optional port, or a fwmark."""

    first: IPAddress | None = None
    last: IPAddress | None = None
    port: int | None = None
    fwmark: int | None = None
    family: int | None = None
    location: Location | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VirtualServerGroup:
    name: str
    entries: tuple[VsgEntry, ...] = ()
    location: Location | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VirtualServer:
    """A virtual_server block; exactly one of (address[, port]), fwmark or group identifies it."""

    address: IPAddress | None = None
    port: int | None = None
    fwmark: int | None = None
    group: str | None = None
    ip_family: str | None = None
    lb_algo: str = "wlc"
    lb_algo_set: bool = False
    lvs_method: LvsMethod = field(default_factory=LvsMethod)
    lvs_method_set: bool = False
    protocol: str = "TCP"
    protocol_set: bool = False
    persistence_engine: str | None = None
    persistence_timeout: int | None = None
    persistence_granularity: str | None = None
    hashed: bool = False
    ops: bool = False
    flag_1: bool = False
    flag_2: bool = False
    flag_3: bool = False
    sh_port: bool = False
    sh_fallback: bool = False
    mh_port: bool = False
    mh_fallback: bool = False
    ha_suspend: bool = False
    smtp_alert: bool | None = None
    virtualhost: str | None = None
    snmp_name: str | None = None
    alpha: bool = False
    omega: bool = False
    inhibit_on_failure: bool = False
    quorum_up: Script | None = None
    quorum_down: Script | None = None
    quorum: int = 1
    hysteresis: int = 0
    weight: int = 1
    retry: int | None = None
    delay_before_retry: Ticks | None = None
    warmup: Ticks | None = None
    connect_timeout: Ticks = _5S
    delay_loop: Ticks = _60S
    sorry_server: SorryServer | None = None
    sorry_server_inhibit: bool = False
    sorry_server_lvs_method: LvsMethod | None = None
    real_servers: tuple[RealServer, ...] = ()
    location: Location | None = None

    @property
    def key(self) -> str:
        """A stable identity, named as keepalived names services in its logs."""
        if self.fwmark is not None:
            return f"FWM {self.fwmark}"
        if self.group is not None:
            return f"[{self.group}]:{self.port or 0}"
        return f"[{self.address}]:{self.protocol.lower()}:{self.port or 0}"


@dataclass(frozen=True, slots=True, kw_only=True)
class SslConfig:
    password: str | None = None
    ca: str | None = None
    certificate: str | None = None
    key: str | None = None


# ---------------------------------------------------------------- global_defs and the whole file


@dataclass(frozen=True, slots=True, kw_only=True)
class GlobalDefs:
    """global_defs plus the root-level daemon keywords (net_namespace, instance, ...)."""

    router_id: str | None = None
    notification_email: tuple[str, ...] = ()
    notification_email_from: str | None = None
    smtp_server: str | None = None
    smtp_server_port: int = 25
    smtp_helo_name: str | None = None
    smtp_connect_timeout: Ticks = _30S
    smtp_alert: bool | None = None
    smtp_alert_vrrp: bool | None = None
    smtp_alert_checker: bool | None = None
    no_email_faults: bool = False
    checker_log_all_failures: bool = False
    enable_script_security: bool = False
    script_user: str | None = None
    script_group: str | None = None
    startup_script: Script | None = None
    startup_script_timeout: Ticks = _10S
    shutdown_script: Script | None = None
    shutdown_script_timeout: Ticks = _10S
    vrrp_version: int = 2
    vrrp_strict: bool = False
    vrrp_skip_check_adv_addr: bool = False
    vrrp_check_unicast_src: bool = False
    vrrp_mcast_group4: IPAddress = VRRP_GROUP4
    vrrp_mcast_group6: IPAddress = VRRP_GROUP6
    vrrp_garp_master_delay: Ticks = GARP_MASTER_DELAY
    vrrp_garp_master_repeat: int = GARP_MASTER_REPEAT
    vrrp_garp_master_refresh: Ticks = GARP_MASTER_REFRESH
    vrrp_garp_master_refresh_repeat: int = GARP_MASTER_REFRESH_REPEAT
    vrrp_garp_lower_prio_delay: Ticks | None = None
    vrrp_garp_lower_prio_repeat: int | None = None
    vrrp_garp_interval: Ticks = _ZERO
    vrrp_gna_interval: Ticks = _ZERO
    vrrp_min_garp: bool = False
    vrrp_garp_extra_if: Ticks | None = None
    vrrp_garp_extra_if_all: bool = False
    vrrp_down_timer_adverts: int = DOWN_TIMER_ADVERTS
    vrrp_lower_prio_no_advert: bool = False
    vrrp_higher_prio_send_advert: bool = False
    vrrp_owner_ignore_adverts: bool = False
    v3_checksum_as_v2: bool = False
    vrrp_startup_delay: Ticks | None = None
    vrrp_delay_after_boot: Ticks | None = None
    vrrp_iptables: tuple[str, ...] | None = None
    vrrp_ipsets: tuple[str, ...] | None = None
    nftables: str | None = None
    nftables_priority: int | None = None
    nftables_ifindex: bool = False
    nftables_counters: bool = False
    nftables_ipvs: str | None = None
    nftables_ipvs_priority: int | None = None
    nftables_ipvs_start_fwmark: int = 1000
    vrrp_priority: int | None = None
    vrrp_no_swap: bool = False
    vrrp_rt_priority: int | None = None
    vrrp_cpu_affinity: tuple[str, ...] = ()
    vrrp_rlimit_rttime: int | None = None
    checker_priority: int | None = None
    checker_no_swap: bool = False
    checker_rt_priority: int | None = None
    checker_cpu_affinity: tuple[str, ...] = ()
    checker_rlimit_rttime: int | None = None
    bfd_priority: int | None = None
    bfd_no_swap: bool = False
    bfd_rt_priority: int | None = None
    bfd_cpu_affinity: tuple[str, ...] = ()
    bfd_rlimit_rttime: int | None = None
    vrrp_netlink_cmd_rcv_bufs: int | None = None
    vrrp_netlink_cmd_rcv_bufs_force: bool = False
    vrrp_netlink_monitor_rcv_bufs: int | None = None
    vrrp_netlink_monitor_rcv_bufs_force: bool = False
    process_monitor_rcv_bufs: int | None = None
    process_monitor_rcv_bufs_force: bool = False
    lvs_netlink_cmd_rcv_bufs: int | None = None
    lvs_netlink_cmd_rcv_bufs_force: bool = False
    lvs_netlink_monitor_rcv_bufs: int | None = None
    lvs_netlink_monitor_rcv_bufs_force: bool = False
    vrrp_rx_bufs_policy: tuple[str, ...] = ()
    vrrp_rx_bufs_multiplier: int = 3
    notify_fifo: tuple[str, ...] | None = None
    notify_fifo_script: Script | None = None
    vrrp_notify_fifo: tuple[str, ...] | None = None
    vrrp_notify_fifo_script: Script | None = None
    lvs_notify_fifo: tuple[str, ...] | None = None
    lvs_notify_fifo_script: Script | None = None
    vrrp_notify_priority_changes: bool = False
    fifo_write_vrrp_states_on_reload: bool = False
    lvs_timeouts: tuple[str, ...] = ()
    lvs_flush: bool = False
    lvs_backend: str = "auto"  # alived's own: ipvs | nftables | auto (IPVS when the kernel has it)
    metrics_address: str | None = None  # alived's own: Prometheus /metrics on ADDRESS:PORT
    lvs_flush_on_stop: str | None = None
    lvs_sync_daemon: tuple[str, ...] | None = None
    rs_init_notifies: bool = False
    no_checker_emails: bool = False
    snmp_socket: str | None = None
    enable_traps: bool = False
    enable_snmp_vrrp: bool = False
    enable_snmp_checker: bool = False
    enable_snmp_rfc: bool = False
    enable_snmp_rfcv2: bool = False
    enable_snmp_rfcv3: bool = False
    snmp_vs_stats_update_interval: Ticks | None = None
    snmp_rs_stats_update_interval: Ticks | None = None
    enable_dbus: bool = False
    dbus_service_name: str = "org.keepalived.Vrrp1"
    dbus_no_interface_name: bool = False
    process_names: bool = False
    process_name: str | None = None
    vrrp_process_name: str | None = None
    checker_process_name: str | None = None
    bfd_process_name: str | None = None
    use_symlink_paths: bool = False
    set_supplementary_groups: bool = False
    max_auto_priority: int | None = None
    min_auto_priority_delay: int | None = None
    dynamic_interfaces: bool = False
    dynamic_interfaces_allow_if_changes: bool = False
    default_interface: str = "eth0"
    disable_local_igmp: bool = False
    vmac_prefix: str = "vrrp"
    vmac_addr_prefix: str | None = None
    log_unknown_vrids: bool = False
    umask: str | None = None
    random_seed: int | None = None
    reload_check_config: str | None = None
    reload_time_file: str | None = None
    reload_repeat: bool = False
    reload_file: str | None = None
    include_check: tuple[str, ...] = ()
    config_save_dir: str | None = None
    tmp_config_directory: str | None = None
    data_use_instance: bool = False
    json_version: int = 1
    iproute_usr_dir: str | None = None
    iproute_etc_dir: str | None = None
    state_dump_file: str | None = None
    stats_dump_file: str | None = None
    json_dump_file: str | None = None
    # Root-level daemon keywords.
    net_namespace: str | None = None
    net_namespace_ipvs: str | None = None
    namespace_with_ipsets: bool = False
    instance: str | None = None
    use_pid_dir: bool = False
    child_wait_time: int = 5
    linkbeat_use_polling: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """A whole keepalived.conf, blocks kept in file order."""

    global_defs: GlobalDefs = field(default_factory=GlobalDefs)
    vrrp_scripts: tuple[VrrpScript, ...] = ()
    track_files: tuple[TrackFile, ...] = ()
    track_processes: tuple[TrackProcess, ...] = ()
    bfd_instances: tuple[BfdInstance, ...] = ()
    garp_groups: tuple[GarpGroup, ...] = ()
    track_groups: tuple[TrackGroup, ...] = ()
    linkbeat_interfaces: tuple[LinkbeatInterface, ...] = ()
    interface_up_down_delays: tuple[InterfaceDelay, ...] = ()
    static_ipaddress: tuple[AddressEntry, ...] = ()
    static_routes: tuple[RouteEntry, ...] = ()
    static_rules: tuple[RuleEntry, ...] = ()
    sync_groups: tuple[VrrpSyncGroup, ...] = ()
    instances: tuple[VrrpInstance, ...] = ()
    ssl: SslConfig | None = None
    virtual_server_groups: tuple[VirtualServerGroup, ...] = ()
    virtual_servers: tuple[VirtualServer, ...] = ()

    def instance(self, name: str) -> VrrpInstance | None:
        return next((i for i in self.instances if i.name == name), None)

    def script(self, name: str) -> VrrpScript | None:
        return next((s for s in self.vrrp_scripts if s.name == name), None)
