"""alived as an LVS-DR director from a plain keepalived.conf (`lb_kind DR`, no extra keyword).

One Ethernet segment, as in the LVS-DR howtos: the client 203.0.113.2, the director
203.0.113.11 holding the VIP 203.0.113.10 through its vrrp_instance on eth0, and three real
servers 203.0.113.21-23 with the VIP on lo (arp_ignore 1, arp_announce 2) and a real HTTP
server each. alived derives the DR links itself: the route to the real servers says eth0, the
vrrp_instance holding the VIP says eth0 too. The client's requests are balanced over the three
servers, which answer it directly; one server's HTTP stops: it leaves the pool; back: it returns.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.conf_director import ConfDirector
from tests.helpers.director_lab import CLIENT_ADDR, VIP, Client, Request, served_by
from tests.helpers.lb_topology import CHI2_1E6, HTTP_SERVER, chi_squared
from tests.helpers.netns import Lab, Namespace, wait_for

pytestmark = pytest.mark.netns

RS_ADDR = {"rs1": "203.0.113.21", "rs2": "203.0.113.22", "rs3": "203.0.113.23"}
VS = f"[{VIP}]:tcp:80"


def conf() -> str:
    servers = "".join(
        f"""
    real_server {addr} 80 {{
        weight 1
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
        for addr in RS_ADDR.values()
    )
    return f"""global_defs {{
    router_id LVS_DR
    lvs_backend nftables
}}
vrrp_instance VI_1 {{
    state MASTER
    interface eth0
    virtual_router_id 61
    priority 150
    advert_int 1
    virtual_ipaddress {{
        {VIP}/24
    }}
}}
virtual_server {VIP} 80 {{
    delay_loop 1
    lb_algo rr
    lb_kind DR
    protocol TCP
{servers}
}}
"""


def serve(ns: Namespace, name: str) -> subprocess.Popen[bytes]:
    proc = ns.popen(sys.executable, "-c", HTTP_SERVER, name)
    wait_for(lambda: ":80 " in ns.exec("ss", "-ltnH").stdout, what=f"{name} listening")
    return proc


def after(requests: list[Request], index: int) -> list[Request]:
    return [r for r in requests if r.index > index]


def test_dr_from_keepalived_conf_balances_and_follows_health(lab: Lab, tmp_path: Path) -> None:
    client_ns, director_ns = lab.netns("drc"), lab.netns("drd")
    servers = {n: lab.netns(n) for n in RS_ADDR}
    lab.lan([client_ns, director_ns, *servers.values()], dev="eth0")
    client_ns.ip("addr", "add", f"{CLIENT_ADDR}/24", "dev", "eth0")
    director_ns.ip("addr", "add", "203.0.113.11/24", "dev", "eth0")
    http = {}
    for n, ns in servers.items():
        ns.ip("addr", "add", f"{RS_ADDR[n]}/24", "dev", "eth0")
        ns.ip("addr", "add", f"{VIP}/32", "dev", "lo")
        ns.sysctl("net.ipv4.conf.all.arp_ignore", "1")
        ns.sysctl("net.ipv4.conf.all.arp_announce", "2")
        http[n] = serve(ns, n)
    director = ConfDirector(director_ns, tmp_path)
    director.start(conf())
    director.wait_log("LB: DR links eth0 -> eth0")
    wait_for(lambda: director_ns.has_address("eth0", VIP), timeout=30, what="the director holding the VIP")
    for addr in RS_ADDR.values():
        wait_for(lambda a=addr: director.rules_name(a, "netdev"), timeout=30, what=f"DR rules for {addr}")

    client = Client(client_ns, tmp_path / "client.log")
    client.start()
    client.wait_count(90)
    first = client.requests()[:90]
    counts = served_by(first)
    assert set(counts) == set(RS_ADDR), counts  # all three answer the client, nothing failed
    assert chi_squared([counts[n] for n in RS_ADDR], [1, 1, 1]) < CHI2_1E6[2], counts

    lab.kill(http.pop("rs2"), signal.SIGKILL)
    director.wait_log(f"Removing service [{RS_ADDR['rs2']}]:tcp:80 from VS {VS}")
    wait_for(
        lambda: not director.rules_name(RS_ADDR["rs2"], "netdev"), timeout=40, what="rs2 out of the rules"
    )
    removed_at = client.count()
    client.wait_count(removed_at + 60)
    without = after(client.requests(), removed_at)
    assert {r.answer for r in without} == {"rs1", "rs3"}, served_by(without)

    http["rs2"] = serve(servers["rs2"], "rs2")
    director.wait_log(f"Adding service [{RS_ADDR['rs2']}]:tcp:80 to VS {VS}")
    wait_for(lambda: director.rules_name(RS_ADDR["rs2"], "netdev"), timeout=40, what="rs2 back in the rules")
    back_at = client.count()
    client.wait_count(back_at + 60)
    assert set(served_by(after(client.requests(), back_at))) == set(RS_ADDR)
