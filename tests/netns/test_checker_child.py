"""The checker child against real TCP servers in a namespace: health in status and keepalived's
log lines, its own pid file and log ident, respawn after kill -9 and after it stops answering.

One namespace holds alived, another the real servers (python listeners started by the test),
joined by a veth pair. Two servers are plain TCP listeners checked by TCP_CHECK, the third a
real HTTP server (python's http.server) checked by HTTP_GET.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from alived.daemon.pidfile import read_pid
from alived.daemon.status import query, socket_path
from tests.helpers.netns import Lab, Namespace, wait_for
from tests.netns.test_smtp_alert import SINK, mails

pytestmark = pytest.mark.netns

ALIVECTL = str(Path(sys.executable).parent / "alivectl")
VS = "[192.0.2.100]:tcp:80"
SERVERS = ("192.0.2.21", "192.0.2.22", "192.0.2.23")
HTTP_SERVER = "192.0.2.23"

LISTENER = """
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 80))
s.listen(64)
while True:
    c, _ = s.accept()
    c.close()
"""


def rs_name(address: str) -> str:
    return f"[{address}]:tcp:80"


def check_block(address: str) -> str:
    if address == HTTP_SERVER:
        return """HTTP_GET {
            url {
                path /
                status_code 200
            }
            connect_timeout 1
            retry 1
            delay_before_retry 0.2
        }"""
    return """TCP_CHECK {
            connect_timeout 1
            retry 1
            delay_before_retry 0.2
        }"""


def success_line(address: str) -> str:
    if address == HTTP_SERVER:
        return f"Remote Web server {rs_name(address)} succeed on service."
    return f"TCP connection to {rs_name(address)} success."


def config(
    servers: tuple[str, ...] = SERVERS,
    vs_extra: str = "",
    notify_dir: Path | None = None,
    global_extra: str = "",
) -> str:
    def notifies(address: str) -> str:
        if notify_dir is None:
            return ""
        return (
            f'        notify_up "/usr/bin/touch {notify_dir}/{address}.up"\n'
            f'        notify_down "/usr/bin/touch {notify_dir}/{address}.down"\n'
        )

    blocks = "".join(
        f"""
    real_server {a} 80 {{
{notifies(a)}        {check_block(a)}
    }}"""
        for a in servers
    )
    return f"""global_defs {{
    router_id checkchild
{global_extra}}}
virtual_server 192.0.2.100 80 {{
    delay_loop 0.5
    lb_algo rr
    lb_kind NAT
    protocol TCP
{vs_extra}{blocks}
}}
"""


@dataclass
class Setup:
    lab: Lab
    workdir: Path
    lb: Namespace
    rs: Namespace
    listeners: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def conf(self) -> Path:
        return self.workdir / "k.conf"

    @property
    def pid_file(self) -> Path:
        return self.workdir / "k.pid"

    @property
    def vrrp_pid_file(self) -> Path:
        return self.workdir / "k_vrrp.pid"

    @property
    def checkers_pid_file(self) -> Path:
        return self.workdir / "k_checkers.pid"

    def listen(self, address: str) -> None:
        if address == HTTP_SERVER:
            command = (
                sys.executable,
                "-m",
                "http.server",
                "--bind",
                address,
                "--directory",
                str(self.workdir),
                "80",
            )
        else:
            command = (sys.executable, "-c", LISTENER, address)
        self.listeners[address] = self.rs.popen(*command)

    def silence(self, address: str) -> None:
        self.lab.kill(self.listeners.pop(address), signal.SIGKILL)

    def start(self, *flags: str) -> None:
        self.starts += 1
        self.proc = self.lb.popen(
            sys.executable, "-m", "alived", "-n", "-l", *flags,
            "-f", str(self.conf), "-p", str(self.pid_file), "-r", str(self.vrrp_pid_file),
            "-c", str(self.checkers_pid_file),
            log=self.workdir / f"alived.{self.starts}.log",
            env={**os.environ, "PYTHONUNBUFFERED": "1", "TMPDIR": str(self.workdir)},
        )  # fmt: skip

    def log_text(self) -> str:
        return "".join(
            (self.workdir / f"alived.{i}.log").read_text(errors="replace") for i in range(1, self.starts + 1)
        )

    def wait_log(self, text: str, timeout: float = 30.0) -> None:
        wait_for(lambda: text in self.log_text(), timeout=timeout, what=f"the log to say {text!r}")

    def health(self) -> dict[str, str]:
        """Real server -> UP/DOWN, as `alivectl status --checkers --json` reports it."""
        out = subprocess.run(
            [ALIVECTL, "status", "--checkers", "--json", "--checkers-pid-file", str(self.checkers_pid_file)],
            capture_output=True, text=True, timeout=20, check=False,
        )  # fmt: skip
        if out.returncode != 0:
            return {}
        (vs,) = json.loads(out.stdout)["virtual_servers"]
        assert vs["name"] == VS
        return {rs["name"]: rs["health"] for rs in vs["real_servers"]}


@pytest.fixture
def setup(lab: Lab, tmp_path: Path) -> Iterator[Setup]:
    lb, rs = lab.netns("lb"), lab.netns("rs")
    lab.veth(lb, "eth0", rs, "eth0")
    lb.ip("addr", "add", "192.0.2.1/24", "dev", "eth0")
    for address in SERVERS:
        rs.ip("addr", "add", f"{address}/24", "dev", "eth0")
    s = Setup(lab=lab, workdir=tmp_path, lb=lb, rs=rs)
    for address in SERVERS:
        s.listen(address)
    s.conf.write_text(config())
    yield s
    if s.proc is not None:
        lab.kill(s.proc)


def test_a_killed_server_leaves_the_pool_and_returns(setup: Setup) -> None:
    s = setup
    s.conf.write_text(config(notify_dir=s.workdir))
    s.start("-C")
    all_up = {rs_name(a): "UP" for a in SERVERS}
    for a in SERVERS:  # non-alpha servers start in the pool: wait for their first check
        s.wait_log(success_line(a))
    assert s.health() == all_up

    s.silence("192.0.2.22")
    s.wait_log(f"Removing service {rs_name('192.0.2.22')} from VS {VS}")
    assert f"TCP_CHECK on service {rs_name('192.0.2.22')} failed after 1 retries." in s.log_text()
    assert s.health() == {**all_up, rs_name("192.0.2.22"): "DOWN"}
    table = subprocess.run(
        [ALIVECTL, "status", "--checkers", "--checkers-pid-file", str(s.checkers_pid_file)],
        capture_output=True, text=True, timeout=20, check=True,
    ).stdout  # fmt: skip
    row = next(line.split() for line in table.splitlines() if rs_name("192.0.2.22") in line)
    assert row[2] == "DOWN" and "refused" in table
    wait_for((s.workdir / "192.0.2.22.down").exists, what="notify_down of the killed server")
    assert not (s.workdir / "192.0.2.21.down").exists()

    # The JSON signal (through the parent) dumps the same document to $TMPDIR.
    assert s.proc is not None
    os.kill(s.proc.pid, signal.SIGRTMIN + 2)
    dump = s.workdir / "keepalived_check.json"
    wait_for(dump.exists, what="keepalived_check.json")
    (dumped,) = json.loads(dump.read_text())["virtual_servers"]
    assert {rs["name"]: rs["health"] for rs in dumped["real_servers"]}[rs_name("192.0.2.22")] == "DOWN"

    s.listen("192.0.2.22")
    s.wait_log(f"Adding service {rs_name('192.0.2.22')} to VS {VS}")
    wait_for(lambda: s.health() == all_up, what="the server back up")
    wait_for((s.workdir / "192.0.2.22.up").exists, what="notify_up of the returning server")

    s.silence(HTTP_SERVER)
    s.wait_log(f"Removing service {rs_name(HTTP_SERVER)} from VS {VS}")
    assert f"HTTP_CHECK on service {rs_name(HTTP_SERVER)} failed after 1 retries." in s.log_text()
    s.listen(HTTP_SERVER)
    s.wait_log(f"Adding service {rs_name(HTTP_SERVER)} to VS {VS}")

    assert s.proc is not None
    s.lab.kill(s.proc)
    assert s.proc.returncode == 0
    assert f"Shutting down service {rs_name('192.0.2.21')} from VS {VS}" in s.log_text()
    assert not s.checkers_pid_file.exists() and not s.pid_file.exists()


def test_checker_child_has_its_own_pid_file_and_is_respawned(setup: Setup) -> None:
    from alived.daemon.supervisor import PING_INTERVAL

    s = setup
    s.start("-C")
    wait_for(s.checkers_pid_file.exists, what="the checkers pid file")
    child = read_pid(str(s.checkers_pid_file))
    assert s.proc is not None and child is not None
    ps = subprocess.run(
        ["ps", "-o", "ppid=,args=", "-p", str(child)], capture_output=True, text=True, check=True
    )
    ppid = ps.stdout.split()[0]
    cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
    # Forked from the parent as keepalived's children are: its own process, the parent's command line.
    assert int(ppid) == s.proc.pid and child != s.proc.pid
    assert cmdline == Path(f"/proc/{s.proc.pid}/cmdline").read_bytes()
    assert not s.vrrp_pid_file.exists()  # -C: the checker child alone
    s.wait_log(f"Starting Healthcheck child process, pid={child}")

    os.kill(child, signal.SIGKILL)
    s.wait_log(f"Healthcheck child process({child}) died: Respawning")
    wait_for(lambda: read_pid(str(s.checkers_pid_file)) not in (None, child), what="a new checker child")
    all_up = {rs_name(a): "UP" for a in SERVERS}
    wait_for(lambda: s.health() == all_up, timeout=40, what="the new child checking")

    # A checker child that stops answering (stopped here) is killed and restarted.
    second = read_pid(str(s.checkers_pid_file))
    assert second is not None
    time.sleep(PING_INTERVAL + 0.5)  # the supervisor has heard the child at least once
    os.kill(second, signal.SIGSTOP)
    # Bound past the supervisor's start-up grace (30 s) and three failed pings, in case the
    # sleep above was too short for its first ping on a loaded host.
    s.wait_log(f"Healthcheck child process({second}) is not responding: killing it", timeout=90)
    wait_for(lambda: read_pid(str(s.checkers_pid_file)) not in (None, second), what="a third child")

    def answers() -> bool:
        try:
            return query(socket_path(str(s.checkers_pid_file)), "ping") == "pong\n"
        except OSError:
            return False

    wait_for(answers, what="the third child's status socket")


def test_vrrp_only_leaves_the_checker_out_and_both_run_by_default(setup: Setup) -> None:
    s = setup
    s.conf.write_text(
        config()
        + """
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority 150
    advert_int 0.5
    virtual_ipaddress {
        192.0.2.100/24
    }
}
"""
    )
    s.start("-P")
    wait_for(s.vrrp_pid_file.exists, what="the VRRP pid file")
    wait_for(lambda: s.lb.has_address("eth0", "192.0.2.100"), timeout=40, what="the VIP")
    assert not s.checkers_pid_file.exists()
    assert s.proc is not None
    s.lab.kill(s.proc)

    s.start()
    wait_for(
        lambda: s.vrrp_pid_file.exists() and s.checkers_pid_file.exists(), what="both children's pid files"
    )
    all_up = {rs_name(a): "UP" for a in SERVERS}
    wait_for(lambda: s.health() == all_up, timeout=40, what="every real server up")
    assert "Starting VRRP child process" in s.log_text()


def test_ha_suspend_waits_for_the_virtual_address(setup: Setup) -> None:
    s = setup
    s.conf.write_text(config(vs_extra="    ha_suspend\n"))
    s.start("-C")
    s.wait_log(f"Deactivating healthchecker for service {rs_name('192.0.2.21')} for VS {VS}")
    time.sleep(2)  # four delay_loops: a suspended checker runs no attempt
    assert "TCP connection to" not in s.log_text()
    s.lb.ip("addr", "add", "192.0.2.100/24", "dev", "eth0")
    s.wait_log(f"Activating healthchecker for service {rs_name('192.0.2.21')} for VS {VS}")
    s.wait_log(success_line("192.0.2.21"))


def test_reload_keeps_the_state_of_unchanged_servers(setup: Setup) -> None:
    s = setup
    s.start("-C")
    s.silence("192.0.2.22")
    s.wait_log(f"Removing service {rs_name('192.0.2.22')} from VS {VS}")
    # A fourth server (with no listener) joins; the others are unchanged.
    s.rs.ip("addr", "add", "192.0.2.24/24", "dev", "eth0")
    s.conf.write_text(config((*SERVERS, "192.0.2.24")))
    assert s.proc is not None
    os.kill(s.proc.pid, signal.SIGHUP)
    s.wait_log(f"Removing service {rs_name('192.0.2.24')} from VS {VS}")
    health = s.health()
    assert health[rs_name("192.0.2.22")] == "DOWN"  # kept, not re-added by the reload
    assert health[rs_name("192.0.2.21")] == "UP"
    assert s.log_text().count(f"Removing service {rs_name('192.0.2.22')}") == 1


def test_smtp_alert_mails_a_killed_server_and_the_lost_quorum(setup: Setup) -> None:
    s = setup
    s.rs.ip("addr", "add", "192.0.2.25/24", "dev", "eth0")
    outbox = s.workdir / "mails.jsonl"
    sink = s.rs.popen(sys.executable, "-c", SINK, "192.0.2.25", "2525", str(outbox))
    try:
        mail_globals = (
            "    notification_email {\n        ops@example.com\n    }\n"
            "    notification_email_from lb@example.com\n"
            "    smtp_server 192.0.2.25 2525\n"
            "    smtp_connect_timeout 5\n"
        )
        # The real servers mail by default (keepalived's backward compatibility); the virtual
        # server only because it says so.
        s.conf.write_text(config(vs_extra="    quorum 3\n    smtp_alert\n", global_extra=mail_globals))
        s.start("-C")
        for a in SERVERS:
            s.wait_log(success_line(a))
        s.silence("192.0.2.22")
        s.wait_log(f"Removing service {rs_name('192.0.2.22')} from VS {VS}")

        def subjects() -> list[tuple[str, str]]:
            out = []
            for m in mails(outbox):
                lines = str(m["data"]).splitlines()
                subject = next(x for x in lines if x.startswith("Subject: "))[9:]
                out.append((subject, lines[lines.index("") + 1]))
            return out

        down = (
            f"[checkchild] Realserver {rs_name('192.0.2.22')} of virtual server {VS} - DOWN",
            "=> TCP CHECK failed on service <=",
        )
        lost = (f"[checkchild] Virtualserver {VS} - DOWN", "=> Lost quorum 3+0=3 <= 2 <=")
        wait_for(lambda: down in subjects() and lost in subjects(), what="the DOWN and lost-quorum mails")
        got = subjects()
        assert (f"[checkchild] Virtualserver {VS} - UP", "=> Starting with quorum up 3+0=3 <= 3 <=") in got
        assert len(got) == 3, got  # the servers that passed and stayed up mailed nothing
        assert mails(outbox)[0]["to"] == ["ops@example.com"]
    finally:
        s.lab.kill(sink)
