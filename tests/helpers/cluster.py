"""Two-or-more-node VRRP LANs for interop tests and benchmarks: alived, keepalived or FRR on each node.

A `Node` is one VRRP speaker in its own namespace that can be killed and started again with the
same configuration (each start logs to a new file; `log_text()` joins them). `keepalived_conf`
renders the keepalived.conf both alived and keepalived read. A node is master when this run
of the daemon last logged "Entering MASTER STATE" and the kernel holds the VIP on its interface;
for FRR, whose VIP lives permanently on its macvlan, `show vrrp json` says so.
"""

from __future__ import annotations

import re
import signal
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from tests.helpers.netns import Lab, Namespace, wait_for
from tests.helpers.peers import (
    FrrPeer,
    frr_vmac,
    restart_frr_vrrpd,
    start_alived,
    start_frr_vrrpd,
    start_keepalived,
)

# Lines either daemon writes when it rejects or doubts a peer's advert; none may appear in interop.
PACKET_ERROR = re.compile(
    r"invalid|mismatch|checksum|not present in advert|CONFIGURATION ERROR|wrong|malformed|bad |"
    r"unknown|truncated|too short|discard(?!ing)",
    re.IGNORECASE,
)
# vrrpd's lines (with `debug vrrp packets|protocol`) when it rejects or doubts an advert: parse
# failures, VRID/interval/owner checks, an address-count mismatch. Its "Discarding advertisement"
# is the normal preemption path, not an error.
FRR_PACKET_ERROR = re.compile(
    r"Datagram invalid|Datagram has \d+ addresses|this is a bug|Bad VRRP checksum|Failed to parse"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class InstanceSpec:
    """One vrrp_instance, in keepalived.conf words (advert_int in seconds)."""

    vrid: int
    priority: int
    vips: tuple[str, ...]
    name: str = "VI_1"
    version: int = 2
    advert_int: Fraction = Fraction(1)
    interface: str = "eth0"
    auth_type: str | None = None
    auth_pass: str = "s3cret"
    unicast_src_ip: str | None = None
    unicast_peers: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()

    def skew_time(self) -> Fraction:
        """RFC 3768/5798 Skew_Time in seconds (v2 ignores the interval, v3 scales by it)."""
        if self.version == 2:
            return Fraction(256 - self.priority, 256)
        return Fraction(256 - self.priority, 256) * self.advert_int

    def master_down_interval(self) -> Fraction:
        return 3 * self.advert_int + self.skew_time()


def _seconds(value: Fraction) -> str:
    return str(int(value)) if value.denominator == 1 else f"{float(value):g}"


def keepalived_conf(instances: Sequence[InstanceSpec]) -> str:
    """keepalived.conf text for `instances` (no scripts, so script security is moot but enabled)."""
    out = ["global_defs {", "    enable_script_security", "}"]
    for spec in instances:
        out += [
            f"vrrp_instance {spec.name} {{",
            f"    interface {spec.interface}",
            f"    virtual_router_id {spec.vrid}",
            f"    priority {spec.priority}",
            f"    version {spec.version}",
            f"    advert_int {_seconds(spec.advert_int)}",
        ]
        if spec.auth_type is not None:
            out += [
                "    authentication {",
                f"        auth_type {spec.auth_type}",
                f"        auth_pass {spec.auth_pass}",
                "    }",
            ]
        if spec.unicast_src_ip is not None:
            out.append(f"    unicast_src_ip {spec.unicast_src_ip}")
        if spec.unicast_peers:
            out += ["    unicast_peer {", *(f"        {p}" for p in spec.unicast_peers), "    }"]
        out += [f"    {line}" for line in spec.extra]
        out += ["    virtual_ipaddress {", *(f"        {v}" for v in spec.vips), "    }", "}"]
    return "\n".join(out) + "\n"


def frr_conf(spec: InstanceSpec, parent: str = "eth0", *, ipv6: bool = False) -> str:
    """vrrpd.conf for one FRR virtual router (FRR's interval is in milliseconds)."""
    vrid = spec.vrid
    cmd = "ipv6" if ipv6 else "ip"
    lines = [
        # Packet and protocol debugs make vrrpd log why it drops an advert (checked by the tests).
        "debug vrrp packets",
        "debug vrrp protocol",
        f"interface {parent}",
        f" vrrp {vrid} version {spec.version}",
        f" vrrp {vrid} priority {spec.priority}",
        f" vrrp {vrid} advertisement-interval {int(spec.advert_int * 1000)}",
        *(f" vrrp {vrid} {cmd} {vip.split('/')[0]}" for vip in spec.vips),
        "!",
    ]
    return "\n".join(lines) + "\n"


@dataclass
class Node:
    """One VRRP speaker (alived, keepalived or FRR) in `ns`, restartable with the same config."""

    kind: str
    ns: Namespace
    workdir: Path
    specs: tuple[InstanceSpec, ...]
    name: str = "node"
    proc: subprocess.Popen[bytes] | None = None
    frr: FrrPeer | None = None
    logs: list[Path] = field(default_factory=list)
    starts: int = 0

    @property
    def spec(self) -> InstanceSpec:
        return self.specs[0]

    def start(self) -> None:
        self.starts += 1
        tag = f"{self.name}{self.starts}"
        if self.kind == "keepalived":
            peer = start_keepalived(self.ns, keepalived_conf(self.specs), self.workdir, tag)
            self.proc = peer.proc
            self.logs.append(peer.log)
        elif self.kind == "alived":
            peer = start_alived(self.ns, keepalived_conf(self.specs), self.workdir, tag)
            self.proc = peer.proc
            self.logs.append(peer.log)
        elif self.kind == "frr":
            if self.frr is None:
                ipv6 = ":" in self.spec.vips[0]
                for s in self.specs:
                    for vip in s.vips:
                        frr_vmac(self.ns, s.interface, s.vrid, vip, ipv6=ipv6)
                self.frr = start_frr_vrrpd(self.ns, frr_conf(self.spec, ipv6=ipv6), self.workdir)
            else:
                self.frr = restart_frr_vrrpd(self.frr, self.workdir, tag)
            self.proc = self.frr.vrrpd
            self.logs.append(self.frr.vrrpd_log)
        else:
            raise ValueError(f"unknown node kind {self.kind!r}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Signal the daemon (for FRR: vrrpd only; zebra stays) and reap it."""
        assert self.proc is not None
        self.ns.lab.kill(self.proc, sig)
        self.proc = None

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def has_vip(self, spec: InstanceSpec | None = None) -> bool:
        spec = spec or self.spec
        return self.ns.has_address(spec.interface, spec.vips[0].split("/")[0])

    def state(self, spec: InstanceSpec | None = None) -> str:
        """The state this run of the daemon last logged for the instance ("" before any)."""
        spec = spec or self.spec
        if self.kind == "frr":
            assert self.frr is not None
            family = "v6" if ":" in spec.vips[0] else "v4"
            return self.frr.status(spec.vrid, family).upper()
        if not self.logs or not self.logs[-1].exists():
            return ""
        found = re.findall(rf"\({re.escape(spec.name)}\) Entering (\w+) STATE", self.logs[-1].read_text())
        return found[-1] if found else ""

    def is_master(self, spec: InstanceSpec | None = None) -> bool:
        """Master by its own account (log or FRR status) and, for alived/keepalived, holding the VIP."""
        spec = spec or self.spec
        if self.kind == "frr":
            return self.state(spec) == "MASTER"
        return self.running() and self.state(spec) == "MASTER" and self.has_vip(spec)

    def is_backup(self, spec: InstanceSpec | None = None) -> bool:
        """Backup by its own account and, for alived/keepalived, not holding the VIP."""
        spec = spec or self.spec
        if self.kind == "frr":
            return self.state(spec) == "BACKUP"
        return self.running() and self.state(spec) == "BACKUP" and not self.has_vip(spec)

    def log_text(self) -> str:
        return "".join(p.read_text(errors="replace") for p in self.logs if p.exists())

    def packet_errors(self) -> list[str]:
        """Log lines that show this daemon rejected or doubted an advert."""
        pattern = FRR_PACKET_ERROR if self.kind == "frr" else PACKET_ERROR
        return [line for line in self.log_text().splitlines() if pattern.search(line)]


@dataclass
class Lan:
    """Namespaces `hosts` on one bridge, host i numbered 192.0.2.(i+1) and 2001:db8::(i+1)."""

    lab: Lab
    hosts: list[Namespace]
    switch: Namespace

    def isolate(self, on: bool) -> None:
        """Partition every host from every other (bridge port isolation) without dropping carrier."""
        for i in range(len(self.hosts)):
            self.switch.exec("bridge", "link", "set", "dev", f"p{i}", "isolated", "on" if on else "off")

    def ipv4(self, i: int) -> str:
        return f"192.0.2.{i + 1}"

    def ipv6(self, i: int) -> str:
        return f"2001:db8::{i + 1}"


def make_lan(lab: Lab, count: int = 2, *, ipv6: bool = False, dev: str = "eth0") -> Lan:
    hosts = [lab.netns(f"n{i}") for i in range(count)]
    lan = Lan(lab, hosts, lab.lan(hosts, dev))
    for i, ns in enumerate(hosts):
        ns.ip("addr", "add", f"{lan.ipv4(i)}/24", "dev", dev)
        if ipv6:
            ns.ip("addr", "add", f"{lan.ipv6(i)}/64", "dev", dev, "nodad")
    return lan


def link_local(ns: Namespace, dev: str = "eth0") -> str:
    """The interface's fe80:: address (the VRRPv3 IPv6 advert source)."""
    for line in ns.ip("-6", "-o", "addr", "show", "dev", dev, "scope", "link").stdout.splitlines():
        fields = line.split()
        return fields[fields.index("inet6") + 1].split("/")[0]
    raise AssertionError(f"no link-local address on {ns.name} {dev}")


# Slack for process start-up and scheduling on a loaded CI host, on top of the protocol's own bound.
# Bounds, not figures (those are bench/'s): a wait ends as soon as its condition holds, so they are
# generous for a loaded 2-core CI host.
START_SLACK_S = 30.0  # a daemon (FRR: zebra + vrrpd) may take seconds to start on a loaded host
MOVE_SLACK_S = 15.0


def wait_master(node: Node, other: Node, timeout: float, what: str) -> None:
    """Wait until `node` holds the VIP and `other` is a backup (both, at the same poll)."""
    wait_for(lambda: node.is_master() and other.is_backup(), timeout=timeout, interval=0.05, what=what)


def elect_kill_return(high: Node, low: Node, sig: int) -> None:
    """The interop scenario: the higher priority wins; on kill the VIP moves; on return it preempts."""
    mdi = float(max(high.spec.master_down_interval(), low.spec.master_down_interval()))
    low.start()
    high.start()
    wait_master(high, low, mdi + START_SLACK_S, f"{high.kind} (higher priority) to win the election")
    high.stop(sig)
    if sig == signal.SIGTERM and high.kind != "frr":
        assert not high.has_vip(), f"{high.kind} kept its VIP after SIGTERM"
    wait_for(
        low.is_master,
        timeout=mdi + MOVE_SLACK_S,
        interval=0.05,
        what=f"{low.kind} to take over after {signal.Signals(sig).name}",
    )
    high.start()
    wait_master(high, low, mdi + START_SLACK_S, f"{high.kind} to preempt on return")
    for node in (high, low):
        assert node.packet_errors() == [], f"{node.kind} logged advert errors"
