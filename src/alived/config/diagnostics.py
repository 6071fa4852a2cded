"""Config diagnostics in keepalived's form `(FILE: Line N) message`, and the -t exit code they imply."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from alived.errors import Location


class Severity(enum.IntEnum):
    """Ordered so that the worst diagnostic decides the config-test exit code."""

    LOG = -1  # a line keepalived only logs at run time (LOG_INFO): `-t` does not print it
    INFO = 0  # logged, does not make the config unclean
    WARNING = 1  # keepalived's WARNING / DEPRECATED: rc 5
    ERROR = 2  # item skipped or corrected: rc 5
    SECURITY = 3  # script security violation: rc 6
    FATAL = 4  # cannot run (missing file, fatal error): rc 4


@dataclass(frozen=True, slots=True)
class Diagnostic:
    message: str
    location: Location | None = None
    severity: Severity = Severity.ERROR
    keyword: str = ""

    def __str__(self) -> str:
        if self.location is None:
            return self.message
        return f"{self.location} {self.message}"


EXIT_OK = 0
EXIT_CANNOT_RUN = 4
EXIT_CONFIG_PROBLEMS = 5
EXIT_SCRIPT_SECURITY = 6


def config_test_exit_code(diagnostics: Iterable[Diagnostic]) -> int:
    """keepalived 2.2.7 `-t`: 0 clean, 4 cannot run, 6 script security, 5 other problems."""
    worst = max((d.severity for d in diagnostics), default=Severity.INFO)
    if worst == Severity.FATAL:
        return EXIT_CANNOT_RUN
    if worst == Severity.SECURITY:
        return EXIT_SCRIPT_SECURITY
    if worst >= Severity.WARNING:
        return EXIT_CONFIG_PROBLEMS
    return EXIT_OK
