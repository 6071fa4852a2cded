"""track_file with two alived daemons on a real LAN: a written value moves mastership or faults the master.

The tracked file lives in the test's tmp directory; the daemons notice writes through inotify.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.helpers.netns import Lab
from tests.netns.test_daemon_vrrp import conf, instance, make_nodes, master_and_backup

pytestmark = pytest.mark.netns

TRACK = "  track_file {\n    tf\n  }\n"


def track_file_block(path: Path, weight: int, init: str = "") -> str:
    return f"""
track_file tf {{
  file {path}
  weight {weight}
{init}
}}
"""


def write_by_rename(path: Path, text: str) -> None:
    spare = path.with_name(path.name + ".new")
    spare.write_text(text)
    spare.rename(path)


def test_weighted_file_moves_mastership_and_survives_reload(lab: Lab, tmp_path: Path) -> None:
    a, b = make_nodes(lab, tmp_path)
    value = tmp_path / "a-value"
    value.write_text("0\n")
    a.write(conf(instance(150, extra=TRACK)) + track_file_block(value, -60))
    b.write(conf(instance(100)))
    a.start()
    b.start()
    master_and_backup(a, b)
    assert "track_file is not supported" not in a.log_text()
    value.write_text("1\n")
    a.wait_log("(VI_1) Changing effective priority from 150 to 90")
    master_and_backup(b, a)
    write_by_rename(value, "0\n")
    a.wait_log("(VI_1) Changing effective priority from 90 to 150")
    master_and_backup(a, b)
    # A reload keeps watching the file; the kept instance keeps its state.
    a.send(signal.SIGHUP)
    a.wait_log("Reload complete")
    assert a.has()
    value.write_text("garbage\n")  # reads as 0: nothing changes
    value.write_text("99999999999\n")
    a.wait_log(f"Invalid number 99999999999 read from {value} - ignoring")
    value.write_text("2\n")
    a.wait_log("(VI_1) Changing effective priority from 150 to 30")
    master_and_backup(b, a)
    value.unlink()  # a deleted file counts as 0
    a.wait_log("(VI_1) Changing effective priority from 30 to 150")
    master_and_backup(a, b)


def test_weight_zero_file_faults_and_recovers(lab: Lab, tmp_path: Path) -> None:
    a, b = make_nodes(lab, tmp_path)
    value = tmp_path / "a-value"
    value.write_text("0\n")
    a.write(conf(instance(150, extra=TRACK)) + track_file_block(value, 0))
    b.write(conf(instance(100)))
    a.start()
    b.start()
    master_and_backup(a, b)
    value.write_text("3\n")
    a.wait_log("(VI_1): tracked file tf now FAULT state")
    a.wait_log("(VI_1) Entering FAULT STATE")
    master_and_backup(b, a)
    value.write_text("0\n")
    a.wait_log("(VI_1): tracked file tf leaving FAULT state")
    a.wait_log("(VI_1) Entering BACKUP STATE")
    master_and_backup(a, b)


def test_init_file_creates_the_file_and_starts_in_fault(lab: Lab, tmp_path: Path) -> None:
    a, b = make_nodes(lab, tmp_path)
    value = tmp_path / "a-created"
    assert not value.exists()
    a.write(conf(instance(150, extra=TRACK)) + track_file_block(value, 0, init="  init_file 1"))
    b.write(conf(instance(100)))
    b.start()
    a.start()
    a.wait_log("(VI_1) entering FAULT state")
    assert "(VI_1): entering FAULT state (tracked file tf has status -254)" in a.log_text()
    assert "Entering FAULT STATE (init)" not in a.log_text()  # keepalived 2.2.7 does not log it
    assert value.read_text() == "1\n"
    master_and_backup(b, a)
    assert "Entering MASTER STATE" not in a.log_text()
    value.write_text("0\n")
    a.wait_log("(VI_1) Entering BACKUP STATE")
    master_and_backup(a, b)
