"""A fake probe (the Probe protocol) for the checker child's unit tests: scripted, no network."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from alived.checkers.base import Probe, Target
from alived.config import model_check
from alived.core.check.result import ProbeResult

UP = ProbeResult(success=True, reason="ok", log_text="")
DOWN = ProbeResult(success=False, reason="connection refused", log_text="")


class FakeProbe:
    """Answers from `results(n)` (n = attempt number from 1); `hang=True` never answers."""

    keyword = "TCP_CHECK"

    def __init__(
        self, name: str, results: Callable[[int], ProbeResult] = lambda n: UP, *, hang: bool = False
    ) -> None:
        self.name = name
        self.results = results
        self.hang = hang
        self.attempts = 0
        self.attempted = asyncio.Event()

    @property
    def identity(self) -> tuple[object, ...]:
        return ("fake", self.name)

    async def attempt(self) -> ProbeResult:
        self.attempts += 1
        self.attempted.set()
        if self.hang:
            await asyncio.Event().wait()
        return self.results(self.attempts)


class FakeProbes:
    """A probe builder for daemon.check.params.build: one FakeProbe per (address, port)."""

    def __init__(self) -> None:
        self.made: dict[str, FakeProbe] = {}

    def __call__(self, checker: model_check.Checker, target: Target, vs_virtualhost: str | None) -> Probe:
        name = f"{target.address}:{target.port}"
        return self.made.setdefault(name, FakeProbe(name))
