"""Classic pcap files, read and written by hand (no dependency): enough for tcpdump and tshark.

Only the microsecond little-endian format is written; both byte orders are read.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
_MAGIC_US = 0xA1B2C3D4
_MAGIC_NS = 0xA1B23C4D


@dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    """One captured frame: its bytes and its timestamp in microseconds."""

    data: bytes
    time_us: int = 0


def write_pcap(path: Path, frames: Iterable[bytes], *, linktype: int = LINKTYPE_RAW) -> None:
    """Write frames as one pcap file, one microsecond apart."""
    out = [struct.pack("<IHHiIII", _MAGIC_US, 2, 4, 0, 0, 65535, linktype)]
    for i, frame in enumerate(frames):
        out.append(struct.pack("<IIII", 1_700_000_000, i, len(frame), len(frame)) + frame)
    path.write_bytes(b"".join(out))


def read_pcap(path: Path) -> tuple[int, list[Record]]:
    """The linktype and the records of a pcap file (tcpdump -w)."""
    data = path.read_bytes()
    if len(data) < 24:
        return LINKTYPE_ETHERNET, []
    magic_le = struct.unpack_from("<I", data)[0]
    endian = "<" if magic_le in (_MAGIC_US, _MAGIC_NS) else ">"
    magic = struct.unpack_from(endian + "I", data)[0]
    divisor = 1000 if magic == _MAGIC_NS else 1
    linktype = struct.unpack_from(endian + "I", data, 20)[0]
    records: list[Record] = []
    offset = 24
    while offset + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack_from(endian + "IIII", data, offset)
        offset += 16
        frame = data[offset : offset + caplen]
        offset += caplen
        if len(frame) < caplen:
            break  # tcpdump killed mid-write: drop the partial record
        records.append(Record(data=frame, time_us=sec * 1_000_000 + frac // divisor))
    return linktype, records
