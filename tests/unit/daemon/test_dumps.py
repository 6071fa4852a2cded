"""Dump files: keepalived's layouts, written 0600 to $TMPDIR without following symlinks."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from alived import localname
from alived.config import model
from alived.config.load import load_config
from alived.core.vrrp import stats
from alived.daemon import dumpfile
from alived.daemon.vrrp import data_dump, dumps
from alived.daemon.vrrp.data_report import data_text
from alived.daemon.vrrp.dumps import InstanceReport
from tests.helpers.dump_views import EmptyChild


def report(**kw: object) -> InstanceReport:
    base: dict[str, object] = {
        "iname": "VI_1",
        "state": "MASTER",
        "wantstate": "MASTER",
        "interface": "eth0",
        "vrid": 51,
        "version": 2,
        "base_priority": 150,
        "effective_priority": 150,
        "adver_int_us": 1_000_000,
        "master_adver_int_us": 1_000_000,
        "accept": True,
        "nopreempt": False,
        "preempt_delay_us": 0,
        "auth_type": 0,
        "vips": ("192.0.2.100/24 dev eth0 scope global set",),
        "vipset": True,
        "stats": {"advert_rcvd": 4, "advert_sent": 5, "become_master": 1},
    }
    base.update(kw)
    return InstanceReport(**base)  # type: ignore[arg-type]


def test_dump_dir_honours_absolute_tmpdir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    assert dumpfile.dump_dir() == tmp_path
    monkeypatch.setenv("TMPDIR", "relative/dir")
    assert dumpfile.dump_dir() == Path("/tmp")
    monkeypatch.setenv("TMPDIR", str(tmp_path / "missing"))
    assert dumpfile.dump_dir() == Path("/tmp")


def test_write_is_0600_and_replaces_a_symlink_not_its_target(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (tmp_path / "keepalived.stats").symlink_to(victim)
    path = dumpfile.write_dump_file("keepalived.stats", "x\n", tmp_path)
    assert victim.read_text() == "precious"
    assert not path.is_symlink()
    assert path.read_text() == "x\n"
    assert path.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keepalived.stats", "victim"]


def test_stats_layout() -> None:
    text = dumps.format_stats([report()])
    assert text.startswith("VRRP Instance: VI_1\n  Advertisements:\n    Received: 4\n    Sent: 5\n")
    assert "  Became master: 1\n  Released master: 0\n" in text
    assert "  Priority Zero:\n    Received: 0\n    Sent: 0\n" in text


def test_data_layout() -> None:
    text = data_dump.format_data([report(src_ip="192.0.2.1", mcast_addr="224.0.0.18")])
    assert "------< VRRP Topology >------" in text
    for line in (
        " VRRP Instance = VI_1",
        "   State = MASTER",
        "   Interface = eth0",
        "   Using src_ip = 192.0.2.1",
        "   Multicast address 224.0.0.18",
        "   Virtual Router ID = 51",
        "   Advert interval = 1 sec",
        "   Preempt = enabled",
        "   Virtual IP (1):",
        "     192.0.2.100/24 dev eth0 scope global set",
    ):
        assert line in text.splitlines()


def test_json_version_1_shape() -> None:
    text = dumps.format_json([report(state="BACKUP", wantstate="BACKUP")])
    assert "192.0.2.100\\/24" in text  # keepalived escapes '/'
    (entry,) = json.loads(text)
    assert entry["data"]["iname"] == "VI_1"
    assert entry["data"]["state"] == 1
    assert entry["data"]["vips"] == ["192.0.2.100/24 dev eth0 scope global set"]
    assert list(entry["stats"]) == list(stats.KEEPALIVED)  # keepalived's keys, in its order
    assert entry["stats"]["advert_sent"] == 5


KEEPALIVED_STATS = """VRRP Instance: VI_1
  Advertisements:
    Received: 4
    Sent: 5
  Became master: 1
  Released master: 0
  Packet Errors:
    Length: 2
    TTL: 0
    Invalid Type: 0
    Advertisement Interval: 0
    Address List: 0
  Authentication Errors:
    Invalid Type: 0
    Type Mismatch: 0
    Failure: 0
  Priority Zero:
    Received: 0
    Sent: 0
"""


def test_stats_file_is_keepalived_2_2_7_text_and_leaves_the_extra_counters_out() -> None:
    counts = {"advert_rcvd": 4, "advert_sent": 5, "become_master": 1, "packet_len_err": 2, "vers_err": 3}
    assert dumps.format_stats([report(stats=counts)]) == KEEPALIVED_STATS
    (entry,) = json.loads(dumps.format_json([report(stats=counts)]))
    assert "vers_err" not in entry["stats"] and entry["stats"]["packet_len_err"] == 2


def test_json_units_types_and_optional_keys_follow_keepalived() -> None:
    view = dumps.ConfigView(auth_data="s3cret", garp_delay_us=500_000, garp_refresh_us=60_000_000)
    scripts = (
        dumps.ScriptReport(
            key="script_master", label="Master", argv=("/bin/true", "x"), uid=65534, gid=65534
        ),
    )
    r = report(
        version=3, adver_int_us=500_000, master_adver_int_us=2_000_000, preempt_delay_us=5_000_000,
        auth_type=1, conf=view, scripts=scripts, last_transition=1796190738.067953,
    )  # fmt: skip
    data = dumps.json_document([r])[0]["data"]
    assert isinstance(data, dict)
    # seconds, as keepalived: %g floats for intervals and garp_delay, whole seconds for the rest
    assert (
        data["adver_int"] == 0.5 and data["master_adver_int"] == 2 and type(data["master_adver_int"]) is int
    )
    assert data["garp_delay"] == 0.5 and data["garp_refresh"] == 60 and data["preempt_delay"] == 5
    # 0/1 integers where keepalived writes uints, booleans where it writes bools
    assert data["accept"] == 1 and type(data["accept"]) is int
    assert data["dont_track_primary"] == 0 and data["nopreempt"] is False and data["vipset"] is True
    assert data["script_master"] == "'/bin/true' 'x'" and data["auth_data"] == "s3cret"
    assert "evips" not in data and "track_ifp" not in data  # keepalived leaves empty lists out
    assert "auth_data" not in dumps.json_document([report()])[0]["data"]
    text = data_dump.format_data([r])
    assert "   Master state transition script = '/bin/true' 'x', uid:gid 65534:65534" in text
    assert "   Advert interval = 500 milli-sec" in text
    assert "   Password = s3cret" in text


def test_config_view_resolves_defaults_and_drops_the_own_interface_from_tracking(tmp_path: Path) -> None:
    conf = tmp_path / "keepalived.conf"
    conf.write_text(
        "global_defs {\n vrrp_skip_check_adv_addr\n}\n"
        'vrrp_script chk {\n script "/bin/true arg"\n weight -5\n}\n'
        "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n priority 100\n"
        " authentication {\n  auth_type PASS\n  auth_pass 0123456789\n }\n"
        " track_interface {\n  eth0\n  eth1 weight 10\n }\n track_script {\n  chk\n }\n"
        " virtual_ipaddress {\n  192.0.2.100/24\n }\n}\n"
    )
    config = load_config(str(conf), interfaces=None).config
    (inst,) = config.instances
    view = dumps.config_view(inst, config, "eth0", "vrrp.51")
    assert view.track_ifp == (dumps.TrackReport(name="eth1", weight=10),)
    assert view.track_script == (dumps.TrackReport(name="chk", weight=-5, argv=("/bin/true", "arg")),)
    assert view.auth_data == "01234567"  # keepalived keeps 8 bytes
    assert view.skip_check_adv_addr and view.vmac_ifname == "vrrp.51"
    assert view.garp_delay_us == 5_000_000 and view.garp_lower_prio_rep == 5


def test_the_data_dump_router_id_defaults_to_keepalived_s_local_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """The canonical name of the node name, as the mails use, not gethostname()."""

    def canonical(*args: object, **kw: object) -> list[tuple[object, ...]]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "box.example.com", ("192.0.2.7", 0))]

    localname.local_name.cache_clear()
    monkeypatch.setattr(localname.socket, "getaddrinfo", canonical)
    try:
        assert " Router ID = box.example.com" in data_text(EmptyChild(None)).splitlines()
        conf = model.Config(global_defs=model.GlobalDefs(router_id="lb-1"))
        assert " Router ID = lb-1" in data_text(EmptyChild(conf)).splitlines()
    finally:
        localname.local_name.cache_clear()
