"""The parent process: pid file, daemonising, the VRRP child, signal forwarding and respawn.

As keepalived's parent: it never touches the network itself. It forks one child per
subsystem from its initialised self (daemon/spawn.py: no second interpreter, shared pages),
passes operator
signals on, restarts a child that dies (with a back-off, not with `-R`), and on STOP
asks the children to stop, waits for them, and removes its pid file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import platform
import resource
import signal
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from alived import KEEPALIVED_COMPAT, __version__
from alived.build_info import UNKNOWN, git_commit
from alived.config.model import GlobalDefs, Script
from alived.daemon import signals
from alived.daemon.dumpfile import PARENT_DUMP, write_dump_file
from alived.daemon.loader import has_vrrp_config, load_result, preload, reload_view
from alived.daemon.logsetup import IDENT_PARENT, command_line_lines, setup_logging
from alived.daemon.options import (
    EXIT_FATAL,
    EXIT_NOT_CONFIGURED,
    EXIT_OK,
    RESPAWN_ENV,
    Options,
)
from alived.daemon.pidfile import PidFile, cannot_write, keepalived_running
from alived.daemon.process_facts import ProcessFacts
from alived.daemon.readiness import Readiness
from alived.daemon.script_command import script_command
from alived.daemon.signals import Intent
from alived.daemon.spawn import TITLE_ENV, ChildEntry, ForkedChild, lazy_entry, spawn_child
from alived.daemon.status import query_async, socket_path
from alived.linux.scripts import ScriptRunner
from alived.linux.sd_notify import Notifier
from alived.units import Ticks, to_seconds

if TYPE_CHECKING:
    from alived.config.load import LoadResult
    from alived.daemon.control import ControlServer
    from alived.daemon.metrics_server import MetricsServer

log = logging.getLogger("alived.supervisor")

CHILD_WAIT_TIME = 5.0  # keepalived's child_wait_time default, seconds
RESPAWN_MAX_DELAY = 30.0
RESPAWN_QUICK_DEATH = 5.0  # a child dying sooner than this after start doubles the back-off
# Child exit codes that mean "restarting will not help" (keepalived: fatal and config errors).
PERMANENT_EXIT_CODES = frozenset({1, 2})

PING_INTERVAL = 2.0
PING_TIMEOUT = 2.0
PING_FAILURES = 3  # about ten seconds without an answer
STARTUP_GRACE = 30.0  # a child that never answered yet may still be parsing a large config


def banner() -> str:
    return f"alived v{__version__} (keepalived v{KEEPALIVED_COMPAT} compatible)"


def daemonise() -> None:
    """Detach from the terminal: double fork, new session, cwd /, stdio to /dev/null."""
    if os.fork() > 0:
        os._exit(0)
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    os.chdir("/")
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    if null > 2:
        os.close(null)


@dataclass
class ChildSlot:
    """One subsystem child: how to start it and what happened to it so far."""

    name: str  # "VRRP"
    entry: ChildEntry
    process: ForkedChild | None = None
    started_at: float = 0.0
    respawn_delay: float = 0.0
    status_path: str = ""


class Supervisor:
    """The parent's main task: one queue of intents, handled one at a time (STYLE #9)."""

    def __init__(
        self,
        options: Options,
        defaults: GlobalDefs | None = None,
        *,
        has_virtual_servers: bool = False,
        has_vrrp: bool = True,
        config_load_seconds: float | None = None,
    ) -> None:
        self.options = options
        self.defaults = defaults if defaults is not None else GlobalDefs()
        self.has_virtual_servers = has_virtual_servers
        self.has_vrrp = has_vrrp
        self.runner = ScriptRunner()
        self.intents: asyncio.Queue[Intent] = asyncio.Queue()
        self.children: list[ChildSlot] = []
        self.stopping = False
        self.permanent_error = False  # a child exited with a permanent error: stopping because of it
        self.exit_code = EXIT_OK
        self._tasks: set[asyncio.Task[None]] = set()
        self.facts = ProcessFacts(
            version=__version__,
            keepalived_compat=KEEPALIVED_COMPAT,
            commit=git_commit(),
            started_at=time.time(),
            config_load_seconds=config_load_seconds,
        )
        self.readiness = Readiness(  # sd_notify; a child counts as answering for two missed pings
            Notifier(), lambda: [s.name for s in self.children], PING_INTERVAL * 2 + PING_TIMEOUT
        )

    async def start_child(self, slot: ChildSlot, *, respawn: bool = False) -> None:
        # Only a respawned child may keep the VIPs it finds: they are its predecessor's. On a
        # fresh start they are stale (a SIGKILLed run) and another router may hold them now.
        # The parent's title variable is for the parent only (scripts must not see it), and
        # systemd hears from the supervisor only.
        env = {RESPAWN_ENV: "1" if respawn else None, TITLE_ENV: None, "NOTIFY_SOCKET": None}
        slot.process = spawn_child(slot.entry, self.options, env=env)
        slot.started_at = time.monotonic()
        log.info("Starting %s child process, pid=%d", slot.name, slot.process.pid)
        self._spawn(self._watch(slot, slot.process))
        if slot.status_path:
            self._spawn(self._ping(slot, slot.process))

    def _spawn(self, coro: Coroutine[object, object, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _watch(self, slot: ChildSlot, process: ForkedChild) -> None:
        await process.wait()
        if slot.process is process:
            self.intents.put_nowait(Intent.CHILD_EXITED)

    async def _ping(self, slot: ChildSlot, process: ForkedChild) -> None:
        """Liveness: a child that stops answering pings is killed (and respawned)."""
        answered = False
        failures = 0
        while slot.process is process and process.returncode is None and not self.stopping:
            await asyncio.sleep(PING_INTERVAL)
            try:
                reply = await query_async(slot.status_path, "ping", timeout=PING_TIMEOUT)
            except (OSError, TimeoutError):
                reply = ""
            if reply.strip() == "pong":
                answered, failures = True, 0
                self.readiness.pong(slot.name)  # systemd: READY once all answer, then the watchdog
                continue
            if not answered and time.monotonic() - slot.started_at < STARTUP_GRACE:
                continue
            failures += 1
            if failures >= PING_FAILURES and process.returncode is None and not self.stopping:
                log.error("%s child process(%d) is not responding: killing it", slot.name, process.pid)
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                return

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        installed = signals.install(loop, self.intents, ignore_sigint=self.options.ignore_sigint)
        metrics: MetricsServer | None = None
        control: ControlServer | None = None
        try:
            self._add_wanted_slots()
            if not self.children:
                # keepalived's parent then idles until it is stopped or reloaded with some.
                log.info("Warning - keepalived has no configuration to run")
            self._spawn(self.readiness.watchdog())  # systemd WATCHDOG=1 (when WATCHDOG_USEC is set)
            if self.defaults.startup_script is not None:
                preload(None)  # the script may rewrite the config: the children read it after
                # The script may take its time: alivectl and the metrics answer meanwhile.
                metrics = self._start_metrics()
                control = await self._start_control()
            await self.run_hook(
                "startup_script", self.defaults.startup_script, self.defaults.startup_script_timeout
            )
            for slot in self.children:
                await self.start_child(slot)
            preload(None)  # children respawned later read the file as it is then
            if self.defaults.startup_script is None:
                # Otherwise the parent's own endpoints come once the children are on their way to
                # their first advert (issue #9): their imports and sockets are the parent's
                # alone, and no thread (the metrics server's) is running at the fork.
                metrics = self._start_metrics()
                control = await self._start_control()  # alivectl reload / stop / dump
            while not (self.stopping and all(s.process is None for s in self.children)):
                intent = await self.intents.get()
                await self.dispatch(intent)
            await self.run_hook(
                "shutdown_script", self.defaults.shutdown_script, self.defaults.shutdown_script_timeout
            )
        finally:
            if metrics is not None:
                metrics.close()
            if control is not None:
                await control.close()
            signals.uninstall(loop, installed)
        return self.exit_code

    async def _start_control(self) -> ControlServer | None:
        from alived.daemon.control import start_for  # noqa: PLC0415 - after the children's fork

        return await start_for(self)

    def _start_metrics(self) -> MetricsServer | None:
        """The metrics endpoint, when --metrics or metrics_address asks for one (else None)."""
        if not (self.options.metrics or self.defaults.metrics_address):
            return None  # without importing prometheus_client: most parents never serve metrics
        from alived.daemon.metrics_server import start_for  # noqa: PLC0415

        return start_for(self)

    def _add_wanted_slots(self) -> list[ChildSlot]:
        """A slot for each child the config and the command line want and that has none yet."""
        added: list[ChildSlot] = []
        have = {slot.name for slot in self.children}
        if self.wants_vrrp() and "VRRP" not in have:
            status = socket_path(self.options.vrrp_pid_file)
            added.append(ChildSlot(name="VRRP", entry=lazy_entry("vrrp"), status_path=status))
        if self.wants_checker() and "Healthcheck" not in have:
            status = socket_path(self.options.checkers_pid_file)
            added.append(ChildSlot(name="Healthcheck", entry=lazy_entry("check"), status_path=status))
        self.children.extend(added)
        return added

    def wants_vrrp(self) -> bool:
        """keepalived starts the VRRP child when the config has VRRP (not with -C)."""
        o = self.options
        if o.check_only and not o.vrrp_only and not o.all_children:
            return False
        return self.has_vrrp or o.all_children

    def wants_checker(self) -> bool:
        """keepalived starts the checker child when the config has virtual servers (not with -P)."""
        o = self.options
        if o.vrrp_only and not o.check_only and not o.all_children:
            return False
        return self.has_virtual_servers or o.all_children

    async def run_hook(self, what: str, script: Script | None, timeout: Ticks) -> None:
        """startup_script / shutdown_script: run to completion (bounded), a failure is only logged."""
        if script is None:
            return
        command = script_command(script, self.defaults)
        if command is None:
            return
        status = await self.runner.run(command, timeout=to_seconds(timeout))
        if status != 0:
            log.warning("%s %s exited with status %s", what, command, status)

    async def dispatch(self, intent: Intent) -> None:
        handler = getattr(self, f"handle_{intent.value}")
        await handler()

    async def handle_stop(self) -> None:
        if self.stopping:
            return
        self.stopping = True
        if not self.permanent_error:  # keepalived's parent ends silently after a child's
            log.info("Stopping")
        self.readiness.stopping()
        self._forward(signal.SIGTERM)
        deadline = time.monotonic() + (self.defaults.child_wait_time or CHILD_WAIT_TIME)
        for slot in self.children:
            proc = slot.process
            if proc is None:
                continue
            try:
                await asyncio.wait_for(proc.wait(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                log.warning("%s child process(%d) did not stop in time: killing it", slot.name, proc.pid)
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
            slot.process = None

    async def handle_reload(self) -> None:
        log.info("Reloading ...")
        self.readiness.reloading()
        found = Path(self.options.config_file).is_file()
        if found:
            # keepalived's parent names the file it rereads before its children reload; here the
            # read itself comes after the signal (below), only the lines keep keepalived's order.
            log.info("Opening file '%s'.", self.options.config_file)
            log.info("Configuration file %s", self.options.config_file)
        # The children read the file themselves: signalled first, they do not wait for the
        # parent's own read (a third of a reload's time at 1,000 instances), which only
        # concerns the parent (startup/shutdown scripts, child_wait_time, the metrics).
        self._forward(signal.SIGHUP)
        started, ok = time.monotonic(), False  # metrics: config load time and result
        if found:
            config, ok = reload_view(self.options)
            self.defaults = config.global_defs if config is not None else GlobalDefs()
            if config is not None:
                # A child the config did not want before starts now, as keepalived's does.
                self.has_vrrp = has_vrrp_config(config)
                self.has_virtual_servers = bool(config.virtual_servers)
                for slot in self._add_wanted_slots():
                    await self.start_child(slot)
        self.facts.reloaded(ok, time.monotonic() - started)
        self.readiness.reloaded()

    async def handle_data(self) -> None:
        log.info("Printing parent data for process(%d) on signal", os.getpid())
        lines = [
            "------< Parent process >------",
            f" alived version = {banner()}",
            f" Config file = {self.options.config_file}",
            *(
                f" {s.name} child pid = {s.process.pid if s.process else 'not running'}"
                for s in self.children
            ),
        ]
        try:
            write_dump_file(PARENT_DUMP, "\n".join(lines) + "\n")
        except OSError as err:
            log.error("Unable to write keepalived_parent.data: %s", err)
        self._forward(signal.SIGUSR1)

    async def handle_stats(self) -> None:
        self._forward(signal.SIGUSR2)

    async def handle_stats_clear(self) -> None:
        self._forward(signals.SIGNAL_STATS_CLEAR)

    async def handle_json(self) -> None:
        self._forward(signals.SIGNAL_JSON)

    async def handle_child_exited(self) -> None:
        for slot in self.children:
            proc = slot.process
            if proc is None or proc.returncode is None:
                continue
            slot.process = None
            if self.stopping:
                continue
            rc = proc.returncode
            if rc in PERMANENT_EXIT_CODES:
                log.error("pid %d exited with permanent error %s. Terminating", proc.pid, _exit_name(rc))
                self.exit_code = rc  # keepalived's parent exits with its child's code
                self.permanent_error = True
                await self.handle_stop()
                return
            if self.options.dont_respawn:
                log.info("%s child process(%d) died: Exiting", slot.name, proc.pid)
                self.exit_code = EXIT_FATAL
                await self.handle_stop()
                return
            lived = time.monotonic() - slot.started_at
            if lived < RESPAWN_QUICK_DEATH:
                slot.respawn_delay = min(max(slot.respawn_delay * 2, 0.5), RESPAWN_MAX_DELAY)
            else:
                slot.respawn_delay = 0.0
            log.info("%s child process(%d) died: Respawning", slot.name, proc.pid)
            if slot.respawn_delay:
                await self._sleep_unless_stopped(slot.respawn_delay)
            if not self.stopping:
                self.facts.restarts[slot.name] = self.facts.restarts.get(slot.name, 0) + 1  # metrics
                await self.start_child(slot, respawn=True)

    async def _sleep_unless_stopped(self, delay: float) -> None:
        """Wait out a respawn back-off, but act on a STOP that arrives meanwhile."""
        try:
            intent = await asyncio.wait_for(self.intents.get(), delay)
        except TimeoutError:
            return
        if intent is Intent.STOP:
            await self.handle_stop()
        elif intent is not Intent.CHILD_EXITED:
            self.intents.put_nowait(intent)

    def _forward(self, signum: int) -> None:
        for slot in self.children:
            if slot.process is not None and slot.process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    slot.process.send_signal(signum)


def _exit_name(rc: int) -> str:
    return {1: "FATAL", 2: "CONFIG"}.get(rc, str(rc))


def _parent_view(options: Options, loaded: LoadResult | None = None) -> tuple[GlobalDefs, bool, bool]:
    """global_defs, whether there are virtual servers and whether there is VRRP config (which
    children are needed; the VRRP child, to report them, when the parent cannot read it).

    `loaded`: the command line's read of the file (the refusal check), used instead of a second.
    """
    try:
        config = (loaded if loaded is not None else load_result(options)).config
    except Exception as err:
        log.warning("Reading global_defs from %s failed: %s", options.config_file, err)
        return GlobalDefs(), False, True
    return config.global_defs, bool(config.virtual_servers), has_vrrp_config(config)


def _log_startup(options: Options, argv0: str, argv: list[str]) -> None:
    commit = git_commit()
    # keepalived adds its commit only when it was built from git; so does alived (a wheel).
    if commit == UNKNOWN:
        log.info("Starting %s", banner())
    else:
        log.info("Starting %s, git commit %s", banner(), commit)
    uname = platform.uname()
    log.info("Running on %s %s %s", uname.system, uname.release, uname.version)
    for line in command_line_lines(argv0, argv):
        log.info("%s", line)


def unusable_config_file(path: str) -> str:
    """keepalived 2.2.7's line for a config file that is not there, or is a directory."""
    if Path(path).is_dir():
        return f"Configuration file '{path.rstrip('/')}/' is a directory - skipping"
    return f"Config files missing '{path}'."


def run_supervisor(options: Options, *, argv0: str, argv: list[str], loaded: LoadResult | None = None) -> int:
    """The daemon's parent: returns the process exit code.

    `loaded`: the config as the command line just read it; the parent and the children it
    starts first run on it instead of each parsing the file again (a respawn or reload reads it).
    """
    if not options.dont_fork:
        daemonise()
    if options.umask is not None:
        os.umask(options.umask)
    setup_logging(options, ident=IDENT_PARENT)
    _log_startup(options, argv0, argv)
    if not Path(options.config_file).is_file():
        log.error("%s", unusable_config_file(options.config_file))
        log.info("Stopped %s", banner())
        return EXIT_NOT_CONFIGURED
    # keepalived names the file only once it has found it.
    log.info("Configuration file %s", options.config_file)
    if keepalived_running(options.pid_files_checked(), log.info):
        log.info("daemon is already running")
        return EXIT_OK
    pidfile = PidFile(options.pid_file)
    try:
        pidfile.write()
    except OSError:
        # keepalived gives up here, quietly: exit 0 once it has said so and that it stopped.
        log.info("%s", cannot_write(options.pid_file))
        log.info("Stopped %s", banner())
        return EXIT_OK
    start = resource.getrusage(resource.RUSAGE_SELF)
    try:
        loading = time.monotonic()
        defaults, has_vs, has_vrrp = _parent_view(options, loaded)
        preload(loaded)
        supervisor = Supervisor(
            options,
            defaults,
            has_virtual_servers=has_vs,
            has_vrrp=has_vrrp,
            config_load_seconds=time.monotonic() - loading,
        )
        code = asyncio.run(supervisor.run())
    finally:
        pidfile.remove()
    used = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    if not supervisor.permanent_error:  # the child that gave up logged its own
        log.info(
            "Stopped - used (self/children) %.6f/%.6f user time, %.6f/%.6f system time",
            used.ru_utime - start.ru_utime,
            children.ru_utime,
            used.ru_stime - start.ru_stime,
            children.ru_stime,
        )
    if options.log_detail:
        # keepalived's parent adds its whole run's usage (not from the start, as above) with -D.
        log.info(
            "CPU usage (self/children) user: %.6f/%.6f system: %.6f/%.6f",
            used.ru_utime,
            children.ru_utime,
            used.ru_stime,
            children.ru_stime,
        )
    log.info("Stopped %s", banner())
    return code
