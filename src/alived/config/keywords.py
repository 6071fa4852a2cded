"""The keyword tree: every block and keyword of keepalived 2.2.7 (plus the 2.4 additions), declared once.

Each entry says how a keyword's value is read and which model field it sets; the interpreter in
`sections/common.py` walks the tree, and `sections/*` hold the builders of each block family.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from alived.config.sections import addresses, bfd, global_defs, lvs, vrrp
from alived.config.sections.common import (
    BlockSpec,
    Kw,
    boolean,
    choice,
    flag,
    integer,
    ip,
    joined,
    keywords,
    nonempty,
    optional_string,
    present_string,
    script,
    string,
    timer,
    unsigned,
    weighted,
    whole_seconds,
    words,
)

_U32 = 2**32 - 1
_MAX_TIMER = 4294.967295  # keepalived's timers are unsigned 32-bit microsecond counts
# read_timer's own limit (ULONG_MAX - 1 microseconds); a Decimal, which a float cannot hold exactly
_ULONG_TIMER = Decimal("18446744073709.551614")
_I32 = 2**31 - 1


# ---------------------------------------------------------------- global_defs


def _process_keywords(prefix: str) -> list[Kw]:
    return [
        Kw(f"{prefix}_priority", parse=integer(-20, 19), missing=f"No {prefix} process priority specified"),
        Kw(f"{prefix}_no_swap", parse=flag()),
        Kw(
            f"{prefix}_rt_priority",
            parse=integer(1, 99),
            missing=f"No {prefix} process real-time priority specified",
        ),
        Kw(f"{prefix}_cpu_affinity", parse=words, missing=f"No {prefix} cpu_id set specified"),
        Kw(f"{prefix}_rlimit_rttime", parse=integer(2, _I32)),
        Kw(f"{prefix}_rlimit_rtime", field=f"{prefix}_rlimit_rttime", parse=integer(2, _I32)),
    ]


def _bufs(name: str) -> list[Kw]:
    return [
        Kw(name, parse=integer(0, _I32), missing=f"{name} size missing"),
        Kw(f"{name}_force", parse=boolean),
    ]


GLOBAL_DEFS = BlockSpec(
    "global_defs",
    keywords(
        Kw("process_names", parse=global_defs.process_names),
        Kw("process_name", parse=string),
        Kw("vrrp_process_name", parse=string),
        Kw("checker_process_name", parse=string),
        Kw("lvs_process_name", field="checker_process_name", parse=string),
        Kw("bfd_process_name", parse=string),
        Kw("use_symlink_paths", parse=boolean),
        Kw("set_supplementary_groups", parse=flag()),
        Kw("router_id", parse=joined, missing="routerid name missing - ignoring"),
        Kw("notification_email_from", parse=joined, missing="emailfrom missing - ignoring"),
        Kw("smtp_server", parse=global_defs.smtp_server),
        Kw("smtp_helo_name", parse=string, missing=""),
        Kw("smtp_connect_timeout", parse=timer(1, 3600)),
        Kw("notification_email", words=True, wrap=nonempty("Warning - empty notification_email block")),
        Kw("smtp_alert", parse=boolean),
        Kw("smtp_alert_vrrp", parse=boolean),
        Kw("smtp_alert_checker", parse=boolean),
        Kw(
            "startup_script",
            parse=script,
            missing="startup script missing",
            once="startup script already specified",
        ),
        Kw("startup_script_timeout", parse=timer(1, 1000), missing="startup_script_timeout requires value"),
        Kw(
            "shutdown_script",
            parse=script,
            missing="shutdown script missing",
            once="shutdown script already specified",
        ),
        Kw("shutdown_script_timeout", parse=timer(1, 1000), missing="shutdown_script_timeout requires value"),
        Kw("max_auto_priority", parse=integer(-1, 99, optional=99)),
        Kw(
            "min_auto_priority_delay",
            parse=integer(1, _I32),
            missing="min_auto_priority_delay requires delay time",
        ),
        Kw("checker_log_all_failures", parse=boolean),
        Kw("dynamic_interfaces", parse=global_defs.dynamic_interfaces),
        Kw("no_email_faults", parse=flag()),
        Kw("default_interface", parse=string, missing="default_interface requires interface name"),
        Kw("disable_local_igmp", parse=flag()),
        Kw("v3_checksum_as_v2", parse=boolean),
        Kw("lvs_timeouts", parse=words, missing="lvs_timeouts requires at least one option"),
        Kw("lvs_flush", parse=flag()),
        # alived's own: which kernel load balancer carries the virtual servers.
        # alived's own keyword (keepalived 2.2.7 does not know it): a bare one is not fatal.
        Kw(
            "lvs_backend",
            parse=choice("ipvs", "nftables", "auto"),
            missing="lvs_backend requires a parameter",
        ),
        # alived's own: serve Prometheus metrics on ADDRESS:PORT (off when absent).
        Kw("metrics_address", parse=string, missing="metrics_address requires a parameter"),
        Kw("lvs_flush_on_stop", parse=global_defs.lvs_flush_on_stop),
        Kw("lvs_flush_onstop", field="lvs_flush_on_stop", parse=global_defs.lvs_flush_on_stop),
        Kw("lvs_sync_daemon", parse=global_defs.lvs_sync_daemon),
        Kw("vrrp_mcast_group4", parse=ip),
        Kw("vrrp_mcast_group6", parse=ip),
        Kw("vrrp_garp_master_delay", parse=timer(0, 86400)),
        Kw("vrrp_garp_master_repeat", parse=integer(1, _I32)),
        Kw("vrrp_garp_master_refresh", parse=timer(0, 86400)),
        Kw("vrrp_garp_master_refresh_repeat", parse=integer(1, _I32)),
        Kw("vrrp_garp_lower_prio_delay", parse=timer(0, 86400)),
        Kw("vrrp_garp_lower_prio_repeat", parse=integer(0, _I32)),
        Kw("vrrp_down_timer_adverts", parse=integer(1, 100)),
        # 2.2.7 rejects an explicit 0 for both intervals (facts 2.2).
        Kw("vrrp_garp_interval", parse=timer(0.000001, _MAX_TIMER, invalid="{keyword} '{word}' is invalid")),
        Kw("vrrp_gna_interval", parse=timer(0.000001, _MAX_TIMER, invalid="{keyword} '{word}' is invalid")),
        Kw("vrrp_min_garp", parse=global_defs.vrrp_min_garp),
        Kw("vrrp_garp_extra_if", parse=vrrp.garp_extra_if),
        Kw(
            "vrrp_vmac_garp_intvl",
            parse=vrrp.garp_extra_if,
            deprecated='Keyword "vrrp_vmac_garp_intvl" is deprecated - please use "vrrp_garp_extra_if"',
        ),
        Kw("vrrp_lower_prio_no_advert", parse=boolean),
        Kw("vrrp_higher_prio_send_advert", parse=boolean),
        Kw("vrrp_version", parse=integer(2, 3)),
        Kw(
            "vrrp_iptables",
            parse=words,
            once="iptables already specified - ignoring",
            # keepalived 2.2.7 as packaged (the oracle) is built with nftables and without iptables.
            deprecated="iptables not supported, using nftables instead. Please replace 'vrrp_iptables"
            " and 'vrrp_ipsets' with 'nftables' config option",
        ),
        Kw("vrrp_ipsets", parse=words),
        Kw("nftables", parse=optional_string, once="nftables already specified - ignoring"),
        Kw("nftables_priority", parse=integer(-_I32, _I32)),
        Kw("nftables_ifindex", parse=boolean),
        Kw("vrrp_check_unicast_src", parse=flag()),
        Kw("vrrp_skip_check_adv_addr", parse=boolean),
        Kw("vrrp_strict", parse=flag()),
        *_process_keywords("vrrp"),
        *_process_keywords("checker"),
        *_process_keywords("bfd"),
        Kw("nftables_ipvs", parse=optional_string),
        Kw("nftables_ipvs_priority", parse=integer(-_I32, _I32)),
        Kw("nftables_ipvs_start_fwmark", parse=integer(1, _U32)),
        Kw("nftables_counters", parse=boolean),
        Kw("notify_fifo", parse=global_defs.fifo, once="notify_fifo already specified - ignoring {arg}"),
        Kw(
            "notify_fifo_script",
            parse=script,
            missing="No notify_fifo_script specified",
            once="notify_fifo_script already specified - ignoring {arg}",
        ),
        Kw(
            "vrrp_notify_fifo",
            parse=global_defs.fifo,
            once="vrrp_notify_fifo already specified - ignoring {arg}",
        ),
        Kw(
            "vrrp_notify_fifo_script",
            parse=script,
            missing="No vrrp_notify_fifo_script specified",
            once="vrrp_notify_fifo_script already specified - ignoring {arg}",
        ),
        Kw("vrrp_notify_priority_changes", parse=boolean),
        Kw("fifo_write_vrrp_states_on_reload", parse=flag()),
        Kw(
            "lvs_notify_fifo",
            parse=global_defs.fifo,
            once="lvs_notify_fifo already specified - ignoring {arg}",
        ),
        Kw(
            "lvs_notify_fifo_script",
            parse=script,
            missing="No lvs_notify_fifo_script specified",
            once="lvs_notify_fifo_script already specified - ignoring {arg}",
        ),
        Kw(
            "snmp_socket",
            parse=string,
            missing="SNMP error : snmp socket name missing",
            once="SNMP socket already set - ignoring",
        ),
        Kw("enable_traps", parse=flag()),
        Kw("enable_snmp_vrrp", parse=flag()),
        Kw("enable_snmp_keepalived", field="enable_snmp_vrrp", parse=flag()),
        Kw("enable_snmp_rfc", parse=flag()),
        Kw("enable_snmp_rfcv2", parse=flag()),
        Kw("enable_snmp_rfcv3", parse=flag()),
        Kw("enable_snmp_checker", parse=flag()),
        Kw(
            "snmp_vs_stats_update_interval",
            parse=timer(0, 86400),
            missing="snmp_vs_stats_update_interval requires a parameter",
        ),
        Kw(
            "snmp_rs_stats_update_interval",
            parse=timer(0, 86400),
            missing="snmp_rs_stats_update_interval requires a parameter",
        ),
        Kw("enable_dbus", parse=flag()),
        Kw("dbus_service_name", parse=string, missing="dbus_service_name missing - ignoring"),
        Kw("dbus_no_interface_name", parse=flag()),
        Kw("script_user", parse=global_defs.script_user),
        Kw("enable_script_security", parse=flag()),
        *_bufs("vrrp_netlink_cmd_rcv_bufs"),
        *_bufs("vrrp_netlink_monitor_rcv_bufs"),
        *_bufs("process_monitor_rcv_bufs"),
        *_bufs("lvs_netlink_cmd_rcv_bufs"),
        *_bufs("lvs_netlink_monitor_rcv_bufs"),
        Kw("rs_init_notifies", parse=flag()),
        Kw("no_checker_emails", parse=flag()),
        Kw("vrrp_rx_bufs_policy", parse=words, missing="vrrp_rx_bufs_policy missing"),
        Kw("vrrp_rx_bufs_multiplier", parse=integer(1, _I32), missing="Invalid vrrp_rx_bufs_multiplier"),
        Kw("vrrp_startup_delay", parse=timer(0.001, _MAX_TIMER, invalid="{keyword} '{word}' is invalid")),
        Kw(
            "vrrp_delay_after_boot",
            parse=timer(0, 3600),
            missing="vrrp_delay_after_boot requires a parameter",
        ),
        Kw("log_unknown_vrids", parse=flag()),
        Kw("vrrp_owner_ignore_adverts", parse=boolean),
        Kw("vmac_prefix", parse=string),
        Kw("vmac_addr_prefix", parse=string),
        Kw("umask", parse=global_defs.umask),
        Kw("random_seed", parse=integer(0, _U32)),
        Kw("reload_check_config", parse=present_string),
        Kw("reload_time_file", parse=string, missing="reload_time_file invalid"),
        Kw("reload_repeat", parse=flag()),
        Kw("reload_file", parse=optional_string),
        Kw("include_check", parse=words),
        Kw("config_save_dir", parse=string),
        Kw("tmp_config_directory", parse=string, missing="tmp_config_directory missing directory name"),
        Kw("data_use_instance", parse=boolean),
        Kw("json_version", parse=integer(1, 2), missing="json_version requires a parameter"),
        Kw("iproute_usr_dir", parse=string, missing="iproute_usr_dir requires a parameter"),
        Kw("iproute_etc_dir", parse=string, missing="iproute_etc_dir requires a parameter"),
        Kw("state_dump_file", parse=string, missing="state_dump_file requires a parameter"),
        Kw("stats_dump_file", parse=string, missing="stats_dump_file requires a parameter"),
        Kw("json_dump_file", parse=string, missing="json_dump_file requires a parameter"),
    ),
    build=global_defs.build_global_defs,
)

# ---------------------------------------------------------------- VRRP blocks

_TRACK_SCRIPT = vrrp.track_entry(-253, 253)
_TRACK_FILE = vrrp.track_entry(-254, 254)
_TRACK_PROCESS = vrrp.track_entry(-254, 254)
_TRACK_BFD = vrrp.track_entry(-253, 253)
_TRACK_IF = vrrp.track_entry(-253, 253)


def _trackers() -> list[Kw]:
    return [
        Kw("track_interface", entries=_TRACK_IF),
        Kw("track_script", entries=_TRACK_SCRIPT),
        Kw("track_file", entries=_TRACK_FILE),
        Kw("track_process", entries=_TRACK_PROCESS),
        Kw("track_bfd", entries=_TRACK_BFD),
    ]


def _notifies() -> list[Kw]:
    return [
        Kw("notify_backup", parse=script, once="notify_backup script already specified - ignoring {arg}"),
        Kw("notify_master", parse=script, once="notify_master script already specified - ignoring {arg}"),
        Kw("notify_fault", parse=script, once="notify_fault script already specified - ignoring {arg}"),
        Kw("notify_stop", parse=script, once="notify_stop script already specified - ignoring {arg}"),
        Kw("notify", parse=script, once="notify script already specified - ignoring {arg}"),
    ]


SYNC_GROUP = BlockSpec(
    "vrrp_sync_group",
    keywords(
        Kw("group", words=True, wrap=nonempty("Warning - sync group has empty group block")),
        *_trackers(),
        *_notifies(),
        Kw("smtp_alert", parse=boolean),
        Kw("global_tracking", parse=flag()),
        Kw("sync_group_tracking_weight", parse=flag()),
        Kw("notify_priority_changes", parse=boolean),
    ),
    build=vrrp.build_sync_group,
)

AUTHENTICATION = BlockSpec(
    "authentication",
    keywords(Kw("auth_type", parse=vrrp.auth_type), Kw("auth_pass", parse=vrrp.auth_pass)),
    build=vrrp.build_authentication,
)

AUTH_HMAC = BlockSpec(
    "auth_hmac",
    keywords(
        Kw("key", parse=words, multi=True),
        Kw("active_key", parse=integer(1, 255), missing="active_key requires a parameter"),
        Kw("time_window", parse=integer(1, 300), missing="time_window requires a parameter"),
        Kw("anti_replay", parse=string, missing="anti_replay requires a parameter"),
        Kw("mode", parse=string, missing="mode requires a parameter"),
    ),
    build=vrrp.build_auth_hmac,
)

VRRP_INSTANCE = BlockSpec(
    "vrrp_instance",
    keywords(
        Kw("use_vmac", parse=vrrp.use_vmac),
        Kw("use_vmac_addr", parse=flag()),
        Kw("vmac_xmit_base", parse=flag()),
        Kw("use_ipvlan", parse=vrrp.use_ipvlan),
        Kw("unicast_peer", entries=vrrp.unicast_peer),
        Kw("unicast_fault_no_peer", parse=flag()),
        Kw("check_unicast_src", parse=flag()),
        Kw("old_unicast_checksum", parse=vrrp.old_unicast_checksum),
        Kw("native_ipv6", parse=flag()),
        Kw("state", parse=vrrp.state),
        Kw("interface", parse=string),
        Kw("vrf", parse=string),
        Kw("dont_track_primary", parse=flag()),
        *_trackers(),
        Kw("mcast_src_ip", parse=ip),
        Kw("unicast_src_ip", parse=ip),
        Kw("mcast_dst_ip", parse=ip),
        Kw("track_src_ip", parse=flag()),
        Kw("virtual_router_id", parse=integer(1, 255)),
        Kw("unicast_ttl", parse=integer(0, 255)),
        Kw("version", parse=integer(2, 3)),
        Kw("priority", parse=integer(1, 255)),
        Kw("advert_int", parse=timer(0.01, 255)),
        Kw("virtual_ipaddress", entries=addresses.address_entry),
        Kw("virtual_ipaddress_excluded", entries=addresses.address_entry),
        Kw("no_virtual_ipaddress", parse=flag()),
        Kw("promote_secondaries", parse=flag()),
        Kw("linkbeat_use_polling", parse=flag()),
        Kw("v3_checksum_as_v2", parse=boolean),
        Kw("virtual_routes", entries=addresses.route_entry),
        Kw("virtual_rules", entries=addresses.rule_entry),
        Kw("accept", parse=flag(True)),
        Kw("no_accept", field="accept", parse=flag(False)),
        Kw("skip_check_adv_addr", parse=boolean),
        Kw("strict_mode", parse=boolean),
        Kw("preempt", field="nopreempt", parse=flag(False)),
        Kw("nopreempt", parse=flag()),
        Kw("preempt_delay", parse=timer(0, 1000)),
        Kw("debug", parse=integer(0, 4)),
        *_notifies(),
        Kw(
            "notify_deleted",
            parse=vrrp.notify_deleted,
            once="notify_deleted already specified - ignoring {arg}",
        ),
        Kw(
            "notify_master_rx_lower_pri",
            parse=script,
            once="notify_master_rx_lower_pri script already specified - ignoring {arg}",
        ),
        Kw("smtp_alert", parse=boolean),
        Kw("notify_priority_changes", parse=boolean),
        Kw("lvs_sync_daemon_interface", parse=string),
        Kw("garp_master_delay", parse=timer(0, 86400)),
        Kw("garp_master_refresh", parse=timer(0, 86400)),
        Kw("garp_master_repeat", parse=integer(1, _I32)),
        Kw("garp_master_refresh_repeat", parse=integer(1, _I32)),
        Kw("garp_lower_prio_delay", parse=timer(0, 86400)),
        Kw("garp_lower_prio_repeat", parse=integer(0, _I32)),
        Kw("down_timer_adverts", parse=integer(1, 100)),
        Kw("timer_expired_backup", parse=vrrp.timer_expired_backup),
        Kw("thread_timer_expired", field="timer_expired_backup", parse=vrrp.timer_expired_backup),
        Kw("garp_extra_if", parse=vrrp.garp_extra_if),
        Kw(
            "vmac_garp_intvl",
            parse=vrrp.garp_extra_if,
            deprecated='Keyword "vmac_garp_intvl" is deprecated - please use "garp_extra_if"',
        ),
        Kw("lower_prio_no_advert", parse=boolean),
        Kw("higher_prio_send_advert", parse=boolean),
        Kw("owner_ignore_adverts", parse=boolean),
        Kw("kernel_rx_buf_size", parse=integer(0, _I32), missing="invalid kernel_rx_buf_size specified"),
        Kw("authentication", block=AUTHENTICATION),
        Kw("auth_hmac", field="auth_hmac", block=AUTH_HMAC),
    ),
    build=vrrp.build_instance,
)

VRRP_SCRIPT = BlockSpec(
    "vrrp_script",
    keywords(
        Kw("script", parse=script, missing=""),
        Kw("interval", parse=vrrp.script_seconds),
        Kw("timeout", parse=vrrp.script_seconds),
        Kw("weight", parse=weighted(-253, 253)),
        Kw("rise", parse=integer(1, _I32)),
        Kw("fall", parse=integer(1, _I32)),
        Kw("user", parse=vrrp.user_group()),
        Kw("init_fail", parse=flag()),
    ),
    build=vrrp.build_script,
)

TRACK_FILE = BlockSpec(
    "track_file",
    keywords(
        Kw(
            "file",
            parse=string,
            missing="track file file name missing",
            once="File already set for track file - ignoring {arg}",
        ),
        Kw(
            "weight",
            parse=weighted(-_I32, _I32),
            missing="No weight specified for track file - ignoring",
            once="Weight already set for track file - ignoring {arg}",
        ),
        Kw("init_file", parse=vrrp.init_file),
    ),
    build=vrrp.build_track_file,
)

TRACK_PROCESS = BlockSpec(
    "vrrp_track_process",
    keywords(
        Kw("process", parse=vrrp.process_argv, once="Process already set for track process - ignoring {arg}"),
        Kw("param_match", parse=string, missing=""),
        Kw(
            "weight",
            parse=weighted(-254, 254),
            missing="No weight specified for track process - ignoring",
            once="Weight already set for track process - ignoring {arg}",
        ),
        Kw("quorum", parse=integer(0, _I32)),
        Kw("quorum_max", parse=integer(0, _I32)),
        Kw("delay", parse=timer(0, 86400)),
        Kw("terminate_delay", parse=timer(0, 86400)),
        Kw("fork_delay", parse=timer(0, 86400)),
        Kw("full_command", parse=flag()),
    ),
    build=vrrp.build_track_process,
)

GARP_GROUP = BlockSpec(
    "garp_group",
    keywords(
        Kw("garp_interval", parse=vrrp.garp_timer),
        Kw("gna_interval", parse=vrrp.garp_timer),
        Kw("interface", parse=string),
        Kw("interfaces", words=True, wrap=nonempty("Warning - empty garp_group interfaces block")),
    ),
    build=vrrp.build_garp_group,
)

TRACK_GROUP = BlockSpec(
    "track_group",
    keywords(Kw("group", words=True, wrap=nonempty("Warning - track group has empty group block"))),
    build=vrrp.build_track_group,
)

# ---------------------------------------------------------------- BFD

BFD_INSTANCE = BlockSpec(
    "bfd_instance",
    keywords(
        Kw("source_ip", parse=ip),
        Kw("neighbor_ip", parse=ip, missing="neighbor_ip requires a parameter"),
        Kw("neighbour_ip", field="neighbor_ip", parse=ip, missing="neighbour_ip requires a parameter"),
        Kw("min_rx", parse=integer(1, 1000)),
        Kw("min_tx", parse=integer(1, 1000)),
        Kw("idle_tx", parse=integer(1, 1000)),
        Kw("multiplier", parse=integer(1, 255)),
        Kw("passive", parse=flag()),
        Kw("ttl", parse=integer(1, 255)),
        Kw("hoplimit", parse=integer(1, 255)),
        Kw("max_hops", parse=integer(0, 255)),
        Kw("multihop", parse=boolean),
        Kw("weight", parse=weighted(-253, 253)),
        Kw("vrrp", parse=flag()),
        Kw("checker", parse=flag()),
    ),
    build=bfd.build_bfd_instance,
)

# ---------------------------------------------------------------- LVS: checkers

_CONNECTION = [
    Kw("connect_ip", parse=ip),
    Kw("connect_port", parse=lvs.connect_port),
    Kw("bindto", parse=ip),
    Kw("bind_port", parse=integer(1, 65535), after="Invalid checker bind_port '{arg}'"),
    Kw("bind_if", parse=string),
    Kw(
        "connect_timeout",
        parse=timer(0.000001, _MAX_TIMER),
        after="connect_timeout {arg} invalid - ignoring",
    ),
    Kw("fwmark", parse=integer(0, _U32), after="Invalid fwmark connection value '{arg}'"),
]
_SCHEDULING = [
    Kw("retry", parse=unsigned(0, _I32), after="Invalid retry connection value '{arg}'"),
    Kw("delay_before_retry", parse=timer(0, _ULONG_TIMER)),
    Kw("warmup", parse=timer(0, _ULONG_TIMER)),
    Kw("delay_loop", parse=timer(0.000001, _ULONG_TIMER), after="delay_loop '{arg}' is invalid - ignoring"),
    Kw("alpha", parse=boolean),
    Kw("log_all_failures", parse=boolean),
]

URL = BlockSpec(
    "url",
    keywords(
        Kw("path", parse=joined),
        Kw("digest", parse=lvs.digest, once="Digest '{arg}' is a duplicate"),
        Kw("status_code", parse=lvs.status_code),
        Kw("virtualhost", parse=string, missing="Missing HTTP_GET virtualhost name"),
        Kw("regex", parse=joined, missing=""),
        Kw("regex_no_match", parse=flag()),
        Kw("regex_options", parse=words),
        Kw("regex_min_offset", parse=integer(0, _I32), missing=""),
        Kw("regex_max_offset", parse=integer(0, _I32), missing=""),
        Kw("regex_stack", parse=words),
        Kw("tls_compliant", parse=boolean),
    ),
    build=lvs.build_url,
)


def _http_checker(kind: str) -> BlockSpec:
    return BlockSpec(
        kind,
        keywords(
            *_CONNECTION,
            *_SCHEDULING,
            Kw(
                "nb_get_retry",
                field="retry",
                parse=integer(0, _I32),
                deprecated="nb_get_retry is deprecated - please use 'retry'",
            ),
            Kw("virtualhost", parse=string, missing="HTTP_GET virtualhost name missing"),
            Kw("http_protocol", parse=lvs.http_protocol),
            Kw("enable_sni", parse=boolean),
            Kw("sni_name", parse=string, missing="sni_name requires a parameter"),
            Kw("verify_peer", parse=boolean),
            Kw("fast_recovery", parse=boolean),
            Kw("tls_compliant", parse=boolean),
            Kw("url", block=URL, multi=True),
        ),
        build=lvs.checker_builder(kind),
    )


SMTP_HOST = BlockSpec("host", keywords(*_CONNECTION), build=lvs.build_smtp_host)

CHECKERS: dict[str, BlockSpec] = {
    "TCP_CHECK": BlockSpec(
        "TCP_CHECK", keywords(*_CONNECTION, *_SCHEDULING), build=lvs.checker_builder("TCP_CHECK")
    ),
    "HTTP_GET": _http_checker("HTTP_GET"),
    "SSL_GET": _http_checker("SSL_GET"),
    "SMTP_CHECK": BlockSpec(
        "SMTP_CHECK",
        keywords(
            *_CONNECTION,
            *_SCHEDULING,
            Kw("helo_name", parse=joined, missing="SMTP_CHECK helo name missing"),
            Kw("host", block=SMTP_HOST, multi=True),
        ),
        build=lvs.checker_builder("SMTP_CHECK"),
    ),
    "DNS_CHECK": BlockSpec(
        "DNS_CHECK",
        keywords(
            *_CONNECTION,
            *_SCHEDULING,
            Kw("type", field="dns_type", parse=lvs.dns_type),
            Kw("name", field="dns_name", parse=string, once="DNS_CHECK name already specified - ignoring"),
        ),
        build=lvs.checker_builder("DNS_CHECK"),
    ),
    "MISC_CHECK": BlockSpec(
        "MISC_CHECK",
        keywords(
            *_SCHEDULING,
            Kw("misc_path", parse=script, missing=""),
            # whole seconds, as read_unsigned reads them (UINT_MAX / TIMER_HZ at most)
            Kw("misc_timeout", parse=whole_seconds(0, 4294)),
            Kw("misc_dynamic", parse=flag()),
            Kw("user", parse=joined, missing="No user specified for misc checker script"),
        ),
        build=lvs.checker_builder("MISC_CHECK"),
    ),
    "UDP_CHECK": BlockSpec(
        "UDP_CHECK",
        keywords(
            *_CONNECTION,
            *_SCHEDULING,
            Kw("payload", parse=lvs.hex_payload, missing="UDP_CHECK payload requires a payload"),
            Kw("require_reply", parse=lvs.hex_words),
            Kw("min_reply_length", parse=integer(0, 65535)),
            Kw("max_reply_length", parse=integer(0, 65535)),
        ),
        build=lvs.checker_builder("UDP_CHECK"),
    ),
    "PING_CHECK": BlockSpec(
        "PING_CHECK", keywords(*_CONNECTION, *_SCHEDULING), build=lvs.checker_builder("PING_CHECK")
    ),
    "FILE_CHECK": BlockSpec(
        "FILE_CHECK",
        keywords(
            Kw("track_file", parse=string),
            Kw("weight", parse=weighted(-_I32, _I32), missing="track file weight missing"),
        ),
        build=lvs.checker_builder("FILE_CHECK"),
    ),
    "BFD_CHECK": BlockSpec(
        "BFD_CHECK",
        keywords(
            Kw("name", parse=string, missing="BFD_CHECK - No or too many names specified - skipping"),
            Kw("alpha", parse=boolean),
        ),
        build=lvs.checker_builder("BFD_CHECK"),
    ),
}

# ---------------------------------------------------------------- LVS: servers

REAL_SERVER = BlockSpec(
    "real_server",
    keywords(
        Kw("weight", parse=integer(0, _I32), after="Real server weight {arg} is outside range 0-2147483647"),
        Kw("lvs_method", parse=lvs.lvs_method("real")),
        Kw("uthreshold", parse=integer(0, _U32), after="Invalid real_server uthreshold '{arg}' - ignoring"),
        Kw("lthreshold", parse=integer(0, _U32), after="Invalid real_server lthreshold '{arg}' - ignoring"),
        Kw("inhibit_on_failure", parse=boolean),
        Kw("notify_up", parse=script, once="notify_up script already specified - ignoring {arg}"),
        Kw("notify_down", parse=script, once="notify_down script already specified - ignoring {arg}"),
        Kw("alpha", parse=boolean),
        Kw("retry", parse=integer(0, _I32), after="retry value invalid - {arg}"),
        Kw("delay_before_retry", parse=timer(0, _ULONG_TIMER)),
        Kw("warmup", parse=timer(0, _ULONG_TIMER)),
        Kw(
            "connect_timeout",
            parse=timer(0.000001, _MAX_TIMER),
            after="real server connect_timeout {arg} invalid - ignoring",
        ),
        Kw(
            "delay_loop",
            parse=timer(0.000001, _ULONG_TIMER),
            after="real server delay_loop '{arg}' invalid - ignoring",
        ),
        Kw("smtp_alert", parse=boolean),
        Kw("virtualhost", parse=string, missing="real server virtualhost missing"),
        Kw("snmp_name", parse=string, missing="real server snmp_name missing or extra parameters"),
        *(Kw(name, field="checkers", block=spec, multi=True) for name, spec in CHECKERS.items()),
    ),
    build=lvs.build_real_server,
)

VIRTUAL_SERVER = BlockSpec(
    "virtual_server",
    keywords(
        Kw("ip_family", parse=lvs.ip_family),
        Kw("retry", parse=integer(0, _I32), after="retry value invalid - {arg}"),
        Kw("delay_before_retry", parse=timer(0, _ULONG_TIMER)),
        Kw("warmup", parse=timer(0, _ULONG_TIMER)),
        Kw(
            "connect_timeout",
            parse=timer(0.000001, _MAX_TIMER),
            after="virtual server connect_timeout {arg} invalid - ignoring",
        ),
        Kw(
            "delay_loop",
            parse=timer(0.000001, _ULONG_TIMER),
            after="virtual server delay loop '{arg}' invalid - ignoring",
        ),
        Kw("inhibit_on_failure", parse=boolean),
        Kw("lb_algo", parse=lvs.lb_algo),
        Kw("lvs_sched", field="lb_algo", parse=lvs.lb_algo),
        Kw("hashed", parse=flag()),
        Kw("ops", parse=flag()),
        Kw("flag-1", parse=flag()),
        Kw("flag-2", parse=flag()),
        Kw("flag-3", parse=flag()),
        Kw("sh-port", parse=flag()),
        Kw("sh-fallback", parse=flag()),
        Kw("mh-port", parse=flag()),
        Kw("mh-fallback", parse=flag()),
        Kw("lb_kind", field="lvs_method", parse=lvs.lvs_method("virtual")),
        Kw("lvs_method", parse=lvs.lvs_method("virtual")),
        Kw("persistence_engine", parse=string),
        Kw("persistence_timeout", parse=lvs.persistence_timeout, after="persistence_timeout invalid"),
        Kw("persistence_granularity", parse=string),
        Kw("protocol", parse=lvs.protocol),
        Kw("ha_suspend", parse=flag()),
        Kw("smtp_alert", parse=boolean),
        Kw("virtualhost", parse=string, missing="virtual server virtualhost missing"),
        Kw("snmp_name", parse=string, missing="virtual server snmp_name missing or extra parameters"),
        Kw("alpha", parse=flag()),
        Kw("omega", parse=flag()),
        Kw("quorum_up", parse=script, once="quorum_up script already specified - ignoring {arg}"),
        Kw("quorum_down", parse=script, once="quorum_down script already specified - ignoring {arg}"),
        Kw("quorum", parse=integer(1, _U32), after="Quorum {arg} must be in [1, 4294967295]. Setting to 1."),
        Kw(
            "hysteresis",
            parse=integer(0, _U32),
            after="Hysteresis {arg} must be in [0, 4294967295] - ignoring",
        ),
        Kw(
            "weight",
            parse=integer(1, _I32),
            after="Virtual server weight {arg} is outside range 1-2147483647",
        ),
        Kw("sorry_server", parse=lvs.sorry_server),
        Kw("sorry_server_inhibit", parse=boolean),
        Kw("sorry_server_lvs_method", parse=lvs.lvs_method("sorry"), missing=""),
        Kw("real_server", field="real_servers", block=REAL_SERVER, multi=True),
    ),
    build=lvs.build_virtual_server,
)

SSL = BlockSpec(
    "SSL",
    keywords(
        Kw("password", parse=string, missing="SSL password missing"),
        Kw("ca", parse=string, missing="SSL cafile missing"),
        Kw("certificate", parse=string, missing="SSL certfile missing"),
        Kw("key", parse=string, missing="SSL keyfile missing"),
    ),
    build=lvs.build_ssl,
)

# ---------------------------------------------------------------- the root

ROOT: dict[str, Kw] = keywords(
    # Root-level daemon keywords land in GlobalDefs.
    Kw("linkbeat_use_polling", parse=flag()),
    Kw("net_namespace", parse=string, missing="net_namespace name missing - ignoring"),
    Kw("net_namespace_ipvs", parse=optional_string),
    Kw("namespace_with_ipsets", parse=flag()),
    Kw("use_pid_dir", parse=flag()),
    Kw("instance", parse=string, missing="instance name missing - ignoring"),
    Kw("child_wait_time", parse=integer(0, _I32)),
    Kw("global_defs", field="global_defs", block=GLOBAL_DEFS, multi=True),
    Kw("track_group", field="track_groups", block=TRACK_GROUP, multi=True),
    Kw("static_ipaddress", entries=addresses.static_address_entry, multi=True),
    Kw("static_routes", entries=addresses.route_entry, multi=True),
    Kw("static_rules", entries=addresses.rule_entry, multi=True),
    Kw("linkbeat_interfaces", entries=vrrp.linkbeat_entry, multi=True),
    Kw("interface_up_down_delays", entries=vrrp.delay_entry, multi=True),
    Kw("garp_group", field="garp_groups", block=GARP_GROUP, multi=True),
    Kw("vrrp_sync_group", field="sync_groups", block=SYNC_GROUP, multi=True),
    Kw("vrrp_instance", field="instances", block=VRRP_INSTANCE, multi=True),
    Kw("vrrp_script", field="vrrp_scripts", block=VRRP_SCRIPT, multi=True),
    Kw("track_file", field="track_files", block=TRACK_FILE, multi=True),
    # Deprecated in the man page, but 2.2.7 takes it without a word.
    Kw("vrrp_track_file", field="track_files", block=TRACK_FILE, multi=True),
    Kw("vrrp_track_process", field="track_processes", block=TRACK_PROCESS, multi=True),
    Kw("bfd_instance", field="bfd_instances", block=BFD_INSTANCE, multi=True),
    Kw("SSL", field="ssl", block=SSL),
    Kw(
        "virtual_server_group",
        field="virtual_server_groups",
        entries=lvs.vsg_entry,
        wrap=lvs.build_vsg,
        multi=True,
    ),
    Kw("virtual_server", field="virtual_servers", block=VIRTUAL_SERVER, multi=True),
)

#: Root keywords whose value lands in GlobalDefs rather than in a Config field of its own.
ROOT_GLOBALS = frozenset(
    {
        "linkbeat_use_polling",
        "net_namespace",
        "net_namespace_ipvs",
        "namespace_with_ipsets",
        "use_pid_dir",
        "instance",
        "child_wait_time",
    }
)


_GLOBAL = frozenset({"global"})
_VRRP = frozenset({"vrrp"})
_CHECK = frozenset({"check"})

#: Which keepalived 2.2.7 processes read each root keyword in `-t` (the others skip its block).
ROOT_PASSES: dict[str, frozenset[str]] = {
    **dict.fromkeys(
        (
            "linkbeat_use_polling",
            "net_namespace",
            "net_namespace_ipvs",
            "namespace_with_ipsets",
            "use_pid_dir",
            "instance",
            "child_wait_time",
            "global_defs",
        ),
        _GLOBAL,
    ),
    **dict.fromkeys(("SSL", "virtual_server_group", "virtual_server"), _CHECK),
    **dict.fromkeys(
        (
            "track_group",
            "static_ipaddress",
            "static_routes",
            "static_rules",
            "vrrp_sync_group",
            "garp_group",
            "linkbeat_interfaces",
            "vrrp_instance",
            "vrrp_script",
            "vrrp_track_process",
            "interface_up_down_delays",
        ),
        _VRRP,
    ),
    # FILE_CHECK and BFD_CHECK need these in the checker too.
    "track_file": frozenset({"vrrp", "check"}),
    "vrrp_track_file": frozenset({"vrrp", "check"}),
    "bfd_instance": frozenset({"check", "vrrp", "bfd"}),
}


def all_keywords() -> frozenset[str]:
    """Every keyword string in the tree (for coverage tests against facts Appendix A)."""
    seen: set[str] = set()
    visited: set[str] = set()
    tables: list[Mapping[str, Kw]] = [ROOT]
    while tables:
        table = tables.pop()
        for name, kw in table.items():
            seen.add(name)
            if kw.block is not None and kw.block.name not in visited:
                visited.add(kw.block.name)
                tables.append(kw.block.keywords)
    return frozenset(seen)
