"""Rise/fall debounce (core/debounce.py): the checkers' and the vrrp_scripts' result filter."""

from __future__ import annotations

import pytest

from alived.core.debounce import Debounce
from alived.errors import LocalMisuse


def test_fall_and_rise_counts() -> None:
    d = Debounce(rise=2, fall=3, up=True)
    assert [d.feed(False) for _ in range(3)] == [False, False, True]
    assert not d.up
    assert [d.feed(True), d.feed(False), d.feed(True), d.feed(True)] == [False, False, False, True]
    assert d.up


def test_a_contrary_result_resets_the_count() -> None:
    d = Debounce(rise=1, fall=2, up=True)
    d.feed(False)
    assert d.pending == 1
    d.feed(True)
    assert d.pending == 0


def test_the_same_state_resets_the_run() -> None:
    d = Debounce(rise=1, fall=2, up=True)
    assert not d.feed(False)
    assert not d.feed(True)
    assert not d.feed(False)
    assert d.feed(False) and not d.up


def test_an_undecided_state_is_set_by_its_first_result_alone() -> None:
    """keepalived's vrrp_script INIT: one result is enough at start, rise/fall apply after."""
    d = Debounce(rise=2, fall=2, up=True, undecided=True)
    assert d.feed(False) and not d.up  # one failure is enough at start (fall 2 later)
    e = Debounce(rise=2, fall=2, up=True, undecided=True)
    assert not e.feed(True) and e.up
    assert [e.feed(False), e.feed(False)] == [False, True]


def test_bad_counts_are_our_bug() -> None:
    with pytest.raises(LocalMisuse):
        Debounce(rise=0, fall=1, up=True)
