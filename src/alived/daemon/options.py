"""The daemon's run options (keepalived's command-line flags as one value) and their argv form.

The command line is parsed once, in `alived.cli`; the supervisor hands the same options to
the children it starts by turning them back into argv with `to_argv`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import Enum

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

    def pid_files_checked(self) -> tuple[str, ...]:
        """The pid files keepalived looks at for "already running": the parent's, then each
        subsystem's the command line leaves on (BFD's too, though alived has no BFD)."""
        every = self.all_children
        return (
            self.pid_file,
            *((self.vrrp_pid_file,) if every or not self.check_only else ()),
            *((self.checkers_pid_file,) if every or not self.vrrp_only else ()),
            *((self.bfd_pid_file,) if every or not self.no_bfd else ()),
        )

    def effective_config_id(self, hostname: str) -> str:
        """keepalived's default config id is the node name up to the first dot."""
        return self.config_id if self.config_id is not None else hostname.split(".", 1)[0]


class Arg(Enum):
    """Whether a flag takes a value, as getopt_long's has_arg."""

    NONE = 0
    REQUIRED = 1
    OPTIONAL = 2  # only attached: `-tFILE`, `--config-test=FILE`


@dataclass(frozen=True, slots=True)
class Flag:
    """One command-line flag: `field` names the Options field it sets, or the one-shot action."""

    long: str
    short: str
    arg: Arg
    field: str


# Actions: flags that set no Options field (see alived.cli).
HELP, VERSION, SIGNUM, CONFIG_TEST, GENHASH, CHILD = (
    "!help",
    "!version",
    "!signum",
    "!config_test",
    "!genhash",
    "!child",
)
CONFIG_FD = "!config_fd"  # keepalived's internal hand-over of a config fd: accepted, unused

# keepalived 2.2.7's flags as its Debian build (the one alived is compared with) accepts them, in
# its table's order, then alived's own. `-g`/`--flush-log-file` are keepalived's log-file build
# options (Debian's build refuses them); --ignore-sigint is from later keepalived versions.
FLAGS: tuple[Flag, ...] = (
    Flag("use-file", "f", Arg.REQUIRED, "config_file"),
    Flag("vrrp", "P", Arg.NONE, "vrrp_only"),
    Flag("check", "C", Arg.NONE, "check_only"),
    Flag("no_bfd", "B", Arg.NONE, "no_bfd"),
    Flag("all", "", Arg.NONE, "all_children"),
    Flag("log-console", "l", Arg.NONE, "log_console"),
    Flag("log-detail", "D", Arg.NONE, "log_detail"),
    Flag("log-facility", "S", Arg.REQUIRED, "log_facility"),
    Flag("log-file", "g", Arg.OPTIONAL, "log_file"),
    Flag("all-config", "e", Arg.NONE, "all_config"),
    Flag("flush-log-file", "", Arg.NONE, "flush_log_file"),
    Flag("no-syslog", "G", Arg.NONE, "no_syslog"),
    Flag("umask", "u", Arg.REQUIRED, "umask"),
    Flag("release-vips", "X", Arg.NONE, "release_vips"),
    Flag("dont-release-vrrp", "V", Arg.NONE, "dont_release_vrrp"),
    Flag("dont-release-ipvs", "I", Arg.NONE, "dont_release_ipvs"),
    Flag("dont-respawn", "R", Arg.NONE, "dont_respawn"),
    Flag("dont-fork", "n", Arg.NONE, "dont_fork"),
    Flag("dump-conf", "d", Arg.NONE, "dump_conf"),
    Flag("pid", "p", Arg.REQUIRED, "pid_file"),
    Flag("vrrp_pid", "r", Arg.REQUIRED, "vrrp_pid_file"),
    Flag("genhash", "T", Arg.NONE, GENHASH),
    Flag("checkers_pid", "c", Arg.REQUIRED, "checkers_pid_file"),
    Flag("address-monitoring", "a", Arg.NONE, "address_monitoring"),
    Flag("bfd_pid", "b", Arg.REQUIRED, "bfd_pid_file"),
    Flag("snmp", "x", Arg.NONE, "snmp"),
    Flag("snmp-agent-socket", "A", Arg.REQUIRED, "snmp_agent_socket"),
    Flag("core-dump", "m", Arg.NONE, "core_dump"),
    Flag("core-dump-pattern", "M", Arg.OPTIONAL, "core_dump_pattern"),
    Flag("namespace", "s", Arg.REQUIRED, "namespace"),
    Flag("config-id", "i", Arg.REQUIRED, "config_id"),
    Flag("signum", "", Arg.REQUIRED, SIGNUM),
    Flag("config-test", "t", Arg.OPTIONAL, CONFIG_TEST),
    Flag("config-fd", "", Arg.REQUIRED, CONFIG_FD),
    Flag("version", "v", Arg.NONE, VERSION),
    Flag("help", "h", Arg.NONE, HELP),
    Flag("ignore-sigint", "", Arg.NONE, "ignore_sigint"),
    Flag("lvs-backend", "", Arg.REQUIRED, "lvs_backend"),
    Flag("metrics", "", Arg.REQUIRED, "metrics"),
    Flag("_child", "", Arg.REQUIRED, CHILD),
)

_FLAG_OF: dict[str, str] = {f.field: f"--{f.long}" for f in FLAGS if not f.field.startswith("!")}


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
