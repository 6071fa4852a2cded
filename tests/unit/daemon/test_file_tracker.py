"""track_file's value reading (keepalived's strtol rules), init_file, and the watcher on the real kernel."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

import pytest

from alived.config import model
from alived.config.load import load_text
from alived.daemon.vrrp import file_tracker
from alived.daemon.vrrp.file_tracker import (
    FileTrackers,
    InvalidNumber,
    initialise_file,
    parse_value,
    read_value,
)
from alived.daemon.vrrp.translate import translate


@pytest.mark.parametrize(
    ("data", "value"),
    [
        (b"0\n", 0),
        (b"12\n", 12),
        (b"  -7 trailing words", -7),
        (b"+5", 5),
        (b"0x10", 16),
        (b"0X1f\n", 31),
        (b"010", 8),  # base 0: a leading 0 is octal
        (b"09", 0),  # ... and 9 is no octal digit
        (b"0x", 0),
        (b"abc", 0),
        (b"", 0),
        (b"\n\t 3", 3),
        (b"2147483648", 2**31),  # keepalived accepts INT32_MAX + 1
        (b"-2147483648", -(2**31)),
        (b"1" + b" " * 200 + b"9", 1),
    ],
)
def test_parse_value(data: bytes, value: int) -> None:
    assert parse_value(data) == value


@pytest.mark.parametrize(
    ("data", "number"),
    [
        (b"2147483649", 2147483649),
        (b"-2147483649", -2147483649),
        (b"99999999999999999999999", 2**63 - 1),  # strtol's ERANGE: LONG_MAX
        (b"-99999999999999999999999", -(2**63)),
    ],
)
def test_out_of_range_is_refused(data: bytes, number: int) -> None:
    with pytest.raises(InvalidNumber) as err:
        parse_value(data)
    assert err.value.number == number


def test_only_the_first_127_bytes_count() -> None:
    assert parse_value(b" " * 126 + b"42") == 4


def test_read_value_of_missing_and_unreadable(tmp_path: Path) -> None:
    assert read_value(str(tmp_path / "absent")) == 0
    assert read_value(str(tmp_path)) == 0  # a directory reads as nothing
    (tmp_path / "v").write_text("-3\n")
    assert read_value(str(tmp_path / "v")) == -3


def tf(path: Path, **kw: object) -> model.TrackFile:
    return model.TrackFile(name="tf", file=str(path), **kw)  # type: ignore[arg-type]


def test_init_file_creates_but_does_not_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "state"
    initialise_file(tf(path, init_file=True, init_file_value=7), reload=False)
    assert path.read_text() == "7\n"
    path.write_text("3\n")
    initialise_file(tf(path, init_file=True, init_file_value=7), reload=False)
    assert path.read_text() == "3\n"
    initialise_file(tf(path, init_file=False), reload=False)
    assert path.read_text() == "3\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state"]  # no temporary left behind


def test_init_file_overwrite_except_on_reload(tmp_path: Path) -> None:
    path = tmp_path / "state"
    path.write_text("3\n")
    entry = tf(path, init_file=True, init_file_value=-2, init_file_overwrite=True)
    initialise_file(entry, reload=True)
    assert path.read_text() == "3\n"
    initialise_file(entry, reload=False)
    assert path.read_text() == "-2\n"
    path.unlink()
    initialise_file(entry, reload=True)  # a missing file is created even on reload
    assert path.read_text() == "-2\n"


def test_init_file_refuses_a_non_regular_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    sub = tmp_path / "dir"
    sub.mkdir()
    with caplog.at_level(logging.ERROR):
        initialise_file(tf(sub, init_file=True, init_file_overwrite=True), reload=False)
    assert "Cannot initialise track file tf - it is not a regular file" in caplog.text
    assert sub.is_dir()


def test_translate_reads_the_value_into_the_tracker(tmp_path: Path) -> None:
    path = tmp_path / "prio"
    path.write_text("2\n")
    conf = f"""
track_file TF {{
  file {path}
  weight -10
}}
track_file NEW {{
  file {tmp_path / "new"}
  weight 0
  init_file 5
}}
vrrp_instance VI_1 {{
  interface lo
  virtual_router_id 1
  priority 100
  unicast_src_ip 192.0.2.1
  unicast_peer {{ 192.0.2.2 }}
  track_file {{
    TF
    NEW
  }}
  virtual_ipaddress {{ 192.0.2.100/24 }}
}}
"""
    config = load_text(conf).config
    (plan,) = translate(config, lambda _if, _fam: None, lambda _n, _r: None)
    by_name = {str(t.key): t for t in plan.params.trackers}
    assert by_name["file:TF"].file and by_name["file:TF"].weight == -10
    assert by_name["file:TF"].initial_value == 2
    assert by_name["file:NEW"].initial_value == 5  # init_file created it first
    assert (tmp_path / "new").read_text() == "5\n"
    # A file in a directory that does not exist is not tracked at all (keepalived drops it).
    gone = f"track_file GONE {{\n  file {tmp_path}/no/f\n}}\n"
    gone += conf.replace("    NEW\n", "    NEW\n    GONE\n")
    (plan,) = translate(load_text(gone).config, lambda _if, _fam: None, lambda _n, _r: None)
    assert [str(t.key) for t in plan.params.trackers] == ["file:TF", "file:NEW"]


async def _wait_for(values: list[tuple[str, int]], count: int) -> None:
    for _ in range(200):
        if len(values) >= count:
            return
        await asyncio.sleep(0.01)


def test_watcher_sees_write_rename_delete(tmp_path: Path) -> None:
    asyncio.run(_watcher_sees_write_rename_delete(tmp_path))


async def _watcher_sees_write_rename_delete(tmp_path: Path) -> None:
    changes: list[tuple[str, int]] = []
    trackers = FileTrackers(lambda name, value: changes.append((name, value)))
    path = tmp_path / "value"
    path.write_text("4\n")
    trackers.update([tf(path)])
    assert trackers.values == {"tf": 4}
    try:
        path.write_text("9\n")
        await _wait_for(changes, 1)
        assert changes == [("tf", 9)]
        spare = tmp_path / "spare"
        spare.write_text("-1\n")
        spare.rename(path)  # replacement by rename
        await _wait_for(changes, 2)
        assert changes[-1] == ("tf", -1)
        path.unlink()  # a deleted file counts as 0
        await _wait_for(changes, 3)
        assert changes[-1] == ("tf", 0)
        (tmp_path / "other").write_text("77\n")  # another file in the directory: no report
        path.write_text("0\n")  # created with the value it already had: no report
        path.write_text("garbage\n")  # still 0
        path.write_text("2147483650\n")  # refused: the value stays
        path.write_text("6\n")
        await _wait_for(changes, 4)
        assert changes == [("tf", 9), ("tf", -1), ("tf", 0), ("tf", 6)]
    finally:
        trackers.stop()
    trackers.stop()  # idempotent


def test_update_keeps_unchanged_and_drops_removed(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    asyncio.run(_update_keeps_unchanged_and_drops_removed(tmp_path, caplog))


async def _update_keeps_unchanged_and_drops_removed(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    changes: list[tuple[str, int]] = []
    trackers = FileTrackers(lambda name, value: changes.append((name, value)))
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_text("1\n")
    b.write_text("2\n")
    ta = model.TrackFile(name="A", file=str(a))
    tb = model.TrackFile(name="B", file=str(b))
    try:
        trackers.update([ta, tb])
        assert trackers.values == {"A": 1, "B": 2}
        trackers.update([ta])
        assert trackers.values == {"A": 1}
        b.write_text("5\n")
        a.write_text("3\n")
        await _wait_for(changes, 1)
        # B's event was queued before A's: had B still been tracked, it would be reported first.
        assert changes == [("A", 3)]
        with caplog.at_level(logging.ERROR):
            trackers.update([ta, model.TrackFile(name="C", file=str(tmp_path / "no" / "c"))])
        assert "Track file directory for C does not exist - removing" in caplog.text
        assert set(trackers.values) == {"A"}
        trackers.update([])
        assert trackers.values == {}
    finally:
        trackers.stop()


def test_initial_value_initialises_once_per_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(file_tracker, "_initialised", set())
    path = tmp_path / "v"
    path.write_text("8\n")
    entry = tf(path, init_file=True, init_file_value=1, init_file_overwrite=True)
    assert file_tracker.initial_value(entry) == 1  # the first load overwrites
    path.write_text("8\n")
    assert file_tracker.initial_value(entry) == 8  # later ones act as a reload
    assert os.path.exists(path)


def file_specs(conf: str) -> dict[str, dict[str, tuple[int, bool]]]:
    config = load_text(conf).config
    plans = translate(config, lambda _if, _fam: None, lambda _n, _r: None)
    return {p.name: {str(t.key): (t.weight, t.reverse) for t in p.params.trackers if t.file} for p in plans}


def vi(name: str, vrid: int, prio: int, track: str) -> str:
    return f"""
vrrp_instance {name} {{
  interface lo
  virtual_router_id {vrid}
  priority {prio}
  unicast_src_ip 192.0.2.1
  unicast_peer {{ 192.0.2.2 }}
  track_file {{
{track}
  }}
  virtual_ipaddress {{ 192.0.2.{vrid}/24 }}
}}
"""


def test_weights_in_sync_groups_and_owners(tmp_path: Path) -> None:
    files = "".join(
        f"track_file {n} {{\n  file {tmp_path / n}\n{w}}}\n"
        for n, w in (("D", ""), ("W", "  weight -20 reverse\n"), ("Z", "  weight 0\n"))
    )
    plain = files + vi("VI_1", 1, 100, "    D\n    W\n    Z weight 5\n")
    assert file_specs(plain)["VI_1"] == {"file:D": (1, False), "file:W": (-20, True), "file:Z": (5, False)}
    # In a sync group without sync_group_tracking_weight: default weight -> 0, other weights dropped.
    group = "vrrp_sync_group G {\n  group {\n    VI_1\n    VI_2\n  }\n"
    group += "  track_file {\n    W weight 7 noreverse\n  }\n}\n"
    synced = files + vi("VI_1", 1, 100, "    D\n    W\n    Z\n") + vi("VI_2", 2, 100, "    Z\n") + group
    specs = file_specs(synced)
    assert specs["VI_1"] == {"file:D": (0, False), "file:Z": (0, False), "file:W": (7, False)}
    assert specs["VI_2"] == {"file:Z": (0, False), "file:W": (7, False)}
    weighted = synced.replace(
        "  track_file {\n    W weight 7", "  sync_group_tracking_weight\n  track_file {\n    W weight 7"
    )
    specs = file_specs(weighted)
    assert specs["VI_1"] == {"file:D": (1, False), "file:W": (7, False), "file:Z": (0, False)}
    # An owner keeps only unweighted files; a group with an owner member tracks its files unweighted.
    owner = files + vi("VI_1", 1, 255, "    D\n    W\n") + vi("VI_2", 2, 100, "    Z\n") + group
    specs = file_specs(owner)
    assert specs["VI_1"] == {"file:D": (0, False), "file:W": (0, False)}
    assert specs["VI_2"] == {"file:Z": (0, False), "file:W": (0, False)}
