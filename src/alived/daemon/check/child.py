"""The checker child process (`alived --_child check ...`): keepalived's Keepalived_healthcheckers.

It writes its own pid file (-c, /run/checkers.pid), logs as `Keepalived_healthcheckers`, answers
the supervisor's pings on its status socket, reloads on SIGHUP (parse fully; on error keep the
running config; unchanged checkers keep their state) and stops on SIGTERM (omega scripts run).
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import time
from typing import Any

from alived.config import model
from alived.daemon import process_status
from alived.daemon.check.alerts import CheckMailer
from alived.daemon.check.driver import CheckDriver
from alived.daemon.check.ha_suspend import HaSuspendWatch
from alived.daemon.check.lb_sink import BackendLbSink, backend_sink
from alived.daemon.check.params import build
from alived.daemon.check.sink import LbSink, RecordingLbSink
from alived.daemon.check.status import CheckStatusServer, document, table
from alived.daemon.check.traffic import TrafficCache
from alived.daemon.child_main import ChildFrame, run_child
from alived.daemon.dumpfile import CHECK_DUMPS, write_dump_file
from alived.daemon.loader import load
from alived.daemon.options import Options
from alived.daemon.script_command import script_command
from alived.daemon.signals import Intent
from alived.daemon.status import socket_path
from alived.gc_pause import gc_paused
from alived.linux import clock
from alived.linux.scripts import ScriptRunner

log = logging.getLogger("alived.check")

IDENT_CHECKER = "Keepalived_healthcheckers"
STOP_MAIL_WAIT = 2.0  # seconds


class CheckerChild:
    def __init__(self, options: Options, sink: LbSink | None = None) -> None:
        self.options = options
        self.sink: LbSink = sink or RecordingLbSink()
        self.intents: asyncio.Queue[Intent] = asyncio.Queue()
        self.runner = ScriptRunner()
        self.defaults = model.GlobalDefs()
        self.mails = CheckMailer()
        self.driver = CheckDriver(self.sink, run_script=self._run_script, send_mail=self.mails.send)
        self.ha_suspend = HaSuspendWatch(self.driver.set_address)
        self.traffic = TrafficCache(self.sink) if isinstance(self.sink, BackendLbSink) else None
        self.status = CheckStatusServer(
            socket_path(options.checkers_pid_file),
            self.document,
            healthy=self.driver.healthy,
            reset=self.driver.lags.clear,
        )

    def document(self) -> dict[str, Any]:
        d = self.driver
        traffic = self.traffic.snapshot() if self.traffic is not None else None
        return document(d.report(), clock.now(), d.lags, d.attempts, traffic)

    def _run_script(self, script: model.Script, what: str) -> None:
        try:
            command = script_command(script, self.defaults)
        except Exception as err:
            log.warning("%s %s cannot run: %s", what, script.path, err)
            return
        if command is not None:
            self.runner.spawn(command)

    async def serve(self, config: model.Config) -> None:
        self.defaults = config.global_defs
        self.mails.configure(config.global_defs)
        await self.status.start()
        self._configure_sink(config)
        built = build(config)
        self.driver.start(built, self.ha_suspend.present(built.virtual_servers))
        # The configuration's objects live as long as the child: keep them out of the collector's
        # full passes, which otherwise scan every probe and server and show up as scheduling lag.
        gc.freeze()
        while True:
            intent = await self.intents.get()
            if intent is Intent.STOP:
                break
            if intent is Intent.RELOAD:
                self.reload()
            elif intent in (Intent.DATA, Intent.JSON):
                self.dump(intent)
        log.info("Stopping")
        self.ha_suspend.close()
        if self.traffic is not None:
            self.traffic.close()
        await self.driver.stop(release=not self.options.dont_release_ipvs)
        # keepalived sends its shutdown mails before it exits: give them a short, bounded chance.
        await self.mails.drain(STOP_MAIL_WAIT)
        await self.status.close()

    def abandon(self) -> None:
        """An exception ended `serve`: the frame closes the status socket; the rest dies with the process."""

    def _configure_sink(self, config: model.Config) -> None:
        if isinstance(self.sink, BackendLbSink):
            try:
                self.sink.configure(config)
            except Exception:  # the checks go on even when the load balancer cannot follow
                log.exception("Load balancer configuration failed")

    def dump(self, intent: Intent) -> None:
        """SIGUSR1: keepalived_check.data (the status table); JSON signal: keepalived_check.json."""
        if intent is not Intent.JSON:
            log.info("Printing checker data for process(%d) on signal", os.getpid())
        doc = self.document()
        name, text = (
            (CHECK_DUMPS["json"], json.dumps(doc, indent=2) + "\n")
            if intent is Intent.JSON
            else (CHECK_DUMPS["data"], table(doc))
        )
        try:
            write_dump_file(name, text)
        except OSError as err:
            log.error("Unable to write %s: %s", name, err)

    def reload(self) -> None:
        started = time.monotonic()
        # No cyclic collection in the middle of a reload (as in the VRRP child's reload): its own
        # allocations would trigger passes over every probe and server of the running config.
        with gc_paused():
            ok = self._reload()
        process_status.RELOADS.done(ok, time.monotonic() - started)

    def _reload(self) -> bool:
        log.info("Reloading")
        config = load(self.options)
        if config is None:
            log.error("Reload failed: keeping the running configuration")
            return False
        self.defaults = config.global_defs
        self.mails.configure(config.global_defs)
        self._configure_sink(config)
        built = build(config)
        self.driver.reload(built, self.ha_suspend.present(built.virtual_servers))
        log.info("Reload finished")
        return True


def _make(options: Options, config: model.Config) -> CheckerChild:
    return CheckerChild(options, backend_sink(config, options.lvs_backend))


FRAME = ChildFrame(
    ident=IDENT_CHECKER,
    logger=log.name,
    log_suffix="checkers",
    pid_file=lambda options: options.checkers_pid_file,
    pid_option="-c",
    title="Healthcheck",
    make=_make,
)


def run_checker_child(options: Options) -> int:
    """The checker child's entry point (`alived --_child check ...`); returns its exit code."""
    return run_child(options, FRAME)
