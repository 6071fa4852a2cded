"""The VRRP child process (being built)."""

from __future__ import annotations

from alived.daemon.options import EXIT_FATAL, Options


def run_vrrp_child(options: Options) -> int:
    del options
    return EXIT_FATAL
