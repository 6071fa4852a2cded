"""The VRRP child's units: instances (and their sync groups) built from plans, and how they start.

A unit is what the driver schedules: one instance, or the members of one sync group together.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping

from alived.config import model
from alived.core.vrrp.instance import VrrpInstance
from alived.core.vrrp.states import State
from alived.core.vrrp.sync_group import SyncGroup
from alived.daemon.vrrp.driver import Driver, Unit
from alived.daemon.vrrp.translate import InstancePlan, notify_scripts
from alived.notify.scripts import NotifyScripts


def make_units(
    config: model.Config,
    plans: dict[str, InstancePlan],
    names: set[str],
    driver: Driver,
    group_notify: MutableMapping[str, NotifyScripts],
) -> list[Unit]:
    """Create instances (and their sync groups) for `names`, add them to `driver`; members of one
    group come together, and each group's notify scripts go to `group_notify`."""
    made: list[Unit] = []
    grouped: set[str] = set()
    for sg in config.sync_groups:
        members = [m for m in sg.group if m in names and m in plans]
        if not members:
            continue
        insts = [VrrpInstance(plans[m].params) for m in members]
        group = SyncGroup(sg.name, insts) if len(insts) > 1 or sg.group else None
        unit = Unit(insts, group)
        driver.add(unit)
        group_notify[sg.name] = notify_scripts(sg, config.global_defs)
        grouped.update(members)
        made.append(unit)
    for name in names:
        if name in grouped or name not in plans:
            continue
        unit = Unit([VrrpInstance(plans[name].params)])
        driver.add(unit)
        made.append(unit)
    return made


def split_carried(
    units: Iterable[Unit], carried: dict[str, State]
) -> tuple[list[Unit], list[tuple[Unit, State]]]:
    """The units that start afresh, and those a reload carries over with the state they keep."""
    plain: list[Unit] = []
    kept: list[tuple[Unit, State]] = []
    for unit in units:
        state = next((carried[m] for m in unit.members if m in carried), None)
        if state is None:
            plain.append(unit)
        else:
            kept.append((unit, state))
    return plain, kept
