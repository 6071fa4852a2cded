from __future__ import annotations

import pytest

from alived.core.check.debounce import Debounce
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


def test_bad_counts_are_our_bug() -> None:
    with pytest.raises(LocalMisuse):
        Debounce(rise=0, fall=1, up=True)
