"""Errors that say whose fault and where: the user's config, the peer's packet, the kernel, or us."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a configuration file; line is 1-based, column 1-based or 0 when unknown."""

    file: str
    line: int
    column: int = 0

    def __str__(self) -> str:
        return f"({self.file}: Line {self.line})"


class AlivedError(Exception):
    """Base of alived's own errors."""


class ConfigError(AlivedError):
    """The configuration is wrong at a known place (the user's fault)."""

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        if self.location is None:
            return self.message
        return f"{self.location} {self.message}"


class DecodeError(AlivedError):
    """A received packet is malformed (the peer's fault); `reason` is a stable counter key."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class BackendError(AlivedError):
    """A kernel operation failed; names the operation and errno."""

    def __init__(self, operation: str, errno: int | None = None, detail: str = "") -> None:
        text = operation if errno is None else f"{operation}: errno {errno}"
        super().__init__(f"{text} {detail}".strip())
        self.operation = operation
        self.errno = errno


class LocalMisuse(AlivedError):
    """alived used its own API wrongly (our bug): fail loudly."""
