"""A reload that changes an instance keepalived still recognises: its state carries over, silently.

keepalived 2.2.7 rebuilds every instance from the new file and matches it to a running one by
what identifies it on the wire (VRID, family, interface, unicast or the multicast group, VMAC),
not by its name. A matched instance keeps MASTER, BACKUP or FAULT: no transition line, no notify, no
priority-0 advert; a new priority, advert_int, state keyword, tracker or name takes effect as it
is. A master then drops the addresses and routes the new file no longer has (`Removing route X`,
`(VI) ip address X, no longer exist`), sets the rest again (`setting VIPs.`, `setting E-VIPs.`,
`setting Virtual Routes`) and sends gratuitous ARPs / NAs when an address was added.

This module picks those pairs (`match`) and moves a master's addresses (`move_addresses`); the
instance itself restarts through core's Startup(carried=...).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from alived.core.vrrp.actions import SendGratuitous
from alived.core.vrrp.states import State
from alived.daemon.vrrp.report import address_text
from alived.daemon.vrrp.translate import InstancePlan

if TYPE_CHECKING:
    from alived.daemon.vrrp.child import VrrpChild

log = logging.getLogger("alived.vrrp")

Key = tuple[object, ...]


def identity(plan: InstancePlan) -> Key:
    """What keepalived's vrrp_exist compares: the instance as its peers see it."""
    p = plan.params
    source = p.primary_address if p.unicast else None
    return (p.vrid, plan.family, plan.base_interface, p.unicast, source, plan.vmac is not None, plan.group)


def match(
    old: dict[str, InstancePlan],
    new: dict[str, InstancePlan],
    states: dict[str, State],
    candidates: set[str],
    grouped: set[str],
) -> dict[str, str]:
    """{new name: old name} for the instances to carry over.

    `candidates`: names in both files that must restart (or, in FAULT, be looked at again); a
    removed name is paired with an added one of the same identity (a rename). Only MASTER, BACKUP
    or FAULT instances outside sync groups carry (a group restarts as before).
    """
    out: dict[str, str] = {}

    def carries(old_name: str, new_name: str) -> bool:
        return (
            states.get(old_name) in (State.MASTER, State.BACKUP, State.FAULT)
            and old_name not in grouped
            and new_name not in grouped
            and identity(old[old_name]) == identity(new[new_name])
        )

    for name in sorted(candidates):
        if carries(name, name):
            out[name] = name
    added = [n for n in new if n not in old]
    for old_name in sorted(set(old) - set(new)):
        new_name = next((n for n in added if n not in out and carries(old_name, n)), None)
        if new_name is not None:
            out[new_name] = old_name
    return out


def move_addresses(child: VrrpChild, name: str, old: InstancePlan, new: InstancePlan) -> None:
    """Give a carried master the new plan's addresses and routes, with keepalived's lines."""
    netlink = child.netlink
    if netlink is None:
        return
    if old.routes and not new.routes:
        log.info("Removing a VirtualRoute block")
    for route in old.routes:
        if route not in new.routes:
            if new.routes:
                log.info("Removing route %s", route.dst)
            netlink.delete_route(route)
    for rule in old.rules:
        if rule not in new.rules:
            netlink.delete_rule(rule)
    now = {(s.address, s.dev) for s in (*new.vips, *new.evips)}
    before = {(s.address, s.dev) for s in (*old.vips, *old.evips)}
    for spec in (*old.vips, *old.evips):
        if (spec.address, spec.dev) not in now:
            log.info("(%s) ip address %s, no longer exist", name, address_text(spec).rsplit(" scope ", 1)[0])
            netlink.delete_address(spec)
    if new.vips:
        log.info("(%s) setting VIPs.", name)
    if new.evips:
        log.info("(%s) setting E-VIPs.", name)
    for spec in (*new.vips, *new.evips):
        netlink.add_address(spec)
    if new.routes:
        log.info("(%s) setting Virtual Routes", name)
    for route in new.routes:
        netlink.add_route(route, replace=True)
    if new.rules:
        log.info("(%s) setting Virtual Rules", name)
    for rule in new.rules:
        netlink.add_rule(rule)
    if now - before:
        every = tuple(s.address for s in (*new.vips, *new.evips))
        child.actions.announcer.send_gratuitous(
            name, SendGratuitous(addresses=every, repeat=new.params.garp.master_repeat, reason="reload")
        )


def release_unless_master(child: VrrpChild, name: str, plan: InstancePlan) -> None:
    """A carried master that did not start as MASTER (a fault found at start) lets its addresses go."""
    inst = child.instances.get(name)
    if child.netlink is None or (inst is not None and inst.state is State.MASTER):
        return
    log.info("(%s) removing VIPs.", name)
    for route in plan.routes:
        child.netlink.delete_route(route)
    for spec in (*plan.vips, *plan.evips):
        child.netlink.delete_address(spec)
