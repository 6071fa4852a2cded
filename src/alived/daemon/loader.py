"""Loading keepalived.conf for the daemon: parse, log every diagnostic, decide whether it can run.

`-t` prints diagnostics to stderr (cli.py); the running daemon logs them instead, as
keepalived does, and runs with whatever the parser kept unless the file is unusable.
"""

from __future__ import annotations

import logging
import socket
from pathlib import Path

from alived.config import model
from alived.config.load import LoadResult, load_config
from alived.daemon.options import Options

log = logging.getLogger("alived.config")

EXIT_CANNOT_RUN = 4


def local_interfaces() -> frozenset[str]:
    """Interface names of this network namespace, as the config checks need them."""
    try:
        return frozenset(p.name for p in Path("/sys/class/net").iterdir())
    except OSError:
        return frozenset(name for _, name in socket.if_nameindex())


def load_result(options: Options) -> LoadResult:
    """The config loader's LoadResult for the daemon's config file."""
    return load_config(
        options.config_file,
        config_id=options.effective_config_id(socket.gethostname()),
        interfaces=local_interfaces(),
        all_config=options.all_config,
    )


def load(options: Options) -> model.Config | None:
    """The config to run, diagnostics logged; None (logged) when it cannot be used."""
    log.info("Opening file '%s'.", options.config_file)
    result = load_result(options)
    for diagnostic in result.diagnostics:
        log.warning("%s", diagnostic)
    if result.exit_code == EXIT_CANNOT_RUN:
        log.error("Configuration file %s cannot be used", options.config_file)
        return None
    return result.config
