"""The golden packet files: commented hex with `# expect:` lines, and re-encoding a packet from its decode.

File format (tests/golden/packets/*.hex):
    # free comment lines (how the packet was made)
    # layer: ipv4 | ipv6 | ethernet      what the hex holds (IPv4 packet; IPv6 header + VRRP; whole frame)
    # expect: key=value key=value ...    the fields the decode must give (several lines allowed)
    45c0 0028 ...                        the bytes, any whitespace
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address, ip_address
from pathlib import Path

from alived.core.vrrp.auth import pass_field
from alived.core.vrrp.wire import AhParams, ReceivedPacket, encode_ipv4_packet

PACKETS = Path(__file__).parent / "packets"


@dataclass(frozen=True, slots=True, kw_only=True)
class GoldenPacket:
    name: str
    layer: str
    data: bytes
    expect: dict[str, str] = field(default_factory=dict)
    comments: tuple[str, ...] = ()


def parse(path: Path) -> GoldenPacket:
    layer = ""
    expect: dict[str, str] = {}
    comments: list[str] = []
    hex_text: list[str] = []
    for line in path.read_text().splitlines():
        if line.startswith("# layer:"):
            layer = line.split(":", 1)[1].strip()
        elif line.startswith("# expect:"):
            for item in line.split(":", 1)[1].split():
                key, _, value = item.partition("=")
                expect[key] = value
        elif line.startswith("#"):
            comments.append(line[1:].strip())
        else:
            hex_text.append(line)
    data = bytes.fromhex("".join("".join(hex_text).split()))
    return GoldenPacket(name=path.stem, layer=layer, data=data, expect=expect, comments=tuple(comments))


def load_all() -> list[GoldenPacket]:
    return [parse(p) for p in sorted(PACKETS.glob("*.hex"))]


def format_hex(data: bytes, width: int = 16) -> str:
    rows = []
    for off in range(0, len(data), width):
        chunk = data[off : off + width]
        rows.append(" ".join(chunk[i : i + 2].hex() for i in range(0, len(chunk), 2)))
    return "\n".join(rows)


def write(path: Path, packet: GoldenPacket) -> None:
    lines = [f"# {c}" for c in packet.comments]
    lines.append(f"# layer: {packet.layer}")
    items = [f"{k}={v}" for k, v in packet.expect.items()]
    for i in range(0, len(items), 6):
        lines.append("# expect: " + " ".join(items[i : i + 6]))
    lines.append(format_hex(packet.data))
    path.write_text("\n".join(lines) + "\n")


def reencode_ipv4(packet: ReceivedPacket, raw: bytes, *, auth_pass: str = "", unicast: bool = False) -> bytes:
    """Our encoding of what packet decoded to, with the sender's IP ID, TTL and AH sequence number."""
    ah = None
    if packet.ah is not None:
        ah = AhParams(key=pass_field(auth_pass), seq=packet.ah.seq, unicast=unicast)
    assert isinstance(packet.source, IPv4Address)
    assert isinstance(packet.destination, IPv4Address)
    return encode_ipv4_packet(
        packet.advert,
        source=packet.source,
        destination=packet.destination,
        ttl=packet.ttl,
        ident=int.from_bytes(raw[4:6], "big"),
        tos=raw[1],
        ah=ah,
        old_unicast_checksum=packet.old_unicast_checksum,
    )


def advert_expectation(packet: ReceivedPacket, raw: bytes) -> dict[str, str]:
    """The `# expect:` fields for one decoded advert (raw: the IPv4 packet or IPv6 header + VRRP)."""
    ad = packet.advert
    expect = {
        "version": str(ad.version),
        "vrid": str(ad.vrid),
        "priority": str(ad.priority),
        "adver_int": str(ad.adver_int),
        "addresses": ",".join(str(a) for a in ad.addresses),
        "source": str(packet.source),
        "destination": str(packet.destination),
        "ttl": str(packet.ttl),
    }
    if ad.version == 2:
        expect["auth_type"] = str(ad.auth_type)
        expect["auth_data"] = ad.auth_data.hex()
    if isinstance(packet.source, IPv4Address):
        expect["ident"] = str(int.from_bytes(raw[4:6], "big"))
        expect["tos"] = f"0x{raw[1]:02x}"
        expect["old_unicast_checksum"] = str(int(packet.old_unicast_checksum))
    else:
        expect["traffic_class"] = f"0x{((raw[0] & 0x0F) << 4) | (raw[1] >> 4):02x}"
    if packet.ah is not None:
        expect["ah_spi"] = str(IPv4Address(packet.ah.spi))
        expect["ah_seq"] = str(packet.ah.seq)
        expect["ah_icv"] = packet.ah.icv.hex()
    return expect


def addresses_of(text: str) -> tuple[IPv4Address | IPv6Address, ...]:
    return tuple(ip_address(a) for a in text.split(",") if a)
