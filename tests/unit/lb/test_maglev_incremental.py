"""core/lb/maglev.py: a table updated in place against one filled from scratch (property tests).

The update must give every destination the slot count a fresh fill gives (its weight share,
within one slot), move only the slots that the new counts force to move, and depend on nothing
but the table and the pool (so a table read back from the kernel updates the same way).
"""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from alived.core.lb.maglev import MaglevTable, maglev_table, moved_slots, quotas, table_size

NAMES = [f"[198.51.100.{i}]:80" for i in range(1, 41)]

pools = st.dictionaries(st.sampled_from(NAMES), st.integers(1, 5), min_size=1, max_size=30)


def _fresh(pool: dict[str, int], size: int) -> MaglevTable:
    table, _ = MaglevTable.empty(size).update(pool)
    return table


def _check_shares(table: MaglevTable, pool: dict[str, int]) -> None:
    counts = Counter(table.slots)
    assert set(counts) == set(pool)
    total = sum(pool.values())
    for name, weight in pool.items():
        assert abs(counts[name] - table.size * weight / total) < 1, (name, counts[name])
        assert sorted(table.owned[name]) == [s for s, n in enumerate(table.slots) if n == name]


@settings(max_examples=150, deadline=None)
@given(before=pools, after=pools)
def test_update_gives_fresh_counts_and_moves_only_what_must_move(
    before: dict[str, int], after: dict[str, int]
) -> None:
    size = table_size(max(len(before), len(after)))
    old = _fresh(before, size)
    new, changed = old.update(after)
    fresh = _fresh(after, size)
    _check_shares(new, after)
    assert Counter(new.slots) == Counter(fresh.slots)
    assert changed == {s: n for s, n in enumerate(new.slots) if n != old.slots[s]}
    # Minimal disruption: a slot moves only when its owner is above its new count.
    old_counts, new_counts = Counter(old.slots), Counter(new.slots)
    forced = sum(max(0, c - new_counts.get(name, 0)) for name, c in old_counts.items())
    assert moved_slots(old.slots, new.slots) == forced
    assert moved_slots(old.slots, new.slots) <= moved_slots(old.slots, fresh.slots)
    # Nothing but the table and the pool decides: a table read back updates the same way.
    assert MaglevTable.of(old.slots).update(after)[0].slots == new.slots


@settings(max_examples=60, deadline=None)
@given(pool=st.dictionaries(st.sampled_from(NAMES), st.just(1), min_size=2, max_size=40), data=st.data())
def test_one_leaving_an_equal_pool_moves_exactly_its_slots_and_back(
    pool: dict[str, int], data: st.DataObject
) -> None:
    size = table_size(len(pool))
    table = _fresh(pool, size)
    gone = data.draw(st.sampled_from(sorted(pool)))
    rest = {n: w for n, w in pool.items() if n != gone}
    smaller, changed = table.update(rest)
    assert set(changed) == set(table.owned[gone])
    assert gone not in smaller.slots
    # Coming back restores its slots' count; the table stays within one slot of even.
    back, _ = smaller.update(pool)
    assert Counter(back.slots) == Counter(table.slots)


@settings(max_examples=60, deadline=None)
@given(pool=pools, steps=st.lists(pools, min_size=1, max_size=5))
def test_a_chain_of_updates_stays_a_valid_table(pool: dict[str, int], steps: list[dict[str, int]]) -> None:
    size = table_size(len(NAMES))
    table = _fresh(pool, size)
    for step in steps:
        table, _ = table.update(step)
        _check_shares(table, step)


def test_a_weight_change_moves_only_the_difference() -> None:
    pool = dict.fromkeys(NAMES[:10], 1)
    table = _fresh(pool, 1021)
    heavier, changed = table.update({**pool, NAMES[0]: 3})
    gained = Counter(heavier.slots)[NAMES[0]] - Counter(table.slots)[NAMES[0]]
    assert len(changed) == gained
    assert set(changed.values()) == {NAMES[0]}


def test_holes_in_a_read_back_table_are_filled() -> None:
    pool = dict.fromkeys(NAMES[:5], 1)
    table = _fresh(pool, 251)
    holed = MaglevTable.of([n if s % 7 else "" for s, n in enumerate(table.slots)])
    fixed, changed = holed.update(pool)
    _check_shares(fixed, pool)
    assert all(holed.slots[s] == "" or holed.slots[s] != n for s, n in changed.items())


def test_empty_pool_clears_and_from_scratch_matches_the_wrapper() -> None:
    pool = dict.fromkeys(NAMES[:3], 1)
    table = _fresh(pool, 251)
    cleared, changed = table.update({})
    assert set(cleared.slots) == {""} and len(changed) == 251
    indexes = maglev_table(NAMES[:3], [1, 1, 1], 251)
    assert [NAMES[i] for i in indexes] == list(table.slots)
    assert sum(quotas({NAMES[0]: 1, NAMES[1]: 1000}, 251).values()) == 251
    assert quotas({NAMES[0]: 1, NAMES[1]: 1000}, 251)[NAMES[0]] == 1
