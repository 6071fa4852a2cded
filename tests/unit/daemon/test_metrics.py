"""The metrics conversion (daemon/metrics.py) on JSON recorded from running children, and the collector.

`data/vrrp_status.json` is a VRRP child's `status-json` answer (two instances, one in sync group
G1, recorded in a namespace, its fields brought to version 1 of docs/status-json.md by hand);
`data/checker_status.json` the checker child's `json` answer with one TCP real server killed
(likewise). Each family is checked on a document, and the exposition with prometheus-client's
own parser.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from alived.cli import parse_args
from alived.config.load import load_config
from alived.core.vrrp import stats
from alived.daemon.metrics import (
    ERROR_REASONS,
    OWN_METRIC,
    ProcessFacts,
    checker_families,
    process_families,
    vrrp_families,
)
from alived.daemon.metrics_server import AlivedCollector, ChildSocket, parse_address, start_for
from alived.daemon.options import Options, to_argv
from alived.daemon.status import instance_rows

DATA = Path(__file__).parent / "data"
NOW = 1_796_194_300.0


def recorded(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def vrrp_rows() -> list[dict[str, Any]]:
    return instance_rows(recorded("vrrp_status.json"))


def samples(families: list[Metric]) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families for s in f.samples}


def one(families: list[Metric], name: str, **labels: str) -> float:
    found = [v for (n, ls), v in samples(families).items() if n == name and set(labels.items()) <= set(ls)]
    assert len(found) == 1, (name, labels, found)
    return found[0]


VI_1 = {"instance": "VI_1", "interface": "eth0", "vrid": "51", "group": "G1"}
VI_2 = {"instance": "VI_2", "interface": "eth0", "vrid": "52", "group": ""}


def test_vrrp_rows_become_per_instance_families() -> None:
    rows = vrrp_rows()
    families = vrrp_families(rows, NOW)
    assert one(families, "alived_vrrp_state", **VI_1) == 2
    assert one(families, "alived_vrrp_state", **VI_2) == 1
    assert one(families, "alived_vrrp_base_priority", **VI_1) == 150
    assert one(families, "alived_vrrp_effective_priority", **VI_2) == 90
    assert one(families, "alived_vrrp_adverts_sent_total", **VI_1) == rows[0]["stats"]["advert_sent"]
    assert one(families, "alived_vrrp_adverts_received_total", **VI_2) == rows[1]["stats"]["advert_rcvd"]
    assert one(families, "alived_vrrp_become_master_total", **VI_1) == 1
    assert one(families, "alived_vrrp_seconds_since_transition", **VI_1) == pytest.approx(
        NOW - rows[0]["last_transition"]
    )
    assert one(families, "alived_vrrp_garp_delay_seconds", **VI_1) == 5
    assert one(families, "alived_vrrp_vip", address="198.51.100.7/24", **VI_2) == 1
    assert one(families, "alived_vrrp_excluded_vip", address="203.0.113.9/32", **VI_2) == 1
    for reason in ERROR_REASONS:
        assert one(families, "alived_vrrp_receive_errors_total", reason=reason, **VI_1) == 0


def test_every_vrrp_counter_is_exported_exactly_once() -> None:
    """stats.py is the one home of counter names: each becomes a metric or an error reason."""
    assert set(OWN_METRIC) | set(ERROR_REASONS) == set(stats.ALL)
    assert not set(OWN_METRIC) & set(ERROR_REASONS)
    for name in ("packet_len_err", "advert_interval_err", "ip_ttl_err", "invalid_type_rcvd", "addr_list_err"):
        assert name in ERROR_REASONS
    for name in ("invalid_authtype", "authtype_mismatch", "auth_failure"):
        assert name in ERROR_REASONS


def test_a_counter_value_comes_from_its_own_key() -> None:
    row = vrrp_rows()[0]
    row["stats"] = {name: index + 1 for index, name in enumerate(stats.ALL)}
    families = vrrp_families([row], NOW)
    for index, name in enumerate(stats.ALL):
        if name in OWN_METRIC:
            assert one(families, f"{OWN_METRIC[name][0]}_total", **VI_1) == index + 1
        else:
            assert one(families, "alived_vrrp_receive_errors_total", reason=name, **VI_1) == index + 1


TRACKED = [
    {
        "kind": "interface",
        "name": "eth1",
        "weight": -20,
        "reverse": False,
        "ok": False,
        "value": None,
        "priority_delta": -20,
        "faulting": False,
    },
    {
        "kind": "script",
        "name": "chk_web",
        "weight": 0,
        "reverse": False,
        "ok": False,
        "value": None,
        "priority_delta": 0,
        "faulting": True,
    },
    {
        "kind": "file",
        "name": "flag",
        "weight": 5,
        "reverse": False,
        "ok": True,
        "value": 2,
        "priority_delta": 10,
        "faulting": False,
    },
]


def test_tracked_objects_their_status_weight_and_effect() -> None:
    row = vrrp_rows()[1]
    row["tracked"] = TRACKED
    row["priority"] = 80  # 90 - 20 + 10
    families = vrrp_families([row], NOW)
    assert one(families, "alived_vrrp_effective_priority", **VI_2) == 80
    assert one(families, "alived_vrrp_base_priority", **VI_2) == 90
    eth1 = {"kind": "interface", "tracked": "eth1", **VI_2}
    script = {"kind": "script", "tracked": "chk_web", **VI_2}
    flag = {"kind": "file", "tracked": "flag", **VI_2}
    assert one(families, "alived_vrrp_tracked_weight", **eth1) == -20
    assert one(families, "alived_vrrp_tracked_up", **eth1) == 0
    assert one(families, "alived_vrrp_tracked_priority_delta", **eth1) == -20
    assert one(families, "alived_vrrp_tracked_faulting", **eth1) == 0
    assert one(families, "alived_vrrp_tracked_faulting", **script) == 1
    assert one(families, "alived_vrrp_tracked_up", **flag) == 1
    assert one(families, "alived_vrrp_tracked_file_value", **flag) == 2
    assert one(families, "alived_vrrp_tracked_priority_delta", **flag) == 10
    # Only files hold a value: no series for the others.
    assert not [
        n
        for (n, ls), _ in samples(families).items()
        if n.endswith("file_value") and ("tracked", "eth1") in ls
    ]


def test_history_master_and_gratuitous_arps() -> None:
    rows = vrrp_rows()
    families = vrrp_families(rows, NOW)
    assert one(families, "alived_vrrp_gratuitous_arps_sent_total", **VI_1) == 10
    assert one(families, "alived_vrrp_unsolicited_nas_sent_total", **VI_1) == 0
    assert one(families, "alived_vrrp_master_router", address="192.0.2.2", **VI_2) == 1
    stamp = one(
        families,
        "alived_vrrp_last_transition_timestamp_seconds",
        from_state="BACKUP",
        reason="master_down",
        **VI_1,
    )
    assert stamp == rows[0]["last_transition"]
    rows[1]["master_router"] = ""  # nothing heard yet: no series
    rows[1]["last_transition"] = 0
    families = vrrp_families(rows, NOW)
    assert not [
        n for (n, ls), _ in samples(families).items() if ("instance", "VI_2") in ls and "master_router" in n
    ]
    assert not [
        n for (n, ls), _ in samples(families).items() if ("instance", "VI_2") in ls and "transition" in n
    ]


def test_missing_or_wrong_fields_yield_fewer_series_not_an_error() -> None:
    rows: list[dict[str, Any]] = [
        {"name": "X"},
        {"name": "Y", "state": "BOGUS", "stats": "nope", "vips": None, "last_transition": 0, "priority": "9"},
    ]
    got = samples(vrrp_families(rows, NOW))
    assert got == {}
    assert samples(checker_families({"virtual_servers": [{"real_servers": "x"}, 3]})) == {}
    assert samples(checker_families({})) == {}


def test_checker_document_becomes_real_server_families() -> None:
    families = checker_families(recorded("checker_status.json"))
    vs = "[192.0.2.100]:tcp:80"
    up = {"virtual_server": vs, "real_server": "[192.0.2.21]:tcp:80"}
    down = {"virtual_server": vs, "real_server": "[192.0.2.22]:tcp:80"}
    assert one(families, "alived_real_server_up", **up) == 1
    assert one(families, "alived_real_server_up", **down) == 0
    assert one(families, "alived_real_server_in_pool", **down) == 0
    assert one(families, "alived_real_server_weight", **down) == 1
    assert one(families, "alived_check_up", check="TCP_CHECK", **down) == 0
    assert one(families, "alived_check_last_success", check="TCP_CHECK", **down) == 0
    assert one(families, "alived_check_last_success", check="TCP_CHECK", **up) == 1
    assert one(families, "alived_check_seconds_since_last_run", check="TCP_CHECK", **down) == 0.129
    assert one(families, "alived_virtual_server_quorum_up", virtual_server=vs) == 1
    http = {"virtual_server": vs, "real_server": "[192.0.2.23]:tcp:80"}
    assert one(families, "alived_check_up", check="HTTP_GET", **http) == 1
    assert one(families, "alived_check_duration_seconds", check="TCP_CHECK", **down) == 0.0012
    assert one(families, "alived_check_attempts_total", check="TCP_CHECK", **down) == 5
    assert one(families, "alived_check_failures_total", check="TCP_CHECK", **down) == 2
    assert one(families, "alived_check_transitions_total", check="TCP_CHECK", **down) == 1
    assert one(families, "alived_check_failures_total", check="TCP_CHECK", **up) == 0
    assert one(families, "alived_real_server_transitions_total", direction="down", **down) == 1
    assert one(families, "alived_real_server_transitions_total", direction="up", **down) == 0
    # nftables-style: no traffic figures in the document (null), no series.
    names = {n for (n, _), _ in samples(families).items()}
    assert not names & {"alived_real_server_packets_total", "alived_virtual_server_bytes_total"}


def test_load_balancer_traffic_where_the_backend_counts_it() -> None:
    doc = recorded("checker_status.json")
    vs_doc = doc["virtual_servers"][0]
    vs_doc.update(packets=30, bytes=4500, out_packets=25, out_bytes=9000, connections=6)
    vs_doc["real_servers"][0].update(
        packets=20,
        bytes=3000,
        out_packets=18,
        out_bytes=7000,
        connections=5,
        active_connections=4,
        inactive_connections=7,
    )
    families = checker_families(doc)
    vs = "[192.0.2.100]:tcp:80"
    up = {"virtual_server": vs, "real_server": "[192.0.2.21]:tcp:80"}
    assert one(families, "alived_virtual_server_packets_total", virtual_server=vs) == 30
    assert one(families, "alived_virtual_server_bytes_total", virtual_server=vs) == 4500
    assert one(families, "alived_real_server_packets_total", **up) == 20
    assert one(families, "alived_real_server_bytes_total", **up) == 3000
    assert one(families, "alived_real_server_active_connections", **up) == 4
    assert one(families, "alived_real_server_inactive_connections", **up) == 7
    assert one(families, "alived_real_server_connections_total", **up) == 5
    assert one(families, "alived_virtual_server_connections_total", virtual_server=vs) == 6
    assert one(families, "alived_virtual_server_out_packets_total", virtual_server=vs) == 25
    assert one(families, "alived_virtual_server_out_bytes_total", virtual_server=vs) == 9000
    assert one(families, "alived_real_server_out_packets_total", **up) == 18
    assert one(families, "alived_real_server_out_bytes_total", **up) == 7000
    down = {"virtual_server": vs, "real_server": "[192.0.2.22]:tcp:80"}
    assert not [
        n for (n, ls), _ in samples(families).items() if "packets" in n and set(down.items()) <= set(ls)
    ]


def test_process_facts() -> None:
    facts = ProcessFacts(
        version="1.2", keepalived_compat="2.2.7", commit="v1.2-3-gabc", started_at=5.0, restarts={"VRRP": 2}
    )
    facts.reloaded(False, 0.25)
    families = process_families(facts, {"VRRP": True, "Healthcheck": False})
    assert (
        one(families, "alived_build_info", version="1.2", keepalived_compat="2.2.7", commit="v1.2-3-gabc")
        == 1
    )
    assert one(families, "alived_child_up", child="VRRP") == 1
    assert one(families, "alived_child_up", child="Healthcheck") == 0
    assert one(families, "alived_child_restarts_total", child="VRRP") == 2
    assert one(families, "alived_child_restarts_total", child="Healthcheck") == 0
    assert one(families, "alived_reloads_total") == 1
    assert one(families, "alived_reloads_refused_total") == 0
    facts.refused()
    assert one(process_families(facts, {}), "alived_reloads_refused_total") == 1
    assert one(families, "alived_last_reload_config_ok") == 0
    assert one(families, "alived_config_load_seconds") == 0.25
    # The load at start-up counts before any reload.
    start = process_families(ProcessFacts(config_load_seconds=0.5), {})
    assert one(start, "alived_config_load_seconds") == 0.5
    assert one(start, "alived_reloads_total") == 0


def test_collector_asks_each_child_and_the_exposition_parses() -> None:
    answers = {
        ("/run/vrrp.sock", "status-json"): (DATA / "vrrp_status.json").read_text(),
        ("/run/checkers.sock", "json"): (DATA / "checker_status.json").read_text(),
    }

    def ask(path: str, request: str, timeout: float) -> str:
        if (path, request) not in answers:
            raise ConnectionRefusedError(path)
        return answers[(path, request)]

    children = [
        ChildSocket("VRRP", "vrrp", "/run/vrrp.sock"),
        ChildSocket("Healthcheck", "check", "/run/checkers.sock"),
    ]
    registry = CollectorRegistry(auto_describe=False)
    registry.register(AlivedCollector(lambda: children, ProcessFacts(), ask=ask, clock=lambda: NOW))
    text = generate_latest(registry).decode()
    parsed = {s.name: s for f in text_string_to_metric_families(text) for s in f.samples}
    assert "alived_vrrp_state" in parsed and "alived_real_server_up" in parsed
    families = list(text_string_to_metric_families(text))
    assert next(f for f in families if f.name == "alived_vrrp_adverts_sent").type == "counter"

    del answers[("/run/vrrp.sock", "status-json")]  # the VRRP child stops answering
    answers[("/run/checkers.sock", "json")] = "not json"
    text = generate_latest(registry).decode()
    got = {
        (s.name, s.labels.get("child")): s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
    }
    assert got[("alived_child_up", "VRRP")] == 0 and got[("alived_child_up", "Healthcheck")] == 0
    assert not any(name.startswith(("alived_vrrp_", "alived_real_server")) for name, _ in got)


def test_each_childs_kernel_operations_in_one_family() -> None:
    vrrp = json.loads((DATA / "vrrp_status.json").read_text())
    vrrp["process"] = {"pid": 7, "kernel_ops": {"total": 3, "netlink": {"addr_add": 2, "addr_del": 1}}}
    check = json.loads((DATA / "checker_status.json").read_text())
    check["process"] = {"pid": 8, "kernel_ops": {"total": 1, "nftables": {"transaction": 1}, "ipvs": {}}}
    answers = {"/run/vrrp.sock": json.dumps(vrrp), "/run/checkers.sock": json.dumps(check)}
    children = [
        ChildSocket("VRRP", "vrrp", "/run/vrrp.sock"),
        ChildSocket("Healthcheck", "check", "/run/checkers.sock"),
    ]
    registry = CollectorRegistry(auto_describe=False)
    collector = AlivedCollector(
        lambda: children, ProcessFacts(), ask=lambda p, r, t: answers[p], clock=lambda: NOW
    )
    registry.register(collector)
    text = generate_latest(registry).decode()
    (family,) = [f for f in text_string_to_metric_families(text) if f.name == "alived_kernel_operations"]
    assert family.type == "counter"
    got = {(s.labels["child"], s.labels["subsystem"], s.labels["operation"]): s.value for s in family.samples}
    assert got == {
        ("VRRP", "netlink", "addr_add"): 2,
        ("VRRP", "netlink", "addr_del"): 1,
        ("Healthcheck", "nftables", "transaction"): 1,
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:9650", ("127.0.0.1", 9650)),
        ("[2001:db8::1]:80", ("2001:db8::1", 80)),
        ("::1:9", ("::1", 9)),
    ],
)
def test_parse_address(text: str, expected: tuple[str, int]) -> None:
    assert parse_address(text) == expected


@pytest.mark.parametrize(
    "text", ["9650", "localhost:9650", "127.0.0.1:0", "127.0.0.1:70000", ":9650", "1.2.3.4:x"]
)
def test_parse_address_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="metrics address"):
        parse_address(text)


def test_off_by_default_and_enabled_by_flag_or_keyword(tmp_path: Path) -> None:
    parent = SimpleNamespace(
        options=Options(), defaults=load_config_defaults(tmp_path, ""), facts=ProcessFacts()
    )
    assert start_for(parent) is None  # type: ignore[arg-type]
    assert parse_args(["--metrics", "192.0.2.1:9650"]).options.metrics == "192.0.2.1:9650"
    assert "--metrics=192.0.2.1:9650" in to_argv(Options(metrics="192.0.2.1:9650"))
    defaults = load_config_defaults(tmp_path, "  metrics_address 192.0.2.1:9650\n")
    assert defaults.metrics_address == "192.0.2.1:9650"


def load_config_defaults(tmp_path: Path, body: str) -> Any:
    path = tmp_path / "k.conf"
    path.write_text(f"global_defs {{\n{body}}}\n")
    result = load_config(str(path), interfaces=None)
    assert not result.problems, result.problems
    return result.config.global_defs


README = Path(__file__).parents[3] / "README.md"


def readme_metrics() -> dict[str, str]:
    """Exposition family name -> type, from the metric tables of the README's metrics section."""
    section = README.read_text().split("## Prometheus metrics\n", 1)[1].split("\n## ", 1)[0]
    section = section.split("From the existing exporters", 1)[0]  # the mapping table is not ours
    listed: dict[str, str] = {}
    for match in re.finditer(r"^\| `(alived_\w+)` \| (\w+)", section, re.MULTILINE):
        name, kind = match.groups()
        # The text format's parser names a counter's family without `_total` and reads an info
        # family (always named `..._info`) as a gauge.
        if kind == "counter":
            assert name.endswith("_total"), name
            name = name.removesuffix("_total")
        elif kind == "info":
            assert name.endswith("_info"), name
            kind = "gauge"
        listed[name] = kind
    return listed


def full_exposition() -> dict[str, str]:
    """Every family the collector can emit (documents with every field set), parsed back."""
    rows = vrrp_rows()
    rows[1]["tracked"] = TRACKED
    rows[0].update(split_brain_count=1, split_brain_since=NOW - 3)
    checker = recorded("checker_status.json")
    checker["virtual_servers"][0].update(packets=1, bytes=2, out_packets=1, out_bytes=2, connections=5)
    checker["virtual_servers"][0]["real_servers"][0].update(
        packets=1,
        bytes=2,
        out_packets=1,
        out_bytes=2,
        connections=5,
        active_connections=3,
        inactive_connections=4,
    )
    checker["process"] = {"pid": 8, "kernel_ops": {"total": 1, "nftables": {"transaction": 1}}}
    answers = {"status-json": json.dumps({"version": 1, "instances": rows}), "json": json.dumps(checker)}
    facts = ProcessFacts(version="1", keepalived_compat="2.2.7", started_at=1.0, restarts={"VRRP": 1})
    facts.reloaded(True, 0.1)
    children = [ChildSocket("VRRP", "vrrp", "v"), ChildSocket("Healthcheck", "check", "c")]
    registry = CollectorRegistry(auto_describe=False)
    registry.register(
        AlivedCollector(lambda: children, facts, ask=lambda p, r, t: answers[r], clock=lambda: NOW)
    )
    parsed = text_string_to_metric_families(generate_latest(registry).decode())
    return {f.name: f.type for f in parsed if f.samples}


def test_the_readme_lists_every_metric_with_its_type() -> None:
    emitted = full_exposition()
    assert readme_metrics() == emitted


def test_split_brain_count_and_whether_one_lasts() -> None:
    rows = vrrp_rows()
    rows[0].update(split_brain_count=2, split_brain_since=NOW - 3)
    rows[1].update(split_brain_count=1, split_brain_since=None)
    families = vrrp_families(rows, NOW)
    assert one(families, "alived_vrrp_split_brain_total", **VI_1) == 2
    assert one(families, "alived_vrrp_split_brain_active", **VI_1) == 1
    assert one(families, "alived_vrrp_split_brain_active", **VI_2) == 0
