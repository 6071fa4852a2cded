"""The inotify adapter on the real kernel (a tmp directory; no namespace needed) and its record decoder."""

from __future__ import annotations

import asyncio
import struct
from pathlib import Path

import pytest

from alived.linux.inotify import (
    IN_CLOSE_WRITE,
    IN_CREATE,
    IN_DELETE,
    IN_ISDIR,
    IN_MOVE,
    IN_MOVED_FROM,
    IN_MOVED_TO,
    Inotify,
    InotifyEvent,
    parse_events,
)


def record(wd: int, mask: int, cookie: int, name: bytes, pad: int = 0) -> bytes:
    raw = name + b"\0" * (pad or 1) if name else b""
    return struct.pack("=iIII", wd, mask, cookie, len(raw)) + raw


def test_parse_events() -> None:
    data = record(1, IN_CLOSE_WRITE, 0, b"value", pad=11) + record(2, IN_DELETE | IN_ISDIR, 7, b"")
    assert parse_events(data) == [
        InotifyEvent(wd=1, mask=IN_CLOSE_WRITE, cookie=0, name="value"),
        InotifyEvent(wd=2, mask=IN_DELETE | IN_ISDIR, cookie=7, name=""),
    ]
    assert parse_events(record(1, 0, 0, b"abcdef", pad=10)[:-3]) == []  # truncated tail dropped
    assert parse_events(b"") == []


def test_read_now_reports_directory_events(tmp_path: Path) -> None:
    async def main() -> list[InotifyEvent]:
        ino = Inotify(lambda _events: None)
        try:
            wd = ino.add_watch(str(tmp_path), IN_CLOSE_WRITE | IN_DELETE | IN_MOVE | IN_CREATE)
            assert ino.add_watch(str(tmp_path), IN_CLOSE_WRITE | IN_DELETE | IN_MOVE) == wd
            ino.add_watch(str(tmp_path), IN_CLOSE_WRITE | IN_DELETE | IN_MOVE | IN_CREATE)
            (tmp_path / "f").write_text("1")
            (tmp_path / "f").rename(tmp_path / "g")
            (tmp_path / "g").unlink()
            events = ino.read_now()
            assert all(e.wd == wd for e in events)
            return events
        finally:
            ino.close()
            ino.close()

    events = asyncio.run(main())
    assert [(e.mask & ~IN_ISDIR, e.name) for e in events] == [
        (IN_CREATE, "f"),
        (IN_CLOSE_WRITE, "f"),
        (IN_MOVED_FROM, "f"),
        (IN_MOVED_TO, "g"),
        (IN_DELETE, "g"),
    ]
    assert events[2].cookie == events[3].cookie != 0


def test_loop_reader_delivers_events(tmp_path: Path) -> None:
    async def main() -> list[InotifyEvent]:
        got: asyncio.Queue[list[InotifyEvent]] = asyncio.Queue()
        ino = Inotify(got.put_nowait)
        try:
            ino.add_watch(str(tmp_path), IN_CLOSE_WRITE)
            (tmp_path / "x").write_text("2")
            return await asyncio.wait_for(got.get(), timeout=5)
        finally:
            ino.close()

    assert asyncio.run(main()) == [InotifyEvent(wd=1, mask=IN_CLOSE_WRITE, cookie=0, name="x")]


def test_errors_name_the_path(tmp_path: Path) -> None:
    async def main() -> None:
        ino = Inotify(lambda _events: None)
        try:
            with pytest.raises(OSError, match=r"inotify_add_watch .*missing"):
                ino.add_watch(str(tmp_path / "missing"), IN_CLOSE_WRITE)
        finally:
            ino.close()
        with pytest.raises(OSError, match="inotify closed"):
            ino.add_watch(str(tmp_path), IN_CLOSE_WRITE)
        assert ino.read_now() == []

    asyncio.run(main())
