"""The outcome of one probe attempt: the contract between checkers/ (probes) and core/check (verdicts)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeResult:
    """One attempt against one real server.

    `reason` is a few stable words for status and metrics ("connection refused", "timeout",
    "status code 500", "digest mismatch"); `log_text` is keepalived's log line for the attempt
    when keepalived writes one (empty otherwise). `dynamic_weight` is MISC_CHECK's misc_dynamic
    weight (exit status - 2) when the script asked for one: it replaces the real server's weight.
    `weight_offset` is FILE_CHECK's value x weight, which keepalived adds to the real server's
    configured weight instead.
    """

    success: bool
    reason: str
    log_text: str = ""
    dynamic_weight: int | None = None
    weight_offset: int | None = None
