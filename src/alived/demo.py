"""The README's first command: a live VRRP cluster in network namespaces (placeholder)."""

from __future__ import annotations

import sys


def main() -> int:
    print("alived demo: not implemented yet", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
