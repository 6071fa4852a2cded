"""rise/fall: how many script results in a row flip a tracker."""

from __future__ import annotations

from alived.daemon.trackers import RiseFall


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
