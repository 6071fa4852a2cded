"""The frame every child process runs in (the VRRP child and the checker child alike).

Around a child's own work it sets the umask, logs under the child's ident, checks that its
status socket can be made (the supervisor pings the child there: without it the child would
fail every liveness probe, so that is fatal, not respawned), writes and finally removes its pid
file, loads the configuration, and routes the operator's signals as intents into the child's
queue while the child serves. A child only says how it is built and how it serves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from alived.config import model
from alived.daemon import signals
from alived.daemon.loader import load
from alived.daemon.logsetup import setup_logging
from alived.daemon.options import EXIT_CONFIG, EXIT_FATAL, EXIT_OK, Options
from alived.daemon.pidfile import PidFile, cannot_write
from alived.daemon.signals import Intent
from alived.daemon.status import path_problem, socket_path


class StatusChannel(Protocol):
    """The child's status socket, where the supervisor's liveness pings arrive."""

    async def close(self) -> None: ...


class Child(Protocol):
    """What the frame needs of a child."""

    @property
    def intents(self) -> asyncio.Queue[Intent]: ...

    @property
    def status(self) -> StatusChannel: ...

    async def serve(self, config: model.Config) -> None:
        """Start, act on intents until STOP, then stop in order."""
        ...

    def abandon(self) -> None:
        """`serve` ended by an exception: release what it holds in the kernel, now."""
        ...


@dataclass(frozen=True, slots=True)
class ChildFrame:
    """One kind of child: its log ident, its pid file, and how it is built from the config."""

    ident: str
    logger: str  # the child's logger, which its start-up errors go to
    log_suffix: str
    pid_file: Callable[[Options], str]
    pid_option: str  # the command-line option that names the pid file, for the path message
    title: str  # as keepalived names the child in "<title> child process: ..."
    make: Callable[[Options, model.Config], Child]


def run_child(options: Options, frame: ChildFrame) -> int:
    """A child's whole life in its process; returns its exit code."""
    if options.umask is not None:
        os.umask(options.umask)
    setup_logging(options, ident=frame.ident, child_suffix=frame.log_suffix)
    log = logging.getLogger(frame.logger)
    pid_path = frame.pid_file(options)
    problem = path_problem(socket_path(pid_path), option=frame.pid_option)
    if problem is not None:
        log.error("%s", problem)
        return EXIT_FATAL
    # The operator's signals wait from before the pid file exists until the child's handlers are
    # in place (keepalived's children inherit its blocked signals likewise): a STOP forwarded
    # meanwhile then stops the child through them, and the pid file goes with it.
    held = signal.pthread_sigmask(signal.SIG_BLOCK, signals.INTENT_OF_SIGNAL)
    try:
        return _with_pid_file(options, frame, pid_path, log, held)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _with_pid_file(
    options: Options, frame: ChildFrame, pid_path: str, log: logging.Logger, held: set[int]
) -> int:
    pidfile = PidFile(pid_path)
    try:
        pidfile.write()
    except OSError:
        # keepalived's child exits 0 here, so its parent respawns it (with the back-off).
        log.info("%s", cannot_write(pid_path))
        log.info("%s child process: cannot write pidfile", frame.title)
        return EXIT_OK
    try:
        config = load(options, start=True)
        if config is None:
            return EXIT_CONFIG
        return asyncio.run(_serve(options, config, frame, held))
    finally:
        pidfile.remove()


async def _serve(options: Options, config: model.Config, frame: ChildFrame, held: set[int]) -> int:
    child = frame.make(options, config)
    loop = asyncio.get_running_loop()
    installed = signals.install(loop, child.intents, ignore_sigint=options.ignore_sigint)
    signal.pthread_sigmask(signal.SIG_SETMASK, held)  # what arrived meanwhile is handled now
    try:
        await child.serve(config)
    except BaseException:
        child.abandon()
        with contextlib.suppress(Exception):
            await child.status.close()
        raise
    finally:
        signals.uninstall(loop, installed)
    code: int | None = getattr(child, "exit_code", None)  # a child that gave up on a reload
    return EXIT_OK if code is None else code
