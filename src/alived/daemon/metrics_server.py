"""The parent's Prometheus endpoint: `/metrics` over HTTP, served from a thread of the supervisor.

Off unless `--metrics ADDRESS:PORT` or global_defs `metrics_address ADDRESS:PORT` asks for it
(the command line wins). The children are untouched: on every scrape the collector asks each
child's status socket for its JSON (the VRRP child's `status-json`, the checker child's `json`)
and daemon/metrics.py converts it. A child that does not answer shows as `alived_child_up 0`
and contributes no series for that scrape; the scrape itself never fails.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from alived.config.model import GlobalDefs
from alived.daemon.metrics import (
    checker_families,
    kernel_ops_family,
    process_families,
    vrrp_families,
)
from alived.daemon.options import Options
from alived.daemon.process_facts import ProcessFacts
from alived.daemon.spawn import parent_only, parent_released
from alived.daemon.status import instance_rows, query

log = logging.getLogger("alived.metrics")

SCRAPE_TIMEOUT = 2.0  # per child; Prometheus' default scrape timeout is 10 s


def parse_address(text: str) -> tuple[str, int]:
    """`ADDRESS:PORT` (IPv6 as `[ADDRESS]:PORT`) as (address, port); ValueError says what is wrong."""
    host, sep, port_text = text.strip().rpartition(":")
    if not sep or not host:
        raise ValueError(f"metrics address {text!r} is not ADDRESS:PORT")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"metrics address {text!r}: {host!r} is not an IP address") from None
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"metrics address {text!r}: port must be 1-65535")
    return host, int(port_text)


@dataclass(frozen=True, slots=True)
class ChildSocket:
    """A child to ask at scrape time: its name (metric label), kind ("vrrp" or "check") and socket."""

    name: str
    kind: str
    path: str


class AlivedCollector(Collector):
    """Asks each child's status socket per scrape and yields the converted families."""

    def __init__(
        self,
        children: Callable[[], Sequence[ChildSocket]],
        facts: ProcessFacts,
        ask: Callable[[str, str, float], str] = query,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._children = children
        self._facts = facts
        self._ask = ask
        self._clock = clock

    def collect(self) -> Iterator[Metric]:
        up: dict[str, bool] = {}
        families: list[Metric] = []
        processes: dict[str, Any] = {}  # each child's `process` object (kernel operations)
        for child in self._children():
            request = "status-json" if child.kind == "vrrp" else "json"
            try:
                doc: Any = json.loads(self._ask(child.path, request, SCRAPE_TIMEOUT))
            except (OSError, ValueError) as err:
                log.debug("metrics: %s child did not answer on %s: %s", child.name, child.path, err)
                up[child.name] = False
                continue
            try:
                if child.kind == "vrrp":
                    families.extend(vrrp_families(instance_rows(doc), self._clock()))
                elif isinstance(doc, dict):
                    families.extend(checker_families(doc))
                else:
                    raise ValueError("not a checker status document")
            except ValueError as err:
                log.debug("metrics: %s child answered an unexpected document: %s", child.name, err)
                up[child.name] = False
                continue
            up[child.name] = True
            if isinstance(doc, dict) and isinstance(doc.get("process"), dict):
                processes[child.name] = doc["process"]
        yield from process_families(self._facts, up)
        yield from families
        yield kernel_ops_family(processes)


class MetricsServer:
    """The HTTP endpoint: `start` binds (a failure is logged, the daemon runs on), `close` stops it."""

    def __init__(self, address: str, collector: Collector) -> None:
        self.address = address
        self._collector = collector
        self._httpd: WSGIServer | None = None

    def start(self) -> bool:
        try:
            host, port = parse_address(self.address)
            registry = CollectorRegistry(auto_describe=False)
            registry.register(self._collector)
            self._httpd, _ = start_http_server(port, addr=host, registry=registry)
            parent_only(self._httpd.socket.fileno())
        except (OSError, ValueError) as err:
            log.error("Unable to serve metrics on %s: %s", self.address, err)
            return False
        log.info("Serving metrics on http://%s/metrics", self.address)
        return True

    def close(self) -> None:
        if self._httpd is not None:
            parent_released(self._httpd.socket.fileno())
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None


class _Slot(Protocol):
    name: str
    status_path: str


class _Parent(Protocol):
    options: Options
    defaults: GlobalDefs
    facts: ProcessFacts

    @property
    def children(self) -> Sequence[_Slot]: ...


def start_for(parent: _Parent) -> MetricsServer | None:
    """The supervisor's endpoint, when the command line or global_defs asks for one (else None)."""
    address = parent.options.metrics or parent.defaults.metrics_address
    if not address:
        return None

    def children() -> list[ChildSocket]:
        # Read at scrape time: the list is filled after the endpoint starts, and slots respawn.
        return [
            ChildSocket(slot.name, "vrrp" if slot.name == "VRRP" else "check", slot.status_path)
            for slot in list(parent.children)
            if slot.status_path
        ]

    server = MetricsServer(address, AlivedCollector(children, parent.facts))
    return server if server.start() else None
