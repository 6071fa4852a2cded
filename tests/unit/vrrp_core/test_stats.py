"""core/vrrp/stats.py is the one home of the counter names: complete, and no counter is dead."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from alived.core.vrrp import stats
from alived.core.vrrp.states import TRANSITIONS

SRC = Path(stats.__file__).resolve().parents[2]


def _source(pattern: str) -> set[str]:
    found: set[str] = set()
    for path in SRC.rglob("*.py"):
        found |= set(re.findall(pattern, path.read_text()))
    return found


def test_the_stats_file_layout_names_each_keepalived_counter_once() -> None:
    names = [name for _, lines in stats.STATS_FILE for _, name in lines]
    assert sorted(names) == sorted(stats.KEEPALIVED)
    assert len(set(stats.ALL)) == len(stats.ALL)


def test_every_counter_is_counted_somewhere_and_nothing_else_is() -> None:
    """A name no code bumps would be reported but never counted: a dead counter."""
    bumped = _source(r'stats\.bump\("([a-z_0-9]+)"\)')
    dropped = {t.drop for t in TRANSITIONS.values() if t.handler is None}
    decoded = set(stats.DECODE_REASONS.values())
    assert bumped | dropped | decoded == set(stats.ALL)


def test_every_codec_rejection_maps_to_a_counter() -> None:
    reasons = _source(r'DecodeError\("([a-z_0-9]+)"')
    assert reasons <= set(stats.DECODE_REASONS), reasons - set(stats.DECODE_REASONS)


def test_counters_refuse_an_unknown_name_and_clear_to_zero() -> None:
    counters = stats.Counters()
    counters.bump("packet_len_err")
    assert counters["packet_len_err"] == 1
    with pytest.raises(KeyError):
        counters.bump("packet_len_error")
    assert list(counters.snapshot()) == list(stats.ALL)
    counters.clear()
    assert set(counters.snapshot().values()) == {0}
