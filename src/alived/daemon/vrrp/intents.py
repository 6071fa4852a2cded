"""The VRRP child's intents: what the operator's signals ask for, done one at a time by the main task.

The signal handlers (daemon/child_main.py) only queue an intent; this room takes them off the
queue until STOP: a reload (daemon/vrrp/reload.py) or one of keepalived's dump files.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from alived.daemon.dumpfile import VRRP_DUMPS
from alived.daemon.signals import Intent
from alived.daemon.vrrp.data_report import data_text
from alived.daemon.vrrp.data_view import ChildData
from alived.daemon.vrrp.dumps import format_json, format_stats
from alived.daemon.vrrp.report import write_dump

if TYPE_CHECKING:
    from alived.daemon.vrrp.child import VrrpChild

log = logging.getLogger("alived.vrrp")


class IntentHandler:
    """Takes the child's intents off its queue, one handler each, until STOP."""

    def __init__(self, child: VrrpChild) -> None:
        self.child = child

    async def run(self) -> None:
        while True:
            intent = await self.child.intents.get()
            if intent is Intent.STOP:
                return
            await self.dispatch(intent)

    async def dispatch(self, intent: Intent) -> None:
        handler: Callable[[], None] = getattr(self, f"handle_{intent.value}")
        handler()

    def handle_reload(self) -> None:
        from alived.daemon.vrrp.reload import reload  # noqa: PLC0415

        reload(self.child)

    def handle_data(self) -> None:
        log.info("Printing VRRP data for process(%d) on signal", os.getpid())
        write_dump(VRRP_DUMPS["data"], data_text(ChildData(self.child)))

    def handle_stats(self) -> None:
        log.info("Printing VRRP stats for process(%d) on signal", os.getpid())
        write_dump(VRRP_DUMPS["stats"], format_stats(self.child.reports()))

    def handle_stats_clear(self) -> None:
        log.info("Printing and clearing VRRP stats for process(%d) on signal", os.getpid())
        write_dump(VRRP_DUMPS["stats"], format_stats(self.child.reports()))
        for inst in self.child.instances.values():
            inst.stats.clear()

    def handle_json(self) -> None:
        log.info("Printing VRRP as json for process(%d) on signal", os.getpid())
        write_dump(VRRP_DUMPS["json"], format_json(self.child.reports()))

    def handle_child_exited(self) -> None:
        """Scripts are reaped by the runner; nothing to do here."""
