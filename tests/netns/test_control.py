"""`alivectl reload | stop | dump` against a running alived, over the parent's control socket.

A reload reports what it changed (an instance added, a VIP added) and then runs; a config with an
error is refused with its file:line and changes nothing; the dumps come back through the socket;
a peer that is neither root nor the daemon's user is turned away by its credentials even when
the file mode would let it in; `stop` stops the daemon with exit code 0.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from alived.daemon.status import query, socket_path
from tests.helpers.netns import Lab, wait_for
from tests.netns.test_daemon_vrrp import Node, conf, instance, make_nodes

pytestmark = pytest.mark.netns

ALIVECTL = str(Path(sys.executable).parent / "alivectl")
NOBODY = 65534


def alivectl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ALIVECTL, *args], capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def workdir() -> Iterator[Path]:
    # Reachable by another user (0711), so only the socket's own checks stand in the way.
    where = Path(tempfile.mkdtemp(prefix="alived-ctl-"))
    where.chmod(0o711)
    try:
        yield where
    finally:
        shutil.rmtree(where, ignore_errors=True)


def node(lab: Lab, workdir: Path) -> Node:
    (a,) = make_nodes(lab, workdir, 1)
    return a


def ask_as(uid: int, path: str, request: str) -> str:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read)
            os.setgid(uid)
            os.setuid(uid)
            os.write(write, query(path, request, timeout=5).encode())
        except BaseException as err:
            os.write(write, f"error {err!r}".encode())
        finally:
            os._exit(0)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 65536):
        chunks.append(chunk)
    os.close(read)
    os.waitpid(pid, 0)
    return b"".join(chunks).decode()


def test_reload_refuse_dump_deny_and_stop(lab: Lab, workdir: Path) -> None:
    a = node(lab, workdir)
    a.write(conf(instance(150)))
    a.start()
    wait_for(a.has, timeout=40, what="a master")
    control = socket_path(str(a.pid_file))
    wait_for(lambda: Path(control).is_socket(), what="the control socket")
    assert stat.S_IMODE(os.stat(control).st_mode) == 0o600
    pid = "--pid-file", str(a.pid_file)

    a.write(
        conf(
            instance(150, vips=("192.0.2.100/24", "192.0.2.101/24")),
            instance(90, name="VI_2", vrid=52, vips=("198.51.100.7/24",)),
        )
    )
    applied = alivectl("reload", *pid)
    assert applied.returncode == 0, applied.stderr
    assert applied.stdout.splitlines() == [
        "Reload applied",
        "  VRRP instances: added VI_2; changed VI_1 (+192.0.2.101)",
        "  virtual servers: unchanged",
    ]
    wait_for(lambda: a.has("192.0.2.101") and a.has("198.51.100.7"), what="the reloaded VIPs")

    reloads = a.log_text().count("Reloading")
    a.write(conf(instance(150), instance(90, name="VI_2", vrid=300)))
    refused = alivectl("reload", *pid)
    assert refused.returncode == 1
    first, *errors = refused.stderr.splitlines()
    assert first == f"Reload refused: {len(errors)} error(s), nothing changed"
    assert f"({a.conf}: Line " in refused.stderr and "300" in refused.stderr
    assert a.log_text().count("Reloading") == reloads  # the refused one never reached the daemon
    assert a.has("192.0.2.101")

    dumped = alivectl("dump", "json", *pid)
    assert dumped.returncode == 0, dumped.stderr
    assert dumped.stdout, dumped.stderr
    assert sorted(i["data"]["iname"] for i in json.loads(dumped.stdout)) == ["VI_1", "VI_2"]
    stats_text = alivectl("dump", "stats", *pid)
    assert stats_text.returncode == 0 and "VRRP Instance: VI_2" in stats_text.stdout
    data_text = alivectl("dump", "data", *pid)
    assert data_text.returncode == 0 and "VRRP Instance = VI_1" in data_text.stdout

    os.chmod(control, 0o666)  # the file mode would let anyone in: the credentials check must not
    denied = ask_as(NOBODY, control, "stop")
    assert json.loads(denied)["result"] == "denied", denied
    assert a.proc is not None and a.proc.poll() is None

    stopped = alivectl("stop", *pid)
    assert stopped.returncode == 0 and stopped.stdout == "Stopping\n"
    assert a.proc.wait(timeout=20) == 0
    assert not Path(control).exists()
    gone = alivectl("stop", *pid)
    assert gone.returncode == 1 and "no alived process answers" in gone.stderr
