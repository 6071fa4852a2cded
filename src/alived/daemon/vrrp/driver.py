"""The VRRP child's driver: the units it runs, the deadline heap, and DESIGN.md's three steps.

Every input goes the same way: feed it to the instance (or its sync group), run the actions
that come back in order (through the `perform` callback it is given), re-arm the one timer at
the earliest deadline. The driver owns nothing of the kernel: the clock, the timer and the
action runner are passed in, so unit tests drive it with fakes and no root.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable

from alived.core.vrrp.actions import Action
from alived.core.vrrp.inputs import Input, TimerFired
from alived.core.vrrp.instance import VrrpInstance
from alived.core.vrrp.sync_group import SyncGroup
from alived.units import Ticks

# Actions may queue more actions (a sync group reacting to a member); this bounds the rounds.
MAX_ROUNDS = 100


class Unit:
    """What the loop drives: a lone instance or a sync group, behind one interface."""

    def __init__(self, members: Iterable[VrrpInstance], group: SyncGroup | None = None) -> None:
        self.members = {m.name: m for m in members}
        self.group = group
        # A lone instance, asked directly on the hot paths.
        self.lone = next(iter(self.members.values())) if group is None and len(self.members) == 1 else None

    @property
    def name(self) -> str:
        return self.group.name if self.group is not None else next(iter(self.members))

    def handle(self, member: str, event: Input, now: Ticks) -> None:
        if self.group is not None:
            self.group.handle(member, event, now)
        else:
            self.members[member].handle(event, now)

    def handle_timer(self, now: Ticks) -> None:
        if self.group is not None:
            self.group.handle_timer(now)
            return
        for inst in self.members.values():
            deadline = inst.next_deadline()
            if deadline is not None and deadline <= now:
                inst.handle(TimerFired(), now)

    def next_deadline(self) -> Ticks | None:
        if self.lone is not None:
            return self.lone.next_deadline()
        if self.group is not None:
            return self.group.next_deadline()
        deadlines = [d for d in (m.next_deadline() for m in self.members.values()) if d is not None]
        return min(deadlines) if deadlines else None

    def pop_actions(self) -> list[tuple[str, Action]]:
        if self.group is not None:
            return self.group.pop_actions()
        return [(name, a) for name, inst in self.members.items() for a in inst.pop_actions()]


Perform = Callable[[str, Action], None]


class Driver:
    """The running units and their deadlines; `feed`, `settle` and `on_timer` are the whole loop."""

    def __init__(
        self, perform: Perform, now: Callable[[], Ticks], arm: Callable[[Ticks | None], None]
    ) -> None:
        self._perform = perform
        self._now = now
        self._arm = arm
        self.units: dict[str, Unit] = {}
        self.unit_of: dict[str, Unit] = {}
        self.instances: dict[str, VrrpInstance] = {}
        # (deadline, tie-break, unit): one live entry per unit, at `_queued[unit]`, never later
        # than the unit's deadline (`_deadline_of`); other entries are stale and skipped.
        self._heap: list[tuple[Ticks, int, Unit]] = []
        self._queued: dict[Unit, Ticks] = {}
        self._deadline_of: dict[Unit, Ticks | None] = {}
        self._seq = 0

    # ---- membership ------------------------------------------------------------------------------

    def add(self, unit: Unit) -> None:
        """Run `unit` from now on (its members start as constructed: call `start` to begin)."""
        for name, inst in unit.members.items():
            self.instances[name] = inst
            self.unit_of[name] = unit
        self.units[unit.name] = unit

    def retire(self, names: Iterable[str]) -> None:
        """Stop running the units holding `names` (a sync group goes whole); their timers lapse."""
        for name in names:
            unit = self.unit_of.pop(name, None)
            self.instances.pop(name, None)
            if unit is None:
                continue
            self.units.pop(unit.name, None)
            self._queued.pop(unit, None)
            self._deadline_of.pop(unit, None)
            for member in unit.members:
                self.unit_of.pop(member, None)
                self.instances.pop(member, None)

    def tell_all(self, make: Callable[[], Input], units: Iterable[Unit] | None = None) -> None:
        """Hand every member of `units` (None: of all units) a fresh input, then settle everything."""
        now = self._now()
        for unit in list(self.units.values()) if units is None else list(units):
            for name in unit.members:
                unit.handle(name, make(), now)
        self.settle()

    # ---- the three steps -------------------------------------------------------------------------

    def feed(self, name: str, event: Input) -> None:
        unit = self.unit_of.get(name)
        if unit is None:
            return
        unit.handle(name, event, self._now())
        self.settle((unit,))

    def repeat(self, name: str) -> bool:
        """A byte-equal repeat of `name`'s last accepted advert: only the master-down timer moves."""
        unit = self.unit_of.get(name)
        if unit is None or unit.lone is None or not unit.lone.repeat_advert(self._now()):
            return False
        # A repeat queues no action and only moves the deadline, almost always later: the heap
        # entry stays where it is (see `_track`) and the armed timer with it.
        if self._track(unit):
            self.rearm()
        return True

    def repeatable(self, name: str) -> bool:
        """`name` is a lone instance whose last input a byte-equal repeat may skip to."""
        unit, inst = self.unit_of.get(name), self.instances.get(name)
        return unit is not None and unit.group is None and inst is not None and inst.repeatable

    def settle(self, units: Iterable[Unit] | None = None) -> None:
        """Run the queued actions of `units` (None: of every unit), then re-arm the timer.

        The hot paths (an advert, a timer) name the one unit they touched, so the cost of an
        event does not grow with the number of instances; rare paths (start, reload, stop)
        settle everything and rebuild the deadline heap."""
        targets = list(self.units.values()) if units is None else list(units)
        for _ in range(MAX_ROUNDS):
            pending = [pair for unit in targets for pair in unit.pop_actions()]
            if not pending:
                break
            for owner, action in pending:
                self._perform(owner, action)
        if units is None:
            self._deadline_of.clear()
            self._queued.clear()
            self._heap.clear()
        for unit in targets:
            self._track(unit)
        self.rearm()

    def _track(self, unit: Unit) -> bool:
        """Note `unit`'s deadline; True if it went into the heap (it may be the new earliest).

        A deadline that moved later leaves the unit's entry in place (lazy deadlines): a backup
        hearing its master every interval would otherwise push and pop one entry per advert
        and re-arm the loop's timer each time. The early entry is moved on when it comes up."""
        deadline = unit.next_deadline()
        self._deadline_of[unit] = deadline
        if deadline is None:
            return False  # the queued entry, if any, finds no deadline when it comes up
        queued = self._queued.get(unit)
        if queued is not None and queued <= deadline:
            return False
        self._queued[unit] = deadline
        self._seq += 1
        heapq.heappush(self._heap, (deadline, self._seq, unit))
        return True

    def _live(self, queued: Ticks, unit: Unit) -> bool:
        """False for a heap entry left behind by a re-armed or removed unit (lazy deletion)."""
        return self._queued.get(unit) == queued and self.units.get(unit.name) is unit

    def next_deadline(self) -> Ticks | None:
        """The earliest deadline of any unit; entries that come up early are moved on first."""
        heap = self._heap
        while heap:
            queued, _, unit = heap[0]
            if not self._live(queued, unit):
                heapq.heappop(heap)
                continue
            deadline = self._deadline_of.get(unit)
            if deadline == queued:
                return queued
            if deadline is None:
                del self._queued[unit]
                heapq.heappop(heap)
                continue
            self._queued[unit] = deadline
            self._seq += 1
            heapq.heapreplace(heap, (deadline, self._seq, unit))
        return None

    def rearm(self) -> None:
        self._arm(self.next_deadline())

    def on_timer(self) -> None:
        now = self._now()
        due: list[Unit] = []
        heap = self._heap
        while heap and heap[0][0] <= now:
            queued, _, unit = heapq.heappop(heap)
            if not self._live(queued, unit):
                continue
            del self._queued[unit]
            deadline = self._deadline_of.get(unit)
            if deadline is None:
                continue
            if deadline > now:  # it moved on since it was queued (a repeat): queue it again
                self._queued[unit] = deadline
                self._seq += 1
                heapq.heappush(heap, (deadline, self._seq, unit))
                continue
            self._deadline_of[unit] = None
            due.append(unit)
        for unit in due:
            unit.handle_timer(now)
        self.settle(due)
