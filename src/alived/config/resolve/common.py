"""What every part of resolve shares: the diagnostics sink and keepalived's small precedence rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alived.config.diagnostics import Diagnostic, Severity
from alived.errors import Location


@dataclass(slots=True)
class Out:
    diagnostics: list[Diagnostic]
    # Past the point where keepalived gives up on an item, only the checks it made as it read
    # the block (those it locates) are still reported.
    located_only: bool = False

    def add(
        self,
        message: str,
        where: Location | None,
        severity: Severity = Severity.ERROR,
        *,
        refuse: bool = False,
        located: bool = True,
    ) -> None:
        if located or not self.located_only:
            self.diagnostics.append(Diagnostic(message, where, severity, refuse=refuse, located=located))


def unique_tracks(name: str, kind: str, entries: tuple[Any, ...], out: Out) -> tuple[Any, ...]:
    """keepalived tracks an object once per instance: a repeated entry is reported and dropped."""
    seen: set[str] = set()
    kept = []
    for entry in entries:
        if entry.name in seen:
            out.add(f"({name}) duplicate {kind} {entry.name} - ignoring", entry.location)
            continue
        seen.add(entry.name)
        kept.append(entry)
    return tuple(kept)


def first(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)
