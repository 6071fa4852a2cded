"""Lines keepalived writes while it (re)loads that report what it found, not what it changes.

keepalived 2.2.7 (-l -D, checked in a namespace) logs, for each interface an instance runs on,
the address it will send from: `Assigned address 192.0.2.1 for interface eth0`, then the IPv6
link-local one, at startup and again on every reload.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from alived.daemon.vrrp.translate import InstancePlan, PrimaryAddress

log = logging.getLogger("alived.vrrp")


def assigned_address_lines(plans: Iterable[InstancePlan], primary_address: PrimaryAddress) -> list[str]:
    """One line per address found on each instance's interface, interfaces in first-use order."""
    interfaces = dict.fromkeys(plan.base_interface for plan in plans)
    lines: list[str] = []
    for ifname in interfaces:
        for family in (4, 6):
            address = primary_address(ifname, family)
            if address is not None:
                lines.append(f"Assigned address {address} for interface {ifname}")
    return lines


def log_assigned_addresses(plans: Iterable[InstancePlan], primary_address: PrimaryAddress) -> None:
    for line in assigned_address_lines(plans, primary_address):
        log.info("%s", line)
