"""The daemon (no -t) refuses what keepalived's daemon refuses: exit 2 before anything is started."""

from __future__ import annotations

from pathlib import Path

import pytest

from alived import cli
from alived.daemon import loader, supervisor
from tests.corpus.paths import SEEDS


def _never_started(*args: object, **kwargs: object) -> int:
    raise AssertionError("the supervisor was started on a fatal config")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ((SEEDS / "debug_in_instance.conf").read_text(), "is missing a parameter after keyword `debug`"),
        (
            "vrrp_instance VI_1 {\n interface alivednoif0\n virtual_router_id 51\n"
            " virtual_ipaddress {\n  192.0.2.1\n }\n}\n",
            "Non-existent interface specified in configuration",
        ),
    ],
)
def test_a_fatal_config_exits_2_without_starting(
    text: str, words: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    conf = tmp_path / "k.conf"
    conf.write_text(text)
    monkeypatch.setattr(supervisor, "run_supervisor", _never_started)
    assert cli.main(["-n", "-f", str(conf), "-p", str(tmp_path / "k.pid")]) == 2
    err = capsys.readouterr().err
    assert words in err
    assert "exited with permanent error CONFIG" in err


def test_a_config_with_ordinary_errors_still_starts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conf = tmp_path / "k.conf"
    # keepalived has no `debug` in global_defs: an unknown keyword, reported, and the daemon runs.
    conf.write_text(
        "global_defs {\n debug\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n"
        " virtual_ipaddress {\n  192.0.2.1\n }\n}\n"
    )
    started: list[object] = []

    def fake(options: object, **kwargs: object) -> int:
        started.append(options)
        return 0

    monkeypatch.setattr(supervisor, "run_supervisor", fake)
    # keepalived refuses a loopback interface for VRRP: the host's links are replaced by a fixed set.
    monkeypatch.setattr(loader, "local_interfaces", lambda: frozenset({"lo", "eth0"}))
    assert cli.main(["-n", "-f", str(conf), "-p", str(tmp_path / "k.pid")]) == 0
    assert len(started) == 1
