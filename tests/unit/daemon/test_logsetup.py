"""Log setup: keepalived's console format, command-line wrapping, facility names, child file names."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from alived.daemon.logsetup import (
    ConsoleFormatter,
    FileFormatter,
    child_log_file,
    command_line_lines,
    setup_logging,
    syslog_facility,
)
from alived.daemon.options import Options


@pytest.fixture(autouse=True)
def restore_logger() -> Iterator[None]:
    logger = logging.getLogger("alived")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield
    for handler in logger.handlers:
        handler.close()
    logger.handlers[:], logger.level, logger.propagate = saved


def test_console_format() -> None:
    record = logging.LogRecord(
        "alived", logging.INFO, __file__, 1, "(VI_1) Entering MASTER STATE", None, None
    )
    record.created = time.mktime((2026, 12, 2, 15, 29, 52, 0, 0, -1)) + 0.25
    # keepalived's console: "%c" (day padded with a space); its log file: "%d" and nanoseconds
    assert ConsoleFormatter().format(record) == "Wed Dec  2 15:29:52 2026: (VI_1) Entering MASTER STATE"
    assert (
        FileFormatter().format(record) == "Wed Dec 02 15:29:52.250000000 2026: (VI_1) Entering MASTER STATE"
    )


def test_command_line_wraps_like_keepalived() -> None:
    argv = ["-n", "-l", "-D", "-f", "/tmp/kt/a.conf", "-p", "/tmp/kt/k.pid", "-r", "/tmp/kt/v.pid"]
    assert command_line_lines("keepalived", argv) == [
        "Command line: 'keepalived' '-n' '-l' '-D' '-f' '/tmp/kt/a.conf' '-p' '/tmp/kt/k.pid' '-r'",
        "              '/tmp/kt/v.pid'",
    ]
    assert command_line_lines("alived", ["-n"]) == ["Command line: 'alived' '-n'"]


def test_facilities() -> None:
    assert syslog_facility("daemon") == logging.handlers.SysLogHandler.LOG_DAEMON
    assert syslog_facility("0") == logging.handlers.SysLogHandler.LOG_LOCAL0
    assert syslog_facility("local7") == logging.handlers.SysLogHandler.LOG_LOCAL7


def test_child_log_file() -> None:
    assert child_log_file("/tmp/keepalived.log", "vrrp") == "/tmp/keepalived_vrrp.log"
    assert child_log_file("/tmp/keepalived.log", "") == "/tmp/keepalived.log"


def test_detail_lines_only_with_D(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log_file = tmp_path / "k.log"
    logger = setup_logging(
        Options(log_console=True, no_syslog=True, log_file=str(log_file)), ident="Keepalived"
    )
    logger.debug("detail")
    logger.info("plain")
    assert "plain" in capsys.readouterr().err
    assert "detail" not in log_file.read_text()
    logger = setup_logging(Options(log_console=True, log_detail=True, no_syslog=True), ident="Keepalived")
    logger.debug("detail")
    assert "detail" in capsys.readouterr().err
    setup_logging(Options(no_syslog=True), ident="Keepalived")


def _log_console_to(path: Path, monkeypatch: pytest.MonkeyPatch, journal_stream: str | None) -> list[str]:
    """`-l -D -G` with stderr on PATH and JOURNAL_STREAM as given: the lines written."""
    with path.open("w", encoding="utf-8") as stream:
        monkeypatch.setattr("sys.stderr", stream)
        if journal_stream is None:
            monkeypatch.delenv("JOURNAL_STREAM", raising=False)
        else:
            monkeypatch.setenv("JOURNAL_STREAM", journal_stream)
        log = setup_logging(Options(log_console=True, log_detail=True, no_syslog=True), ident="Keepalived")
        log.info("(VI_1) Entering MASTER STATE")
        log.warning("(VI_1) warning")
        log.error("(VI_1) error")
        log.debug("detail")
        for handler in log.handlers:
            handler.flush()
    return path.read_text().splitlines()


def test_under_journald_console_lines_carry_priority_and_no_timestamp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "stderr"
    out.touch()
    stat = out.stat()
    lines = _log_console_to(out, monkeypatch, f"{stat.st_dev}:{stat.st_ino}")
    assert lines == ["<6>(VI_1) Entering MASTER STATE", "<4>(VI_1) warning", "<3>(VI_1) error", "<7>detail"]


@pytest.mark.parametrize("journal_stream", [None, "1:2", "garbage"])
def test_console_keeps_its_timestamp_unless_stderr_is_the_journal_stream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, journal_stream: str | None
) -> None:
    # JOURNAL_STREAM inherited by a process whose stderr went elsewhere does not count.
    lines = _log_console_to(tmp_path / "stderr", monkeypatch, journal_stream)
    assert len(lines) == 4
    assert all(re.match(r"\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}: ", line) for line in lines)
