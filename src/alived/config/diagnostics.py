"""Config diagnostics in keepalived's form `(FILE: Line N) message`, and the -t exit code they imply."""

from __future__ import annotations

import dataclasses
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
    FATAL = 4  # cannot run (missing file, bad interface, fatal error): rc 4 when nothing milder
    ABORT = 5  # a keyword without its parameter: keepalived exits 2 on the spot, daemon or -t


@dataclass(frozen=True, slots=True)
class Diagnostic:
    message: str
    location: Location | None = None
    severity: Severity = Severity.ERROR
    keyword: str = ""
    # keepalived's daemon refuses to start on this one (its child exits 2), though -t only counts it
    refuse: bool = False
    # False for a check keepalived makes once the file is read: it writes no `(FILE: Line N)`
    # prefix there, so `-t` and the daemon's log do not either (alivectl still shows the place)
    located: bool = True
    # keepalived's parent process reads the main file as its only file, so it writes `(Line N)`
    # with no file name there (global_defs, the include lines, the root level)
    bare: bool = False

    def __str__(self) -> str:
        if self.location is None:
            return self.message
        return f"{self.location} {self.message}"

    def keepalived_text(self) -> str:
        """The line as keepalived 2.2.7 writes it: located only where keepalived locates it."""
        if not self.located:
            return self.message
        if self.bare and self.location is not None:
            return f"(Line {self.location.line}) {self.message}"
        return str(self)


def as_parent(diagnostic: Diagnostic, main: str | None, *, also_child: bool = False) -> list[Diagnostic]:
    """A diagnostic keepalived's parent reports (and, also_child, its children too): in the main
    file the parent's copy has the file-less `(Line N)` form."""
    where = diagnostic.location
    if main is None or where is None or where.file != main or not diagnostic.located:
        return [diagnostic]
    bare = dataclasses.replace(diagnostic, bare=True)
    return [bare, diagnostic] if also_child else [bare]


EXIT_OK = 0
EXIT_CONFIG = 2  # keepalived's KEEPALIVED_EXIT_CONFIG: the parser gave up, the daemon never starts
EXIT_CANNOT_RUN = 4
EXIT_CONFIG_PROBLEMS = 5
EXIT_SCRIPT_SECURITY = 6


def config_test_exit_code(diagnostics: Iterable[Diagnostic]) -> int:
    """keepalived 2.2.7 `-t`: 2 gave up, 6 script security, 5 problems, 4 cannot run, 0 clean.

    keepalived keeps the *mildest* error class it met (its enum runs from most to least severe
    and it stores the larger value), so one ordinary error turns a cannot-run 4 into 5; a
    missing parameter exits 2 at once, before any later verdict.
    """
    seen = {d.severity for d in diagnostics}
    if Severity.ABORT in seen:
        return EXIT_CONFIG
    if Severity.SECURITY in seen:
        return EXIT_SCRIPT_SECURITY
    if Severity.WARNING in seen or Severity.ERROR in seen:
        return EXIT_CONFIG_PROBLEMS
    if Severity.FATAL in seen:
        return EXIT_CANNOT_RUN
    return EXIT_OK


def daemon_exit_code(diagnostics: Iterable[Diagnostic]) -> int | None:
    """The exit code keepalived's daemon stops with before running this config, or None if it runs.

    A missing parameter ends the parser (exit 2); a non-existent interface or an instance that
    cannot be completed makes the VRRP child exit 2, and the parent with it.
    """
    for d in diagnostics:
        if d.severity == Severity.ABORT or d.refuse:
            return EXIT_CONFIG
    return None
