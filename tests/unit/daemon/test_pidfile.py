"""Pid files: written atomically, stale ones replaced, a live owner refuses, removal is ours only."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from alived.daemon.options import Options
from alived.daemon.pidfile import AlreadyRunning, PidFile, keepalived_running, read_pid, running_pid


def test_write_read_remove(tmp_path: Path) -> None:
    path = tmp_path / "k.pid"
    pf = PidFile(str(path))
    pf.check()
    pf.write()
    assert path.read_text() == f"{os.getpid()}\n"
    assert oct(path.stat().st_mode & 0o777) == oct(0o644)
    assert read_pid(str(path)) == os.getpid()
    assert running_pid(str(path)) is None  # our own pid is not "another daemon"
    pf.remove()
    assert not path.exists()
    pf.remove()  # idempotent


def test_live_owner_means_already_running(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        path = tmp_path / "k.pid"
        path.write_text(f"{proc.pid}\n")
        with pytest.raises(AlreadyRunning, match="daemon is already running"):
            PidFile(str(path)).check()
        assert running_pid(str(path)) == proc.pid
    finally:
        proc.kill()
        proc.wait()
    PidFile(str(path)).check()  # now stale


def test_stale_or_garbage_file_is_not_running(tmp_path: Path) -> None:
    path = tmp_path / "k.pid"
    path.write_text("not a pid\n")
    assert running_pid(str(path)) is None
    assert running_pid(str(tmp_path / "missing.pid")) is None


def test_remove_leaves_a_file_rewritten_by_someone_else(tmp_path: Path) -> None:
    path = tmp_path / "k.pid"
    pf = PidFile(str(path))
    pf.write(4242)
    path.write_text("4343\n")
    pf.remove()
    assert path.read_text() == "4343\n"


def test_no_directory_is_made_for_a_pid_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        PidFile(str(tmp_path / "nodir" / "k.pid")).write()
    assert not (tmp_path / "nodir").exists()


def test_already_running_as_keepalived_decides_it(tmp_path: Path) -> None:
    said: list[str] = []
    stale, garbage, live = tmp_path / "stale.pid", tmp_path / "garbage.pid", tmp_path / "live.pid"
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        stale.write_text("999999999\n")  # above pid_max: never a live process
        live.write_text(f" {proc.pid}\n")
        assert not keepalived_running([str(stale), str(tmp_path / "missing.pid")], said.append)
        assert said == [f"Remove a zombie pid file {stale}"] and not stale.exists()
        assert keepalived_running([str(live), str(stale)], said.append)
    finally:
        proc.kill()
        proc.wait()
    # a file with no pid in it: keepalived cannot tell, says so, removes it and refuses this once
    for text in ("", "x\n"):
        garbage.write_text(text)
        assert keepalived_running([str(garbage)], said.append)
        assert said[-1] == f"Error reading pid file {garbage}" and not garbage.exists()


@pytest.mark.parametrize(
    ("options", "checked"),
    [
        (Options(), ("/run/keepalived.pid", "/run/vrrp.pid", "/run/checkers.pid", "/run/bfd.pid")),
        (Options(vrrp_only=True, no_bfd=True), ("/run/keepalived.pid", "/run/vrrp.pid")),
        (Options(check_only=True), ("/run/keepalived.pid", "/run/checkers.pid", "/run/bfd.pid")),
    ],
)
def test_the_pid_files_checked_are_those_of_the_subsystems_left_on(
    options: Options, checked: tuple[str, ...]
) -> None:
    assert options.pid_files_checked() == checked
