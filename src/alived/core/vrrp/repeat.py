"""Recognising an IPv4 advert that repeats the last accepted one, so it can skip decode and checks.

A master sends the same advert every interval; only the IPv4 identification (and so the header
checksum) changes between two of them. A packet equal to the last accepted one of its VRID in
every byte but those two, whose header checksum still holds, decodes to the same advert with the
same verdicts: the receiver needs only restart the master-down timer and count it (see
`VrrpInstance.repeat_advert`). The header checksum is checked in O(1): with everything else
equal, the header sums to the same value iff identification + checksum is unchanged modulo
0xFFFF (ones'-complement addition).
"""

from __future__ import annotations

_IPV4_HEADER_LEN = 20
_ONES = 0xFFFF


def _id_sum(data: bytes) -> int:
    """Identification plus header checksum, in ones'-complement arithmetic (mod 0xFFFF)."""
    return (((data[4] + data[10]) << 8) + data[5] + data[11]) % _ONES


class RepeatFilter:
    """Per socket: the last accepted raw IPv4 advert of each VRID."""

    __slots__ = ("_last",)

    def __init__(self) -> None:
        # VRID -> (the packet from byte 12 on, bytes 0-3, bytes 6-9, identification + checksum).
        self._last: dict[int, tuple[bytes, bytes, bytes, int]] = {}

    def match(self, data: bytes) -> int | None:
        """The VRID if `data` repeats the last remembered packet of its VRID, else None."""
        # Inlined (the VRID byte, the compare, `_id_sum`): this runs for every advert a backup hears.
        size = len(data)
        if size < _IPV4_HEADER_LEN:
            return None
        offset = (data[0] & 0x0F) * 4 + 1
        if size <= offset:
            return None
        vrid = data[offset]
        last = self._last.get(vrid)
        if (
            last is None
            or data[12:] != last[0]
            or data[:4] != last[1]
            or data[6:10] != last[2]
            or (((data[4] + data[10]) << 8) + data[5] + data[11]) % _ONES != last[3]
        ):
            return None
        return vrid

    def remember(self, vrid: int, data: bytes) -> None:
        """`data` (a well-formed IPv4 packet without AH) was accepted in full for `vrid`."""
        self._last[vrid] = (data[12:], data[:4], data[6:10], _id_sum(data))

    def forget(self, vrid: int) -> None:
        self._last.pop(vrid, None)
