"""`alived`: the daemon's command line, flag for flag keepalived 2.2.7's.

Parses the flags into `daemon.options.Options`, answers the one-shot modes itself
(`--help`, `--version`, `--signum`, `--config-test`) and otherwise hands over to the
supervisor (or, for the hidden `--_child vrrp`, to the VRRP child process).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from alived.daemon import method_cache
from alived.daemon.options import EXIT_FATAL, EXIT_OK, Options
from alived.daemon.signals import signum_of
from alived.daemon.spawn import TITLE_ENV

if TYPE_CHECKING:
    from alived.config.load import LoadResult

USAGE = """\
Usage: alived [OPTION...]
  -f, --use-file=FILE          Use the specified configuration file
                                default '/etc/keepalived/keepalived.conf'
  -P, --vrrp                   Only run with VRRP subsystem
  -C, --check                  Only run with Health-checker subsystem
  -B, --no_bfd                 Don't run BFD subsystem
      --all                    Force all child processes to run, even if have no configuration
  -l, --log-console            Log messages to local console
  -D, --log-detail             Detailed log messages
  -S, --log-facility=([0-7]|local[0-7]|user|daemon)
                               Set syslog facility to LOG_LOCAL[0-7], user or daemon (default)
  -g, --log-file[=FILE]        Also log to FILE (default /tmp/keepalived.log)
      --flush-log-file         Flush the log file after each write
  -G, --no-syslog              Don't log via syslog
  -u, --umask=MASK             umask for file creation (in numeric form)
  -X, --release-vips           Drop VIP on transition from signal.
  -V, --dont-release-vrrp      Don't remove VRRP VIPs and VROUTEs on daemon stop
  -I, --dont-release-ipvs      Don't remove IPVS topology on daemon stop
  -R, --dont-respawn           Don't respawn child processes
  -n, --dont-fork              Don't fork the daemon process
  -d, --dump-conf              Dump the configuration data
  -p, --pid=FILE               Use specified pidfile for parent process
  -r, --vrrp_pid=FILE          Use specified pidfile for VRRP child process
  -T, --genhash                Enter into genhash utility mode (this should be the first option used).
  -c, --checkers_pid=FILE      Use specified pidfile for checkers child process
  -a, --address-monitoring     Report all address additions/deletions notified via netlink
  -b, --bfd_pid=FILE           Use specified pidfile for BFD child process
  -x, --snmp                   Enable SNMP subsystem
  -A, --snmp-agent-socket=FILE Use the specified socket for master agent
  -s, --namespace=NAME         Run in network namespace NAME (overrides config)
  -m, --core-dump              Produce core dump if terminate abnormally
  -M, --core-dump-pattern=PATN Also set /proc/sys/kernel/core_pattern to PATN (default 'core')
  -e, --all-config             Error if any configuration file missing
  -i, --config-id id           Skip any configuration lines beginning '@' that don't match id
                                or any lines beginning @^ that do match.
                                The config-id defaults to the node name if option not used
      --signum=SIGFUNC         Return signal number for STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON
      --ignore-sigint          Don't stop on SIGINT
  -t, --config-test[=LOG_FILE] Check the configuration for obvious errors, output to
                                stderr by default
      --lvs-backend=BACKEND    alived: ipvs, nftables or auto (overrides lvs_backend)
      --metrics=ADDRESS:PORT   alived: serve Prometheus /metrics (overrides metrics_address)
  -v, --version                Display the version number
  -h, --help                   Display this help message
"""

DEFAULT_LOG_FILE = "/tmp/keepalived.log"

# Flags accepted for compatibility whose feature alived does not have yet: (flag text, notice).
_NOT_SUPPORTED: tuple[tuple[str, str], ...] = (
    ("snmp", "-x/--snmp: SNMP is not supported yet; ignoring"),
    ("snmp_agent_socket", "-A/--snmp-agent-socket: SNMP is not supported yet; ignoring"),
    ("namespace", "-s/--namespace: running in a named network namespace is not supported yet; ignoring"),
    ("core_dump", "-m/--core-dump: core dumps are not supported yet; ignoring"),
    ("core_dump_pattern", "-M/--core-dump-pattern: core dumps are not supported yet; ignoring"),
    ("bfd_pid_file", "-b/--bfd_pid: BFD is not supported yet; ignoring"),
    ("release_vips", "-X/--release-vips: dropping VIPs on signal-driven transitions is not supported yet"),
)

_FACILITIES = {str(n) for n in range(8)} | {f"local{n}" for n in range(8)} | {"user", "daemon"}


class UsageError(Exception):
    """A command-line mistake: printed as keepalived prints it, exit code 1."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    """What the command line asks for: a one-shot mode or the daemon with its options."""

    options: Options
    mode: str = "daemon"  # daemon | help | version | signum | config_test | genhash | child
    signum: str = ""
    config_test_log: str | None = None
    child: str = ""
    notices: tuple[str, ...] = ()


def _parser() -> _Parser:
    p = _Parser(prog="alived", add_help=False, allow_abbrev=False)
    a = p.add_argument
    a("-f", "--use-file", dest="config_file")
    a("-P", "--vrrp", dest="vrrp_only", action="store_true")
    a("-C", "--check", dest="check_only", action="store_true")
    a("-B", "--no_bfd", dest="no_bfd", action="store_true")
    a("--all", dest="all_children", action="store_true")
    a("-l", "--log-console", dest="log_console", action="store_true")
    a("-D", "--log-detail", dest="log_detail", action="store_true")
    a("-S", "--log-facility", dest="log_facility")
    a("-g", "--log-file", dest="log_file", nargs="?", const=DEFAULT_LOG_FILE)
    a("--flush-log-file", dest="flush_log_file", action="store_true")
    a("-G", "--no-syslog", dest="no_syslog", action="store_true")
    a("-u", "--umask", dest="umask")
    a("-X", "--release-vips", dest="release_vips", action="store_true")
    a("-V", "--dont-release-vrrp", dest="dont_release_vrrp", action="store_true")
    a("-I", "--dont-release-ipvs", dest="dont_release_ipvs", action="store_true")
    a("-R", "--dont-respawn", dest="dont_respawn", action="store_true")
    a("-n", "--dont-fork", dest="dont_fork", action="store_true")
    a("-d", "--dump-conf", dest="dump_conf", action="store_true")
    a("-p", "--pid", dest="pid_file")
    a("-r", "--vrrp_pid", dest="vrrp_pid_file")
    a("-c", "--checkers_pid", dest="checkers_pid_file")
    a("-b", "--bfd_pid", dest="bfd_pid_file")
    a("-a", "--address-monitoring", dest="address_monitoring", action="store_true")
    a("-s", "--namespace", dest="namespace")
    a("-e", "--all-config", dest="all_config", action="store_true")
    a("-i", "--config-id", dest="config_id")
    a("-x", "--snmp", dest="snmp", action="store_true")
    a("-A", "--snmp-agent-socket", dest="snmp_agent_socket")
    a("-m", "--core-dump", dest="core_dump", action="store_true")
    a("-M", "--core-dump-pattern", dest="core_dump_pattern", nargs="?", const="core")
    a("--ignore-sigint", dest="ignore_sigint", action="store_true")
    a("-t", "--config-test", dest="config_test", nargs="?", const="")
    a("--lvs-backend", dest="lvs_backend", choices=["ipvs", "nftables", "auto"])
    a("--metrics", dest="metrics")
    a("--signum", dest="signum")
    a("-T", "--genhash", dest="genhash", action="store_true")
    a("-v", "--version", dest="version", action="store_true")
    a("-h", "--help", dest="help", action="store_true")
    # Debug-build and internal flags of keepalived, accepted so scripts written for it still parse.
    a("--perf", dest="perf", nargs="?", const="run")
    a("--debug", dest="debug", nargs="?", const="")
    a("--no-mem-check", dest="no_mem_check", action="store_true")
    a("-L", "--mem-check-log", dest="mem_check_log", action="store_true")
    a("--openssl-mem-check", dest="openssl_mem_check", action="store_true")
    a("--config-fd", dest="config_fd")
    a("--_child", dest="child", choices=["vrrp", "check"], help=argparse.SUPPRESS)
    return p


def parse_umask(text: str) -> int:
    """keepalived's numeric umask: strtoul base 0 (0x.. hex, 0.. octal, else decimal)."""
    t = text.strip().lower()
    try:
        if t.startswith("0x"):
            value = int(t[2:], 16)
        elif t.startswith("0") and len(t) > 1:
            value = int(t[1:], 8)
        else:
            value = int(t, 10)
    except ValueError:
        raise UsageError(f"Invalid umask '{text}'") from None
    if not 0 <= value <= 0o777:
        raise UsageError(f"Invalid umask '{text}'")
    return value


def parse_args(argv: list[str]) -> Command:
    """The command line as a Command; raise UsageError with keepalived's wording on a mistake."""
    if argv and argv[0] in ("-T", "--genhash"):
        return Command(options=Options(), mode="genhash")
    ns, unknown = _parser().parse_known_args(argv)
    if unknown:
        raise UsageError(f"Unknown option {unknown[0]}")
    if ns.genhash:
        raise UsageError("-T/--genhash must be the first option")
    values: dict[str, object] = {}
    for name in (
        "config_file",
        "log_file",
        "pid_file",
        "vrrp_pid_file",
        "checkers_pid_file",
        "bfd_pid_file",
        "namespace",
        "config_id",
        "snmp_agent_socket",
        "core_dump_pattern",
        "lvs_backend",
        "metrics",
    ):
        if getattr(ns, name) is not None:
            values[name] = getattr(ns, name)
    for name in (
        "vrrp_only",
        "check_only",
        "no_bfd",
        "all_children",
        "log_console",
        "log_detail",
        "flush_log_file",
        "no_syslog",
        "release_vips",
        "dont_release_vrrp",
        "dont_release_ipvs",
        "dont_respawn",
        "dont_fork",
        "dump_conf",
        "address_monitoring",
        "all_config",
        "snmp",
        "core_dump",
        "ignore_sigint",
    ):
        if getattr(ns, name):
            values[name] = True
    if ns.log_facility is not None:
        if ns.log_facility not in _FACILITIES:
            raise UsageError(f"Invalid log facility '{ns.log_facility}'")
        values["log_facility"] = ns.log_facility
    if ns.umask is not None:
        values["umask"] = parse_umask(ns.umask)
    options = Options(**values)  # type: ignore[arg-type]
    notices = tuple(text for name, text in _NOT_SUPPORTED if name in values)
    if ns.perf is not None or ns.debug is not None or ns.no_mem_check or ns.mem_check_log:
        notices += ("--perf/--debug/--no-mem-check/-L: debug-build options are not supported; ignoring",)
    if ns.openssl_mem_check or ns.config_fd is not None:
        notices += ("--openssl-mem-check/--config-fd: internal options are not supported; ignoring",)
    if ns.help:
        return Command(options=options, mode="help")
    if ns.version:
        return Command(options=options, mode="version")
    if ns.signum is not None:
        return Command(options=options, mode="signum", signum=ns.signum)
    if ns.config_test is not None:
        return Command(options=options, mode="config_test", config_test_log=ns.config_test or None)
    if ns.child:
        return Command(options=options, mode="child", child=ns.child, notices=notices)
    return Command(options=options, notices=notices)


def version_text() -> str:
    from alived.build_info import version_text as text  # noqa: PLC0415 - only `--version` needs it

    return text()


def config_test(options: Options, log_file: str | None) -> int:
    """`-t`: load the config, print every diagnostic keepalived-style, exit 0/2/4/5/6."""
    from alived.config.diagnostics import Severity  # noqa: PLC0415 - the parser is only needed here
    from alived.daemon.lb_params import backend_report, choose_backend  # noqa: PLC0415
    from alived.daemon.loader import load_result  # noqa: PLC0415

    result = load_result(options)
    choice = choose_backend(result.config.global_defs.lvs_backend, options.lvs_backend)
    report = backend_report(result.config, choice)
    lines = "".join(f"{d.keepalived_text()}\n" for d in result.diagnostics if d.severity > Severity.LOG)
    lines += "".join(f"{line}\n" for line in report)
    if log_file:
        with open(log_file, "a", encoding="utf-8") as out:
            out.write(lines)
    else:
        sys.stderr.write(lines)
    if not Path(options.config_file).is_file():
        # keepalived 2.2.7 -t reports a missing (or directory) config file and exits 0; alivectl
        # check-config keeps 4 for it.
        return 0
    return int(result.exit_code)


DROP_IN_NAME = "keepalived"


def _name_processes(args: list[str], *, child: bool) -> None:
    """Invoked as `keepalived`, every process is named as keepalived's are (comm and cmdline).

    The parent passes its command line to its children in the environment, as keepalived's
    forked children simply keep the parent's; a child removes it so that scripts do not see it.
    """
    from alived.linux.procname import set_process_name  # noqa: PLC0415

    if child:
        title = os.environ.pop(TITLE_ENV, None)
        if title is not None:
            set_process_name(DROP_IN_NAME, json.loads(title))
        return
    if _program_name() != DROP_IN_NAME:
        return
    argv = [sys.argv[0] if sys.argv and sys.argv[0] else DROP_IN_NAME, *args]
    os.environ[TITLE_ENV] = json.dumps(argv)
    set_process_name(DROP_IN_NAME, argv)


def refuse_fatal_config(options: Options) -> tuple[int | None, LoadResult | None]:
    """The exit code keepalived's daemon stops with on this config (None: it runs), and the read.

    keepalived gives up on a keyword without its parameter (exit 2) and its VRRP child exits 2
    on a non-existent interface or an instance it cannot complete, taking the parent with it:
    nothing is installed. alived checks the same before it starts anything; the daemon then runs
    on this read rather than parsing the file again.
    """
    from alived.config.diagnostics import Severity  # noqa: PLC0415 - the parser is only needed here
    from alived.daemon.loader import load_result  # noqa: PLC0415

    if not Path(options.config_file).is_file():
        return None, None  # the supervisor reports a missing file with keepalived's own exit code
    result = load_result(options)
    code = result.refusal
    if code is None:
        return None, result
    for diagnostic in result.diagnostics:
        if diagnostic.severity > Severity.LOG:
            sys.stderr.write(f"{diagnostic.keepalived_text()}\n")
    sys.stderr.write(f"{options.config_file}: exited with permanent error CONFIG. Terminating\n")
    return code, result


def _program_name() -> str:
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    return "alived" if name in ("", "__main__.py", "-c") else name


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    # The config model's classes and the children's are made from code compiled at an earlier
    # start (issue #9: compiling their generated methods was the parent's largest import cost).
    method_cache.install()
    try:
        command = parse_args(args)
    except UsageError as err:
        sys.stderr.write(f"{err}\n")
        return EXIT_FATAL
    if command.mode == "help":
        sys.stderr.write(USAGE)
        return EXIT_OK
    if command.mode == "version":
        sys.stderr.write(version_text())
        return EXIT_OK
    if command.mode == "genhash":
        sys.stderr.write("alived: genhash mode (-T/--genhash) is not supported yet\n")
        return EXIT_FATAL
    if command.mode == "signum":
        number = signum_of(command.signum)
        if number is None:
            sys.stderr.write(f"Unknown sigfunc {command.signum}\n")
            return EXIT_FATAL
        print(number)
        return EXIT_OK
    if command.mode == "config_test":
        try:
            return config_test(command.options, command.config_test_log)
        finally:
            method_cache.flush()
    if command.mode == "child" and command.child == "check":
        from alived.daemon.check.child import run_checker_child  # noqa: PLC0415

        method_cache.flush()
        _name_processes(args, child=True)

        return run_checker_child(command.options)
    if command.mode == "child":
        from alived.daemon.vrrp.child import run_vrrp_child  # noqa: PLC0415

        method_cache.flush()
        _name_processes(args, child=True)

        return run_vrrp_child(command.options)
    for notice in command.notices:
        sys.stderr.write(f"alived: {notice}\n")
    refused, loaded = refuse_fatal_config(command.options)
    if refused is not None:
        return refused
    from alived.daemon.supervisor import run_supervisor  # noqa: PLC0415

    method_cache.flush()  # before the children are forked: they start without the loaded code
    _name_processes(args, child=False)

    return run_supervisor(command.options, argv0=_program_name(), argv=args, loaded=loaded)
