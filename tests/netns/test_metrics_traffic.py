"""The load balancer's traffic in the metrics, end to end: alived directs real HTTP traffic
through its nftables NAT rules and the connections each real server got are scraped over HTTP
from the client's namespace (prometheus-client's parser), matching what the client saw. The
counters are read in a worker thread with its own libnftables context (daemon/check/traffic.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.director_lab import FRONT, RS_ADDR, build, served_by, start_directors
from tests.helpers.netns import Lab, wait_for
from tests.netns.test_metrics import Samples, scrape, value

pytestmark = pytest.mark.netns

PORT = 9650  # test_metrics.scrape's port
VS = "[203.0.113.10]:tcp:80"


def test_connections_per_real_server_match_the_clients_requests(lab: Lab, tmp_path: Path) -> None:
    dl = build(lab, tmp_path)
    start_directors(dl, flags=("--metrics", f"{FRONT['d1']}:{PORT}"))
    client = dl.client
    client.start()
    client.wait_count(60)
    assert client.proc is not None
    lab.kill(client.proc)
    requests = client.requests()
    assert all(r.ok for r in requests), [r for r in requests if not r.ok]
    counts = served_by(requests)

    def connections(samples: Samples, name: str) -> float | None:
        return value(
            samples,
            "alived_real_server_connections_total",
            virtual_server=VS,
            real_server=f"[{RS_ADDR[name]}]:tcp:80",
        )

    # Counters are read in the background (at most every 5 s): wait for a reading taken after the
    # client stopped. The request in flight when it was killed may be counted and not logged.
    def caught_up(samples: Samples) -> bool:
        seen = [connections(samples, name) for name in RS_ADDR]
        return None not in seen and sum(s or 0 for s in seen) >= len(requests)

    wait_for(
        lambda: caught_up(scrape(dl.client.ns, FRONT["d1"])), timeout=30, what="a reading after the traffic"
    )
    samples = scrape(dl.client.ns, FRONT["d1"])
    got = {name: connections(samples, name) for name in RS_ADDR}
    for name in RS_ADDR:
        seen = got[name]
        assert seen is not None and counts.get(name, 0) <= seen <= counts.get(name, 0) + 1, (got, counts)
    total = value(samples, "alived_virtual_server_connections_total", virtual_server=VS)
    assert total == sum(v or 0 for v in got.values())
    # nftables NAT counts connections, not packets: no packet series.
    assert value(samples, "alived_virtual_server_packets_total", virtual_server=VS) is None
    assert (
        value(samples, "alived_real_server_up", virtual_server=VS, real_server=f"[{RS_ADDR['rs1']}]:tcp:80")
        == 1
    )
