"""The VRRP child process: the thin room that composes the others and connects the core to the kernel.

Three steps for everything that happens (the driver): feed the input to the instance (or its
sync group), run the actions it returns in order (the action runner), re-arm the one
DeadlineTimer from the earliest `next_deadline()`. Packets come from the socket pool (one VRRP
socket per interface, family and unicast) and go by VRID to reception; link events come from the
netlink monitor to the link watch; operator signals arrive as intents for the intent handler.
Start-up and shutdown are the lifecycle's; the process frame around it all is child_main's.
This class holds what they share: options, config, plans, the kernel handles, and the building
and restarting of units.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Iterable
from ipaddress import IPv6Address

from alived.config import model
from alived.core.vrrp.actions import Action
from alived.core.vrrp.inputs import (
    FaultRaised,
    Input,
    Shutdown,
    Startup,
    TrackerChanged,
)
from alived.core.vrrp.instance import VrrpInstance
from alived.core.vrrp.states import State
from alived.core.vrrp.tracker import TrackerKind
from alived.core.vrrp.wire import IPAddress
from alived.daemon.child_main import ChildFrame, run_child
from alived.daemon.logsetup import IDENT_VRRP
from alived.daemon.options import Options
from alived.daemon.signals import Intent
from alived.daemon.status import StatusServer, socket_path
from alived.daemon.vrrp import mail_alerts
from alived.daemon.vrrp.action_runner import ActionRunner
from alived.daemon.vrrp.driver import Driver, Unit
from alived.daemon.vrrp.dumps import InstanceReport
from alived.daemon.vrrp.intents import IntentHandler
from alived.daemon.vrrp.kernel_setup import adopt_found, apply_static
from alived.daemon.vrrp.lifecycle import Lifecycle
from alived.daemon.vrrp.link_watch import LinkWatch
from alived.daemon.vrrp.reception import Reception
from alived.daemon.vrrp.report import instance_reports
from alived.daemon.vrrp.sockets import SocketEntry, SocketPool
from alived.daemon.vrrp.split_brain import OpenWatch, SplitBrainMonitor
from alived.daemon.vrrp.start_faults import link_checker, start_faults, starts_in_fault
from alived.daemon.vrrp.tracking import TrackerWatch
from alived.daemon.vrrp.translate import (
    InstancePlan,
    SocketKey,
    config_vips,
    translate,
)
from alived.daemon.vrrp.units import make_units, split_carried
from alived.errors import BackendError
from alived.linux import clock
from alived.linux.l2_socket import L2Socket
from alived.linux.monitor import Monitor
from alived.linux.netlink import Netlink
from alived.linux.scripts import ScriptRunner
from alived.linux.timer import DeadlineTimer
from alived.linux.vmac import VmacManager
from alived.linux.vrrp_socket import Vrrp4Socket, Vrrp6Socket
from alived.units import Ticks

log = logging.getLogger("alived.vrrp")


class VrrpChild:
    """The VRRP child's shared state, composing its rooms (STYLE #9)."""

    def __init__(
        self,
        options: Options,
        *,
        now: Callable[[], Ticks] = clock.now,
        open4: Callable[..., Vrrp4Socket] = Vrrp4Socket.open,
        open6: Callable[..., Vrrp6Socket] = Vrrp6Socket.open,
        open_l2: Callable[[str], L2Socket] = L2Socket.open,
        open_arp: OpenWatch | None = None,
        open_na: OpenWatch | None = None,
    ) -> None:
        # The kernel-facing adapters are parameters so unit tests run the real child on fakes.
        self.options = options
        self.now = now
        self.intents: asyncio.Queue[Intent] = asyncio.Queue()
        self.config: model.Config | None = None
        self.plans: dict[str, InstancePlan] = {}
        self.reception = Reception(self)
        rx = self.reception
        self.pool = SocketPool(rx.deliver, rx.malformed, open4=open4, open6=open6, repeat=rx.repeat)
        self.status = StatusServer(socket_path(options.vrrp_pid_file), self.reports)
        self.runner = ScriptRunner()
        self.trackers = TrackerWatch(self.runner, self._tracker_changed)
        self.actions = ActionRunner(self, self.runner, open_l2)
        self.split_brain = SplitBrainMonitor(  # issue 12: detect and heal a split brain
            self,
            perform=self.actions.perform,
            write_fifos=self.actions.write_fifos,
            send_probe=self.actions.announcer.send_probe,
            open_watch=open_arp,
            open_na=open_na,
            now=now,
        )
        self.driver = Driver(self._perform, now, self._arm)
        self.links = LinkWatch(self, address_monitoring=options.address_monitoring)
        self.netlink: Netlink | None = None
        self.vmacs: VmacManager | None = None
        self.monitor: Monitor | None = None
        self.timer: DeadlineTimer | None = None
        self.stopping = False
        self.exit_code: int | None = None  # set when the child must exit with an error (refuse)
        self.refused: model.Config | None = None
        self.parse_abort = False
        self.lifecycle = Lifecycle(self)
        self.intent_handler = IntentHandler(self)

    # ---- the three steps live in the driver ----------------------------------------------------

    @property
    def sockets(self) -> dict[SocketKey, SocketEntry]:
        return self.pool.entries

    @property
    def instances(self) -> dict[str, VrrpInstance]:
        return self.driver.instances

    def feed(self, name: str, event: Input) -> None:
        self.driver.feed(name, event)

    def settle(self, units: Iterable[Unit] | None = None) -> None:
        self.driver.settle(units)

    # ---- the narrow interface reload uses -------------------------------------------------------

    def retire(
        self,
        names: set[str],
        *,
        deleted: set[str],
        handover: dict[str, InstancePlan],
        silent: set[str] | None = None,
    ) -> None:
        """Stop `names`: the `deleted` ones are reported DELETED, the others restart quietly (no
        notify), and a restarted master hands over to its successor plan in `handover` (no
        priority-0 advert; addresses and routes the successor keeps stay in place). The `silent`
        ones are carried over by the reload: their stop does nothing outside (reload_carry)."""
        self.actions.begin_handover(set(names) - set(deleted), deleted, handover, silent)
        for name in names:
            self.feed(name, Shutdown())
        self.settle()
        self.actions.deletions_done()
        self.driver.retire(names)

    def refuse(self, config: model.Config, code: int, *, parse_abort: bool = False) -> None:
        """A reload read a file keepalived's VRRP child exits on: stop with `code`, leaving the
        running instances' addresses in place (lifecycle.abort). parse_abort: its parser gave up
        on the file, so it exits at once, with no STOP script and no usage line."""
        self.exit_code = code
        self.refused = config
        self.parse_abort = parse_abort
        self.intents.put_nowait(Intent.STOP)

    def end_handover(self) -> None:
        """The reload is over: notifies and priority-0 adverts behave as usual again."""
        self.actions.end_handover()

    def replace_plan(self, name: str, plan: InstancePlan) -> None:
        self.plans[name] = plan

    def drop_plan(self, name: str) -> None:
        self.plans.pop(name, None)

    def use_config(self, config: model.Config) -> None:
        """Run under `config` from now on; keepalived restarts the FIFO scripts on reload."""
        self.config = config
        self.actions.reopen_fifos(config)

    # ---- what the action runner reads and does ---------------------------------------------------

    def forget_mac(self, ifname: str) -> None:
        self.actions.announcer.forget_mac(ifname)

    def releasing(self) -> bool:
        return not (self.stopping and self.options.dont_release_vrrp)

    def _perform(self, owner: str, action: Action) -> None:
        self.actions.perform(owner, action)
        self.split_brain.on_action(owner, action)

    def _arm(self, deadline: Ticks | None) -> None:
        if self.timer is not None:
            self.timer.arm(deadline)

    # ---- link events ---------------------------------------------------------------------------

    def on_link(self, ifname: str, up: bool) -> None:
        self.links.on_link(ifname, up)

    def on_address(self, ifname: str, address: IPAddress, added: bool) -> None:
        self.links.on_address(ifname, address, added)

    def restart_with_source(self, names: list[str]) -> None:
        """An instance that started without a source address gets one: start it again, with it."""
        assert self.config is not None
        fresh = {
            p.name: p
            for p in translate(self.config, self.primary_address, self.bad_instance)
            if p.name in names
        }
        ready = [name for name, plan in fresh.items() if plan.has_source]
        if not ready:
            return
        self.actions.begin_handover(set(ready), set(), {})
        for name in ready:
            self.feed(name, Shutdown())
        self.settle()
        self.actions.end_handover()
        self.driver.retire(ready)
        for name in ready:
            self.plans[name] = fresh[name]
            self.open_socket(fresh[name])
            log.info("(%s) source address %s found: leaving FAULT", name, fresh[name].params.primary_address)
        self.rebuild_socket_index()
        self.start_units(self.build_units(self.config, set(ready)))

    # ---- building and tearing down ------------------------------------------------------------

    def bad_instance(self, name: str, reason: str) -> None:
        self.actions.warn_once(
            f"bad:{name}:{reason}", f"({name}) cannot run this instance, skipping it: {reason}"
        )

    def primary_address(self, ifname: str, family: int) -> IPAddress | None:
        """The interface's own source address, never one of this daemon's VIPs.

        A respawned child finds its VIPs still set, and one may sort first; keepalived likewise
        ignores its own addresses when it picks an interface's address. None: only VIPs (or nothing).
        """
        assert self.netlink is not None
        ours = config_vips(self.config) if self.config is not None else frozenset[IPAddress]()
        try:
            if family == 4:
                return self.netlink.primary_ipv4(ifname, exclude=ours)
            entries = self.netlink.address_entries(ifname)
        except BackendError:
            return None
        return next(
            (
                e.address
                for e in entries
                if isinstance(e.address, IPv6Address) and e.address.is_link_local and e.address not in ours
            ),
            None,
        )

    def setup_vmac(self, plan: InstancePlan) -> None:
        vmac = plan.vmac
        if vmac is None or self.vmacs is None:
            return
        existed = vmac.name in self.vmacs.vmacs
        self.vmacs.create(
            parent=vmac.parent, vrid=plan.params.vrid, family=plan.family, name=vmac.name, mac=vmac.mac
        )
        if not existed:
            log.info("(%s): Success creating VMAC interface %s", plan.name, vmac.name)

    def open_socket(self, plan: InstancePlan) -> SocketEntry | None:
        return self.pool.open(plan)

    def rebuild_socket_index(self) -> None:
        self.pool.reindex(self.plans)

    def build_units(self, config: model.Config, names: set[str]) -> list[Unit]:
        """Create instances (and their sync groups) for `names` (units.make_units)."""
        return make_units(config, self.plans, names, self.driver, self.actions.group_notify)

    def start_units(
        self, units: list[Unit], *, await_scripts: bool = False, carried: dict[str, State] | None = None
    ) -> None:
        """Initial faults, then Startup, for freshly built units (await_scripts, carried: see Startup)."""
        assert self.netlink is not None
        for unit in units:
            faulted: list[str] = []
            for name in unit.members:
                plan = self.plans[name]
                for line, reason in start_faults(plan, self._is_up):
                    log.info("%s", line)
                    self.feed(name, FaultRaised(reason=reason))
                    if name not in faulted:
                        faulted.append(name)
                for ifname in plan.track_interfaces:
                    if not self._is_up(ifname):
                        self.feed(name, TrackerChanged(kind=TrackerKind.INTERFACE, name=ifname, ok=False))
            if unit.group is not None and faulted:
                # keepalived (initialise_tracking_priorities) puts the whole group in FAULT first.
                log.info("VRRP_Group(%s): Syncing %s to FAULT state", unit.group.name, faulted[0])
                unit.group.start_in_fault()
        plain, kept = split_carried(units, carried or {})
        for unit, state in kept:
            self.driver.tell_all(functools.partial(Startup, carried=state), [unit])
        self.driver.tell_all(lambda: Startup(await_scripts=await_scripts), plain)

    def _is_up(self, ifname: str) -> bool:
        assert self.netlink is not None
        return link_checker(self.netlink)(ifname)

    def adopt(self, names: Iterable[str], *, respawned: bool, defer_all: bool = False) -> set[str]:
        """Adopt or clear the VIPs found at start; returns the instances starting in FAULT (all of
        them with defer_all) whose `removing VIPs.` line is still to be logged (keepalived logs it
        after their FAULT lines)."""
        assert self.netlink is not None
        names = list(names)
        untold = {
            n for n in names if n in self.plans and (defer_all or starts_in_fault(self.plans[n], self._is_up))
        }
        if self.config is not None:
            # A sync group with a member in FAULT at start starts all its members in FAULT.
            for sg in self.config.sync_groups:
                if untold.intersection(sg.group):
                    untold.update(n for n in sg.group if n in names and n in self.plans)
        found = adopt_found(self.netlink, self.plans, names, respawned=respawned, untold=untold)
        self.actions.adopted.update(found)
        return untold

    def apply_static(self, config: model.Config) -> None:
        assert self.netlink is not None
        apply_static(self.netlink, config)

    def open_fifos(self, config: model.Config) -> None:
        self.actions.open_fifos(config)

    def start_trackers(self, config: model.Config) -> None:
        self.trackers.update(config, self.plans)
        mail_alerts.configure(
            self.actions.mails, config
        )  # smtp_alert settings (issue 12), at start and reload

    def _tracker_changed(self, event: TrackerChanged) -> None:
        """Hand a tracker's new state to every instance that tracks it."""
        for name, plan in list(self.plans.items()):
            if any(t.key == event.key for t in plan.params.trackers):
                self.feed(name, event)

    # ---- the frame's side (daemon/child_main.py) ---------------------------------------------------

    async def serve(self, config: model.Config) -> None:
        await self.lifecycle.start(config)
        await self.intent_handler.run()
        await self.lifecycle.shutdown()

    def abandon(self) -> None:
        self.lifecycle.close_resources()

    def reports(self) -> list[InstanceReport]:
        return instance_reports(
            self.plans,
            self.instances,
            self.config,
            self.actions,
            split_brain=self.split_brain.reports(),
            sockets=self.sockets,
            now=self.now,
        )


FRAME = ChildFrame(
    ident=IDENT_VRRP,
    logger=log.name,
    log_suffix="vrrp",
    pid_file=lambda options: options.vrrp_pid_file,
    pid_option="-r",
    title="VRRP",
    make=lambda options, config: VrrpChild(options),
)


def run_vrrp_child(options: Options) -> int:
    """The VRRP child's entry point (`alived --_child vrrp ...`); returns its exit code."""
    return run_child(options, FRAME)
