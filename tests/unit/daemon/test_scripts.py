"""The async script runner: direct exec or sh -c, cleaned environment, failures logged not raised."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from pathlib import Path
from typing import Any

import pytest

from alived.linux import scripts
from alived.linux.scripts import ScriptCommand, ScriptRunner, exec_argv, script_env


def test_env_drops_loader_and_parser_variables() -> None:
    env = script_env({"PATH": "/bin", "IFS": " ", "LD_PRELOAD": "x.so", "LD_LIBRARY_PATH": "/l", "A": "1"})
    assert env == {"PATH": "/bin", "A": "1"}


def test_exec_argv_direct_or_shell(tmp_path: Path) -> None:
    exe = tmp_path / "s.sh"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    assert exec_argv([str(exe), "a b"]) == [str(exe), "a b"]
    plain = tmp_path / "p.sh"
    plain.write_text("true\n")
    assert exec_argv([str(plain), "a b"]) == ["/bin/sh", "-c", f"{plain} 'a b'"]


def test_runs_with_arguments_own_group_and_clean_env(tmp_path: Path) -> None:
    out = tmp_path / "out"
    script = tmp_path / "s.sh"
    script.write_text(
        f'#!/bin/sh\necho "$@" > {out}\n'
        f'echo "pg=$(ps -o pgid= $$ | tr -d " ") pid=$$ ifs=$(env | grep -c ^IFS=)" >> {out}\n'
    )
    script.chmod(0o755)

    async def go() -> int | None:
        runner = ScriptRunner(env={**os.environ, "IFS": ":"})
        return await runner.spawn(ScriptCommand(argv=(str(script), "INSTANCE", "VI_1", "MASTER", "150")))

    assert asyncio.run(go()) == 0
    first, second = out.read_text().splitlines()
    assert first == "INSTANCE VI_1 MASTER 150"
    fields = dict(item.split("=", 1) for item in second.split())
    assert fields["pg"].strip() == fields["pid"]  # its own process group
    assert fields["ifs"] == "0"


def test_missing_script_is_not_fatal() -> None:
    async def go() -> int | None:
        return await ScriptRunner().run(ScriptCommand(argv=("/nonexistent/notify.sh", "x")))

    assert asyncio.run(go()) == 127  # through sh -c, which reports "not found"


def test_exec_failure_is_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    exe = tmp_path / "bad.sh"
    exe.write_text("#!/nonexistent/interpreter\n")
    exe.chmod(0o755)

    async def go() -> tuple[int | None, int]:
        runner = ScriptRunner()
        rc = await runner.run(ScriptCommand(argv=(str(exe),)))
        return rc, runner.failed

    assert asyncio.run(go()) == (None, 1)
    assert "Failed to exec script" in caplog.text


def test_timeout_terminates_the_group() -> None:
    async def go() -> int | None:
        return await ScriptRunner().run(ScriptCommand(argv=("/bin/sleep", "30")), timeout=0.2)

    assert asyncio.run(go()) == -15  # SIGTERM first, as keepalived


def test_timeout_kills_a_script_that_outlives_sigterm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scripts, "TIMEOUT_GRACE", 0.3)
    out, child = tmp_path / "out", tmp_path / "child"
    script = tmp_path / "s.sh"
    # Ignores SIGTERM (noting it) and leaves a child in its group behind.
    script.write_text(
        f"#!/bin/sh\ntrap 'echo term >> {out}' TERM\nsleep 30 &\necho $! > {child}\n"
        "while :; do sleep 0.05; done\n"
    )
    script.chmod(0o755)

    async def go() -> int | None:
        return await ScriptRunner().run(ScriptCommand(argv=(str(script),)), timeout=0.3)

    assert asyncio.run(go()) == -9
    assert out.read_text() == "term\n"
    stat = Path(f"/proc/{int(child.read_text())}/stat")

    def dead() -> bool:  # SIGKILLed with its group: gone, or a zombie until init reaps it
        with contextlib.suppress(OSError):
            return stat.read_text().split(") ")[1].startswith("Z")
        return True

    deadline = time.monotonic() + 5
    while not dead() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert dead()


def test_cancel_sends_sigterm_first(tmp_path: Path) -> None:
    out = tmp_path / "out"
    script = tmp_path / "s.sh"
    script.write_text(f"#!/bin/sh\ntrap 'echo term > {out}; exit 0' TERM\nwhile :; do sleep 0.05; done\n")
    script.chmod(0o755)

    async def go() -> None:
        runner = ScriptRunner()
        task = runner.spawn(ScriptCommand(argv=(str(script),)))
        await asyncio.sleep(0.3)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(go())
    assert out.read_text() == "term\n"


def test_cancelled_while_spawning_still_ends_the_script_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On a loaded host the spawn can outlast a MISC_CHECK timeout: the process is already running
    # when the cancellation lands, and what it started in its group must go with it.
    pidfile = tmp_path / "child.pid"
    real = asyncio.create_subprocess_exec

    async def slow_spawn(*args: Any, **kwargs: Any) -> asyncio.subprocess.Process:
        proc = await real(*args, **kwargs)
        await asyncio.sleep(0.5)
        return proc

    monkeypatch.setattr(asyncio, "create_subprocess_exec", slow_spawn)
    monkeypatch.setattr(scripts, "CANCEL_GRACE", 0.2)
    command = ScriptCommand(argv=("/bin/sh", "-c", f"sleep 30 & echo $! > {pidfile}; wait"))

    async def go() -> None:
        task = asyncio.create_task(ScriptRunner().run(command))
        await asyncio.sleep(0.2)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        deadline = time.monotonic() + 5
        while not pidfile.exists() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        grandchild = int(pidfile.read_text())
        while time.monotonic() < deadline:
            try:
                os.kill(grandchild, 0)
            except ProcessLookupError:
                return
            await asyncio.sleep(0.02)
        os.kill(grandchild, 9)
        pytest.fail("the script's child survived the cancellation")

    asyncio.run(go())
