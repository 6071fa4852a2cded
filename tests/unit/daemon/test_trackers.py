"""rise/fall: how many script results in a row flip a tracker."""

from __future__ import annotations

import logging

import pytest

from alived.config import model
from alived.daemon.vrrp.trackers import RiseFall, ScriptTracker
from alived.linux.scripts import ScriptRunner


def test_fall_and_rise_counts() -> None:
    f = RiseFall(rise=2, fall=3, ok=True)
    assert [f.result(False) for _ in range(3)] == [False, False, True]
    assert not f.ok
    assert [f.result(True), f.result(False), f.result(True), f.result(True)] == [False, False, False, True]
    assert f.ok


def test_same_status_resets_the_run() -> None:
    f = RiseFall(rise=1, fall=2, ok=True)
    assert not f.result(False)
    assert not f.result(True)
    assert not f.result(False)
    assert f.result(False) and not f.ok


def test_an_undecided_script_is_set_by_its_first_result_alone() -> None:
    f = RiseFall(rise=2, fall=2, ok=True, undecided=True)
    assert f.result(False) and not f.ok  # one failure is enough at start (fall 2 later)
    g = RiseFall(rise=2, fall=2, ok=True, undecided=True)
    assert not g.result(True) and g.ok
    assert [g.result(False), g.result(False)] == [False, True]


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
