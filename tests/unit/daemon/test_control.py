"""The parent's control socket (daemon/control.py): refusal, change report, requests, peer credentials."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

from alived.config.load import load_config
from alived.ctl import describe_changes
from alived.daemon.control import ControlServer, changes, config_view, refusal, running_view
from alived.daemon.process_facts import ProcessFacts
from alived.daemon.signals import Intent
from alived.daemon.status import query

GOOD = """vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
  virtual_ipaddress {
    192.0.2.100/24
    192.0.2.101/24
  }
}
virtual_server 192.0.2.100 80 {
  protocol TCP
  real_server 192.0.2.21 80 {
  }
}
"""
BAD = GOOD.replace("priority 100", "priority 100\n  virtual_router_id 999")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "k.conf"
    path.write_text(text)
    return path


def test_a_config_with_errors_is_refused_with_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, BAD)
    errors = refusal(load_config(str(path), interfaces=None))
    # keepalived's two lines for a bad VRID: the number, then the instance's own.
    assert errors is not None and len(errors) == 2
    assert all(f"({path}: Line 5)" in e and "999" in e for e in errors)
    assert refusal(load_config(str(write(tmp_path, GOOD)), interfaces=None)) is None


def test_changes_against_what_runs(tmp_path: Path) -> None:
    config = load_config(str(write(tmp_path, GOOD)), interfaces=None).config
    running = running_view(
        [{"name": "VI_1", "vips": ["192.0.2.100/24", "192.0.2.102/24"]}, {"name": "VI_9", "vips": []}],
        {
            "virtual_servers": [
                {"name": "[192.0.2.100]:tcp:80", "real_servers": [{"name": "[192.0.2.22]:tcp:80"}]}
            ]
        },
    )
    diff = changes(running, config_view(config))
    assert diff["instances"] == {
        "added": [],
        "removed": ["VI_9"],
        "changed": {"VI_1": {"vips_added": ["192.0.2.101"], "vips_removed": ["192.0.2.102"]}},
    }
    assert diff["virtual_servers"]["changed"] == {
        "[192.0.2.100]:tcp:80": {
            "real_servers_added": ["[192.0.2.21]:tcp:80"],
            "real_servers_removed": ["[192.0.2.22]:tcp:80"],
        }
    }
    same = changes(config_view(config), config_view(config))
    assert all(not part["added"] and not part["removed"] and not part["changed"] for part in same.values())


def run_server(
    tmp_path: Path,
    conf: Path,
    requests: list[str],
    *,
    as_user: int | None = None,
    facts: ProcessFacts | None = None,
) -> tuple[list[str], list[Intent]]:
    """Start a ControlServer, send each request from a thread (optionally as another uid), collect."""
    intents: asyncio.Queue[Intent] = asyncio.Queue()
    path = str(tmp_path / "ctl.sock")

    async def go() -> list[str]:
        server = ControlServer(
            path,
            intents,
            lambda: load_config(str(conf), interfaces=None),
            None,
            None,
            on_refused=(facts or ProcessFacts()).refused,
        )
        assert await server.start()
        assert (os.stat(path).st_mode & 0o777) == 0o600
        try:
            if as_user is not None:
                os.chmod(path, 0o666)  # let the file mode through: only SO_PEERCRED stops the peer
            return [await asyncio.to_thread(ask, path, r, as_user) for r in requests]
        finally:
            await server.close()

    answers = asyncio.run(go())
    queued = []
    while not intents.empty():
        queued.append(intents.get_nowait())
    return answers, queued


def ask(path: str, request: str, as_user: int | None) -> str:
    if as_user is None:
        return query(path, request, timeout=15)
    read, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child drops to another user and asks
        try:
            os.close(read)
            os.setgid(as_user)
            os.setuid(as_user)
            os.write(write_end, query(path, request, timeout=5).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    chunks = []
    while chunk := os.read(read, 65536):
        chunks.append(chunk)
    os.close(read)
    os.waitpid(pid, 0)
    return b"".join(chunks).decode()


def test_requests_queue_intents(tmp_path: Path) -> None:
    conf = write(tmp_path, GOOD)
    answers, queued = run_server(tmp_path, conf, ["reload", "stop", "bogus"])
    reload, stop, bogus = (json.loads(a) for a in answers)
    assert reload["result"] == "applied"
    assert reload["changes"]["instances"]["added"] == ["VI_1"]
    assert stop == {"result": "stopping"}
    assert bogus["result"] == "error" and "use reload, stop or dump" in bogus["error"]
    assert queued == [Intent.RELOAD, Intent.STOP]


def test_a_refused_reload_queues_nothing(tmp_path: Path) -> None:
    conf = write(tmp_path, BAD)
    facts = ProcessFacts()
    (answer,), queued = run_server(tmp_path, conf, ["reload"], facts=facts)
    refused = json.loads(answer)
    assert refused["result"] == "refused" and "Line 5" in refused["errors"][0]
    assert queued == []
    assert (facts.reloads_refused, facts.reloads) == (1, 0)  # alived_reloads_refused_total
    run_server(tmp_path, write(tmp_path, GOOD), ["reload"], facts=facts)
    assert facts.reloads_refused == 1


def test_changed_settings_and_weights_are_reported(tmp_path: Path) -> None:
    """A priority, a vrid or a real server's configured weight changed in place is a change."""
    text = GOOD.replace("priority 100", "priority 150").replace(
        "real_server 192.0.2.21 80 {", "real_server 192.0.2.21 80 {\n    weight 3"
    )
    config = load_config(str(write(tmp_path, text)), interfaces=None).config
    running = running_view(
        [{"name": "VI_1", "vips": ["192.0.2.100/24", "192.0.2.101/24"], "base_priority": 100, "vrid": 51}],
        {
            "virtual_servers": [
                {
                    "name": "[192.0.2.100]:tcp:80",
                    "real_servers": [{"name": "[192.0.2.21]:tcp:80", "weight": 0, "configured_weight": 1}],
                }
            ]
        },
    )
    diff = changes(running, config_view(config))
    assert diff["instances"]["changed"] == {
        "VI_1": {"vips_added": [], "vips_removed": [], "settings": {"priority": [100, 150]}}
    }
    assert diff["virtual_servers"]["changed"] == {
        "[192.0.2.100]:tcp:80": {
            "real_servers_added": [],
            "real_servers_removed": [],
            "real_servers_changed": {"[192.0.2.21]:tcp:80": {"weight": [1, 3]}},
        }
    }
    assert describe_changes(diff) == [
        "  VRRP instances: changed VI_1 (priority 100->150)",
        "  virtual servers: changed [192.0.2.100]:tcp:80 ([192.0.2.21]:tcp:80 weight 1->3)",
    ]
    # The current weight (0 here: a check or misc_dynamic moved it) is not a configuration change.
    same = config_view(load_config(str(write(tmp_path, GOOD)), interfaces=None).config)
    assert changes(running, same)["virtual_servers"]["changed"] == {}
