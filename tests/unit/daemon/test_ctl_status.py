"""`alivectl status` against a stand-in status socket: text, JSON, and the failure paths."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import socketserver
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from alived.core.vrrp import stats
from alived.core.vrrp.instance import TrackerState
from alived.core.vrrp.params import TrackerSpec
from alived.core.vrrp.tracker import TrackerKind
from alived.ctl import main
from alived.daemon.status import StatusServer, format_table
from alived.daemon.vrrp.dumps import InstanceReport, json_document

REPORTS = [
    InstanceReport(
        iname="VI_1",
        state="BACKUP",
        wantstate="BACKUP",
        interface="eth0",
        vrid=51,
        version=3,
        base_priority=100,
        effective_priority=90,
        adver_int_us=1_000_000,
        master_adver_int_us=1_000_000,
        accept=True,
        nopreempt=False,
        preempt_delay_us=0,
        auth_type=0,
        vips=("192.0.2.100/24 dev eth0 scope global", "2001:db8::1/64 dev eth0 scope global"),
        stats={**dict.fromkeys(stats.ALL, 0), "packet_len_err": 2, "vers_err": 1},
    )
]


@contextlib.contextmanager
def serve(path: Path, answer: str = "") -> Iterator[Path]:
    """A status socket at `path` answering as the daemon's would (or always `answer`)."""

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            request = self.rfile.readline().decode().strip()
            text = answer if answer else StatusServer(str(path), lambda: REPORTS).answer(request)
            self.wfile.write(text.encode())

    server = socketserver.ThreadingUnixStreamServer(str(path), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield path
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def sock(tmp_path: Path) -> Iterator[Path]:
    with serve(tmp_path / "vrrp.sock") as path:
        yield path


def test_text_table_names_state_priority_and_vips(sock: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--pid-file", str(sock.with_suffix(".pid"))]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert rows == [
        ["INSTANCE", "STATE", "PRIO", "BASE", "VRID", "INTERFACE", "MASTER", "SINCE", "REASON", "VIPS"],
        ["VI_1", "BACKUP", "90", "100", "51", "eth0", "-", "-", "-", "192.0.2.100/24,2001:db8::1/64"],
    ]


def test_text_table_shows_master_last_transition_and_tracked_objects(tmp_path: Path) -> None:
    spec = TrackerSpec(kind=TrackerKind.SCRIPT, name="chk_web", weight=-10)
    report = dataclasses.replace(
        REPORTS[0],
        master_router="192.0.2.2",
        last_transition=time.mktime((2026, 12, 2, 9, 30, 5, 0, 0, -1)),
        last_transition_reason="higher_priority",
        trackers=(TrackerState(spec=spec, ok=False, value=None, contribution=-10, faulting=False),),
    )
    lines = format_table([report]).splitlines()
    assert lines[1].split()[6:9] == ["192.0.2.2", "2026-12-02T09:30:05", "higher_priority"]
    assert lines[2] == "VI_1 tracks script chk_web: FAILED (weight -10, priority -10)"
    assert len(lines) == 3


def test_text_table_says_when_a_split_brain_lasts() -> None:
    since = time.mktime((2026, 12, 2, 9, 31, 0, 0, 0, -1))
    report = dataclasses.replace(REPORTS[0], split_brain_count=1, split_brain_since=since)
    lines = format_table([report]).splitlines()
    assert lines[2] == "VI_1 SPLIT BRAIN since 2026-12-02T09:31:00: another master holds its VIPs"
    over = dataclasses.replace(REPORTS[0], split_brain_count=1, split_brain_since=None)
    assert len(format_table([over]).splitlines()) == 2


def test_json(sock: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--json", "--socket", str(sock)]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer.pop("process")["kernel_ops"]["total"] >= 0  # daemon/process_status.py
    assert answer == {
        "version": 1,
        "instances": [
            {
                "name": "VI_1",
                "state": "BACKUP",
                "priority": 90,
                "base_priority": 100,
                "vrid": 51,
                "interface": "eth0",
                "sync_group": "",
                "vips": ["192.0.2.100/24", "2001:db8::1/64"],
                "excluded_vips": [],
                "master_router": "",
                "master_priority": 0,
                "last_transition": 0.0,
                "last_transition_from": "",
                "last_transition_reason": "",
                "garp_delay": 5.0,
                "gratuitous_arps_sent": 0,
                "unsolicited_nas_sent": 0,
                "tracked": [],
                # every counter, keepalived's and the extra ones, in the one table's order
                "stats": {**dict.fromkeys(stats.ALL, 0), "packet_len_err": 2, "vers_err": 1},
                "split_brain_count": 0,
                "split_brain_since": None,
            }
        ],
    }
    assert list(json.loads(json.dumps(REPORTS[0].stats))) == list(stats.ALL)


def test_nobody_listening(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--pid-file", str(tmp_path / "vrrp.pid")]) == 1
    err = capsys.readouterr().err
    assert f"no alived VRRP process answers on {tmp_path / 'vrrp.sock'}" in err


def test_an_answer_that_is_not_the_dump_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with serve(tmp_path / "odd.sock", json.dumps({"not": "a list"})) as path:
        assert main(["status", "--json", "--socket", str(path)]) == 1
    assert "unexpected answer" in capsys.readouterr().err
    document = json_document(REPORTS)
    assert document[0]["data"]["state"] == 1  # BACKUP, as keepalived numbers it
