"""The VRRP child's start-up and shutdown, in keepalived's order.

Start: kernel handles, static addresses and routes, FIFOs and mail, VMACs, plans, the addresses
a respawned child finds, sockets, units, the netlink monitor, the first inputs, trackers and the
status socket (the supervisor's pings are answered from then on). Stop: trackers, Shutdown to
every instance, STOP scripts given a moment, then every kernel resource released (or kept, with
dont_release_vrrp).
"""

from __future__ import annotations

import asyncio
import logging
import os
import resource
from typing import TYPE_CHECKING

from alived.config import model
from alived.core.vrrp.inputs import MasterDownFired, Shutdown
from alived.core.vrrp.states import State
from alived.daemon.options import RESPAWN_ENV
from alived.daemon.vrrp import mail_alerts
from alived.daemon.vrrp.data_dump import format_data
from alived.daemon.vrrp.kernel_setup import remove_static
from alived.daemon.vrrp.start_faults import link_checker
from alived.daemon.vrrp.start_order import FirstStart
from alived.daemon.vrrp.startup_log import log_assigned_addresses
from alived.daemon.vrrp.translate import notify_scripts, translate
from alived.daemon.vrrp.unsupported import log_notices
from alived.errors import BackendError, LocalMisuse
from alived.linux.arp_watch import ArpWatch
from alived.linux.monitor import Monitor
from alived.linux.na_watch import NaWatch
from alived.linux.netlink import Netlink
from alived.linux.timer import DeadlineTimer
from alived.linux.vmac import VmacManager
from alived.notify.scripts import commands_for

if TYPE_CHECKING:
    from alived.daemon.vrrp.child import VrrpChild

log = logging.getLogger("alived.vrrp")

STOP_SCRIPT_WAIT = 1.0  # keepalived waits this long for STOP notify scripts at shutdown


class Lifecycle:
    """Brings the child's rooms up in order and takes them down again."""

    def __init__(self, child: VrrpChild) -> None:
        self.child = child

    async def start(self, config: model.Config) -> None:
        child = self.child
        child.config = config
        child.netlink = Netlink()
        child.vmacs = VmacManager(child.netlink)
        # Unless a test gave fakes; never before start().
        child.split_brain.use_arp(ArpWatch.open, NaWatch.open)
        loop = asyncio.get_running_loop()
        child.timer = DeadlineTimer(loop, child.driver.on_timer)
        log.info("Registering Kernel netlink reflector")
        log.info("Registering Kernel netlink command channel")
        log_notices(config)
        child.apply_static(config)
        child.open_fifos(config)
        # smtp_alert (issue 12): before the first transitions
        mail_alerts.configure(child.actions.mails, config)
        for vmac_plan in translate(config, child.primary_address, child.bad_instance):
            try:
                child.setup_vmac(vmac_plan)
            except (BackendError, LocalMisuse) as err:
                log.error("(%s) cannot create VMAC %s: %s", vmac_plan.name, vmac_plan.vmac, err)
        child.plans = {p.name: p for p in translate(config, child.primary_address, child.bad_instance)}
        log_assigned_addresses(child.plans.values(), child.primary_address)
        respawned = os.environ.get(RESPAWN_ENV) == "1"
        # Every "removing VIPs." line waits for its instance's start (FirstStart.start).
        untold = child.adopt(child.plans, respawned=respawned, defer_all=True)
        for plan in child.plans.values():
            child.open_socket(plan)
        child.rebuild_socket_index()
        units = child.build_units(config, set(child.plans))
        child.monitor = Monitor(on_link=child.on_link, on_address=child.on_address, loop=loop)
        try:
            child.monitor.start()
        except BackendError as err:
            log.error("netlink monitor: %s", err)
        # A respawned child resumes what it had (resume_adopted); only a first start waits.
        first = FirstStart(child, units, link_checker(child.netlink), await_scripts=not respawned)
        first.find_faults()
        if any(plan.family == 4 for plan in child.plans.values()):
            log.info("Registering gratuitous ARP shared channel")
        # keepalived's parent logs it once the child has read its config, before the child starts
        # its instances (the two race there; this is the order seen most often).
        log.info("Startup complete")
        first.start(untold)
        self.resume_adopted()
        child.start_trackers(config)
        try:
            await child.status.start()
        except OSError as err:
            log.error("status socket %s: %s", child.status.path, err)
        if child.options.dump_conf:
            for line in format_data(child.reports()).splitlines():
                log.info("%s", line)

    def resume_adopted(self) -> None:
        """A respawned child that found all its VIPs was master a moment ago: be master again now,
        before the backups' master-down timers expire, instead of after one of its own. A peer
        with a better claim answers the first advert and the instance steps back as usual."""
        child = self.child
        for name in list(child.actions.adopted):
            inst = child.instances.get(name)
            if inst is not None and inst.state is State.BACKUP and not inst.params.nopreempt:
                log.info("(%s) resuming MASTER with the VIPs it kept", name)
                child.feed(name, MasterDownFired())

    async def shutdown(self) -> None:
        child = self.child
        child.stopping = True
        if child.refused is not None:
            await self.abort(child.refused)
            return
        child.trackers.stop()
        child.driver.tell_all(Shutdown)
        if child.timer is not None:
            child.timer.cancel()
        await child.runner.drain(STOP_SCRIPT_WAIT)
        child.actions.mails.stop()  # keepalived exits without waiting for its mails either
        await child.status.close()
        self.close_resources()

    async def abort(self, config: model.Config) -> None:
        """keepalived's VRRP child exiting on a reloaded file it cannot run: no priority-0 advert,
        the addresses stay, no FIFO line; the new file's instances get their STOP scripts, at
        priority 0, then the child logs its usage and exits (none of that when its parser gave up)."""
        child = self.child
        child.trackers.stop()
        if child.timer is not None:
            child.timer.cancel()
        for inst in () if child.parse_abort else config.instances:
            scripts = notify_scripts(inst, config.global_defs)
            for command in commands_for(scripts, kind="INSTANCE", name=inst.name, state="STOP", priority=0):
                child.runner.spawn(command)
        await child.runner.drain(STOP_SCRIPT_WAIT)
        child.actions.mails.stop()
        await child.status.close()
        self.close_resources()
        if child.parse_abort:  # keepalived's parser exits there and then
            return
        used, children = (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
        log.info(
            "Stopped - used (self/children) %.6f/%.6f user time, %.6f/%.6f system time",
            used.ru_utime,
            children.ru_utime,
            used.ru_stime,
            children.ru_stime,
        )

    def close_resources(self) -> None:
        child = self.child
        if child.monitor is not None:
            child.monitor.close()
        child.pool.close()
        child.split_brain.close()
        child.actions.close()
        if child.netlink is not None:
            if child.config is not None and not child.options.dont_release_vrrp:
                remove_static(child.netlink, child.config)
            if child.vmacs is not None:
                for name in child.vmacs.vmacs:
                    try:
                        child.vmacs.delete(name)
                    except BackendError as err:
                        log.error("Removing VMAC interface %s failed: %s", name, err)
                    else:
                        log.info("Success removing VMAC interface %s", name)
                child.vmacs = None
            child.netlink.close()
            child.netlink = None
