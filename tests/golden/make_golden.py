"""Regenerate tests/golden/packets/*.hex from a real keepalived 2.2.7 run (root; a few seconds).

    .venv/bin/python -m tests.golden.make_golden

It runs keepalived in a namespace with tests/golden/capture.py's config, captures with tcpdump,
and keeps one representative of each kind of packet (first advert per instance, the second AH advert,
priority-0 adverts sent at SIGTERM, one gratuitous ARP, one unsolicited NA), each with the fields
its decode must give. The files are committed so the byte-exact checks run without keepalived.
"""

from __future__ import annotations

import subprocess
import tempfile
from datetime import UTC, datetime
from ipaddress import IPv6Address
from pathlib import Path

from alived.core.vrrp.wire import ReceivedPacket, decode_ipv4_packet, decode_ipv6_payload
from tests.golden.capture import (
    BY_VRID,
    capture_keepalived,
    garp_frames,
    keepalived_conf,
    na_frames,
    vrrp_frames,
)
from tests.golden.files import PACKETS, GoldenPacket, advert_expectation, write
from tests.helpers.netns import Lab


def decode_frame(frame: bytes) -> tuple[str, bytes, ReceivedPacket]:
    """(layer, the bytes to store, the decode) for an Ethernet frame carrying VRRP."""
    if frame[12:14] == b"\x08\x00":
        raw = frame[14:]
        return "ipv4", raw, decode_ipv4_packet(raw)
    raw = frame[14:]
    packet = decode_ipv6_payload(
        raw[40:], source=IPv6Address(raw[8:24]), destination=IPv6Address(raw[24:40]), hop_limit=raw[7]
    )
    return "ipv6", raw, packet


def select(frames: list[bytes]) -> list[tuple[str, bytes]]:
    """(file name, frame) for each kept packet."""
    chosen: list[tuple[str, bytes]] = []
    seen: dict[tuple[int, str], int] = {}
    for frame in vrrp_frames(frames):
        _, _, packet = decode_frame(frame)
        inst = BY_VRID[packet.advert.vrid]
        kind = "prio0" if packet.advert.priority == 0 else "advert"
        n = seen.get((inst.vrid, kind), 0) + 1
        seen[(inst.vrid, kind)] = n
        if n == 1 or (n == 2 and inst.auth_type == 2 and kind == "advert"):
            chosen.append((f"{inst.name.lower()}_{kind}{'' if kind == 'prio0' else n}", frame))
    chosen.append(("garp", garp_frames(frames)[0]))
    chosen.append(("unsolicited_na", na_frames(frames)[0]))
    return chosen


def main() -> None:
    version = subprocess.run(["keepalived", "--version"], capture_output=True, text=True, check=False)
    banner = (version.stdout + version.stderr).splitlines()[0]
    today = datetime.now(UTC).date().isoformat()
    lab = Lab()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            _, frames = capture_keepalived(lab, Path(tmp))
    finally:
        lab.close()
    PACKETS.mkdir(exist_ok=True)
    for old in PACKETS.glob("*.hex"):
        old.unlink()
    (PACKETS / "keepalived-golden.conf").write_text(keepalived_conf())
    how = (
        f"Captured from {banner} (Debian) on {today} by tests/golden/make_golden.py:",
        "keepalived -n -l -D --vrrp -f keepalived-golden.conf in a network namespace (192.0.2.1/24,",
        "2001:db8::1/64 on eth0, a peer 192.0.2.2 on the same bridge), tcpdump -i eth0 -w on the sender.",
    )
    for name, frame in select(frames):
        if name == "garp":
            expect = {"mac": frame[6:12].hex(), "ip": ".".join(str(b) for b in frame[28:32])}
            packet = GoldenPacket(
                name=name,
                layer="ethernet",
                data=frame,
                expect=expect,
                comments=(
                    *how,
                    "A gratuitous ARP keepalived sent on becoming MASTER (whole Ethernet frame).",
                ),
            )
        elif name == "unsolicited_na":
            expect = {
                "mac": frame[6:12].hex(),
                "ip": str(IPv6Address(frame[14 + 40 + 8 : 14 + 40 + 24])),
                "router": str(int(bool(frame[14 + 40 + 4] & 0x80))),
            }
            packet = GoldenPacket(
                name=name,
                layer="ethernet",
                data=frame,
                expect=expect,
                comments=(
                    *how,
                    "An unsolicited NA keepalived sent on becoming MASTER (whole Ethernet frame).",
                ),
            )
        else:
            layer, raw, decoded = decode_frame(frame)
            inst = BY_VRID[decoded.advert.vrid]
            expect = {"instance": inst.name, **advert_expectation(decoded, raw)}
            expect["unicast"] = str(int(inst.unicast))
            if inst.auth_pass:
                expect["auth_pass"] = inst.auth_pass
            what = "IPv4 packet" if layer == "ipv4" else "IPv6 header + VRRP message"
            packet = GoldenPacket(
                name=name,
                layer=layer,
                data=raw,
                expect=expect,
                comments=(*how, f"vrrp_instance {inst.name}; the hex is the whole {what}."),
            )
        write(PACKETS / f"{name}.hex", packet)
        print(f"wrote {name}.hex")


if __name__ == "__main__":
    main()
