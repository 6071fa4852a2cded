"""Children forked from the parent (daemon/spawn.py): exit code, environment, signals, stdin."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest

from alived.daemon.options import Options
from alived.daemon.spawn import CHILD_ENTRIES, child_entry, spawn_child


def _run(entry_body: object, env: dict[str, str | None]) -> int:
    async def main() -> int:
        child = spawn_child(entry_body, Options(), env=env)  # type: ignore[arg-type]
        return await asyncio.wait_for(child.wait(), 20)

    return asyncio.run(main())


def test_the_child_exit_code_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIVED_TEST_DROP", "x")
    out = tmp_path / "env"

    def entry(options: Options) -> int:
        out.write_text(f"{os.environ.get('ALIVED_TEST_SET')}|{os.environ.get('ALIVED_TEST_DROP')}")
        return 3

    assert _run(entry, {"ALIVED_TEST_SET": "1", "ALIVED_TEST_DROP": None}) == 3
    assert out.read_text() == "1|None"
    assert os.environ["ALIVED_TEST_DROP"] == "x"  # the parent's own environment is untouched


def test_the_child_starts_without_the_parent_loop_signal_handlers(tmp_path: Path) -> None:
    out = tmp_path / "sig"

    def entry(options: Options) -> int:
        handler = signal.getsignal(signal.SIGTERM)
        out.write_text(str(handler is signal.SIG_DFL))
        os.kill(os.getpid(), signal.SIGTERM)
        return 0

    async def main() -> int:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, lambda: None)
        try:
            child = spawn_child(entry, Options(), env={})
            return await asyncio.wait_for(child.wait(), 20)
        finally:
            loop.remove_signal_handler(signal.SIGTERM)

    assert asyncio.run(main()) == -signal.SIGTERM
    assert out.read_text() == "True"


def test_an_exception_in_the_child_is_a_fatal_exit_not_a_second_parent() -> None:
    def entry(options: Options) -> int:
        raise RuntimeError("boom")

    assert _run(entry, {}) == 1


def test_every_child_entry_resolves() -> None:
    for name in CHILD_ENTRIES:
        assert callable(child_entry(name))
