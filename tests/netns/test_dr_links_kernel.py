"""DR link derivation against a real routing table: the route's link for the real servers,
every non-loopback link for a VIP no vrrp_instance holds (`kernel_links`, through netlink)."""

from __future__ import annotations

from pathlib import Path

import pytest

from alived.config.load import load_config
from alived.daemon.check.dr_links import DrLinks, kernel_links
from alived.daemon.check.lb_sink import params_by_name
from alived.linux.netlink import Netlink
from tests.helpers.inns import inside
from tests.helpers.netns import Lab

pytestmark = pytest.mark.netns

CONF = """virtual_server 203.0.113.10 80 {
    lb_algo rr
    lb_kind DR
    protocol TCP
    real_server 198.51.100.7 80 {
        TCP_CHECK {
        }
    }
}
"""


def test_route_device_and_kernel_links(lab: Lab, tmp_path: Path) -> None:
    ns, peer_a, peer_b = lab.netns("drl"), lab.netns("pa"), lab.netns("pb")
    lab.veth(ns, "front0", peer_a, "eth0")
    lab.veth(ns, "back0", peer_b, "eth0")
    ns.ip("addr", "add", "203.0.113.1/24", "dev", "front0")
    ns.ip("addr", "add", "192.0.2.1/24", "dev", "back0")
    ns.ip("route", "add", "198.51.100.0/24", "via", "192.0.2.2")  # the real servers, one hop away
    path = tmp_path / "k.conf"
    path.write_text(CONF)
    config = load_config(path).config
    assert config is not None
    services = [p for ps in params_by_name(config).values() for p in ps]
    with inside(ns):
        nl = Netlink()
        try:
            assert nl.route_device("198.51.100.7") == "back0"
            assert nl.route_device("203.0.113.9") == "front0"
            assert nl.route_device("2001:db8::1") is None  # no IPv6 route: no link, no exception
        finally:
            nl.close()
        assert kernel_links(config, services) == DrLinks(device="back0", ingress=("back0", "front0"))
