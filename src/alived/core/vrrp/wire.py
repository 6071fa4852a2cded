"""VRRP packets as bytes: decode and encode v2/v3 over IPv4/IPv6, checksums (well-formedness only).

The shared value types come first, then pure functions over bytes. Decoding checks well-formedness
only (lengths, version, type, checksums, IP header sanity) and raises DecodeError with a stable
reason key; whether an advert is for us is the instance's decision. Layouts follow keepalived 2.2.7
(vrrp.c: vrrp_build_ip4, vrrp_build_vrrp_v2/v3, vrrp_build_ipsecah, vrrp_update_pkt).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, replace
from ipaddress import IPv4Address, IPv6Address

from alived.core.vrrp.auth import ah_icv
from alived.defaults import VMAC_FAMILY_OCTET, VMAC_OUI
from alived.errors import DecodeError, LocalMisuse
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
    reserved: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceivedPacket:
    """What the receive path learned about one packet: IP-level facts plus the decoded advert.

    ip_header is the raw IPv4 header (empty for IPv6) and vrrp_bytes the raw VRRP message;
    both are kept so that AH can be verified over exactly what was received. old_unicast_checksum
    says a v3 unicast checksum matched only with 224.0.0.18 in its pseudo-header (keepalived's
    old_unicast_checksum form, which a receiver then adopts).
    """

    source: IPAddress
    destination: IPAddress
    ttl: int
    advert: Advert
    ah: AhHeader | None = None
    ip_header: bytes = b""
    vrrp_bytes: bytes = b""
    old_unicast_checksum: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class AhParams:
    """What the sender needs to add an IPsec AH header (v2 over IPv4 only).

    key is the 8-byte auth_pass field (see auth.pass_field); seq the AH sequence number of this advert.
    unicast zeroes the TTL in the ICV input as keepalived does for unicast instances.
    """

    key: bytes
    seq: int
    unicast: bool = False


IPV4_HEADER_LEN = 20
AH_HEADER_LEN = 24
AH_PAYLOAD_LEN = 4
AH_ICV_LEN = 12
VRRP_HEADER_LEN = 8
VRRP_AUTH_LEN = 8
VRRP_TYPE_ADVERT = 1
VRRP_TOS = 0xC0
MAX_V3_ADVER_INT = 0x0FFF

_IPV4_MF_OR_OFFSET = 0x3FFF


def internet_checksum(data: bytes) -> int:
    """RFC 1071 checksum of data (odd lengths padded with a zero byte).

    Summing 16-bit words with end-around carry is arithmetic modulo 0xFFFF, which lets one
    big-integer conversion replace a Python loop; only the all-zero input folds to 0 rather than 0xFFFF.
    """
    if len(data) % 2:
        data += b"\x00"
    total = int.from_bytes(data, "big")
    folded = total % 0xFFFF
    if folded == 0 and total != 0:
        folded = 0xFFFF
    return ~folded & 0xFFFF


def _pseudo_header(source: IPAddress, destination: IPAddress, length: int) -> bytes:
    if isinstance(source, IPv4Address):
        return source.packed + destination.packed + struct.pack("!BBH", 0, VRRP_PROTO, length)
    return source.packed + destination.packed + struct.pack("!I3xB", length, VRRP_PROTO)


def vrrp_checksum(
    message: bytes,
    *,
    version: int,
    source: IPAddress,
    destination: IPAddress,
    v3_checksum_as_v2: bool = False,
) -> int:
    """The checksum over a VRRP message (its checksum field as given; zero it to compute a new one).

    v2 covers the message only; v3 prepends the pseudo-header built from source and destination,
    unless `v3_checksum_as_v2` (IPv4 only). For a message whose checksum field is already set,
    the result is 0 exactly when that checksum is right.
    """
    if version == 3 and not (v3_checksum_as_v2 and isinstance(source, IPv4Address)):
        return internet_checksum(_pseudo_header(source, destination, len(message)) + message)
    return internet_checksum(message)


def _check_encodable(advert: Advert, source: IPAddress, destination: IPAddress) -> int:
    if advert.version not in (2, 3):
        raise LocalMisuse(f"VRRP version {advert.version} cannot be encoded")
    if type(source) is not type(destination):
        raise LocalMisuse("source and destination must be of one address family")
    if advert.version == 2 and not isinstance(source, IPv4Address):
        raise LocalMisuse("VRRPv2 exists only over IPv4")
    if any(type(a) is not type(source) for a in advert.addresses):
        raise LocalMisuse("every virtual address must be of the packet's address family")
    if not (0 <= advert.vrid <= 255 and 0 <= advert.priority <= 255):
        raise LocalMisuse("vrid and priority are one byte each")
    if len(advert.addresses) > 255:
        raise LocalMisuse("at most 255 addresses fit in one advert")
    limit = 255 if advert.version == 2 else MAX_V3_ADVER_INT
    if not 0 <= advert.adver_int <= limit:
        raise LocalMisuse(f"adver_int {advert.adver_int} does not fit VRRPv{advert.version}")
    if advert.version == 2 and not (0 <= advert.auth_type <= 255 and len(advert.auth_data) <= VRRP_AUTH_LEN):
        raise LocalMisuse("v2 auth_type is one byte and auth_data at most 8 bytes")
    return advert.version


def encode_advert(
    advert: Advert,
    *,
    source: IPAddress,
    destination: IPAddress,
    v3_checksum_as_v2: bool = False,
) -> bytes:
    """The VRRP message for advert, checksum included.

    For v3 the checksum's pseudo-header uses source and destination: pass the real destination
    (the group, or the unicast peer), or 224.0.0.18 to reproduce `old_unicast_checksum`.
    IPv6 checksums are computed too; the kernel's own (IPV6_CHECKSUM) gives the same value.
    """
    version = _check_encodable(advert, source, destination)
    body = b"".join(a.packed for a in advert.addresses)
    if version == 2:
        second = struct.pack("!BB", advert.auth_type, advert.adver_int)
        body += advert.auth_data.ljust(VRRP_AUTH_LEN, b"\x00")
    else:
        second = struct.pack("!H", advert.adver_int)
    head = struct.pack(
        "!BBBB", (version << 4) | VRRP_TYPE_ADVERT, advert.vrid, advert.priority, len(advert.addresses)
    )
    unsummed = head + second + b"\x00\x00" + body
    csum = vrrp_checksum(
        unsummed, version=version, source=source, destination=destination, v3_checksum_as_v2=v3_checksum_as_v2
    )
    return head + second + struct.pack("!H", csum) + body


def _decode_vrrp(
    data: bytes, source: IPAddress, destination: IPAddress, v3_checksum_as_v2: bool
) -> tuple[Advert, bool]:
    """Decode one VRRP message; the flag says the v3 checksum only matched with 224.0.0.18."""
    if len(data) < VRRP_HEADER_LEN:
        raise DecodeError("short", f"{len(data)} bytes, a VRRP header is 8")
    vers_type, vrid, priority, naddr = data[0], data[1], data[2], data[3]
    version, ptype = vers_type >> 4, vers_type & 0x0F
    is_v4 = isinstance(source, IPv4Address)
    if version not in (2, 3) or (version == 2 and not is_v4):
        raise DecodeError("bad_version", f"version {version}")
    if ptype != VRRP_TYPE_ADVERT:
        raise DecodeError("bad_type", f"type {ptype}")
    addr_len = 4 if is_v4 else 16
    expected = VRRP_HEADER_LEN + naddr * addr_len + (VRRP_AUTH_LEN if version == 2 else 0)
    if len(data) < expected:
        raise DecodeError("truncated", f"{len(data)} bytes, {naddr} addresses need {expected}")
    if len(data) > expected:
        raise DecodeError("too_long", f"{len(data)} bytes, {naddr} addresses need {expected}")
    old_form = False
    if vrrp_checksum(
        data, version=version, source=source, destination=destination, v3_checksum_as_v2=v3_checksum_as_v2
    ):
        # keepalived's old_unicast_checksum peers sum over the group address even when unicasting.
        if not (
            version == 3
            and is_v4
            and not v3_checksum_as_v2
            and not destination.is_multicast
            and vrrp_checksum(data, version=3, source=source, destination=VRRP_GROUP4) == 0
        ):
            raise DecodeError("bad_checksum", f"checksum 0x{data[6]:02x}{data[7]:02x}")
        old_form = True
    family: type[IPv4Address] | type[IPv6Address] = IPv4Address if is_v4 else IPv6Address
    addresses = tuple(
        family(data[off : off + addr_len])
        for off in range(VRRP_HEADER_LEN, VRRP_HEADER_LEN + naddr * addr_len, addr_len)
    )
    if version == 2:
        advert = Advert(
            version=2,
            vrid=vrid,
            priority=priority,
            adver_int=data[5],
            addresses=addresses,
            auth_type=data[4],
            auth_data=data[expected - VRRP_AUTH_LEN : expected],
        )
    else:
        advert = Advert(
            version=3,
            vrid=vrid,
            priority=priority,
            adver_int=((data[4] << 8) | data[5]) & MAX_V3_ADVER_INT,
            addresses=addresses,
        )
    return advert, old_form


def decode_advert(
    data: bytes,
    *,
    source: IPAddress,
    destination: IPAddress,
    v3_checksum_as_v2: bool = False,
) -> Advert:
    """Decode a VRRP message; raises DecodeError (only) when it is not well formed.

    The address family comes from source. A v3 IPv4 unicast message whose checksum only
    matches with the 224.0.0.18 pseudo-header (keepalived's old_unicast_checksum) is accepted.
    """
    return _decode_vrrp(bytes(data), source, destination, v3_checksum_as_v2)[0]


MAX_IP_ID = 0xFFFF


def next_ip_id(previous: int) -> int:
    """The IPv4 header ID of an instance's next advert, after `previous` (0 before the first).

    keepalived (vrrp.c, vrrp_update_pkt) keeps one counter per instance, starting at 0, and
    increments it once per advert, so the first advert carries ID 1 and every unicast copy of
    one advert carries the same ID. 0 is skipped: with IP_HDRINCL the kernel replaces an ID of 0
    with its own, which would void an AH ICV computed over the header.
    """
    return previous % MAX_IP_ID + 1


def _ipv4_header(
    *,
    tos: int,
    total_len: int,
    ident: int,
    ttl: int,
    proto: int,
    source: IPv4Address,
    destination: IPv4Address,
) -> bytes:
    """An IPv4 header without options, checksum field zero."""
    return struct.pack(
        "!BBHHHBBH4s4s", 0x45, tos, total_len, ident, 0, ttl, proto, 0, source.packed, destination.packed
    )


def _with_ip_checksum(header: bytes) -> bytes:
    return header[:10] + struct.pack("!H", internet_checksum(header)) + header[12:]


def encode_ipv4_packet(
    advert: Advert,
    *,
    source: IPv4Address,
    destination: IPv4Address,
    ttl: int = VRRP_TTL,
    ident: int = 0,
    tos: int = VRRP_TOS,
    ah: AhParams | None = None,
    v3_checksum_as_v2: bool = False,
    old_unicast_checksum: bool = False,
) -> bytes:
    """A whole IPv4 packet as keepalived hands it to an IP_HDRINCL socket, as it appears on the wire.

    The IP checksum is filled in (the kernel would compute the same). DF is not set. With ah, the
    protocol is 51 and an AH header (SPI = source, sequence ah.seq, HMAC-MD5-96 ICV) precedes the advert.
    ident is the IP ID, the instance's counter (`next_ip_id`); 0 lets the kernel choose (not with AH).
    old_unicast_checksum sums a v3 checksum over 224.0.0.18 instead of the unicast destination.
    """
    if not (isinstance(source, IPv4Address) and isinstance(destination, IPv4Address)):
        raise LocalMisuse("encode_ipv4_packet needs IPv4 addresses")
    if not (0 <= ttl <= 255 and 0 <= tos <= 255 and 0 <= ident <= 0xFFFF):
        raise LocalMisuse("ttl, tos and ident must fit their IPv4 header fields")
    sum_destination = VRRP_GROUP4 if old_unicast_checksum else destination
    vrrp = encode_advert(
        advert, source=source, destination=sum_destination, v3_checksum_as_v2=v3_checksum_as_v2
    )
    if ah is None:
        header = _ipv4_header(
            tos=tos,
            total_len=IPV4_HEADER_LEN + len(vrrp),
            ident=ident,
            ttl=ttl,
            proto=VRRP_PROTO,
            source=source,
            destination=destination,
        )
        return _with_ip_checksum(header) + vrrp
    if advert.version != 2:
        raise LocalMisuse("AH authentication exists only for VRRPv2")
    if ident == 0:
        raise LocalMisuse("with AH the IP ID must be non-zero: the kernel would replace 0 and void the ICV")
    if not 0 <= ah.seq <= 0xFFFFFFFF:
        raise LocalMisuse("the AH sequence number is 32 bits")
    header = _ipv4_header(
        tos=tos,
        total_len=IPV4_HEADER_LEN + AH_HEADER_LEN + len(vrrp),
        ident=ident,
        ttl=ttl,
        proto=AH_PROTO,
        source=source,
        destination=destination,
    )
    ah_header = AhHeader(
        next_header=VRRP_PROTO,
        payload_len=AH_PAYLOAD_LEN,
        spi=int(source),
        seq=ah.seq,
        icv=bytes(AH_ICV_LEN),
    )
    icv = ah_icv(header, ah_header, vrrp, ah.key, unicast=ah.unicast)
    return _with_ip_checksum(header) + encode_ah_header(replace(ah_header, icv=icv)) + vrrp


def encode_ah_header(ah: AhHeader) -> bytes:
    """The 24 AH bytes (RFC 2402 layout) with the given ICV, padded or cut to 12 bytes."""
    return struct.pack(
        "!BBHII12s", ah.next_header, ah.payload_len, ah.reserved, ah.spi, ah.seq, ah.icv[:AH_ICV_LEN]
    )


def decode_ipv4_packet(data: bytes, *, v3_checksum_as_v2: bool = False) -> ReceivedPacket:
    """Decode a raw IPv4 packet (IP header, optional AH, VRRP) as read from a raw socket.

    Bytes after the IP total length (Ethernet minimum-frame padding) are ignored. Multicast
    packets must arrive with TTL 255 (RFC 5798 §7.1); unicast TTL is the instance's business.
    Raises DecodeError only.
    """
    data = bytes(data)
    if len(data) < IPV4_HEADER_LEN:
        raise DecodeError("short", f"{len(data)} bytes, an IPv4 header is 20")
    if data[0] >> 4 != 4:
        raise DecodeError("bad_ip_version", f"IP version {data[0] >> 4}")
    ihl = (data[0] & 0x0F) * 4
    if ihl < IPV4_HEADER_LEN:
        raise DecodeError("bad_ihl", f"IP header length {ihl}")
    total_len, frag = struct.unpack_from("!H2xH", data, 2)
    if total_len < ihl:
        raise DecodeError("bad_tot_len", f"total length {total_len} < header length {ihl}")
    if len(data) < total_len:
        raise DecodeError("truncated", f"{len(data)} bytes, IP total length {total_len}")
    data = data[:total_len]
    header = data[:ihl]
    if internet_checksum(header):
        raise DecodeError("bad_ip_checksum")
    if frag & _IPV4_MF_OR_OFFSET:
        raise DecodeError("fragment", "the kernel hands raw sockets reassembled packets only")
    ttl, proto = data[8], data[9]
    source, destination = IPv4Address(data[12:16]), IPv4Address(data[16:20])
    if proto not in (VRRP_PROTO, AH_PROTO):
        raise DecodeError("bad_protocol", f"IP protocol {proto}")
    if destination.is_multicast and ttl != VRRP_TTL:
        raise DecodeError("ttl", f"TTL {ttl} on a multicast advert")
    ah: AhHeader | None = None
    offset = ihl
    if proto == AH_PROTO:
        if total_len < ihl + AH_HEADER_LEN:
            raise DecodeError("short", "too short for the AH header")
        next_header, payload_len, reserved, spi, seq, icv = struct.unpack_from("!BBHII12s", data, ihl)
        if next_header != VRRP_PROTO:
            raise DecodeError("bad_ah", f"AH next header {next_header}")
        if payload_len != AH_PAYLOAD_LEN:
            raise DecodeError("bad_ah", f"AH payload length {payload_len}")
        ah = AhHeader(
            next_header=next_header, payload_len=payload_len, spi=spi, seq=seq, icv=icv, reserved=reserved
        )
        offset += AH_HEADER_LEN
    vrrp = data[offset:]
    advert, old_form = _decode_vrrp(vrrp, source, destination, v3_checksum_as_v2)
    return ReceivedPacket(
        source=source,
        destination=destination,
        ttl=ttl,
        advert=advert,
        ah=ah,
        ip_header=header,
        vrrp_bytes=vrrp,
        old_unicast_checksum=old_form,
    )


def virtual_mac(vrid: int, family: int) -> bytes:
    """The RFC 5798 §7.3 virtual MAC: 00:00:5e:00:01:VRID for IPv4, 00:00:5e:00:02:VRID for IPv6."""
    if not 1 <= vrid <= 255 or family not in (4, 6):
        raise LocalMisuse(f"no VMAC for vrid {vrid} family {family}")
    return VMAC_OUI + bytes((VMAC_FAMILY_OCTET[family], vrid))


def peek_vrid(data: bytes, *, ipv6: bool = False) -> int | None:
    """The VRID of a packet the codec rejected, or None when keepalived would not read one either.

    keepalived (vrrp_get_header) attributes a bad packet to an instance, and counts it there, once
    the IP header, the AH header if the protocol says AH, and the 8-byte VRRP header are present.
    `data` is the raw IPv4 packet, or the IPv6 payload as the kernel hands it over.
    """
    offset = 0
    if not ipv6:
        if len(data) < IPV4_HEADER_LEN:
            return None
        offset = (data[0] & 0x0F) * 4
        if data[9] == AH_PROTO:
            offset += AH_HEADER_LEN
    if len(data) < offset + VRRP_HEADER_LEN:
        return None
    return data[offset + 1]


def decode_ipv6_payload(
    data: bytes, *, source: IPv6Address, destination: IPv6Address, hop_limit: int
) -> ReceivedPacket:
    """Decode a VRRP message read from a raw IPv6 socket (the kernel strips the IPv6 header).

    The caller passes what recvmsg reported (source, IPV6_PKTINFO destination, IPV6_HOPLIMIT).
    The checksum is verified even though a socket with IPV6_CHECKSUM already dropped bad ones.
    """
    if not (isinstance(source, IPv6Address) and isinstance(destination, IPv6Address)):
        raise LocalMisuse("decode_ipv6_payload needs IPv6 addresses")
    if destination.is_multicast and hop_limit != VRRP_TTL:
        raise DecodeError("ttl", f"hop limit {hop_limit} on a multicast advert")
    data = bytes(data)
    advert, _ = _decode_vrrp(data, source, destination, False)
    return ReceivedPacket(
        source=source, destination=destination, ttl=hop_limit, advert=advert, vrrp_bytes=data
    )
