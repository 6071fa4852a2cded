"""What the VRRP child finds and sets in the kernel around its instances, at start and stop.

VIPs a killed run left (kept by a respawned child, removed by a fresh start), stale virtual
routes and rules, and the static_ipaddress/static_routes/static_rules blocks. Plain functions
over a netlink adapter, so the fake twin runs them in unit tests.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Mapping
from functools import partial

from alived.config import model
from alived.core.vrrp.wire import IPAddress
from alived.daemon.vrrp.translate import InstancePlan, static_addresses, static_routes, static_rules
from alived.errors import BackendError
from alived.linux.netlink import Netlink

log = logging.getLogger("alived.vrrp")


def adopt_found(
    nl: Netlink,
    plans: Mapping[str, InstancePlan],
    names: Iterable[str],
    *,
    respawned: bool,
    untold: set[str] | None = None,
) -> dict[str, set[IPAddress]]:
    """Handle VIPs already present at start; returns the ones kept, by instance.

    A respawned child keeps its predecessor's (no flap); a fresh start removes them, as
    keepalived does, since they are left from a killed run and another router may hold them now.
    The instances in `untold` have their `removing VIPs.` line left to the caller: they are
    removed from the set unless that line is due.
    """
    told: set[str] = set()
    adopted: dict[str, set[IPAddress]] = {}
    present: dict[str, set[IPAddress]] = {}
    existing = nl.interface_names()
    for name in names:
        plan = plans[name]
        if not respawned and plan.base_interface in existing:
            clear_stale_routes(nl, plan)
        if not plan.vips:
            continue
        found: set[IPAddress] = set()
        for spec in plan.vips:
            if spec.dev not in present:
                try:
                    present[spec.dev] = {a for a, _ in nl.addresses(spec.dev)}
                except BackendError:
                    present[spec.dev] = set()
            if spec.address in present[spec.dev]:
                found.add(spec.address)
        if respawned and found == {s.address for s in plan.vips}:
            log.info("(%s) found its VIPs already set: keeping them", name)
            adopted[name] = found
        elif found or (not respawned and plan.vmac is None and plan.base_interface in existing):
            # keepalived clears the VIPs of an instance whose interface already existed at
            # start, and says so even when none was there.
            told.add(name)
            if untold is None or name not in untold:
                log.info("(%s) removing VIPs.", name)
            for spec in plan.vip_specs(found):
                nl.delete_address(spec)

    if untold is not None:
        untold &= told
    return adopted


def clear_stale_routes(nl: Netlink, plan: InstancePlan) -> None:
    """A fresh start removes virtual routes and rules a killed run may have left, as keepalived."""
    if plan.routes:
        log.info("(%s) removing Virtual Routes", plan.name)
    for route in plan.routes:
        with contextlib.suppress(BackendError):
            nl.delete_route(route)
    if plan.rules:
        log.info("(%s) removing Virtual Rules", plan.name)
    for rule in plan.rules:
        with contextlib.suppress(BackendError):
            nl.delete_rule(rule)


def apply_static(nl: Netlink, config: model.Config) -> None:
    """static_ipaddress, static_routes, static_rules: each added on its own, a failure logged."""
    steps: list[tuple[str, Callable[[], None]]] = []
    for spec in static_addresses(config):
        steps.append((f"static address {spec.address}", partial(nl.add_address, spec)))
    for route in static_routes(config):
        steps.append((f"static route {route.dst}", partial(nl.add_route, route)))
    for rule in static_rules(config):
        steps.append(("static rule", partial(nl.add_rule, rule)))
    for what, step in steps:
        try:
            step()
        except BackendError as err:
            log.error("%s: %s", what, err)


def remove_static(nl: Netlink, config: model.Config) -> None:
    """Take the static addresses, routes and rules away again (at stop), ignoring what is gone."""
    for rule in static_rules(config):
        with contextlib.suppress(BackendError):
            nl.delete_rule(rule)
    for route in static_routes(config):
        with contextlib.suppress(BackendError):
            nl.delete_route(route)
    for spec in static_addresses(config):
        with contextlib.suppress(BackendError):
            nl.delete_address(spec)
