"""MISC_CHECK with real scripts: exit statuses, misc_dynamic weights, signals and the timeout kill."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from pathlib import Path

import pytest

from alived.checkers import misc
from alived.checkers.base import REGISTRY
from alived.checkers.misc import MiscParams, MiscProbe
from alived.core.check.result import ProbeResult
from alived.linux.scripts import ScriptCommand
from alived.units import MILLISECOND, SECOND, Ticks
from tests.unit.checkers.servers import target

FIVE_S = Ticks(5 * SECOND)


def _run(argv: tuple[str, ...], *, dynamic: bool = False, timeout: Ticks = FIVE_S) -> ProbeResult:
    params = MiscParams(command=ScriptCommand(argv=argv), misc_timeout=timeout, misc_dynamic=dynamic)
    return asyncio.run(MiscProbe(params, target(80)).attempt())


def test_registered() -> None:
    assert REGISTRY["MISC_CHECK"] is MiscProbe


@pytest.mark.parametrize(
    ("code", "dynamic", "success", "weight", "reason"),
    [
        (0, False, True, None, "succeeded"),
        (1, False, False, None, "exited with status 1"),
        (3, False, False, None, "exited with status 3"),
        (0, True, True, None, "succeeded"),
        (1, True, False, None, "exited with status 1"),
        (2, True, True, 0, "succeeded"),
        (12, True, True, 10, "succeeded"),
        (255, True, True, 253, "succeeded"),
    ],
)
def test_exit_status(code: int, dynamic: bool, success: bool, weight: int | None, reason: str) -> None:
    result = _run(("/bin/sh", "-c", f"exit {code}"), dynamic=dynamic)
    assert (result.success, result.dynamic_weight, result.reason) == (success, weight, reason)


def test_script_with_arguments_through_the_shell(tmp_path: Path) -> None:
    script = tmp_path / "check.sh"
    script.write_text('#!/bin/sh\n[ "$1" = up ]\n')
    script.chmod(0o755)
    assert _run((str(script), "up")).success
    assert not _run((str(script), "down")).success


def test_killed_by_a_signal_is_down() -> None:
    result = _run(("/bin/sh", "-c", "kill -9 $$"))
    assert (result.success, result.reason) == (False, "due to signal 9")


def test_missing_script_is_down() -> None:
    result = _run(("/nonexistent/alived-test-script",))
    assert not result.success


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    # the grandchild ignores nothing: SIGTERM to the group ends it with its parent
    argv = ("/bin/sh", "-c", f"sleep 30 & echo $! > {pidfile}; wait")
    result = _run(argv, timeout=Ticks(300 * MILLISECOND))
    assert (result.success, result.reason) == (False, "timed out")
    grandchild = int(pidfile.read_text())
    for _ in range(100):
        try:
            os.kill(grandchild, 0)
        except ProcessLookupError:
            break
        time.sleep(0.02)
    else:
        pytest.fail("the script's child survived the timeout")


def test_security_gate_refusal_skips_the_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    monkeypatch.setattr(misc, "security_gate", lambda command: "unsafe script")
    result = _run(("/bin/sh", "-c", f"touch {marker}"))
    assert (result.success, result.reason) == (False, "unsafe script")
    assert not marker.exists()


def test_never_blocks_the_loop() -> None:
    async def while_running() -> bool:
        params = MiscParams(command=ScriptCommand(argv=("/bin/sh", "-c", "sleep 5")))
        task = asyncio.create_task(MiscProbe(params, target(80)).attempt())
        await asyncio.sleep(0.05)
        running = not task.done()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return running

    assert asyncio.run(while_running())


def test_unsafe_misc_path_is_down_with_keepalived_reason_and_never_runs(tmp_path: Path) -> None:
    # The real gate, not a stand-in: a root script in a directory anyone may write to.
    open_dir = tmp_path / "open"
    open_dir.mkdir()
    open_dir.chmod(0o777)
    marker = tmp_path / "ran"
    script = open_dir / "check.sh"
    script.write_text(f"#!/bin/sh\ntouch {marker}\n")
    script.chmod(0o755)
    params = MiscParams(command=ScriptCommand(argv=(str(script),), uid=0, gid=0, secure=True))
    result = asyncio.run(MiscProbe(params, target(80)).attempt())
    assert not result.success
    assert result.reason == f"Unsafe permissions found for script '{script}' - disabling."
    assert not marker.exists()
