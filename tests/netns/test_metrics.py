"""Prometheus metrics scraped over HTTP from another namespace while real events happen.

A VRRP failover between two alived nodes (one enabled by `--metrics`, the other by the
global_defs keyword `metrics_address`), scraped from a third namespace on the LAN; and a
real server's health change in the checker child (its TCP listener killed, then restarted),
scraped from the real servers' namespace. Every scrape is parsed with prometheus-client's own
parser.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.helpers.netns import Lab, Namespace, wait_for
from tests.netns.test_checker_child import (
    SERVERS,
    VS,
    Setup,
    rs_name,
    setup,  # noqa: F401 - the fixture, reused
)
from tests.netns.test_daemon_vrrp import conf, instance, make_nodes

pytestmark = pytest.mark.netns

PORT = 9650
SCRAPER = """
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=10) as answer:
    sys.stdout.write(answer.headers.get("Content-Type", "") + "\\n" + answer.read().decode())
"""

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(ns: Namespace, address: str) -> Samples:
    """GET http://address/metrics from inside `ns`; every sample by (name, labels)."""
    out = ns.exec(sys.executable, "-c", SCRAPER, f"http://{address}:{PORT}/metrics", check=False)
    if out.returncode != 0:
        return {}
    content_type, _, body = out.stdout.partition("\n")
    assert content_type.startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(body):
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float | None:
    """The one sample of `name` whose labels include `labels` (None when there is none)."""
    found = [v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= ls]
    assert len(found) <= 1, (name, labels, found)
    return found[0] if found else None


def test_failover_moves_the_vrrp_metrics(lab: Lab, tmp_path: Path) -> None:
    a, b, monitor = make_nodes(lab, tmp_path, 3)
    a.write(conf(instance(150)))
    b.write(conf(instance(100), global_extra=f"  metrics_address 192.0.2.2:{PORT}\n"))
    a.start("--metrics", f"192.0.2.1:{PORT}")
    b.start()
    wait_for(lambda: a.has() and not b.has(), what="a master, b backup")
    labels = {"instance": "VI_1", "interface": "eth0", "vrid": "51"}

    def settled(samples: Samples, state: float) -> bool:
        return value(samples, "alived_vrrp_state", **labels) == state

    def heard(samples: Samples) -> bool:
        """BACKUP, and a's first advert counted: b may have just come up when a became master."""
        return settled(samples, 1) and bool(value(samples, "alived_vrrp_adverts_received_total", **labels))

    wait_for(lambda: heard(scrape(monitor.ns, "192.0.2.2")), what="b's metrics to say BACKUP, a heard")
    wait_for(lambda: settled(scrape(monitor.ns, "192.0.2.1"), 2), what="a's metrics to say MASTER")
    on_a = scrape(monitor.ns, "192.0.2.1")
    before = scrape(monitor.ns, "192.0.2.2")
    assert value(on_a, "alived_vrrp_adverts_sent_total", **labels)
    assert value(on_a, "alived_vrrp_become_master_total", **labels) == 1
    assert value(on_a, "alived_vrrp_base_priority", **labels) == 150
    # b may have held the VIP for a moment if it came up first (a preempts it): count from here.
    b_masterships = value(before, "alived_vrrp_become_master_total", **labels)
    assert b_masterships is not None
    assert value(before, "alived_vrrp_effective_priority", **labels) == 100
    assert value(before, "alived_vrrp_adverts_received_total", **labels)
    assert value(before, "alived_vrrp_receive_errors_total", reason="auth_failure", **labels) == 0
    assert value(before, "alived_vrrp_vip", address="192.0.2.100/24", **labels) == 1
    assert value(before, "alived_child_up", child="VRRP") == 1
    assert value(before, "alived_build_info") == 1
    assert value(before, "alived_vrrp_seconds_since_transition", **labels) is not None

    a.stop()  # graceful: a sends priority 0, b takes over at once
    wait_for(b.has, timeout=40, what="b takes over")
    wait_for(lambda: settled(scrape(monitor.ns, "192.0.2.2"), 2), what="b's metrics to say MASTER")
    after = scrape(monitor.ns, "192.0.2.2")
    assert value(after, "alived_vrrp_become_master_total", **labels) == b_masterships + 1
    pri_zero = value(after, "alived_vrrp_priority_zero_received_total", **labels)
    assert pri_zero is not None and pri_zero >= 1
    garps = value(after, "alived_vrrp_gratuitous_arps_sent_total", **labels)
    assert garps is not None and garps >= 5  # b's burst for the VIP it took
    assert value(after, "alived_vrrp_last_transition_timestamp_seconds", from_state="BACKUP", **labels)
    assert scrape(monitor.ns, "192.0.2.1") == {}  # a stopped: its endpoint is gone with it

    b.send(signal.SIGHUP)
    wait_for(
        lambda: value(scrape(monitor.ns, "192.0.2.2"), "alived_reloads_total") == 1, what="the reload counted"
    )
    reloaded = scrape(monitor.ns, "192.0.2.2")
    assert value(reloaded, "alived_last_reload_config_ok") == 1
    assert value(reloaded, "alived_config_load_seconds") is not None
    assert b.stop() == 0


def test_health_change_moves_the_checker_metrics(setup: Setup) -> None:  # noqa: F811 - the imported fixture
    s = setup
    s.start("-C", "--metrics", f"192.0.2.1:{PORT}")
    killed = rs_name("192.0.2.22")
    labels = {"virtual_server": VS, "real_server": killed}

    def up(samples: Samples) -> float | None:
        return value(samples, "alived_real_server_up", **labels)

    def checked(samples: Samples) -> bool:
        return value(samples, "alived_check_last_success", check="TCP_CHECK", **labels) == 1

    wait_for(lambda: checked(scrape(s.rs, "192.0.2.1")), timeout=40, what="a first successful check")
    first = scrape(s.rs, "192.0.2.1")
    assert value(first, "alived_child_up", child="Healthcheck") == 1
    assert value(first, "alived_real_server_in_pool", **labels) == 1
    assert value(first, "alived_real_server_weight", **labels) == 1
    assert value(first, "alived_check_up", check="TCP_CHECK", **labels) == 1
    assert value(first, "alived_check_seconds_since_last_run", check="TCP_CHECK", **labels) is not None
    assert {
        value(first, "alived_real_server_up", virtual_server=VS, real_server=rs_name(a)) for a in SERVERS
    } == {1}

    s.silence("192.0.2.22")
    wait_for(lambda: up(scrape(s.rs, "192.0.2.1")) == 0, timeout=40, what="the server down in the metrics")
    down = scrape(s.rs, "192.0.2.1")
    assert value(down, "alived_real_server_in_pool", **labels) == 0
    assert value(down, "alived_check_last_success", check="TCP_CHECK", **labels) == 0
    assert value(down, "alived_real_server_up", virtual_server=VS, real_server=rs_name("192.0.2.21")) == 1
    assert value(down, "alived_real_server_transitions_total", direction="down", **labels) == 1
    failures = value(down, "alived_check_failures_total", check="TCP_CHECK", **labels)
    assert failures is not None and failures >= 1
    assert value(down, "alived_check_duration_seconds", check="TCP_CHECK", **labels) is not None

    s.listen("192.0.2.22")
    wait_for(lambda: up(scrape(s.rs, "192.0.2.1")) == 1, timeout=40, what="the server back up in the metrics")


def test_metrics_are_off_by_default(lab: Lab, tmp_path: Path) -> None:
    a, monitor = make_nodes(lab, tmp_path, 2)
    a.write(conf(instance(150)))
    a.start()
    wait_for(a.has, what="a master")
    assert "Serving metrics" not in a.log_text()
    assert scrape(monitor.ns, "192.0.2.1") == {}
    assert a.stop() == 0
