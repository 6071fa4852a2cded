"""The checker child's pieces without a process: params from config, the asyncio driver with fake
probes (a hung probe never delays another), the status document, the supervisor's choice."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

from alived.config.load import LoadResult
from alived.core.check.engine import CheckerCore
from alived.daemon.check.driver import CheckDriver
from alived.daemon.check.params import build
from alived.daemon.check.sink import RecordingLbSink
from alived.daemon.check.status import CheckStatusServer, document, table
from alived.daemon.options import Options
from alived.daemon.status import query_async
from alived.daemon.supervisor import Supervisor
from alived.units import Ticks
from tests.helpers.fake_probe import DOWN, UP, FakeProbes

Load = Callable[..., LoadResult]

CONF = """
virtual_server 192.0.2.10 80 {
    delay_loop 0.05
    lb_kind NAT
    lb_algo rr
    protocol TCP
    real_server 192.0.2.21 80 {
        TCP_CHECK {
            connect_timeout 0.2
            retry 0
        }
    }
    real_server 192.0.2.22 80 {
        TCP_CHECK {
            connect_timeout 0.2
            retry 0
        }
    }
}
"""


def no_jitter(bound: Ticks) -> Ticks:
    return Ticks(0)


def test_two_virtual_servers_with_the_same_check_share_one_probe(load: Load) -> None:
    text = CONF + CONF.replace("192.0.2.10 80", "192.0.2.11 80")
    probes = FakeProbes()
    built = build(load(text).config, probes)
    assert len(built.virtual_servers) == 2
    assert len(built.probes) == 2  # two real servers, each probed once for both services
    assert built.virtual_servers[0].name == "[192.0.2.10]:tcp:80"


def test_a_checker_without_a_probe_is_left_out(load: Load) -> None:
    def refuse(checker: object, target: object, vs_virtualhost: object) -> object:
        raise NotImplementedError("not yet")

    built = build(load(CONF).config, refuse)  # type: ignore[arg-type]
    assert all(not rs.checkers for rs in built.virtual_servers[0].real_servers)


def test_a_hung_probe_never_delays_another(load: Load) -> None:
    probes = FakeProbes()
    slow_conf = CONF.replace("connect_timeout 0.2", "connect_timeout 30", 1)  # 192.0.2.21's check
    built = build(load(slow_conf).config, probes)
    slow = probes.made["192.0.2.21:80"]
    slow.hang = True
    fast = probes.made["192.0.2.22:80"]
    fast.results = lambda n: UP if n < 3 else DOWN
    sink = RecordingLbSink()
    seen: list[tuple[int, int, str]] = []

    async def scenario() -> None:
        driver = CheckDriver(sink, jitter=no_jitter)
        driver.start(built)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        # Start at once rather than after keepalived's one-second bootstrap delay.
        driver.core.timer(Ticks(2**62))
        driver._settle()
        while fast.attempts < 4 and loop.time() < deadline:
            await asyncio.sleep(0.01)
        hung = driver.report()[0].real_servers[0].checks[0]
        seen.append((slow.attempts, fast.attempts, hung.last_reason))
        await driver.stop()

    asyncio.run(scenario())
    slow_attempts, fast_attempts, slow_reason = seen[0]
    # The fast probe ran again and again (and its server went down) while the first attempt of
    # the hung one (30 s timeout) was still pending.
    assert fast_attempts >= 4
    assert (slow_attempts, slow_reason) == (1, "")
    assert "[192.0.2.10]:tcp:80" not in sink.state  # stop removed the service


def test_hung_probe_times_out_as_a_failure(load: Load) -> None:
    probes = FakeProbes()
    built = build(load(CONF).config, probes)
    probes.made["192.0.2.21:80"].hang = True
    sink = RecordingLbSink()
    results: list[str] = []

    async def scenario() -> None:
        driver = CheckDriver(sink, jitter=no_jitter)
        driver.start(built)
        driver.core.timer(Ticks(2**62))
        driver._settle()
        for _ in range(2000):
            rs = driver.report()[0].real_servers[0]
            if rs.checks[0].last_reason:
                results.append(rs.checks[0].last_reason)
                break
            await asyncio.sleep(0.01)
        await driver.stop()

    asyncio.run(scenario())
    assert results == ["timeout"]


def test_status_document_and_table(load: Load, tmp_path: Path) -> None:
    probes = FakeProbes()
    built = build(load(CONF).config, probes)
    probes.made["192.0.2.22:80"].results = lambda n: DOWN

    async def scenario() -> tuple[str, str, str]:
        driver = CheckDriver(RecordingLbSink(), jitter=no_jitter)
        driver.start(built)
        driver.core.timer(Ticks(2**62))
        driver._settle()
        while driver.attempts < 2 or any(
            not c.has_run for rs in driver.report()[0].real_servers for c in rs.checks
        ):
            await asyncio.sleep(0.01)
        path = str(tmp_path / "checkers.sock")
        server = CheckStatusServer(path, lambda: document(driver.report(), Ticks(0), driver.lags, 2))
        await server.start()
        try:
            ping = await query_async(path, "ping")
            text = await query_async(path, "status")
            raw = await query_async(path, "json")
        finally:
            await server.close()
            await driver.stop()
        return ping, text, raw

    ping, text, raw = asyncio.run(scenario())
    assert ping == "pong\n"
    doc = json.loads(raw)
    rows = {rs["name"]: rs for rs in doc["virtual_servers"][0]["real_servers"]}
    assert rows["[192.0.2.21]:tcp:80"]["health"] == "UP"
    assert rows["[192.0.2.22]:tcp:80"]["health"] == "DOWN"
    assert rows["[192.0.2.22]:tcp:80"]["checks"][0]["reason"] == "connection refused"
    assert "[192.0.2.22]:tcp:80  DOWN" in text
    assert table(doc) == text
    header, *lines = text.splitlines()
    assert header.split()[-2:] == ["TOOK", "FAILED"]
    down = next(line for line in lines if "[192.0.2.22]" in line)
    check = rows["[192.0.2.22]:tcp:80"]["checks"][0]
    assert down.split()[-1] == f"{check['failures']}/{check['attempts']}" and check["failures"] >= 1


def test_stalled_scheduler_does_not_answer_pong(tmp_path: Path) -> None:
    async def scenario() -> str:
        path = str(tmp_path / "c.sock")
        server = CheckStatusServer(path, dict, healthy=lambda: False)
        await server.start()
        try:
            return await query_async(path, "ping")
        finally:
            await server.close()

    assert asyncio.run(scenario()) == "stalled\n"


def test_supervisor_starts_the_checker_child_only_when_needed() -> None:
    def wants(has_vs: bool, **flags: bool) -> bool:
        return Supervisor(Options(**flags), has_virtual_servers=has_vs).wants_checker()  # type: ignore[arg-type]

    assert wants(True)
    assert not wants(False)
    assert not wants(True, vrrp_only=True)
    assert wants(True, check_only=True)
    assert wants(False, all_children=True)


def test_ha_suspend_presence_by_bind_test() -> None:
    from ipaddress import ip_address

    from alived.core.check.params import VirtualServerParams
    from alived.daemon.check.ha_suspend import HaSuspendWatch, address_is_local

    assert address_is_local(ip_address("127.0.0.1"))
    assert not address_is_local(ip_address("203.0.113.254"))
    local = VirtualServerParams(name="L", address=ip_address("127.0.0.1"), ha_suspend=True)
    remote = VirtualServerParams(name="R", address=ip_address("203.0.113.254"), ha_suspend=True)
    group = VirtualServerParams(name="[G]:80", group="G", ha_suspend=True)
    plain = VirtualServerParams(name="P", address=ip_address("203.0.113.254"))

    async def scenario() -> set[str]:
        watch = HaSuspendWatch(lambda name, present: None)
        try:
            return watch.present([local, remote, group, plain])
        finally:
            watch.close()

    assert asyncio.run(scenario()) == {"L", "[G]:80"}


def test_stop_without_release_leaves_the_pool_as_it_is(load: Load) -> None:
    """-I (dont_release_ipvs): keepalived skips clear_services at exit."""
    for release, expected in ((False, {"[192.0.2.10]:tcp:80"}), (True, set())):
        sink = RecordingLbSink()

        async def scenario(sink: RecordingLbSink = sink, release: bool = release) -> None:
            driver = CheckDriver(sink, jitter=no_jitter)
            driver.start(build(load(CONF).config, FakeProbes()))
            await driver.stop(release=release)

        asyncio.run(scenario())
        assert set(sink.state) == expected


def test_virtual_server_group_services_are_named_and_carried_as_keepalived_names_them(load: Load) -> None:
    text = "virtual_server_group G {\n 192.0.2.10-12 80\n}\n" + CONF.replace(
        "192.0.2.10 80", "group G"
    ).replace("lb_kind NAT", "lb_kind NAT\n    protocol TCP")
    text += CONF.replace("192.0.2.10 80", "fwmark 7")
    built = build(load(text).config, FakeProbes())
    group, mark = built.virtual_servers
    assert (group.name, group.group, group.protocol) == ("[G]:0", "G", "tcp")
    assert (mark.name, mark.fwmark, mark.protocol) == ("FWM 7", 7, "none")
    # keepalived clears a fwmark service's real server ports unless NAT (which may remap them)
    assert built.virtual_servers[1].real_servers[0].port == 80

    async def scenario() -> RecordingLbSink:
        sink = RecordingLbSink()
        driver = CheckDriver(sink, jitter=no_jitter)
        driver.start(built)
        await driver.stop(release=False)
        return sink

    sink = asyncio.run(scenario())
    assert sink.state["[G]:0"].group == "G"
    assert [d.port for d in sink.state["FWM 7"].destinations] == [80, 80]  # NAT keeps them


def test_late_but_progressing_is_healthy_late_and_idle_is_stalled(load: Load) -> None:
    clock = [Ticks(0)]
    driver = CheckDriver(RecordingLbSink(), now=lambda: clock[0], jitter=no_jitter)
    driver.core = CheckerCore(build(load(CONF).config, FakeProbes()).virtual_servers)
    driver.core.start(Ticks(0), no_jitter)
    clock[0] = Ticks(60_000_000)  # the first checks were due 59 s ago
    driver.last_progress = Ticks(59_000_000)  # but something happened a second ago
    assert driver.healthy()
    driver.last_progress = Ticks(0)
    assert not driver.healthy()


def test_a_file_where_the_status_socket_goes_is_fatal_once(tmp_path: Path) -> None:
    from alived.daemon.check.child import run_checker_child
    from alived.daemon.options import EXIT_FATAL

    (tmp_path / "c.sock").write_text("the operator's file")
    options = Options(
        checkers_pid_file=str(tmp_path / "c.pid"), config_file=str(tmp_path / "k.conf"), no_syslog=True
    )
    assert run_checker_child(options) == EXIT_FATAL
    assert (tmp_path / "c.sock").read_text() == "the operator's file"
    assert not (tmp_path / "c.pid").exists()
