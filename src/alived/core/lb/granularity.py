"""persistence_granularity: how much of a client's address picks its persistent real server.

IPv6 takes a prefix length. IPv4 takes a netmask, which keepalived 2.2.7 hands to IPVS as
written even when it is not solid (255.0.255.0: the kernel ANDs the client address with it).
A solid mask is held as its prefix length, any other as a `Netmask`, so each mask has exactly
one value and a service read back from a backend compares equal to the one planned.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from alived.errors import LocalMisuse

_ALL = 0xFFFFFFFF


@dataclass(frozen=True, slots=True)
class Netmask:
    """An IPv4 netmask that is not a prefix (a solid one is held as its prefix length)."""

    bits: int  # host order

    def __post_init__(self) -> None:
        if not 0 <= self.bits <= _ALL or _prefix_of(self.bits) is not None:
            raise LocalMisuse(f"not a non-solid IPv4 netmask: {self.bits:#x}")

    def __str__(self) -> str:
        return str(ipaddress.IPv4Address(self.bits))


# A prefix length (IPv4 0..32, IPv6 1..128) or a non-solid IPv4 netmask.
Granularity = int | Netmask


def _prefix_of(bits: int) -> int | None:
    """The prefix length of a solid 32-bit mask, else None."""
    host = ~bits & _ALL
    if host & (host + 1):
        return None
    return 32 - host.bit_length()


def from_ipv4_mask(bits: int) -> Granularity:
    """The granularity of an IPv4 netmask (host order): its prefix length when solid."""
    prefix = _prefix_of(bits)
    return Netmask(bits) if prefix is None else prefix


def ipv4_netmask(granularity: Granularity) -> str:
    """The dotted IPv4 netmask (what IPVS takes and nftables ANDs the client address with)."""
    if isinstance(granularity, Netmask):
        return str(granularity)
    return str(ipaddress.IPv4Address((_ALL << (32 - granularity)) & _ALL))


def netmask(family: int, granularity: Granularity) -> str:
    """The netmask of either family, as an address."""
    if family == 4:
        return ipv4_netmask(granularity)
    return str(ipaddress.IPv6Network(f"::/{granularity}").netmask)


def text(granularity: Granularity) -> str:
    """One word for records (the prefix length, or the dotted mask); `parse` reads it back."""
    return str(granularity)


def parse(word: str) -> Granularity:
    """A word `text` wrote (ValueError if it is not one)."""
    if "." in word:
        return from_ipv4_mask(int(ipaddress.IPv4Address(word)))
    return int(word)


def token(granularity: Granularity) -> str:
    """The granularity in a name: digits, or `m` and the mask's hex digits (no dots)."""
    if isinstance(granularity, Netmask):
        return f"m{granularity.bits:08x}"
    return str(granularity)
