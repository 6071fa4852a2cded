"""`alived`: the daemon's command line, with keepalived's flags (placeholder until the CLI lands)."""

from __future__ import annotations

import sys

from alived import __version__


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if "-v" in args or "--version" in args:
        print(f"alived v{__version__}")
        return 0
    print("alived: not implemented yet", file=sys.stderr)
    return 1
