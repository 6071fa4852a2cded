"""Children forked from the parent (daemon/spawn.py): exit code, environment, signals, stdin."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from pathlib import Path

import pytest

from alived.daemon.control import ControlServer
from alived.daemon.metrics_server import AlivedCollector, MetricsServer
from alived.daemon.options import Options
from alived.daemon.process_facts import ProcessFacts
from alived.daemon.signals import Intent
from alived.daemon.spawn import CHILD_ENTRIES, child_entry, parent_only, parent_released, spawn_child


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


def _socket_inodes() -> set[int]:
    """The inodes of the sockets this process holds, as /proc/self/fd shows them."""
    inodes = set()
    for name in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[len("socket:[") : -1]))
    return inodes


async def _child_sockets(tmp_path: Path) -> set[int]:
    """Fork a child from the running loop; the socket inodes it held when its entry began."""
    out = tmp_path / "inodes"

    def entry(options: Options) -> int:
        out.write_text(" ".join(str(i) for i in sorted(_socket_inodes())))
        return 0

    assert await asyncio.wait_for(spawn_child(entry, Options(), env={}).wait(), 20) == 0
    return {int(i) for i in out.read_text().split()}


def test_a_child_closes_the_parent_only_descriptors_and_keeps_the_others(tmp_path: Path) -> None:
    with socket.socket() as mine, socket.socket() as shared:
        mine.bind(("127.0.0.1", 0))
        mine.listen()
        shared.bind(("127.0.0.1", 0))
        shared.listen()
        parent_only(mine.fileno())
        try:
            held = asyncio.run(_child_sockets(tmp_path))
        finally:
            parent_released(mine.fileno())
        assert os.fstat(mine.fileno()).st_ino not in held
        assert os.fstat(shared.fileno()).st_ino in held  # not registered: inherited as before
        released = asyncio.run(_child_sockets(tmp_path))
        assert os.fstat(mine.fileno()).st_ino in released  # released: no longer closed


def test_a_child_does_not_hold_the_control_or_metrics_listening_socket(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    metrics = MetricsServer(f"127.0.0.1:{port}", AlivedCollector(list, ProcessFacts()))

    async def main() -> tuple[set[int], set[int]]:
        intents: asyncio.Queue[Intent] = asyncio.Queue()
        no_load = lambda: None  # noqa: E731 (never asked: no request comes in)
        control = ControlServer(str(tmp_path / "alived.sock"), intents, no_load, None, None)  # type: ignore[arg-type]
        assert await control.start()
        assert metrics.start()
        try:
            assert control._server is not None
            listening = {os.fstat(s.fileno()).st_ino for s in control._server.sockets}
            assert metrics._httpd is not None
            listening.add(os.fstat(metrics._httpd.socket.fileno()).st_ino)
            assert listening <= _socket_inodes()
            held = await _child_sockets(tmp_path)
        finally:
            metrics.close()
            await control.close()
        return listening, held

    listening, held = asyncio.run(main())
    assert len(listening) == 2
    assert not listening & held
