"""A Maglev lookup table (Eisenbud et al., NSDI 2016) with quotas, updated in place.

Each destination has its own permutation of the M slots (offset and skip from two hashes of its
name) and claims, on its turn, the free slot earliest in that permutation, as in Maglev's fill.
Unlike Maglev, each destination stops at a quota: its share of M by weight rounded down, plus
one slot for the first destinations by a fixed rank until the M slots are spoken for (and at
least one slot each). The quotas depend on the pool alone, so the slot counts after any change
are those of a table filled from scratch, within one slot of the exact weight shares.

`MaglevTable.update` turns a table into the one for a new pool by moving only what must move:
slots of destinations that left, and of destinations above their new quota (their latest slots
in their own permutation), go to destinations below their quota (each claims its earliest free
slot). A slot whose owner keeps its quota never moves: one real server leaving an equal-weight
pool moves exactly its own slots. The update reads nothing but the table and the pool, so a
table read back from the kernel is updated exactly as the one the backend wrote.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import itertools
import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

# Primes as IPVS offers for its mh table size (and two below, for small pools); the smallest
# at least 8x the pool and 8x its weight units is used.
TABLE_SIZES = (61, 127, 251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521)


def table_size(n: int, units: int = 0) -> int:
    """The table for n destinations whose weights add up to `units` once divided by their gcd:
    every destination and every weight unit gets 8 slots or more (so the slot counts, within one
    of the exact shares, stay within 1/8 of a unit), up to IPVS's largest size. A small pool
    gets a small table: 1,000 services of 3 real servers load 61,000 map elements, not 251,000."""
    for size in TABLE_SIZES:
        if size >= 8 * max(n, units):
            return size
    return TABLE_SIZES[-1]


def _hashes(name: str, size: int) -> tuple[int, int]:
    digest = hashlib.blake2b(name.encode(), digest_size=16).digest()
    offset = int.from_bytes(digest[:8], "big") % size
    skip = int.from_bytes(digest[8:], "big") % (size - 1) + 1
    return offset, skip


@functools.lru_cache(maxsize=1 << 17)
def _permutation(name: str, size: int) -> tuple[int, int, int]:
    """(offset, skip, skip's inverse mod size): slot j of the walk is (offset + j*skip) % size
    and a slot's place in the walk is ((slot - offset) * inverse) % size (size is prime)."""
    offset, skip = _hashes(name, size)
    return offset, skip, pow(skip, -1, size)


@functools.lru_cache(maxsize=1 << 17)
def _rank(name: str) -> bytes:
    """A fixed order of names for the odd slots left after the shares are rounded down."""
    return hashlib.blake2b(name.encode(), digest_size=8, person=b"alived-rank").digest()


def ranked(names: Iterable[str]) -> tuple[str, ...]:
    """Names in `_rank` order: who gets the odd slots left after rounding the shares down."""
    return tuple(sorted(names, key=_rank))


def quotas(pool: Mapping[str, int], size: int, order: Sequence[str] | None = None) -> dict[str, int]:
    """Slots per destination (weight > 0 only): the rounded-down share, at least 1, and the
    remainder one each to the first names by `_rank` (`order`: the live names so ranked, when
    the caller has them). Sums to `size`."""
    live = _live(pool)
    if not live:
        return {}
    if size <= len(live):
        raise ValueError(f"maglev table of {size} slots cannot hold {len(live)} destinations")
    weights = set(live.values())
    if len(weights) == 1:
        # Equal weights (rr, or wrr as most pools are): one share for all, built at C speed.
        want = dict.fromkeys(live, size // len(live))
    else:
        total = sum(live.values())
        want = {name: max(1, size * w // total) for name, w in live.items()}
    rest = size - sum(want.values())
    if rest < 0:
        # Tiny weights lifted to one slot took more than the remainder: the largest give back.
        for name in sorted(want, key=lambda n: (-want[n], _rank(n)))[:-rest]:
            want[name] -= 1
    elif rest:
        first = (ranked(live) if order is None else order)[:rest]
        if len(weights) == 1:
            want.update(dict.fromkeys(first, size // len(live) + 1))
        else:
            want.update({name: want[name] + 1 for name in first})
    return want


@dataclass(frozen=True, slots=True)
class MaglevTable:
    """slot -> destination name ("" for none); `owned`: name -> its slots, `counts` their
    number; `order`: the owners in `_rank` order (and `ranks` their keys), kept so a change
    neither sorts the pool again nor walks it in Python. Treat as immutable."""

    size: int
    slots: tuple[str, ...]
    owned: Mapping[str, tuple[int, ...]]
    counts: Mapping[str, int]
    order: tuple[str, ...] = ()
    ranks: tuple[bytes, ...] = ()
    # The pool (name -> weight above 0) the table was filled or updated for; None for a
    # table as found. A caller that knows what changed derives the next pool from it.
    weights: Mapping[str, int] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def empty(cls, size: int) -> MaglevTable:
        return cls(size, ("",) * size, {}, {})

    @classmethod
    def fresh(cls, pool: Mapping[str, int], size: int) -> MaglevTable:
        """The table filled from scratch; small pools are cached, as many services share theirs."""
        live = tuple(sorted((n, w) for n, w in pool.items() if w > 0))
        if len(live) <= 64:
            return _fresh(live, size)
        return cls.empty(size).update(dict(live))[0]

    @classmethod
    def of(cls, slots: Sequence[str]) -> MaglevTable:
        """A table as found (e.g. read back from the kernel); "" marks a slot with no owner."""
        owned: dict[str, list[int]] = {}
        for slot, name in enumerate(slots):
            if name:
                owned.setdefault(name, []).append(slot)
        order = ranked(owned)
        return cls(
            len(slots),
            tuple(slots),
            {n: tuple(s) for n, s in owned.items()},
            {n: len(s) for n, s in owned.items()},
            order,
            tuple(map(_rank, order)),
        )

    def _order(
        self, live: Mapping[str, int], gone: Iterable[str], new: Sequence[str]
    ) -> tuple[tuple[str, ...], tuple[bytes, ...]]:
        """The live names ranked, from this table's ranking when few names came or went."""
        gone = list(gone)
        if len(gone) + len(new) > 64:
            order = ranked(live)
            return order, tuple(map(_rank, order))
        names, keys = list(self.order), list(self.ranks)
        for name in gone:
            i = bisect.bisect_left(keys, _rank(name))
            del names[i], keys[i]
        for name in new:
            key = _rank(name)
            i = bisect.bisect_left(keys, key)
            names.insert(i, name)
            keys.insert(i, key)
        return tuple(names), tuple(keys)

    def update(self, pool: Mapping[str, int]) -> tuple[MaglevTable, dict[int, str]]:
        """The table for `pool` (name -> weight) and the slots that changed (slot -> new owner,
        "" where the pool is empty). Only slots that must move for the new quotas move."""
        size = self.size
        live = _live(pool)
        if not live:
            return MaglevTable.empty(size), {s: "" for s, name in enumerate(self.slots) if name}
        # Names are compared by C-level iteration (map, compress), not a Python loop: a change
        # in a pool of 10,000 looks at a handful of names. Every count is above 0, so a 0 in
        # `have` is a name new to the table; names that left it are looked for only if some did.
        have = list(map(self.counts.get, live, itertools.repeat(0)))
        new = list(itertools.compress(live, map(operator.not_, have)))
        gone = self.counts.keys() - live.keys() if len(self.counts) > len(have) - len(new) else set()
        order, ranks = self._order(live, gone, new)
        want = quotas(live, size, order)  # in `live`'s order, as `have` is
        differ = list(itertools.compress(want, map(operator.ne, have, want.values())))
        over = sorted(
            [(n, self.counts[n]) for n in gone]
            + [(n, self.counts.get(n, 0)) for n in differ if self.counts.get(n, 0) > want[n]]
        )
        slots = list(self.slots)
        owned = dict(self.owned)
        counts = dict(self.counts)
        free: list[int] = []
        for name, count in over:
            goal = want.get(name, 0)
            mine = owned[name]
            keep: tuple[int, ...] = ()
            if goal == 0:
                drop = list(mine)
            else:
                # Keep the slots earliest in this destination's own permutation, as a fill would.
                offset, _, inverse = _permutation(name, size)
                by_place = sorted(mine, key=lambda s: ((s - offset) * inverse) % size)
                keep, drop = tuple(sorted(by_place[:goal])), by_place[goal:]
            for slot in drop:
                slots[slot] = ""
            free.extend(drop)
            if keep:
                owned[name], counts[name] = keep, goal
            else:
                del owned[name], counts[name]
            assert count - len(keep) == len(drop)
        if sum(counts.values()) + len(free) < size:
            # A new table, or one read back with slots no one owns: those are free as well.
            free = [s for s, name in enumerate(slots) if not name]
        if free:
            needy = sorted((n for n in differ if want[n] > counts.get(n, 0)), key=_rank)
            _fill(slots, owned, want, free, size=size, order=needy)
            counts.update((n, len(owned[n])) for n in needy)
        changed = {s: slots[s] for s in free if slots[s] != self.slots[s]}
        return MaglevTable(size, tuple(slots), owned, counts, order, ranks, dict(live)), changed


def _live(pool: Mapping[str, int]) -> Mapping[str, int]:
    """The destinations of weight above 0 (the pool itself when all are, found at C speed)."""
    if not pool or min(pool.values()) > 0:
        return pool
    return {name: w for name, w in pool.items() if w > 0}


@functools.lru_cache(maxsize=512)
def _fresh(live: tuple[tuple[str, int], ...], size: int) -> MaglevTable:
    return MaglevTable.empty(size).update(dict(live))[0]


def _fill(
    slots: list[str],
    owned: dict[str, tuple[int, ...]],
    want: Mapping[str, int],
    free: list[int],
    *,
    size: int,
    order: Sequence[str],
) -> None:
    """Destinations below quota take turns (in `order`, i.e. `_rank`) claiming their earliest
    free slot."""
    needy = list(order)
    left = {n: want[n] - len(owned.get(n, ())) for n in needy}
    claimed: dict[str, list[int]] = {n: list(owned.get(n, ())) for n in needy}
    cursor = dict.fromkeys(needy, 0)
    pool = set(free)
    while needy:
        still = []
        for name in needy:
            offset, skip, inverse = _permutation(name, size)
            if len(pool) * len(pool) <= size:
                # Few free slots: the earliest in this permutation, found by scanning them.
                slot = min(pool, key=lambda s: ((s - offset) * inverse) % size)
            else:
                # Many: walk the permutation (slots are only taken during a fill, so every
                # place before the cursor is still taken and the walk resumes there).
                j = cursor[name]
                slot = (offset + j * skip) % size
                while slots[slot]:
                    j += 1
                    slot = (offset + j * skip) % size
                cursor[name] = j + 1
            slots[slot] = name
            pool.discard(slot)
            claimed[name].append(slot)
            left[name] -= 1
            if left[name]:
                still.append(name)
        needy = still
    for name, mine in claimed.items():
        owned[name] = tuple(sorted(mine))


def maglev_table(names: Sequence[str], weights: Sequence[int], size: int) -> list[int]:
    """Slot -> index into `names` of a table filled from scratch; only weight > 0 gets slots."""
    pool = {name: w for name, w in zip(names, weights, strict=True) if w > 0}
    if not pool:
        return []
    table, _ = MaglevTable.empty(size).update(pool)
    index = {name: i for i, name in enumerate(names)}
    return [index[name] for name in table.slots]


def moved_slots(before: Sequence[str], after: Sequence[str]) -> int:
    """How many slots changed owner (a measure of the flows a change disturbs)."""
    return sum(1 for a, b in zip(before, after, strict=True) if a != b)


__all__ = ["TABLE_SIZES", "MaglevTable", "maglev_table", "moved_slots", "quotas", "table_size"]
