"""FILE_CHECK on real files: value x weight, weight 0 and reverse, the 32-bit bounds."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from alived.checkers.base import REGISTRY
from alived.checkers.file import FileParams, FileProbe, judge
from tests.unit.checkers.servers import target


def test_registered() -> None:
    assert REGISTRY["FILE_CHECK"] is FileProbe


@pytest.mark.parametrize(
    ("value", "weight", "reverse", "success", "offset"),
    [
        (0, 1, False, True, 0),
        (5, 3, False, True, 15),
        (5, 3, True, True, -15),
        (0, 0, False, True, 0),
        (7, 0, False, False, None),
        (0, 0, True, False, None),
        (7, 0, True, True, 0),
        (-(2**31), 1, False, False, None),
        (2**31, -1, False, False, None),
        (2**31, 1, False, True, 2**31 - 1),
    ],
)
def test_judged_as_keepalived(
    value: int, weight: int, reverse: bool, success: bool, offset: int | None
) -> None:
    result = judge(value, weight, reverse)
    assert (result.success, result.weight_offset) == (success, offset)


def test_reads_the_file_each_attempt_and_keeps_the_value_on_an_invalid_number(tmp_path: Path) -> None:
    path = tmp_path / "weight"
    probe = FileProbe(FileParams(name="tf", path=str(path), weight=2), target(80))
    assert asyncio.run(probe.attempt()).weight_offset == 0  # missing file counts as 0
    path.write_text("0x10\n")
    assert asyncio.run(probe.attempt()).weight_offset == 32
    path.write_text("99999999999\n")  # beyond 32 bits: ignored, 16 stays
    assert asyncio.run(probe.attempt()).weight_offset == 32
    path.write_text(" 3 junk")
    assert asyncio.run(probe.attempt()).weight_offset == 6
