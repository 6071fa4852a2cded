"""docs/status-json.md is the status documents' reference: what it lists is what the children emit.

The VRRP document comes from the real `VrrpChild` on the fake twins (tests/helpers/fake_linux.py)
with every kind of tracked object, after it became MASTER; the checker document from the real
checker core and `document()` with load-balancer counters. Each documented field must be emitted
with one of its documented types, and every emitted field must be documented.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import pytest

from alived.config.diagnostics import Severity
from alived.config.load import load_text
from alived.core.check.engine import CheckerCore
from alived.daemon.check.status import document
from alived.daemon.options import Options
from alived.daemon.status import STATUS_VERSION, instance_rows, status_document
from alived.daemon.vrrp.child import VrrpChild
from alived.daemon.vrrp.translate import translate
from alived.lb.base import Counters
from alived.linux.netlink import AddressSpec
from alived.units import SECOND, Ticks
from tests.helpers.fake_linux import (
    FakeDeadlineTimer,
    FakeL2Socket,
    FakeNetlink,
    FakeVrrp4Socket,
    FakeVrrp6Socket,
    reset_fake_sockets,
)
from tests.unit.check.harness import FAIL, OK, checker, real, virtual

DOC = Path(__file__).parents[3] / "docs" / "status-json.md"
# Objects whose keys are data (counter names), not fields: documented as one field.
MAPS = {
    "instances[].stats",
    *(f"process.kernel_ops.{sub}" for sub in ("netlink", "nftables", "ipvs", "sysctl")),
}
TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
    "list": (list,),
    "object": (dict,),
}

CONF = """
vrrp_script chk_web {
  script "/bin/true"
  weight 10
}
vrrp_track_file flag {
  file "FLAG"
  weight 5
}
vrrp_track_process web {
  process nginx
  weight -30
}
vrrp_sync_group G1 {
  group { VI_1 }
  sync_group_tracking_weight
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress {
    192.0.2.100/24
  }
  track_interface {
    eth1 weight -20
  }
  track_script {
    chk_web
  }
  track_file {
    flag
  }
  track_process {
    web
  }
}
"""


def documented(section: str) -> dict[str, set[str]]:
    """Field path -> the type words of its row, from the section's table."""
    text = DOC.read_text()
    body = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    fields: dict[str, set[str]] = {}
    for match in re.finditer(r"^\| `([^`]+)` \| ((?:[^|\\]|\\\|)+?) \|", body, re.MULTILINE):
        words = set(match.group(2).replace("\\", "").split("|"))
        assert words <= set(TYPES), (match.group(1), words)
        fields[match.group(1)] = words
    assert fields, section
    return fields


def flatten(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(path, value) of every field: a list's items share `path[]`, an object's keys `path.key`."""
    if path:
        yield path, value
    if isinstance(value, dict) and path not in MAPS:
        for key, item in value.items():
            yield from flatten(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                for sub, inner in flatten(item, f"{path}[]"):
                    if sub != f"{path}[]":
                        yield sub, inner


def check_against(section: str, doc: Any) -> None:
    fields = documented(section)
    emitted: dict[str, list[Any]] = {}
    for path, value in flatten(json.loads(json.dumps(doc))):
        emitted.setdefault(path, []).append(value)
    assert sorted(set(emitted) - set(fields)) == [], "emitted but not in docs/status-json.md"
    assert sorted(set(fields) - set(emitted)) == [], "documented but not emitted"
    for path, values in emitted.items():
        allowed = tuple(t for word in fields[path] for t in TYPES[word])
        for value in values:
            is_bool = isinstance(value, bool)
            ok = isinstance(value, allowed) and (not is_bool or bool in allowed)
            assert ok, (path, value, fields[path])


async def run_child(tmp_path: Path) -> dict[str, Any]:
    """Start the child on the fakes, let it become MASTER, and take its status document."""
    flag = tmp_path / "flag"
    flag.write_text("2\n")
    now = [Ticks(SECOND)]
    child = VrrpChild(
        Options(config_file=str(tmp_path / "keepalived.conf")),
        now=lambda: now[0],
        open4=FakeVrrp4Socket.open,
        open6=FakeVrrp6Socket.open,
        open_l2=FakeL2Socket.open,
    )
    netlink = FakeNetlink()
    netlink.add_link("eth0")
    netlink.add_link("eth1")
    netlink.add_fake_address(AddressSpec(address=IPv4Address("192.0.2.1"), prefixlen=24, dev="eth0"))
    child.netlink = netlink  # type: ignore[assignment]
    timer = FakeDeadlineTimer(None, child.driver.on_timer)
    child.timer = timer  # type: ignore[assignment]
    result = load_text(CONF.replace("FLAG", str(flag)), interfaces={"eth0", "eth1"})
    # Warnings only: a one-member sync group, scripts without script_security.
    assert not [d for d in result.diagnostics if d.severity is Severity.ERROR]
    child.config = result.config
    child.plans = {p.name: p for p in translate(result.config, child.primary_address)}
    for plan in child.plans.values():
        child.open_socket(plan)
    child.rebuild_socket_index()
    child.start_units(child.build_units(result.config, set(child.plans)))
    end = Ticks(10 * SECOND)  # past the master-down timer: MASTER, GARPs sent
    while timer.deadline is not None and timer.deadline <= end:
        now[0] = timer.deadline
        timer.fire()
    doc: dict[str, Any] = json.loads(json.dumps(status_document(child.reports())))
    for pacer in child.actions.announcer.pacers.values():
        pacer.cancel()
    return doc


@pytest.fixture
def vrrp_doc(tmp_path: Path) -> dict[str, Any]:
    reset_fake_sockets()
    return asyncio.run(run_child(tmp_path))


def test_the_vrrp_document_is_as_documented(vrrp_doc: dict[str, Any]) -> None:
    assert vrrp_doc["version"] == STATUS_VERSION == 1
    check_against("VRRP child", vrrp_doc)
    (row,) = instance_rows(vrrp_doc)
    assert row["state"] == "MASTER"
    assert (row["last_transition_from"], row["last_transition_reason"]) == ("BACKUP", "master_down")
    # Two bursts of garp_master_repeat (5) for the one VIP: on entering MASTER, garp_master_delay later.
    assert row["gratuitous_arps_sent"] == 10
    assert row["unsolicited_nas_sent"] == 0
    assert row["sync_group"] == "G1"
    tracked = {(t["kind"], t["name"]): t for t in row["tracked"]}
    assert set(tracked) == {
        ("interface", "eth1"),
        ("script", "chk_web"),
        ("file", "flag"),
        ("process", "web"),
    }
    assert tracked[("interface", "eth1")]["weight"] == -20
    assert tracked[("file", "flag")]["value"] == 2
    assert tracked[("file", "flag")]["priority_delta"] == 10  # value 2 x weight 5
    assert tracked[("interface", "eth1")]["value"] is None


def checker_doc() -> dict[str, Any]:
    vs = virtual(
        real("192.0.2.21", checker("192.0.2.21", retry=0, delay_loop=1)),
        real("192.0.2.22", checker("192.0.2.22", retry=0, delay_loop=1)),
    )
    core = CheckerCore([vs])
    core.start(Ticks(0), lambda bound: Ticks(0))
    core.pop_actions()
    core.timer(Ticks(5 * SECOND))
    for action in core.pop_actions():
        key = getattr(action, "key", None)
        if key is not None:
            address = str(core.probe_subscribers(key)[0][1].address)
            core.result(key, OK if address.endswith("21") else FAIL, Ticks(5 * SECOND + SECOND // 10))
    counters = Counters(
        packets=10,
        bytes=1000,
        real_servers={("192.0.2.21", 80): (10, 1000)},
        connections={("192.0.2.21", 80): (3, 1)},
        new_connections=4,
        rs_new_connections={("192.0.2.21", 80): 4},
        out=(8, 4000),
        rs_out={("192.0.2.21", 80): (8, 4000)},
    )
    reports = core.report()
    return json.loads(
        json.dumps(document(reports, Ticks(6 * SECOND), [100, 200, 300], 2, {reports[0].name: counters}))
    )


def test_the_checker_document_is_as_documented() -> None:
    doc = checker_doc()
    assert doc["version"] == STATUS_VERSION
    check_against("Checker child", doc)
    up, down = doc["virtual_servers"][0]["real_servers"]
    assert (up["packets"], up["bytes"], up["active_connections"], up["inactive_connections"]) == (
        10,
        1000,
        3,
        1,
    )
    assert up["connections"] == 4
    assert (up["out_packets"], up["out_bytes"]) == (8, 4000)
    assert doc["virtual_servers"][0]["out_bytes"] == 4000
    assert down["packets"] is None and down["active_connections"] is None  # not counted: null
    assert (down["health"], down["down_transitions"], down["checks"][0]["failures"]) == ("DOWN", 1, 1)
    assert up["checks"][0]["duration"] == 0.1
    assert up["checks"][0]["ago"] == 0.9


def test_instance_rows_takes_the_versioned_document_and_a_bare_list() -> None:
    rows = [{"name": "VI_1"}]
    assert instance_rows({"version": 1, "instances": rows}) == rows
    assert instance_rows(rows) == rows
    for bad in ({"version": 1}, [{"state": "MASTER"}], "x", None):
        with pytest.raises(ValueError, match="list of instances"):
            instance_rows(bad)
