"""`alivectl check-config` / `dump-config --json`, and the model's JSON rendering."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alived.config.load import load_config
from alived.config.render import render_config, to_jsonable
from alived.ctl import main
from tests.helpers.shared import samples

SAMPLES = samples()
OWN = Path(__file__).resolve().parents[2] / "corpus"
ETH = "lo,eth0,eth1,eth2,eth3"


def test_check_config_prints_a_summary_and_exits_with_the_config_test_code(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["check-config", str(SAMPLES / "keepalived.conf.vrrp.rules"), "--interfaces", ETH])
    out = capsys.readouterr().out
    assert code == 5
    assert "vrrp_instance VI_1: vrid 51 interface eth0 priority 100" in out
    assert "192.168.200.17/32 dev eth1" in out
    assert "Rule has no preference specified" in out
    assert "keepalived.conf.vrrp.rules: Line 11" in out


def test_check_config_lists_virtual_and_real_servers(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check-config", str(OWN / "checkers.conf"), "--interfaces", ETH])
    out = capsys.readouterr().out
    assert code == 0
    assert "virtual_server [192.0.2.80]:tcp:80: wrr NAT" in out
    assert "real_server 198.51.100.2:80 weight 1: HTTP_GET" in out
    assert "Configuration OK" in out


def test_check_config_security_violation_is_6(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", str(OWN / "security.conf"), "--interfaces", ETH]) == 6
    assert "SECURITY VIOLATION" in capsys.readouterr().out


def test_check_config_interfaces_none_skips_the_check(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(SAMPLES / "keepalived.conf.vrrp")
    assert main(["check-config", path, "--interfaces", "none"]) == 0
    assert main(["check-config", path, "--interfaces", "lo"]) == 5
    capsys.readouterr()


def test_dump_config_json_is_the_model(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["dump-config", str(OWN / "unicast.conf"), "--json", "--interfaces", ETH])
    document = json.loads(capsys.readouterr().out)
    assert code == 0
    assert document["exit_code"] == 0
    inst = document["config"]["instances"][0]
    assert inst["name"] == "UC_1"
    assert inst["unicast_src_ip"] == "192.0.2.1"
    assert inst["unicast_peer"][1] == {"address": "192.0.2.3", "min_ttl": 250, "max_ttl": 255}
    assert inst["virtual_ipaddress"][0]["address"] == "192.0.2.100/24"
    assert inst["effective_advert_int"] == 1_000_000
    assert inst["location"].endswith("unicast.conf:7")


def test_dump_config_reports_diagnostics_in_json(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["dump-config", str(OWN / "strict.conf"), "--json", "--interfaces", ETH])
    document = json.loads(capsys.readouterr().out)
    assert code == 5
    messages = [d["message"] for d in document["diagnostics"]]
    assert "(ST_1) State MASTER must match being address owner" in messages
    assert all(
        d["severity"] in ("INFO", "WARNING", "ERROR", "SECURITY", "FATAL") for d in document["diagnostics"]
    )


def test_missing_file_is_fatal_exit_4(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # facts 0: 4 = cannot run (missing file). keepalived 2.2.7 itself prints "Config files missing"
    # and exits 0; alived keeps the documented code so that scripts notice.
    assert main(["check-config", str(tmp_path / "nope.conf"), "--interfaces", "none"]) == 4
    assert "Config files missing" in capsys.readouterr().out


def test_every_corpus_model_renders_to_json() -> None:
    for path in [*sorted(SAMPLES.iterdir()), *sorted(OWN.glob("*.conf"))]:
        rendered = render_config(load_config(path).config)
        json.dumps(rendered)
        for vs in rendered["virtual_servers"]:
            assert vs["key"]


def test_to_jsonable_plain_values() -> None:
    assert to_jsonable((1, "a", None, True)) == [1, "a", None, True]
    assert to_jsonable({"k": frozenset({3})}) == {"k": [3]}
