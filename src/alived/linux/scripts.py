"""Running external scripts without blocking the event loop, the way keepalived runs them.

Each script gets its own process group, a parent-death signal, and an environment
without IFS, LD_PRELOAD and LD_LIBRARY_PATH. An executable file is exec'd directly;
anything else goes through `/bin/sh -c` (keepalived's system() fallback). A script that
is missing or fails is logged, never fatal.

Every start goes through `script_gate()` first (keepalived's check_script_secure, see
alived.script_security): with enable_script_security a root script whose path a non-root user
could modify is refused, even if it became so after the config was loaded. The checker side's
MISC_CHECK, notify_up/down and quorum scripts start through the same runner and gate.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import shlex
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from alived.script_security import script_verdict

log = logging.getLogger("alived.scripts")

UNSAFE_ENV = ("IFS", "LD_PRELOAD", "LD_LIBRARY_PATH")
PR_SET_PDEATHSIG = 1
CANCEL_GRACE = 1.0  # seconds a cancelled script gets between SIGTERM and SIGKILL
TIMEOUT_GRACE = 2.0  # keepalived: a timed-out script gets SIGTERM, then SIGKILL 2 s later


@dataclass(frozen=True, slots=True, kw_only=True)
class ScriptCommand:
    """One script invocation: argv already split, optionally run as another user/group."""

    argv: tuple[str, ...]
    uid: int | None = None
    gid: int | None = None
    secure: bool = False  # enable_script_security: refuse an unsafe root script instead of running it

    def with_args(self, *extra: str) -> ScriptCommand:
        return ScriptCommand(argv=(*self.argv, *extra), uid=self.uid, gid=self.gid, secure=self.secure)

    def __str__(self) -> str:
        return shlex.join(self.argv)


def script_env(base: Mapping[str, str]) -> dict[str, str]:
    """The environment a script sees: ours minus the variables that change how programs load or parse."""
    return {k: v for k, v in base.items() if k not in UNSAFE_ENV}


def exec_argv(argv: Sequence[str]) -> list[str]:
    """Direct exec for an executable file, else `/bin/sh -c` on the joined command."""
    if argv and Path(argv[0]).is_file() and os.access(argv[0], os.X_OK):
        return list(argv)
    return ["/bin/sh", "-c", shlex.join(argv)]


def script_gate(command: ScriptCommand) -> str | None:
    """Why `command` must not start (keepalived's log line), or None when it may.

    Only what keepalived refuses for safety is refused here: a missing or non-executable file
    still goes to exec, which fails and is logged.
    """
    if not command.argv:
        return "empty script"
    uid = os.geteuid() if command.uid is None else command.uid
    gid = os.getegid() if command.gid is None else command.gid
    verdict = script_verdict(command.argv[0], uid, gid, enforce=command.secure)
    if verdict.runnable or not (verdict.found and verdict.executable):
        return None
    return verdict.messages[-1] if verdict.messages else f"script {command.argv[0]} refused"


def _preexec() -> None:
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


async def _end(proc: asyncio.subprocess.Process) -> None:
    """Stop a script we no longer wait for (e.g. a FIFO script at reload): SIGTERM to its group
    first, as keepalived does, SIGKILL after CANCEL_GRACE."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), CANCEL_GRACE)
    except (TimeoutError, asyncio.CancelledError):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


_ENDING: set[asyncio.Task[None]] = set()


def _end_when_spawned(spawning: asyncio.Future[asyncio.subprocess.Process]) -> None:
    if spawning.cancelled() or spawning.exception() is not None:
        return
    task = asyncio.get_running_loop().create_task(_end(spawning.result()))
    _ENDING.add(task)  # a reference until it is done, so the task is not collected
    task.add_done_callback(_ENDING.discard)


class ScriptRunner:
    """Starts scripts as asyncio subprocesses and keeps track of the ones still running."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self._env = script_env(os.environ if env is None else env)
        self._running: set[asyncio.Task[int | None]] = set()
        self.started = 0
        self.failed = 0
        self.refused = 0
        self._refusals_logged: set[tuple[str, str]] = set()

    def spawn(self, command: ScriptCommand, *, timeout: float | None = None) -> asyncio.Task[int | None]:
        """Start `command` now and return the task that reaps it (exit status, None if it never ran)."""
        task = asyncio.get_running_loop().create_task(self.run(command, timeout=timeout))
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return task

    async def run(self, command: ScriptCommand, *, timeout: float | None = None) -> int | None:
        """Run `command` to completion (killing its group after `timeout` seconds); its exit status.

        None when it never ran: refused by the security gate, or exec failed."""
        # The timeout counts from now, not from the end of the (possibly slow) spawn below.
        deadline = None if timeout is None else asyncio.get_running_loop().time() + timeout
        refusal = script_gate(command)
        if refusal is not None:
            self.refused += 1
            key = (str(command), refusal)
            if key not in self._refusals_logged:  # a periodic script would repeat it every interval
                self._refusals_logged.add(key)
                log.warning("%s", refusal)
            return None
        argv = exec_argv(command.argv)
        kwargs: dict[str, object] = {}
        if command.uid is not None:
            kwargs["user"] = command.uid
        if command.gid is not None:
            kwargs["group"] = command.gid
            kwargs["extra_groups"] = []
        spawning = asyncio.ensure_future(
            asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
                env=self._env,
                process_group=0,
                preexec_fn=_preexec,
                close_fds=True,
                **kwargs,  # type: ignore[arg-type]
            )
        )
        try:
            # Shielded: cancelled mid-spawn (a MISC_CHECK timeout on a loaded host), asyncio would
            # SIGKILL the script alone and leave what it started in its group running.
            proc = await asyncio.shield(spawning)
        except asyncio.CancelledError:
            spawning.add_done_callback(_end_when_spawned)
            raise
        except (OSError, ValueError, subprocess.SubprocessError) as err:
            self.failed += 1
            log.error("Failed to exec script %s: %s", command, err)
            return None
        self.started += 1
        try:
            if deadline is None:
                return await proc.wait()
            left = max(0.0, deadline - asyncio.get_running_loop().time())
            return await asyncio.wait_for(proc.wait(), left)
        except TimeoutError:
            # As keepalived times out a vrrp_script: SIGTERM to its group, SIGKILL if it is still
            # there TIMEOUT_GRACE later; once it is gone, whatever it left in its group goes too.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                status = await asyncio.wait_for(proc.wait(), TIMEOUT_GRACE)
            except TimeoutError:
                status = None
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            return status if status is not None else await proc.wait()
        except asyncio.CancelledError:
            await _end(proc)
            raise

    @property
    def running(self) -> int:
        return len(self._running)

    async def drain(self, timeout: float) -> None:
        """Wait up to `timeout` seconds for the scripts still running (STOP scripts at shutdown)."""
        pending = set(self._running)
        if pending:
            await asyncio.wait(pending, timeout=timeout)
