"""VRRP router states and THE transition table: (state, input type) -> handler (STYLE #2).

A pair maps to a Transition naming the VrrpInstance method that handles it and the states it may
lead to (for the diagram), or to a counted drop (the input is legitimate but means nothing in that
state, e.g. an advert while in FAULT). A pair missing from the table is our bug: VrrpInstance
raises LocalMisuse. docs/state-diagram.md is generated from this table by render_mermaid().
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from alived.core.vrrp.inputs import (
    AdverTimerFired,
    AdvertReceived,
    FaultCleared,
    FaultRaised,
    GarpTimerFired,
    Input,
    MasterDownFired,
    NameStartFaults,
    PriorityChanged,
    Shutdown,
    Startup,
    SyncToBackup,
    SyncToFault,
    SyncToMaster,
    TrackerChanged,
)


class State(enum.Enum):
    """RFC states plus keepalived's FAULT and STOP; values are keepalived's notify words."""

    INIT = "INIT"
    BACKUP = "BACKUP"
    MASTER = "MASTER"
    FAULT = "FAULT"
    STOP = "STOP"


@dataclass(frozen=True, slots=True, kw_only=True)
class Transition:
    """handler is a VrrpInstance method name; None means a counted drop (stat `drop`)."""

    handler: str | None
    targets: tuple[State, ...] = ()
    drop: str = "dropped_in_state"


def _drop(stat: str = "dropped_in_state") -> Transition:
    return Transition(handler=None, drop=stat)


_S = State
_ANY_PRIO = Transition(handler="on_priority_input")
_STALE_TIMER = _drop()

TRANSITIONS: dict[tuple[State, type[Input]], Transition] = {
    # INIT: configured, not started. Trackers and faults are recorded for Startup to see.
    (_S.INIT, Startup): Transition(handler="on_startup", targets=(_S.BACKUP, _S.MASTER, _S.FAULT)),
    (_S.INIT, NameStartFaults): Transition(handler="on_name_start_faults"),
    (_S.INIT, AdvertReceived): _drop(),
    (_S.INIT, MasterDownFired): _STALE_TIMER,
    (_S.INIT, AdverTimerFired): _STALE_TIMER,
    (_S.INIT, GarpTimerFired): _STALE_TIMER,
    (_S.INIT, TrackerChanged): _ANY_PRIO,
    (_S.INIT, PriorityChanged): _ANY_PRIO,
    (_S.INIT, FaultRaised): Transition(handler="on_fault_record"),
    (_S.INIT, FaultCleared): Transition(handler="on_fault_record"),
    (_S.INIT, Shutdown): Transition(handler="on_shutdown", targets=(_S.STOP,)),
    (_S.INIT, SyncToMaster): Transition(handler="on_sync_end_wait", targets=(_S.MASTER,)),
    # A member waiting for its group's first script results starts with the group.
    (_S.INIT, SyncToBackup): Transition(handler="on_sync_end_wait", targets=(_S.BACKUP,)),
    (_S.INIT, SyncToFault): Transition(handler="on_sync_end_wait", targets=(_S.FAULT,)),
    # BACKUP
    (_S.BACKUP, NameStartFaults): _drop(),
    (_S.BACKUP, AdvertReceived): Transition(handler="on_backup_advert"),
    (_S.BACKUP, MasterDownFired): Transition(handler="on_master_down", targets=(_S.MASTER,)),
    (_S.BACKUP, AdverTimerFired): _STALE_TIMER,
    (_S.BACKUP, GarpTimerFired): _STALE_TIMER,
    (_S.BACKUP, TrackerChanged): Transition(handler="on_priority_input", targets=(_S.FAULT,)),
    (_S.BACKUP, PriorityChanged): _ANY_PRIO,
    (_S.BACKUP, FaultRaised): Transition(handler="on_fault_raised", targets=(_S.FAULT,)),
    (_S.BACKUP, FaultCleared): Transition(handler="on_fault_record"),
    (_S.BACKUP, Shutdown): Transition(handler="on_shutdown", targets=(_S.STOP,)),
    (_S.BACKUP, SyncToMaster): Transition(handler="on_sync_master", targets=(_S.MASTER,)),
    (_S.BACKUP, SyncToBackup): _drop(),
    (_S.BACKUP, SyncToFault): Transition(handler="on_sync_fault", targets=(_S.FAULT,)),
    # MASTER
    (_S.MASTER, NameStartFaults): _drop(),
    (_S.MASTER, AdvertReceived): Transition(handler="on_master_advert", targets=(_S.BACKUP,)),
    (_S.MASTER, MasterDownFired): _STALE_TIMER,
    (_S.MASTER, AdverTimerFired): Transition(handler="on_adver_timer"),
    (_S.MASTER, GarpTimerFired): Transition(handler="on_garp_timer"),
    (_S.MASTER, TrackerChanged): Transition(handler="on_priority_input", targets=(_S.FAULT,)),
    (_S.MASTER, PriorityChanged): _ANY_PRIO,
    (_S.MASTER, FaultRaised): Transition(handler="on_fault_raised", targets=(_S.FAULT,)),
    (_S.MASTER, FaultCleared): Transition(handler="on_fault_record"),
    (_S.MASTER, Shutdown): Transition(handler="on_shutdown", targets=(_S.STOP,)),
    (_S.MASTER, SyncToMaster): _drop(),
    (_S.MASTER, SyncToBackup): Transition(handler="on_sync_backup", targets=(_S.BACKUP,)),
    (_S.MASTER, SyncToFault): Transition(handler="on_sync_fault", targets=(_S.FAULT,)),
    # FAULT: no adverts sent or heeded, no VIPs held.
    (_S.FAULT, NameStartFaults): _drop(),
    (_S.FAULT, AdvertReceived): _drop(),
    (_S.FAULT, MasterDownFired): _STALE_TIMER,
    (_S.FAULT, AdverTimerFired): _STALE_TIMER,
    (_S.FAULT, GarpTimerFired): _STALE_TIMER,
    (_S.FAULT, TrackerChanged): Transition(handler="on_priority_input", targets=(_S.BACKUP, _S.MASTER)),
    (_S.FAULT, PriorityChanged): _ANY_PRIO,
    (_S.FAULT, FaultRaised): Transition(handler="on_fault_record"),
    (_S.FAULT, FaultCleared): Transition(handler="on_fault_cleared", targets=(_S.BACKUP, _S.MASTER)),
    (_S.FAULT, Shutdown): Transition(handler="on_shutdown", targets=(_S.STOP,)),
    (_S.FAULT, SyncToMaster): _drop(),
    (_S.FAULT, SyncToBackup): Transition(handler="on_sync_leave_fault", targets=(_S.BACKUP,)),
    (_S.FAULT, SyncToFault): _drop(),
    # STOP: final. A late packet, timer or tracker result is dropped; Shutdown is idempotent.
    (_S.STOP, NameStartFaults): _drop(),
    (_S.STOP, AdvertReceived): _drop(),
    (_S.STOP, MasterDownFired): _STALE_TIMER,
    (_S.STOP, AdverTimerFired): _STALE_TIMER,
    (_S.STOP, GarpTimerFired): _STALE_TIMER,
    (_S.STOP, TrackerChanged): _drop(),
    (_S.STOP, PriorityChanged): _drop(),
    (_S.STOP, FaultRaised): _drop(),
    (_S.STOP, FaultCleared): _drop(),
    (_S.STOP, Shutdown): _drop(),
    (_S.STOP, SyncToMaster): _drop(),
    (_S.STOP, SyncToBackup): _drop(),
    (_S.STOP, SyncToFault): _drop(),
}
# Deliberately absent: Startup in any state but INIT (starting twice is the caller's bug).


def render_mermaid() -> str:
    """The state diagram as a Mermaid block, one edge per (state, input, target) in the table."""
    lines = ["```mermaid", "stateDiagram-v2", "    [*] --> INIT"]
    for (state, kind), transition in TRANSITIONS.items():
        for target in transition.targets:
            if target is not state:
                lines.append(f"    {state.value} --> {target.value}: {kind.__name__}")
    lines.append("    STOP --> [*]")
    lines.append("```")
    return "\n".join(lines) + "\n"
