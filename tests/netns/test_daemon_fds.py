"""The VRRP child forked by a running daemon holds none of the parent's listening sockets.

The parent listens on its control socket (next to its pid file) and, with `--metrics`, on the
metrics port; a child inherits every descriptor at fork, so spawn.py closes these in the child
first thing. Judged from /proc: the listening sockets' inodes (from the parent's namespace view
of /proc/net/unix and /proc/net/tcp) are among the parent's descriptors and not the child's.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from alived.daemon.pidfile import read_pid
from alived.daemon.status import socket_path
from tests.helpers.netns import Lab, wait_for
from tests.netns.test_daemon_vrrp import conf, instance, make_nodes

pytestmark = pytest.mark.netns

PORT = 9651
TCP_LISTEN = "0A"


def socket_inodes(pid: int) -> set[int]:
    inodes = set()
    for name in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{name}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[len("socket:[") : -1]))
    return inodes


def unix_listener(pid: int, path: str) -> int | None:
    for line in Path(f"/proc/{pid}/net/unix").read_text().splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 8 and fields[7] == path:
            return int(fields[6])
    return None


def tcp_listener(pid: int, port: int) -> int | None:
    for line in Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == TCP_LISTEN:
            return int(fields[9])
    return None


def test_the_vrrp_child_holds_neither_the_control_nor_the_metrics_listener(lab: Lab, tmp_path: Path) -> None:
    (a,) = make_nodes(lab, tmp_path, 1)
    a.write(conf(instance(150)))
    a.start("--metrics", f"192.0.2.1:{PORT}")
    wait_for(a.has, what="a master")
    assert a.proc is not None
    parent = a.proc.pid
    control_path = socket_path(str(a.pid_file))
    wait_for(lambda: unix_listener(parent, control_path) is not None, what="the control socket")
    wait_for(lambda: tcp_listener(parent, PORT) is not None, what="the metrics listener")
    child = read_pid(str(a.vrrp_pid_file))
    assert child is not None and child != parent
    listeners = {unix_listener(parent, control_path), tcp_listener(parent, PORT)}
    assert None not in listeners
    assert listeners <= socket_inodes(parent)
    held = socket_inodes(child)
    assert held  # the child's own sockets are there to be seen
    assert not listeners & held
    assert a.stop() == 0
