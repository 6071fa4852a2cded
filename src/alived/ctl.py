"""`alivectl`: the operator's tool (placeholder until its commands land)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    del argv
    print("alivectl: not implemented yet", file=sys.stderr)
    return 1
