"""The desired load-balancer state the checker core derives: per virtual server, which
destinations are in the pool and with which weight. Plain data, handed to an LbSink."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address

IPAddress = IPv4Address | IPv6Address


@dataclass(frozen=True, slots=True, kw_only=True)
class Destination:
    address: IPAddress
    port: int | None
    weight: int  # 0: kept in the table but given no traffic (inhibit_on_failure, inhibited sorry)
    sorry: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class DesiredVirtualServer:
    name: str  # keepalived's FMT_VS
    protocol: str
    address: IPAddress | None
    port: int | None
    fwmark: int | None
    group: str | None
    destinations: tuple[Destination, ...]
    quorum_up: bool
