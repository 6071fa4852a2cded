"""Run test code inside a network namespace: switch this thread with setns, or run a snippet.

`inside(ns)` moves the calling thread into the namespace for the `with` block; sockets and
netlink handles opened there stay in that namespace after the block ends, so a test can hold
sockets in several namespaces at once from one event loop. `run_python(ns, code)` runs a
snippet in a fresh interpreter under `ip netns exec` and returns the JSON it prints last.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import sys
from collections.abc import Iterator
from typing import Any

from tests.helpers.netns import Namespace, run

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def _setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


@contextlib.contextmanager
def inside(ns: Namespace | str) -> Iterator[None]:
    """Run the block with this thread in namespace `ns`; the original one is restored after."""
    name = ns if isinstance(ns, str) else ns.name
    original = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{name}", os.O_RDONLY)
    try:
        _setns(target)
        try:
            yield
        finally:
            _setns(original)
    finally:
        os.close(target)
        os.close(original)


def run_python(ns: Namespace | str, code: str, timeout: float = 30) -> Any:
    """Run `code` with this interpreter inside `ns`; it must print one JSON document last."""
    name = ns if isinstance(ns, str) else ns.name
    proc = run(["ip", "netns", "exec", name, sys.executable, "-c", code], timeout=timeout)
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    if not lines:
        raise AssertionError(f"no JSON output from snippet in {name}: {proc.stderr}")
    return json.loads(lines[-1])
