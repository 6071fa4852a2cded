"""The shipped unit's own command lines, run as systemd would run them, in a namespace.

packaging/systemd/alived.service is read, not copied: its EnvironmentFile= entries are read from
a test root standing in for / (Debian's /etc/default/keepalived with DAEMON_ARGS, Red Hat's
/etc/sysconfig/keepalived with KEEPALIVED_OPTIONS), its ExecStart= is expanded with them and run
through the layout's /usr/lib/alived/keepalived (a symlink to the installed entry point) with a
fake NOTIFY_SOCKET and stderr as the journal's stream (JOURNAL_STREAM), its ExecReload= is
expanded with MAINPID and run, and the stop is systemd's (KillMode=mixed: SIGTERM to the main
process). The messages must arrive in order from the main process, the logs must carry journald
priorities and no timestamp of ours, and the processes keepalived's name.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.netns import Lab, wait_for
from tests.helpers.shared import REPO
from tests.helpers.systemd_unit import environment, expand, parse_unit, values
from tests.netns.test_daemon_vrrp import conf, instance

pytestmark = pytest.mark.netns

UNIT = REPO / "packaging" / "systemd" / "alived.service"
ENTRY_POINT = Path(sys.prefix) / "bin" / "keepalived"
STAMP = re.compile(r"\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}: ")


class Notifications:
    """A datagram socket standing in for systemd's notify socket; records (sender pid, fields)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.sock.setblocking(False)
        self.seen: list[tuple[int, dict[str, str]]] = []

    def drain(self) -> list[tuple[int, dict[str, str]]]:
        size = socket.CMSG_SPACE(12)  # struct ucred
        while True:
            try:
                data, ancillary, _, _ = self.sock.recvmsg(4096, size)
            except BlockingIOError:
                return self.seen
            pid = next(
                (
                    int.from_bytes(d[:4], sys.byteorder)
                    for lvl, typ, d in ancillary
                    if typ == socket.SCM_CREDENTIALS
                ),
                -1,
            )
            fields = dict(line.split("=", 1) for line in data.decode().splitlines() if "=" in line)
            self.seen.append((pid, fields))

    def count(self, key: str) -> int:
        return sum(key in fields for _, fields in self.drain())

    def close(self) -> None:
        self.sock.close()


def test_exec_start_and_exec_reload_of_the_shipped_unit(lab: Lab, tmp_path: Path) -> None:
    if not ENTRY_POINT.exists():
        pytest.fail(f"the `keepalived` entry point is not installed beside {sys.executable}: run make setup")
    service = parse_unit(UNIT.read_text())["Service"]
    (exec_start,) = values(service, "ExecStart")
    (exec_reload,) = values(service, "ExecReload")
    assert values(service, "Type") == ["notify"] and values(service, "KillMode") == ["mixed"]

    # The test root: the layout of docs/packaging.md, the options files, the config.
    root = tmp_path / "root"
    work = tmp_path / "run"
    work.mkdir()
    program = Path(expand(exec_start, {})[0])
    assert program == Path("/usr/lib/alived/keepalived")
    link = root / program.relative_to("/")
    link.parent.mkdir(parents=True)
    link.symlink_to(ENTRY_POINT)
    config = root / "etc/keepalived/keepalived.conf"
    config.parent.mkdir(parents=True)
    config.write_text(conf(instance(150)))
    debian = root / "etc/default/keepalived"
    debian.parent.mkdir(parents=True)
    debian.write_text(
        "# Options to pass to keepalived\n"
        f'DAEMON_ARGS="-l -f {config} -p {work}/keepalived.pid -r {work}/vrrp.pid -c {work}/checkers.pid"\n'
    )
    redhat = root / "etc/sysconfig/keepalived"
    redhat.parent.mkdir(parents=True)
    redhat.write_text('KEEPALIVED_OPTIONS="-D"\n')
    files = {named.lstrip("-"): root / named.lstrip("-/") for named in values(service, "EnvironmentFile")}
    unit_env = environment(values(service, "EnvironmentFile"), files)
    argv = [str(link), *expand(exec_start, unit_env)[1:]]
    assert argv[1:] == [
        "--dont-fork", "-l", "-f", str(config), "-p", f"{work}/keepalived.pid", "-r", f"{work}/vrrp.pid",
        "-c", f"{work}/checkers.pid", "-D",
    ]  # fmt: skip

    ns = lab.netns("unit")
    lab.lan([ns])
    ns.ip("addr", "add", "192.0.2.1/24", "dev", "eth0")
    journal = tmp_path / "journal"
    journal.touch()
    stat = journal.stat()
    notify = Notifications(tmp_path / "notify")
    try:
        env = {
            **os.environ,
            **unit_env,
            "NOTIFY_SOCKET": str(notify.path),
            "WATCHDOG_USEC": "2000000",
            "JOURNAL_STREAM": f"{stat.st_dev}:{stat.st_ino}",
            "TMPDIR": str(work),
        }
        main = ns.popen(*argv, log=journal, env=env)
        wait_for(lambda: notify.count("READY") >= 1, timeout=30, what="READY=1")
        assert Path(f"/proc/{main.pid}/comm").read_text().strip() == "keepalived"
        wait_for(lambda: "Entering MASTER STATE" in journal.read_text(), timeout=40, what="MASTER")

        reload = expand(exec_reload, {**unit_env, "MAINPID": str(main.pid)})
        assert reload == ["/bin/kill", "-HUP", str(main.pid)]
        assert subprocess.run(reload, check=False, timeout=10).returncode == 0
        wait_for(lambda: notify.count("READY") >= 2, timeout=30, what="READY=1 after ExecReload")

        main.send_signal(signal.SIGTERM)  # KillMode=mixed: the main process only
        assert main.wait(timeout=20) == 0
        messages = notify.drain()
    finally:
        notify.close()

    events = [next(iter(f)) for _, f in messages if "WATCHDOG" not in f]
    assert events == ["READY", "RELOADING", "READY", "STOPPING"]
    assert {pid for pid, _ in messages} == {main.pid}  # NotifyAccess=main holds
    assert next(f for _, f in messages if "READY" in f)["MAINPID"] == str(main.pid)

    lines = journal.read_text().splitlines()
    assert "<6>Reloading ..." in lines and "<6>(VI_1) Entering MASTER STATE" in lines
    command_line = next(line for line in lines if "Command line:" in line)
    assert "'--dont-fork' '-l' '-f'" in command_line
    assert all(re.match(r"<[0-7]>", line) for line in lines), lines
    assert not any(STAMP.search(line) for line in lines)
