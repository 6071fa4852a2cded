"""Real-kernel test topologies: uniquely named network namespaces joined by veth and bridges.

Every namespace, link and process made here is removed by `close()`, which the pytest
fixtures call even when the test fails. Processes are killed by PID, never by name.
Addresses are from the documentation ranges only (192.0.2.0/24, 198.51.100.0/24,
203.0.113.0/24, 2001:db8::/32).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path


def run(cmd: Sequence[str], *, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """Run a host command and return its output; raise with stderr on failure."""
    proc = subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout, check=False)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} -> rc {proc.returncode}: {proc.stderr.strip()}")
    return proc


def unique(prefix: str) -> str:
    """A short unique name (interface names are limited to 15 characters)."""
    return f"{prefix}{uuid.uuid4().hex[:6]}"


@dataclass
class Namespace:
    """One network namespace; `exec`/`popen` run commands inside it."""

    name: str
    lab: Lab

    def exec(self, *cmd: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        return run(["ip", "netns", "exec", self.name, *cmd], check=check, timeout=timeout)

    def ip(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run(["ip", "-n", self.name, *args], check=check)

    def popen(
        self, *cmd: str, log: Path | None = None, env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        """Start a long-running process inside the namespace; the lab kills it on close."""
        out = open(log, "wb") if log is not None else None  # noqa: SIM115
        try:
            proc = subprocess.Popen(
                ["ip", "netns", "exec", self.name, *cmd],
                stdout=out if out is not None else subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        finally:
            # The child holds its own copy of the descriptor.
            if out is not None:
                out.close()
        self.lab.processes.append(proc)
        return proc

    def addresses(self, dev: str) -> str:
        return self.ip("-o", "addr", "show", "dev", dev).stdout

    def has_address(self, dev: str, address: str) -> bool:
        return any(f" {address}/" in line for line in self.addresses(dev).splitlines())

    def sysctl(self, key: str, value: str) -> None:
        self.exec("sysctl", "-qw", f"{key}={value}")

    def netlink_listening(self, pid: int) -> bool:
        """Whether process `pid` (e.g. `ip monitor`) has joined a route netlink group in this
        namespace: from then on it misses no event; before, its output proves nothing."""
        for row in self.exec("cat", "/proc/net/netlink").stdout.splitlines()[1:]:
            fields = row.split()  # sk Eth Pid Groups ...
            if len(fields) > 3 and fields[1] == "0" and fields[2] == str(pid) and int(fields[3], 16):
                return True
        return False

    def holds_open(self, path: Path) -> bool:
        """Whether a process in this namespace has `path` open: a writer not done with it yet."""
        target = os.path.realpath(path)  # as the kernel names an open file
        for pid in run(["ip", "netns", "pids", self.name], check=False).stdout.split():
            with contextlib.suppress(OSError):  # the process may be gone meanwhile
                for fd in (Path("/proc") / pid / "fd").iterdir():
                    with contextlib.suppress(OSError):
                        if os.readlink(fd) == target:
                            return True
        return False


@dataclass
class Lab:
    """A set of namespaces and links owned by one test."""

    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    namespaces: list[Namespace] = field(default_factory=list)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def netns(self, role: str) -> Namespace:
        name = f"alived-{role}-{self.tag}"
        run(["ip", "netns", "add", name])
        ns = Namespace(name, self)
        self.namespaces.append(ns)
        ns.ip("link", "set", "lo", "up")
        ns.sysctl("net.ipv6.conf.all.accept_dad", "0")
        ns.sysctl("net.ipv6.conf.default.accept_dad", "0")
        return ns

    def veth(self, a: Namespace, a_dev: str, b: Namespace, b_dev: str) -> None:
        """A veth pair with one end in each namespace, both up."""
        tmp_a, tmp_b = unique("va"), unique("vb")
        run(["ip", "link", "add", tmp_a, "type", "veth", "peer", "name", tmp_b])
        run(["ip", "link", "set", tmp_a, "netns", a.name, "name", a_dev])
        run(["ip", "link", "set", tmp_b, "netns", b.name, "name", b_dev])
        a.ip("link", "set", a_dev, "up")
        b.ip("link", "set", b_dev, "up")

    def lan(self, hosts: Sequence[Namespace], dev: str = "eth0") -> Namespace:
        """Join hosts on one Ethernet segment: a bridge in its own namespace, a veth per host."""
        sw = self.netns("sw")
        sw.ip("link", "add", "br0", "type", "bridge", "stp_state", "0", "forward_delay", "0")
        # Multicast snooping would drop VRRP until a querier exists; a plain hub is what we want.
        sw.ip("link", "set", "br0", "type", "bridge", "mcast_snooping", "0")
        sw.ip("link", "set", "br0", "up")
        for i, host in enumerate(hosts):
            port = f"p{i}"
            self.veth(sw, port, host, dev)
            sw.ip("link", "set", port, "master", "br0")
        return sw

    def kill(self, proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, wait: float = 10) -> int | None:
        """Signal a process we started (its whole session) and reap it."""
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        return proc.returncode

    def close(self) -> None:
        for proc in reversed(self.processes):
            with contextlib.suppress(ProcessLookupError, subprocess.TimeoutExpired):
                self.kill(proc, signal.SIGKILL, wait=5)
        self.processes.clear()
        for ns in reversed(self.namespaces):
            # Any process still inside (e.g. a daemon that forked) is killed by its PID.
            pids = run(["ip", "netns", "pids", ns.name], check=False).stdout.split()
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), signal.SIGKILL)
            run(["ip", "netns", "del", ns.name], check=False)
        self.namespaces.clear()


def wait_for(predicate: object, timeout: float = 30.0, interval: float = 0.05, what: str = "") -> None:
    """Poll a condition on the real system (netns tier only); raise AssertionError on timeout."""
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        time.sleep(interval)
