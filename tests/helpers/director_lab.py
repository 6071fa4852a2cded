"""An LVS-NAT lab with alived as the director (one, or a VRRP pair): real traffic end to end.

    client 203.0.113.2 ── front ── d1 203.0.113.11, d2 203.0.113.12  (VIP 203.0.113.10)
                                    d1 198.51.100.2, d2 198.51.100.3   (gateway VIP 198.51.100.1)
                          back  ── rs1..rs3 198.51.100.11-13, default route via 198.51.100.1

Each director runs `alived` (VRRP child + checker child) with one vrrp_sync_group holding both
VIPs, so the client-side VIP and the real servers' gateway move together, as LVS-NAT needs (the
replies must come back through the director that did the DNAT). The virtual server is
VIP:80, NAT, rr, three real servers each with HTTP_GET. The real servers answer with their
name. `Client` sends one request per fresh connection, continuously, and logs each outcome.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.helpers.lb_topology import HTTP_SERVER
from tests.helpers.netns import Lab, Namespace, wait_for

VIP = "203.0.113.10"
GATEWAY_VIP = "198.51.100.1"
CLIENT_ADDR = "203.0.113.2"
RS_ADDR = {"rs1": "198.51.100.11", "rs2": "198.51.100.12", "rs3": "198.51.100.13"}
FRONT = {"d1": "203.0.113.11", "d2": "203.0.113.12"}
BACK = {"d1": "198.51.100.2", "d2": "198.51.100.3"}
PRIORITY = {"d1": 150, "d2": 100}

# Checker timing: a stopped HTTP server refuses at once, so detection is
# delay_loop (at most) + retry x delay_before_retry.
DELAY_LOOP = 1.0
CONNECT_TIMEOUT = 1.0
RETRY = 1
DELAY_BEFORE_RETRY = 0.5

CLIENT = """
import http.client, sys, time
vip, source, timeout, pause = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
i = 0
while True:
    start = time.time()
    try:
        c = http.client.HTTPConnection(vip, 80, timeout=timeout, source_address=(source, 0))
        c.request("GET", "/", headers={"Connection": "close"})
        answer = c.getresponse().read().decode() or "empty"
        c.close()
    except OSError as e:
        answer = "error:" + type(e).__name__
    print(f"{i} {start:.6f} {time.time():.6f} {answer}", flush=True)
    i += 1
    time.sleep(pause)
"""


def master_down_interval(advert_int: float, priority: int = PRIORITY["d2"]) -> float:
    """The VRRP bound on a hard failover to the backup: 3 x interval + Skew_Time."""
    return 3 * advert_int + (256 - priority) / 256 * advert_int


def alived_conf(
    name: str,
    advert_int: float = 1.0,
    extra: str = "",
    *,
    weights: dict[str, int] | None = None,
    extra_vips: tuple[str, ...] = (),
) -> str:
    """keepalived.conf for director `name`: the sync group of both VIPs and the virtual server.

    `weights`: the real servers in the pool (by name) and their weights (default: all three at 1);
    `extra_vips`: more addresses of the client-side instance (none of them the client's VIP).
    """
    pool = weights if weights is not None else dict.fromkeys(RS_ADDR, 1)
    checks = "".join(
        f"""
    real_server {RS_ADDR[rs]} 80 {{
        weight {weight}
        HTTP_GET {{
            url {{
                path /
                status_code 200
            }}
            connect_timeout {CONNECT_TIMEOUT}
            retry {RETRY}
            delay_before_retry {DELAY_BEFORE_RETRY}
        }}
    }}"""
        for rs, weight in pool.items()
    )
    front_vips = "".join(f"\n        {vip}/24" for vip in (VIP, *extra_vips))
    priority = PRIORITY[name]
    # Sub-second adverts need VRRPv3 (v2 counts whole seconds).
    version = 2 if advert_int >= 1 and advert_int == int(advert_int) else 3
    advert = f"{advert_int:g}"
    return f"""global_defs {{
    router_id {name}
    enable_script_security
    lvs_backend nftables
}}
vrrp_sync_group DIRECTOR {{
    group {{
        FRONT
        BACK
    }}
}}
vrrp_instance FRONT {{
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority {priority}
    version {version}
    advert_int {advert}
    virtual_ipaddress {{{front_vips}
    }}
}}
vrrp_instance BACK {{
    state BACKUP
    interface lan0
    virtual_router_id 52
    priority {priority}
    version {version}
    advert_int {advert}
    virtual_ipaddress {{
        {GATEWAY_VIP}/24
    }}
}}
virtual_server {VIP} 80 {{
    delay_loop {DELAY_LOOP}
    lb_algo rr
    lb_kind NAT
    protocol TCP
{checks}
}}
{extra}"""


@dataclass
class Director:
    name: str
    ns: Namespace
    workdir: Path
    advert_int: float = 1.0
    extra_conf: str = ""
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def conf(self) -> Path:
        return self.workdir / f"{self.name}.conf"

    def start(self, *flags: str) -> None:
        self.starts += 1
        w, n = self.workdir, self.name
        self.conf.write_text(alived_conf(n, self.advert_int, self.extra_conf))
        self.proc = self.ns.popen(
            sys.executable, "-m", "alived", "-n", "-l", "-D", *flags,
            "-f", str(self.conf), "-p", str(w / f"{n}.pid"), "-r", str(w / f"{n}_vrrp.pid"),
            "-c", str(w / f"{n}_checkers.pid"),
            log=w / f"{n}.{self.starts}.log",
            env={**os.environ, "PYTHONUNBUFFERED": "1", "TMPDIR": str(w)},
        )  # fmt: skip

    def log_text(self) -> str:
        return "".join(
            (self.workdir / f"{self.name}.{i}.log").read_text(errors="replace")
            for i in range(1, self.starts + 1)
        )

    def holds_vips(self) -> bool:
        return self.ns.has_address("eth0", VIP) and self.ns.has_address("lan0", GATEWAY_VIP)

    def rules_name(self, address: str) -> bool:
        """The director's nftables table sends traffic to `address` (a destination of the service)."""
        out = self.ns.exec("nft", "list", "table", "inet", "alived", check=False).stdout
        return address in out  # the real servers' addresses are no prefix of one another

    def die(self, lab: Lab) -> None:
        """A dead machine: alived SIGKILLed and its links down. (A SIGKILLed keepalived leaves its
        VIPs and rules in the kernel, which would go on forwarding and hide the failover.)"""
        assert self.proc is not None
        lab.kill(self.proc, signal.SIGKILL)
        self.ns.ip("link", "set", "eth0", "down")
        self.ns.ip("link", "set", "lan0", "down")
        self.proc = None


@dataclass
class Request:
    index: int
    start: float
    end: float
    answer: str

    @property
    def ok(self) -> bool:
        return not self.answer.startswith("error:")


@dataclass
class Client:
    ns: Namespace
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 2.0, pause: float = 0.01) -> None:
        """`timeout` bounds one request: tests assert that none failed, so it is no figure and is
        generous (a loaded 2-core host can stall a Python HTTP server for a fraction of a second);
        a refused connection still fails at once."""
        self.proc = self.ns.popen(
            sys.executable, "-c", CLIENT, VIP, CLIENT_ADDR, str(timeout), str(pause), log=self.log
        )

    def requests(self) -> list[Request]:
        out = []
        # Whole lines only: the client may be writing the next one (its answer cut short) now.
        for line in self.log.read_text(errors="replace").split("\n")[:-1]:
            parts = line.split(" ", 3)
            if len(parts) == 4:
                out.append(Request(int(parts[0]), float(parts[1]), float(parts[2]), parts[3]))
        return out

    def count(self) -> int:
        return len(self.requests())

    def wait_count(self, n: int, timeout: float = 60.0) -> None:
        wait_for(lambda: self.count() >= n, timeout=timeout, what=f"{n} client requests")


@dataclass
class DirectorLab:
    lab: Lab
    workdir: Path
    client: Client
    directors: dict[str, Director]
    servers: dict[str, Namespace] = field(default_factory=dict)
    http: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def serve(self, name: str) -> None:
        ns = self.servers[name]
        self.http[name] = ns.popen(sys.executable, "-c", HTTP_SERVER, name)
        wait_for(lambda: ":80 " in ns.exec("ss", "-ltnH").stdout, what=f"{name} listening")

    def stop_serving(self, name: str) -> None:
        self.lab.kill(self.http.pop(name), signal.SIGKILL)

    def master(self) -> Director | None:
        held = [d for d in self.directors.values() if d.proc is not None and d.holds_vips()]
        return held[0] if len(held) == 1 else None


def _lan(lab: Lab, hosts: list[Namespace], dev: str, role: str) -> None:
    """Lab.lan under another switch name (Lab.lan's switch is always `sw`: one per lab)."""
    sw = lab.netns(role)
    sw.ip("link", "add", "br0", "type", "bridge", "stp_state", "0", "forward_delay", "0")
    sw.ip("link", "set", "br0", "type", "bridge", "mcast_snooping", "0")
    sw.ip("link", "set", "br0", "up")
    for i, host in enumerate(hosts):
        lab.veth(sw, f"p{i}", host, dev)
        sw.ip("link", "set", f"p{i}", "master", "br0")


def build(
    lab: Lab, workdir: Path, names: tuple[str, ...] = ("d1",), *, advert_int: float = 1.0
) -> DirectorLab:
    client_ns = lab.netns("dc")
    dns = {n: lab.netns(n) for n in names}
    servers = {n: lab.netns(n) for n in RS_ADDR}
    lab.lan([client_ns, *dns.values()], dev="eth0")
    _lan(lab, [*dns.values(), *servers.values()], dev="lan0", role="swb")
    client_ns.ip("addr", "add", f"{CLIENT_ADDR}/24", "dev", "eth0")
    for n, ns in dns.items():
        ns.ip("addr", "add", f"{FRONT[n]}/24", "dev", "eth0")
        ns.ip("addr", "add", f"{BACK[n]}/24", "dev", "lan0")
        ns.sysctl("net.ipv4.ip_forward", "1")
    for n, ns in servers.items():
        ns.ip("addr", "add", f"{RS_ADDR[n]}/24", "dev", "lan0")
        ns.ip("route", "add", "default", "via", GATEWAY_VIP)
    out = DirectorLab(
        lab=lab,
        workdir=workdir,
        client=Client(client_ns, workdir / "client.log"),
        directors={n: Director(n, ns, workdir, advert_int) for n, ns in dns.items()},
        servers=servers,
    )
    for n in servers:
        out.serve(n)
    return out


def start_directors(dl: DirectorLab, timeout: float = 30.0, flags: tuple[str, ...] = ()) -> Director:
    """Start alived on every director; return the master once it holds both VIPs and its pool.

    The master waited for is the highest-priority director: a slower start of it lets the other
    one take the VIPs first, and it preempts them a moment later.
    """
    for d in dl.directors.values():
        d.start(*flags)
    chosen = max(dl.directors, key=lambda name: PRIORITY[name])
    wait_for(
        lambda: (m := dl.master()) is not None and m.name == chosen,
        timeout=timeout,
        what=f"{chosen} (highest priority) master holding both VIPs",
    )
    master = dl.master()
    assert master is not None
    for d in dl.directors.values():
        for addr in RS_ADDR.values():
            wait_for(lambda d=d, a=addr: d.rules_name(a), timeout=timeout, what=f"{d.name} rules for {addr}")
    return master


def served_by(requests: list[Request]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in requests:
        counts[r.answer] = counts.get(r.answer, 0) + 1
    return counts


def now() -> float:
    return time.time()


@dataclass(frozen=True)
class Failover:
    """What the client saw when the master director died."""

    interruption: float  # seconds between the last answer before the death and the first after it
    lost: int  # requests that failed
    after: dict[str, int]  # who answered after the new master took over
    new_master: str


def kill_master_and_measure(dl: DirectorLab, *, after_requests: int = 60, timeout: float = 60.0) -> Failover:
    """The master dies while the client runs; wait for traffic through the new master; measure."""
    client = dl.client
    master = dl.master()
    assert master is not None
    master.die(dl.lab)
    died_at = time.time()  # links down: from here on only the backup can answer
    others = [d for d in dl.directors.values() if d is not master]
    wait_for(lambda: any(d.holds_vips() for d in others), timeout=timeout, what="the backup taking the VIPs")
    new = next(d for d in others if d.holds_vips())

    def answered_after() -> list[Request]:
        return [r for r in client.requests() if r.start > died_at and r.ok]

    wait_for(lambda: len(answered_after()) >= after_requests, timeout=timeout, what="traffic after failover")
    requests = client.requests()
    lost = sum(1 for r in requests if not r.ok)
    first = min(r.end for r in answered_after())
    last = max(r.end for r in requests if r.ok and r.end <= died_at)
    return Failover(
        interruption=first - last, lost=lost, after=served_by(answered_after()), new_master=new.name
    )
