"""The whole daemon against the real kernel: alived processes electing, failing over and notifying.

Each test builds a LAN of namespaces (the `lab` fixture removes everything), starts real
`python -m alived -n -l -D` processes and checks what the kernel and the scripts see.
Most tests run VRRPv3 with a 0.2 s advert interval so convergence takes well under a second.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers.netns import Lab, Namespace, wait_for

pytestmark = pytest.mark.netns

VIP = "192.0.2.100"


def instance(
    prio: int,
    *,
    name: str = "VI_1",
    vrid: int = 51,
    vips: tuple[str, ...] = (f"{VIP}/24",),
    advert_int: str = "0.2",
    extra: str = "",
    interface: str = "eth0",
) -> str:
    body = "\n".join(f"    {v}" for v in vips)
    return f"""
vrrp_instance {name} {{
  state BACKUP
  interface {interface}
  virtual_router_id {vrid}
  priority {prio}
  advert_int {advert_int}
{extra}
  virtual_ipaddress {{
{body}
  }}
}}
"""


def conf(*instances: str, version: int = 3, global_extra: str = "") -> str:
    return f"global_defs {{\n  vrrp_version {version}\n{global_extra}}}\n" + "".join(instances)


@dataclass
class Node:
    """One alived daemon in one namespace, restartable with its config file."""

    ns: Namespace
    lab: Lab
    workdir: Path
    name: str
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def conf(self) -> Path:
        return self.workdir / f"{self.name}.conf"

    @property
    def pid_file(self) -> Path:
        return self.workdir / f"{self.name}.pid"

    @property
    def vrrp_pid_file(self) -> Path:
        return self.workdir / f"{self.name}_vrrp.pid"

    @property
    def log(self) -> Path:
        return self.workdir / f"{self.name}.{self.starts}.log"

    def write(self, text: str) -> None:
        self.conf.write_text(text)

    def start(self, *flags: str) -> None:
        self.starts += 1
        self.proc = self.ns.popen(
            sys.executable,
            "-m",
            "alived",
            "-n",
            "-l",
            "-D",
            *flags,
            "-f",
            str(self.conf),
            "-p",
            str(self.pid_file),
            "-r",
            str(self.vrrp_pid_file),
            log=self.log,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "TMPDIR": str(self.workdir)},
        )

    def send(self, sig: int) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, sig)

    def stop(self, sig: int = signal.SIGTERM) -> int | None:
        assert self.proc is not None
        return self.lab.kill(self.proc, sig)

    def log_text(self) -> str:
        return "".join(
            (self.workdir / f"{self.name}.{i}.log").read_text(errors="replace")
            for i in range(1, self.starts + 1)
        )

    def has(self, address: str = VIP, dev: str = "eth0") -> bool:
        return self.ns.has_address(dev, address)

    def wait_log(self, text: str, timeout: float = 30.0) -> None:
        wait_for(lambda: text in self.log_text(), timeout=timeout, what=f"{self.name} to log {text!r}")


def make_nodes(lab: Lab, tmp_path: Path, count: int = 2) -> list[Node]:
    hosts = [lab.netns(chr(ord("a") + i)) for i in range(count)]
    lab.lan(hosts)
    nodes = []
    for i, ns in enumerate(hosts):
        ns.ip("addr", "add", f"192.0.2.{i + 1}/24", "dev", "eth0")
        nodes.append(Node(ns=ns, lab=lab, workdir=tmp_path, name=chr(ord("a") + i)))
    return nodes


def notify_script(tmp_path: Path, name: str) -> Path:
    out = tmp_path / f"{name}.notify"
    script = tmp_path / f"{name}-notify.sh"
    script.write_text(f'#!/bin/sh\necho "$@" >> {out}\n')
    script.chmod(0o755)
    return script


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def master_and_backup(a: Node, b: Node, timeout: float = 30.0) -> None:
    wait_for(lambda: a.has() and not b.has(), timeout=timeout, what=f"{a.name} master, {b.name} backup")


def listening(capture: Path) -> None:
    """tcpdump has its filter on the interface (it says so on stderr): from here it misses nothing."""
    wait_for(lambda: "listening on" in capture.read_text(errors="replace"), what="tcpdump to listen")


# ---------------------------------------------------------------------------------------------


def test_election_by_priority_notify_and_fifo(lab: Lab, tmp_path: Path) -> None:
    """VRRPv2, 1 s adverts: the higher priority wins; scripts and FIFO see keepalived's arguments."""
    a, b = make_nodes(lab, tmp_path)
    fifo = tmp_path / "a.fifo"
    for node, prio in ((a, 150), (b, 100)):
        script = notify_script(tmp_path, node.name)
        master = tmp_path / f"{node.name}-master.sh"
        master.write_text(f'#!/bin/sh\necho "master $#" >> {tmp_path / node.name}.master\n')
        master.chmod(0o755)
        extra = f'  notify "{script} extra-arg"\n  notify_master {master}\n'
        global_extra = f"  vrrp_notify_fifo {fifo}\n" if node is a else ""
        node.write(conf(instance(prio, advert_int="1", extra=extra), version=2, global_extra=global_extra))
    a.start()
    wait_for(fifo.exists, timeout=40, what="the FIFO")
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        # b starts once a is master: started together on a loaded machine, b's master-down timer
        # can expire before a's first advert, and b's notify would (rightly) say MASTER for a moment.
        a.wait_log("(VI_1) Entering MASTER STATE", timeout=40)
        b.start()
        master_and_backup(a, b, timeout=40)
        a.wait_log("(VI_1) Entering MASTER STATE")
        b.wait_log("(VI_1) Entering BACKUP STATE (init)")
        # The generic and the specific script of one transition run side by side: each is waited
        # for, as is the FIFO, a third channel.
        wait_for(lambda: len(lines(tmp_path / "a.notify")) >= 2, what="a's notify")
        assert lines(tmp_path / "a.notify") == [
            "extra-arg INSTANCE VI_1 BACKUP 150",
            "extra-arg INSTANCE VI_1 MASTER 150",
        ]
        # b's notify script runs after its log line: wait for it, as for a's above.
        wait_for(lambda: lines(tmp_path / "b.notify") != [], what="b's notify")
        assert lines(tmp_path / "b.notify") == ["extra-arg INSTANCE VI_1 BACKUP 100"]
        wait_for(lambda: lines(tmp_path / "a.master") != [], what="a's notify_master")
        assert lines(tmp_path / "a.master") == ["master 0"]  # specific scripts get no arguments
        fifo_text = b""

        def fifo_lines(count: int) -> bool:
            nonlocal fifo_text
            with contextlib.suppress(BlockingIOError):
                fifo_text += os.read(reader, 4096)
            return fifo_text.count(b"\n") >= count

        wait_for(lambda: fifo_lines(2), what="a's FIFO lines")
        assert fifo_text.decode() == 'INSTANCE "VI_1" BACKUP 150\nINSTANCE "VI_1" MASTER 150\n'
        assert a.stop() == 0
        wait_for(b.has, timeout=40, what="b takes over")
        wait_for(lambda: "STOP" in (tmp_path / "a.notify").read_text(), what="a's STOP notify")
        assert lines(tmp_path / "a.notify")[-1] == "extra-arg INSTANCE VI_1 STOP 150"
        wait_for(lambda: fifo_lines(3), what="a's STOP FIFO line")
        assert fifo_text.decode().splitlines()[2:] == ['INSTANCE "VI_1" STOP 150']
    finally:
        os.close(reader)
    wait_for(lambda: "MASTER" in (tmp_path / "b.notify").read_text(), what="b's MASTER notify")
    assert lines(tmp_path / "b.notify")[-1] == "extra-arg INSTANCE VI_1 MASTER 100"
    assert not a.pid_file.exists() and not a.vrrp_pid_file.exists()


def test_hard_failover_on_sigkill(lab: Lab, tmp_path: Path) -> None:
    a, b = make_nodes(lab, tmp_path)
    a.write(conf(instance(150)))
    b.write(conf(instance(100)))
    a.start()
    b.start()
    master_and_backup(a, b)
    a.stop(signal.SIGKILL)  # the whole session: parent and VRRP child, no priority-0 advert
    wait_for(b.has, timeout=40, what="b takes over after the master vanished")
    b.wait_log("(VI_1) Receive advertisement timeout")
    assert "Backup received priority 0 advertisement" not in b.log_text()


def test_graceful_stop_sends_priority_zero(lab: Lab, tmp_path: Path) -> None:
    a, b = make_nodes(lab, tmp_path)
    a.write(conf(instance(150, advert_int="1"), version=2))
    b.write(conf(instance(100, advert_int="1"), version=2))
    a.start()
    b.start()
    master_and_backup(a, b, timeout=40)
    assert a.stop(signal.SIGTERM) == 0
    assert not a.has()
    wait_for(b.has, timeout=40, what="b takes over")
    a.wait_log("(VI_1) sent 0 priority")
    b.wait_log("(VI_1) Backup received priority 0 advertisement")
    text = a.log_text()
    assert text.index("(VI_1) sent 0 priority") < text.rindex("(VI_1) removing VIPs.")


def test_preemption_and_nopreempt(lab: Lab, tmp_path: Path) -> None:
    a, b, c = make_nodes(lab, tmp_path, 3)
    # b (low) starts alone and becomes master; a (high) preempts it.
    a.write(conf(instance(150)))
    b.write(conf(instance(100)))
    b.start()
    wait_for(b.has, what="b master alone")
    a.start()
    master_and_backup(a, b)
    b.wait_log("(VI_1) Master received advert from 192.0.2.1 with higher priority 150, ours 100")
    a.stop()
    b.stop()
    # With nopreempt the running master keeps the role.
    a.write(conf(instance(150, extra="  nopreempt")))
    c.write(conf(instance(100, extra="  nopreempt")))
    c.start()
    wait_for(lambda: c.has(address=VIP), what="c master alone")
    a.start()
    a.wait_log("(VI_1) Entering BACKUP STATE (init)")
    time.sleep(1.5)  # several master-down intervals: a must still not take over
    assert c.has() and not a.has()


def test_fault_on_interface_down_and_recovery(lab: Lab, tmp_path: Path) -> None:
    a, b = make_nodes(lab, tmp_path)
    a.write(conf(instance(150)))
    b.write(conf(instance(100)))
    a.start()
    b.start()
    master_and_backup(a, b)
    a.ns.ip("link", "set", "eth0", "down")
    a.wait_log("(VI_1) Entering FAULT STATE")
    wait_for(b.has, timeout=40, what="b takes over")
    a.ns.ip("link", "set", "eth0", "up")
    a.wait_log("(VI_1) Entering BACKUP STATE")
    wait_for(lambda: a.has() and not b.has(), timeout=40, what="a preempts again")


def test_virtual_routes_only_on_master(lab: Lab, tmp_path: Path) -> None:
    a, b = make_nodes(lab, tmp_path)
    routes = "  virtual_routes {\n    198.51.100.0/24 via 192.0.2.254\n  }\n"
    a.write(conf(instance(150, extra=routes)))
    b.write(conf(instance(100, extra=routes)))
    a.start()
    b.start()
    master_and_backup(a, b)

    def has_route(node: Node) -> bool:
        return "198.51.100.0/24" in node.ns.ip("route", "show").stdout

    # Started together, b may have been master first: its route goes a moment after its VIP.
    wait_for(lambda: has_route(a) and not has_route(b), what="route on the master only")
    a.stop()
    wait_for(lambda: has_route(b), what="route moves with mastership")
    assert not has_route(a)


def test_ipv6_v3(lab: Lab, tmp_path: Path) -> None:
    a, b = make_nodes(lab, tmp_path)
    vips = ("2001:db8::100/64",)
    a.write(conf(instance(150, vips=vips)))
    b.write(conf(instance(100, vips=vips)))
    a.start()
    b.start()
    wait_for(lambda: a.has("2001:db8::100") and not b.has("2001:db8::100"), what="a IPv6 master")
    a.stop(signal.SIGKILL)
    wait_for(lambda: b.has("2001:db8::100"), timeout=40, what="b IPv6 master")


def test_unicast_peers(lab: Lab, tmp_path: Path) -> None:
    a, b = make_nodes(lab, tmp_path)
    for node, prio, me, peer in ((a, 150, "192.0.2.1", "192.0.2.2"), (b, 100, "192.0.2.2", "192.0.2.1")):
        extra = f"  unicast_src_ip {me}\n  unicast_peer {{\n    {peer}\n  }}\n"
        node.write(conf(instance(prio, extra=extra)))
    a.start()
    b.start()
    master_and_backup(a, b)
    a.wait_log("VRRP sockpool: [", timeout=40)
    assert "unicast" in a.log_text()
    capture = b.ns.exec(
        "timeout", "10", "tcpdump", "-n", "-i", "eth0", "-c", "2", "ip proto 112", check=False
    )
    assert "192.0.2.1 > 192.0.2.2: VRRP" in capture.stdout
    a.stop(signal.SIGKILL)
    wait_for(b.has, timeout=40, what="b takes over")


def test_use_vmac(lab: Lab, tmp_path: Path) -> None:
    a, b = make_nodes(lab, tmp_path)
    a.write(conf(instance(150, extra="  use_vmac")))
    b.write(conf(instance(100, extra="  use_vmac")))
    a.start()
    b.start()
    wait_for(lambda: a.ns.ip("link", "show", "vrrp.51", check=False).returncode == 0, what="VMAC created")
    assert "00:00:5e:00:01:33" in a.ns.ip("link", "show", "vrrp.51").stdout
    wait_for(lambda: a.has(dev="vrrp.51") and not b.has(dev="vrrp.51"), what="VIP on a's VMAC")
    a.stop()
    assert a.ns.ip("link", "show", "vrrp.51", check=False).returncode != 0  # removed at exit
    wait_for(lambda: b.has(dev="vrrp.51"), timeout=40, what="b takes over on its VMAC")


def test_gratuitous_arp_after_takeover(lab: Lab, tmp_path: Path) -> None:
    a, b = make_nodes(lab, tmp_path)
    a.write(conf(instance(150)))
    b.write(conf(instance(100)))
    b.start()
    b.wait_log("(VI_1) Entering BACKUP STATE (init)")
    capture = b.ns.popen(
        "timeout", "30", "tcpdump", "-l", "-n", "-i", "eth0", "-c", "1", "arp", log=tmp_path / "arp"
    )
    listening(tmp_path / "arp")
    a.start()
    master_and_backup(a, b)
    capture.wait(timeout=40)
    text = (tmp_path / "arp").read_text()
    assert re.search(rf"Request who-has {re.escape(VIP)} .*tell {re.escape(VIP)}", text), text


@pytest.mark.parametrize("where", ["global", "garp_group"])
def test_garp_interval_spaces_gratuitous_arps(lab: Lab, tmp_path: Path, where: str) -> None:
    """vrrp_garp_interval (or a garp_group for the interface) spaces the GARPs for 3 VIPs."""
    a, b = make_nodes(lab, tmp_path)
    vips = ("192.0.2.100/24", "192.0.2.101/24", "192.0.2.102/24")
    if where == "global":
        a.write(conf(instance(150, vips=vips), global_extra="  vrrp_garp_interval 0.3\n"))
    else:
        group = "garp_group {\n  garp_interval 0.3\n  interface eth0\n}\n"
        a.write(group + conf(instance(150, vips=vips)))
    capture = b.ns.popen(
        "timeout", "40", "tcpdump", "-l", "-n", "-tt", "-i", "eth0", "-c", "3", "arp", log=tmp_path / "arp"
    )
    listening(tmp_path / "arp")
    a.start()
    wait_for(a.has, what="a master")
    capture.wait(timeout=50)
    lines = [ln for ln in (tmp_path / "arp").read_text().splitlines() if "who-has" in ln]
    assert len(lines) == 3, lines
    stamps = [float(ln.split()[0]) for ln in lines]
    gaps = [later - earlier for earlier, later in itertools.pairwise(stamps)]
    # Unpaced, the three GARPs leave within a millisecond; paced, 0.3 s apart (capture jitter aside).
    assert all(gap >= 0.25 for gap in gaps), gaps


def test_fault_without_source_address_until_one_appears(lab: Lab, tmp_path: Path) -> None:
    ns = lab.netns("a")
    lab.lan([ns])
    a = Node(ns=ns, lab=lab, workdir=tmp_path, name="a")
    a.write(conf(instance(150)))
    a.start()
    a.wait_log("(VI_1) entering FAULT state (no IPv4 address for interface)")
    a.wait_log("(VI_1) entering FAULT state\n")  # keepalived 2.2.7: no "(init)" line then
    ns.ip("addr", "add", "192.0.2.1/24", "dev", "eth0")
    a.wait_log("(VI_1) source address 192.0.2.1 found: leaving FAULT")
    wait_for(a.has, what="a becomes master once it has an address")


def test_track_interface_weight(lab: Lab, tmp_path: Path) -> None:
    a, b = make_nodes(lab, tmp_path)
    # A tracked link whose carrier we control: t0 is up while its veth peer t1 is.
    a.ns.ip("link", "add", "t0", "type", "veth", "peer", "name", "t1")
    a.ns.ip("link", "set", "t0", "up")
    a.ns.ip("link", "set", "t1", "up")
    track = "  track_interface {\n    t0 weight -60\n  }\n"
    a.write(conf(instance(150, extra=track)))
    b.write(conf(instance(100)))
    a.start()
    b.start()
    master_and_backup(a, b)
    a.ns.ip("link", "set", "t1", "down")
    a.wait_log("(VI_1) Changing effective priority from 150 to 90")
    master_and_backup(b, a)
    a.ns.ip("link", "set", "t1", "up")
    master_and_backup(a, b)


@pytest.mark.parametrize("auth_type", ["PASS", "AH"])
def test_authentication(lab: Lab, tmp_path: Path, auth_type: str) -> None:
    a, b = make_nodes(lab, tmp_path)
    auth = f"  authentication {{\n    auth_type {auth_type}\n    auth_pass s3cret\n  }}\n"
    a.write(conf(instance(150, advert_int="1", extra=auth), version=2))
    b.write(conf(instance(100, advert_int="1", extra=auth), version=2))
    a.start()
    b.start()
    master_and_backup(a, b, timeout=40)
    proto = "ah" if auth_type == "AH" else "ip proto 112"
    capture = b.ns.exec("timeout", "10", "tcpdump", "-n", "-i", "eth0", "-c", "1", proto, check=False)
    assert "192.0.2.1 > 224.0.0.18" in capture.stdout
    a.stop(signal.SIGKILL)
    wait_for(b.has, timeout=40, what="b takes over")
    assert "invalid passwd" not in b.log_text()


def test_dont_release_vrrp_keeps_vips_at_exit(lab: Lab, tmp_path: Path) -> None:
    (a,) = make_nodes(lab, tmp_path, 1)
    a.write(conf(instance(150)))
    a.start("-V")
    wait_for(a.has, what="a master")
    assert a.stop() == 0
    assert a.has()


def test_static_addresses_and_routes(lab: Lab, tmp_path: Path) -> None:
    (a,) = make_nodes(lab, tmp_path, 1)
    static = (
        "static_ipaddress {\n  203.0.113.5/32 dev eth0\n}\n"
        "static_routes {\n  198.51.100.0/24 via 192.0.2.254 dev eth0\n}\n"
    )
    a.write(conf(instance(150)) + static)
    a.start()
    wait_for(lambda: a.has("203.0.113.5"), what="the static address")
    wait_for(
        lambda: "198.51.100.0/24 via 192.0.2.254" in a.ns.ip("route", "show").stdout, what="static route"
    )
    assert a.stop() == 0
    assert not a.has("203.0.113.5")
    assert "198.51.100.0/24" not in a.ns.ip("route", "show").stdout


def test_ipv6_unicast(lab: Lab, tmp_path: Path) -> None:
    a, b = make_nodes(lab, tmp_path)
    a.ns.ip("addr", "add", "2001:db8::1/64", "dev", "eth0")
    b.ns.ip("addr", "add", "2001:db8::2/64", "dev", "eth0")
    vips = ("2001:db8::100/64",)
    for node, prio, me, peer in (
        (a, 150, "2001:db8::1", "2001:db8::2"),
        (b, 100, "2001:db8::2", "2001:db8::1"),
    ):
        extra = f"  unicast_src_ip {me}\n  unicast_peer {{\n    {peer}\n  }}\n"
        node.write(conf(instance(prio, vips=vips, extra=extra)))
    a.start()
    b.start()
    wait_for(lambda: a.has("2001:db8::100") and not b.has("2001:db8::100"), what="a IPv6 unicast master")
    a.stop(signal.SIGKILL)
    wait_for(lambda: b.has("2001:db8::100"), timeout=40, what="b takes over")
