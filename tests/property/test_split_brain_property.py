"""Properties of core/vrrp/split_brain over random event sequences."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from alived.core.vrrp.split_brain import Ended, Reannounce, SplitBrainParams, SplitBrainWatch, Started
from alived.units import MILLISECOND, SECOND, Ticks

EVENTS = st.lists(
    st.tuples(
        st.sampled_from(["claim", "lower", "master", "backup", "timer"]),
        st.integers(min_value=0, max_value=2 * SECOND),
    ),
    max_size=80,
)


@settings(max_examples=300, deadline=None)
@given(EVENTS, st.integers(min_value=100 * MILLISECOND, max_value=3 * SECOND), st.booleans())
def test_started_and_ended_alternate(events: list[tuple[str, int]], advert_int: int, can_probe: bool) -> None:
    w = SplitBrainWatch(SplitBrainParams.for_interval(Ticks(advert_int), can_probe=can_probe))
    now = 0
    open_since: int | None = None
    for kind, step in events:
        now += step
        t = Ticks(now)
        match kind:
            case "claim":
                out = w.foreign_claim("02:00:00:00:00:02", t)
            case "lower":
                out = w.lower_advert("192.0.2.2", t)
            case "master":
                out = [] if w.master else w.became_master(t)
            case "backup":
                out = w.left_master(t) if w.master else []
            case _:
                deadline = w.next_deadline()
                out = w.on_timer(max(t, deadline) if deadline is not None else t)[1]
                if deadline is not None:
                    now = max(now, deadline)
        for verdict in out:
            if isinstance(verdict, Started):
                assert open_since is None and w.master
                open_since = verdict.since
            elif isinstance(verdict, Ended):
                assert open_since is not None and verdict.duration >= 0
                open_since = None
            else:
                assert isinstance(verdict, Reannounce)
                # Only the master that stays re-announces.
                assert w.master
        # A split brain is only ever held by a master; its start is what the watch reports.
        assert w.since == open_since
        assert not w.active or w.master
        assert w.count >= (1 if w.active else 0)
