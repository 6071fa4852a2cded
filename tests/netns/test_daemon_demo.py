"""`make demo` end to end (fast VRRPv3 timers): it completes, reports each step (VRRP, then the
load-balancing director pair), and leaves nothing behind."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from alived import demo
from tests.helpers.netns import run

pytestmark = pytest.mark.netns


def test_demo_runs_and_cleans_up(capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main(["--advert-int", "0.2"]) == 0
    out = capsys.readouterr().out
    for step in ("1. Election: node-a is MASTER", "2. Crash:", "node-b answers on the VIP", "3. Recovery:",
                 "node-a answers again", "4. Graceful stop:", "5. Balanced:", "6. A web server fails",
                 "Removing service [198.51.100.12]:tcp:80", "back in the pool", "7. Director crash",
                 "dir-b holds the VIPs: True", "Demo complete"):  # fmt: skip
        assert step in out, out
    lines = out.splitlines()
    balanced = next(line for line in lines if line.startswith("5. Balanced:"))
    assert all(f"web-{i}" in balanced for i in (1, 2, 3)), balanced
    without = next(line for line in lines if "next 60 requests" in line and "web-2 restarted" not in line)
    assert "web-2" not in without and "error" not in without, without
    through_b = next(line for line in lines if "60 requests through dir-b" in line)
    assert all(f"web-{i}" in through_b for i in (1, 2, 3)), through_b
    assert "alived-demo-" not in run(["ip", "netns", "list"]).stdout


def test_ctrl_c_in_the_load_balancing_part_cleans_up() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "alived.demo", "--advert-int", "0.2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        seen = b""
        for line in proc.stdout:
            seen += line
            if line.startswith(b"5. Balanced:"):
                break
        assert b"5. Balanced:" in seen, seen.decode(errors="replace")
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, rest.decode(errors="replace")
    assert "alived-demo-" not in run(["ip", "netns", "list"]).stdout
