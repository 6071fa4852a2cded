"""vrrp_script trackers: logging and reporting of results (rise/fall: tests/unit/check/test_debounce.py)."""

from __future__ import annotations

import logging

import pytest

from alived.config import model
from alived.daemon.vrrp.trackers import ScriptTracker, next_start
from alived.linux.scripts import ScriptRunner


def test_the_first_result_is_logged_as_keepalived_does(caplog: pytest.LogCaptureFixture) -> None:
    changes: list[tuple[str, bool]] = []
    script = model.VrrpScript(name="chk_web", rise=2, fall=2)
    tracker = ScriptTracker(script, model.GlobalDefs(), ScriptRunner(), lambda n, ok: changes.append((n, ok)))
    with caplog.at_level(logging.INFO):
        tracker.record(0)
        tracker.record(0)
    assert caplog.text.count("VRRP_Script(chk_web) succeeded") == 1
    assert changes == [("chk_web", True)]  # the first result reaches every instance
    bad = ScriptTracker(
        model.VrrpScript(name="chk_bad", rise=2, fall=2),
        model.GlobalDefs(),
        ScriptRunner(),
        lambda n, ok: changes.append((n, ok)),
    )
    with caplog.at_level(logging.INFO):
        bad.record(1)
    assert "VRRP_Script(chk_bad) failed (exited with status 1)" in caplog.text
    assert changes == [("chk_web", True), ("chk_bad", False)]


def tracker_for(name: str, **kw: int) -> ScriptTracker:
    script = model.VrrpScript(name=name, **kw)
    return ScriptTracker(script, model.GlobalDefs(), ScriptRunner(), lambda n, ok: None)


def test_now_returning_follows_keepalived_last_status(caplog: pytest.LogCaptureFixture) -> None:
    tracker = tracker_for("chk_nginx", fall=2)
    with caplog.at_level(logging.INFO):
        tracker.record(0)  # the first success: keepalived's last_status starts at 0, no line
        assert "now returning" not in caplog.text
        tracker.record(1)
        tracker.record(1)
        tracker.record(0)  # the recovery is logged too
    lines = [r.getMessage() for r in caplog.records if "now returning" in r.getMessage()]
    assert lines == ["Script `chk_nginx` now returning 1", "Script `chk_nginx` now returning 0"]
    assert caplog.text.count("VRRP_Script(chk_nginx) failed (exited with status 1)") == 1
    assert caplog.text.count("VRRP_Script(chk_nginx) succeeded") == 2


def test_a_killed_script_is_timed_out_or_failed_by_signal(caplog: pytest.LogCaptureFixture) -> None:
    slow = tracker_for("chk_slow")
    with caplog.at_level(logging.INFO):
        slow.record(0)
        slow.record(-9, timed_out=True)
    assert "VRRP_Script(chk_slow) timed_out" in caplog.text
    assert "now returning" not in caplog.text  # keepalived reports exit statuses only
    assert slow.last_status == 0
    killed = tracker_for("chk_killed")
    with caplog.at_level(logging.INFO):
        killed.record(0)
        killed.record(-15)
    assert "VRRP_Script(chk_killed) failed (due to signal 15)" in caplog.text


def test_runs_start_every_interval_whatever_they_take() -> None:
    # keepalived registers the next run at the start of this one: a quick script keeps the beat.
    assert next_start(10.0, 2.0, 2.0, 10.3) == (12.0, [])
    # A run that outlasts starts skips them, named as keepalived logs them.
    skipped = ["already running", "already running", "being timed out"]
    assert next_start(10.0, 1.0, 2.5, 13.2) == (14.0, skipped)
    # The default timeout (the interval) kills a script as the next start falls due: it goes ahead.
    assert next_start(10.0, 1.0, 1.0, 11.02, timed_out=True) == (11.0, [])
    # A script that outlives its SIGTERM is being timed out when the next start falls due.
    assert next_start(10.0, 1.0, 1.0, 12.5, timed_out=True) == (13.0, ["being timed out"] * 2)
