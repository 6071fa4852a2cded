"""CheckerCore in virtual time: keepalived's retry, warmup, alpha, quorum, sorry server, weights."""

from __future__ import annotations

from alived.core.check.actions import ApplyLb
from alived.core.check.result import ProbeResult
from alived.units import SECOND, Ticks
from tests.unit.check.harness import FAIL, OK, Driver, checker, real, sorry, virtual

RS1 = "192.0.2.21"
RS2 = "192.0.2.22"


def down_after(addr: str, seconds: float, *, up_again: float | None = None):  # type: ignore[no-untyped-def]
    def respond(a: str, now: Ticks) -> ProbeResult:
        if a != addr or now < seconds * SECOND:
            return OK
        if up_again is not None and now >= up_again * SECOND:
            return OK
        return FAIL

    return respond


def pool(d: Driver) -> dict[str, int]:
    last = d.lb()[-1]
    return {str(x.address): x.weight for x in last.desired.destinations}


def test_first_run_after_bootstrap_and_warmup_jitter_then_delay_loop() -> None:
    d = Driver([virtual(real(RS1, checker(RS1, warmup=10)))], lambda a, n: OK, jitter=4)
    d.run_until(40)
    assert d.attempt_times(RS1) == [5.0, 15.0, 25.0, 35.0]
    assert "Activating healthchecker for service [192.0.2.21]:tcp:80 for VS [192.0.2.10]:tcp:80" in d.logs()
    assert "TCP connection to [192.0.2.21]:tcp:80 success." in d.logs()


def test_jitter_is_bounded_by_warmup_and_warmup_zero_starts_at_once() -> None:
    d = Driver([virtual(real(RS1, checker(RS1, warmup=0)))], lambda a, n: OK, jitter=99)
    d.run_until(1)
    assert d.attempt_times(RS1) == [1.0]
    d2 = Driver([virtual(real(RS1, checker(RS1, warmup=3)))], lambda a, n: OK, jitter=99)
    d2.run_until(5)
    assert d2.attempt_times(RS1) == [4.0]


def test_retry_and_delay_before_retry_then_removal_with_keepalived_lines() -> None:
    c = checker(RS1, delay_loop=10, retry=2, delay_before_retry=3)
    d = Driver([virtual(real(RS1, c), real(RS2))], down_after(RS1, 5))
    d.run_until(40)
    # 1: ok, 11: fail (retry 1 after 3 s), 14: fail (retry 2), 17: fail -> down, then delay_loop
    assert d.attempt_times(RS1)[:5] == [1.0, 11.0, 14.0, 17.0, 27.0]
    logs = d.logs()
    assert "TCP_CHECK on service [192.0.2.21]:tcp:80 failed after 2 retries." in logs
    assert "Removing service [192.0.2.21]:tcp:80 from VS [192.0.2.10]:tcp:80" in logs
    assert pool(d) == {RS2: 1}


def test_without_alpha_the_first_failure_is_enough() -> None:
    d = Driver([virtual(real(RS1, checker(RS1, retry=3)), real(RS2))], down_after(RS1, 0))
    d.run_until(2)
    assert "TCP_CHECK on service [192.0.2.21]:tcp:80 failed." in d.logs()
    assert "Removing service [192.0.2.21]:tcp:80 from VS [192.0.2.10]:tcp:80" in d.logs()


def test_recovery_adds_the_server_back() -> None:
    d = Driver([virtual(real(RS1, checker(RS1, retry=0)), real(RS2))], down_after(RS1, 5, up_again=25))
    d.run_until(40)
    logs = d.logs()
    assert logs.index("Removing service [192.0.2.21]:tcp:80 from VS [192.0.2.10]:tcp:80") < logs.index(
        "Adding service [192.0.2.21]:tcp:80 to VS [192.0.2.10]:tcp:80"
    )
    assert pool(d) == {RS1: 1, RS2: 1}


def test_alpha_starts_out_of_the_pool_and_enters_on_first_success() -> None:
    d = Driver([virtual(real(RS1, checker(RS1, alpha=True)))], lambda a, n: OK)
    assert d.lb()[0].desired.destinations == ()
    d.run_until(2)
    assert "Adding service [192.0.2.21]:tcp:80 to VS [192.0.2.10]:tcp:80" in d.logs()
    assert pool(d) == {RS1: 1}


def test_alpha_first_failure_runs_notify_down_without_removal_line() -> None:
    rs = real(RS1, checker(RS1, alpha=True), notify_down="down.sh")
    d = Driver([virtual(rs)], lambda a, n: FAIL)
    d.run_until(2)
    assert d.scripts() == ["notify_down"]
    assert not any(line.startswith("Removing service") for line in d.logs())


def test_notify_up_and_down_on_transitions() -> None:
    rs = real(RS1, checker(RS1, retry=0), notify_up="up.sh", notify_down="down.sh")
    d = Driver([virtual(rs, real(RS2))], down_after(RS1, 5, up_again=25))
    d.run_until(40)
    assert d.scripts() == ["notify_down", "notify_up"]


def test_inhibit_on_failure_keeps_weight_zero() -> None:
    d = Driver(
        [virtual(real(RS1, checker(RS1, retry=0), inhibit=True, weight=5), real(RS2))], down_after(RS1, 5)
    )
    d.run_until(20)
    assert "Disabling service [192.0.2.21]:tcp:80 of VS [192.0.2.10]:tcp:80" in d.logs()
    assert pool(d) == {RS1: 0, RS2: 1}


def test_several_checkers_all_must_pass() -> None:
    a = checker(RS1, retry=0, identity=("TCP_CHECK", RS1, 80))
    b = checker(RS1, retry=0, keyword="HTTP_GET", identity=("HTTP_GET", RS1, "/"))
    calls: list[str] = []

    def respond(addr: str, now: Ticks) -> ProbeResult:
        if addr == RS1:
            calls.append(addr)
            return FAIL if len(calls) == 3 else OK  # RS1's third attempt (its TCP one at 11 s) fails
        return OK

    d = Driver([virtual(real(RS1, a, b), real(RS2))], respond)
    d.run_until(12)
    assert "Remote Web server [192.0.2.21]:tcp:80 succeed on service." in d.logs()
    assert "TCP_CHECK on service [192.0.2.21]:tcp:80 failed." in d.logs()
    assert RS1 not in pool(d)  # the HTTP check still passes: one failed checker is enough
    d.run_until(22)
    assert pool(d) == {RS1: 1, RS2: 1}


def test_quorum_with_hysteresis_and_its_scripts() -> None:
    servers = [real(f"192.0.2.{20 + i}", checker(f"192.0.2.{20 + i}", retry=0)) for i in range(4)]
    state = {"down": 0}

    def respond(addr: str, now: Ticks) -> ProbeResult:
        index = int(addr.rsplit(".", 1)[1]) - 20
        return FAIL if index < state["down"] else OK

    vs = virtual(*servers, quorum=3, hysteresis=1, quorum_up="up.sh", quorum_down="down.sh")
    d = Driver([vs], respond)
    assert "Gained quorum 3+1=4 <= 4 for VS [192.0.2.10]:tcp:80" in d.logs()
    assert d.scripts() == ["quorum_up"]
    state["down"] = 1
    d.run_until(12)
    assert not any("Lost quorum" in x for x in d.logs())  # 3 >= 3-1: still up
    state["down"] = 2
    d.run_until(22)
    assert not any("Lost quorum" in x for x in d.logs())  # 2 == q - h: not below
    state["down"] = 3
    d.run_until(32)
    assert "Lost quorum 3-1=2 > 1 for VS [192.0.2.10]:tcp:80" in d.logs()
    assert d.scripts() == ["quorum_up", "quorum_down"]
    state["down"] = 1
    d.run_until(42)
    assert sum("Gained quorum" in x for x in d.logs()) == 1  # 3 < q + h = 4: not regained yet
    state["down"] = 0
    d.run_until(52)
    assert "Gained quorum 3+1=4 <= 4 for VS [192.0.2.10]:tcp:80" in d.logs()[-3:]
    assert d.scripts() == ["quorum_up", "quorum_down", "quorum_up"]


def test_sorry_server_switching() -> None:
    vs = virtual(real(RS1, checker(RS1, retry=0)), sorry_server=sorry())
    d = Driver([vs], down_after(RS1, 5, up_again=25))
    d.run_until(12)
    logs = d.logs()
    assert "Lost quorum 1-0=1 > 0 for VS [192.0.2.10]:tcp:80" in logs
    assert "Adding sorry server [192.0.2.99]:tcp:80 to VS [192.0.2.10]:tcp:80" in logs
    last = d.lb()[-1].desired
    assert [(str(x.address), x.sorry) for x in last.destinations] == [("192.0.2.99", True)]
    d.run_until(32)
    assert "Removing sorry server [192.0.2.99]:tcp:80 from VS [192.0.2.10]:tcp:80" in d.logs()
    assert pool(d) == {RS1: 1}


def test_sorry_server_inhibit_stays_at_weight_zero() -> None:
    vs = virtual(real(RS1), sorry_server=sorry(inhibit=True))
    d = Driver([vs], lambda a, n: OK)
    assert pool(d) == {RS1: 1, "192.0.2.99": 0}


def test_alpha_with_sorry_server_starts_with_quorum_down() -> None:
    vs = virtual(real(RS1, checker(RS1, alpha=True)), sorry_server=sorry())
    d = Driver([vs], lambda a, n: OK)
    assert "Starting with quorum down 1-0=1 > 0 for VS [192.0.2.10]:tcp:80" in d.logs()
    d.run_until(2)
    assert pool(d) == {RS1: 1}


def test_misc_dynamic_weight_changes() -> None:
    c = checker(RS1, keyword="MISC_CHECK", retry=0)
    weights = iter([5, 5, 9, 0])

    def respond(addr: str, now: Ticks) -> ProbeResult:
        if addr != RS1:
            return OK
        return ProbeResult(success=True, reason="exit", dynamic_weight=next(weights, 9))

    d = Driver([virtual(real(RS1, c, weight=2), real(RS2))], respond)
    d.run_until(32)
    logs = d.logs()
    assert (
        "Changing weight from 2 to 5 for active service [192.0.2.21]:tcp:80 of VS [192.0.2.10]:tcp:80" in logs
    )
    assert (
        "Changing weight from 5 to 9 for active service [192.0.2.21]:tcp:80 of VS [192.0.2.10]:tcp:80" in logs
    )
    assert (
        "Changing weight from 9 to 0 for active service [192.0.2.21]:tcp:80 of VS [192.0.2.10]:tcp:80" in logs
    )
    assert pool(d) == {RS1: 0, RS2: 1}


def test_shared_probe_runs_once_for_two_virtual_servers() -> None:
    rs = real(RS1, checker(RS1, retry=0))
    vs_a = virtual(rs, name="[192.0.2.10]:tcp:80")
    vs_b = virtual(rs, name="[192.0.2.11]:tcp:80")
    d = Driver([vs_a, vs_b], down_after(RS1, 5))
    d.run_until(12)
    assert d.core.probe_count == 1
    assert d.attempt_times(RS1) == [1.0, 11.0]
    removed = [x for x in d.logs() if x.startswith("Removing service")]
    assert removed == [
        "Removing service [192.0.2.21]:tcp:80 from VS [192.0.2.10]:tcp:80",
        "Removing service [192.0.2.21]:tcp:80 from VS [192.0.2.11]:tcp:80",
    ]


def test_different_checks_are_not_shared() -> None:
    vs_a = virtual(real(RS1, checker(RS1, delay_loop=10)), name="A")
    vs_b = virtual(real(RS1, checker(RS1, delay_loop=20)), name="B")
    d = Driver([vs_a, vs_b], lambda a, n: OK)
    assert d.core.probe_count == 2


def test_ha_suspend_runs_no_probe_until_the_address_is_present() -> None:
    d = Driver([virtual(real(RS1), ha_suspend=True)], lambda a, n: OK)
    assert "Deactivating healthchecker for service [192.0.2.21]:tcp:80 for VS [192.0.2.10]:tcp:80" in d.logs()
    d.run_until(15)
    assert d.attempt_times(RS1) == []
    d.core.set_address("[192.0.2.10]:tcp:80", True, d.now)
    d._collect()
    assert "Activating healthchecker for service [192.0.2.21]:tcp:80 for VS [192.0.2.10]:tcp:80" in d.logs()
    d.run_until(30)
    assert d.attempt_times(RS1) == [21.0]


def test_omega_runs_down_scripts_on_stop() -> None:
    vs = virtual(real(RS1, notify_down="d.sh"), omega=True, quorum_down="qd.sh")
    d = Driver([vs], lambda a, n: OK)
    d.run_until(2)
    d.core.stop(d.now)
    d._collect()
    assert "Shutting down service [192.0.2.21]:tcp:80 from VS [192.0.2.10]:tcp:80" in d.logs()
    assert d.scripts()[-2:] == ["notify_down", "quorum_down"]
    last = d.actions[-1]
    assert isinstance(last, ApplyLb) and last.removed
    assert d.core.next_deadline() is None


def test_reload_keeps_state_of_unchanged_servers() -> None:
    vs = virtual(real(RS1, checker(RS1, retry=0)), real(RS2))
    d = Driver([vs], down_after(RS1, 5))
    d.run_until(12)
    assert pool(d) == {RS2: 1}
    rs3 = "192.0.2.23"
    d.core.reload(
        [virtual(real(RS1, checker(RS1, retry=0)), real(RS2), real(rs3))], d.now, lambda b: Ticks(0)
    )
    d._collect()
    assert pool(d) == {RS2: 1, rs3: 1}  # RS1 stays down, the new server enters as keepalived adds it
    assert d.core.probe_count == 3


def test_a_void_result_after_reload_is_ignored() -> None:
    d = Driver([virtual(real(RS1))], lambda a, n: OK)
    d.core.reload([virtual(real(RS2))], d.now, lambda b: Ticks(0))
    d.core.result(999, FAIL, d.now)
    assert [str(s.address) for v in d.core.desired_state() for s in v.destinations] == [RS2]


def test_report_carries_health_weight_and_last_result() -> None:
    d = Driver([virtual(real(RS1, checker(RS1, retry=0)), real(RS2))], down_after(RS1, 5))
    d.run_until(12)
    (vs,) = d.core.report()
    rs1 = vs.real_servers[0]
    assert (rs1.alive, rs1.pool_weight, rs1.checks[0].last_reason) == (False, None, "connection refused")
    assert rs1.checks[0].last_run == 11 * SECOND


def test_ha_suspend_address_present_at_start_activates_at_once() -> None:
    from alived.core.check.engine import CheckerCore

    core = CheckerCore([virtual(real(RS1), ha_suspend=True)])
    core.start(Ticks(0), lambda b: Ticks(0), present={"[192.0.2.10]:tcp:80"})
    texts = [getattr(a, "text", "") for a in core.pop_actions()]
    assert "Activating healthchecker for service [192.0.2.21]:tcp:80 for VS [192.0.2.10]:tcp:80" in texts


def test_timer_starts_at_most_limit_probes_and_leaves_the_rest_due() -> None:
    from alived.core.check.actions import RunProbe
    from alived.core.check.engine import CheckerCore

    servers = [real(f"192.0.2.{20 + i}", checker(f"192.0.2.{20 + i}")) for i in range(5)]
    core = CheckerCore([virtual(*servers)])
    core.start(Ticks(0), lambda b: Ticks(0))
    core.pop_actions()
    core.timer(Ticks(5 * SECOND), limit=2)
    assert sum(isinstance(a, RunProbe) for a in core.pop_actions()) == 2
    assert core.next_deadline() == SECOND  # the others are still due
    core.timer(Ticks(5 * SECOND))
    assert sum(isinstance(a, RunProbe) for a in core.pop_actions()) == 3


def test_file_check_offset_is_added_to_the_configured_weight() -> None:
    c = checker(RS1, keyword="FILE_CHECK", retry=0)
    offsets = iter([3, 3, -1])

    def respond(addr: str, now: Ticks) -> ProbeResult:
        if addr != RS1:
            return OK
        return ProbeResult(success=True, reason="value", weight_offset=next(offsets, -1))

    d = Driver([virtual(real(RS1, c, weight=10), real(RS2))], respond)
    d.run_until(22)
    logs = d.logs()
    assert (
        "Changing weight from 10 to 13 for active service [192.0.2.21]:tcp:80 of VS [192.0.2.10]:tcp:80"
        in logs
    )
    assert (
        "Changing weight from 13 to 9 for active service [192.0.2.21]:tcp:80 of VS [192.0.2.10]:tcp:80"
        in logs
    )


def _down_attempts(keyword: str) -> list[float]:
    c = checker(RS1, keyword=keyword, delay_loop=10, retry=1, delay_before_retry=3)
    d = Driver([virtual(real(RS1, c), real(RS2))], down_after(RS1, 5))
    d.run_until(60)
    return d.attempt_times(RS1)


def test_a_down_tcp_checker_cycles_like_an_up_one() -> None:
    # 1 ok; 11 fail, 14 fail -> down; then 24, 27 (retry), 37, 40, 50, 53
    assert _down_attempts("TCP_CHECK") == [1.0, 11.0, 14.0, 24.0, 27.0, 37.0, 40.0, 50.0, 53.0]


def test_a_down_udp_checker_retries_every_delay_before_retry() -> None:
    assert _down_attempts("UDP_CHECK")[:6] == [1.0, 11.0, 14.0, 24.0, 27.0, 30.0]


def test_a_down_ping_or_dns_checker_waits_delay_loop() -> None:
    assert _down_attempts("PING_CHECK") == [1.0, 11.0, 14.0, 24.0, 34.0, 44.0, 54.0]
    assert _down_attempts("DNS_CHECK") == [1.0, 11.0, 14.0, 24.0, 34.0, 44.0, 54.0]


def test_http_comes_back_after_two_successes_and_retries_at_the_longer_delay() -> None:
    c = checker(RS1, keyword="HTTP_GET", delay_loop=10, retry=1, delay_before_retry=3)
    d = Driver([virtual(real(RS1, c), real(RS2))], down_after(RS1, 5, up_again=30))
    d.run_until(60)
    # down at 14; 24 fails (max(3, 10) later); 34 ok (first), 44 ok (second): up
    assert d.attempt_times(RS1)[:6] == [1.0, 11.0, 14.0, 24.0, 34.0, 44.0]
    adds = [x for x in d.logs() if x.startswith("Adding service")]
    assert adds == ["Adding service [192.0.2.21]:tcp:80 to VS [192.0.2.10]:tcp:80"]
    logs = d.logs()
    ups = [i for i, x in enumerate(logs) if x == "Remote Web server [192.0.2.21]:tcp:80 succeed on service."]
    down = logs.index("HTTP_CHECK on service [192.0.2.21]:tcp:80 failed after 1 retries.")
    assert len(ups) == 2 and ups[0] < down < ups[1]  # the first run, then the way back


def test_ping_failure_line_names_the_virtual_server() -> None:
    c = checker(RS1, keyword="PING_CHECK", retry=1)
    d = Driver([virtual(real(RS1, c), real(RS2))], down_after(RS1, 5))
    d.run_until(20)
    assert (
        "ICMP CHECK on service [192.0.2.21]:tcp:80 of [192.0.2.10]:tcp:80 failed after 1 retries." in d.logs()
    )


def test_probe_text_lines_for_types_keepalived_words_from_the_reply() -> None:
    c = checker(RS1, keyword="SMTP_CHECK", retry=1)

    def respond(addr: str, now: Ticks) -> ProbeResult:
        if addr == RS1 and now >= 5 * SECOND:
            return ProbeResult(
                success=False, reason="bad banner", log_text="SMTP_CHECK bad banner from [192.0.2.21]:25."
            )
        return OK

    d = Driver([virtual(real(RS1, c), real(RS2))], respond)
    d.run_until(20)
    assert "SMTP_CHECK bad banner from [192.0.2.21]:25 after 1 retries." in d.logs()
    dns = Driver([virtual(real(RS1, checker(RS1, keyword="DNS_CHECK")))], lambda a, n: OK)
    dns.run_until(2)
    assert not any("DNS" in x for x in dns.logs())  # keepalived logs no DNS success line
