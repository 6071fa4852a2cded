"""Inputs to a VRRP instance: facts that happened (a packet, a timer, a tracker), one class each.

TimerFired is the adapter's single timer input: the instance expands it into the specific timer
inputs that are due (MasterDownFired, AdverTimerFired, GarpTimerFired), which the transition table
dispatches. The Sync* inputs come only from a sync group, never from the adapter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from alived.core.vrrp.tracker import TrackerKey, TrackerKind
from alived.core.vrrp.wire import ReceivedPacket

if TYPE_CHECKING:
    from alived.core.vrrp.states import State


@dataclass(frozen=True, slots=True, kw_only=True)
class Startup:
    """The instance's interfaces are known; begin (INIT -> BACKUP, MASTER or FAULT).

    resume_master: the instance was MASTER before a reload or a restart of the VRRP child and its
    addresses are still in place; it stays MASTER at once (keepalived's reload_master) instead of
    waiting a Master_Down_Interval and flapping the addresses.
    await_scripts: the daemon itself is starting; an instance tracking a weight-0 script without
    init_fail stays in INIT, silent, until that script's first result (keepalived 2.2.7).
    carried: a reload matched this instance to a running one in MASTER or BACKUP; it takes that
    state silently, as keepalived's reload keeps the old instance's state. A carried FAULT (an
    instance outside sync groups) stays FAULT silently while a fault cause remains, naming its
    failing tracked files again; with no cause left it starts as a new instance does.
    """

    resume_master: bool = False
    await_scripts: bool = False
    carried: State | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class NameStartFaults:
    """The daemon is starting: name the tracked files and processes already failing, now.

    keepalived names them for every instance (initialise_tracking_priorities) before any sync group
    or instance line; Startup then does not name them again. Without it, Startup names them.
    """


@dataclass(frozen=True, slots=True, kw_only=True)
class AdvertReceived:
    """A decoded advertisement arrived for this instance's VRID (not yet validated)."""

    packet: ReceivedPacket


@dataclass(frozen=True, slots=True, kw_only=True)
class TimerFired:
    """The adapter's timer reached next_deadline(); the instance works out what was due."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MasterDownFired:
    """Master_Down_Timer expired (BACKUP)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AdverTimerFired:
    """Adver_Timer expired (MASTER): send an advertisement."""


@dataclass(frozen=True, slots=True, kw_only=True)
class GarpTimerFired:
    """A delayed or periodic gratuitous ARP / NA burst is due (MASTER)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackerChanged:
    """A tracked script/interface/file/process/BFD changed: ok is its new state.

    A file tracker also gives the integer it read as `value` (ok is then `value == 0`);
    without one, a file tracker takes ok as 0 and not ok as 1.
    """

    kind: TrackerKind
    name: str
    ok: bool
    value: int | None = None

    @property
    def key(self) -> TrackerKey:
        return TrackerKey(self.kind, self.name)


@dataclass(frozen=True, slots=True, kw_only=True)
class PriorityChanged:
    """The base priority changed (e.g. reload kept the instance); trackers still apply.

    reload: the new file set it; keepalived's rebuilt instance takes it without a line or notify.
    """

    priority: int
    reload: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class FaultRaised:
    """A fault condition appeared (interface down, no source address, ...); reason is its key."""

    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FaultCleared:
    """A fault condition went away."""

    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Shutdown:
    """Stop: a master sends priority 0 before it removes its addresses. Idempotent."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncToMaster:
    """The sync group moves this member to MASTER with the others."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncToBackup:
    """The sync group moves this member to BACKUP with the others."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncToFault:
    """Another member of the sync group is in FAULT."""


Input = (
    Startup
    | NameStartFaults
    | AdvertReceived
    | TimerFired
    | MasterDownFired
    | AdverTimerFired
    | GarpTimerFired
    | TrackerChanged
    | PriorityChanged
    | FaultRaised
    | FaultCleared
    | Shutdown
    | SyncToMaster
    | SyncToBackup
    | SyncToFault
)

# Every input type that goes through the transition table (TimerFired is expanded first).
TABLE_INPUTS: tuple[type[Input], ...] = (
    Startup,
    NameStartFaults,
    AdvertReceived,
    MasterDownFired,
    AdverTimerFired,
    GarpTimerFired,
    TrackerChanged,
    PriorityChanged,
    FaultRaised,
    FaultCleared,
    Shutdown,
    SyncToMaster,
    SyncToBackup,
    SyncToFault,
)
