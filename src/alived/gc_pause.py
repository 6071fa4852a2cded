"""A stretch of work without cyclic garbage collection: a config load (the model is a large acyclic
tree), a child's imports, a reload; the collector's passes over what is alive cost more than they free."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """No collector pass inside; the collector is left as it was found (a test may have it off)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
