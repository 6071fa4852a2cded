"""Pid files: written atomically, stale ones replaced, a live owner refuses, removal is ours only."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from alived.daemon.pidfile import AlreadyRunning, PidFile, read_pid, running_pid


def test_write_read_remove(tmp_path: Path) -> None:
    path = tmp_path / "run" / "k.pid"
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
