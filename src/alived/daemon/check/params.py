"""The config model's virtual servers as checker-core parameters, and one probe per checker.

The probes helper's `probe_params.build_probe(checker, target)` builds a probe for every check
type; until it lands, TCP_CHECK is built here directly. A checker no probe can be built for is
logged and left out (its real server is then judged by its other checkers only).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from alived.checkers.base import Probe, Target
from alived.config import model
from alived.core.check.params import (
    CheckerParams,
    RealServerParams,
    SorryServerParams,
    VirtualServerParams,
)

log = logging.getLogger("alived.check")

ProbeBuilder = Callable[[model.Checker, Target], Probe]


def _tcp_probe(checker: model.Checker, target: Target) -> Probe:
    from alived.checkers.connect import Connection  # noqa: PLC0415
    from alived.checkers.tcp import TcpParams, TcpProbe  # noqa: PLC0415

    port = checker.connect_port if checker.connect_port is not None else target.port
    connection = Connection(
        connect_ip=checker.connect_ip or target.address,
        connect_port=port or 0,
        bindto=checker.bindto,
        bind_port=checker.bind_port,
        bind_if=checker.bind_if,
        fwmark=checker.fwmark,
        connect_timeout=checker.effective_connect_timeout,
    )
    return TcpProbe(TcpParams(connection=connection), target)


def default_builder() -> ProbeBuilder:
    """The probes helper's build_probe when present, else the built-in TCP_CHECK builder."""
    try:
        module = importlib.import_module("alived.daemon.check.probe_params")
    except ImportError:
        module = None
    built = getattr(module, "build_probe", None)
    if callable(built):
        return built  # type: ignore[no-any-return]

    def tcp_only(checker: model.Checker, target: Target) -> Probe:
        if checker.type != "TCP_CHECK":
            raise NotImplementedError(f"{checker.type} is not supported yet")
        return _tcp_probe(checker, target)

    return tcp_only


@dataclass
class Built:
    """Core parameters for every virtual server, and the probe behind each probe identity."""

    virtual_servers: list[VirtualServerParams] = field(default_factory=list)
    probes: dict[tuple[object, ...], Probe] = field(default_factory=dict)


def _protocol(vs: model.VirtualServer) -> str:
    return "none" if vs.fwmark is not None else vs.protocol.lower()


def _name(vs: model.VirtualServer) -> str:
    if vs.group is not None:
        return f"[{vs.group}]:{vs.port or 0}"
    if vs.fwmark is not None:
        return f"FWM {vs.fwmark}"
    return f"[{vs.address}]:{_protocol(vs)}:{vs.port or 0}"


def build(config: model.Config, builder: ProbeBuilder | None = None) -> Built:
    make = builder or default_builder()
    out = Built()
    log_all = config.global_defs.checker_log_all_failures
    for vs in config.virtual_servers:
        protocol = _protocol(vs)
        servers = []
        for rs in vs.real_servers:
            target = Target(
                address=rs.address,
                port=rs.effective_port,
                virtualhost=rs.virtualhost or vs.virtualhost,
                protocol=protocol,
            )
            checkers = []
            for c in rs.checkers:
                try:
                    probe = make(c, target)
                except Exception as err:  # a probe that cannot be built must not stop the others
                    log.warning(
                        "%s for %s of VS %s: %s - ignoring the checker", c.type, target, _name(vs), err
                    )
                    continue
                identity = probe.identity
                out.probes.setdefault(identity, probe)
                checkers.append(
                    CheckerParams(
                        keyword=c.type,
                        identity=identity,
                        delay_loop=c.effective_delay_loop,
                        connect_timeout=c.effective_connect_timeout,
                        retry=c.effective_retry,
                        delay_before_retry=c.effective_delay_before_retry,
                        warmup=c.effective_warmup,
                        alpha=c.effective_alpha,
                        log_all_failures=bool(c.log_all_failures) or log_all,
                    )
                )
            servers.append(
                RealServerParams(
                    address=rs.address,
                    port=rs.effective_port,
                    weight=rs.effective_weight,
                    inhibit_on_failure=bool(
                        rs.inhibit_on_failure if rs.inhibit_on_failure is not None else vs.inhibit_on_failure
                    ),
                    notify_up=rs.notify_up,
                    notify_down=rs.notify_down,
                    checkers=tuple(checkers),
                )
            )
        sorry = None
        if vs.sorry_server is not None:
            port = vs.sorry_server.port
            sorry = SorryServerParams(
                address=vs.sorry_server.address,
                port=None if vs.fwmark is not None else (port if port is not None else vs.port),
                inhibit=vs.sorry_server_inhibit,
            )
        out.virtual_servers.append(
            VirtualServerParams(
                name=_name(vs),
                protocol=protocol,
                address=vs.address,
                port=vs.port,
                fwmark=vs.fwmark,
                group=vs.group,
                quorum=vs.quorum,
                hysteresis=vs.hysteresis,
                quorum_up=vs.quorum_up,
                quorum_down=vs.quorum_down,
                sorry_server=sorry,
                ha_suspend=vs.ha_suspend,
                omega=vs.omega,
                real_servers=tuple(servers),
            )
        )
    return out
