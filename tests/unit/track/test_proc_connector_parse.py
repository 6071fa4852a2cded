"""linux/proc_connector.py's message layout: the subscribe message and event parsing (threads dropped)."""

from __future__ import annotations

import struct

from alived.linux.proc_connector import (
    PROC_EVENT_COMM,
    PROC_EVENT_EXEC,
    PROC_EVENT_EXIT,
    PROC_EVENT_FORK,
    ProcEvent,
    listen_message,
    parse,
)


def message(what: int, data: bytes) -> bytes:
    event = struct.pack("=IIQ", what, 0, 123) + data
    body = struct.pack("=IIIIHH", 1, 1, 7, 0, len(event), 0) + event
    raw = struct.pack("=IHHII", 16 + len(body), 3, 0, 0, 0) + body
    return raw + b"\0" * (-len(raw) % 4)


def test_listen_message() -> None:
    raw = listen_message()
    assert len(raw) == 40
    assert struct.unpack_from("=IHHII", raw) == (40, 3, 0, 0, 0)
    assert struct.unpack_from("=IIIIHHI", raw, 16) == (1, 1, 0, 0, 4, 0, 1)


def test_events_and_threads() -> None:
    data = (
        message(PROC_EVENT_FORK, struct.pack("=iiii", 10, 10, 11, 11))
        + message(PROC_EVENT_FORK, struct.pack("=iiii", 10, 10, 12, 10))  # a new thread of 10
        + message(PROC_EVENT_EXEC, struct.pack("=ii", 11, 11))
        + message(PROC_EVENT_COMM, struct.pack("=ii", 11, 11) + b"worker\0".ljust(16, b"\0"))
        + message(PROC_EVENT_EXIT, struct.pack("=iiII", 13, 11, 0, 17))  # thread 13 of 11 exits
        + message(PROC_EVENT_EXIT, struct.pack("=iiII", 11, 11, 0, 17))
        + message(0x4, struct.pack("=iiII", 11, 11, 0, 0))  # uid change: ignored
    )
    assert parse(data) == [
        ProcEvent("fork", 11, parent=10),
        ProcEvent("exec", 11),
        ProcEvent("comm", 11, comm="worker"),
        ProcEvent("exit", 11),
    ]
    assert parse(data[:30]) == []  # a truncated message is dropped, not misread
