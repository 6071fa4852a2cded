"""Prometheus metric families from the children's status documents: pure conversion, no I/O.

The parent asks each child's status socket per scrape (daemon/metrics_server.py) and hands the
decoded JSON here: `vrrp_families` takes the VRRP child's `status-json` rows, `checker_families`
the checker child's `json` document, `process_families` the parent's own facts. `now` is the
wall-clock time of the scrape (seconds), the same clock as the VRRP `last_transition` stamps.
Everything a document lacks is left out rather than invented, so a bad or older answer yields
fewer series, never an exception.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily
from prometheus_client.metrics_core import Metric

from alived.core.vrrp import stats as counters
from alived.daemon.process_facts import ProcessFacts

# keepalived's numeric states (its JSON dump and SNMP): what dashboards already plot.
STATE_NUMBER: Mapping[str, int] = {"INIT": 0, "BACKUP": 1, "MASTER": 2, "FAULT": 3}

VRRP_LABELS = ("instance", "interface", "vrid", "group")

# Counters with a metric of their own; every other VRRP counter is a receive error (by `reason`).
OWN_METRIC: Mapping[str, tuple[str, str]] = {
    "advert_rcvd": ("alived_vrrp_adverts_received", "VRRP adverts received"),
    "advert_sent": ("alived_vrrp_adverts_sent", "VRRP adverts sent"),
    "become_master": ("alived_vrrp_become_master", "Transitions to MASTER"),
    "release_master": ("alived_vrrp_release_master", "Transitions from MASTER to another state"),
    "pri_zero_rcvd": ("alived_vrrp_priority_zero_received", "Priority-0 adverts received"),
    "pri_zero_sent": ("alived_vrrp_priority_zero_sent", "Priority-0 adverts sent"),
}
ERROR_REASONS: tuple[str, ...] = tuple(name for name in counters.ALL if name not in OWN_METRIC)


def _vrrp_labels(row: Mapping[str, Any]) -> list[str]:
    return [
        str(row.get("name", "")),
        str(row.get("interface", "")),
        str(row.get("vrid", "")),
        str(row.get("sync_group") or ""),
    ]


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    return None


def vrrp_families(rows: Sequence[Mapping[str, Any]], now: float) -> list[Metric]:
    """One family per VRRP metric from `status-json` rows (see daemon/status.py status_rows)."""
    state = GaugeMetricFamily(
        "alived_vrrp_state", "VRRP state: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT", labels=VRRP_LABELS
    )
    base = GaugeMetricFamily("alived_vrrp_base_priority", "Configured priority", labels=VRRP_LABELS)
    effective = GaugeMetricFamily(
        "alived_vrrp_effective_priority", "Priority after tracking adjustments", labels=VRRP_LABELS
    )
    master_prio = GaugeMetricFamily(
        "alived_vrrp_master_priority", "Priority in the master's last advert heard", labels=VRRP_LABELS
    )
    since = GaugeMetricFamily(
        "alived_vrrp_seconds_since_transition",
        "Seconds since the instance last changed state",
        labels=VRRP_LABELS,
    )
    garp_delay = GaugeMetricFamily(
        "alived_vrrp_garp_delay_seconds",
        "Configured delay of the second gratuitous ARP burst after becoming MASTER",
        labels=VRRP_LABELS,
    )
    own = {
        key: CounterMetricFamily(name, text, labels=VRRP_LABELS) for key, (name, text) in OWN_METRIC.items()
    }
    errors = CounterMetricFamily(
        "alived_vrrp_receive_errors",
        "Received packets dropped, by reason (keepalived's vrrp_stats error names, plus alived's own)",
        labels=(*VRRP_LABELS, "reason"),
    )
    vip = GaugeMetricFamily(
        "alived_vrrp_vip", "A virtual address of the instance (always 1)", labels=(*VRRP_LABELS, "address")
    )
    excluded = GaugeMetricFamily(
        "alived_vrrp_excluded_vip",
        "An excluded virtual address of the instance (always 1)",
        labels=(*VRRP_LABELS, "address"),
    )
    garps = CounterMetricFamily(
        "alived_vrrp_gratuitous_arps_sent",
        "Gratuitous ARPs handed to the interface's paced sender",
        labels=VRRP_LABELS,
    )
    nas = CounterMetricFamily(
        "alived_vrrp_unsolicited_nas_sent",
        "Unsolicited neighbour adverts handed to the interface's paced sender",
        labels=VRRP_LABELS,
    )
    master = GaugeMetricFamily(
        "alived_vrrp_master_router",
        "The master's address as last heard (always 1)",
        labels=(*VRRP_LABELS, "address"),
    )
    transition = GaugeMetricFamily(
        "alived_vrrp_last_transition_timestamp_seconds",
        "When the instance last changed state (Unix time), the state it left and why",
        labels=(*VRRP_LABELS, "from_state", "reason"),
    )
    tracked_labels = (*VRRP_LABELS, "kind", "tracked")
    split_total = CounterMetricFamily(
        "alived_vrrp_split_brain", "Split brains declared (docs/split-brain.md)", labels=VRRP_LABELS
    )
    split_now = GaugeMetricFamily(
        "alived_vrrp_split_brain_active", "1 while a split brain lasts", labels=VRRP_LABELS
    )
    tracked = GaugeMetricFamily(
        "alived_vrrp_tracked_weight",
        "A tracked object of the instance and its configured weight",
        labels=tracked_labels,
    )
    tracked_up = GaugeMetricFamily(
        "alived_vrrp_tracked_up", "A tracked object's status: 1 OK, 0 failed", labels=tracked_labels
    )
    tracked_delta = GaugeMetricFamily(
        "alived_vrrp_tracked_priority_delta",
        "What the tracked object adds to the priority now",
        labels=tracked_labels,
    )
    tracked_fault = GaugeMetricFamily(
        "alived_vrrp_tracked_faulting", "1 while the tracked object forces FAULT", labels=tracked_labels
    )
    tracked_value = GaugeMetricFamily(
        "alived_vrrp_tracked_file_value", "The integer a tracked file holds", labels=tracked_labels
    )
    for row in rows:
        labels = _vrrp_labels(row)
        number = STATE_NUMBER.get(str(row.get("state", "")))
        if number is not None:
            state.add_metric(labels, number)
        for family, key in (
            (base, "base_priority"),
            (effective, "priority"),
            (master_prio, "master_priority"),
        ):
            value = _number(row.get(key))
            if value is not None:
                family.add_metric(labels, value)
        stamp = _number(row.get("last_transition"))
        if stamp is not None and stamp > 0:
            since.add_metric(labels, max(0.0, now - stamp))
        delay = _number(row.get("garp_delay"))
        if delay is not None:
            garp_delay.add_metric(labels, delay)
        stats = row.get("stats")
        if isinstance(stats, Mapping):
            for key, counter in own.items():
                value = _number(stats.get(key))
                if value is not None:
                    counter.add_metric(labels, value)
            for reason in ERROR_REASONS:
                value = _number(stats.get(reason))
                if value is not None:
                    errors.add_metric([*labels, reason], value)
        count = _number(row.get("split_brain_count"))
        if count is not None:
            split_total.add_metric(labels, count)
            split_now.add_metric(labels, 0.0 if row.get("split_brain_since") is None else 1.0)
        for address in row.get("vips") or ():
            vip.add_metric([*labels, str(address)], 1)
        for address in row.get("excluded_vips") or ():
            excluded.add_metric([*labels, str(address)], 1)
        for sent, key in ((garps, "gratuitous_arps_sent"), (nas, "unsolicited_nas_sent")):
            value = _number(row.get(key))
            if value is not None:
                sent.add_metric(labels, value)
        if row.get("master_router"):
            master.add_metric([*labels, str(row["master_router"])], 1)
        if stamp is not None and stamp > 0:
            moved = [str(row.get("last_transition_from") or ""), str(row.get("last_transition_reason") or "")]
            transition.add_metric([*labels, *moved], stamp)
        for entry in _dicts(row.get("tracked")):
            entry_labels = [*labels, str(entry.get("kind", "")), str(entry.get("name", ""))]
            for family, key in (
                (tracked, "weight"),
                (tracked_up, "ok"),
                (tracked_delta, "priority_delta"),
                (tracked_fault, "faulting"),
                (tracked_value, "value"),
            ):
                value = _number(entry.get(key))
                if value is not None:
                    family.add_metric(entry_labels, value)
    return [
        state,
        base,
        effective,
        master_prio,
        master,
        since,
        transition,
        garp_delay,
        *own.values(),
        errors,
        split_total,
        split_now,
        garps,
        nas,
        vip,
        excluded,
        tracked,
        tracked_up,
        tracked_delta,
        tracked_fault,
        tracked_value,
    ]


RS_LABELS = ("virtual_server", "real_server")
CHECK_LABELS = (*RS_LABELS, "check")

# Checker document keys with a family each: (metric name, help) or (name, type, help).
CHECK_COUNTERS: Mapping[str, tuple[str, str]] = {
    "attempts": ("alived_check_attempts", "Attempts of the check that finished"),
    "failures": ("alived_check_failures", "Attempts of the check that failed"),
    "transitions": ("alived_check_transitions", "Times the check's verdict changed (up to down or back)"),
}
RS_TRAFFIC: Mapping[str, tuple[str, str, str]] = {
    "packets": (
        "alived_real_server_packets",
        "counter",
        "Packets the load balancer sent to the real server (IPVS)",
    ),
    "bytes": (
        "alived_real_server_bytes",
        "counter",
        "Bytes the load balancer sent to the real server (IPVS)",
    ),
    "out_packets": ("alived_real_server_out_packets", "counter", "Reply packets from the real server (IPVS)"),
    "out_bytes": ("alived_real_server_out_bytes", "counter", "Reply bytes from the real server (IPVS)"),
    "connections": (
        "alived_real_server_connections",
        "counter",
        "Connections the load balancer scheduled to the real server",
    ),
    "active_connections": (
        "alived_real_server_active_connections",
        "gauge",
        "Active connections to the real server (IPVS only)",
    ),
    "inactive_connections": (
        "alived_real_server_inactive_connections",
        "gauge",
        "Inactive connections to the real server (IPVS only)",
    ),
}
VS_TRAFFIC: Mapping[str, tuple[str, str]] = {
    "packets": ("alived_virtual_server_packets", "Packets the virtual server received (IPVS, nftables DR)"),
    "bytes": ("alived_virtual_server_bytes", "Bytes the virtual server received (IPVS, nftables DR)"),
    "out_packets": ("alived_virtual_server_out_packets", "Reply packets of the virtual server (IPVS)"),
    "out_bytes": ("alived_virtual_server_out_bytes", "Reply bytes of the virtual server (IPVS)"),
    "connections": ("alived_virtual_server_connections", "Connections the virtual server scheduled"),
}


def checker_families(doc: Mapping[str, Any]) -> list[Metric]:
    """Virtual and real server families from the checker child's `json` document (daemon/check/status.py)."""
    quorum = GaugeMetricFamily(
        "alived_virtual_server_quorum_up",
        "1 while the virtual server has its quorum",
        labels=("virtual_server",),
    )
    sorry = GaugeMetricFamily(
        "alived_virtual_server_sorry_active", "1 while the sorry server is in use", labels=("virtual_server",)
    )
    health = GaugeMetricFamily("alived_real_server_up", "Real server health: 1 up, 0 down", labels=RS_LABELS)
    weight = GaugeMetricFamily("alived_real_server_weight", "Real server current weight", labels=RS_LABELS)
    in_pool = GaugeMetricFamily(
        "alived_real_server_in_pool",
        "1 while the real server is in the load balancer's pool",
        labels=RS_LABELS,
    )
    check_up = GaugeMetricFamily(
        "alived_check_up", "A health check's verdict: 1 up, 0 down", labels=CHECK_LABELS
    )
    check_last = GaugeMetricFamily(
        "alived_check_last_success",
        "1 when the check's last attempt succeeded, 0 when it failed",
        labels=CHECK_LABELS,
    )
    check_ago = GaugeMetricFamily(
        "alived_check_seconds_since_last_run",
        "Seconds since the check last ran (grows when a checker stops checking)",
        labels=CHECK_LABELS,
    )
    check_duration = GaugeMetricFamily(
        "alived_check_duration_seconds",
        "How long the check's last attempt took, from its start to its result",
        labels=CHECK_LABELS,
    )
    check_counters = {
        key: CounterMetricFamily(name, text, labels=CHECK_LABELS)
        for key, (name, text) in CHECK_COUNTERS.items()
    }
    rs_transitions = CounterMetricFamily(
        "alived_real_server_transitions",
        "Real server health changes, by direction (up, down)",
        labels=(*RS_LABELS, "direction"),
    )
    rs_traffic = {
        key: (CounterMetricFamily if kind == "counter" else GaugeMetricFamily)(name, text, labels=RS_LABELS)
        for key, (name, kind, text) in RS_TRAFFIC.items()
    }
    vs_traffic = {
        key: CounterMetricFamily(name, text, labels=("virtual_server",))
        for key, (name, text) in VS_TRAFFIC.items()
    }
    for vs in _dicts(doc.get("virtual_servers")):
        vs_name = str(vs.get("name", ""))
        if "quorum_up" in vs:
            quorum.add_metric([vs_name], float(bool(vs["quorum_up"])))
        if "sorry_active" in vs:
            sorry.add_metric([vs_name], float(bool(vs["sorry_active"])))
        for key, family in vs_traffic.items():
            value = _number(vs.get(key))
            if value is not None:
                family.add_metric([vs_name], value)
        for rs in _dicts(vs.get("real_servers")):
            labels = [vs_name, str(rs.get("name", ""))]
            if "health" in rs:
                health.add_metric(labels, 1.0 if rs["health"] == "UP" else 0.0)
            value = _number(rs.get("weight"))
            if value is not None:
                weight.add_metric(labels, value)
            if "in_pool" in rs:
                in_pool.add_metric(labels, float(bool(rs["in_pool"])))
            for direction in ("up", "down"):
                value = _number(rs.get(f"{direction}_transitions"))
                if value is not None:
                    rs_transitions.add_metric([*labels, direction], value)
            for key, traffic in rs_traffic.items():
                value = _number(rs.get(key))
                if value is not None:
                    traffic.add_metric(labels, value)
            for index, check in enumerate(_dicts(rs.get("checks"))):
                # Two checks of one type on a server stay apart by their position.
                kind = str(check.get("type", ""))
                check_labels = [*labels, kind if index == 0 else f"{kind}#{index}"]
                if "up" in check:
                    check_up.add_metric(check_labels, float(bool(check["up"])))
                result = check.get("last_result")
                if result in ("success", "failure"):
                    check_last.add_metric(check_labels, 1.0 if result == "success" else 0.0)
                ago = _number(check.get("ago"))
                if ago is not None:
                    check_ago.add_metric(check_labels, ago)
                duration = _number(check.get("duration"))
                if duration is not None:
                    check_duration.add_metric(check_labels, duration)
                for key, family in check_counters.items():
                    value = _number(check.get(key))
                    if value is not None:
                        family.add_metric(check_labels, value)
    return [
        quorum,
        sorry,
        *vs_traffic.values(),
        health,
        weight,
        in_pool,
        rs_transitions,
        *rs_traffic.values(),
        check_up,
        check_last,
        check_ago,
        check_duration,
        *check_counters.values(),
    ]


def _dicts(value: object) -> Iterable[Mapping[str, Any]]:
    if not isinstance(value, list):
        return ()
    return [item for item in value if isinstance(item, Mapping)]


def kernel_ops_family(processes: Mapping[str, Mapping[str, Any]]) -> Metric:
    """Each child's kernel operations (its status document's `process.kernel_ops`), one family."""
    family = CounterMetricFamily(
        "alived_kernel_operations",
        "Requests a child made that change kernel state (netlink, nftables, IPVS, sysctl)",
        labels=("child", "subsystem", "operation"),
    )
    for child, process in processes.items():
        ops = process.get("kernel_ops")
        for subsystem, counts in ops.items() if isinstance(ops, Mapping) else ():
            for operation, value in counts.items() if isinstance(counts, Mapping) else ():
                number = _number(value)
                if number is not None:
                    family.add_metric([child, str(subsystem), str(operation)], number)
    return family


def process_families(facts: ProcessFacts, children_up: Mapping[str, bool]) -> list[Metric]:
    """The parent's families: build info, children up and restarted, reloads, config load time."""
    build = InfoMetricFamily("alived_build", "alived's version and the keepalived version it matches")
    build.add_metric(
        [], {"version": facts.version, "keepalived_compat": facts.keepalived_compat, "commit": facts.commit}
    )
    up = GaugeMetricFamily(
        "alived_child_up",
        "1 when the child process answered the status query of this scrape",
        labels=("child",),
    )
    restarts = CounterMetricFamily(
        "alived_child_restarts", "Times a child process was respawned", labels=("child",)
    )
    for name, answered in children_up.items():
        up.add_metric([name], float(answered))
        restarts.add_metric([name], facts.restarts.get(name, 0))
    reloads = CounterMetricFamily("alived_reloads", "Reloads (SIGHUP) handled by the parent")
    reloads.add_metric([], facts.reloads)
    refused = CounterMetricFamily(
        "alived_reloads_refused", "Reloads asked by alivectl and refused for config errors (nothing changed)"
    )
    refused.add_metric([], facts.reloads_refused)
    families: list[Metric] = [build, up, restarts, reloads, refused]
    if facts.last_reload_ok is not None:
        ok = GaugeMetricFamily(
            "alived_last_reload_config_ok", "1 when the config read at the last reload was clean (-t exit 0)"
        )
        ok.add_metric([], float(facts.last_reload_ok))
        families.append(ok)
    if facts.config_load_seconds is not None:
        load = GaugeMetricFamily("alived_config_load_seconds", "Seconds the parent's last config read took")
        load.add_metric([], facts.config_load_seconds)
        families.append(load)
    if facts.started_at:
        uptime = GaugeMetricFamily("alived_start_time_seconds", "When the parent started (Unix time)")
        uptime.add_metric([], facts.started_at)
        families.append(uptime)
    return families
