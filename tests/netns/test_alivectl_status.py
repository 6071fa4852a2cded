"""`alivectl status [--json]` against a running alived: what the operator sees per instance."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from alived.core.vrrp import stats
from tests.helpers.netns import Lab, wait_for
from tests.netns.test_daemon_vrrp import VIP, conf, instance, make_nodes

pytestmark = pytest.mark.netns

ALIVECTL = str(Path(sys.executable).parent / "alivectl")


def alivectl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ALIVECTL, *args], capture_output=True, text=True, timeout=20, check=False)


def test_status_shows_each_instance_of_the_running_daemon(lab: Lab, tmp_path: Path) -> None:
    (a,) = make_nodes(lab, tmp_path, 1)
    a.write(
        conf(
            instance(150),
            instance(90, name="VI_2", vrid=52, vips=("198.51.100.7/24", "198.51.100.8/24")),
        )
    )
    a.start()
    wait_for(lambda: a.has() and a.has("198.51.100.7"), what="both instances master")

    text = alivectl("status", "--pid-file", str(a.vrrp_pid_file))
    assert text.returncode == 0, text.stderr
    rows = [line.split() for line in text.stdout.splitlines()]
    assert rows[0] == [
        "INSTANCE",
        "STATE",
        "PRIO",
        "BASE",
        "VRID",
        "INTERFACE",
        "MASTER",
        "SINCE",
        "REASON",
        "VIPS",
    ]
    # MASTER is the master as last heard (itself, once it advertised); SINCE is a local time.
    assert sorted(row[:7] + row[8:] for row in rows[1:]) == [
        ["VI_1", "MASTER", "150", "150", "51", "eth0", "192.0.2.1", "master_down", f"{VIP}/24"],
        [
            "VI_2",
            "MASTER",
            "90",
            "90",
            "52",
            "eth0",
            "192.0.2.1",
            "master_down",
            "198.51.100.7/24,198.51.100.8/24",
        ],
    ]

    as_json = alivectl("status", "--json", "--pid-file", str(a.vrrp_pid_file))
    assert as_json.returncode == 0, as_json.stderr
    document = json.loads(as_json.stdout)
    assert document["version"] == 1  # docs/status-json.md
    by_name = {row["name"]: row for row in document["instances"]}
    counters = by_name["VI_1"].pop("stats")
    assert by_name["VI_1"].pop("last_transition") > 0
    assert by_name["VI_1"].pop("last_transition_from") == "BACKUP"
    assert by_name["VI_1"].pop("last_transition_reason") == "master_down"
    assert by_name["VI_1"].pop("master_router") == "192.0.2.1"
    assert by_name["VI_1"].pop("master_priority") == 150
    assert by_name["VI_1"].pop("garp_delay") == 5.0
    assert by_name["VI_1"].pop("gratuitous_arps_sent") >= 5  # garp_master_repeat for its VIP
    assert by_name["VI_1"].pop("unsolicited_nas_sent") == 0
    assert by_name["VI_1"].pop("sync_group") == ""
    assert by_name["VI_1"].pop("tracked") == by_name["VI_1"].pop("excluded_vips") == []
    assert by_name["VI_1"].pop("split_brain_count") == 0 and by_name["VI_1"].pop("split_brain_since") is None
    assert list(counters) == list(stats.ALL) and counters["advert_sent"] > 0
    assert by_name["VI_1"] == {
        "name": "VI_1",
        "state": "MASTER",
        "priority": 150,
        "base_priority": 150,
        "vrid": 51,
        "interface": "eth0",
        "vips": [f"{VIP}/24"],
    }
    assert by_name["VI_2"]["vips"] == ["198.51.100.7/24", "198.51.100.8/24"]
    assert a.stop() == 0

    # Nobody answers once the daemon is gone: a message and exit code 1, no traceback.
    gone = alivectl("status", "--pid-file", str(a.vrrp_pid_file))
    assert gone.returncode == 1
    assert "no alived VRRP process answers" in gone.stderr and "Traceback" not in gone.stderr
