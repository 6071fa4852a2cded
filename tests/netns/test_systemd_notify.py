"""alived under a fake systemd: the messages on NOTIFY_SOCKET, in order, across start, reload, stop.

The test binds a datagram socket, starts the daemon as the unit does (`--dont-fork`) with
NOTIFY_SOCKET and WATCHDOG_USEC set, and reads what the supervisor sends: READY=1 (with its
MAINPID) only once the VRRP child answers, WATCHDOG=1 while it does, RELOADING=1 then READY=1
around a SIGHUP, STOPPING=1 on SIGTERM, and nothing from the children.
"""

from __future__ import annotations

import signal
import socket
from pathlib import Path

import pytest

from alived.daemon.pidfile import read_pid
from tests.helpers.netns import Lab, wait_for
from tests.netns.test_daemon_vrrp import conf, instance, make_nodes

pytestmark = pytest.mark.netns


def test_ready_watchdog_reloading_stopping_in_order(
    lab: Lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    messages: list[dict[str, str]] = []
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        path = tmp_path / "notify"
        sock.bind(str(path))
        sock.setblocking(False)

        def drain() -> list[dict[str, str]]:
            while True:
                try:
                    data = sock.recv(4096)
                except BlockingIOError:
                    return messages
                messages.append(dict(line.split("=", 1) for line in data.decode().splitlines()))

        def seen(key: str, count: int = 1) -> bool:
            return sum(key in m for m in drain()) >= count

        monkeypatch.setenv("NOTIFY_SOCKET", str(path))
        monkeypatch.setenv("WATCHDOG_USEC", "1000000")
        (a,) = make_nodes(lab, tmp_path, 1)
        a.write(conf(instance(150)))
        a.start()
        wait_for(lambda: seen("READY"), timeout=40, what="READY=1")
        parent_pid = read_pid(str(a.pid_file))
        wait_for(lambda: seen("WATCHDOG", 2), what="WATCHDOG=1 while the child answers")

        a.send(signal.SIGHUP)
        wait_for(lambda: seen("READY", 2), what="READY=1 after the reload")
        a.stop()
        assert seen("STOPPING")

    events = [next(iter(m)) for m in messages if "WATCHDOG" not in m]
    assert events == ["READY", "RELOADING", "READY", "STOPPING"]
    first = next(m for m in messages if "READY" in m)
    assert first["MAINPID"] == str(parent_pid)
    assert all(m.get("WATCHDOG") == "1" for m in messages if "WATCHDOG" in m)
    reloading = next(m for m in messages if "RELOADING" in m)
    assert int(reloading["MONOTONIC_USEC"]) > 0
