"""Which checksum form of a received VRRPv3 advert an instance accepts (keepalived's vrrp_check_packet).

The decoder accepts both forms of a v3 IPv4 unicast checksum (the real pseudo-header, or the
old one with 224.0.0.18 in place of the peer) and flags the old one; a v3 checksum summed the
v2 way (no pseudo-header) is decoded only on request. Which of these an instance takes depends
on its mode; this module is that rule, pure: the caller keeps the "adopted" flag and logs.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from alived.core.vrrp.wire import ReceivedPacket


class UnicastChecksum(enum.Enum):
    """How a VRRPv3 IPv4 unicast instance sums its pseudo-header (keepalived's chksum_compatibility_t).

    NONE: the real destination, switching to the old form once a peer is heard using it.
    NEVER: the real destination, never switching. CONFIG (`old_unicast_checksum`): the old form,
    224.0.0.18 in place of the peer, as keepalived 1.3.6 and earlier did.
    """

    NONE = "none"
    NEVER = "never"
    CONFIG = "config"


class ChecksumVerdict(enum.Enum):
    """What a received advert's checksum form means for an instance."""

    ACCEPT = "accept"
    ADOPT = "adopt"  # the old form from a peer: accept it and send the old form from now on
    REJECT = "reject"  # keepalived logs "Invalid VRRPv3 checksum" and drops it


@dataclass(frozen=True, slots=True)
class ChecksumMode:
    """The facts of one instance the verdict depends on."""

    family: int
    version: int
    unicast: bool
    unicast_checksum: UnicastChecksum = UnicastChecksum.NONE
    v3_checksum_as_v2: bool = False

    def sends_old_form(self, adopted: bool) -> bool:
        """Whether adverts sum the old way (configured, or adopted from a peer): v3 IPv4 unicast only."""
        return (
            self.unicast
            and self.version == 3
            and self.family == 4
            and (self.unicast_checksum is UnicastChecksum.CONFIG or adopted)
        )


def checksum_verdict(
    mode: ChecksumMode, packet: ReceivedPacket, *, adopted: bool, as_v2: bool = False
) -> ChecksumVerdict:
    """Judge the checksum form of a decoded advert for an instance in `mode`.

    adopted: the instance already took the old form from a peer. as_v2: the packet's v3
    checksum only matched summed the v2 way; right for a `v3_checksum_as_v2` instance and a bad
    checksum to any other, and the other way round. ADOPT means: accept, and send the old form
    from now on (the caller records it, so ADOPT comes once).
    """
    advert = packet.advert
    if advert.version == 3 and mode.v3_checksum_as_v2 != as_v2:
        return ChecksumVerdict.REJECT
    if advert.version != 3 or mode.family != 4 or packet.destination.is_multicast:
        return ChecksumVerdict.ACCEPT
    old_form = mode.sends_old_form(adopted)
    if not packet.old_unicast_checksum:
        return ChecksumVerdict.REJECT if old_form else ChecksumVerdict.ACCEPT
    if old_form:
        return ChecksumVerdict.ACCEPT
    if mode.unicast_checksum is UnicastChecksum.NONE and mode.unicast:
        return ChecksumVerdict.ADOPT
    return ChecksumVerdict.REJECT
