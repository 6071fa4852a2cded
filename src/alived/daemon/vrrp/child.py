"""The VRRP child process: the asyncio loop that connects the VRRP core to the kernel.

Three steps for everything that happens: feed the input to the instance (or its sync
group), run the actions it returns in order, re-arm the one DeadlineTimer from the
earliest `next_deadline()`. Packets come from one VRRP socket per (interface, family,
unicast) shared by the instances on it and are dispatched by VRID; link events come from
the netlink monitor; operator signals arrive as intents and are handled by the main task.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Iterable
from ipaddress import IPv6Address

from alived.config import model
from alived.core.vrrp.checksum import ChecksumVerdict
from alived.core.vrrp.inputs import (
    AdvertReceived,
    FaultRaised,
    Input,
    MasterDownFired,
    Shutdown,
    Startup,
    TrackerChanged,
)
from alived.core.vrrp.instance import VrrpInstance
from alived.core.vrrp.kept_vips import another_master_holds
from alived.core.vrrp.states import State
from alived.core.vrrp.sync_group import SyncGroup
from alived.core.vrrp.wire import (
    IPAddress,
    ReceivedPacket,
)
from alived.daemon import signals
from alived.daemon.loader import load
from alived.daemon.logsetup import IDENT_VRRP, setup_logging
from alived.daemon.options import EXIT_CONFIG, EXIT_FATAL, EXIT_OK, RESPAWN_ENV, Options
from alived.daemon.pidfile import PidFile
from alived.daemon.signals import Intent
from alived.daemon.status import StatusServer, path_problem, socket_path
from alived.daemon.vrrp import mail_alerts
from alived.daemon.vrrp.action_runner import ActionRunner
from alived.daemon.vrrp.driver import Driver, Unit
from alived.daemon.vrrp.dumps import InstanceReport, format_data, format_json, format_stats
from alived.daemon.vrrp.kernel_setup import adopt_found, apply_static, remove_static
from alived.daemon.vrrp.link_watch import LinkWatch
from alived.daemon.vrrp.report import data_text, instance_reports, write_dump
from alived.daemon.vrrp.sockets import SocketEntry, SocketPool
from alived.daemon.vrrp.startup_log import log_assigned_addresses
from alived.daemon.vrrp.tracking import TrackerWatch
from alived.daemon.vrrp.translate import (
    InstancePlan,
    SocketKey,
    config_vips,
    notify_scripts,
    translate,
)
from alived.daemon.vrrp.unsupported import log_notices
from alived.errors import BackendError, DecodeError, LocalMisuse
from alived.linux import clock
from alived.linux.l2_socket import L2Socket
from alived.linux.monitor import Monitor
from alived.linux.netlink import Netlink
from alived.linux.scripts import ScriptRunner
from alived.linux.timer import DeadlineTimer
from alived.linux.vmac import VmacManager
from alived.linux.vrrp_socket import Vrrp4Socket, Vrrp6Socket
from alived.notify.scripts import NotifyScripts
from alived.units import Ticks

log = logging.getLogger("alived.vrrp")

STOP_SCRIPT_WAIT = 1.0  # keepalived waits this long for STOP notify scripts at shutdown


class VrrpChild:
    """The VRRP child's state and its intent handlers (STYLE #9)."""

    def __init__(
        self,
        options: Options,
        *,
        now: Callable[[], Ticks] = clock.now,
        open4: Callable[..., Vrrp4Socket] = Vrrp4Socket.open,
        open6: Callable[..., Vrrp6Socket] = Vrrp6Socket.open,
        open_l2: Callable[[str], L2Socket] = L2Socket.open,
    ) -> None:
        # The kernel-facing adapters are parameters so unit tests run the real child on fakes.
        self.options = options
        self.intents: asyncio.Queue[Intent] = asyncio.Queue()
        self.config: model.Config | None = None
        self.plans: dict[str, InstancePlan] = {}
        self.pool = SocketPool(self._deliver, self.malformed, open4=open4, open6=open6, repeat=self._repeat)
        self.status = StatusServer(socket_path(options.vrrp_pid_file), self.reports)
        self.runner = ScriptRunner()
        self.trackers = TrackerWatch(self.runner, self._tracker_changed)
        self.actions = ActionRunner(self, self.runner, open_l2)
        self.driver = Driver(self.actions.perform, now, self._arm)
        self.links = LinkWatch(self, address_monitoring=options.address_monitoring)
        self.netlink: Netlink | None = None
        self.vmacs: VmacManager | None = None
        self.monitor: Monitor | None = None
        self.timer: DeadlineTimer | None = None
        self.stopping = False

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

    def retire(self, names: set[str], *, deleted: set[str], handover: dict[str, InstancePlan]) -> None:
        """Stop `names`: the `deleted` ones are reported DELETED, the others restart quietly (no
        notify), and a restarted master hands over to its successor plan in `handover` (no
        priority-0 advert; addresses and routes the successor keeps stay in place)."""
        self.actions.begin_handover(set(names) - set(deleted), deleted, handover)
        for name in names:
            self.feed(name, Shutdown())
        self.settle()
        self.actions.deletions_done()
        self.driver.retire(names)

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
        self.actions.macs.pop(ifname, None)

    def releasing(self) -> bool:
        return not (self.stopping and self.options.dont_release_vrrp)

    def _arm(self, deadline: Ticks | None) -> None:
        if self.timer is not None:
            self.timer.arm(deadline)

    # ---- actions ---------------------------------------------------------------------------------

    # ---- packets and link events ---------------------------------------------------------------

    def _deliver(self, entry: SocketEntry, packet: ReceivedPacket, as_v2: bool) -> bool:
        return self.dispatch(entry, packet, as_v2=as_v2)

    def _repeat(self, entry: SocketEntry, vrid: int) -> bool:
        names = entry.by_vrid.get(vrid)
        return names is not None and len(names) == 1 and self.driver.repeat(names[0])

    def malformed(self, entry: SocketEntry, err: DecodeError, vrid: int | None) -> None:
        """Count a rejected packet on the instances of its VRID, as keepalived does; else only log."""
        names = entry.by_vrid.get(vrid, []) if vrid is not None else []
        for name in names:
            inst, unit = self.instances.get(name), self.driver.unit_of.get(name)
            if inst is not None and unit is not None:
                inst.note_decode_error(err)
                self.settle((unit,))  # its log line
        if not names:
            log.debug("Dropped a malformed VRRP packet on %s: %s", entry.key[0], err)

    def dispatch(self, entry: SocketEntry, packet: ReceivedPacket, *, as_v2: bool = False) -> bool:
        """Hand `packet` to its VRID's instances; True if a byte-equal repeat may skip to the end."""
        names = entry.by_vrid.get(packet.advert.vrid)
        plain = not as_v2  # fed with an ACCEPT verdict, as a repeat would be
        if not names:
            if self.config is not None and self.config.global_defs.log_unknown_vrids:
                log.info(
                    "Unknown VRID(%d) received on interface(%s). ignoring...",
                    packet.advert.vrid,
                    entry.key[0],
                )
            return False
        for name in names:
            plan = self.plans.get(name)
            verdict = ChecksumVerdict.ACCEPT
            if plan is not None:
                verdict = plan.checksum_verdict(packet, as_v2=as_v2)
            plain = plain and verdict is ChecksumVerdict.ACCEPT
            if verdict is ChecksumVerdict.REJECT:
                log.info("(%s) Invalid VRRPv3 checksum", name)
                if (inst := self.instances.get(name)) is not None:
                    inst.stats.bump("chk_err")
                continue
            if verdict is ChecksumVerdict.ADOPT:
                log.info("(%s) Setting unicast VRRPv3 checksum to old version", name)
            self.feed(name, AdvertReceived(packet=packet))
            inst = self.instances.get(name)
            if (
                name in self.actions.adopted
                and inst is not None
                and another_master_holds(
                    inst.state, inst.effective_priority, inst.params.nopreempt, packet.advert.priority
                )
            ):
                # A restarted child kept the addresses it found; another router is master.
                self.actions.drop_adopted(name)
                self.settle()
        return (
            plain
            and len(names) == 1
            and names[0] not in self.actions.adopted
            and self.driver.repeatable(names[0])
        )

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
        """Create instances (and their sync groups) for `names`; members of one group come together."""
        made: list[Unit] = []
        grouped: set[str] = set()
        for sg in config.sync_groups:
            members = [m for m in sg.group if m in names and m in self.plans]
            if not members:
                continue
            insts = [VrrpInstance(self.plans[m].params) for m in members]
            group = SyncGroup(sg.name, insts) if len(insts) > 1 or sg.group else None
            unit = Unit(insts, group)
            self.driver.add(unit)
            self.actions.group_notify[sg.name] = _group_scripts(sg, config)
            grouped.update(members)
            made.append(unit)
        for name in names:
            if name in grouped or name not in self.plans:
                continue
            unit = Unit([VrrpInstance(self.plans[name].params)])
            self.driver.add(unit)
            made.append(unit)
        return made

    def start_units(self, units: list[Unit]) -> None:
        """Initial faults, then Startup, for freshly built units."""
        assert self.netlink is not None
        for unit in units:
            for name in unit.members:
                plan = self.plans[name]
                if not plan.has_source:
                    what = "IPv4 address" if plan.family == 4 else "IPv6 link-local address"
                    log.info("(%s) entering FAULT state (no %s for interface)", name, what)
                    self.feed(name, FaultRaised(reason="no source address"))
                watched = () if plan.dont_track_primary else {plan.interface, plan.base_interface}
                for ifname in watched:
                    if not self._is_up(ifname):
                        self.feed(name, FaultRaised(reason=f"interface {ifname} down"))
                for ifname in plan.track_interfaces:
                    if not self._is_up(ifname):
                        self.feed(name, TrackerChanged(name=f"interface:{ifname}", ok=False))
        self.driver.tell_all(Startup, units)

    def _is_up(self, ifname: str) -> bool:
        assert self.netlink is not None
        try:
            return self.netlink.link_is_up(ifname)
        except BackendError:
            return False

    def adopt(self, names: Iterable[str], *, respawned: bool) -> None:
        assert self.netlink is not None
        self.actions.adopted.update(adopt_found(self.netlink, self.plans, names, respawned=respawned))

    def apply_static(self, config: model.Config) -> None:
        assert self.netlink is not None
        apply_static(self.netlink, config)

    def resume_adopted(self) -> None:
        """A respawned child that found all its VIPs was master a moment ago: be master again now,
        before the backups' master-down timers expire, instead of after one of its own. A peer
        with a better claim answers the first advert and the instance steps back as usual."""
        for name in list(self.actions.adopted):
            inst = self.instances.get(name)
            if inst is not None and inst.state is State.BACKUP and not inst.params.nopreempt:
                log.info("(%s) resuming MASTER with the VIPs it kept", name)
                self.feed(name, MasterDownFired())

    def open_fifos(self, config: model.Config) -> None:
        self.actions.open_fifos(config)

    async def start(self, config: model.Config) -> None:
        self.config = config
        self.netlink = Netlink()
        self.vmacs = VmacManager(self.netlink)
        loop = asyncio.get_running_loop()
        self.timer = DeadlineTimer(loop, self.driver.on_timer)
        log.info("Registering Kernel netlink reflector")
        log.info("Registering Kernel netlink command channel")
        log_notices(config)
        self.apply_static(config)
        self.open_fifos(config)
        mail_alerts.configure(
            self.actions.mails, config
        )  # smtp_alert (issue 12): before the first transitions
        for vmac_plan in translate(config, self.primary_address, self.bad_instance):
            try:
                self.setup_vmac(vmac_plan)
            except (BackendError, LocalMisuse) as err:
                log.error("(%s) cannot create VMAC %s: %s", vmac_plan.name, vmac_plan.vmac, err)
        self.plans = {p.name: p for p in translate(config, self.primary_address, self.bad_instance)}
        log_assigned_addresses(self.plans.values(), self.primary_address)
        self.adopt(self.plans, respawned=os.environ.get(RESPAWN_ENV) == "1")
        for plan in self.plans.values():
            self.open_socket(plan)
        self.rebuild_socket_index()
        units = self.build_units(config, set(self.plans))
        self.monitor = Monitor(on_link=self.on_link, on_address=self.on_address, loop=loop)
        try:
            self.monitor.start()
        except BackendError as err:
            log.error("netlink monitor: %s", err)
        self.start_units(units)
        self.resume_adopted()
        self.start_trackers(config)
        try:
            await self.status.start()
        except OSError as err:
            log.error("status socket %s: %s", self.status.path, err)
        if self.options.dump_conf:
            for line in format_data(self.reports()).splitlines():
                log.info("%s", line)
        if any(plan.family == 4 for plan in self.plans.values()):
            log.info("Registering gratuitous ARP shared channel")
        log.info("Startup complete")

    def start_trackers(self, config: model.Config) -> None:
        self.trackers.update(config, self.plans)
        mail_alerts.configure(
            self.actions.mails, config
        )  # smtp_alert settings (issue 12), at start and reload

    def _tracker_changed(self, event: TrackerChanged) -> None:
        """Hand a tracker's new state to every instance that tracks it."""
        for name, plan in list(self.plans.items()):
            if any(t.name == event.name for t in plan.params.trackers):
                self.feed(name, event)

    async def shutdown(self) -> None:
        self.stopping = True
        self.trackers.stop()
        self.driver.tell_all(Shutdown)
        if self.timer is not None:
            self.timer.cancel()
        await self.runner.drain(STOP_SCRIPT_WAIT)
        self.actions.mails.stop()  # keepalived exits without waiting for its mails either
        await self.status.close()
        self.close_resources()

    def close_resources(self) -> None:
        if self.monitor is not None:
            self.monitor.close()
        self.pool.close()
        self.actions.close()
        if self.netlink is not None:
            if self.config is not None and not self.options.dont_release_vrrp:
                remove_static(self.netlink, self.config)
            if self.vmacs is not None:
                for name in self.vmacs.vmacs:
                    try:
                        self.vmacs.delete(name)
                    except BackendError as err:
                        log.error("Removing VMAC interface %s failed: %s", name, err)
                    else:
                        log.info("Success removing VMAC interface %s", name)
                self.vmacs = None
            self.netlink.close()
            self.netlink = None

    # ---- intents ------------------------------------------------------------------------------

    async def run(self) -> None:
        while True:
            intent = await self.intents.get()
            if intent is Intent.STOP:
                return
            await self.dispatch_intent(intent)

    async def dispatch_intent(self, intent: Intent) -> None:
        handler: Callable[[], None] = getattr(self, f"handle_{intent.value}")
        handler()

    def handle_reload(self) -> None:
        from alived.daemon.vrrp.reload import reload  # noqa: PLC0415

        reload(self)

    def reports(self) -> list[InstanceReport]:
        return instance_reports(self.plans, self.instances, self.config, self.actions)

    def handle_data(self) -> None:
        write_dump("keepalived.data", data_text(self.reports(), self.config))

    def handle_stats(self) -> None:
        write_dump("keepalived.stats", format_stats(self.reports()))

    def handle_stats_clear(self) -> None:
        self.handle_stats()
        for inst in self.instances.values():
            inst.stats.clear()

    def handle_json(self) -> None:
        write_dump("keepalived.json", format_json(self.reports()))

    def handle_child_exited(self) -> None:
        """Scripts are reaped by the runner; nothing to do here."""


def _group_scripts(sg: model.VrrpSyncGroup, config: model.Config) -> NotifyScripts:
    return notify_scripts(sg, config.global_defs)


async def _main(options: Options, config: model.Config) -> int:
    child = VrrpChild(options)
    loop = asyncio.get_running_loop()
    installed = signals.install(loop, child.intents, ignore_sigint=options.ignore_sigint)
    try:
        await child.start(config)
        await child.run()
        await child.shutdown()
    except BaseException:
        child.close_resources()
        with contextlib.suppress(Exception):
            await child.status.close()
        raise
    finally:
        signals.uninstall(loop, installed)
    return EXIT_OK


def run_vrrp_child(options: Options) -> int:
    """The VRRP child's entry point (`alived --_child vrrp ...`); returns its exit code."""
    if options.umask is not None:
        os.umask(options.umask)
    setup_logging(options, ident=IDENT_VRRP, child_suffix="vrrp")
    problem = path_problem(socket_path(options.vrrp_pid_file))
    if problem is not None:
        # Fatal, not respawned: without its socket the child would fail every liveness probe.
        log.error("%s", problem)
        return EXIT_FATAL
    pidfile = PidFile(options.vrrp_pid_file)
    try:
        pidfile.write()
    except OSError as err:
        log.error("Unable to write pid file %s: %s", options.vrrp_pid_file, err)
        return EXIT_FATAL
    try:
        result = load(options)
        if result is None:
            return EXIT_CONFIG
        return asyncio.run(_main(options, result))
    finally:
        pidfile.remove()
