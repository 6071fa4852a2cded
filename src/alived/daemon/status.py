"""The VRRP child's status socket: a UNIX stream socket answering one request line per connection.

Requests: `ping` (answer `pong`, the supervisor's liveness probe), `json` (keepalived's JSON
dump document, one object per instance), `status-json` (what `alivectl status --json` prints:
the versioned document of docs/status-json.md, each instance's state, history, tracked objects and
every counter of core/vrrp/stats.py), `status` (a human table) and `process-json` (the process's
reloads and kernel operations, daemon/process_status.py).
The socket sits next to the VRRP pid file (`/run/vrrp.pid` -> `/run/vrrp.sock`), mode 0600,
so only root asks.
`query()` is the client half, used by the supervisor and by `alivectl`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alived.core.vrrp import stats as counters
from alived.daemon import process_status
from alived.units import SECOND

if TYPE_CHECKING:
    # The parent uses this module's client side only; the reports are the VRRP child's.
    from alived.daemon.vrrp.dumps import InstanceReport

log = logging.getLogger("alived.status")

MAX_REQUEST = 256


def socket_path(vrrp_pid_file: str) -> str:
    """Where the VRRP child listens: its pid file's name with `.sock` instead of `.pid`."""
    return str(Path(vrrp_pid_file).with_suffix(".sock"))


def _since(stamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(stamp)) if stamp > 0 else "-"


def format_table(reports: Sequence[InstanceReport]) -> str:
    """`alivectl status`: one row per instance, then each instance's tracked objects."""
    rows = [("INSTANCE", "STATE", "PRIO", "BASE", "VRID", "INTERFACE", "MASTER", "SINCE", "REASON", "VIPS")]
    for r in reports:
        vips = ",".join(v.split(" ", 1)[0] for v in r.vips) or "-"
        rows.append(
            (
                r.iname,
                r.state,
                str(r.effective_priority),
                str(r.base_priority),
                str(r.vrid),
                r.interface,
                r.master_router or "-",
                _since(r.last_transition),
                r.last_transition_reason or "-",
                vips,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    for r in reports:
        for t in r.trackers:
            kind, name = t.spec.kind.value, t.spec.name
            status = "FAULT" if t.faulting else ("OK" if t.ok else "FAILED")
            value = "" if t.value is None else f" value {t.value}"
            lines.append(
                f"{r.iname} tracks {kind} {name}: {status}{value} (weight {t.spec.weight},"
                f" priority {t.contribution:+d})"
            )
    for r in reports:
        if r.split_brain_since is not None:  # docs/split-brain.md
            lines.append(
                f"{r.iname} SPLIT BRAIN since {_since(r.split_brain_since)}: another master holds its VIPs"
            )
    return "".join(line + "\n" for line in lines)


# The status document's version (docs/status-json.md): bumped when a field changes meaning or
# goes away; new fields may appear within a version.
STATUS_VERSION = 1


def _tracked(r: InstanceReport) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for t in r.trackers:
        kind, name = t.spec.kind.value, t.spec.name
        out.append(
            {
                "kind": kind,
                "name": name,
                "weight": t.spec.weight,
                "reverse": t.spec.reverse,
                "ok": t.ok,
                "value": t.value,
                "priority_delta": t.contribution,
                "faulting": t.faulting,
            }
        )
    return out


def status_rows(reports: Sequence[InstanceReport]) -> list[dict[str, object]]:
    """Each instance's row of the status document (docs/status-json.md lists every field)."""
    return [
        {
            "name": r.iname,
            "state": r.state,
            "priority": r.effective_priority,
            "base_priority": r.base_priority,
            "vrid": r.vrid,
            "interface": r.interface,
            "sync_group": r.conf.sync_group,
            "vips": [v.split(" ", 1)[0] for v in r.vips],
            "excluded_vips": [v.split(" ", 1)[0] for v in r.evips],
            "master_router": r.master_router,
            "master_priority": r.master_priority,
            "last_transition": r.last_transition,
            "last_transition_from": r.last_transition_from,
            "last_transition_reason": r.last_transition_reason,
            "garp_delay": r.conf.garp_delay_us / SECOND,
            "gratuitous_arps_sent": r.garps_sent,
            "unsolicited_nas_sent": r.nas_sent,
            "tracked": _tracked(r),
            "stats": {name: r.stats.get(name, 0) for name in counters.ALL},
            # Split brains seen; Unix time the current one began, or null (docs/split-brain.md).
            "split_brain_count": r.split_brain_count,
            "split_brain_since": r.split_brain_since,
        }
        for r in reports
    ]


def status_document(reports: Sequence[InstanceReport]) -> dict[str, object]:
    """The VRRP child's `status-json` answer: the version, one row per instance, the process."""
    return {
        "version": STATUS_VERSION,
        "instances": status_rows(reports),
        "process": process_status.document(),
    }


def instance_rows(document: object) -> list[dict[str, Any]]:
    """The instance rows of a `status-json` answer; ValueError when it is not one.

    A bare list is the answer of a child from before the document was versioned (an upgrade
    installed under a running daemon): its rows are taken as they are.
    """
    rows = document.get("instances") if isinstance(document, dict) else document
    if not isinstance(rows, list) or not all(isinstance(row, dict) and "name" in row for row in rows):
        raise ValueError("the status socket did not answer with a list of instances")
    return rows


def path_problem(path: str, *, option: str = "-r") -> str | None:
    """Why the status socket cannot be made at `path` (something else is there), or None.

    A socket left by a killed child is replaced; any other file is the operator's and is never
    removed: the child refuses to start instead, once, rather than failing every liveness probe.
    `option` names the pid file the socket sits beside, for the advice.
    """
    target = Path(path)
    if not target.exists() and not target.is_symlink():
        return None
    if target.is_socket():
        return None
    return f"status socket path {path} exists and is not a socket: remove it or use another {option} pid file"


class StatusPathError(OSError):
    """The status socket's path is taken by something that is not a socket."""


class StatusServer:
    """Serves `ping`, `json`, `status-json` and `status` from a callable returning the current reports."""

    def __init__(self, path: str, reports: Callable[[], list[InstanceReport]]) -> None:
        self.path = path
        self._reports = reports
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        problem = path_problem(self.path)
        if problem is not None:
            raise StatusPathError(problem)
        with contextlib.suppress(FileNotFoundError):
            if Path(self.path).is_socket():
                Path(self.path).unlink()  # left by a child that was killed
        old = os.umask(0o077)
        try:
            self._server = await asyncio.start_unix_server(self._serve, path=self.path)
        finally:
            os.umask(old)
        Path(self.path).chmod(0o600)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await asyncio.wait_for(reader.readline(), 5)
            writer.write(self.answer(line[:MAX_REQUEST].decode(errors="replace").strip()).encode())
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    def answer(self, request: str) -> str:
        if request == "ping":
            return "pong\n"
        if request == "json":
            from alived.daemon.vrrp.dumps import json_document  # noqa: PLC0415 - the VRRP child's

            return json.dumps(json_document(self._reports())) + "\n"
        if request == "status-json":
            return json.dumps(status_document(self._reports())) + "\n"
        if request in ("status", ""):
            return format_table(self._reports())
        if request == "process-json":
            return json.dumps(process_status.document()) + "\n"
        return f"unknown request {request!r}: use ping, json, status-json, status or process-json\n"

    async def close(self) -> None:
        if self._server is None:
            return  # never bound: whatever is at the path is not ours to remove
        self._server.close()
        await self._server.wait_closed()
        self._server = None
        with contextlib.suppress(FileNotFoundError):
            Path(self.path).unlink()


def query(path: str, request: str, timeout: float = 2.0) -> str:
    """Ask the status socket at `path` (blocking client); raises OSError when nobody answers."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(path)
        sock.sendall(f"{request}\n".encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode()


async def query_async(path: str, request: str, timeout: float = 2.0) -> str:
    """The same as `query` without blocking the loop (the supervisor's liveness probe)."""

    async def go() -> str:
        reader, writer = await asyncio.open_unix_connection(path)
        try:
            writer.write(f"{request}\n".encode())
            await writer.drain()
            return (await reader.read()).decode()
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    return await asyncio.wait_for(go(), timeout)
