"""VRRPv2 authentication: the simple password field and IPsec AH (HMAC-MD5-96) as keepalived does them.

AH follows keepalived 2.2.7 (vrrp_update_pkt / vrrp_in_chk_ipsecah): the ICV is the first 96 bits of
HMAC-MD5, keyed with the 8-byte auth_pass field, over the IPv4 header with TOS, frag_off and checksum
zeroed (and TTL too for unicast instances), then the AH header with its ICV zeroed, then the VRRP message.
Anti-replay (sequence numbers) is stateful and belongs to the instance.
"""

from __future__ import annotations

import hmac
import struct
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alived.core.vrrp.wire import Advert, AhHeader, ReceivedPacket

PASS_LEN = 8
ICV_LEN = 12


def pass_field(password: str | bytes) -> bytes:
    """The 8-byte auth field for a configured auth_pass: NUL padded, longer passwords truncated."""
    raw = password.encode() if isinstance(password, str) else bytes(password)
    return raw[:PASS_LEN].ljust(PASS_LEN, b"\x00")


def check_pass(advert: Advert, password: str | bytes) -> bool:
    """Whether the advert's 8-byte auth field carries password (constant-time compare)."""
    return hmac.compare_digest(advert.auth_data, pass_field(password))


def ah_icv(ip_header: bytes, ah: AhHeader, vrrp: bytes, key: str | bytes, *, unicast: bool) -> bytes:
    """The 12-byte AH ICV over ip_header (as sent or received), ah (its ICV ignored) and vrrp."""
    header = bytearray(ip_header)
    header[1] = 0  # TOS
    header[6:8] = b"\x00\x00"  # flags and fragment offset
    header[10:12] = b"\x00\x00"  # header checksum
    if unicast:
        header[8] = 0  # TTL
    ah_zeroed = struct.pack(
        "!BBHII12x", ah.next_header, ah.payload_len, ah.reserved, ah.spi & 0xFFFFFFFF, ah.seq & 0xFFFFFFFF
    )
    digest = hmac.digest(pass_field(key), bytes(header) + ah_zeroed + bytes(vrrp), "md5")
    return digest[:ICV_LEN]


def verify_ah(packet: ReceivedPacket, key: str | bytes, *, unicast: bool = False) -> bool:
    """Whether packet carries AH with a valid ICV and an SPI equal to its IPv4 source.

    The sequence number is not checked here: anti-replay needs the instance's last seen value.
    """
    ah = packet.ah
    if ah is None or not packet.ip_header:
        return False
    expected = ah_icv(packet.ip_header, ah, packet.vrrp_bytes, key, unicast=unicast)
    if not hmac.compare_digest(expected, ah.icv):
        return False
    return ah.spi == int(packet.source)
