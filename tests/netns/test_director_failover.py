"""Two alived directors (priorities 150/100, the same virtual server): the master dies while a
client sends requests through the VIP; traffic resumes through the backup and all three real
servers serve through it. The interruption and the requests lost are printed (figures for
bench/, not assertions: bench/bench_director.py measures them over several runs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.director_lab import RS_ADDR, build, kill_master_and_measure, served_by, start_directors
from tests.helpers.netns import Lab

pytestmark = pytest.mark.netns


def test_traffic_resumes_through_the_backup_director(lab: Lab, tmp_path: Path) -> None:
    dl = build(lab, tmp_path, ("d1", "d2"))
    master = start_directors(dl)
    assert master.name == "d1"  # priority 150
    dl.client.start()
    dl.client.wait_count(60)
    before = dl.client.requests()
    assert all(r.ok for r in before) and set(served_by(before)) == set(RS_ADDR), served_by(before)
    result = kill_master_and_measure(dl)
    assert result.new_master == "d2"
    assert set(result.after) == set(RS_ADDR), result.after
    print(f"\nfailover: interruption {result.interruption * 1000:.0f} ms, {result.lost} requests lost")
