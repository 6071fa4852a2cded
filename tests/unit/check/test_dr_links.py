"""DR links from keepalived.conf: the real servers' link by route, the ingress by the VIP's holder;
the checker child's sink builds the backend on them and rebuilds it when a reload changes them."""

from __future__ import annotations

from pathlib import Path

from alived.config.load import load_config
from alived.config.model import Config
from alived.daemon.check.dr_links import DrLinks, derive
from alived.daemon.check.lb_sink import backend_sink, params_by_name
from alived.daemon.lb_params import BackendChoice
from tests.helpers.lb_fake import RecordingBackend

ROUTES = {"198.51.100.11": "lan0", "198.51.100.12": "lan0", "192.0.2.5": "wan1"}
LINKS = ["lo", "eth0", "lan0"]


def conf(
    vip_block: str, kind: str = "DR", servers: tuple[str, ...] = ("198.51.100.11", "198.51.100.12")
) -> str:
    rs = "".join(f"    real_server {a} 80 {{\n        TCP_CHECK {{\n        }}\n    }}\n" for a in servers)
    return f"""global_defs {{
    lvs_backend nftables
}}
{vip_block}
virtual_server 203.0.113.10 80 {{
    lb_algo rr
    lb_kind {kind}
    protocol TCP
{rs}}}
"""


INSTANCE = """vrrp_instance VI {
    interface eth0
    virtual_router_id 51
    priority 100
    virtual_ipaddress {
        203.0.113.10/24
    }
}"""


def load(tmp_path: Path, text: str) -> Config:
    path = tmp_path / "k.conf"
    path.write_text(text)
    config = load_config(path).config
    assert config is not None
    return config


def links_of(config: Config) -> DrLinks:
    services = [p for ps in params_by_name(config).values() for p in ps]
    return derive(config, services, ROUTES.get, lambda: LINKS)


def test_the_route_gives_the_device_and_the_vrrp_instance_the_ingress(tmp_path: Path) -> None:
    assert links_of(load(tmp_path, conf(INSTANCE))) == DrLinks(device="lan0", ingress=("eth0",))


def test_a_vip_with_its_own_dev_is_seen_on_that_link(tmp_path: Path) -> None:
    block = INSTANCE.replace("203.0.113.10/24", "203.0.113.10/24 dev eth9")
    assert links_of(load(tmp_path, conf(block))) == DrLinks(device="lan0", ingress=("eth9",))


def test_a_vip_no_instance_holds_is_seen_on_every_link_but_loopback(tmp_path: Path) -> None:
    assert links_of(load(tmp_path, conf(""))) == DrLinks(device="lan0", ingress=("eth0", "lan0"))


def test_nat_needs_no_links_and_asks_nothing(tmp_path: Path) -> None:
    def refuse(_: str) -> str:
        raise AssertionError("no route lookup for NAT")

    config = load(tmp_path, conf(INSTANCE, kind="NAT"))
    services = [p for ps in params_by_name(config).values() for p in ps]
    assert derive(config, services, refuse, lambda: LINKS) == DrLinks()


def test_servers_behind_two_links_forward_on_the_first(tmp_path: Path) -> None:
    config = load(tmp_path, conf(INSTANCE, servers=("192.0.2.5", "198.51.100.11")))
    assert links_of(config).device == "wan1"


def test_the_sink_builds_the_backend_on_the_links_and_again_when_a_reload_moves_them(tmp_path: Path) -> None:
    built: list[DrLinks] = []

    def factory(choice: BackendChoice, links: DrLinks) -> RecordingBackend:
        built.append(links)
        return RecordingBackend()

    def finder(config: Config, services: list) -> DrLinks:  # type: ignore[type-arg]
        return derive(config, services, ROUTES.get, lambda: LINKS)

    first = load(tmp_path, conf(INSTANCE))
    sink = backend_sink(first, None, factory, finder)
    assert sink is not None
    sink.configure(first)
    sink.configure(first)  # a reload with the same links keeps the backend
    assert built == [DrLinks(device="lan0", ingress=("eth0",))]
    moved = load(tmp_path, conf(INSTANCE.replace("eth0", "eth1")))
    sink.configure(moved)
    assert built[-1] == DrLinks(device="lan0", ingress=("eth1",))
    assert sink.links == built[-1] and len(built) == 2


def test_the_fake_netlink_picks_the_most_specific_route_with_a_device() -> None:
    from ipaddress import ip_address, ip_network

    from alived.linux.netlink import RouteSpec
    from tests.helpers.fake_linux import FakeNetlink

    nl = FakeNetlink()
    nl.routes += [
        RouteSpec(dst=ip_network("0.0.0.0/0"), dev="front0"),
        RouteSpec(dst=ip_network("198.51.100.0/24"), dev="back0"),
        RouteSpec(dst=ip_network("198.51.100.0/25"), via=ip_address("192.0.2.1")),
    ]
    assert nl.route_device("198.51.100.7") == "back0"
    assert nl.route_device("203.0.113.9") == "front0"
    assert nl.route_device("2001:db8::1") is None
