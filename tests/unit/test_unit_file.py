"""The shipped unit and options file, read as systemd reads them (no systemd running needed).

`systemd-analyze verify` checks the unit's syntax with the program path pointed at the
installed entry point; the command line systemd would build from the Debian default options
file is parsed by alived's own command-line parser.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alived import cli
from alived.daemon.options import Options
from tests.helpers.shared import REPO
from tests.helpers.systemd_unit import environment, expand, parse_unit, values

UNIT = REPO / "packaging/systemd/alived.service"
DEFAULTS = REPO / "packaging/default/keepalived"


def test_unit_reads_keepalived_options_files_and_runs_the_drop_in_name() -> None:
    unit = parse_unit(UNIT.read_text())
    service = unit["Service"]
    # Debian's keepalived.service reads this file for DAEMON_ARGS; Red Hat's, KEEPALIVED_OPTIONS.
    assert values(service, "EnvironmentFile") == ["-/etc/default/keepalived", "-/etc/sysconfig/keepalived"]
    assert values(service, "Type") == ["notify"] and values(service, "NotifyAccess") == ["main"]
    assert values(unit["Install"], "Alias") == ["keepalived.service"]
    assert values(unit["Unit"], "ConditionFileNotEmpty") == ["/etc/keepalived/keepalived.conf"]
    env = environment(values(service, "EnvironmentFile"), {"/etc/default/keepalived": DEFAULTS})
    (start,) = values(service, "ExecStart")
    argv = expand(start, env)
    assert argv == ["/usr/lib/alived/keepalived", "--dont-fork"]  # empty options vanish
    command = cli.parse_args(argv[1:])
    assert command.mode == "daemon" and command.options.dont_fork
    # No -f: alived reads keepalived's default file, as the unit's condition expects.
    assert command.options.config_file == "/etc/keepalived/keepalived.conf" == Options().config_file


def test_expansion_follows_systemd_rules() -> None:
    env = {"DAEMON_ARGS": "-D  -l", "EMPTY": ""}
    assert expand("/x --dont-fork $DAEMON_ARGS $EMPTY $UNSET", env) == ["/x", "--dont-fork", "-D", "-l"]
    assert expand('/x "${DAEMON_ARGS}"', env) == ["/x", "-D  -l"]


def test_systemd_analyze_verify_finds_nothing_to_say(tmp_path: Path) -> None:
    entry_point = Path(sys.prefix) / "bin" / "keepalived"
    copy = tmp_path / "alived.service"
    copy.write_text(UNIT.read_text().replace("/usr/lib/alived/keepalived", str(entry_point)))
    out = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(copy)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0 and out.stdout + out.stderr == "", out.stderr


# Debian's keepalived.service as far as enabling it goes (its [Install] section).
DISTRO_UNIT = """\
[Unit]
Description=Keepalive Daemon (LVS and VRRP)

[Service]
Type=notify
ExecStart=/usr/sbin/keepalived --dont-fork

[Install]
WantedBy=multi-user.target
"""


def test_switch_over_and_roll_back_as_the_guide_says(tmp_path: Path) -> None:
    """docs/packaging.md's order on an offline root: keepalived off, alived on (it takes the alias),
    then back; every step leaves exactly the links the next boot needs."""
    system = tmp_path / "lib/systemd/system"
    system.mkdir(parents=True)
    (system / "keepalived.service").write_text(DISTRO_UNIT)
    (system / "alived.service").write_text(UNIT.read_text())
    etc = tmp_path / "etc/systemd/system"
    etc.mkdir(parents=True)

    def systemctl(*args: str) -> str:
        out = subprocess.run(
            ["systemctl", f"--root={tmp_path}", *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return out.stdout.strip()

    def links() -> dict[str, str]:
        return {str(p.relative_to(etc)): str(p.readlink()) for p in etc.rglob("*") if p.is_symlink()}

    systemctl("enable", "keepalived")  # where an operator starts from
    wants = "multi-user.target.wants"
    assert links() == {f"{wants}/keepalived.service": "/lib/systemd/system/keepalived.service"}
    systemctl("disable", "keepalived")
    systemctl("enable", "alived")
    assert links() == {
        "keepalived.service": "/lib/systemd/system/alived.service",  # the alias
        f"{wants}/alived.service": "/lib/systemd/system/alived.service",
    }
    assert systemctl("is-enabled", "keepalived") == "alias"
    systemctl("disable", "alived")  # rolling back
    systemctl("enable", "keepalived")
    assert links() == {f"{wants}/keepalived.service": "/lib/systemd/system/keepalived.service"}
    assert systemctl("is-enabled", "alived") == "disabled"
