"""The value of a tracked file, read as keepalived's trackers/track_file.c reads it.

keepalived reads at most 127 bytes and takes what C's strtol(..., 0) makes of them, so
" 12abc" is 12, "0x10" is 16, "010" is 8 and garbage or an empty, missing or unreadable file
is 0; a number outside the 32-bit range raises InvalidNumber (keepalived logs it and keeps the
previous value). Shared by the VRRP child's track_file watcher and FILE_CHECK.
"""

from __future__ import annotations

import os

_READ_MAX = 127  # keepalived's char buf[128], less the terminator
_LONG_MIN = -(2**63)
_LONG_MAX = 2**63 - 1
_INT32_MIN = -(2**31)
_INT32_MAX_PLUS_1 = 2**31  # keepalived's own bound (it accepts INT32_MAX + 1)
_SPACE = b" \t\n\v\f\r"


class InvalidNumber(ValueError):
    """The file holds a number keepalived refuses; `number` is what strtol returned."""

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.number = number


def strtol(data: bytes) -> tuple[int, bool]:
    """C's strtol(data, NULL, 0) on a 64-bit long: (value, overflowed). Garbage reads as 0."""
    text = data.split(b"\0", 1)[0].lstrip(_SPACE)
    negative = text[:1] == b"-"
    if text[:1] in (b"-", b"+"):
        text = text[1:]
    base = 10
    if text[:2].lower() == b"0x" and text[2:3] and text[2:3] in b"0123456789abcdefABCDEF":
        base, text = 16, text[2:]
    elif text[:1] == b"0":
        base = 8
    digits = bytearray()
    for byte in text:
        char = chr(byte).lower()
        if not char.isascii() or not char.isalnum() or int(char, 36) >= base:
            break
        digits.append(byte)
    magnitude = int(digits.decode(), base) if digits else 0
    value = -magnitude if negative else magnitude
    if value > _LONG_MAX:
        return _LONG_MAX, True
    if value < _LONG_MIN:
        return _LONG_MIN, True
    return value, False


def parse_value(data: bytes) -> int:
    """The value keepalived takes from a file's first bytes; raises InvalidNumber when it ignores it."""
    value, overflowed = strtol(data[:_READ_MAX])
    if overflowed or not _INT32_MIN <= value <= _INT32_MAX_PLUS_1:
        raise InvalidNumber(value)
    return value


def read_value(path: str) -> int:
    """The file's value now: 0 when it is missing, unreadable or empty; InvalidNumber as parse_value."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return 0
    try:
        data = os.read(fd, _READ_MAX)
    except OSError:
        data = b""
    finally:
        os.close(fd)
    return parse_value(data) if data else 0


__all__ = ["InvalidNumber", "parse_value", "read_value", "strtol"]
