"""The VRRP child's split-brain watch: core/vrrp/split_brain.py per instance, fed from the actions
the instances emit and from the ARP and NA frames of their VIP interfaces.

It sees every action after the action runner has carried it out (`on_action`): a StateChanged
to or from MASTER starts or stops the instance's watch, a MASTER_RX_LOWER_PRI notify is a
lower-priority advert heard while master. Another host's gratuitous ARP or unsolicited NA, or
its answer to our probe, for any of the instance's VIPs is a claim. Probes (an ARP probe for the
first IPv4 VIP; with none, a DAD-style neighbour solicitation for the first IPv6 VIP) go out only
while the core watch suspects or sees a split brain, eight per advert interval, through the
interface's GARP (NA) pacer (so `vrrp_garp_interval` / `vrrp_gna_interval` space them too): a
healthy master sends nothing keepalived's would not.

What it does with the verdicts: a warning in the log, the instance's count and "since" for the
status and dumps, a notify FIFO line (`INSTANCE "VI_1" SPLIT_BRAIN 150`, then
`... SPLIT_BRAIN_END 150`), and, for the master that stays, an immediate round of gratuitous
ARPs / unsolicited NAs (`garp_master_repeat` of them) so hosts whose cache still points at the
loser are corrected.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address
from typing import Protocol

from alived.core.l2.arp import arp_probe, arp_sender, mac_text
from alived.core.l2.ndisc import dad_probe, na_sender
from alived.core.vrrp.actions import Action, RunNotify, SendGratuitous, StateChanged
from alived.core.vrrp.instance import VrrpInstance
from alived.core.vrrp.split_brain import (
    Ended,
    Evidence,
    Reannounce,
    SplitBrainParams,
    SplitBrainWatch,
    Started,
    Verdict,
)
from alived.core.vrrp.states import State
from alived.daemon.vrrp.translate import InstancePlan
from alived.errors import BackendError, LocalMisuse
from alived.linux.netlink import Netlink
from alived.units import SECOND, Ticks

log = logging.getLogger("alived.vrrp")

FIFO_START = "SPLIT_BRAIN"
FIFO_END = "SPLIT_BRAIN_END"


class Watch(Protocol):
    """linux/arp_watch.ArpWatch or linux/na_watch.NaWatch, or their fakes."""

    def close(self) -> None: ...


OpenWatch = Callable[[str, Callable[[str, bytes], None]], Watch]


class World(Protocol):
    """What the monitor reads of the child; it never writes any of it."""

    @property
    def plans(self) -> dict[str, InstancePlan]: ...

    @property
    def instances(self) -> dict[str, VrrpInstance]: ...

    @property
    def netlink(self) -> Netlink | None: ...


@dataclass(frozen=True, slots=True)
class SplitBrainReport:
    """For the status and the dumps: split brains seen, and since when (Unix time) one lasts."""

    count: int
    since: float | None


class SplitBrainMonitor:
    """One SplitBrainWatch per instance that has been master, one ArpWatch (NaWatch) per interface
    of its IPv4 (IPv6) VIPs."""

    def __init__(
        self,
        world: World,
        *,
        perform: Callable[[str, Action], None],
        write_fifos: Callable[[str, str, str, int], None],
        send_probe: Callable[..., None],
        open_watch: OpenWatch | None,
        now: Callable[[], Ticks],
        open_na: OpenWatch | None = None,
    ) -> None:
        self.world = world
        self._perform = perform
        self._write_fifos = write_fifos
        self._send_probe = send_probe
        self._open_watch = open_watch  # None: adverts are the only evidence (no ARP watch yet)
        self._open_na = open_na  # the same for IPv6 VIPs
        self._now = now
        self.watches: dict[str, SplitBrainWatch] = {}
        self.since: dict[str, float] = {}  # wall-clock start of a split brain that lasts
        self.arp: dict[str, Watch | None] = {}  # None: could not open (logged once)
        self.na: dict[str, Watch | None] = {}
        self._macs: dict[str, bytes] = {}
        self._timer: asyncio.TimerHandle | None = None

    # ---- input ---------------------------------------------------------------------------------

    def on_action(self, owner: str, action: Action) -> None:
        """Every action the instances emitted, after the runner carried it out."""
        if isinstance(action, StateChanged):
            if action.new == State.MASTER.value:
                self._became_master(action.name)
            elif action.old == State.MASTER.value and action.name in self.watches:
                self._verdicts(action.name, self.watches[action.name].left_master(self._now()))
        elif (
            isinstance(action, RunNotify)
            and action.state == "MASTER_RX_LOWER_PRI"
            and action.kind == "INSTANCE"
        ):
            watch = self.watches.get(action.name)
            if watch is not None:
                self._verdicts(action.name, watch.lower_advert("a lower-priority advert", self._now()))
        else:
            return
        self._rearm()

    def on_frame(self, ifname: str, frame: bytes) -> None:
        sender = arp_sender(frame) or na_sender(frame)
        if sender is None:
            return
        kind: Evidence = "arp" if isinstance(sender.address, IPv4Address) else "nd"
        if kind == "nd" and sender.mac == self._mac(ifname):
            return  # an NA naming our MAC is ours (our kernel's answer to another host's probe)
        now = self._now()
        claimed = False
        for name, watch in list(self.watches.items()):
            plan = self.world.plans.get(name)
            if not watch.master or plan is None:
                continue
            if any(s.address == sender.address and s.dev == ifname for s in (*plan.vips, *plan.evips)):
                peer = f"{mac_text(sender.mac)} for {sender.address}"
                self._verdicts(name, watch.foreign_claim(peer, now, kind))
                claimed = True
        if claimed:  # only a claim moves a deadline; a backup hearing the master's ARPs does nothing
            self._rearm()

    def _became_master(self, name: str) -> None:
        plan = self.world.plans.get(name)
        if plan is None:
            return
        probe = self._probe_spec(plan)
        params = SplitBrainParams.for_interval(plan.params.advert_int, can_probe=probe is not None)
        watch = self.watches.get(name)
        if watch is None or watch.params != params:
            old = watch
            watch = SplitBrainWatch(params)
            if old is not None:
                watch.count = old.count
            self.watches[name] = watch
        for spec in (*plan.vips, *plan.evips):
            self._watch(spec.dev, v6=isinstance(spec.address, IPv6Address))
        watch.became_master(self._now())

    # ---- verdicts ------------------------------------------------------------------------------

    def _verdicts(self, name: str, verdicts: list[Verdict]) -> None:
        for verdict in verdicts:
            match verdict:
                case Started():
                    self.since[name] = time.time()
                    seen = {"arp": "ARP answered by ", "nd": "NA from "}.get(verdict.evidence, "")
                    log.warning(
                        "(%s) Split brain: another master holds our VIPs (%s%s) while we are MASTER",
                        name,
                        seen,
                        verdict.peer,
                    )
                    self._fifo(name, FIFO_START)
                case Ended():
                    self.since.pop(name, None)
                    who = "we yielded" if verdict.reason == "yielded" else "the other master yielded"
                    log.warning(
                        "(%s) Split brain over after %.1f s: %s", name, verdict.duration / SECOND, who
                    )
                    self._fifo(name, FIFO_END)
                case Reannounce():
                    self._reannounce(name, verdict.reason)

    def _fifo(self, name: str, state: str) -> None:
        inst = self.world.instances.get(name)
        self._write_fifos("INSTANCE", name, state, inst.effective_priority if inst is not None else 0)

    def _reannounce(self, name: str, reason: str) -> None:
        plan = self.world.plans.get(name)
        inst = self.world.instances.get(name)
        if plan is None or inst is None or inst.state is not State.MASTER:
            return
        p = plan.params
        addresses = (*p.addresses, *p.excluded_addresses)
        if not addresses:
            return
        why = "a lower-priority advert arrived" if reason == "lower_advert" else "the other master yielded"
        log.info("(%s) Split brain healing (%s): sending gratuitous ARPs / NAs for the VIPs now", name, why)
        self._perform(
            name,
            SendGratuitous(addresses=addresses, repeat=max(p.garp.master_repeat, 1), reason="split_brain"),
        )

    # ---- probes and the timer ------------------------------------------------------------------

    def _probe_spec(self, plan: InstancePlan) -> tuple[str, IPv4Address | IPv6Address] | None:
        """The first IPv4 VIP (ARP watched), else the first IPv6 one (NA watched), else None."""
        for v6, opener in ((False, self._open_watch), (True, self._open_na)):
            if opener is None:
                continue
            for spec in plan.vips:
                if isinstance(spec.address, IPv6Address) == v6:
                    return spec.dev, spec.address
        return None

    def use_arp(self, open_watch: OpenWatch, open_na: OpenWatch | None = None) -> None:
        """Watch ARP (and NAs) with these openers from now on, unless a test gave its fakes."""
        if self._open_watch is None and self._open_na is None:
            self._open_watch, self._open_na = open_watch, open_na

    def _watch(self, ifname: str, *, v6: bool) -> Watch | None:
        watches, opener = (self.na, self._open_na) if v6 else (self.arp, self._open_watch)
        if ifname in watches:
            return watches[ifname]
        if opener is None:
            return None
        watch: Watch | None
        try:
            watch = opener(ifname, self.on_frame)
        except (BackendError, LocalMisuse, OSError) as err:
            log.warning("split-brain watch on %s unavailable: %s", ifname, err)
            watch = None
        watches[ifname] = watch
        return watch

    def _mac(self, ifname: str) -> bytes | None:
        mac = self._macs.get(ifname)
        if mac is None and self.world.netlink is not None:
            try:
                mac = self.world.netlink.link_mac(ifname)
            except BackendError:
                return None
            self._macs[ifname] = mac
        return mac

    def _probe(self, name: str) -> None:
        plan = self.world.plans.get(name)
        spec = self._probe_spec(plan) if plan is not None else None
        if spec is None:
            return
        dev, address = spec
        v6 = isinstance(address, IPv6Address)
        watch, mac = self._watch(dev, v6=v6), self._mac(dev)
        if watch is None or mac is None:
            return  # nobody would hear the answer
        try:
            if isinstance(address, IPv6Address):
                self._send_probe(dev, dad_probe(mac, address), na=True)
            else:
                self._send_probe(dev, arp_probe(mac, address))
        except (BackendError, LocalMisuse) as err:
            log.debug("(%s) split-brain probe on %s failed: %s", name, dev, err)

    def on_timer(self) -> None:
        self._timer = None
        now = self._now()
        for name, watch in list(self.watches.items()):
            deadline = watch.next_deadline()
            if deadline is None or deadline > now:
                continue
            probe, verdicts = watch.on_timer(now)
            self._verdicts(name, verdicts)
            if probe:
                self._probe(name)
        self._rearm()

    def _rearm(self) -> None:
        deadlines = [d for d in (w.next_deadline() for w in self.watches.values()) if d is not None]
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not deadlines:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop (a unit test driving the child synchronously): nothing to schedule
        delay = max(min(deadlines) - self._now(), 0) / SECOND
        self._timer = loop.call_later(delay, self.on_timer)

    # ---- reports and shutdown ------------------------------------------------------------------

    def reports(self) -> Mapping[str, SplitBrainReport]:
        return {
            name: SplitBrainReport(count=w.count, since=self.since.get(name))
            for name, w in self.watches.items()
        }

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for watches in (self.arp, self.na):
            for watch in watches.values():
                if watch is not None:
                    watch.close()
            watches.clear()
