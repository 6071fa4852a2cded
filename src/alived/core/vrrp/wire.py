"""VRRP packets as bytes: decode and encode v2/v3 over IPv4/IPv6, checksums (well-formedness only).

The shared value types live here; encode/decode functions are added below them.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address

from alived.units import Ticks, from_centiseconds, from_seconds

IPAddress = IPv4Address | IPv6Address

VRRP_PROTO = 112
AH_PROTO = 51
VRRP_GROUP4 = IPv4Address("224.0.0.18")
VRRP_GROUP6 = IPv6Address("ff02::12")
VRRP_TTL = 255

AUTH_NONE = 0
AUTH_PASS = 1
AUTH_AH = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class Advert:
    """One VRRP advertisement as carried on the wire.

    adver_int is in the wire's own unit: whole seconds for v2, centiseconds (12 bits) for v3.
    auth_type/auth_data exist only in v2 (auth_data is the 8-byte field).
    """

    version: int
    vrid: int
    priority: int
    adver_int: int
    addresses: tuple[IPAddress, ...]
    auth_type: int = AUTH_NONE
    auth_data: bytes = b""

    @property
    def interval(self) -> Ticks:
        """Advertisement interval as Ticks."""
        if self.version == 2:
            return from_seconds(self.adver_int)
        return from_centiseconds(self.adver_int)


@dataclass(frozen=True, slots=True, kw_only=True)
class AhHeader:
    """IPsec AH header as keepalived sends it before a v2 advert (RFC 2402 layout)."""

    next_header: int
    payload_len: int
    spi: int
    seq: int
    icv: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceivedPacket:
    """What the receive path learned about one packet: IP-level facts plus the decoded advert.

    ip_header is the raw IPv4 header (empty for IPv6) and vrrp_bytes the raw VRRP message;
    both are kept so that AH can be verified over exactly what was received.
    """

    source: IPAddress
    destination: IPAddress
    ttl: int
    advert: Advert
    ah: AhHeader | None = None
    ip_header: bytes = b""
    vrrp_bytes: bytes = b""
