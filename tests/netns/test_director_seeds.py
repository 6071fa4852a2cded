"""The seeds' kind of LVS config carries real traffic: two tutorial-style LVS-NAT keepalived.conf
files, run unchanged (but for documentation addresses) by alived on a director.

tests/corpus/seeds/ holds one DR config (lvs_dr_http.conf, covered by test_director_dr's
topology) and one MISC_CHECK/HTTPS template (lvs_nat_misc.conf); the two configs here are the
HTTP shape operators copy from the keepalived LVS-NAT tutorials: delay_loop 6, lb_algo rr or
wrr, lb_kind NAT, persistence_timeout 50 (in the second), protocol TCP, real servers with a
weight and HTTP_GET { url { path / status_code 200 } connect_timeout 3 retry 3
delay_before_retry 3 } or TCP_CHECK { connect_timeout 3 connect_port 80 }.

The lab is director_lab's (client 203.0.113.2, VIP 203.0.113.10 on the director's eth0, real
servers 198.51.100.11-13 routed through the director at 198.51.100.1, here a static address as
in the tutorials, where the director is the real servers' gateway).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.helpers.conf_director import ConfDirector
from tests.helpers.director_lab import GATEWAY_VIP, RS_ADDR, VIP, build
from tests.helpers.lb_topology import CHI2_1E6, CLIENT, chi_squared
from tests.helpers.netns import Lab, wait_for

pytestmark = pytest.mark.netns

HTTP_GET = """HTTP_GET {
            url {
                path /
                status_code 200
            }
            connect_timeout 3
            retry 3
            delay_before_retry 3
        }"""
TCP_CHECK = """TCP_CHECK {
            connect_timeout 3
            connect_port 80
        }"""


def tutorial_conf(
    algo: str, *, persistence: bool, weights: tuple[int, int, int], checks: tuple[str, ...]
) -> str:
    servers = "".join(
        f"""
    real_server {addr} 80 {{
        weight {weight}
        {check}
    }}"""
        for addr, weight, check in zip(RS_ADDR.values(), weights, checks, strict=True)
    )
    persist = "\n    persistence_timeout 50" if persistence else ""
    return f"""! Configuration File for keepalived

global_defs {{
   router_id LVS_DEVEL
   lvs_backend nftables
}}

vrrp_instance VI_1 {{
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 1
    authentication {{
        auth_type PASS
        auth_pass 1111
    }}
    virtual_ipaddress {{
        {VIP}
    }}
}}

virtual_server {VIP} 80 {{
    delay_loop 6
    lb_algo {algo}
    lb_kind NAT{persist}
    protocol TCP
{servers}
}}
"""


def start(lab: Lab, tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    dl = build(lab, tmp_path)
    d1 = dl.directors["d1"].ns
    d1.ip("addr", "add", f"{GATEWAY_VIP}/24", "dev", "lan0")
    director = ConfDirector(d1, tmp_path)
    director.start(text)
    wait_for(lambda: d1.has_address("eth0", VIP), timeout=30, what="the director holding the VIP")
    for addr in RS_ADDR.values():
        wait_for(lambda a=addr: director.rules_name(a), timeout=30, what=f"rules for {addr}")
    return dl


def requests(dl, source: str, n: int) -> list[str]:  # type: ignore[no-untyped-def]
    out = dl.client.ns.exec(sys.executable, "-c", CLIENT, VIP, str(n), source, timeout=60).stdout
    names: list[str] = json.loads(out)
    return names


def test_rr_http_get_config_is_answered_by_every_real_server(lab: Lab, tmp_path: Path) -> None:
    text = tutorial_conf("rr", persistence=False, weights=(1, 1, 1), checks=(HTTP_GET,) * 3)
    dl = start(lab, tmp_path, text)
    names = requests(dl, "203.0.113.2", 60)
    counts = {n: names.count(n) for n in set(names)}
    assert set(counts) == set(RS_ADDR), counts  # every answer from a real server, no error
    assert chi_squared([counts[n] for n in RS_ADDR], [1, 1, 1]) < CHI2_1E6[2], counts


def test_wrr_persistent_config_keeps_each_client_on_one_server(lab: Lab, tmp_path: Path) -> None:
    text = tutorial_conf("wrr", persistence=True, weights=(2, 1, 1), checks=(HTTP_GET, TCP_CHECK, HTTP_GET))
    dl = start(lab, tmp_path, text)
    # 60 clients: a server of weight 1 in 4 gets none once in 3 x 10^7 runs.
    sources = [f"203.0.113.{i}" for i in range(31, 91)]
    for source in sources:
        dl.client.ns.ip("addr", "add", f"{source}/24", "dev", "eth0")
    served: dict[str, set[str]] = {}
    for source in sources:
        served[source] = set(requests(dl, source, 3))
    assert all(len(names) == 1 for names in served.values()), served  # each client sticks
    assert set().union(*served.values()) == set(RS_ADDR), served  # and every server has clients
