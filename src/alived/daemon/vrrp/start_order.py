"""The VRRP child's first start, in keepalived 2.2.7's order (checked against it in a namespace).

keepalived first finds every instance's faults (vrrp_complete_init): the links down, for all the
instances, then the tracked files and processes failing, then, instance by instance, each sync
group with a faulted member (`VRRP_Group(G): Syncing VI to FAULT state`); then every instance in
FAULT says so (`(VI) entering FAULT state`) and is notified, in config order. Then the child tells
the parent it has read its config and the parent logs `Startup complete` (the lifecycle logs it
between the two steps here). Last the instances start (vrrp_init_state): the sync groups starting
in FAULT or BACKUP are notified first, every instance says it removes its stale VIPs
(`(VI) removing VIPs.`), then each instance not in FAULT takes its first state, in config order.

Reloads and instances restarted with a new source address go through VrrpChild.start_units.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from alived.core.vrrp.inputs import FaultRaised, NameStartFaults, Startup, TrackerChanged
from alived.core.vrrp.states import State
from alived.core.vrrp.tracker import TrackerKind
from alived.daemon.vrrp.driver import Unit
from alived.daemon.vrrp.start_faults import IsUp, start_faults

if TYPE_CHECKING:
    from alived.daemon.vrrp.child import VrrpChild

log = logging.getLogger("alived.vrrp")


class FirstStart:
    """Starts freshly built `units` in two steps: `find_faults`, then `start`."""

    def __init__(self, child: VrrpChild, units: list[Unit], is_up: IsUp, *, await_scripts: bool) -> None:
        self.child = child
        self.units = units
        self.is_up = is_up
        self.await_scripts = await_scripts
        self.unit_of = {name: unit for unit in units for name in unit.members}
        # Config order: the plans are in the order the config names the instances.
        self.names = [name for name in child.plans if name in self.unit_of]
        self.started: set[str] = set()

    def find_faults(self) -> None:
        """keepalived's vrrp_complete_init: find and name the faults, start the instances in FAULT."""
        child = self.child
        for name in self.names:
            plan = child.plans[name]
            for line, reason in start_faults(plan, self.is_up):
                log.info("%s", line)
                child.feed(name, FaultRaised(reason=reason))
            for ifname in plan.track_interfaces:
                if not self.is_up(ifname):
                    child.feed(name, TrackerChanged(kind=TrackerKind.INTERFACE, name=ifname, ok=False))
        for name in self.names:
            child.feed(name, NameStartFaults())
        for name in self.names:
            group = self.unit_of[name].group
            if group is not None and group.state is not State.FAULT and child.instances[name].fault_reasons:
                log.info("VRRP_Group(%s): Syncing %s to FAULT state", group.name, name)
                group.start_in_fault(announce=False)
        for name in self.names:
            group = self.unit_of[name].group
            faulted = group is not None and group.state is State.FAULT
            if faulted or child.instances[name].fault_reasons:
                self._start(name)

    def start(self, untold: set[str]) -> None:
        """keepalived's vrrp_init_state: the groups' notifies, the `removing VIPs.` lines (of the
        instances in `untold`), then each instance's first state."""
        for unit in self.units:
            if unit.group is not None:
                unit.group.announce_start(await_scripts=self.await_scripts)
        self.child.settle(self.units)
        for name in self.names:
            if name in untold:
                log.info("(%s) removing VIPs.", name)
        for name in self.names:
            if name not in self.started:
                self._start(name)

    def _start(self, name: str) -> None:
        self.started.add(name)
        self.child.feed(name, Startup(await_scripts=self.await_scripts))
