"""A Maglev lookup table (Eisenbud et al., NSDI 2016), weighted as IPVS's mh scheduler weighs.

Each destination walks its own permutation of the M slots (offset and skip from two hashes of
its key) and claims the next free slot on its turn; a destination of weight w takes w/g turns
per round (g the gcd of the weights). A change to one destination moves few other slots:
that is what `mh` promises and why the nftables backend rewrites only the slots that moved.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

# Primes as IPVS offers for its mh table size; the smallest at least 8x the pool is used.
TABLE_SIZES = (251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521)


def table_size(n: int) -> int:
    for size in TABLE_SIZES:
        if size >= 8 * n:
            return size
    return TABLE_SIZES[-1]


def _hashes(name: str, size: int) -> tuple[int, int]:
    digest = hashlib.blake2b(name.encode(), digest_size=16).digest()
    offset = int.from_bytes(digest[:8], "big") % size
    skip = int.from_bytes(digest[8:], "big") % (size - 1) + 1
    return offset, skip


def maglev_table(names: Sequence[str], weights: Sequence[int], size: int) -> list[int]:
    """Slot -> index into `names`; only entries with weight > 0 get slots. Empty list if none."""
    live = [i for i, w in enumerate(weights) if w > 0]
    if not live:
        return []
    if size <= len(live):
        raise ValueError(f"maglev table of {size} slots cannot hold {len(live)} destinations")
    g = 0
    for i in live:
        g = math.gcd(g, weights[i])
    # Flat lists and locals: this loop fills up to 65521 slots on every pool change.
    order = [i for i in live for _ in range(weights[i] // g)]
    offsets, skips, nexts = {}, {}, dict.fromkeys(live, 0)
    for i in live:
        offsets[i], skips[i] = _hashes(names[i], size)
    table = [-1] * size
    filled = 0
    while True:
        for i in order:
            offset, skip, j = offsets[i], skips[i], nexts[i]
            slot = (offset + j * skip) % size
            while table[slot] >= 0:
                j += 1
                slot = (offset + j * skip) % size
            nexts[i] = j + 1
            table[slot] = i
            filled += 1
            if filled == size:
                return table
