"""Which notify scripts run for a state change, and with which arguments (keepalived's convention).

The state-specific scripts (`notify_master`, `notify_backup`, ...) get no arguments
appended. The generic `notify` script gets `INSTANCE|GROUP NAME STATE PRIORITY` appended
after its own arguments, runs after the specific one, and groups always report priority 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from alived.linux.scripts import ScriptCommand

NotifyKind = Literal["INSTANCE", "GROUP"]

# keepalived's notify state words.
STATES = ("MASTER", "BACKUP", "FAULT", "STOP", "DELETED", "MASTER_RX_LOWER_PRI")
# The states the generic `notify` script hears; priority-change events only reach the FIFOs.
GENERIC_STATES = frozenset({"MASTER", "BACKUP", "FAULT", "STOP", "DELETED"})


@dataclass(frozen=True, slots=True, kw_only=True)
class NotifyScripts:
    """The scripts configured for one instance or sync group; `specific` is keyed by state word."""

    specific: Mapping[str, ScriptCommand] = field(default_factory=dict)
    generic: ScriptCommand | None = None
    notify_deleted: bool = False

    @property
    def empty(self) -> bool:
        return not self.specific and self.generic is None


def generic_notify_args(kind: NotifyKind, name: str, state: str, priority: int) -> tuple[str, str, str, str]:
    """The four arguments appended to the generic `notify` script."""
    return (kind, name, state, str(0 if kind == "GROUP" else priority))


def reported_state(state: str, scripts: NotifyScripts) -> str:
    """An instance removed on reload is reported as FAULT unless `notify_deleted` is set."""
    if state == "DELETED" and not scripts.notify_deleted:
        return "FAULT"
    return state


def commands_for(
    scripts: NotifyScripts, *, kind: NotifyKind, name: str, state: str, priority: int
) -> list[ScriptCommand]:
    """The script invocations for one event, in keepalived's order: specific, then generic."""
    word = reported_state(state, scripts)
    out: list[ScriptCommand] = []
    # keepalived picks the specific script before it reports a deletion as FAULT: a removed
    # instance without notify_deleted runs no notify_fault, only the generic script.
    specific = scripts.specific.get("DELETED" if state == "DELETED" else word)
    if specific is not None:
        out.append(specific)
    if scripts.generic is not None and word in GENERIC_STATES:
        out.append(scripts.generic.with_args(*generic_notify_args(kind, name, word, priority)))
    return out
