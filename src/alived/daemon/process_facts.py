"""What the parent knows about itself, for its metrics: restarts, reloads, config load time.

Apart from daemon/metrics.py so that the parent holds these facts without importing
prometheus_client, which only a configured metrics endpoint needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class ProcessFacts:
    """What the parent knows about itself: children's restarts and liveness, reloads, config load time."""

    version: str = ""
    keepalived_compat: str = ""
    commit: str = ""  # the wheel's git commit (alived.build_info), "unknown" from a source tree
    started_at: float = 0.0
    restarts: dict[str, int] = field(default_factory=dict)
    reloads: int = 0
    reloads_refused: int = 0  # `alivectl reload` refused a config with errors: nothing signalled
    last_reload_ok: bool | None = None
    config_load_seconds: float | None = None

    def reloaded(self, ok: bool, seconds: float) -> None:
        self.reloads += 1
        self.last_reload_ok = ok
        self.config_load_seconds = seconds

    def refused(self) -> None:
        self.reloads_refused += 1
