"""A sync group's track_interface and track_script entries, given to each member as keepalived does.

keepalived 2.2.7 adds each object a vrrp_sync_group tracks to every member instance: a failing
one (weight 0) puts the member, and so the group, in FAULT; a weighted one changes each member's
priority (checked against the binary: `eth2 weight -10` on the group lowers both members by 10).
A group entry is unweighted when a member owns its addresses (priority 255), and it replaces a
weighted entry the member has for the same object (add_obj_to_track_*). track_file and
track_process group entries are merged beside their own trackers (translate, process_tracker).
"""

from __future__ import annotations

from collections.abc import Callable

from alived.config import model
from alived.core.vrrp.params import DEFAULT_PRIORITY, PRIORITY_OWNER

# name -> (weight, reverse)
Chosen = dict[str, tuple[int, bool]]
# The tracked object's own (weight, reverse), or None when it does not exist.
Defaults = Callable[[str], tuple[int, bool] | None]


def group_of(inst: model.VrrpInstance, config: model.Config) -> model.VrrpSyncGroup | None:
    return next((sg for sg in config.sync_groups if inst.name in sg.group), None)


def _has_owner(group: model.VrrpSyncGroup, config: model.Config) -> bool:
    members = (config.instance(m) for m in group.group)
    return any(
        m is not None and (m.effective_priority or DEFAULT_PRIORITY) == PRIORITY_OWNER for m in members
    )


def merge_group_entries(
    chosen: Chosen,
    entries: tuple[model.TrackEntry, ...],
    group: model.VrrpSyncGroup,
    config: model.Config,
    defaults: Defaults,
    *,
    skip: frozenset[str] = frozenset(),
) -> Chosen:
    """`chosen` (the member's own entries) with the group's `entries` added; a new dict.

    `skip` names objects the member watches anyway (its own interface).
    """
    if not entries:
        return chosen
    out = dict(chosen)
    owner = _has_owner(group, config)
    for entry in entries:
        own = defaults(entry.name)
        if own is None or entry.name in skip:
            continue
        weight = entry.weight if entry.weight is not None else own[0]
        reverse = entry.reverse if entry.reverse is not None else own[1]
        if owner:
            weight = 0
        if entry.name not in out or out[entry.name][0]:
            out[entry.name] = (weight, reverse)
    return out


def interface_entries(
    inst: model.VrrpInstance, config: model.Config, tracked: Chosen, own: frozenset[str]
) -> Chosen:
    """The member's tracked interfaces with its group's track_interface entries."""
    group = group_of(inst, config)
    if group is None:
        return tracked
    return merge_group_entries(tracked, group.track_interface, group, config, lambda _: (0, False), skip=own)


def script_entries(inst: model.VrrpInstance, config: model.Config, chosen: Chosen) -> Chosen:
    """The member's tracked scripts with its group's track_script entries."""
    group = group_of(inst, config)
    if group is None:
        return chosen

    def defaults(name: str) -> tuple[int, bool] | None:
        script = config.script(name)
        return None if script is None else (script.weight, script.weight_reverse)

    return merge_group_entries(chosen, group.track_script, group, config, defaults)
