"""What the checker core is configured with: one frozen parameter object per checker, real server
and virtual server, translated by the daemon from the config model (core never imports config).

Scripts (notify_up, quorum_down, ...) are opaque to the core: it only hands them back in
RunScript actions, so the daemon keeps script security and users in its own terms.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address

from alived.units import Ticks

IPAddress = IPv4Address | IPv6Address


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckerParams:
    """One checker block with its effective scheduling values (facts 5.4)."""

    keyword: str  # TCP_CHECK, HTTP_GET, ...
    identity: tuple[object, ...]  # the probe's identity: equal means the very same attempt
    delay_loop: Ticks
    connect_timeout: Ticks
    retry: int
    delay_before_retry: Ticks
    warmup: Ticks
    alpha: bool = False
    log_all_failures: bool = False

    @property
    def share_key(self) -> tuple[object, ...]:
        """Checkers with equal keys run one shared probe (same attempt, same schedule, same verdict)."""
        return (
            self.keyword,
            self.identity,
            self.delay_loop,
            self.connect_timeout,
            self.retry,
            self.delay_before_retry,
            self.warmup,
            self.alpha,
            self.log_all_failures,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class RealServerParams:
    address: IPAddress
    port: int | None
    weight: int = 1
    inhibit_on_failure: bool = False
    notify_up: object | None = None
    notify_down: object | None = None
    smtp_alert: bool = False
    checkers: tuple[CheckerParams, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class SorryServerParams:
    address: IPAddress
    port: int | None
    inhibit: bool = False  # sorry_server_inhibit: kept in the pool at weight 0 while not needed
    weight: int = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class VirtualServerParams:
    """A virtual_server; `name` is keepalived's FMT_VS text and the stable key across reloads.

    A virtual_server_group service is one virtual server here (named `[GROUP]:PORT`): the group's
    entries all carry the same destinations, which the load-balancer side expands.
    """

    name: str
    protocol: str = "tcp"  # tcp, udp, sctp; "none" for fwmark services (keepalived's FMT_RS)
    address: IPAddress | None = None
    port: int | None = None
    fwmark: int | None = None
    group: str | None = None
    quorum: int = 1
    hysteresis: int = 0
    quorum_up: object | None = None
    quorum_down: object | None = None
    sorry_server: SorryServerParams | None = None
    ha_suspend: bool = False
    omega: bool = False
    smtp_alert: bool = False
    no_checker_emails: bool = False  # global: a checker mails only when its real server changes
    real_servers: tuple[RealServerParams, ...] = ()


def format_server(address: IPAddress, protocol: str, port: int | None) -> str:
    """keepalived's inet_sockaddrtotrio: `[192.0.2.21]:tcp:80`."""
    return f"[{address}]:{protocol}:{port or 0}"
