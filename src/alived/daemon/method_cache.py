"""The methods `dataclasses` writes for each class, compiled once and kept beside the bytecode.

For every dataclass, `dataclasses` writes the source of its `__init__`, `__repr__`, `__eq__`,
`__hash__` and frozen `__setattr__`/`__delattr__` and compiles it at import: the config model's
classes cost the daemon's start-up more to compile than anything else it imports (issue #9). With
`install()`, the compiled code of each such source is kept per module in its `__pycache__`
(`<module>.<tag>.dataclass-methods`, next to the `.pyc`) and, at the next start, executed from
there: code compiled from the same source (found by its BLAKE2b digest), hence the same
classes. A file from another Python, an unreadable or damaged one, or a source it lacks only
means compiling as before; nothing is written under `-B` / PYTHONDONTWRITEBYTECODE, nor where
`__pycache__` is not writable. `flush()` writes what was compiled and drops the loaded code (the
memory is the process's, and a module's classes are all made at its import).
"""

from __future__ import annotations

import builtins
import contextlib
import dataclasses
import hashlib
import importlib.util
import marshal
import os
import sys
from pathlib import Path
from types import CodeType
from typing import Any

SUFFIX = ".dataclass-methods"
_HEADER = importlib.util.MAGIC_NUMBER + b"dataclass-methods\n"


class _ModuleCache:
    """One module's methods: what its file holds, what this process ran and what it compiled.

    Keys are digests of the sources, and each code object is let go as soon as it has run: the
    cache must not leave the parent's heap holier at the fork than compiling does (each hole a
    child fills is a page copied).
    """

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.stored: dict[bytes, CodeType] = _read(path) if path is not None else {}
        self.used: set[bytes] = set()
        self.compiled: dict[bytes, CodeType] = {}


_caches: dict[str, _ModuleCache] = {}


def cache_path(module_file: str) -> str | None:
    """Where the methods of the module at `module_file` are kept (None: it has no bytecode path)."""
    try:
        pyc = importlib.util.cache_from_source(module_file)
    except (NotImplementedError, ValueError):
        return None
    return pyc.removesuffix(".pyc") + SUFFIX


def _key(source: str) -> bytes:
    return hashlib.blake2b(source.encode(), digest_size=16).digest()


def _read(path: str) -> dict[bytes, CodeType]:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return {}
    if not data.startswith(_HEADER):
        return {}
    try:
        loaded = marshal.loads(data[len(_HEADER) :])
    except (EOFError, ValueError, TypeError):
        return {}
    if not isinstance(loaded, dict):
        return {}
    return {k: v for k, v in loaded.items() if isinstance(k, bytes) and isinstance(v, CodeType)}


def _cache_for(module_globals: dict[str, Any] | None) -> _ModuleCache | None:
    name = module_globals.get("__name__") if module_globals else None
    if not isinstance(name, str):
        return None
    cache = _caches.get(name)
    if cache is None:
        module = sys.modules.get(name)
        file = getattr(module, "__file__", None)
        path = cache_path(file) if isinstance(file, str) and file.endswith(".py") else None
        cache = _caches[name] = _ModuleCache(path)
    return cache


def _exec(source: str, module_globals: dict[str, Any] | None = None, local_ns: Any = None) -> None:
    """`dataclasses`' own `exec` of a method's source, the compiled code taken from the cache."""
    cache = _cache_for(module_globals) if isinstance(source, str) else None
    if cache is None:
        builtins.exec(source, module_globals, local_ns)
        return
    key = _key(source)
    code = cache.stored.pop(key, None)
    if code is None:
        # dont_inherit: compiled as dataclasses compiles it, without this module's __future__ flags.
        code = compile(source, "<string>", "exec", dont_inherit=True)
        if key not in cache.used:  # else a second class with the same methods: the file has them
            cache.compiled[key] = code
    cache.used.add(key)
    builtins.exec(code, module_globals, local_ns)


def install() -> None:
    """Make `dataclasses` take each generated method's code from the cache from now on."""
    # dataclasses compiles every generated method with the builtin `exec`, looked up in its
    # module globals first: a name there takes its place and nothing else of it changes.
    setattr(dataclasses, "exec", _exec)  # noqa: B010 - mypy knows no such module attribute


def uninstall() -> None:
    """Back to `dataclasses`' own compiling; what was compiled is written first (`flush`)."""
    flush()
    with contextlib.suppress(AttributeError):
        delattr(dataclasses, "exec")


def flush() -> None:
    """Write each module's methods that had to be compiled, then forget the loaded code."""
    caches = list(_caches.values())
    _caches.clear()
    if sys.dont_write_bytecode:
        return
    for cache in caches:
        if cache.compiled and cache.path is not None:
            # What ran from the file is read again: holding it until now would hold the memory.
            kept = _read(cache.path)
            codes = {k: kept[k] for k in cache.used if k in kept}
            _write(cache.path, codes | cache.compiled)


def _write(path: str, codes: dict[bytes, CodeType]) -> None:
    tmp = Path(f"{path}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(_HEADER + marshal.dumps(codes))
        tmp.replace(path)  # another process writing the same file at once loses nothing
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
