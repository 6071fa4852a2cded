"""The seeds' two-node hot standby end to end: the service dies, the VIP moves; it returns, so does the VIP.

alived runs the seeds' pair of configs (tests/helpers/hot_standby.py says which lines a lab has to
change and why) on nodes a (MASTER, priority 100) and b (BACKUP, 90), each in front of its own web
service, with a client namespace polling the VIP. Stopping a's service makes a's check fail (the
seeds' `killall -0` script, or a vrrp_track_process in its place), a's priority drops by 20 below
b's, and b takes the VIP: the client then gets b's answer. Starting the service again brings a's
priority back and a preempts. a's log lines are checked in keepalived 2.2.7's order, and the
script case runs with keepalived on both nodes as well, under the same assertions. The failed
client requests of each move are printed (`pytest -s`); timings are bench/bench_seeds.py's
business, not asserted here.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.helpers.hot_standby import HotStandby
from tests.helpers.netns import Lab, wait_for

pytestmark = pytest.mark.netns

# Generous bounds for a loaded 2-core CI host: the seeds' script needs up to interval x fall = 4 s
# to fail, then b waits out Master_Down_Interval (3.65 s).
MOVE_TIMEOUT_S = 40.0


# What a's log says when its check fails and passes again, per kind of check. For the script these
# are keepalived 2.2.7's lines in this scenario, in its order (bench/bench_seeds.py runs it).
LINES = {
    "script": (
        ("Script `chk_nginx` now returning 1", "VRRP_Script(chk_nginx) failed (exited with status 1)"),
        ("Script `chk_nginx` now returning 0", "VRRP_Script(chk_nginx) succeeded"),
    ),
    "process": (
        ("Quorum lost for tracked process chk_nginx",),
        ("Quorum gained for tracked process chk_nginx",),
    ),
}
LEAVE = (
    "(VI_1) Changing effective priority from 100 to 80",
    "(VI_1) Master received advert from 192.0.2.2 with higher priority 90, ours 80",
    "(VI_1) Entering BACKUP STATE",
    "(VI_1) removing VIPs.",
)
RETURN = (
    "(VI_1) Changing effective priority from 80 to 100",
    "(VI_1) received lower priority (90) advert from 192.0.2.2 - discarding",
    "(VI_1) Receive advertisement timeout",
    "(VI_1) Entering MASTER STATE",
    "(VI_1) setting VIPs.",
)


def in_order(log: str, start: str, lines: tuple[str, ...]) -> bool:
    """Each of `lines` appears in `log` after the last `start`, in this order."""
    at = log.rfind(start)
    for line in lines:
        at = log.find(line, at)
        if at < 0:
            return False
    return True


# keepalived runs the script case too, proving the lines above are its own; its track_process cannot
# run here (the kernel refuses its process connector outside the initial network namespace).
@pytest.mark.parametrize(
    ("kind", "track"), [("alived", "script"), ("alived", "process"), ("keepalived", "script")]
)
def test_service_stop_moves_the_vip_and_its_return_preempts(
    lab: Lab, tmp_path: Path, kind: str, track: str
) -> None:
    lost, gained = LINES[track]
    hs = HotStandby(lab, tmp_path, kind, track)
    hs.build()
    hs.start(MOVE_TIMEOUT_S)
    a, b = hs.daemons["a"], hs.daemons["b"]
    poller = hs.poller
    assert poller is not None
    assert "(VI_1) Entering MASTER STATE" not in b.log_text()
    assert a.has_vip() and not b.has_vip()
    # The client's latest request may have timed out on a loaded host: its next one is a's.
    wait_for(lambda: poller.last() == "a", timeout=40, what="the client answered by a")

    hs.web["a"].stop()
    # Taken once a's server is gone: a request started a moment before could still be a's.
    died = time.monotonic()
    first_b = hs.wait_serving("b", died, MOVE_TIMEOUT_S, "the VIP to move to b once a's service died")
    a_log = a.log_text()
    assert in_order(a_log, "(VI_1) Entering MASTER STATE", lost + LEAVE), a_log[-3000:]
    wait_for(lambda: "master" in hs.notify_log.read_text(), timeout=40, what="b's notify_master")
    # While a's service is down every answer the client gets is b's.
    while_down = poller.requests(died)
    assert {got for _, got in while_down} <= {"b", "-"}, while_down

    restarted = time.monotonic()
    hs.web["a"].start()
    first_a = hs.wait_serving("a", restarted, MOVE_TIMEOUT_S, "a to preempt once its service is back")
    a_log = a.log_text()
    assert in_order(a_log, "(VI_1) removing VIPs.", gained + RETURN), a_log[-3000:]
    assert a_log.count("(VI_1) Entering MASTER STATE") == 2, a_log[-3000:]
    wait_for(lambda: "backup" in hs.notify_log.read_text().split("master", 1)[-1], what="b's notify_backup")
    assert not b.has_vip()
    for daemon in (a, b):
        assert daemon.proc is not None and daemon.proc.poll() is None, daemon.log_text()[-3000:]
    print(
        f"\n{kind} {track}: VIP answered from b {first_b - died:.2f} s after a's service died "
        f"({poller.failures(died, first_b)} failed requests), from a {first_a - restarted:.2f} s "
        f"after it restarted ({poller.failures(restarted, first_a)} failed requests)"
    )
