"""nftables backend: a restart adopts what is there, a foreign table is never touched, and a
service the kernel refuses is logged with its operations while the others keep working."""

from __future__ import annotations

import dataclasses
import json
import logging
import sys

import pytest

from alived.core.lb.model import LbState, RealServerHealth, RealServerParams, ServiceKey, build_service
from alived.core.lb.plan import AddDest, AddService, plan
from alived.lb import nft_render
from alived.lb.nftables import NftablesBackend
from alived.linux import kernel_ops
from tests.helpers.lb_topology import CLIENT, VIP, build, converge, nft_json, params, service
from tests.helpers.netns import Lab

pytestmark = pytest.mark.netns

FOREIGN = """
table inet foreign {
    set clients { type ipv4_addr; elements = { 192.0.2.7, 192.0.2.8 } }
    chain pre {
        type nat hook prerouting priority dstnat - 10; policy accept;
        ip saddr @clients accept comment "theirs"
    }
}
"""


def _rules(lb_director: object) -> list[dict[str, object]]:
    return [i for i in nft_json(lb_director, "table", "inet", "alived") if "rule" in i]  # type: ignore[arg-type]


def test_restart_adopts_the_rules_without_duplicates_or_a_failed_request(lab: Lab, tmp_path: object) -> None:
    lb = build(lab)
    services = [
        service(params("wrr", (1, 2, 1))),
        service(params("sh", key=ServiceKey(protocol="TCP", address=VIP, port=8080))),
    ]
    made = kernel_ops.TALLY.total()
    with lb.in_director():
        assert converge(NftablesBackend(), services) == ()
    assert kernel_ops.TALLY.total() - made == 2  # the table, then one transaction for both services
    made = kernel_ops.TALLY.total()
    before = _rules(lb.director)
    code = CLIENT.replace("sys.argv[1], int(sys.argv[2]), sys.argv[3]", f"{VIP!r}, 400, '203.0.113.2'")
    log = tmp_path / "client.json"  # type: ignore[operator]
    traffic = lb.client.popen(sys.executable, "-c", code, log=log)
    for _ in range(5):
        with lb.in_director():
            again = NftablesBackend()
            assert plan(LbState.of(services), again.read_actual()) == ()
            assert converge(again, services) == ()
    assert kernel_ops.TALLY.total() == made  # adopting what is there writes nothing
    assert traffic.wait(timeout=120) == 0
    answers = json.loads(log.read_text().splitlines()[-1])
    assert len(answers) == 400 and not [a for a in answers if a.startswith("error")], answers
    assert _rules(lb.director) == before


def test_a_foreign_table_is_never_touched(lab: Lab) -> None:
    lb = build(lab)
    lb.director.exec("sh", "-c", f"nft -f - <<'EOF'\n{FOREIGN}\nEOF")
    snapshot = nft_json(lb.director, "table", "inet", "foreign")
    with lb.in_director():
        backend = NftablesBackend()
        assert converge(backend, [service(params("rr"))]) == ()
        assert converge(backend, [service(params("mh"), "rs2")]) == ()
        assert converge(backend, []) == ()
        assert backend.read_actual().services == ()
    assert nft_json(lb.director, "table", "inet", "foreign") == snapshot


def test_a_refused_service_is_logged_with_its_operations_and_the_rest_works(
    lab: Lab, caplog: pytest.LogCaptureFixture
) -> None:
    lb = build(lab)
    good = service(params("rr"))
    bad_params = params("rr", key=ServiceKey(protocol="TCP", address=VIP, port=8080))
    # An IPv6 real server in an IPv4 service: nftables cannot DNAT across families.
    bad_params = type(bad_params)(
        key=bad_params.key,
        lb_algo="rr",
        real_servers=(RealServerParams(address="2001:db8::11", port=80),),
    )
    bad = build_service(bad_params, {("2001:db8::11", 80): RealServerHealth(alive=True)})
    caplog.set_level(logging.ERROR, logger="alived.lb.nftables")
    with lb.in_director():
        backend = NftablesBackend()
        failures = converge(backend, [good, bad])
        assert {type(f.op) for f in failures} == {AddService, AddDest}
        assert all(f.op.service in (bad.key, bad.attributes) for f in failures if isinstance(f.op, AddDest))
        assert backend.read_actual().by_key().keys() == {good.key}
    assert "nftables: AddService [203.0.113.10]:tcp:8080 rr NAT failed" in caplog.text
    assert "nftables: AddDest [2001:db8::11]:80" in caplog.text
    assert sum(lb.counts(9).values()) == 9


def _slots(lb_director: object, service_vs: object) -> dict[int, str]:
    """The service's Maglev map as the kernel holds it: slot -> destination (`address . port`)."""
    name = nft_render.map_name(service_vs)  # type: ignore[arg-type]
    for item in nft_json(lb_director, "map", "inet", "alived", name):  # type: ignore[arg-type]
        if "map" in item:
            elems = item["map"].get("elem", [])  # type: ignore[union-attr]
            return {int(slot): nft_render.value_text(dest) for slot, dest in elems}
    raise AssertionError(f"no map {name}")


def test_a_restarted_backend_moves_only_the_leaving_servers_slots(lab: Lab) -> None:
    lb = build(lab)
    full = service(params("wrr", (1, 2, 1)))
    down = service(params("wrr", (1, 2, 1)), "rs1")
    # A table updated in place differs from one filled afresh: a restarted backend must take
    # the kernel's map as it is (read back) and change only what moves.
    with lb.in_director():
        assert converge(NftablesBackend(), [full]) == ()
        assert converge(NftablesBackend(), [service(params("wrr", (1, 2, 1)), "rs3")]) == ()
        assert converge(NftablesBackend(), [full]) == ()
    before = _slots(lb.director, full)
    assert before != dict(enumerate(nft_render.dispatch_elements(full)[1]))
    with lb.in_director():
        assert converge(NftablesBackend(), [down]) == ()
        assert plan(LbState.of([down]), NftablesBackend().read_actual()) == ()
    after = _slots(lb.director, down)
    gone = set(before.values()) - set(after.values())
    assert len(gone) == 1
    moved = {s for s in before if before[s] != after[s]}
    assert moved == {s for s, c in before.items() if c in gone}
    assert set(lb.counts(20)) == {"rs2", "rs3"}


def test_a_persistence_engine_is_logged_as_ignored_and_read_back(
    lab: Lab, caplog: pytest.LogCaptureFixture
) -> None:
    # nftables has no SIP engine: the service runs with persistence by client address, the log
    # says so, and a restart reads the engine back from the table (nothing to change).
    lb = build(lab)
    sip = dataclasses.replace(service(params("rr")), persistence_timeout=60, persistence_engine="sip")
    with lb.in_director(), caplog.at_level(logging.WARNING, logger="alived.lb.nftables"):
        assert converge(NftablesBackend(), [sip]) == ()
        assert plan(LbState.of([sip]), NftablesBackend().read_actual()) == ()
    (line,) = [r.getMessage() for r in caplog.records if "persistence_engine" in r.getMessage()]
    assert "persistence_engine sip has no nftables equivalent" in line
    assert "ignored, persistence stays by the client address" in line
    assert lb.requests(5) == [lb.requests(1)[0]] * 5  # held by client address
