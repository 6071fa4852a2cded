"""core/vrrp/track_process.py: matching, counting, quorum bounds and delays (keepalived's track_process.c)."""

from __future__ import annotations

from alived.core.vrrp import priority as prio
from alived.core.vrrp.params import TrackerSpec
from alived.core.vrrp.track_process import (
    ParamMatch,
    ProcessSpec,
    ProcessTable,
    ProcInfo,
    check_params,
    matches,
)
from alived.core.vrrp.tracker import TrackerKey, TrackerKind
from alived.units import SECOND, Ticks

T0 = Ticks(1_000 * SECOND)


WEB = TrackerKey(TrackerKind.PROCESS, "web")


def nginx(**kw: object) -> ProcessSpec:
    return ProcessSpec(name="web", process="nginx", **kw)  # type: ignore[arg-type]


def info(comm: str, *argv: str) -> ProcInfo:
    return ProcInfo(comm=comm, cmdline=b"".join(a.encode() + b"\0" for a in argv))


def test_comm_match_is_exact_on_comm_not_argv0() -> None:
    spec = nginx()
    assert matches(spec, info("nginx", "/usr/sbin/nginx", "-g"))
    assert not matches(spec, info("nginx-debug", "nginx"))
    assert not matches(spec, info("sleep", "nginx"))  # exec -a changes argv[0], not comm


def test_full_command_matches_argv0() -> None:
    spec = nginx(full_command=True)
    assert matches(spec, info("sleep", "nginx", "1000"))
    assert not matches(spec, info("nginx", "/usr/sbin/nginx"))


def test_param_match_modes() -> None:
    def spec(mode: ParamMatch, *args: str) -> ProcessSpec:
        return nginx(params=b"".join(a.encode() + b"\0" for a in args), param_match=mode, full_command=True)

    exact = spec(ParamMatch.EXACT, "-c", "web.conf")
    assert check_params(exact, b"-c\0web.conf\0")
    assert not check_params(exact, b"-c\0web.conf\0-q\0")
    assert not check_params(exact, b"-c\0web\0")
    assert check_params(nginx(param_match=ParamMatch.EXACT), b"")
    assert not check_params(nginx(param_match=ParamMatch.EXACT), b"-q\0")
    partial = spec(ParamMatch.PARTIAL, "-c", "web.conf")
    assert check_params(partial, b"-c\0web.conf\0-q\0")
    assert not check_params(partial, b"-c\0web.conf.old\0")
    initial = spec(ParamMatch.INITIAL, "-c", "web")
    assert check_params(initial, b"-c\0web.conf\0-q\0")
    assert not check_params(initial, b"-d\0web.conf\0")
    assert matches(partial, info("x", "nginx", "-c", "web.conf", "-q"))
    assert not matches(exact, info("x", "nginx", "-c", "web.conf", "-q"))


def test_scan_sets_quorum_without_logging_a_change() -> None:
    table = ProcessTable([nginx(quorum=2)])
    table.scan({1: info("nginx"), 2: info("nginx"), 3: info("sshd")})
    assert table.count("web") == 2
    assert table.have_quorum("web")
    table.scan({1: info("nginx")})
    assert not table.have_quorum("web")


def test_quorum_and_quorum_max_through_forks_and_exits() -> None:
    table = ProcessTable([nginx(quorum=2, quorum_max=3)])
    table.scan({10: info("nginx")})
    assert not table.have_quorum("web")
    assert table.fork(10, 11, T0) == [("web", True)]
    assert table.fork(10, 12, T0) == []  # 3: still within quorum_max
    assert table.fork(10, 13, T0) == [("web", False)]  # 4 > quorum_max
    assert table.exit(13, T0) == [("web", True)]
    assert table.exit(99, T0) == []  # untracked pid
    assert table.fork(99, 100, T0) == []  # child of an untracked pid
    assert table.exit(12, T0) == []
    assert table.exit(11, T0) == [("web", False)]
    assert table.count("web") == 1


def test_quorum_max_zero_means_the_process_must_not_run() -> None:
    table = ProcessTable([nginx(quorum=0, quorum_max=0)])
    table.scan({})
    assert table.have_quorum("web")
    assert table.exec(5, info("nginx"), T0) == [("web", False)]
    assert table.exit(5, T0) == [("web", True)]


def test_exec_into_and_out_of_the_name_and_comm_change() -> None:
    table = ProcessTable([nginx()])
    table.scan({})
    assert table.exec(7, info("sh"), T0) == []
    assert table.exec(7, info("nginx"), T0) == [("web", True)]
    assert table.exec(7, info("nginx"), T0) == []  # counted once, not twice
    assert table.count("web") == 1
    assert table.exec(7, info("sleep"), T0) == [("web", False)]
    assert table.counted(7) == frozenset()
    assert table.comm(8, "nginx", T0) == [("web", True)]
    assert table.comm(8, "worker", T0) == [("web", False)]
    assert table.exec(9, None, T0) == []  # gone before it could be read


def test_comm_change_leaves_full_command_trackers_alone() -> None:
    table = ProcessTable([nginx(full_command=True)])
    table.scan({4: info("nginx", "nginx")})
    assert table.comm(4, "renamed", T0) == []
    assert table.have_quorum("web")


def test_terminate_delay_hides_a_quick_restart() -> None:
    table = ProcessTable([nginx(terminate_delay=Ticks(2 * SECOND))])
    table.scan({1: info("nginx")})
    assert table.exit(1, T0) == []
    assert table.next_deadline() == T0 + 2 * SECOND
    assert table.exec(2, info("nginx"), Ticks(T0 + SECOND)) == []  # back before the deadline
    assert table.next_deadline() is None
    assert table.have_quorum("web")
    assert table.exit(2, Ticks(T0 + 3 * SECOND)) == []
    assert table.expire(Ticks(T0 + 4 * SECOND)) == []  # not due yet
    assert table.expire(Ticks(T0 + 5 * SECOND)) == [("web", False)]
    assert table.next_deadline() is None


def test_fork_delay_waits_before_gaining_and_an_exit_cancels_it() -> None:
    table = ProcessTable([nginx(quorum=2, fork_delay=Ticks(SECOND))])
    table.scan({1: info("nginx")})
    assert table.fork(1, 2, T0) == []
    assert table.expire(Ticks(T0 + SECOND)) == [("web", True)]
    assert table.exit(2, Ticks(T0 + 2 * SECOND)) == [("web", False)]  # no terminate_delay
    assert table.fork(1, 3, Ticks(T0 + 3 * SECOND)) == []
    assert table.exit(3, Ticks(T0 + 3 * SECOND)) == []  # cancels the pending gain
    assert table.next_deadline() is None
    assert table.expire(Ticks(T0 + 10 * SECOND)) == []
    assert not table.have_quorum("web")


def test_exec_is_not_delayed_by_fork_delay() -> None:
    table = ProcessTable([nginx(fork_delay=Ticks(SECOND))])
    table.scan({})
    assert table.exec(3, info("nginx"), T0) == [("web", True)]


def test_rescan_after_lost_events_applies_delays() -> None:
    table = ProcessTable([nginx(terminate_delay=Ticks(SECOND)), ProcessSpec(name="db", process="pg")])
    table.scan({1: info("nginx"), 2: info("pg")})
    assert table.rescan({}, T0) == [("db", False)]
    assert table.expire(Ticks(T0 + SECOND)) == [("web", False)]
    assert table.rescan({1: info("nginx"), 2: info("pg")}, T0) == [("web", True), ("db", True)]


def test_weight_arithmetic_and_fault_for_process_trackers() -> None:
    up = TrackerSpec(kind=TrackerKind.PROCESS, name="web", weight=20)
    down = TrackerSpec(kind=TrackerKind.PROCESS, name="web", weight=-30)
    rev = TrackerSpec(kind=TrackerKind.PROCESS, name="web", weight=20, reverse=True)
    zero = TrackerSpec(kind=TrackerKind.PROCESS, name="web", weight=0)
    zero_rev = TrackerSpec(kind=TrackerKind.PROCESS, name="web", weight=0, reverse=True)
    assert prio.total_priority(100, [up], {WEB: True}) == 120
    assert prio.total_priority(100, [up], {WEB: False}) == 100
    assert prio.total_priority(100, [down], {WEB: False}) == 70
    assert prio.total_priority(100, [rev], {WEB: True}) == 80
    assert prio.faulting_trackers([zero], {WEB: False}) == {WEB}
    assert prio.faulting_trackers([zero], {WEB: True}) == frozenset()
    assert prio.faulting_trackers([zero_rev], {WEB: True}) == {WEB}
