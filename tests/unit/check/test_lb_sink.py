"""The backend LbSink: the checker core's desired pools become planned backend operations.

Against the recording backend twin (tests/helpers/lb_fake.py): adoption of the state in place
(a restarted child changes nothing), one operation per health change, group expansion, a
refused or raising backend that never takes the child down, release (or not) at stop.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from ipaddress import ip_address
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alived.config.load import load_config
from alived.config.model import Config
from alived.core.check.desired import DesiredVirtualServer, Destination
from alived.core.lb.model import LbState, RealServerParams, ServiceKey, ServiceParams
from alived.core.lb.plan import AddDest, DelDest, DelService, EditService, Op
from alived.daemon.check.dr_links import DrLinks
from alived.daemon.check.driver import CheckDriver
from alived.daemon.check.lb_sink import (
    BackendLbSink,
    _Builder,
    backend_sink,
    desired_service,
    params_by_name,
)
from alived.daemon.check.params import build
from alived.daemon.lb_params import BackendChoice
from alived.lb.ipvs import IpvsBackend
from alived.units import Ticks
from tests.helpers.fake_probe import DOWN, FakeProbes
from tests.helpers.lb_fake import RecordingBackend
from tests.helpers.lb_ipvs_fake import FakeIpvsKernel

VS = "[203.0.113.10]:tcp:80"
KEY = ServiceKey(protocol="TCP", address="203.0.113.10", port=80)
RS = ("198.51.100.11", "198.51.100.12", "198.51.100.13")

CONF = """
virtual_server 203.0.113.10 80 {
    delay_loop 0.05
    lb_kind NAT
    lb_algo rr
    protocol TCP
    real_server 198.51.100.11 80 { TCP_CHECK { connect_timeout 0.2 retry 0 } }
    real_server 198.51.100.12 80 { TCP_CHECK { connect_timeout 0.2 retry 0 } }
    real_server 198.51.100.13 80 { TCP_CHECK { connect_timeout 0.2 retry 0 } }
}
"""

GROUP = """
virtual_server_group WEB {
    203.0.113.20-21 80
}
virtual_server group WEB {
    lb_algo wrr
    protocol TCP
    real_server 198.51.100.11 80 { weight 2 }
}
"""


def load(tmp_path: Path, text: str = CONF) -> Config:
    path = tmp_path / "k.conf"
    path.write_text(text)
    config = load_config(path).config
    assert config is not None
    return config


def desired(*up: str, name: str = VS, weight: int = 1) -> DesiredVirtualServer:
    return DesiredVirtualServer(
        name=name,
        protocol="tcp",
        address=ip_address("203.0.113.10"),
        port=80,
        fwmark=None,
        group=None,
        destinations=tuple(Destination(address=ip_address(a), port=80, weight=weight) for a in up),
        quorum_up=bool(up),
    )


def flat(backend: RecordingBackend) -> list[Op]:
    return [op for ops in backend.applied for op in ops]


def test_the_pool_follows_health_one_operation_per_change(tmp_path: Path) -> None:
    backend = RecordingBackend()
    sink = BackendLbSink(backend)
    sink.configure(load(tmp_path))
    sink.apply(desired(*RS))
    (vs,) = backend.state.services
    assert (vs.key, vs.lb_algo, [rs.address for rs in vs.real_servers]) == (KEY, "rr", list(RS))
    backend.applied.clear()
    sink.apply(desired(RS[0], RS[2]))
    assert flat(backend) == [DelDest(service=KEY, address=RS[1], port=80)]
    backend.applied.clear()
    sink.apply(desired(*RS))
    assert [type(op) for op in flat(backend)] == [AddDest]
    sink.apply(desired(*RS), removed=True)
    assert backend.state == LbState()
    assert isinstance(flat(backend)[-1], DelService)


def test_a_restarted_child_adopts_the_rules_in_place(tmp_path: Path) -> None:
    config = load(tmp_path)
    first = RecordingBackend()
    sink = BackendLbSink(first)
    sink.configure(config)
    sink.apply(desired(*RS))
    # A stale service of ours (no longer configured) sits beside the configured one.
    stale = desired_service(
        params_by_name(load(tmp_path, CONF.replace("203.0.113.10", "203.0.113.99")))["[203.0.113.99]:tcp:80"][
            0
        ],
        desired(*RS),
    )
    restarted = RecordingBackend(state=LbState.of([*first.state.services, stale]))
    sink = BackendLbSink(restarted)
    sink.configure(config)
    sink.apply(desired(*RS))
    # Nothing was flushed or re-added: only the stale service went.
    assert flat(restarted) == [DelService(key=stale.key)]
    assert restarted.state == first.state


def test_a_group_is_one_service_per_member_with_weights(tmp_path: Path) -> None:
    backend = RecordingBackend()
    sink = BackendLbSink(backend)
    sink.configure(load(tmp_path, GROUP))
    sink.apply(
        DesiredVirtualServer(
            name="[WEB]:0",
            protocol="tcp",
            address=None,
            port=None,
            fwmark=None,
            group="WEB",
            destinations=(Destination(address=ip_address(RS[0]), port=80, weight=2),),
            quorum_up=True,
        )
    )
    assert [(vs.key.address, vs.lb_algo, vs.real_servers[0].weight) for vs in backend.state.services] == [
        ("203.0.113.20", "wrr", 2),
        ("203.0.113.21", "wrr", 2),
    ]


def test_a_reload_that_changes_the_algorithm_edits_the_service(tmp_path: Path) -> None:
    backend = RecordingBackend()
    sink = BackendLbSink(backend)
    sink.configure(load(tmp_path))
    sink.apply(desired(*RS))
    backend.applied.clear()
    sink.configure(load(tmp_path, CONF.replace("lb_algo rr", "lb_algo wrr")))
    assert [type(op) for op in flat(backend)] == [EditService]
    assert backend.state.services[0].lb_algo == "wrr"


def test_a_refused_operation_is_retried_and_the_rest_keeps_working(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    refusing = True
    backend = RecordingBackend(
        refuse=lambda op: refusing and isinstance(op, AddDest) and op.dest.address == RS[1]
    )
    sink = BackendLbSink(backend)
    sink.configure(load(tmp_path))
    sink.apply(desired(*RS))
    assert [rs.address for rs in backend.state.services[0].real_servers] == [RS[0], RS[2]]
    refusing = False
    sink.apply(desired(*RS))  # same pool again: planned against the state read back
    assert [rs.address for rs in backend.state.services[0].real_servers] == list(RS)


class Exploding(RecordingBackend):
    def apply(self, ops: tuple[Op, ...]) -> tuple[()]:
        raise OSError("netlink went away")


def test_a_raising_backend_is_logged_with_the_operation(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sink = BackendLbSink(Exploding())
    sink.configure(load(tmp_path))
    with caplog.at_level(logging.ERROR):
        sink.apply(desired(*RS))
    assert f"AddService {KEY} rr NAT failed: netlink went away" in caplog.text


def test_a_backend_that_cannot_start_leaves_the_checks_running(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(choice: BackendChoice, links: DrLinks) -> RecordingBackend:
        raise OSError("no nf_tables")

    with caplog.at_level(logging.ERROR):
        assert backend_sink(load(tmp_path), "nftables", broken) is None
    assert "Load balancer backend nftables cannot start (--lvs-backend nftables): no nf_tables" in caplog.text
    assert backend_sink(load(tmp_path), "nftables", lambda c, links: RecordingBackend()) is not None


@pytest.mark.parametrize("release", [True, False])
def test_stop_removes_the_services_unless_told_not_to(tmp_path: Path, release: bool) -> None:
    config = load(tmp_path)
    probes = FakeProbes()
    built = build(config, probes)
    probes.made["198.51.100.12:80"].results = lambda n: DOWN
    backend = RecordingBackend()
    sink = BackendLbSink(backend)
    sink.configure(config)
    during: list[LbState] = []

    async def scenario() -> None:
        driver = CheckDriver(sink, jitter=lambda bound: Ticks(0))
        driver.start(built)
        driver.core.timer(Ticks(2**62))
        driver._settle()
        for _ in range(500):
            if len(backend.state.services[0].real_servers) == 2:
                break
            await asyncio.sleep(0.01)
        during.append(backend.state)
        await driver.stop(release=release)

    asyncio.run(scenario())
    assert [rs.address for rs in during[0].services[0].real_servers] == [RS[0], RS[2]]
    assert backend.state == (LbState() if release else during[0])


def test_on_ipvs_the_sink_adopts_only_what_it_owns_and_plans_nothing_twice(tmp_path: Path) -> None:
    kernel = FakeIpvsKernel()
    config = load(tmp_path)
    sink = BackendLbSink(IpvsBackend(transport=kernel))
    sink.configure(config)
    sink.apply(desired(*RS))
    sink.apply(desired(RS[0], RS[2]))
    restarted = BackendLbSink(IpvsBackend(transport=kernel))
    restarted.configure(config)  # owns the configured service, reads it back from the kernel
    (vs,) = restarted.actual.services
    assert (vs.key, [rs.address for rs in vs.real_servers]) == (KEY, [RS[0], RS[2]])
    sent = len(kernel.sent)
    restarted.apply(desired(RS[0], RS[2]))  # the pool in the kernel already: nothing is sent
    assert len(kernel.sent) == sent
    restarted.apply(desired(*RS))
    assert len(kernel.sent) == sent + 1  # one NEW_DEST


def test_a_change_keeps_the_unchanged_real_servers_as_the_same_objects(tmp_path: Path) -> None:
    # The planner and the backend look only at destinations that are not the same objects:
    # the sink must carry the unchanged ones over, or a change costs a walk of the pool.
    sink = BackendLbSink(RecordingBackend())
    sink.configure(load(tmp_path))
    sink.apply(desired(*RS))
    (before,) = sink.actual.services
    sink.apply(desired(RS[0], RS[2]))
    (after,) = sink.actual.services
    assert [rs.address for rs in after.real_servers] == [RS[0], RS[2]]
    assert after.real_servers[0] is before.real_servers[0]
    assert after.real_servers[1] is before.real_servers[2]
    sink.apply(desired(RS[0], RS[2]))  # unchanged health: the very same service, no operation
    (again,) = sink.actual.services
    assert again is after
    (params,) = params_by_name(load(tmp_path))[VS]
    built = desired_service(params, desired(*RS), after)
    assert built.real_servers[0] is after.real_servers[0]
    assert built.real_servers[2] is after.real_servers[1]
    assert desired_service(params, desired(RS[0], RS[2]), after) is after


_POOL = tuple(
    RealServerParams(address=f"198.51.100.{i % 5 + 1}", port=8000 + i // 5, weight=i % 3 + 1)
    for i in range(40)
)
_SORRY = RealServerParams(address="198.51.100.99", port=80)
_PARAMS = ServiceParams(key=KEY, lb_algo="wrr", real_servers=_POOL, sorry_server=_SORRY)


@st.composite
def _pools(draw: st.DrawFn) -> list[list[tuple[int, int]]]:
    """Steps of (index into the pool, -1 for the sorry server, -2 for an unknown address, or
    1000 + index for a second Destination of a real server; weight): the destinations the
    checker core hands over at each health change."""
    steps = []
    alive = dict.fromkeys(range(len(_POOL)), 1)
    for _ in range(draw(st.integers(1, 8))):
        for i in draw(st.lists(st.integers(0, len(_POOL) - 1), max_size=6)):
            if draw(st.booleans()):
                alive.pop(i, None)
            else:
                alive[i] = draw(st.integers(0, 3))
        step = sorted(alive.items())
        if draw(st.integers(0, 9)) == 0:
            step.append((-1, 1))
        if draw(st.integers(0, 19)) == 0:
            step.append((-2, 1))
        if draw(st.integers(0, 9)) == 0 and step:
            # One real server named twice: by the same object, or by a new one (+1000).
            i, weight = draw(st.sampled_from(step))
            step.append((i, weight) if draw(st.booleans()) or i < 0 else (i + 1000, draw(st.integers(0, 3))))
        steps.append(step)
    return steps


@given(_pools())
@settings(max_examples=200, deadline=None)
def test_the_incremental_service_equals_a_full_mapping(steps: list[list[tuple[int, int]]]) -> None:
    # As the checker core: the same Destination object while a real server's weight holds.
    cache: dict[int, Destination] = {}
    builder = _Builder(_PARAMS)
    previous = None
    for step in steps:
        dests = []
        for i, weight in step:
            if i == -1:
                dests.append(
                    Destination(address=ip_address(_SORRY.address), port=80, weight=weight, sorry=True)
                )
            elif i == -2:
                dests.append(Destination(address=ip_address("192.0.2.77"), port=80, weight=weight))
            elif i >= 1000:
                rs = _POOL[i - 1000]
                dests.append(Destination(address=ip_address(rs.address), port=rs.port, weight=weight))
            else:
                d = cache.get(i)
                if d is None or d.weight != weight:
                    rs = _POOL[i]
                    d = cache[i] = Destination(address=ip_address(rs.address), port=rs.port, weight=weight)
                dests.append(d)
        wanted = dataclasses.replace(desired(), destinations=tuple(dests))
        built = builder.build(wanted, previous)
        assert built == desired_service(_PARAMS, wanted)
        assert [(rs.key, rs.weight) for rs in built.real_servers] == [
            (rs.key, rs.weight) for rs in desired_service(_PARAMS, wanted).real_servers
        ]
        previous = built


MANY = "".join(
    f"""
virtual_server 203.0.113.{i} 80 {{
    lb_algo rr
    protocol TCP
    real_server 198.51.100.11 80 {{ }}
    real_server 198.51.100.12 80 {{ }}
}}
"""
    for i in range(1, 6)
)


def test_start_and_stop_are_one_backend_apply_each(tmp_path: Path) -> None:
    # Every virtual server comes up at once: one plan, one transaction (one apply each
    # made 1,000 virtual servers a minute's start-up), and one again when stop releases them.
    config = load(tmp_path, MANY)
    backend = RecordingBackend()
    sink = BackendLbSink(backend)
    sink.configure(config)
    counts: list[int] = []

    async def scenario() -> None:
        driver = CheckDriver(sink, jitter=lambda bound: Ticks(0))
        driver.start(build(config, FakeProbes()))
        counts.append(len(backend.applied))
        await driver.stop()

    asyncio.run(scenario())
    assert counts == [1]
    assert [type(op) for op in backend.applied[0]].count(AddDest) == 10
    assert len(backend.applied) == 2
    assert {type(op) for op in backend.applied[1]} == {DelService}
    assert backend.state == LbState()


def test_many_changes_equal_the_same_changes_one_by_one(tmp_path: Path) -> None:
    config = load(tmp_path, CONF + GROUP)
    group = DesiredVirtualServer(
        name="[WEB]:0",
        protocol="tcp",
        address=None,
        port=None,
        fwmark=None,
        group="WEB",
        destinations=(Destination(address=ip_address(RS[0]), port=80, weight=2),),
        quorum_up=True,
    )
    steps: list[list[tuple[DesiredVirtualServer, bool]]] = [
        [(desired(*RS), False), (group, False)],
        [(desired(RS[0]), False), (desired(RS[1], RS[2]), False), (group, True)],
        [(desired(*RS), True), (group, False), (desired(RS[2]), False)],
        [(DesiredVirtualServer(**{**dataclasses.asdict(group), "name": "unknown"}), False)],
    ]
    one_by_one, together = BackendLbSink(RecordingBackend()), BackendLbSink(RecordingBackend())
    for sink in (one_by_one, together):
        sink.configure(config)
    for step in steps:
        for d, removed in step:
            one_by_one.apply(d, removed=removed)
        together.apply_many(step)
        assert together.actual == one_by_one.actual
    addresses = [vs.key.address for vs in together.actual.services]
    assert addresses == ["203.0.113.10", "203.0.113.20", "203.0.113.21"]


def test_names_sharing_a_service_are_applied_in_turn(tmp_path: Path) -> None:
    # A virtual server and a group naming the same service: the last change wins, as when
    # applied one by one (one plan over both would hold the service twice).
    config = load(tmp_path, CONF + GROUP.replace("203.0.113.20-21", "203.0.113.10-11"))
    group = DesiredVirtualServer(
        name="[WEB]:0",
        protocol="tcp",
        address=None,
        port=None,
        fwmark=None,
        group="WEB",
        destinations=(Destination(address=ip_address(RS[0]), port=80, weight=2),),
        quorum_up=True,
    )
    backend = RecordingBackend()
    sink = BackendLbSink(backend)
    sink.configure(config)
    sink.apply_many([(desired(*RS), False), (group, False)])
    assert [[(rs.address, rs.weight) for rs in vs.real_servers] for vs in backend.state.services] == [
        [(RS[0], 2)],
        [(RS[0], 2)],
    ]
    sink.apply_many([(group, False), (desired(RS[1]), False)])
    assert [rs.address for rs in backend.state.services[0].real_servers] == [RS[1]]
