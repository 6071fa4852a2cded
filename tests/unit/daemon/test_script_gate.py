"""The script-security gate every script start goes through (keepalived's check_script_secure).

The refused cases build the unsafe path in tmp_path (a world-writable file or directory) and ask
for a root run: the gate refuses before any exec, so these need no root. The marker file the
script would create proves it did not run.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from alived.config import model
from alived.daemon import script_command as translate
from alived.linux.scripts import ScriptCommand, ScriptRunner, script_gate
from alived.script_security import UserIds, script_verdict


def marker_script(path: Path, marker: Path) -> Path:
    path.write_text(f"#!/bin/sh\ntouch {marker}\n")
    path.chmod(0o755)
    return path


def run(command: ScriptCommand) -> tuple[int | None, ScriptRunner]:
    runner = ScriptRunner()
    return asyncio.run(runner.run(command)), runner


def test_world_writable_root_script_is_refused_and_not_run(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    marker = tmp_path / "ran"
    script = marker_script(tmp_path / "s.sh", marker)
    script.chmod(0o777)
    caplog.set_level(logging.WARNING, "alived.scripts")
    status, runner = run(ScriptCommand(argv=(str(script),), uid=0, gid=0, secure=True))
    assert status is None and runner.refused == 1 and runner.started == 0
    assert not marker.exists()
    assert f"Unsafe permissions found for script '{script}' - disabling." in caplog.messages


def test_script_in_a_writable_directory_is_refused(tmp_path: Path) -> None:
    open_dir = tmp_path / "open"
    open_dir.mkdir()
    open_dir.chmod(0o777)
    marker = tmp_path / "ran"
    script = marker_script(open_dir / "s.sh", marker)
    status, _ = run(ScriptCommand(argv=(str(script), "arg"), uid=0, gid=0, secure=True))
    assert status is None
    assert not marker.exists()
    assert script_gate(ScriptCommand(argv=(str(script),), uid=0, gid=0, secure=True)) == (
        f"Unsafe permissions found for script '{script}' - disabling."
    )


def test_sticky_writable_directory_is_not_unsafe(tmp_path: Path) -> None:
    sticky = tmp_path / "sticky"
    sticky.mkdir()
    sticky.chmod(0o1777)
    script = marker_script(sticky / "s.sh", tmp_path / "ran")
    verdict = script_verdict(str(script), 0, 0, enforce=True)
    # Whatever owns tmp_path decides the rest; the sticky directory itself is never the reason.
    assert not any(f"'{sticky}'" in m for m in verdict.messages)


def test_without_script_security_an_unsafe_script_runs_and_is_reported(tmp_path: Path) -> None:
    script = marker_script(tmp_path / "s.sh", tmp_path / "ran")
    script.chmod(0o777)
    verdict = script_verdict(str(script), 0, 0, enforce=False)
    assert verdict.runnable and verdict.insecure
    assert verdict.messages[-1] == f"Unsafe permissions found for script '{script}'."
    assert script_gate(ScriptCommand(argv=(str(script),), uid=0, gid=0, secure=False)) is None


def test_unsafe_path_is_not_checked_for_a_plain_user() -> None:
    # keepalived walks the path only for a script run as root (or set-uid/gid root).
    assert script_verdict("/bin/sh", 1000, 1000, enforce=True).runnable


def test_missing_script_reported_in_keepalived_words() -> None:
    verdict = script_verdict("/nonexistent/alived/x.sh", 0, 0, enforce=True)
    assert not verdict.runnable and not verdict.found
    assert verdict.messages == (
        "Script /nonexistent/alived/x.sh cannot be accessed - No such file or directory",
    )


def test_redirect_file_tests_are_not_scripts() -> None:
    verdict = script_verdict("</dev/tcp/127.0.0.1/80", 0, 0, enforce=True)
    assert verdict.runnable and not verdict.is_script


def test_unknown_script_user_gives_no_command() -> None:
    script = model.Script(argv=("/bin/true",), user="nosuchuser-alived")
    assert translate.script_command(script, model.GlobalDefs()) is None
    glob = model.GlobalDefs(script_user="nosuchuser-alived")
    assert translate.script_command(model.Script(argv=("/bin/true",)), glob) is None


def test_no_default_user_under_script_security_gives_no_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(translate, "default_user", lambda: None)
    secure = model.GlobalDefs(enable_script_security=True)
    assert translate.script_command(model.Script(argv=("/bin/true",)), secure) is None
    # Without script security keepalived runs it as itself (root), and so do we.
    command = translate.script_command(model.Script(argv=("/bin/true",)), model.GlobalDefs())
    assert command is not None and command.uid is None and not command.secure


def test_default_user_is_keepalived_script_when_it_exists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(translate, "default_user", lambda: UserIds(4242, 4343))
    secure = model.GlobalDefs(enable_script_security=True)
    command = translate.script_command(model.Script(argv=("/bin/true",)), secure)
    assert command is not None and (command.uid, command.gid, command.secure) == (4242, 4343, True)
