"""Test-wide rules: netns tests need root, and in CI a skipped test counts as a failure."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from tests.helpers.netns import Lab

# Timing is bench/'s business: a property test on a loaded machine must not fail on its clock.
settings.register_profile("alived", deadline=None)
settings.load_profile("alived")

# The venv holds alived's `keepalived` drop-in entry point; a test that runs `keepalived` by name
# means the real 2.2.7 binary, so an activated venv's bin directory is taken off PATH.
_OURS = Path(sys.prefix) / "bin"
os.environ["PATH"] = os.pathsep.join(
    p for p in os.environ.get("PATH", "").split(os.pathsep) if p and Path(p) != _OURS
)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI (counts as a failure): {report.longrepr}"


@pytest.fixture
def lab() -> Iterator[Lab]:
    """A fresh set of namespaces, all removed after the test whatever its outcome."""
    if os.geteuid() != 0:
        pytest.fail("netns tests need root (CI runs as root)")
    created = Lab()
    try:
        yield created
    finally:
        created.close()
