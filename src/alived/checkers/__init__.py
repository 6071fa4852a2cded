"""Health-check probes, one module per keepalived checker keyword, found through base.REGISTRY."""

from __future__ import annotations

import importlib

PROBE_MODULES = ("tcp", "http", "smtp", "dns", "udp", "ping", "misc", "file")


def load_all() -> None:
    """Import every probe module so that each registers its keyword(s) in base.REGISTRY."""
    for name in PROBE_MODULES:
        importlib.import_module(f"alived.checkers.{name}")
