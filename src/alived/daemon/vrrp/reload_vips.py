"""A reload that only adds or removes VIPs of an instance: applied in place, as keepalived does.

keepalived keeps such an instance running through a reload (same state, no priority-0
advert, no transition logged) and only changes the addresses: a removed VIP is logged
`(VI) ip address ... no longer exist` and deleted, then a master logs `(VI) setting VIPs.`
and, when a VIP was added, sends its gratuitous ARPs / unsolicited NAs once for every VIP.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from alived.core.vrrp.actions import SendGratuitous
from alived.core.vrrp.states import State
from alived.core.vrrp.wire import IPAddress
from alived.daemon.vrrp.report import address_text
from alived.daemon.vrrp.translate import InstancePlan
from alived.linux.netlink import AddressSpec

if TYPE_CHECKING:
    from alived.daemon.vrrp.child import VrrpChild

log = logging.getLogger("alived.vrrp")


def vips_only(old: InstancePlan, new: InstancePlan) -> bool:
    """True when the plans differ in their VIPs (advertised or excluded) and nothing else."""
    if (old.vips, old.evips) == (new.vips, new.evips):
        return False
    same_addresses = replace(
        new.params,
        addresses=old.params.addresses,
        excluded_addresses=old.params.excluded_addresses,
    )
    rest = replace(new, params=same_addresses, vips=old.vips, evips=old.evips)
    return rest == old


def _keyed(specs: tuple[AddressSpec, ...]) -> dict[tuple[IPAddress, str], AddressSpec]:
    return {(s.address, s.dev): s for s in specs}


Pending = tuple[InstancePlan, InstancePlan]


def apply(child: VrrpChild, name: str, new: InstancePlan) -> Pending | None:
    """Give a running instance its new VIPs without stopping it: the plan, the removals now; a
    master's `setting VIPs.` and additions are left to `finish` (keepalived sets the VIPs of all
    its instances, in config order, after the diff)."""
    old = child.plans[name]
    child.replace_plan(name, replace(new, send=old.send))  # the advert IP ID counter carries on
    inst = child.instances.get(name)
    if inst is None:
        return None
    inst.params = replace(
        inst.params,
        addresses=new.params.addresses,
        excluded_addresses=new.params.excluded_addresses,
    )
    if inst.state is not State.MASTER or child.netlink is None:
        return None
    before, after = _keyed((*old.vips, *old.evips)), _keyed((*new.vips, *new.evips))
    for key, spec in before.items():
        if key not in after:
            log.info("(%s) ip address %s, no longer exist", name, address_text(spec).rsplit(" scope ", 1)[0])
            child.netlink.delete_address(spec)
    return old, new


def finish(child: VrrpChild, name: str, pending: Pending) -> None:
    """A master's `setting VIPs.`, the added addresses and their gratuitous ARPs / NAs."""
    old, new = pending
    inst = child.instances.get(name)
    if inst is None or child.netlink is None:
        return
    before, after = _keyed((*old.vips, *old.evips)), _keyed((*new.vips, *new.evips))
    log.info("(%s) setting VIPs.", name)
    added = [spec for key, spec in after.items() if key not in before]
    for spec in added:
        child.netlink.add_address(spec)
    if added:
        every = tuple(spec.address for spec in after.values())
        child.actions.announcer.send_gratuitous(
            name, SendGratuitous(addresses=every, repeat=inst.params.garp.master_repeat, reason="reload")
        )
