"""A recording LbBackend twin: holds an LbState, records every apply, can refuse chosen operations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from alived.core.lb.model import LbState, ServiceKey
from alived.core.lb.plan import Op, apply_ops, describe
from alived.lb.base import Counters, OpFailure


@dataclass
class RecordingBackend:
    """Applies operations with core/lb/plan.apply_ops semantics; `refuse(op)` names ops to fail."""

    name: str = "recording"
    state: LbState = field(default_factory=LbState)
    applied: list[tuple[Op, ...]] = field(default_factory=list)
    refuse: Callable[[Op], bool] = lambda op: False

    def read_actual(self) -> LbState:
        return self.state

    def apply(self, ops: tuple[Op, ...]) -> tuple[OpFailure, ...]:
        self.applied.append(ops)
        failures = []
        for op in ops:
            if self.refuse(op):
                failures.append(OpFailure(op=op, error=f"refused: {describe(op)}"))
                continue
            self.state = apply_ops(self.state, [op])
        return tuple(failures)

    def counters(self) -> dict[ServiceKey, Counters]:
        return {vs.key: Counters() for vs in self.state.services}
