"""The daemon's run options (keepalived's command-line flags as one value) and their argv form.

The command line is parsed once, in `alived.cli`; the supervisor hands the same options to
the children it starts by turning them back into argv with `to_argv`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

DEFAULT_CONFIG = "/etc/keepalived/keepalived.conf"
DEFAULT_PID = "/run/keepalived.pid"
DEFAULT_VRRP_PID = "/run/vrrp.pid"
DEFAULT_CHECKERS_PID = "/run/checkers.pid"
DEFAULT_BFD_PID = "/run/bfd.pid"

# Set by the supervisor in the environment of a child it restarts after a crash.
RESPAWN_ENV = "ALIVED_RESPAWNED"

# Daemon exit codes (keepalived lib/scheduler.h).
EXIT_OK = 0
EXIT_FATAL = 1
EXIT_CONFIG = 2
EXIT_NO_PERMISSION = 4
EXIT_NOT_CONFIGURED = 6
EXIT_PROGRAM_ERROR = 70


@dataclass(frozen=True, slots=True, kw_only=True)
class Options:
    """Everything the command line decides; defaults are keepalived's."""

    config_file: str = DEFAULT_CONFIG
    vrrp_only: bool = False
    check_only: bool = False
    no_bfd: bool = False
    all_children: bool = False
    log_console: bool = False
    log_detail: bool = False
    log_facility: str = "daemon"  # as given to -S: 0-7, local0-7, user or daemon
    log_file: str | None = None
    flush_log_file: bool = False
    no_syslog: bool = False
    umask: int | None = None
    release_vips: bool = False
    dont_release_vrrp: bool = False
    dont_release_ipvs: bool = False
    dont_respawn: bool = False
    dont_fork: bool = False
    dump_conf: bool = False
    pid_file: str = DEFAULT_PID
    vrrp_pid_file: str = DEFAULT_VRRP_PID
    checkers_pid_file: str = DEFAULT_CHECKERS_PID
    bfd_pid_file: str = DEFAULT_BFD_PID
    address_monitoring: bool = False
    namespace: str | None = None
    all_config: bool = False
    config_id: str | None = None
    snmp: bool = False
    snmp_agent_socket: str | None = None
    core_dump: bool = False
    core_dump_pattern: str | None = None
    ignore_sigint: bool = False
    lvs_backend: str | None = None  # alived's --lvs-backend: overrides global_defs lvs_backend
    metrics: str | None = None  # alived's --metrics ADDRESS:PORT: overrides global_defs metrics_address

    def effective_config_id(self, hostname: str) -> str:
        """keepalived's default config id is the node name up to the first dot."""
        return self.config_id if self.config_id is not None else hostname.split(".", 1)[0]


_FLAG_OF: dict[str, str] = {
    "config_file": "--use-file",
    "vrrp_only": "--vrrp",
    "check_only": "--check",
    "no_bfd": "--no_bfd",
    "all_children": "--all",
    "log_console": "--log-console",
    "log_detail": "--log-detail",
    "log_facility": "--log-facility",
    "log_file": "--log-file",
    "flush_log_file": "--flush-log-file",
    "no_syslog": "--no-syslog",
    "umask": "--umask",
    "release_vips": "--release-vips",
    "dont_release_vrrp": "--dont-release-vrrp",
    "dont_release_ipvs": "--dont-release-ipvs",
    "dont_respawn": "--dont-respawn",
    "dont_fork": "--dont-fork",
    "dump_conf": "--dump-conf",
    "pid_file": "--pid",
    "vrrp_pid_file": "--vrrp_pid",
    "checkers_pid_file": "--checkers_pid",
    "bfd_pid_file": "--bfd_pid",
    "address_monitoring": "--address-monitoring",
    "namespace": "--namespace",
    "all_config": "--all-config",
    "config_id": "--config-id",
    "snmp": "--snmp",
    "snmp_agent_socket": "--snmp-agent-socket",
    "core_dump": "--core-dump",
    "core_dump_pattern": "--core-dump-pattern",
    "ignore_sigint": "--ignore-sigint",
    "lvs_backend": "--lvs-backend",
    "metrics": "--metrics",
}


def to_argv(options: Options) -> list[str]:
    """The long-option argv that parses back to `options` (used to start the children)."""
    default = Options()
    argv: list[str] = []
    for f in fields(Options):
        value = getattr(options, f.name)
        if value == getattr(default, f.name):
            continue
        flag = _FLAG_OF[f.name]
        if isinstance(value, bool):
            argv.append(flag)
        elif f.name == "umask":
            argv.append(f"{flag}=0{value:o}")
        else:
            argv.append(f"{flag}={value}")
    return argv
