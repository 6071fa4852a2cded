"""Dataclass methods compiled once (config/method_cache.py): same classes, no second compile."""

from __future__ import annotations

import dataclasses
import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alived.daemon import method_cache

MODULE = """\
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True, kw_only=True)
class Point:
    x: int
    y: int = 2
    tags: tuple[str, ...] = field(default_factory=tuple)
"""


@pytest.fixture
def module_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    method_cache.install()
    try:
        yield tmp_path
    finally:
        method_cache.uninstall()
        for name in [n for n in sys.modules if n.startswith("mm_sample")]:
            del sys.modules[name]


def _import(directory: Path, name: str, text: str = MODULE) -> Any:
    (directory / f"{name}.py").write_text(text)
    importlib.invalidate_caches()
    sys.modules.pop(name, None)
    return importlib.import_module(name)


def _cache_file(directory: Path, name: str) -> Path:
    path = method_cache.cache_path(str(directory / f"{name}.py"))
    assert path is not None
    return Path(path)


def _behaviour(cls: Any) -> list[object]:
    p = cls(x=1)
    q = cls(x=1, tags=("a",))
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.x = 3
    return [repr(p), p == cls(x=1), p == q, hash(p) == hash(cls(x=1)), p.tags, cls.__init__.__name__]


def test_the_methods_are_written_once_then_run_without_compiling(
    module_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _import(module_dir, "mm_sample")
    method_cache.flush()
    assert _cache_file(module_dir, "mm_sample").is_file()

    def no_compile(*args: object, **kwargs: object) -> object:
        raise AssertionError("compiled again")

    monkeypatch.setattr(method_cache, "compile", no_compile, raising=False)
    second = _import(module_dir, "mm_sample")
    assert second.Point is not first.Point
    assert _behaviour(second.Point) == _behaviour(first.Point)
    assert _behaviour(second.Point)[0] == "Point(x=1, y=2, tags=())"


def test_a_changed_class_is_compiled_afresh_and_the_file_follows_it(module_dir: Path) -> None:
    _import(module_dir, "mm_sample")
    method_cache.flush()
    text = MODULE.replace("y: int = 2", "y: int = 2\n    z: int = 3")
    changed = _import(module_dir, "mm_sample", text)
    method_cache.flush()
    assert repr(changed.Point(x=1)) == "Point(x=1, y=2, z=3, tags=())"
    stored = method_cache._read(str(_cache_file(module_dir, "mm_sample")))
    assert len(stored) == 6  # __init__, __repr__, __eq__, __hash__, __setattr__, __delattr__
    again = _import(module_dir, "mm_sample", text)
    assert repr(again.Point(x=1, z=4)) == "Point(x=1, y=2, z=4, tags=())"


def test_a_damaged_file_only_means_compiling(module_dir: Path) -> None:
    _import(module_dir, "mm_sample")
    method_cache.flush()
    cache = _cache_file(module_dir, "mm_sample")
    cache.write_bytes(cache.read_bytes()[:40])
    module = _import(module_dir, "mm_sample")
    assert repr(module.Point(x=1)) == "Point(x=1, y=2, tags=())"
    method_cache.flush()
    assert method_cache._read(str(cache))  # written whole again


def test_nothing_is_written_under_dont_write_bytecode(
    module_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    _import(module_dir, "mm_sample")
    method_cache.flush()
    assert not _cache_file(module_dir, "mm_sample").exists()


def test_uninstall_gives_dataclasses_its_own_exec_back(module_dir: Path) -> None:
    assert dataclasses.__dict__.get("exec") is method_cache._exec
    method_cache.uninstall()
    assert "exec" not in dataclasses.__dict__


def test_two_classes_with_the_same_methods_do_not_rewrite_the_file(module_dir: Path) -> None:
    text = MODULE + "\n\n@dataclass(frozen=True, slots=True, kw_only=True)\nclass Twin(Point):\n    pass\n"
    _import(module_dir, "mm_sample", text)
    method_cache.flush()
    cache = _cache_file(module_dir, "mm_sample")
    written = cache.stat().st_mtime_ns
    cache.touch()  # a rewrite would move the time again
    touched = cache.stat().st_mtime_ns
    module = _import(module_dir, "mm_sample", text)
    method_cache.flush()
    assert cache.stat().st_mtime_ns == touched != 0 and written != 0
    assert repr(module.Twin(x=1)) == "Twin(x=1, y=2, tags=())"
