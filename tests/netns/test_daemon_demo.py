"""`make demo` end to end (fast VRRPv3 timers): it completes, reports each step, and leaves nothing behind."""

from __future__ import annotations

import pytest

from alived import demo
from tests.helpers.netns import run

pytestmark = pytest.mark.netns


def test_demo_runs_and_cleans_up(capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main(["--advert-int", "0.2"]) == 0
    out = capsys.readouterr().out
    for step in ("1. Election: node-a is MASTER", "2. Crash:", "node-b answers on the VIP", "3. Recovery:",
                 "node-a answers again", "4. Graceful stop:", "Demo complete"):  # fmt: skip
        assert step in out, out
    assert "alived-demo-" not in run(["ip", "netns", "list"]).stdout
