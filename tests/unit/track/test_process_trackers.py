"""daemon/vrrp/process_tracker.py on the fake process table: config specs, events, delays, fallback."""

from __future__ import annotations

import asyncio
import inspect
import logging

import pytest

from alived.config.load import load_text
from alived.core.vrrp.track_process import ParamMatch, ProcInfo
from alived.daemon.vrrp import process_tracker
from alived.daemon.vrrp.process_tracker import ProcessTrackers, process_spec, tracker_specs
from alived.linux import proc_scan
from alived.linux.proc_connector import ProcConnector, ProcEvent
from alived.units import SECOND
from tests.helpers.fake_proc import FakeProcConnector, FakeProcs

CONF = """
vrrp_track_process web {
  process nginx
  weight 10
}
vrrp_track_process cmd {
  process /usr/bin/app -c conf
  param_match partial
  quorum 2
  quorum_max 3
  delay 2
  fork_delay 1
}
vrrp_track_process none {
  process gone
  quorum_max 0
}
vrrp_sync_group G {
  group { VI_1 }
  track_process { web weight 30 }
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 1
  track_process { web weight -5 reverse
    cmd }
  virtual_ipaddress { 192.0.2.1 }
}
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 2
  priority 255
  virtual_ipaddress { 192.0.2.2 }
}
"""


def test_specs_from_the_config() -> None:
    config = load_text(CONF).config
    web, cmd, none = (process_spec(tp) for tp in config.track_processes)
    assert web is not None and cmd is not None and none is not None
    assert (web.process, web.full_command, web.param_match) == ("nginx", False, ParamMatch.NONE)
    assert (cmd.process, cmd.params, cmd.param_match, cmd.full_command) == (
        "/usr/bin/app",
        b"-c\0conf\0",
        ParamMatch.PARTIAL,
        True,
    )
    assert (cmd.quorum, cmd.quorum_max, cmd.fork_delay, cmd.terminate_delay) == (2, 3, SECOND, 2 * SECOND)
    assert (none.quorum, none.quorum_max) == (0, 0)


def test_instance_and_group_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(process_tracker, "_initial_quorums", lambda config: {"web": True})
    config = load_text(CONF).config
    inst = config.instance("VI_1")
    assert inst is not None
    specs = {str(s.key): s for s in tracker_specs(inst, config)}
    # The group's weight replaces the instance's weighted entry (its reverse stays).
    assert (specs["process:web"].weight, specs["process:web"].reverse) == (30, True)
    assert specs["process:web"].initially_ok
    assert (specs["process:cmd"].weight, specs["process:cmd"].initially_ok) == (0, False)
    other = config.instance("VI_2")
    assert other is not None and tracker_specs(other, config) == []


def run(coro: object) -> None:
    asyncio.run(coro)  # type: ignore[arg-type]


def make(procs: FakeProcs, changes: list[tuple[str, bool]]) -> ProcessTrackers:
    return ProcessTrackers(
        lambda name, up: changes.append((name, up)),
        connector_factory=procs.connector,
        scan=procs.scan,
        read=procs.read_process,
    )


def test_events_move_quorum_and_log_it(caplog: pytest.LogCaptureFixture) -> None:
    config = load_text(CONF).config
    procs = FakeProcs()
    existing = procs.spawn("nginx")
    changes: list[tuple[str, bool]] = []

    async def go() -> None:
        trackers = make(procs, changes)
        trackers.update(config.track_processes)
        assert trackers.quorums == {"web": True, "cmd": False, "none": True}
        procs.kill(existing)
        assert changes == [("web", False)]
        shell = procs.spawn("sh")
        procs.exec(shell, "nginx")
        procs.rename(shell, "worker")
        assert changes[1:] == [("web", True), ("web", False)]
        # fork_delay 1 s for children of counted processes; an exec counts at once.
        app = procs.spawn("app", "/usr/bin/app", "-c", "conf", "-v")
        procs.fork(app)
        assert changes[3:] == []
        assert trackers.table.next_deadline() is not None
        trackers.stop()

    with caplog.at_level(logging.INFO, logger="alived.vrrp"):
        run(go())
    lines = [r.getMessage() for r in caplog.records]
    assert lines[:3] == [
        "Quorum lost for tracked process web",
        "Quorum gained for tracked process web",
        "Quorum lost for tracked process web",
    ]


def test_a_batch_reports_only_net_changes() -> None:
    config = load_text("vrrp_track_process p {\n process svc\n}\n").config
    procs = FakeProcs()
    changes: list[tuple[str, bool]] = []

    async def go() -> None:
        trackers = make(procs, changes)
        trackers.update(config.track_processes)
        procs.table[77] = ProcInfo("svc")  # exec'd and exited within one batch of events
        reads: list[int] = []
        real_read = trackers._read
        trackers._read = lambda pid, **kw: reads.append(pid) or real_read(pid, **kw)  # type: ignore[method-assign]
        trackers.on_events([ProcEvent("fork", 77, parent=1), ProcEvent("exec", 77), ProcEvent("exit", 77)])
        assert changes == []
        assert reads == []  # exited within the batch: not read
        trackers.on_events([ProcEvent("exec", 77)])
        assert changes == [("p", True)]
        trackers.stop()

    run(go())


def test_delay_expires_on_the_loop() -> None:
    conf = "vrrp_track_process p {\n process svc\n terminate_delay 0.05\n}\n"
    config = load_text(conf).config
    procs = FakeProcs()
    pid = procs.spawn("svc")
    changes: list[tuple[str, bool]] = []

    async def go() -> None:
        trackers = make(procs, changes)
        trackers.update(config.track_processes)
        procs.kill(pid)
        assert changes == []
        while not changes:
            await asyncio.sleep(0.01)
        trackers.stop()

    run(go())
    assert changes == [("p", False)]


def test_lost_events_and_no_connector_fall_back_to_scans(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(process_tracker, "FALLBACK_INTERVAL", 0.01)
    conf = "vrrp_track_process p {\n process svc\n}\n"
    config = load_text(conf).config
    procs = FakeProcs()
    pid = procs.spawn("svc")
    changes: list[tuple[str, bool]] = []

    async def go() -> None:
        trackers = make(procs, changes)
        trackers.update(config.track_processes)
        procs.vanish(pid)
        procs.lose()
        assert changes == [("p", False)]
        trackers.stop()
        procs.refuse = PermissionError(13, "Permission denied")
        polled = make(procs, changes)
        polled.update(config.track_processes)
        procs.table[4242] = ProcInfo("svc")  # appears without an event: the next scan sees it
        while len(changes) < 2:
            await asyncio.sleep(0.01)
        polled.stop()

    with caplog.at_level(logging.INFO, logger="alived.vrrp"):
        run(go())
    assert changes == [("p", False), ("p", True)]
    assert any(
        r.getMessage().startswith("Failed to open process monitoring socket - errno 13")
        for r in caplog.records
    )


def proc_scan_info(comm: str) -> object:
    from alived.core.vrrp.track_process import ProcInfo

    return ProcInfo(comm)


def test_fakes_keep_the_real_signatures() -> None:
    for fake, real in (
        (FakeProcs.scan, proc_scan.scan),
        (FakeProcs.read_process, proc_scan.read_process),
        (FakeProcConnector.__init__, ProcConnector.__init__),
        (FakeProcConnector.open, ProcConnector.open),
        (FakeProcConnector.close, ProcConnector.close),
    ):
        fake_params = [p for p in inspect.signature(fake).parameters if p != "self"]
        real_params = [p for p in inspect.signature(real).parameters if p != "self"]
        assert fake_params == real_params, fake
