"""linux/sd_notify.py (path and abstract '@' sockets, watchdog interval) and daemon/readiness.py."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from alived.daemon.readiness import Readiness
from alived.linux.sd_notify import Notifier


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = str(tmp_path / "notify")
    sock.bind(path)
    sock.settimeout(5)
    yield sock, path
    sock.close()


def test_sends_to_a_path(listener: tuple[socket.socket, str]) -> None:
    sock, path = listener
    assert Notifier({"NOTIFY_SOCKET": path}).send("READY=1", "STATUS=up")
    assert sock.recv(4096) == b"READY=1\nSTATUS=up"


def test_sends_to_an_abstract_name() -> None:
    name = f"alived-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(5)
        assert Notifier({"NOTIFY_SOCKET": "@" + name}).send("STOPPING=1")
        assert sock.recv(4096) == b"STOPPING=1"


def test_without_notify_socket_nothing_happens(tmp_path: Path) -> None:
    assert not Notifier({}).enabled and not Notifier({}).send("READY=1")
    assert not Notifier({"NOTIFY_SOCKET": "relative"}).enabled
    # Nobody listening: a failure, never an exception.
    assert not Notifier({"NOTIFY_SOCKET": str(tmp_path / "absent")}).send("READY=1")


def test_watchdog_interval_is_half_of_watchdog_usec() -> None:
    assert Notifier({"WATCHDOG_USEC": "10000000"}).watchdog_interval() == 5.0
    assert (
        Notifier({"WATCHDOG_USEC": "10000000", "WATCHDOG_PID": str(os.getpid())}).watchdog_interval() == 5.0
    )
    assert Notifier({"WATCHDOG_USEC": "10000000", "WATCHDOG_PID": "1"}).watchdog_interval() is None
    assert Notifier({"WATCHDOG_USEC": "0"}).watchdog_interval() is None
    assert Notifier({}).watchdog_interval() is None


class Recorder(Notifier):
    def __init__(self) -> None:
        super().__init__({"NOTIFY_SOCKET": "/unused", "WATCHDOG_USEC": "2"})
        self.sent: list[str] = []

    def send(self, *fields: str) -> bool:
        self.sent.append(fields[0])
        return True


def test_ready_only_when_every_child_answered_then_reload_and_stop() -> None:
    now = [0.0]
    rec = Recorder()
    ready = Readiness(rec, lambda: ["VRRP", "Healthcheck"], window=6.0, clock=lambda: now[0])
    ready.reloading()  # before READY: nothing to bracket
    ready.pong("VRRP")
    assert rec.sent == []
    ready.pong("Healthcheck")
    ready.pong("VRRP")
    ready.reloading()
    ready.reloaded()
    ready.stopping()
    assert rec.sent == ["READY=1", "RELOADING=1", "READY=1", "STOPPING=1"]


def test_watchdog_only_while_children_answer() -> None:
    now = [0.0]
    ready = Readiness(Recorder(), lambda: ["VRRP", "Healthcheck"], window=6.0, clock=lambda: now[0])
    assert ready.healthy()  # still starting: systemd's start timeout judges that
    ready.pong("VRRP")
    ready.pong("Healthcheck")
    now[0] = 5.0
    ready.pong("VRRP")
    assert ready.healthy()
    now[0] = 6.5  # the checker child last answered 6.5 s ago
    assert not ready.healthy()
    ready.pong("Healthcheck")
    assert ready.healthy()


def test_watchdog_loop_sends_while_healthy() -> None:
    now = [0.0]
    rec = Recorder()
    ready = Readiness(rec, lambda: ["VRRP"], window=6.0, clock=lambda: now[0])
    ready.pong("VRRP")
    rec.sent.clear()

    async def run() -> None:
        task = asyncio.create_task(ready.watchdog())
        await asyncio.sleep(0.01)
        now[0] = 100.0  # stale: no more WATCHDOG=1
        await asyncio.sleep(0.01)
        task.cancel()

    asyncio.run(run())
    assert rec.sent and set(rec.sent) == {"WATCHDOG=1"}
    sent = len(rec.sent)
    asyncio.run(run())
    assert len(rec.sent) == sent  # stale from the start now: nothing sent


def test_the_shipped_unit_is_type_notify_with_a_watchdog() -> None:
    unit = Path(__file__).parents[3] / "packaging" / "systemd" / "alived.service"
    lines = {
        line.split("=", 1)[0]: line.split("=", 1)[1]
        for line in unit.read_text().splitlines()
        if "=" in line and not line.startswith("#")
    }
    assert lines["Type"] == "notify" and lines["NotifyAccess"] == "main"
    assert int(lines["WatchdogSec"]) > 0
    assert "--dont-fork" in lines["ExecStart"].split()  # the supervisor is the main process
