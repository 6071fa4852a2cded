"""`process-json` on both children's status sockets: reloads and the kernel operations tally."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from alived.daemon import process_status
from alived.daemon.check.status import CheckStatusServer
from alived.daemon.options import Options
from alived.daemon.status import StatusServer
from alived.daemon.vrrp.child import VrrpChild
from alived.daemon.vrrp.reload import reload
from alived.linux import kernel_ops
from alived.linux.kernel_ops import KernelOps
from tests.unit.daemon.test_reload import conf, running_child


def test_the_tally_counts_by_subsystem_and_operation() -> None:
    tally = KernelOps()
    assert tally.snapshot() == {"total": 0, "netlink": {}, "nftables": {}, "ipvs": {}, "sysctl": {}}
    tally.count("netlink", "addr_add")
    tally.count("netlink", "addr_add")
    tally.count("nftables", "transaction")
    tally.count("ipvs", "new_dest", 3)
    snap = tally.snapshot()
    assert snap["total"] == 6
    assert snap["netlink"] == {"addr_add": 2}
    assert snap["nftables"] == {"transaction": 1}
    assert snap["ipvs"] == {"new_dest": 3}


def test_both_status_sockets_answer_process_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kernel_ops, "TALLY", KernelOps())
    monkeypatch.setattr(process_status, "RELOADS", process_status.Reloads())
    kernel_ops.count("netlink", "route_add")
    process_status.RELOADS.done(True, 0.0125)
    vrrp = StatusServer("/nonexistent/vrrp.sock", list)
    check = CheckStatusServer("/nonexistent/checkers.sock", dict)
    for server in (vrrp, check):
        doc = json.loads(server.answer("process-json"))
        assert doc["pid"] == os.getpid()
        assert doc["reloads"] == {"count": 1, "failed": 0, "last_ok": True, "last_seconds": 0.0125}
        assert doc["kernel_ops"]["total"] == 1
        assert doc["kernel_ops"]["netlink"] == {"route_add": 1}


def test_the_vrrp_child_counts_its_reloads_and_failures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(process_status, "RELOADS", process_status.Reloads())
    path = tmp_path / "keepalived.conf"
    path.write_text("vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n}\n")
    child = VrrpChild(Options(config_file=str(path)))
    assert reload(child) is False  # not started: no running config to reload from
    assert process_status.RELOADS.document()["failed"] == 1
    assert process_status.RELOADS.last_ok is False and process_status.RELOADS.count == 1
    child = running_child(tmp_path, conf("192.0.2.100/24"))
    assert reload(child) is True
    assert process_status.RELOADS.count == 2 and process_status.RELOADS.failed == 1
    assert process_status.RELOADS.last_ok is True
    assert process_status.RELOADS.last_seconds is not None and process_status.RELOADS.last_seconds > 0
