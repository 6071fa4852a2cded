"""The config model's virtual servers as checker-core parameters, and one probe per checker.

Probes come from the probes helper's `probe_params.build_probe` (the registry by keyword, with
keepalived's per-type defaults). A checker no probe can be built for (BFD_CHECK) is logged and
left out: its real server is then judged by its other checkers only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from alived.checkers.base import Probe, Target
from alived.config import model, model_check
from alived.core.check.params import (
    CheckerParams,
    RealServerParams,
    SorryServerParams,
    VirtualServerParams,
)

log = logging.getLogger("alived.check")

# (checker block, its real server's target, the virtual server's virtualhost) -> probe
ProbeBuilder = Callable[[model_check.Checker, Target, str | None], Probe]


def default_builder(config: model.Config) -> ProbeBuilder:
    from alived.daemon.check.probe_params import build_probe  # noqa: PLC0415

    def make(checker: model_check.Checker, target: Target, vs_virtualhost: str | None) -> Probe:
        return build_probe(checker, target, config=config, vs_virtualhost=vs_virtualhost)

    return make


@dataclass
class Built:
    """Core parameters for every virtual server, and the probe behind each probe identity."""

    virtual_servers: list[VirtualServerParams] = field(default_factory=list)
    probes: dict[tuple[object, ...], Probe] = field(default_factory=dict)


def _protocol(vs: model.VirtualServer) -> str:
    return "none" if vs.fwmark is not None else vs.protocol.lower()


def vs_name(vs: model.VirtualServer) -> str:
    """keepalived's name for a virtual server in its logs (FMT_VS), the checker core's key."""
    if vs.group is not None:
        return f"[{vs.group}]:{vs.port or 0}"
    if vs.fwmark is not None:
        return f"FWM {vs.fwmark}"
    return f"[{vs.address}]:{_protocol(vs)}:{vs.port or 0}"


def _smtp_alert(own: bool | None, g: model.GlobalDefs, *, default: bool) -> bool:
    """keepalived's check_data.c: own flag, else smtp_alert_checker, else smtp_alert, else default
    (true for a real server, kept for backward compatibility; false for a virtual server)."""
    return next(f for f in (own, g.smtp_alert_checker, g.smtp_alert, default) if f is not None)


def build(config: model.Config, builder: ProbeBuilder | None = None) -> Built:
    make = builder or default_builder(config)
    out = Built()
    g = config.global_defs
    log_all = g.checker_log_all_failures
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
                    probe = make(c, target, vs.virtualhost)
                except Exception as err:  # a probe that cannot be built must not stop the others
                    log.warning(
                        "%s for %s of VS %s: %s - ignoring the checker", c.type, target, vs_name(vs), err
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
                    smtp_alert=_smtp_alert(rs.smtp_alert, g, default=True),
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
                name=vs_name(vs),
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
                smtp_alert=_smtp_alert(vs.smtp_alert, g, default=False),
                no_checker_emails=g.no_checker_emails,
                real_servers=tuple(servers),
            )
        )
    return out
