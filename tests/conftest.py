"""Test-wide rules: netns tests need root, and in CI a skipped test counts as a failure."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.helpers.netns import Lab


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
