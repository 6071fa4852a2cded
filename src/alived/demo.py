"""The README's first command: a live VRRP cluster, then a load-balancing director pair, in namespaces.

`make demo` (python -m alived.demo, as root) builds three nodes and a client on one
Ethernet segment (192.0.2.0/24, a bridge in its own namespace: no host interface is
touched), runs a small web server and alived on each node (priorities 150/100/50, VIP
192.0.2.100), then shows from the client who answers on the VIP while it kills the master,
measures the failover, brings the master back (preemption) and stops it gracefully
(priority 0). Then (demo_lb.py) two alived directors balance client traffic over three web
servers through a VIP, take a failed web server out of the pool and back, and fail over.
Everything it created is removed at the end, also on Ctrl-C or failure.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from types import FrameType

VIP = "192.0.2.100"
PORT = 8080
NODES = (("node-a", 150, "192.0.2.11"), ("node-b", 100, "192.0.2.12"), ("node-c", 50, "192.0.2.13"))
CLIENT_IP = "192.0.2.200"

# Runs in the client namespace: polls the VIP and prints "<monotonic seconds> <answer>" on each change.
POLLER = """
import sys, time, urllib.request
url = sys.argv[1]
last = None
while True:
    try:
        with urllib.request.urlopen(url, timeout=0.25) as r:
            answer = r.read().decode().strip()
    except Exception as e:
        answer = "no-answer(" + type(e).__name__ + ")"
    if answer != last:
        print(f"{time.monotonic():.6f} {answer}", flush=True)
        last = answer
    time.sleep(0.01)
"""


def sh(*cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(list(cmd), capture_output=True, text=True, timeout=30, check=False)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} -> rc {proc.returncode}: {proc.stderr.strip()}")
    return proc


@dataclass
class Netns:
    """One network namespace and the processes started in it."""

    name: str
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def ip(self, *args: str) -> str:
        return sh("ip", "-n", self.name, *args).stdout

    def run(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return sh("ip", "netns", "exec", self.name, *cmd, check=check)

    def start(self, *cmd: str, log: Path, stdout_pipe: bool = False) -> subprocess.Popen[bytes]:
        out = open(log, "wb")  # noqa: SIM115 - handed to the child; closed below
        proc = subprocess.Popen(
            ["ip", "netns", "exec", self.name, *cmd],
            stdout=subprocess.PIPE if stdout_pipe else out,
            stderr=out,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        out.close()
        self.procs.append(proc)
        return proc

    def has_address(self, address: str, dev: str = "eth0") -> bool:
        return f" {address}/" in self.ip("-o", "addr", "show", "dev", dev)


def kill(proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
    """Signal a process we started (its whole session, by pid) and reap it."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


class Cluster:
    """The namespaces of the demo; `close()` removes every one of them and what runs inside."""

    def __init__(self, workdir: Path) -> None:
        self.tag = uuid.uuid4().hex[:6]
        self.workdir = workdir
        self.namespaces: list[Netns] = []

    def netns(self, role: str) -> Netns:
        ns = Netns(f"alived-demo-{role}-{self.tag}")
        sh("ip", "netns", "add", ns.name)
        self.namespaces.append(ns)
        ns.ip("link", "set", "lo", "up")
        return ns

    def lan(self, hosts: Sequence[tuple[Netns, str]], dev: str = "eth0", role: str = "switch") -> None:
        """A bridge in its own namespace and one veth per host (link `dev`), with the host's address."""
        sw = self.netns(role)
        n = len(self.namespaces)  # keeps the veth names of two LANs apart
        sw.ip("link", "add", "br0", "type", "bridge", "stp_state", "0", "forward_delay", "0")
        sw.ip("link", "set", "br0", "type", "bridge", "mcast_snooping", "0")
        sw.ip("link", "set", "br0", "up")
        for i, (host, address) in enumerate(hosts):
            a, b = f"dv{self.tag}{n}x{i}a", f"dv{self.tag}{n}x{i}b"
            sh("ip", "link", "add", a, "type", "veth", "peer", "name", b)
            sh("ip", "link", "set", a, "netns", sw.name, "name", f"p{i}")
            sh("ip", "link", "set", b, "netns", host.name, "name", dev)
            sw.ip("link", "set", f"p{i}", "master", "br0")
            sw.ip("link", "set", f"p{i}", "up")
            host.ip("addr", "add", f"{address}/24", "dev", dev)
            host.ip("link", "set", dev, "up")

    def close(self) -> None:
        for ns in reversed(self.namespaces):
            for proc in ns.procs:
                with contextlib.suppress(Exception):
                    kill(proc)
                if proc.stdout is not None:
                    proc.stdout.close()
            # Anything still inside (a daemon's child, a notify script) is killed by pid.
            for pid in sh("ip", "netns", "pids", ns.name, check=False).stdout.split():
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), signal.SIGKILL)
            sh("ip", "netns", "del", ns.name, check=False)
        self.namespaces.clear()


def keepalived_conf(name: str, priority: int, advert_int: Fraction, version: int) -> str:
    interval = f"{float(advert_int):g}"
    return f"""global_defs {{
  router_id {name}
  vrrp_version {version}
}}

vrrp_instance VI_1 {{
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority {priority}
  advert_int {interval}
  virtual_ipaddress {{
    {VIP}/24
  }}
}}
"""


def master_down_interval(priority: int, advert_int: Fraction, version: int) -> Fraction:
    skew = Fraction(256 - priority, 256) * (advert_int if version == 3 else 1)
    return 3 * advert_int + skew


@dataclass
class Node:
    name: str
    priority: int
    address: str
    ns: Netns
    workdir: Path
    daemon: subprocess.Popen[bytes] | None = None
    web: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def start(self) -> None:
        self.starts += 1
        site = self.workdir / self.name
        site.mkdir(exist_ok=True)
        (site / "index.html").write_text(f"{self.name}\n")
        self.web = self.ns.start(
            sys.executable, "-m", "http.server", str(PORT), "--bind", "0.0.0.0", "--directory", str(site),
            log=self.workdir / f"{self.name}-web.log",
        )  # fmt: skip
        self.daemon = self.ns.start(
            sys.executable, "-m", "alived", "-n", "-l", "-D",
            "-f", str(self.workdir / f"{self.name}.conf"),
            "-p", str(self.workdir / f"{self.name}.pid"),
            "-r", str(self.workdir / f"{self.name}-vrrp.pid"),
            log=self.workdir / f"{self.name}-alived.{self.starts}.log",
        )  # fmt: skip

    def holds_vip(self) -> bool:
        return self.ns.has_address(VIP)


class Poller:
    """Reads the client's answer changes; `wait_for(answer)` returns when the VIP answers so."""

    def __init__(self, client: Netns, workdir: Path) -> None:
        self.proc = client.start(
            sys.executable,
            "-c",
            POLLER,
            f"http://{VIP}:{PORT}/",
            log=workdir / "poller.err",
            stdout_pipe=True,
        )
        assert self.proc.stdout is not None
        os.set_blocking(self.proc.stdout.fileno(), False)
        self._buffer = b""
        self.current = ""
        self.changed_at = 0.0

    def _read(self) -> None:
        assert self.proc.stdout is not None
        with contextlib.suppress(BlockingIOError, TypeError):
            chunk = self.proc.stdout.read()
            if chunk:
                self._buffer += chunk
        *complete, self._buffer = self._buffer.split(b"\n")
        for line in complete:
            stamp, _, answer = line.decode().partition(" ")
            self.current, self.changed_at = answer, float(stamp)

    def wait_for(self, answer: str, timeout: float = 30.0) -> float:
        """Block until the client gets `answer`; the monotonic time it first did."""
        deadline = time.monotonic() + timeout
        while True:
            self._read()
            if self.current == answer:
                return self.changed_at
            if time.monotonic() > deadline:
                raise TimeoutError(f"the VIP still answers {self.current!r}, expected {answer!r}")
            time.sleep(0.02)


def say(text: str = "") -> None:
    print(text, flush=True)


def wait_until(predicate: object, timeout: float, what: str) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.05)


def run_demo(workdir: Path, advert_int: Fraction, version: int) -> None:
    cluster = Cluster(workdir)
    try:
        say(f"== alived demo: 3 nodes + 1 client on 192.0.2.0/24, VIP {VIP}, VRRPv{version}, "
            f"advert_int {float(advert_int):g}s ==")  # fmt: skip
        nodes = [Node(n, p, a, cluster.netns(n), workdir) for n, p, a in NODES]
        client = cluster.netns("client")
        cluster.lan([*((node.ns, node.address) for node in nodes), (client, CLIENT_IP)])
        for node in nodes:
            (workdir / f"{node.name}.conf").write_text(
                keepalived_conf(node.name, node.priority, advert_int, version)
            )
            node.start()
            say(f"  started alived on {node.name} ({node.address}), priority {node.priority}")
        a, b, _ = nodes
        poller = Poller(client, workdir)

        started = time.monotonic()
        poller.wait_for(a.name, timeout=30)
        owners = [n.name for n in nodes if n.holds_vip()]
        say(f"\n1. Election: {a.name} is MASTER after {time.monotonic() - started:.2f}s "
            f"(VIP on {', '.join(owners)}); GET http://{VIP}:{PORT}/ -> {poller.current}")  # fmt: skip

        say(f"\n2. Crash: SIGKILL to {a.name}'s alived and web server (no goodbye advert) ...")
        assert a.daemon is not None and a.web is not None
        killed = time.monotonic()
        kill(a.daemon)
        kill(a.web)
        answered = poller.wait_for(b.name, timeout=30)
        bound = master_down_interval(b.priority, advert_int, version)
        say(f"   {b.name} answers on the VIP {answered - killed:.3f}s after the crash "
            f"(protocol bound: master_down_interval = {float(bound):.3f}s "
            f"for priority {b.priority})")  # fmt: skip

        say(f"\n3. Recovery: {a.name} comes back with priority {a.priority} and preempts ...")
        back = time.monotonic()
        a.start()
        answered = poller.wait_for(a.name, timeout=30)
        say(f"   {a.name} answers again {answered - back:.3f}s after its restart "
            "(includes starting Python and one master_down_interval)")  # fmt: skip

        say(f"\n4. Graceful stop: SIGTERM to {a.name} (it sends a priority-0 advert) ...")
        stopped = time.monotonic()
        kill(a.daemon, signal.SIGTERM)
        answered = poller.wait_for(b.name, timeout=30)
        say(f"   {b.name} answers {answered - stopped:.3f}s after the stop "
            f"(priority 0 lets the backup take over after skew_time, not master_down_interval)")  # fmt: skip
        wait_until(lambda: not a.holds_vip(), 10, f"{a.name} to release the VIP")
        say(f"   {a.name} released the VIP; owners now: {[n.name for n in nodes if n.holds_vip()]}")
        from alived.demo_lb import run_lb_demo  # noqa: PLC0415 - demo_lb builds on this module

        run_lb_demo(cluster, workdir, advert_int, version)
        say("\nDemo complete: cleaning up namespaces and processes.")
    finally:
        cluster.close()


@contextlib.contextmanager
def interrupts_raise() -> Iterator[None]:
    """SIGTERM and SIGHUP behave like Ctrl-C, so the cleanup in `finally` always runs."""

    def handler(signum: int, frame: FrameType | None) -> None:
        del frame
        raise KeyboardInterrupt(signal.Signals(signum).name)

    old = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m alived.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--advert-int", default="1", help="advert_int in seconds (default 1, keepalived's)")
    parser.add_argument("--version", type=int, choices=(2, 3), default=None, help="VRRP version (default 2)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory with the logs")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("alived demo: needs root (it creates network namespaces)", file=sys.stderr)
        return 1
    advert_int = Fraction(args.advert_int)
    version = args.version or (2 if advert_int.denominator == 1 else 3)
    workdir = Path(tempfile.mkdtemp(prefix="alived-demo-"))
    try:
        with interrupts_raise():
            run_demo(workdir, advert_int, version)
    except KeyboardInterrupt:
        print("\nalived demo: interrupted; everything was cleaned up", file=sys.stderr)
        return 130
    except Exception as err:
        print(f"\nalived demo failed: {err} (logs in {workdir})", file=sys.stderr)
        args.keep = True
        return 1
    finally:
        if args.keep:
            print(f"logs kept in {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
