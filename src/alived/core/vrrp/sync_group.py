"""vrrp_sync_group: member instances that move MASTER, BACKUP and FAULT together (keepalived vrrp_sync.c).

Inputs for a member go through SyncGroup.handle(); after the member has handled it, the rule table
SYNC_RULES is applied until no rule fires (STYLE #2). Members ask the group through the SyncGate
methods before becoming MASTER (only when every member wants MASTER, as keepalived prefers BACKUP
to thrashing) and before leaving FAULT (only when no member has a fault of its own).
pop_actions() returns every action of the group and its members, in order, tagged with its owner.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from alived.core.vrrp.actions import Action, Log, RunNotify
from alived.core.vrrp.inputs import Input, Startup, SyncToBackup, SyncToFault, SyncToMaster, TimerFired
from alived.core.vrrp.instance import VrrpInstance
from alived.core.vrrp.states import State
from alived.errors import LocalMisuse
from alived.units import Ticks


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncRule:
    """When `applies` holds for the group, `apply` moves the members and the group state."""

    name: str
    applies: Callable[[SyncGroup], bool]
    apply: Callable[[SyncGroup, Ticks], None]
    text: str


class SyncGroup:
    """A vrrp_sync_group over existing VrrpInstance objects (it becomes each member's `group`)."""

    def __init__(self, name: str, members: Sequence[VrrpInstance]) -> None:
        if not members:
            raise LocalMisuse(f"VRRP_Group({name}) has no members")
        self.name = name
        self.members = tuple(members)
        self.state = State.INIT
        self._actions: list[tuple[str, Action]] = []
        # When each member last handled an input: among equal deadlines, the one set first fires
        # first, as in keepalived's timer tree (its clock has moved between the two).
        self._handled: dict[str, int] = {}
        self._inputs = 0
        self._fault_unnotified = False
        self._fault_held = False  # start_in_fault(announce=False): announce_start() notifies
        for member in self.members:
            if member.group is not None:
                raise LocalMisuse(f"({member.name}) is already in a sync group")
            member.group = self
        wants_master = [m for m in self.members if m.wantstate is State.MASTER]
        # Members of an all-owner group on their way to MASTER at start (see _backup_spreads).
        self._owners_starting: set[str] = set()
        if wants_master and any(m.wantstate is State.BACKUP or not m.params.owner for m in self.members):
            # keepalived (vrrp_complete_init) starts every member as BACKUP unless all of them
            # are address owners wanting MASTER: they then wait a full master-down interval.
            for member in wants_master:
                member.wantstate = State.BACKUP
        elif wants_master:
            # keepalived (vrrp_sync_set_group) then has the group MASTER from the start, unnotified:
            # each member goes MASTER on its own 1 us timer, no "Syncing" line, no group notify.
            self.state = State.MASTER
            self._owners_starting = {m.name for m in self.members}

    # ---- interface ------------------------------------------------------------------------

    def member(self, name: str) -> VrrpInstance:
        for member in self.members:
            if member.name == name:
                return member
        raise LocalMisuse(f"VRRP_Group({self.name}) has no member {name!r}")

    def handle(self, member: VrrpInstance | str, event: Input, now: Ticks) -> None:
        """Feed an input to one member, then bring the others along."""
        target = self.member(member) if isinstance(member, str) else member
        if target.group is not self:
            raise LocalMisuse(f"({target.name}) is not in VRRP_Group({self.name})")
        starting = isinstance(event, Startup) and event.await_scripts
        if starting and self._owners_starting and self.awaits_scripts(target):
            # initialise_tracking_priorities: a member awaiting a script makes the group INIT.
            self.state = State.INIT
            self._owners_starting = set()
        self._handle_member(target, event, now)
        self._drain(target)
        if self._owners_starting:
            self._owners_starting -= {
                m.name for m in self.members if m.state not in (State.INIT, State.BACKUP)
            }
        if self._fault_unnotified and not self._in(State.INIT):
            self._fault_unnotified = False
            self._set_state(State.FAULT)
        self._settle(now)

    def handle_timer(self, now: Ticks) -> None:
        """Feed TimerFired to each member whose deadline has come, earliest deadline first."""
        fired: set[str] = set()
        while due := [
            (deadline, self._handled.get(m.name, 0), m)
            for m in self.members
            if m.name not in fired and (deadline := m.next_deadline()) is not None and deadline <= now
        ]:
            member = min(due, key=lambda d: (d[0], d[1]))[2]
            fired.add(member.name)
            self.handle(member, TimerFired(), now)

    def _handle_member(self, member: VrrpInstance, event: Input, now: Ticks) -> None:
        self._inputs += 1
        self._handled[member.name] = self._inputs
        member.handle(event, now)

    def next_deadline(self) -> Ticks | None:
        deadlines = [d for d in (m.next_deadline() for m in self.members) if d is not None]
        return min(deadlines) if deadlines else None

    def pop_actions(self) -> list[tuple[str, Action]]:
        """(owner name, action) pairs since the last call: the owner is a member or the group."""
        for member in self.members:
            self._drain(member)
        actions, self._actions = self._actions, []
        return actions

    # ---- the gate members consult -------------------------------------------------------------

    def may_become_master(self, member: VrrpInstance) -> bool:
        if self.state is State.MASTER:
            return True
        return all(m is member or m.wantstate is State.MASTER for m in self.members)

    def may_leave_fault(self, member: VrrpInstance) -> bool:
        return all(m is member or not m.fault_reasons for m in self.members)

    def start_in_fault(self, *, announce: bool = True) -> None:
        """A member faults before the group starts: every member starts in FAULT, and the group's
        FAULT is notified once they all have been (keepalived's vrrp_complete_init, then
        vrrp_init_state); no "Syncing instances" line. announce False: announce_start() does."""
        self.state = State.FAULT
        self._fault_unnotified = announce
        self._fault_held = not announce

    def starts_in_fault(self, member: VrrpInstance) -> bool:
        del member
        return self._fault_unnotified or self._fault_held

    def announce_start(self, *, await_scripts: bool) -> None:
        """keepalived's vrrp_init_state notifies each group starting in FAULT or BACKUP before any
        member starts: a held FAULT, or BACKUP unless the group starts MASTER (all owners) or waits
        for first script results (INIT). Members then start without moving the group."""
        if self._fault_held:
            self._fault_held = False
            self._set_state(State.FAULT)
        elif self.state is State.INIT and not (await_scripts and self.awaits_scripts(self.members[0])):
            self._set_state(State.BACKUP)

    def awaits_scripts(self, member: VrrpInstance) -> bool:
        """A member still awaits a first script result: every member waits (num_member_init)."""
        del member
        return any(m.scripts_awaited for m in self.members)

    def quick_start(self, member: VrrpInstance) -> bool:
        del member
        return self.state is not State.MASTER

    # ---- rules ----------------------------------------------------------------------------------

    def _drain(self, member: VrrpInstance) -> None:
        self._actions.extend((member.name, action) for action in member.pop_actions())

    def _settle(self, now: Ticks) -> None:
        for _ in range(4 * len(self.members) + 8):
            for rule in SYNC_RULES:
                if rule.applies(self):
                    rule.apply(self, now)
                    break
            else:
                return
        raise LocalMisuse(f"VRRP_Group({self.name}) sync rules did not settle")

    def _move(self, new: State, event: Input, now: Ticks, *, skip: State | None = None) -> None:
        self._actions.append(
            (
                self.name,
                Log(level="info", text=f"VRRP_Group({self.name}) Syncing instances to {new.value} state"),
            )
        )
        for member in self.members:
            if member.state is not new and member.state is not skip:
                self._handle_member(member, event, now)
                self._drain(member)
        self._set_state(new)

    def _set_state(self, new: State) -> None:
        self.state = new
        self._actions.append(
            (self.name, RunNotify(kind="GROUP", name=self.name, state=new.value, priority=0))
        )

    def _start_backup(self) -> None:
        """The group's first state: keepalived's vrrp_init_state notifies groups before members."""
        self.state = State.BACKUP
        notify = (self.name, RunNotify(kind="GROUP", name=self.name, state=State.BACKUP.value, priority=0))
        first = next((i for i, (_, a) in enumerate(self._actions) if isinstance(a, RunNotify)), None)
        self._actions.insert(len(self._actions) if first is None else first, notify)

    def _in(self, state: State) -> bool:
        return any(m.state is state for m in self.members)


def _fault_spreads(g: SyncGroup) -> bool:
    return g.state is not State.FAULT and g._in(State.FAULT)


def _fault_over(g: SyncGroup) -> bool:
    return (
        g.state is State.FAULT
        and any(m.state in (State.BACKUP, State.MASTER) for m in g.members)
        and not any(m.fault_reasons for m in g.members)
    )


def _master_spreads(g: SyncGroup) -> bool:
    return g.state is not State.MASTER and g.state is not State.FAULT and g._in(State.MASTER)


def _backup_spreads(g: SyncGroup) -> bool:
    return g.state is State.MASTER and any(
        m.state is State.BACKUP and m.name not in g._owners_starting for m in g.members
    )


def _wait_over(g: SyncGroup) -> bool:
    return (
        g.state is not State.FAULT
        and any(m.waiting for m in g.members)
        and any(m.state is State.BACKUP for m in g.members)
    )


def _initial_backup(g: SyncGroup) -> bool:
    return g.state is State.INIT and all(m.state is State.BACKUP for m in g.members)


def _all_stopped(g: SyncGroup) -> bool:
    return g.state is not State.STOP and all(m.state is State.STOP for m in g.members)


SYNC_RULES: tuple[SyncRule, ...] = (
    SyncRule(
        name="all_stopped",
        applies=_all_stopped,
        apply=lambda g, now: g._set_state(State.STOP),
        text="every member is STOP: the group is STOP",
    ),
    SyncRule(
        name="fault_spreads",
        applies=_fault_spreads,
        apply=lambda g, now: g._move(State.FAULT, SyncToFault(), now, skip=State.STOP),
        text="a member is FAULT: every other member goes FAULT",
    ),
    SyncRule(
        name="fault_over",
        applies=_fault_over,
        apply=lambda g, now: g._move(State.BACKUP, SyncToBackup(), now, skip=State.MASTER),
        text="group FAULT, a member left FAULT and no member has a fault: the others go BACKUP",
    ),
    SyncRule(
        name="master_spreads",
        applies=_master_spreads,
        apply=lambda g, now: g._move(State.MASTER, SyncToMaster(), now, skip=State.STOP),
        text="a member became MASTER: every BACKUP member goes MASTER",
    ),
    SyncRule(
        name="backup_spreads",
        applies=_backup_spreads,
        apply=lambda g, now: g._move(State.BACKUP, SyncToBackup(), now, skip=State.STOP),
        text="group MASTER and a member went BACKUP: every MASTER member goes BACKUP",
    ),
    SyncRule(
        name="wait_over",
        applies=_wait_over,
        apply=lambda g, now: g._move(State.BACKUP, SyncToBackup(), now, skip=State.MASTER),
        text="a member waits at start for first script results, another is BACKUP: it goes BACKUP",
    ),
    SyncRule(
        name="initial_backup",
        applies=_initial_backup,
        apply=lambda g, now: g._start_backup(),
        text="group INIT and every member BACKUP: the group is BACKUP (notified before the members)",
    ),
)


def render_rules() -> str:
    """The sync-group rule table as a Markdown list, in the order the rules are tried."""
    return "".join(f"{i}. `{r.name}`: {r.text}.\n" for i, r in enumerate(SYNC_RULES, 1))
