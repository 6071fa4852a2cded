"""`alived`: the daemon's command line, flag for flag keepalived 2.2.7's.

Parses the flags into `daemon.options.Options`, answers the one-shot modes itself
(`--help`, `--version`, `--signum`, `--config-test`) and otherwise hands over to the
supervisor (or, for the hidden `--_child vrrp`, to the VRRP child process).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from alived.daemon import cmdline, method_cache
from alived.daemon.options import (
    CHILD,
    CONFIG_FD,
    CONFIG_TEST,
    EXIT_FATAL,
    EXIT_OK,
    FLAGS,
    GENHASH,
    HELP,
    SIGNUM,
    VERSION,
    Arg,
    Flag,
    Options,
)
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
  -e, --all-config             Error if any configuration file missing (same as includet)
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
    ("release_vips", "-X/--release-vips: dropping VIPs on signal-driven transitions is not supported yet"),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    """What the command line asks for: a one-shot mode or the daemon with its options.

    `messages` are written to stderr first, as keepalived writes them while it scans (each ends
    in its own newline, or not: keepalived's umask complaint has none); `operands` then go to
    stdout as "Unexpected argument(s): ..." and `bad` makes the exit code 1.
    """

    options: Options
    mode: str = "daemon"  # daemon | help | version | signum | config_test | genhash | child
    signum: str = ""
    config_test_log: str | None = None
    child: str = ""
    notices: tuple[str, ...] = ()
    messages: tuple[str, ...] = ()
    operands: tuple[str, ...] = ()
    bad: bool = False
    genhash_args: tuple[str, ...] = ()


def parse_umask(text: str) -> int | None:
    """keepalived's numeric umask (strtoll base 0: 0x.. hex, 0.. octal, else decimal); None if bad."""
    t = text.strip().lower()
    sign, body = (t[0], t[1:]) if t[:1] in ("+", "-") else ("", t)
    try:
        if body.startswith("0x"):
            value = int(body[2:], 16)
        elif body.startswith("0") and len(body) > 1:
            value = int(body[1:], 8)
        else:
            value = int(body, 10)
    except ValueError:
        return None
    if sign == "-" and value:
        return None
    return value if 0 <= value <= 0o777 else None


def _facility(text: str) -> bool:
    number = text[5:] if text.startswith("local") else text
    return (number.isdigit() and int(number) <= 7) or text in ("daemon", "user")


_LVS_BACKENDS = ("ipvs", "nftables", "auto")
_CHILDREN = ("vrrp", "check")


_REOPENS_LOG = ("log_console", "no_syslog", "log_facility")


def _set(field: str, flag: Flag, value: str | None, values: dict[str, object], messages: list[str]) -> bool:
    """Apply one daemon flag to `values`; False when the mistake ends the run (exit 1)."""
    if field == "log_facility":
        if value is not None and _facility(value):
            values[field] = value
        elif not any(values.get(f) for f in _REOPENS_LOG):
            # keepalived goes on, and says so only while no earlier -l, -G or good -S has set
            # the flag its message is conditioned on (its reopen_log).
            messages.append(f"Invalid log facility '{value}'\n")
    elif field == "umask":
        mask = parse_umask(value or "")
        if mask is None:
            messages.append(f"Invalid --umask option {value}")  # sic: no newline; keepalived goes on
        else:
            values[field] = mask
    elif field == "lvs_backend":
        if value not in _LVS_BACKENDS:
            messages.append(f"Invalid --lvs-backend {value}: expected one of {', '.join(_LVS_BACKENDS)}\n")
            return False
        values[field] = value
    elif field == "log_file":
        values[field] = value or DEFAULT_LOG_FILE
    elif field == "core_dump_pattern":
        values[field] = value or "core"
        values["core_dump"] = True  # keepalived's -M implies -m
    elif flag.arg is Arg.NONE:
        values[field] = True
    else:
        values[field] = value
    return True


def parse_args(argv: list[str]) -> Command:
    """The command line as keepalived 2.2.7 reads it (daemon/cmdline.py scans it).

    `-h`, `-v`, `--signum` and `-T` act where they are met, with the complaints about the
    words before them; everything else is read to the end first.
    """
    values: dict[str, object] = {}
    messages: list[str] = []
    bad = False
    config_test_log: str | None = None
    config_test_given = False
    child = ""
    operands: tuple[str, ...] = ()
    first = True
    for event in cmdline.scan(argv, FLAGS):
        if isinstance(event, cmdline.Unknown):
            messages.append(f"Unknown option {event.text}\n")
            bad = True
        elif isinstance(event, cmdline.Missing):
            messages.append(f"Missing parameter for option {event.text}\n")
            bad = True
        elif isinstance(event, cmdline.Operands):
            operands = event.words
        else:
            flag, value, field = event.flag, event.value, event.flag.field
            if field in (HELP, VERSION, SIGNUM):
                mode = {HELP: "help", VERSION: "version", SIGNUM: "signum"}[field]
                return Command(options=Options(), mode=mode, signum=value or "", messages=tuple(messages))
            if field == GENHASH:
                done = tuple(messages)
                if not first:
                    name = "genhash" if argv[event.rest - 1].startswith("--") else "-T"
                    done += (f"Warning -- `{name}` not used as first option, previous options ignored\n",)
                rest = tuple(argv[event.rest :])
                return Command(options=Options(), mode="genhash", messages=done, genhash_args=rest)
            if field == CONFIG_TEST:
                config_test_given = True
                config_test_log = value or None
            elif field == CHILD:
                if value not in _CHILDREN:
                    messages.append(f"Unknown child process {value}\n")
                    bad = True
                child = value or ""
            elif field != CONFIG_FD and not _set(field, flag, value, values, messages):
                bad = True
        first = False
    options = Options(**values)  # type: ignore[arg-type]
    done = tuple(messages)
    if config_test_given:
        return Command(
            options=options, mode="config_test", config_test_log=config_test_log,
            messages=done, operands=operands, bad=bad,
        )  # fmt: skip
    notices = tuple(text for name, text in _NOT_SUPPORTED if name in values)
    mode = "child" if child else "daemon"
    return Command(
        options=options, mode=mode, child=child, notices=notices, messages=done, operands=operands, bad=bad
    )


def version_text() -> str:
    from alived.build_info import version_text as text  # noqa: PLC0415 - only `--version` needs it

    return text()


def config_test(options: Options, log_file: str | None) -> int:
    """`-t`: load the config, print every diagnostic keepalived-style, exit 0/2/4/5/6."""
    from alived.config.diagnostics import Severity  # noqa: PLC0415 - the parser is only needed here
    from alived.daemon.lb_params import backend_report, choose_backend  # noqa: PLC0415
    from alived.daemon.loader import load_result  # noqa: PLC0415

    log_fd = -1
    if log_file:
        try:
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW
            log_fd = os.open(log_file, flags, 0o644)
        except OSError as err:
            sys.stderr.write(f"Unable to open config-test log file {log_file} {err.errno} - {err.strerror}\n")
            return EXIT_FATAL
    result = load_result(options)
    choice = choose_backend(result.config.global_defs.lvs_backend, options.lvs_backend)
    report = backend_report(result.config, choice)
    lines = "".join(f"{d.keepalived_text()}\n" for d in result.diagnostics if d.severity > Severity.LOG)
    lines += "".join(f"{line}\n" for line in report)
    if log_file:
        with os.fdopen(log_fd, "a", encoding="utf-8") as out:
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


def _invoked_as() -> str:
    """argv[0] as typed, as keepalived names itself in its usage lines (alived under `-m`)."""
    arg0 = sys.argv[0] if sys.argv else ""
    return "alived" if not arg0 or Path(arg0).name in ("__main__.py", "-c") else arg0


def _program_name() -> str:
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    return "alived" if name in ("", "__main__.py", "-c") else name


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    # The config model's classes and the children's are made from code compiled at an earlier
    # start (issue #9: compiling their generated methods was the parent's largest import cost).
    method_cache.install()
    command = parse_args(args)
    sys.stderr.write("".join(command.messages))
    sys.stderr.flush()
    if command.mode == "help":
        sys.stderr.write(USAGE.replace("alived", _invoked_as(), 1))
        return EXIT_OK
    if command.mode == "version":
        sys.stderr.write(version_text())
        return EXIT_OK
    if command.mode == "genhash":
        from alived import genhash  # noqa: PLC0415 - only -T needs it

        # keepalived checks its whole argv for at least one genhash option besides -T.
        if len(args) < 2:
            genhash.usage(f"{_invoked_as()} --genhash", sys.stderr)
            return EXIT_FATAL
        return genhash.main(list(command.genhash_args), prog=f"{_invoked_as()} --genhash")
    if command.mode == "signum":
        # keepalived matches the names exactly (`stop` is unknown), as alivectl need not.
        number = signum_of(command.signum) if command.signum.isupper() else None
        if number is None:
            sys.stderr.write(f"Unknown sigfunc {command.signum}\n")
            return EXIT_FATAL
        print(number)
        return EXIT_OK
    if command.operands and (command.bad or command.mode == "config_test" or sys.stdout.isatty()):
        # keepalived reports them on stdout and, unless an option was bad, runs regardless. Its
        # line is buffered: a daemon run closes stdout before exiting, so a pipe or a file never
        # gets it; a terminal does, and so does a run that ends at the command line or after -t.
        sys.stdout.write(f"Unexpected argument(s): {' '.join(command.operands)} \n")
        sys.stdout.flush()
    if command.bad:
        return EXIT_FATAL
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
