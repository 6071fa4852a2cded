"""Loading keepalived.conf for the daemon: parse, log every diagnostic, decide whether it can run.

`-t` prints diagnostics to stderr (cli.py); the running daemon logs them instead, as
keepalived does, and runs with whatever the parser kept unless the file is unusable.
"""

from __future__ import annotations

import logging
import socket
from pathlib import Path

from alived.config import model
from alived.config.diagnostics import Severity
from alived.config.load import LoadResult, load_config
from alived.daemon.options import Options

log = logging.getLogger("alived.config")
reload_log = logging.getLogger("alived.metrics")  # where the parent's reload read always logged

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


# The parent's read of the config at start, for the children it forks then (see `preload`).
_preloaded: list[LoadResult] = []


def preload(result: LoadResult | None) -> None:
    """Children forked from now on start with `result` (the parent's own read, just made)
    instead of parsing the file again; None: they read the file (a respawn reads it afresh)."""
    _preloaded[:] = [] if result is None else [result]


def load(options: Options, *, start: bool = False, named: bool = False) -> model.Config | None:
    """The config to run, diagnostics logged; None (logged) when it cannot be used.

    `start`: a child's first load, which takes the parent's read when there is one (at most once).
    `named`: the parent has already logged the file's name (a reload), so it is not logged again.
    """
    return _load(options, start=start, named=named)[0]


def load_refusing(options: Options) -> tuple[model.Config | None, int | None, bool]:
    """A child's read at a reload (the parent named the file): the config as `load` gives it, the
    exit code keepalived's daemon stops with on this config (None: it runs it), and whether that
    is its parser giving up at once (a keyword without its parameter)."""
    config, result = _load(options, start=False, named=True)
    return config, result.refusal, any(d.severity == Severity.ABORT for d in result.diagnostics)


def _load(options: Options, *, start: bool, named: bool) -> tuple[model.Config | None, LoadResult]:
    if not named:
        log.info("Opening file '%s'.", options.config_file)
    result = _preloaded.pop() if start and _preloaded else load_result(options)
    for diagnostic in result.diagnostics:
        log.warning("%s", diagnostic.keepalived_text())
    if result.exit_code == EXIT_CANNOT_RUN:
        log.error("Configuration file %s cannot be used", options.config_file)
        return None, result
    return result.config, result


def reload_view(options: Options) -> tuple[model.Config | None, bool]:
    """The parent's read of the config at a reload (None if unreadable), and whether it had no errors."""
    try:
        result = load_result(options)
    except Exception as err:  # the parent must outlive any config it is given
        reload_log.warning("Reading global_defs from %s failed: %s", options.config_file, err)
        return None, False
    return result.config, result.exit_code == 0


def has_vrrp_config(config: model.Config) -> bool:
    """keepalived's have_vrrp_config: a VRRP instance or a static address, route or rule."""
    return bool(config.instances or config.static_ipaddress or config.static_routes or config.static_rules)
