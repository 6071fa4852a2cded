"""Signals as intents: a handler only enqueues what was asked; the main task does the work.

Also keepalived's `--signum` names (STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON).
"""

from __future__ import annotations

import asyncio
import enum
import signal


class Intent(enum.Enum):
    """What an operator (or the kernel) asked the daemon to do."""

    STOP = "stop"
    RELOAD = "reload"
    DATA = "data"
    STATS = "stats"
    STATS_CLEAR = "stats_clear"
    JSON = "json"
    CHILD_EXITED = "child_exited"


SIGNAL_STATS_CLEAR = signal.SIGRTMAX - 1
SIGNAL_JSON = signal.SIGRTMIN + 2

# keepalived's get_signum() names, in its order.
SIGNUM_NAMES: dict[str, int] = {
    "STOP": int(signal.SIGTERM),
    "RELOAD": int(signal.SIGHUP),
    "DATA": int(signal.SIGUSR1),
    "STATS": int(signal.SIGUSR2),
    "STATS_CLEAR": int(SIGNAL_STATS_CLEAR),
    "JSON": int(SIGNAL_JSON),
}

INTENT_OF_SIGNAL: dict[int, Intent] = {
    int(signal.SIGTERM): Intent.STOP,
    int(signal.SIGINT): Intent.STOP,
    int(signal.SIGHUP): Intent.RELOAD,
    int(signal.SIGUSR1): Intent.DATA,
    int(signal.SIGUSR2): Intent.STATS,
    int(SIGNAL_STATS_CLEAR): Intent.STATS_CLEAR,
    int(SIGNAL_JSON): Intent.JSON,
}

# The signal the supervisor sends a child to pass an intent on.
SIGNAL_OF_INTENT: dict[Intent, int] = {
    Intent.STOP: int(signal.SIGTERM),
    Intent.RELOAD: int(signal.SIGHUP),
    Intent.DATA: int(signal.SIGUSR1),
    Intent.STATS: int(signal.SIGUSR2),
    Intent.STATS_CLEAR: int(SIGNAL_STATS_CLEAR),
    Intent.JSON: int(SIGNAL_JSON),
}


def signum_of(name: str) -> int | None:
    """`--signum=NAME`: the signal number for a keepalived signal function name, or None."""
    return SIGNUM_NAMES.get(name.upper())


def install(
    loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[Intent], *, ignore_sigint: bool = False
) -> list[int]:
    """Route the daemon's signals into `queue`; returns the signals installed (for `uninstall`)."""
    installed: list[int] = []
    for signum, intent in INTENT_OF_SIGNAL.items():
        if signum == signal.SIGINT and ignore_sigint:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            continue
        loop.add_signal_handler(signum, queue.put_nowait, intent)
        installed.append(signum)
    return installed


def uninstall(loop: asyncio.AbstractEventLoop, installed: list[int]) -> None:
    for signum in installed:
        loop.remove_signal_handler(signum)
