"""The alived director's load balancer over its lifetime: a virtual server the backend refuses is
logged with the operation while the others carry traffic; SIGTERM removes the services (as
keepalived's clear_services), and with -I (--dont-release-ipvs) leaves them in place."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from alived.daemon.pidfile import read_pid
from tests.helpers.director_lab import RS_ADDR, VIP, build, served_by, start_directors
from tests.helpers.netns import Lab, wait_for

pytestmark = pytest.mark.netns

# nftables has no TUN: the backend refuses this service (config test warns about it).
REFUSED = f"""
virtual_server {VIP} 8080 {{
    delay_loop 1
    lb_algo rr
    lb_kind TUN
    protocol TCP
    real_server {RS_ADDR["rs1"]} 8080 {{
        weight 1
    }}
}}
"""


def test_a_refused_service_is_logged_and_the_others_carry_traffic(lab: Lab, tmp_path: Path) -> None:
    dl = build(lab, tmp_path)
    director = dl.directors["d1"]
    director.extra_conf = REFUSED
    start_directors(dl)
    wait_for(
        lambda: f"nftables: AddService [{VIP}]:tcp:8080 rr TUN failed" in director.log_text(),
        timeout=40,
        what="the refused service in the log",
    )
    checker = read_pid(tmp_path / "d1_checkers.pid")
    dl.client.start()
    dl.client.wait_count(60)
    requests = dl.client.requests()
    assert all(r.ok for r in requests) and set(served_by(requests)) == set(RS_ADDR), served_by(requests)
    assert read_pid(tmp_path / "d1_checkers.pid") == checker  # the same child: never crashed
    assert "Traceback" not in director.log_text()


@pytest.mark.parametrize("flags", [(), ("-I",)])
def test_sigterm_releases_the_services_unless_told_not_to(
    lab: Lab, tmp_path: Path, flags: tuple[str, ...]
) -> None:
    dl = build(lab, tmp_path)
    director = dl.directors["d1"]
    for d in dl.directors.values():
        d.start(*flags)
    wait_for(lambda: all(director.rules_name(a) for a in RS_ADDR.values()), timeout=30, what="the rules")
    assert director.proc is not None
    assert lab.kill(director.proc, signal.SIGTERM) == 0
    director.proc = None
    kept = [a for a in RS_ADDR.values() if director.rules_name(a)]
    assert kept == ([] if not flags else list(RS_ADDR.values()))
