"""Timer arithmetic (keepalived's integer math) and effective-priority arithmetic."""

from __future__ import annotations

import pytest

from alived.core.vrrp import priority as prio
from alived.core.vrrp.params import TrackerSpec
from alived.core.vrrp.timers import master_down_interval, skew_time, skew_time_min
from alived.core.vrrp.tracker import TrackerKey, TrackerKind
from alived.units import CENTISECOND, SECOND, Ticks


def test_master_down_interval_matches_keepalived_dumps() -> None:
    # facts §4.4: prio 100, v2, 1 s -> 3.609375 s; prio 201 -> 3.214843 s
    assert master_down_interval(2, 100, SECOND) == 3_609_375
    assert master_down_interval(2, 201, SECOND) == 3_214_843


def test_v2_skew_ignores_the_interval_v3_scales_with_it() -> None:
    assert skew_time(2, 100, Ticks(5 * SECOND)) == skew_time(2, 100, SECOND) == 609_375
    assert skew_time(3, 100, SECOND) == 609_375
    assert skew_time(3, 100, Ticks(50 * CENTISECOND)) == 304_687


def test_owner_and_minimum_skew() -> None:
    assert skew_time(2, 255, SECOND) == 3_906
    assert skew_time_min(2, SECOND) == 3_906
    assert skew_time_min(3, Ticks(10 * CENTISECOND)) == 390


def test_down_timer_adverts_multiplies_the_interval() -> None:
    assert master_down_interval(3, 100, SECOND, 1) == SECOND + 609_375


@pytest.mark.parametrize(
    ("weight", "reverse", "ok", "expected"),
    [
        (10, False, True, 10),
        (10, False, False, 0),
        (-10, False, True, 0),
        (-10, False, False, -10),
        (10, True, True, -10),
        (-10, True, False, 10),
        (0, False, False, 0),
    ],
)
def test_tracker_contribution(weight: int, reverse: bool, ok: bool, expected: int) -> None:
    assert (
        prio.contribution(TrackerSpec(kind=TrackerKind.SCRIPT, name="t", weight=weight, reverse=reverse), ok)
        == expected
    )


def _script(name: str) -> TrackerKey:
    return TrackerKey(TrackerKind.SCRIPT, name)


def test_effective_priority_is_clamped_and_owner_is_fixed() -> None:
    specs = (
        TrackerSpec(kind=TrackerKind.SCRIPT, name="a", weight=-60),
        TrackerSpec(kind=TrackerKind.SCRIPT, name="b", weight=200),
    )
    assert prio.total_priority(150, specs, {_script("a"): False, _script("b"): False}) == 90
    assert (
        prio.effective_priority(
            150, prio.total_priority(150, specs, {_script("a"): True, _script("b"): True})
        )
        == 254
    )
    assert prio.effective_priority(50, -400) == 1
    assert prio.effective_priority(255, 10) == 255


def test_weight_zero_trackers_fault() -> None:
    specs = (
        TrackerSpec(kind=TrackerKind.SCRIPT, name="chk"),
        TrackerSpec(kind=TrackerKind.SCRIPT, name="rev", reverse=True),
        TrackerSpec(kind=TrackerKind.SCRIPT, name="w", weight=5),
    )
    assert prio.faulting_trackers(
        specs, {_script("chk"): False, _script("rev"): False, _script("w"): False}
    ) == {_script("chk")}
    assert prio.faulting_trackers(
        specs, {_script("chk"): True, _script("rev"): True, _script("w"): True}
    ) == {_script("rev")}
