"""Hypothesis over whole LANs of VrrpInstances (FakeLan, virtual time): the protocol's promises.

1. Connected and quiet for long enough: exactly one MASTER, of the highest effective priority
   (a simultaneous start also breaks ties by the highest primary address), unless the top
   router is nopreempt and an earlier master keeps the role.
2. A MASTER holds its VIPs and nothing else does (checked after every step, from the actions).
3. After a partition heals: one master within one advert interval plus skew.
4. After a graceful stop of the master: a backup is MASTER within its Skew_Time (+ latency);
   after a crash: within its Master_Down_Interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from alived.core.vrrp.inputs import FaultCleared, FaultRaised, TrackerChanged
from alived.core.vrrp.params import InitialState, InstanceParams, TrackerSpec
from alived.core.vrrp.states import State
from alived.core.vrrp.timers import master_down_interval, skew_time
from alived.core.vrrp.tracker import TrackerKind
from alived.units import CENTISECOND, MILLISECOND, SECOND, Ticks
from tests.helpers.fakelan import FakeLan, make_params

LATENCY = Ticks(300)


@dataclass(frozen=True, slots=True, kw_only=True)
class Lan:
    version: int
    interval: Ticks
    routers: tuple[InstanceParams, ...]


@st.composite
def lans(draw: st.DrawFn, *, min_size: int = 2, max_size: int = 4, extras: bool = True) -> Lan:
    version = draw(st.sampled_from([2, 3]))
    interval = (
        Ticks(draw(st.integers(1, 2)) * SECOND)
        if version == 2
        else Ticks(draw(st.sampled_from([10, 25, 100])) * CENTISECOND)
    )
    n = draw(st.integers(min_size, max_size))
    lasts = draw(st.lists(st.integers(1, 250), min_size=n, max_size=n, unique=True))
    owner = extras and draw(st.booleans()) and draw(st.integers(0, 4)) == 0
    routers = []
    for index, last in enumerate(lasts):
        priority = 255 if owner and index == 0 else draw(st.sampled_from([50, 100, 100, 150, 200, 254]))
        flags: dict[str, object] = {}
        if extras and priority != 255:
            choice = draw(st.sampled_from(["", "", "nopreempt", "delay"]))
            if choice == "nopreempt":
                flags["nopreempt"] = True
            elif choice == "delay":
                flags["preempt_delay"] = Ticks(draw(st.integers(1, 4)) * SECOND)
        routers.append(
            make_params(
                address=f"192.0.2.{last}",
                priority=priority,
                version=version,
                advert_int=interval,
                initial_state=InitialState.MASTER if priority == 255 else InitialState.BACKUP,
                trackers=(TrackerSpec(kind=TrackerKind.SCRIPT, name="chk", weight=-60),),
                **flags,  # type: ignore[arg-type]
            )
        )
    return Lan(version=version, interval=interval, routers=tuple(routers))


def build(lan_spec: Lan, *, seed: int = 0) -> FakeLan:
    lan = FakeLan(seed=seed, latency=LATENCY)
    for index, params in enumerate(lan_spec.routers):
        lan.add_router(f"r{index}", [params], start=False)
    return lan


def quiet_time(spec: Lan) -> Ticks:
    """Long enough for any election to finish: preempt delay, then two down intervals and an advert."""
    delay = max(p.preempt_delay for p in spec.routers)
    return Ticks(
        delay + 2 * master_down_interval(spec.version, 1, spec.interval) + spec.interval + 10 * MILLISECOND
    )


def eligible(lan: FakeLan) -> list[tuple[str, int, int, bool]]:
    """(router, effective priority, address, nopreempt) of live, non-FAULT routers."""
    out = []
    for router in lan.routers.values():
        if router.alive:
            inst = router.instances["VI_1"]
            if inst.state in (State.BACKUP, State.MASTER):
                out.append(
                    (
                        router.name,
                        inst.effective_priority,
                        int(inst.params.primary_address),
                        inst.params.nopreempt,
                    )
                )
    return out


def check_single_rightful_master(lan: FakeLan, *, ties_by_address: bool) -> None:
    masters = lan.masters("VI_1")
    candidates = eligible(lan)
    if not candidates:
        assert masters == []
        return
    assert len(masters) == 1, f"masters {masters} at {lan.now}"
    best = max(candidates, key=lambda c: (c[1], c[2]))
    top_priority = best[1]
    current = next(c for c in candidates if c[0] == masters[0])
    if not best[3]:  # the best router preempts: it, or an equal-priority peer, is master
        assert current[1] == top_priority, (masters, candidates)
        if ties_by_address:
            assert current[0] == best[0], (masters, candidates)


SETTINGS = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(spec=lans(extras=False))
def test_simultaneous_start_elects_highest_priority_then_address(spec: Lan) -> None:
    lan = build(spec)
    for name in lan.routers:
        lan.start(name)
    lan.run_for(quiet_time(spec))
    check_single_rightful_master(lan, ties_by_address=True)
    lan.check_vip_invariant()


@SETTINGS
@given(spec=lans(), data=st.data())
def test_staggered_start_converges_to_one_rightful_master(spec: Lan, data: st.DataObject) -> None:
    lan = build(spec)
    for name in lan.routers:
        lan.run_for(Ticks(data.draw(st.integers(0, 5 * SECOND))))
        lan.start(name)
    lan.run_for(quiet_time(spec))
    check_single_rightful_master(lan, ties_by_address=False)
    lan.check_vip_invariant()


@SETTINGS
@given(spec=lans(), data=st.data())
def test_partition_heals_to_one_master_within_an_advert_interval(spec: Lan, data: st.DataObject) -> None:
    lan = build(spec)
    for name in lan.routers:
        lan.start(name)
    lan.run_for(quiet_time(spec))
    names = list(lan.routers)
    side = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=len(names) - 1, unique=True))
    lan.partition(side)
    lan.run_for(quiet_time(spec))
    lan.check_vip_invariant()
    lan.heal()
    lan.run_for(Ticks(spec.interval + skew_time(spec.version, 1, spec.interval) + 2 * LATENCY))
    assert len(lan.masters("VI_1")) == 1, lan.masters("VI_1")
    lan.check_vip_invariant()


@SETTINGS
@given(spec=lans(), graceful=st.booleans())
def test_master_loss_is_covered_within_the_protocol_bound(spec: Lan, graceful: bool) -> None:
    lan = build(spec)
    for name in lan.routers:
        lan.start(name)
    lan.run_for(quiet_time(spec))
    [old] = lan.masters("VI_1")
    backups = [lan.routers[n].instances["VI_1"] for n in lan.routers if n != old]
    best = max(b.effective_priority for b in backups)
    lost = lan.now
    if graceful:
        lan.stop(old)
        bound = skew_time(spec.version, best, spec.interval) + LATENCY
    else:
        lan.crash(old)
        bound = master_down_interval(spec.version, best, spec.interval)
    lan.run_for(Ticks(bound + MILLISECOND))
    took = lan.first_transition(to="MASTER", after=lost)
    assert took is not None, "nobody took over"
    assert took.time - lost <= bound
    lan.check_vip_invariant()


class LanMachine(RuleBasedStateMachine):
    """Random sequences of crashes, restarts, stops, partitions, loss and tracker flips."""

    def __init__(self) -> None:
        super().__init__()
        self.lan = FakeLan()
        self.spec: Lan | None = None

    @initialize(spec=lans(min_size=2, max_size=3), seed=st.integers(0, 1000))
    def setup(self, spec: Lan, seed: int) -> None:
        self.spec = spec
        self.lan = build(spec, seed=seed)
        for name in self.lan.routers:
            self.lan.start(name)

    def _names(self) -> list[str]:
        return list(self.lan.routers)

    @rule(data=st.data(), duration=st.integers(0, 8 * SECOND))
    def run(self, data: st.DataObject, duration: int) -> None:
        del data
        self.lan.run_for(Ticks(duration))

    @rule(index=st.integers(0, 2))
    def crash(self, index: int) -> None:
        name = self._names()[index % len(self.lan.routers)]
        if self.lan.routers[name].alive:
            self.lan.crash(name)

    @rule(index=st.integers(0, 2))
    def stop(self, index: int) -> None:
        name = self._names()[index % len(self.lan.routers)]
        if self.lan.routers[name].alive:
            self.lan.stop(name)

    @rule(index=st.integers(0, 2))
    def restart(self, index: int) -> None:
        self.lan.restart(self._names()[index % len(self.lan.routers)])

    @rule(index=st.integers(0, 2), ok=st.booleans())
    def tracker(self, index: int, ok: bool) -> None:
        self.lan.feed(
            self._names()[index % len(self.lan.routers)],
            "VI_1",
            TrackerChanged(kind=TrackerKind.SCRIPT, name="chk", ok=ok),
        )

    @rule(index=st.integers(0, 2))
    def partition(self, index: int) -> None:
        self.lan.partition([self._names()[index % len(self.lan.routers)]])

    @rule()
    def heal(self) -> None:
        self.lan.heal()

    @rule(loss=st.sampled_from([0.0, 0.3, 1.0]))
    def set_loss(self, loss: float) -> None:
        self.lan.loss = loss

    @invariant()
    def vips_follow_mastership(self) -> None:
        self.lan.check_vip_invariant()

    @precondition(lambda self: self.spec is not None)
    @rule()
    def settle(self) -> None:
        assert self.spec is not None
        self.lan.heal()
        self.lan.loss = 0.0
        self.lan.run_for(quiet_time(self.spec))
        check_single_rightful_master(self.lan, ties_by_address=False)


TestLanMachine = LanMachine.TestCase
TestLanMachine.settings = settings(
    max_examples=300, stateful_step_count=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def _group_router_params(last: int, priority: int, version: int) -> list[InstanceParams]:
    return [
        make_params("VI_1", address=f"192.0.2.{last}", priority=priority, vrid=1, version=version),
        make_params(
            "VI_2",
            address=f"198.51.100.{last}",
            priority=priority,
            vrid=2,
            version=version,
            addresses=(IPv4Address("198.51.100.100"),),
        ),
    ]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    priorities=st.lists(st.sampled_from([50, 100, 150, 200]), min_size=2, max_size=3),
    version=st.sampled_from([2, 3]),
    events=st.lists(
        st.tuples(
            st.sampled_from(["crash", "restart", "fault", "clear", "run"]),
            st.integers(0, 2),
            st.sampled_from(["VI_1", "VI_2"]),
        ),
        max_size=8,
    ),
)
def test_sync_groups_move_together_and_converge(
    priorities: list[int], version: int, events: list[tuple[str, int, str]]
) -> None:
    lan = FakeLan(latency=LATENCY)
    names = [f"r{i}" for i in range(len(priorities))]
    for index, (name, priority) in enumerate(zip(names, priorities, strict=True)):
        lan.add_router(
            name, _group_router_params(index + 1, priority, version), sync_groups={"G": ("VI_1", "VI_2")}
        )
    for kind, index, member in events:
        name = names[index % len(names)]
        router = lan.routers[name]
        if kind == "crash" and router.alive:
            lan.crash(name)
        elif kind == "restart":
            lan.restart(name)
        elif kind == "fault":
            lan.feed(name, member, FaultRaised(reason="link"))
        elif kind == "clear":
            lan.feed(name, member, FaultCleared(reason="link"))
        lan.run_for(Ticks(2 * SECOND))
        lan.check_vip_invariant()
        for r in lan.routers.values():
            if r.alive:
                states = {i.state for i in r.instances.values()}
                assert len(states) == 1, (r.name, states)  # members move together
    for name in names:  # clear every fault
        for member in ("VI_1", "VI_2"):
            lan.feed(name, member, FaultCleared(reason="link"))
    lan.run_for(Ticks(4 * master_down_interval(2, 1, SECOND)))
    alive = [r for r in lan.routers.values() if r.alive]
    if alive:
        assert lan.masters("VI_1") == lan.masters("VI_2")
        assert len(lan.masters("VI_1")) == 1, lan.masters("VI_1")
        top = max(r.instances["VI_1"].effective_priority for r in alive)
        [winner] = lan.masters("VI_1")
        assert lan.routers[winner].instances["VI_1"].effective_priority == top
    lan.check_vip_invariant()
