"""The parent's control socket: `alivectl reload`, `stop` and `dump data|stats|json`.

A UNIX stream socket next to the parent's pid file (`/run/keepalived.pid` -> `/run/keepalived.sock`),
mode 0600, one request line per connection, one JSON object back. Only root or the daemon's own
user may ask: the peer's credentials (SO_PEERCRED) are checked on every connection, on top of the
file mode.

`reload` reads the config first and refuses it (nothing signalled) when it has errors, listing
each with its file:line; otherwise it reports what changes against what the children run now
(VRRP instances with their VIPs, priority and vrid; virtual servers with their real servers
and weights), queues the reload the way SIGHUP does,
and waits until the VRRP child runs the new instance set. `dump KIND` queues the matching dump
signal and answers with the files the children rewrote.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import struct
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from alived.config.diagnostics import Severity
from alived.config.load import LoadResult
from alived.config.model import Config
from alived.core.check.params import format_server
from alived.daemon.dumpfile import CHECK_DUMPS, VRRP_DUMPS, dump_dir
from alived.daemon.loader import load_result
from alived.daemon.options import Options
from alived.daemon.process_facts import ProcessFacts
from alived.daemon.signals import Intent
from alived.daemon.spawn import parent_only, parent_released
from alived.daemon.status import instance_rows, path_problem, query_async, socket_path

log = logging.getLogger("alived.control")

MAX_REQUEST = 256
CONFIRM_TIMEOUT = 10.0
DUMP_FILES: Mapping[str, tuple[Intent, tuple[str, ...]]] = {
    "data": (Intent.DATA, (VRRP_DUMPS["data"], CHECK_DUMPS["data"])),
    "stats": (Intent.STATS, (VRRP_DUMPS["stats"], CHECK_DUMPS["stats"])),
    "json": (Intent.JSON, (VRRP_DUMPS["json"], CHECK_DUMPS["json"])),
}


def peer_allowed(sock: socket.socket, owner: int) -> bool:
    """SO_PEERCRED: the peer runs as root or as the socket's owner."""
    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", raw)
    return uid in (0, owner)


def refusal(result: LoadResult) -> list[str] | None:
    """The errors that make a reload refused (file:line message each), or None when it may go on."""
    errors = [str(d) for d in result.diagnostics if d.severity >= Severity.ERROR]
    return errors or None


def _address(vip: str) -> str:
    return vip.split(" ", 1)[0].split("/", 1)[0]


def running_view(
    vrrp_rows: Sequence[Mapping[str, Any]], checker_doc: Mapping[str, Any] | None
) -> dict[str, Any]:
    """What the children run now, as `changes` compares it: each instance's VIP addresses and
    settings (priority, vrid), each virtual server's real servers and their configured weights."""
    instances = {
        str(r.get("name")): {
            "vips": sorted(_address(str(v)) for v in r.get("vips") or ()),
            "settings": {key: r[theirs] for key, theirs in INSTANCE_SETTINGS if theirs in r},
        }
        for r in vrrp_rows
    }
    servers: dict[str, dict[str, dict[str, Any]]] = {}
    for vs in (checker_doc or {}).get("virtual_servers") or ():
        servers[str(vs.get("name"))] = {
            str(rs.get("name")): {"weight": rs["configured_weight"]} if "configured_weight" in rs else {}
            for rs in vs.get("real_servers") or ()
        }
    return {"instances": instances, "virtual_servers": servers}


# (name in the change report, field of the status row): the settings a reload may change in place.
INSTANCE_SETTINGS = (("priority", "base_priority"), ("vrid", "vrid"))


def config_view(config: Config) -> dict[str, Any]:
    """The same view of a config not yet applied."""
    instances = {
        i.name: {
            "vips": sorted(_address(str(v.address)) for v in i.virtual_ipaddress),
            "settings": {"priority": i.effective_priority, "vrid": i.virtual_router_id},
        }
        for i in config.instances
    }
    servers = {}
    for vs in config.virtual_servers:
        # The checker child's names (daemon/check/params.py), so both views compare.
        protocol = "none" if vs.fwmark is not None else vs.protocol.lower()
        if vs.group is not None:
            name = f"[{vs.group}]:{vs.port or 0}"
        elif vs.fwmark is not None:
            name = f"FWM {vs.fwmark}"
        else:
            name = format_server(vs.address, protocol, vs.port)  # type: ignore[arg-type]
        servers[name] = {
            format_server(rs.address, protocol, rs.effective_port): {"weight": rs.effective_weight}
            for rs in vs.real_servers
        }
    return {"instances": instances, "virtual_servers": servers}


def _moved(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Settings known on both sides that differ: name -> [old, new]."""
    return {k: [before[k], after[k]] for k in sorted(set(before) & set(after)) if before[k] != after[k]}


def changes(old: Mapping[str, Mapping[str, Any]], new: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Added, removed and changed instances (VIPs, settings) and virtual servers (real servers
    added, removed, or with another weight)."""
    out: dict[str, Any] = {}
    before, after = old.get("instances", {}), new.get("instances", {})
    changed: dict[str, Any] = {}
    for name in sorted(set(before) & set(after)):
        was, now = set(before[name]["vips"]), set(after[name]["vips"])
        settings = _moved(before[name].get("settings", {}), after[name].get("settings", {}))
        if was != now or settings:
            entry: dict[str, Any] = {"vips_added": sorted(now - was), "vips_removed": sorted(was - now)}
            if settings:
                entry["settings"] = settings
            changed[name] = entry
    out["instances"] = {
        "added": sorted(set(after) - set(before)),
        "removed": sorted(set(before) - set(after)),
        "changed": changed,
    }
    before, after = old.get("virtual_servers", {}), new.get("virtual_servers", {})
    changed = {}
    for name in sorted(set(before) & set(after)):
        was, now = before[name], after[name]
        moved = {rs: m for rs in sorted(set(was) & set(now)) if (m := _moved(was[rs], now[rs]))}
        if set(was) != set(now) or moved:
            entry = {
                "real_servers_added": sorted(set(now) - set(was)),
                "real_servers_removed": sorted(set(was) - set(now)),
            }
            if moved:
                entry["real_servers_changed"] = moved
            changed[name] = entry
    out["virtual_servers"] = {
        "added": sorted(set(after) - set(before)),
        "removed": sorted(set(before) - set(after)),
        "changed": changed,
    }
    return out


class ControlServer:
    """Serves the control requests; `intents` is the supervisor's queue, `load` reads the config."""

    def __init__(
        self,
        path: str,
        intents: asyncio.Queue[Intent],
        load: Callable[[], LoadResult],
        vrrp_socket: str | None,
        checker_socket: str | None,
        *,
        on_refused: Callable[[], None] = lambda: None,
    ) -> None:
        self.path = path
        self._on_refused = on_refused  # counted in the metrics
        self._intents = intents
        self._load = load
        self._vrrp = vrrp_socket
        self._checker = checker_socket
        self._server: asyncio.Server | None = None
        self._owner = os.getuid()

    async def start(self) -> bool:
        problem = path_problem(self.path)
        if problem is not None:
            log.error("Control socket not started: %s", problem)
            return False
        with contextlib.suppress(FileNotFoundError):
            if Path(self.path).is_socket():
                Path(self.path).unlink()
        old = os.umask(0o077)
        try:
            self._server = await asyncio.start_unix_server(self._serve, path=self.path)
        except OSError as err:
            log.error("Control socket %s not started: %s", self.path, err)
            return False
        finally:
            os.umask(old)
        for sock in self._server.sockets:
            parent_only(sock.fileno())
        Path(self.path).chmod(0o600)
        return True

    async def close(self) -> None:
        if self._server is None:
            return
        for sock in self._server.sockets:
            parent_released(sock.fileno())
        self._server.close()
        await self._server.wait_closed()
        self._server = None
        with contextlib.suppress(FileNotFoundError):
            Path(self.path).unlink()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            # Read the request even from a refused peer: closing with unread data would reset
            # the connection and the peer would never see why.
            line = await asyncio.wait_for(reader.readline(), 5)
            sock = writer.get_extra_info("socket")
            if sock is None or not peer_allowed(sock, self._owner):
                answer: dict[str, Any] = {
                    "result": "denied",
                    "error": "only root or the daemon's user may ask",
                }
            else:
                answer = await self.answer(line[:MAX_REQUEST].decode(errors="replace").split())
            writer.write((json.dumps(answer) + "\n").encode())
            await writer.drain()
        except (TimeoutError, ConnectionError, OSError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def answer(self, words: Sequence[str]) -> dict[str, Any]:
        if words == ["stop"]:
            self._intents.put_nowait(Intent.STOP)
            return {"result": "stopping"}
        if words == ["reload"]:
            return await self.reload()
        if len(words) == 2 and words[0] == "dump" and words[1] in DUMP_FILES:
            return await self.dump(words[1])
        return {
            "result": "error",
            "error": f"unknown request {' '.join(words)!r}: use reload, stop or dump data|stats|json",
        }

    async def _running(self) -> dict[str, Any]:
        rows: list[dict[str, Any]] = []
        doc: Any = None
        if self._vrrp:
            with contextlib.suppress(OSError, TimeoutError, ValueError):
                rows = instance_rows(json.loads(await query_async(self._vrrp, "status-json")))
        if self._checker:
            with contextlib.suppress(OSError, TimeoutError, ValueError):
                doc = json.loads(await query_async(self._checker, "json"))
        return running_view(rows, doc if isinstance(doc, dict) else None)

    async def reload(self) -> dict[str, Any]:
        try:
            result = await asyncio.to_thread(self._load)
        except Exception as err:  # a config that crashes the loader is refused, never fatal
            self._on_refused()
            return {"result": "refused", "errors": [f"reading the config failed: {err}"]}
        errors = refusal(result)
        if errors is not None:
            log.warning("Reload refused: %d error(s) in the configuration", len(errors))
            self._on_refused()
            return {"result": "refused", "errors": errors}
        before = await self._running()
        target = config_view(result.config)
        diff = changes(before, target)
        self._intents.put_nowait(Intent.RELOAD)
        confirmed = await self._confirm(sorted(target["instances"]))
        return {"result": "applied" if confirmed else "signalled", "changes": diff}

    async def _confirm(self, names: list[str]) -> bool:
        """Wait until the VRRP child runs exactly the new config's instances (when there is one)."""
        if not self._vrrp or not names:
            return True
        deadline = time.monotonic() + CONFIRM_TIMEOUT
        while time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            now = await self._running()
            if sorted(now["instances"]) == names:
                return True
        return False

    async def dump(self, kind: str) -> dict[str, Any]:
        intent, names = DUMP_FILES[kind]
        where = dump_dir()
        before = {name: _stamp(where / name) for name in names}
        self._intents.put_nowait(intent)
        deadline = time.monotonic() + CONFIRM_TIMEOUT
        written: list[str] = []
        while time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            written = [str(where / n) for n in names if _stamp(where / n) not in (None, before[n])]
            if str(where / names[0 if self._vrrp else 1]) in written:
                break
        first = where / names[0 if self._vrrp else 1]
        text = first.read_text(errors="replace") if str(first) in written else ""
        return {"result": "written" if written else "not written", "files": written, "content": text}


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns)


class _Slot(Protocol):
    name: str
    status_path: str


class _Parent(Protocol):
    options: Options
    intents: asyncio.Queue[Intent]
    facts: ProcessFacts

    @property
    def children(self) -> Sequence[_Slot]: ...


async def start_for(parent: _Parent) -> ControlServer | None:
    """The supervisor's control socket, next to its pid file (None, logged, when it cannot bind)."""
    sockets = {slot.name: slot.status_path for slot in parent.children}
    server = ControlServer(
        socket_path(parent.options.pid_file),
        parent.intents,
        lambda: load_result(parent.options),
        sockets.get("VRRP"),
        sockets.get("Healthcheck"),
        on_refused=parent.facts.refused,
    )
    return server if await server.start() else None
