"""The load balancer's counters in the checker's status: per virtual server name (a group's
services summed), per real server, and IPVS's connection counts; a backend that cannot count
leaves the fields null."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alived.core.check.engine import CheckReport, RealServerReport, VirtualServerReport
from alived.core.lb.model import ServiceKey
from alived.daemon.check.lb_sink import BackendLbSink, params_by_name
from alived.daemon.check.status import document
from alived.lb.base import Counters
from alived.lb.ipvs import IpvsBackend
from alived.units import Ticks
from tests.helpers.lb_fake import RecordingBackend
from tests.helpers.lb_ipvs_fake import FakeIpvsKernel
from tests.unit.check.test_lb_sink import CONF, GROUP, RS, VS, desired, load


def _stats(packets: int, nbytes: int, conns: int = 0) -> dict[str, object]:
    return {
        "attrs": [
            ("IPVS_STATS_ATTR_CONNS", conns),
            ("IPVS_STATS_ATTR_INPKTS", packets),
            ("IPVS_STATS_ATTR_OUTPKTS", packets - 1),
            ("IPVS_STATS_ATTR_INBYTES", nbytes),
            ("IPVS_STATS_ATTR_OUTBYTES", nbytes * 2),
        ]
    }


def test_ipvs_packets_bytes_and_connections_per_real_server(tmp_path: Path) -> None:
    kernel = FakeIpvsKernel()
    sink = BackendLbSink(IpvsBackend(transport=kernel))
    sink.configure(load(tmp_path, CONF))
    sink.apply(desired(*RS))
    ((key, service),) = kernel.services.items()
    service["IPVS_SVC_ATTR_STATS64"] = _stats(30, 4500, 6)
    dest = kernel.dests[key][(RS[0], 80)]
    dest.update(
        IPVS_DEST_ATTR_STATS64=_stats(20, 3000, 5),
        IPVS_DEST_ATTR_ACTIVE_CONNS=4,
        IPVS_DEST_ATTR_INACT_CONNS=7,
    )
    counters = sink.traffic()[VS]
    assert (counters.packets, counters.bytes) == (30, 4500)
    assert counters.real_servers[(RS[0], 80)] == (20, 3000)
    assert counters.connections[(RS[0], 80)] == (4, 7)
    assert counters.connections[(RS[1], 80)] == (0, 0)
    assert (counters.new_connections, counters.rs_new_connections[(RS[0], 80)]) == (6, 5)
    assert not counters.first_packets_only
    assert (counters.out, counters.rs_out[(RS[0], 80)]) == ((29, 9000), (19, 6000))


class CountingBackend(RecordingBackend):
    def counters(self) -> dict[ServiceKey, Counters]:
        return {
            vs.key: Counters(
                packets=10,
                bytes=100,
                real_servers={rs.key: (1, 10) for rs in vs.real_servers},
            )
            for vs in self.state.services
        }


def test_a_group_sums_its_services(tmp_path: Path) -> None:
    backend = CountingBackend()
    sink = BackendLbSink(backend)
    config = load(tmp_path, GROUP)
    sink.configure(config)
    (name,) = params_by_name(config)  # the group's virtual server, as the checker names it
    sink.apply(desired("198.51.100.11", name=name))
    counters = sink.traffic()[name]
    assert len(backend.state.services) == 2
    assert (counters.packets, counters.bytes) == (20, 200)
    assert counters.real_servers == {("198.51.100.11", 80): (2, 20)}
    assert counters.connections == {}


def test_a_backend_that_fails_to_count_leaves_no_traffic(tmp_path: Path) -> None:
    class Broken(RecordingBackend):
        def counters(self) -> dict[ServiceKey, Counters]:
            raise OSError("nft: no such table")

    sink = BackendLbSink(Broken())
    sink.configure(load(tmp_path, CONF))
    sink.apply(desired(*RS))
    assert sink.traffic() == {}


def _rs(address: str, port: int | None) -> RealServerReport:
    check = CheckReport(
        keyword="TCP_CHECK",
        up=True,
        has_run=True,
        last_success=True,
        last_reason="",
        last_run=None,
        enabled=True,
    )
    return RealServerReport(
        name=f"[{address}]:tcp:{port or 0}",
        address=address,
        port=port,
        alive=True,
        weight=1,
        pool_weight=1,
        checks=(check,),
    )


def test_real_servers_without_a_port_match_by_their_address_when_it_is_unique() -> None:
    reports = [
        VirtualServerReport(
            name="FWM 1",
            quorum_up=True,
            sorry_active=False,
            real_servers=(_rs("192.0.2.21", None), _rs("192.0.2.22", None), _rs("192.0.2.23", 80)),
        )
    ]
    counters = Counters(
        packets=9,
        bytes=90,
        real_servers={("192.0.2.21", 80): (5, 50), ("192.0.2.22", 80): (1, 1), ("192.0.2.22", 81): (2, 2)},
    )
    doc = document(reports, Ticks(0), [], 0, {"FWM 1": counters})
    one, two, three = doc["virtual_servers"][0]["real_servers"]
    assert (one["packets"], one["bytes"]) == (5, 50)
    assert two["packets"] is None  # two destinations at that address: which one is unknown
    assert three["packets"] is None  # not in the backend's counters
    assert doc["virtual_servers"][0]["packets"] == 9
    plain = document(reports, Ticks(0), [], 0)
    assert plain["virtual_servers"][0]["packets"] is None


def test_nftables_nat_counts_connections_not_packets() -> None:
    """Its counters see a connection's first packet only: they are shown as connections."""
    reports = [
        VirtualServerReport(
            name="[192.0.2.10]:tcp:80",
            quorum_up=True,
            sorry_active=False,
            real_servers=(_rs("192.0.2.21", 80),),
        )
    ]
    counters = Counters(
        packets=12, bytes=720, real_servers={("192.0.2.21", 80): (12, 720)}, first_packets_only=True
    )
    (vs,) = document(reports, Ticks(0), [], 0, {"[192.0.2.10]:tcp:80": counters})["virtual_servers"]
    (rs,) = vs["real_servers"]
    assert (vs["packets"], vs["bytes"], vs["connections"]) == (None, None, 12)
    assert (rs["packets"], rs["bytes"], rs["connections"]) == (None, None, 12)


def test_a_reader_for_another_thread_where_the_backend_has_one(tmp_path: Path) -> None:
    class WithReader(CountingBackend):
        def counter_reader(self) -> Callable[[], dict[ServiceKey, Counters]]:
            return self.counters

    plain = BackendLbSink(CountingBackend())
    plain.configure(load(tmp_path, CONF))
    assert plain.traffic_reader() is None  # read on the loop: quick

    sink = BackendLbSink(WithReader())
    sink.configure(load(tmp_path, CONF))
    sink.apply(desired(*RS))
    reader = sink.traffic_reader()
    assert reader is not None
    assert reader() == sink.traffic()
    assert reader()[VS].real_servers[(RS[0], 80)] == (1, 10)
