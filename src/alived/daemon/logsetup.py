"""Logging as keepalived does it: syslog ident per process, optional console and file copies.

The parent logs as `Keepalived`, the VRRP child as `Keepalived_vrrp`. `-l` adds the
console (keepalived's `Mon Nov 23 12:14:15 2026: message` form; under systemd, when stderr
is the journal's stream, `<6>message` instead: the journal stamps each line itself), `-D` lets the
detail lines (logged at DEBUG) through, `-G` drops syslog, `-g FILE` adds a file with
`_vrrp` inserted before the child's extension.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
import time
from pathlib import Path

from alived.daemon.options import Options

LOGGER_NAME = "alived"
IDENT_PARENT = "Keepalived"
IDENT_VRRP = "Keepalived_vrrp"

_FACILITY_BY_NAME = {
    "user": logging.handlers.SysLogHandler.LOG_USER,
    "daemon": logging.handlers.SysLogHandler.LOG_DAEMON,
    **{f"local{n}": logging.handlers.SysLogHandler.LOG_LOCAL0 + n for n in range(8)},
    **{str(n): logging.handlers.SysLogHandler.LOG_LOCAL0 + n for n in range(8)},
}


def syslog_facility(name: str) -> int:
    """The syslog facility code for a `-S` value (0-7 mean local0-7)."""
    return _FACILITY_BY_NAME[name]


class ConsoleFormatter(logging.Formatter):
    """keepalived's console prefix: strftime("%c") in the C locale (`Wed Dec  2 15:29:52 2026`)."""

    def format(self, record: logging.LogRecord) -> str:
        t = time.localtime(record.created)
        stamp = f"{time.strftime('%a %b', t)} {t.tm_mday:2d} {time.strftime('%H:%M:%S %Y', t)}"
        return f"{stamp}: {record.getMessage()}"


class FileFormatter(logging.Formatter):
    """keepalived's -g log file prefix: "%a %b %d %T" (day padded with 0), nanoseconds, the year."""

    def format(self, record: logging.LogRecord) -> str:
        t = time.localtime(record.created)
        nanoseconds = int(record.created % 1 * 1e9)
        stamp = f"{time.strftime('%a %b %d %H:%M:%S', t)}.{nanoseconds:09d} {time.strftime('%Y', t)}"
        return f"{stamp}: {record.getMessage()}"


# sd-daemon(3) level prefixes, which journald turns into the entry's PRIORITY.
_JOURNAL_PRIORITY = ((logging.ERROR, 3), (logging.WARNING, 4), (logging.INFO, 6))


class JournalFormatter(logging.Formatter):
    """stderr connected to journald: the syslog priority as `<N>`, no timestamp of our own."""

    def format(self, record: logging.LogRecord) -> str:
        if record.levelno >= logging.CRITICAL:
            priority = 2
        else:
            priority = next((p for level, p in _JOURNAL_PRIORITY if record.levelno >= level), 7)
        return f"<{priority}>{record.getMessage()}"


def stderr_is_journal() -> bool:
    """systemd's own test: JOURNAL_STREAM names the device and inode of the stream stderr is.

    A mere JOURNAL_STREAM is not enough: a process started from a unit with its stderr
    redirected to a file or a terminal inherits the variable but does not write to the journal.
    """
    device, _, inode = os.environ.get("JOURNAL_STREAM", "").partition(":")
    if not (device.isdigit() and inode.isdigit()):
        return False
    try:
        stat = os.fstat(sys.stderr.fileno())
    except (AttributeError, OSError, ValueError):
        return False
    return (stat.st_dev, stat.st_ino) == (int(device), int(inode))


def child_log_file(path: str, suffix: str) -> str:
    """`/tmp/keepalived.log` -> `/tmp/keepalived_vrrp.log` for the child named `vrrp`."""
    p = Path(path)
    if not suffix:
        return str(p)
    return str(p.with_name(f"{p.stem}_{suffix}{p.suffix}"))


class _FlushingFileHandler(logging.FileHandler):
    """`--flush-log-file`: every record reaches the disk before the next one is written."""

    def emit(self, record: logging.LogRecord) -> None:
        super().emit(record)
        self.flush()


def setup_logging(options: Options, *, ident: str, child_suffix: str = "") -> logging.Logger:
    """Configure the `alived` logger for this process and return it; replaces earlier handlers."""
    logger = logging.getLogger(LOGGER_NAME)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    logger.setLevel(logging.DEBUG if options.log_detail else logging.INFO)
    logger.propagate = False
    if options.log_console:
        console = logging.StreamHandler(sys.stderr)
        console.setFormatter(JournalFormatter() if stderr_is_journal() else ConsoleFormatter())
        logger.addHandler(console)
    if not options.no_syslog and Path("/dev/log").exists():
        try:
            syslog = logging.handlers.SysLogHandler(
                address="/dev/log", facility=syslog_facility(options.log_facility)
            )
        except OSError:
            pass  # no syslog daemon listening: console and file copies still work
        else:
            syslog.setFormatter(logging.Formatter(f"{ident}[%(process)d]: %(message)s"))
            logger.addHandler(syslog)
    if options.log_file:
        handler_cls = _FlushingFileHandler if options.flush_log_file else logging.FileHandler
        file_handler = handler_cls(child_log_file(options.log_file, child_suffix), encoding="utf-8")
        file_handler.setFormatter(FileFormatter())
        logger.addHandler(file_handler)
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())
    return logger


def command_line_lines(argv0: str, argv: list[str], width: int = 100) -> list[str]:
    """keepalived's `Command line: 'prog' 'a' 'b'` log text, wrapped as it wraps long ones."""
    words = [f"'{w}'" for w in [argv0, *argv]]
    lines: list[str] = []
    current = "Command line:"
    for word in words:
        if len(current) + 1 + len(word) > width and current.strip() and current != "Command line:":
            lines.append(current)
            current = " " * len("Command line:")
        current = f"{current} {word}"
    lines.append(current)
    return lines
