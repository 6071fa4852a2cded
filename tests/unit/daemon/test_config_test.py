"""`alived -t`: every diagnostic as `(FILE: Line N) message` on stderr, keepalived's exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from alived import cli

# keepalived refuses loopback for VRRP; prefer any other interface this host has.
IFACE = next((n.name for n in sorted(Path("/sys/class/net").iterdir()) if n.name != "lo"), "lo")

GOOD = f"""
vrrp_instance VI_1 {{
  interface {IFACE}
  virtual_router_id 51
  priority 100
  virtual_ipaddress {{
    192.0.2.100/24
  }}
}}
"""


def test_clean_config_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "k.conf"
    path.write_text(GOOD)
    assert cli.main(["-t", "-f", str(path)]) == 0
    assert capsys.readouterr().err == ""


def test_problems_exit_5_with_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "k.conf"
    path.write_text(GOOD.replace("  priority 100\n", "  priority 100\n  bogus_keyword 1\n"))
    assert cli.main(["-t", "-f", str(path)]) == 5
    err = capsys.readouterr().err
    assert f"({path}: Line 6)" in err
    assert "bogus_keyword" in err


def test_missing_file_cannot_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # keepalived 2.2.7 -t exits 0 here (it only prints the line).
    assert cli.main(["-t", "-f", str(tmp_path / "missing.conf")]) == 0
    assert capsys.readouterr().err.strip()


def test_log_file_receives_the_diagnostics(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "k.conf"
    path.write_text(GOOD.replace("  priority 100\n", "  priority 100\n  bogus_keyword 1\n"))
    log = tmp_path / "test.log"
    assert cli.main(["-f", str(path), f"--config-test={log}"]) == 5
    assert capsys.readouterr().err == ""
    assert "bogus_keyword" in log.read_text()


def test_run_time_only_script_lines_are_not_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # keepalived -t prints nothing here (rc 0): its "Script user ... does not exist" and "Invalid
    # user/group ..." lines are LOG_INFO, for the running daemon's log only.
    path = tmp_path / "k.conf"
    notify = '  notify_master "/bin/true" nosuchuser-alived\n'
    path.write_text(
        "global_defs {\n  enable_script_security\n  script_user root\n}\n"
        + GOOD.replace("  priority 100\n", "  priority 100\n" + notify)
    )
    assert cli.main(["-t", "-f", str(path)]) == 0
    assert capsys.readouterr().err == ""
