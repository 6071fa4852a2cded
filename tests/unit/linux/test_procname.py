"""Process naming for the keepalived drop-in: comm and /proc/PID/cmdline, in a throwaway process."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

PROBE = """
import sys
from pathlib import Path
from alived.linux.procname import set_process_name
ok = set_process_name("keepalived", ["keepalived", "-n", "-f", "/x/k.conf"])
comm = Path("/proc/self/comm").read_text().strip()
cmdline = Path("/proc/self/cmdline").read_bytes().rstrip(b"\\0").split(b"\\0")
print(ok, comm, [c.decode() for c in cmdline])
"""


def test_comm_and_cmdline_read_as_keepalived() -> None:
    # Padding arguments give the original command line room, as a real `python3 .../keepalived` has.
    out = subprocess.run(
        [sys.executable, "-c", PROBE, "x" * 40], capture_output=True, text=True, check=True, timeout=30
    ).stdout.strip()
    assert out == "True keepalived ['keepalived', '-n', '-f', '/x/k.conf']"


def test_a_too_long_command_line_is_cut_not_overrun() -> None:
    probe = PROBE.replace('"-f", "/x/k.conf"', '"-f", "/x/k.conf" + "y" * 5000')
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    assert out.startswith("True keepalived ['keepalived', '-n', '-f', '/x/k.conf")


def test_package_installs_a_keepalived_command() -> None:
    pyproject = Path(__file__).resolve().parents[3] / "pyproject.toml"
    scripts = tomllib.loads(pyproject.read_text())["project"]["scripts"]
    assert scripts["keepalived"] == "alived.cli:main"


def test_named_as_keepalived_only_when_invoked_so(monkeypatch: pytest.MonkeyPatch) -> None:
    from alived import cli
    from alived.linux import procname

    calls: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(procname, "set_process_name", lambda name, argv: calls.append((name, list(argv))))
    monkeypatch.delenv(cli.TITLE_ENV, raising=False)
    monkeypatch.setattr(sys, "argv", ["/usr/local/bin/alived", "-n"])
    cli._name_processes(["-n"], child=False)
    assert calls == [] and cli.TITLE_ENV not in os.environ
    monkeypatch.setattr(sys, "argv", ["/usr/sbin/keepalived", "-n"])
    cli._name_processes(["-n"], child=False)
    assert calls == [("keepalived", ["/usr/sbin/keepalived", "-n"])]
    # The VRRP child shows the parent's command line, and keeps it from the scripts it runs.
    cli._name_processes(["--_child", "vrrp"], child=True)
    assert calls[-1] == ("keepalived", ["/usr/sbin/keepalived", "-n"])
    assert cli.TITLE_ENV not in os.environ
