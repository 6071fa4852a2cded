"""The status socket: ping, json and a human table over a real UNIX socket."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from alived.daemon.status import (
    StatusPathError,
    StatusServer,
    format_table,
    path_problem,
    query_async,
    socket_path,
)
from alived.daemon.vrrp.dumps import InstanceReport


def report() -> InstanceReport:
    return InstanceReport(
        iname="VI_1", state="BACKUP", wantstate="BACKUP", interface="eth0", vrid=51, version=3,
        base_priority=100, effective_priority=100, adver_int_us=1_000_000, master_adver_int_us=1_000_000,
        accept=True, nopreempt=False, preempt_delay_us=0, auth_type=0,
        vips=("192.0.2.100/24 dev eth0 scope global",),
    )  # fmt: skip


def test_socket_path_next_to_the_pid_file() -> None:
    assert socket_path("/run/vrrp.pid") == "/run/vrrp.sock"


def test_table() -> None:
    lines = format_table([report()]).splitlines()
    assert lines[1].split() == ["VI_1", "BACKUP", "100", "100", "51", "eth0", "-", "-", "-", "192.0.2.100/24"]


def test_server_round_trip(tmp_path: Path) -> None:
    path = str(tmp_path / "vrrp.sock")

    async def go() -> tuple[str, str, str]:
        server = StatusServer(path, lambda: [report()])
        await server.start()
        try:
            return (
                await query_async(path, "ping"),
                await query_async(path, "json"),
                await query_async(path, "nonsense"),
            )
        finally:
            await server.close()

    pong, doc, bad = asyncio.run(go())
    assert pong == "pong\n"
    assert json.loads(doc)[0]["data"]["iname"] == "VI_1"
    assert bad.startswith("unknown request")
    assert not Path(path).exists()


def test_a_file_that_is_not_a_socket_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "vrrp.sock"
    path.write_text("operator's file\n")
    assert path_problem(str(path)) == (
        f"status socket path {path} exists and is not a socket: remove it or use another -r pid file"
    )

    async def go() -> None:
        server = StatusServer(str(path), lambda: [report()])
        with pytest.raises(StatusPathError):
            await server.start()
        await server.close()

    asyncio.run(go())
    assert path.read_text() == "operator's file\n"
    assert path_problem(str(tmp_path / "absent.sock")) is None
