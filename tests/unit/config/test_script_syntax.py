"""A script keyword keepalived cannot split is a diagnostic at its line, in keepalived's words."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alived.config.diagnostics import Severity
from alived.config.load import load_config

CONF = """\
global_defs {
    enable_script_security
    notify_fifo_script "/bin/echo 'unterminated"
    script_user root
}
vrrp_script chk {
    script "/bin/true 'oops"
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    notify "/bin/echo 'x"
    notify_master "/bin/echo master"
    notify_backup /bin/echo\\\\ "b
    virtual_ipaddress {
        192.0.2.10/24
    }
}
virtual_server 192.0.2.1 80 {
    quorum_up "/bin/echo 'x"
    real_server 192.0.2.2 80 {
        MISC_CHECK {
            misc_path "/bin/echo 'x"
        }
    }
}
"""


def test_bad_quoting_is_reported_with_file_line_and_keyword(tmp_path: Path) -> None:
    path = tmp_path / "keepalived.conf"
    path.write_text(CONF)
    result = load_config(path, interfaces={"eth0"})
    found = {
        (d.location.line, d.keyword): d.message
        for d in result.diagnostics
        if d.location is not None and d.location.file == str(path) and d.severity == Severity.ERROR
    }
    assert found[(3, "notify_fifo_script")] == "String '/bin/echo 'unterminated': missing terminating '"
    assert found[(7, "script")] == "String '/bin/true 'oops': missing terminating '"
    assert found[(12, "notify")] == "String '/bin/echo 'x': missing terminating '"
    assert found[(14, "notify_backup")] == "String '/bin/echo\\\\ \"b': missing terminating \""
    assert found[(20, "quorum_up")] == "String '/bin/echo 'x': missing terminating '"
    assert found[(23, "misc_path")] == "String '/bin/echo 'x': missing terminating '"
    assert result.exit_code == 5
    # Only the bad items are skipped; the rest of the file still loads.
    (inst,) = result.config.instances
    assert inst.notify is None and inst.notify_backup is None
    assert inst.notify_master is not None and inst.notify_master.argv == ("/bin/echo", "master")
    assert [str(v.address) for v in inst.virtual_ipaddress] == ["192.0.2.10/24"]


def test_alived_t_reports_it_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "keepalived.conf"
    path.write_text(CONF)
    done = subprocess.run(
        [sys.executable, "-m", "alived", "-t", "-l", "-f", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 5
    out = done.stdout + done.stderr
    assert "Traceback" not in out
    assert f"({path}: Line 12) String '/bin/echo 'x': missing terminating '" in out
