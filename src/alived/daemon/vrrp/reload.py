"""SIGHUP in the VRRP child: parse the whole file first, keep the running config on error, then diff.

One whose plan is unchanged keeps its state, its addresses and its timers; one whose only
change is its VIPs keeps running and has just those addresses changed (reload_vips). Any other
change to an instance keepalived still recognises (same VRID, family, interface...; renamed or
not, see reload_carry) restarts it silently in the state it had, as keepalived 2.2.7 keeps it.
A FAULT instance is rebuilt even from the same file and stays FAULT silently, naming its failing
tracked files again, as keepalived does. Sync group members restart instead (silently unless the
state ends up different; a master resumes mastership at once, keeping the addresses both plans
share), and a group moves as a whole. A removed one is stopped and reported DELETED (or FAULT without
notify_deleted); a new one is started. A new file keepalived's VRRP child exits on (a
non-existent interface) stops the child with keepalived's exit code (lifecycle.abort).

Nothing is touched until the new file is parsed, checked (`reload_check_config`) and
translated: an error there, or any exception, keeps the running configuration and is logged.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from alived.config import model
from alived.core.vrrp.actions import RunNotify
from alived.core.vrrp.inputs import MasterDownFired, PriorityChanged
from alived.core.vrrp.states import State
from alived.daemon import process_status
from alived.daemon.loader import load_refusing
from alived.daemon.reload_check import config_check_failed
from alived.daemon.vrrp import reload_carry, reload_vips
from alived.daemon.vrrp.startup_log import log_assigned_addresses
from alived.daemon.vrrp.translate import InstancePlan, translate
from alived.daemon.vrrp.unsupported import log_notices
from alived.errors import BackendError
from alived.gc_pause import gc_paused

if TYPE_CHECKING:
    from alived.daemon.vrrp.child import VrrpChild

log = logging.getLogger("alived.vrrp")


def _groups(config: model.Config) -> dict[str, tuple[str, ...]]:
    return {sg.name: tuple(sg.group) for sg in config.sync_groups}


def _group_of(config: model.Config, name: str) -> str | None:
    return next((sg.name for sg in config.sync_groups if name in sg.group), None)


def priority_only(old: InstancePlan, new: InstancePlan) -> bool:
    """True when the plans differ in the configured priority and nothing else."""
    if old.params.priority == new.params.priority:
        return False
    return replace(new, params=replace(new.params, priority=old.params.priority)) == old


def diff(
    old_config: model.Config,
    old: dict[str, InstancePlan],
    new_config: model.Config,
    new: dict[str, InstancePlan],
) -> tuple[set[str], set[str], set[str], set[str]]:
    """(kept, changed in place, restarted, removed) names; everything in `new` not kept is (re)started.

    Changed in place: only the priority, or only the VIPs, differ.
    """
    removed = set(old) - set(new)
    kept: set[str] = set()
    reprio: set[str] = set()
    restarted: set[str] = set()
    for name in set(old) & set(new):
        if old[name] == new[name]:
            kept.add(name)
        elif priority_only(old[name], new[name]) or reload_vips.vips_only(old[name], new[name]):
            reprio.add(name)
        else:
            restarted.add(name)
    # A sync group whose membership changed, or with a member that restarts, is rebuilt as a
    # whole. A member changed in place (VIPs, priority) keeps its group running, as keepalived
    # keeps it: restarting the group would take its VIPs through BACKUP and MASTER again.
    old_groups, new_groups = _groups(old_config), _groups(new_config)
    for name in list(kept | reprio):
        group = _group_of(new_config, name)
        old_group = _group_of(old_config, name)
        if group != old_group or (group is not None and old_groups.get(group) != new_groups.get(group)):
            kept.discard(name)
            reprio.discard(name)
            restarted.add(name)
    for name in list(kept | reprio):
        group = _group_of(new_config, name)
        if group is not None and any(m in restarted for m in new_groups[group]):
            kept.discard(name)
            reprio.discard(name)
            restarted.add(name)
    return kept, reprio, restarted, removed


Prepared = tuple[model.Config, dict[str, InstancePlan], tuple[set[str], set[str], set[str], set[str]]]


def prepare(child: VrrpChild) -> Prepared | None:
    """Read, check and translate the new file and diff it; None (logged) when it must not be applied."""
    if child.config is None:
        return None
    check = child.config.global_defs.reload_check_config
    if check is not None and config_check_failed(child.options, check):
        return None
    config, refusal, parse_abort = load_refusing(child.options)
    if refusal is not None and config is not None:
        # keepalived's VRRP child exits on such a file (a non-existent interface...), and the
        # parent with it: the running instances are left as they are.
        child.refuse(config, refusal, parse_abort=parse_abort)
        return None
    if config is None:
        log.error("Reload failed: keeping the running configuration")
        return None
    with _addresses_once(child):
        new_plans = {p.name: p for p in translate(config, child.primary_address, child.bad_instance)}
    return config, new_plans, diff(child.config, child.plans, config, new_plans)


def _addresses_once(child: VrrpChild) -> contextlib.AbstractContextManager[None]:
    """One dump of the interfaces' addresses for a pass of lookups (not one per interface)."""
    return child.netlink.address_snapshot() if child.netlink is not None else contextlib.nullcontext()


def reload(child: VrrpChild) -> bool:
    """Handle SIGHUP; False (logged) when the new file is unusable and the old config stays."""
    started = time.monotonic()
    # No cyclic collection in the middle of a reload: with thousands of instances alive, the
    # collector's passes (triggered by the reload's own allocations) cost more than the reload.
    with gc_paused():
        ok = _reload(child)
    process_status.RELOADS.done(ok, time.monotonic() - started)
    return ok


def _reload(child: VrrpChild) -> bool:
    log.info("Reloading")
    try:
        prepared = prepare(child)
    except Exception as err:  # whatever the new file does, the running config stays
        log.error("Reload failed (%s: %s): keeping the running configuration", type(err).__name__, err)
        return False
    if prepared is None:
        return False
    try:
        apply(child, *prepared)
    except Exception:
        # Past the point of no return: what was applied stays, the child keeps running.
        log.exception("Reload failed while applying the new configuration")
        return False
    finally:
        child.end_handover()
    log.info("Reload complete")
    return True


def apply(
    child: VrrpChild,
    config: model.Config,
    new_plans: dict[str, InstancePlan],
    changes: tuple[set[str], set[str], set[str], set[str]],
) -> None:
    """Move the running child to `config` (already parsed, checked and translated)."""
    kept, reprio, restarted, removed = changes
    log_notices(config)
    # What keepalived still recognises (reload_carry) keeps its state silently, renamed or not.
    states = {name: inst.state for name, inst in child.instances.items()}
    old_config = child.config
    grouped = {m for c in (old_config, config) if c is not None for sg in c.sync_groups for m in sg.group}
    repriced = {n for n in reprio if not reload_vips.vips_only(child.plans[n], new_plans[n])}
    # keepalived rebuilds a FAULT instance even from the same file: it names its failing tracked
    # files again and stays FAULT silently (no priority line, no notify).
    faulted = {n for n in kept | reprio if states.get(n) is State.FAULT}
    carried = reload_carry.match(child.plans, new_plans, states, restarted | repriced | faulted, grouped)
    before = {new: child.plans[old] for new, old in carried.items()}
    gone = set(carried.values())
    removed, restarted, reprio = removed - gone, restarted - set(carried), reprio - set(carried)
    kept -= set(carried)
    # Stop what goes away or restarts; a removed instance is reported DELETED. A restarted
    # master hands over to its successor: no priority-0 advert, no notify, and the addresses
    # and routes the new plan still has stay in place.
    stopping = removed | restarted | gone
    resume = {
        name
        for name in restarted
        if (inst := child.instances.get(name)) is not None and inst.state is State.MASTER
    }
    old_states = {name: inst.state for name in restarted if (inst := child.instances.get(name)) is not None}
    child.retire(stopping, deleted=removed, handover={name: new_plans[name] for name in resume}, silent=gone)
    # A carried FAULT instance's start names its failing tracked files again, as keepalived's does.
    child.actions.silent -= {old for old in gone if states[old] is State.FAULT}
    pending: dict[str, reload_vips.Pending] = {}
    for name in sorted(reprio):
        if reload_vips.vips_only(child.plans[name], new_plans[name]):
            if (waiting := reload_vips.apply(child, name, new_plans[name])) is not None:
                pending[name] = waiting
        else:
            # A sync group member (a lone one is carried): keepalived's rebuilt instance takes
            # the new priority silently, and a master sets its VIPs again.
            child.replace_plan(name, new_plans[name])
            child.feed(name, PriorityChanged(priority=new_plans[name].params.priority, reload=True))

    child.use_config(config)
    for name in removed | (gone - set(new_plans)):
        child.drop_plan(name)
    fresh = {n for n in new_plans if n not in kept and n not in reprio}
    for name in fresh:
        child.replace_plan(name, new_plans[name])
        if new_plans[name].vmac is not None:
            child.setup_vmac(new_plans[name])
    with _addresses_once(child):
        log_assigned_addresses(child.plans.values(), child.primary_address)
    # keepalived reopens its whole sockpool, naming each socket as it does at start-up.
    child.pool.announce({plan.socket_key for plan in child.plans.values()})
    for name in fresh:
        child.open_socket(child.plans[name])
    child.rebuild_socket_index()
    if child.vmacs is not None:
        used = {p.vmac.name for p in child.plans.values() if p.vmac is not None}
        for vmac in set(child.vmacs.vmacs) - used:
            try:
                child.vmacs.delete(vmac)
            except BackendError as err:
                log.error("Removing VMAC interface %s failed: %s", vmac, err)
            else:
                log.info("Success removing VMAC interface %s", vmac)
    units = child.build_units(config, fresh)
    child.trackers.carry(config)
    # keepalived sets a kept master's VIPs again (the kernel already has them: only the line is
    # ours to write) after its scripts' `considered ... on reload` lines, before new instances start.
    masters = {new for new, old in carried.items() if states[old] is State.MASTER}
    for name in [n for n in new_plans if n in kept | masters | reprio]:  # config order
        if name in masters:
            reload_carry.move_addresses(child, name, before[name], new_plans[name])
        elif name in pending:
            reload_vips.finish(child, name, pending[name])
        elif (inst := child.instances.get(name)) is not None and inst.state is State.MASTER:
            log.info("(%s) setting VIPs.", name)
    child.start_units(units, carried={new: states[old] for new, old in carried.items()})
    child.start_trackers(config)
    for name in sorted(masters):
        reload_carry.release_unless_master(child, name, new_plans[name])
    for name in resume:
        inst = child.instances.get(name)
        if inst is not None and inst.state is State.BACKUP:
            child.feed(name, MasterDownFired())
    child.end_handover()
    for name, old_state in old_states.items():
        inst = child.instances.get(name)
        if inst is not None and inst.state is not old_state:
            child.actions.notify(
                name,
                RunNotify(
                    kind="INSTANCE", name=name, state=inst.state.value, priority=inst.effective_priority
                ),
            )
    if config.global_defs.fifo_write_vrrp_states_on_reload:
        for name, inst in child.instances.items():
            child.actions.write_fifos("INSTANCE", name, inst.state.value, inst.effective_priority)
