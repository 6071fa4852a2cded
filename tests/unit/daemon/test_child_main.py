"""The frame every child runs in (daemon/child_main.py): pid file, signals as intents, failure paths."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from alived.config import model
from alived.daemon.child_main import ChildFrame, run_child
from alived.daemon.options import EXIT_CONFIG, EXIT_FATAL, EXIT_OK, Options
from alived.daemon.signals import Intent


@dataclass
class FakeStatus:
    closed: bool = False

    async def close(self) -> None:
        self.closed = True


@dataclass
class FakeChild:
    """Records what the frame does with it; `fail` makes `serve` raise after its signals."""

    pid_path: Path
    fail: bool = False
    intents: asyncio.Queue[Intent] = field(default_factory=asyncio.Queue)
    status: FakeStatus = field(default_factory=FakeStatus)
    seen: list[Intent] = field(default_factory=list)
    pid_file_during: bool = False
    abandoned: bool = False

    async def serve(self, config: model.Config) -> None:
        self.pid_file_during = self.pid_path.read_text() == f"{os.getpid()}\n"
        os.kill(os.getpid(), signal.SIGHUP)
        os.kill(os.getpid(), signal.SIGTERM)
        while (intent := await self.intents.get()) is not Intent.STOP:
            self.seen.append(intent)
        if self.fail:
            raise RuntimeError("boom")

    def abandon(self) -> None:
        self.abandoned = True


def _frame(made: list[FakeChild], pid_path: Path, *, fail: bool = False) -> ChildFrame:
    def make(options: Options, config: model.Config) -> FakeChild:
        made.append(FakeChild(pid_path, fail=fail))
        return made[-1]

    return ChildFrame(
        ident="Keepalived_test",
        logger="alived.test",
        log_suffix="test",
        pid_file=lambda options: options.vrrp_pid_file,
        pid_option="-r",
        title="VRRP",
        make=make,
    )


def _options(tmp_path: Path, conf: str = "") -> Options:
    (tmp_path / "k.conf").write_text(conf)
    return Options(
        vrrp_pid_file=str(tmp_path / "v.pid"), config_file=str(tmp_path / "k.conf"), no_syslog=True
    )


def test_signals_reach_the_child_as_intents_and_the_pid_file_lives_as_long_as_it(tmp_path: Path) -> None:
    made: list[FakeChild] = []
    assert run_child(_options(tmp_path), _frame(made, tmp_path / "v.pid")) == EXIT_OK
    (child,) = made
    assert child.pid_file_during
    assert child.seen == [Intent.RELOAD]
    assert not child.abandoned
    assert not (tmp_path / "v.pid").exists()


def test_a_failing_child_is_abandoned_its_status_closed_and_its_pid_file_removed(tmp_path: Path) -> None:
    made: list[FakeChild] = []
    with pytest.raises(RuntimeError, match="boom"):
        run_child(_options(tmp_path), _frame(made, tmp_path / "v.pid", fail=True))
    (child,) = made
    assert child.abandoned
    assert child.status.closed
    assert not (tmp_path / "v.pid").exists()


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_a_file_where_the_status_socket_goes_is_fatal_and_names_the_pid_option(tmp_path: Path) -> None:
    (tmp_path / "v.sock").write_text("the operator's file")
    made: list[FakeChild] = []
    frame = replace(_frame(made, tmp_path / "v.pid"), pid_option="-c")
    lines = Lines()
    logging.getLogger("alived.test").addHandler(lines)  # the frame's logging set-up owns "alived"
    try:
        assert run_child(_options(tmp_path), frame) == EXIT_FATAL
    finally:
        logging.getLogger("alived.test").removeHandler(lines)
    assert not made
    assert (tmp_path / "v.sock").read_text() == "the operator's file"
    assert not (tmp_path / "v.pid").exists()
    assert any("use another -c pid file" in line for line in lines.lines)


def test_an_unusable_config_is_the_config_exit_code(tmp_path: Path) -> None:
    made: list[FakeChild] = []
    options = Options(
        vrrp_pid_file=str(tmp_path / "v.pid"), config_file=str(tmp_path / "missing.conf"), no_syslog=True
    )
    before = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    assert run_child(options, _frame(made, tmp_path / "v.pid")) == EXIT_CONFIG
    assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == before  # the signals held meanwhile, freed
    assert not made
    assert not (tmp_path / "v.pid").exists()


def test_a_pid_file_it_cannot_write_ends_the_child_with_0_as_keepalived(tmp_path: Path) -> None:
    """keepalived's child logs two lines and exits 0, so that its parent respawns it."""
    made: list[FakeChild] = []
    options = replace(_options(tmp_path), vrrp_pid_file=str(tmp_path / "nodir" / "v.pid"))
    lines = Lines()
    logging.getLogger("alived.test").addHandler(lines)
    try:
        assert run_child(options, _frame(made, tmp_path / "nodir" / "v.pid")) == EXIT_OK
    finally:
        logging.getLogger("alived.test").removeHandler(lines)
    assert not made and not (tmp_path / "nodir").exists()
    assert lines.lines[-2:] == [
        f"pidfile_write : Cannot open {tmp_path}/nodir/v.pid pidfile",
        "VRRP child process: cannot write pidfile",
    ]


_EARLY_STOP = """
import os, signal, sys
from dataclasses import replace
from pathlib import Path
from alived.daemon.child_main import run_child
from tests.unit.daemon.test_child_main import _frame, _options

work = Path(sys.argv[1])
made = []
frame = _frame(made, work / "v.pid")

def early(options, config):
    os.kill(os.getpid(), signal.SIGTERM)  # a STOP before the child's handlers exist
    return frame.make(options, config)

sys.exit(run_child(_options(work), replace(frame, make=early)))
"""


def test_a_stop_before_the_handlers_waits_for_them_and_the_pid_file_goes(tmp_path: Path) -> None:
    """In its own process: without the held signals SIGTERM would end it there, leaving v.pid."""
    root = Path(__file__).resolve().parents[3]
    done = subprocess.run(
        [sys.executable, "-c", _EARLY_STOP, str(tmp_path)],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == EXIT_OK, done.stderr
    assert not (tmp_path / "v.pid").exists()
