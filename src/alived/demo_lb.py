"""The demo's load-balancer part: alived as an LVS-NAT director pair in front of three web servers.

    client 203.0.113.2 -- front -- dir-a / dir-b (VIP 203.0.113.10) -- back -- web-1..3
                                   (gateway VIP 198.51.100.1)              198.51.100.11-13

Both directors run alived with the same keepalived.conf apart from the priority (150/100): a
vrrp_sync_group moves the client-side VIP and the web servers' gateway together, and a
virtual_server on VIP:80 (NAT, rr) with an HTTP_GET check per web server, carried by the
nftables backend. A client sends requests back to back (one fresh connection each) and the demo
shows who answers: balanced; one web server stops (the checker takes it out), comes back; the
master director dies (the backup takes over, interruption and requests lost measured).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from alived.demo import Cluster, Netns, kill, master_down_interval, say, wait_until

VIP = "203.0.113.10"
GATEWAY = "198.51.100.1"
CLIENT_IP = "203.0.113.2"
DIRECTORS = (("dir-a", 150, "203.0.113.11", "198.51.100.2"), ("dir-b", 100, "203.0.113.12", "198.51.100.3"))
WEB = {"web-1": "198.51.100.11", "web-2": "198.51.100.12", "web-3": "198.51.100.13"}

# The real servers of the demo and of the tests: a name per server, so a client sees who answered.
WEB_SERVER = """
import http.server, socketserver, sys
name = sys.argv[1].encode()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(name)))
        self.end_headers()
        self.wfile.write(name)
    def log_message(self, *a):
        pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
S(("0.0.0.0", 80), H).serve_forever()
"""

# One request per fresh connection, back to back: "<start> <end> <answer>" per line (wall clock).
CLIENT = """
import http.client, sys, time
vip, timeout = sys.argv[1], float(sys.argv[2])
while True:
    start = time.time()
    try:
        c = http.client.HTTPConnection(vip, 80, timeout=timeout)
        c.request("GET", "/", headers={"Connection": "close"})
        answer = c.getresponse().read().decode() or "empty"
        c.close()
    except OSError as e:
        answer = "error:" + type(e).__name__
    print(f"{start:.6f} {time.time():.6f} {answer}", flush=True)
    time.sleep(0.01)
"""


def director_conf(name: str, priority: int, advert_int: Fraction, version: int) -> str:
    checks = "".join(
        f"""
  real_server {address} 80 {{
    HTTP_GET {{
      url {{
        path /
        status_code 200
      }}
      connect_timeout 1
      retry 1
      delay_before_retry 0.5
    }}
  }}"""
        for address in WEB.values()
    )
    interval = f"{float(advert_int):g}"
    instances = "".join(
        f"""
vrrp_instance {iname} {{
  state BACKUP
  interface {dev}
  virtual_router_id {vrid}
  priority {priority}
  advert_int {interval}
  virtual_ipaddress {{
    {vip}/24
  }}
}}"""
        for iname, dev, vrid, vip in (("FRONT", "eth0", 51, VIP), ("BACK", "lan0", 52, GATEWAY))
    )
    return f"""global_defs {{
  router_id {name}
  vrrp_version {version}
  lvs_backend nftables
}}
vrrp_sync_group DIRECTOR {{
  group {{
    FRONT
    BACK
  }}
}}
{instances}

virtual_server {VIP} 80 {{
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
{checks}
}}
"""


@dataclass
class Director:
    name: str
    priority: int
    ns: Netns
    log: Path
    daemon: subprocess.Popen[bytes] | None = None

    def holds_vips(self) -> bool:
        return self.ns.has_address(VIP, "eth0") and self.ns.has_address(GATEWAY, "lan0")

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def routes_to(self, address: str) -> bool:
        return address in self.ns.run("nft", "list", "table", "inet", "alived", check=False).stdout


class Traffic:
    """The client's requests, read back from its log."""

    def __init__(self, client: Netns, workdir: Path, timeout: float) -> None:
        self.log = workdir / "client.log"
        client.start(sys.executable, "-c", CLIENT, VIP, str(timeout), log=self.log)

    def requests(self) -> list[tuple[float, float, str]]:
        out = []
        for line in self.log.read_text(errors="replace").splitlines():
            parts = line.split(" ", 2)
            if len(parts) == 3:
                out.append((float(parts[0]), float(parts[1]), parts[2]))
        return out

    def since(self, t: float, n: int, timeout: float = 60.0) -> list[tuple[float, float, str]]:
        """The first `n` requests started after `t` (waits for them)."""

        def got() -> list[tuple[float, float, str]]:
            return [r for r in self.requests() if r[0] > t][:n]

        wait_until(lambda: len(got()) >= n, timeout, f"{n} client requests")
        return got()


def spread(requests: list[tuple[float, float, str]]) -> str:
    counts = Counter(answer for _, _, answer in requests)
    return ", ".join(f"{name} {counts[name]}" for name in sorted(counts))


def run_lb_demo(cluster: Cluster, workdir: Path, advert_int: Fraction, version: int) -> None:
    say(f"\n== Load balancing: client -> VIP {VIP}:80 -> 2 alived directors (NAT, rr, nftables) "
        "-> 3 web servers with HTTP_GET checks ==")  # fmt: skip
    dirs = [Director(n, p, cluster.netns(n), workdir / f"{n}.log") for n, p, _, _ in DIRECTORS]
    webs = {name: cluster.netns(name) for name in WEB}
    client = cluster.netns("lb-client")
    cluster.lan([(client, CLIENT_IP), *((d.ns, f) for d, (_, _, f, _) in zip(dirs, DIRECTORS, strict=True))],
                role="front")  # fmt: skip
    cluster.lan([*((d.ns, b) for d, (_, _, _, b) in zip(dirs, DIRECTORS, strict=True)),
                 *((ns, WEB[name]) for name, ns in webs.items())], dev="lan0", role="back")  # fmt: skip
    servers: dict[str, subprocess.Popen[bytes]] = {}

    def serve(name: str) -> None:
        servers[name] = webs[name].start(sys.executable, "-c", WEB_SERVER, name, log=workdir / f"{name}.log")

    for name, ns in webs.items():
        ns.ip("route", "add", "default", "via", GATEWAY)
        serve(name)
    for d in dirs:
        d.ns.run("sysctl", "-qw", "net.ipv4.ip_forward=1")
        conf = workdir / f"{d.name}.conf"
        conf.write_text(director_conf(d.name, d.priority, advert_int, version))
        d.daemon = d.ns.start(
            sys.executable, "-m", "alived", "-n", "-l", "-D", "-f", str(conf),
            "-p", str(workdir / f"{d.name}.pid"), "-r", str(workdir / f"{d.name}-vrrp.pid"),
            "-c", str(workdir / f"{d.name}-checkers.pid"), log=d.log,
        )  # fmt: skip
        say(f"  started alived on {d.name}, priority {d.priority}")
    a, b = dirs
    wait_until(a.holds_vips, 30, f"{a.name} to hold both VIPs")
    for d in dirs:
        for address in WEB.values():
            wait_until(lambda d=d, x=address: d.routes_to(x), 30, f"{d.name}'s rules for {address}")
    traffic = Traffic(client, workdir, timeout=min(0.5, float(advert_int)))
    say(f"\n5. Balanced: {a.name} is MASTER; 60 requests through the VIP -> {spread(traffic.since(0, 60))}")

    web2 = WEB["web-2"]
    say("\n6. A web server fails: web-2's HTTP server is killed ...")
    stopped = time.time()
    proc = servers.pop("web-2")
    kill(proc)
    wait_until(lambda: f"Removing service [{web2}]:tcp:80" in a.log_text(), 30, "the checker to remove web-2")
    wait_until(lambda: not a.routes_to(web2), 10, "web-2 out of the rules")
    removed = time.time()
    failed = sum(1 for s, _, ans in traffic.requests() if stopped <= s <= removed and ans.startswith("error"))
    say(f"   alived: 'Removing service [{web2}]:tcp:80 from VS [{VIP}]:tcp:80' after "
        f"{removed - stopped:.1f}s ({failed} requests refused meanwhile, by the dead web-2)")  # fmt: skip
    say(f"   next 60 requests -> {spread(traffic.since(removed, 60))}")
    serve("web-2")
    back = time.time()
    wait_until(lambda: f"Adding service [{web2}]:tcp:80" in a.log_text(), 30, "the checker to add web-2")
    wait_until(lambda: a.routes_to(web2), 10, "web-2 back in the rules")
    added = time.time()
    say(f"   web-2 restarted: back in the pool after {added - back:.1f}s; "
        f"next 60 requests -> {spread(traffic.since(added, 60))}")  # fmt: skip

    say(f"\n7. Director crash: {a.name} dies (alived SIGKILLed, its links down) with requests in flight ...")
    assert a.daemon is not None
    kill(a.daemon, signal.SIGKILL)
    a.ns.ip("link", "set", "eth0", "down")
    a.ns.ip("link", "set", "lan0", "down")
    died = time.time()

    def answered() -> list[tuple[float, float, str]]:
        return [r for r in traffic.requests() if r[0] > died and not r[2].startswith("error")]

    wait_until(lambda: len(answered()) >= 60, 60, f"60 answers through {b.name}")
    requests = traffic.requests()
    last = max(end for _, end, ans in requests if end <= died and not ans.startswith("error"))
    first = min(end for _, end, _ in answered())
    lost = sum(1 for s, _, ans in requests if s > added and ans.startswith("error"))
    bound = master_down_interval(b.priority, advert_int, version)
    say(f"   {b.name} holds the VIPs: {b.holds_vips()}; traffic interrupted for {first - last:.3f}s, "
        f"{lost} requests lost (VRRP bound {float(bound):.3f}s + one client timeout)")  # fmt: skip
    say(f"   60 requests through {b.name} -> {spread(answered()[:60])}")
