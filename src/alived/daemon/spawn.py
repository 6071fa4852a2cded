"""Children forked from the initialised parent, as keepalived forks its VRRP and checker children.

The parent freezes its heap (`gc.freeze`, so the collector never writes to the shared objects
and copy-on-write pages stay shared), then `spawn_child` forks: the child skips a second
interpreter start and the imports the parent already made (config, asyncio, logging). A child's
own modules (pyroute2, sockets, protocol) are imported in the child only (`lazy_entry`): the
parent never uses them, and imported there they would cost the parent their memory and, once
the child's reference counts dirty the shared pages, cost the tree a second copy. The child
never returns into the parent's stack: it runs its entry and leaves with `os._exit`. The
parent learns of its exit through a pidfd in its event loop.

Linux has no close-on-fork flag, so the parent's listening sockets (control, metrics) are
registered here with `parent_only` and closed in each child right after the fork: a child never
accepts on them, and a respawned child does not keep a port open that the parent has closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import importlib
import logging
import os
import signal
from collections.abc import Callable, Mapping

from alived.daemon import method_cache
from alived.daemon.options import EXIT_FATAL, Options
from alived.gc_pause import gc_paused

log = logging.getLogger("alived.supervisor")

# The parent's command line, for a child to show as its own (set by the cli; a child drops it).
TITLE_ENV = "ALIVED_PROCTITLE"
PR_SET_PDEATHSIG = 1

# Each child's entry point: "module:function", the function taking the options, returning an exit code.
CHILD_ENTRIES: dict[str, str] = {
    "vrrp": "alived.daemon.vrrp.child:run_vrrp_child",
    "check": "alived.daemon.check.child:run_checker_child",
}

ChildEntry = Callable[[Options], int]

# Descriptors only the parent may hold (its listening sockets); a child closes them after fork.
_PARENT_ONLY: set[int] = set()


def parent_only(fd: int) -> None:
    """Mark `fd` as the parent's alone: children forked from now on close it first thing."""
    _PARENT_ONLY.add(fd)


def parent_released(fd: int) -> None:
    """The parent closed `fd` (call before closing it): children no longer need to."""
    _PARENT_ONLY.discard(fd)


def _close_parent_only() -> None:
    # The parent's socket objects are never finalised in the child (it leaves with os._exit),
    # so closing the raw descriptors cannot close a later one of the child's by number.
    for fd in _PARENT_ONLY:
        with contextlib.suppress(OSError):
            os.close(fd)
    _PARENT_ONLY.clear()


def child_entry(child: str) -> ChildEntry:
    """Import the child's entry module (in the parent: its pages are then shared) and return it."""
    module_name, _, function = CHILD_ENTRIES[child].partition(":")
    entry: ChildEntry = getattr(importlib.import_module(module_name), function)
    return entry


def lazy_entry(child: str) -> ChildEntry:
    """The child's entry, its module imported only when it runs (in the forked child)."""

    def run(options: Options) -> int:
        # Importing makes garbage only in cycles a later pass collects (each slotted dataclass
        # leaves its first class behind); passes while importing cost the first advert ~10%.
        with gc_paused():
            entry = child_entry(child)
        method_cache.flush()  # the child's own classes' methods, for its next start
        return entry(options)

    return run


class ForkedChild:
    """A forked child as the supervisor sees it: pid, returncode, wait, send_signal, kill."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._exited = asyncio.get_running_loop().create_future()
        self._pidfd = os.pidfd_open(pid)
        asyncio.get_running_loop().add_reader(self._pidfd, self._reap)

    def _reap(self) -> None:
        loop = asyncio.get_running_loop()
        loop.remove_reader(self._pidfd)
        os.close(self._pidfd)
        try:
            _, status = os.waitpid(self.pid, 0)
            self.returncode = os.waitstatus_to_exitcode(status)
        except ChildProcessError:
            self.returncode = 255  # reaped elsewhere: its status is lost
        if not self._exited.done():
            self._exited.set_result(self.returncode)

    async def wait(self) -> int:
        return await asyncio.shield(self._exited)

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _die_with_parent(parent: int) -> None:
    """As keepalived's children: SIGTERM when the parent dies (and now if it already has)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:
        os.kill(os.getpid(), signal.SIGTERM)


def _reset_inherited_signals() -> None:
    """Drop the parent's event-loop signal plumbing; the child's own loop installs its own."""
    signal.set_wakeup_fd(-1)
    for signum in signal.valid_signals():
        with contextlib.suppress(OSError, ValueError, RuntimeError):
            if signal.getsignal(signum) not in (signal.SIG_DFL, signal.SIG_IGN, None):
                signal.signal(signum, signal.SIG_DFL)


def spawn_child(entry: ChildEntry, options: Options, *, env: Mapping[str, str | None]) -> ForkedChild:
    """Fork a child that runs `entry(options)` and exits with its code; call from the parent's loop.

    `env` sets (a string) or removes (None) variables in the child's environment only.
    """
    parent = os.getpid()
    # The automatic collections have run all along: the young generations' garbage is what is
    # left, a full pass (tens of ms on the start-up path, before every fork) finds next to none.
    gc.collect(1)
    gc.freeze()
    # Handlers the child inherits would flush the parent's buffered records a second time.
    for handler in logging.getLogger("alived").handlers:
        handler.flush()
    pid = os.fork()
    if pid != 0:
        return ForkedChild(pid)
    code = EXIT_FATAL
    try:
        _close_parent_only()
        _reset_inherited_signals()
        _die_with_parent(parent)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        for key, value in env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        code = entry(options)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else EXIT_FATAL
    except BaseException:
        log.exception("child process failed")
    finally:
        with contextlib.suppress(BaseException):
            logging.shutdown()
        os._exit(code)
