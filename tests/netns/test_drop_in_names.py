"""alived as a keepalived drop-in: the operator's check scripts find it by keepalived's name.

Two alived nodes, each started through the `keepalived` entry point the package installs. On the
master, a vrrp_script in the style of the usual seeds counts `ps -C keepalived`, asks `pidof
keepalived`, and checks the service as the seeds' nginx check does: when `ps -C SERVICE` counts
none, it starts the service again, waits, counts again and, the service not having come back, runs
`killall -TERM keepalived`: the VIP must move to the backup. The master and its service run in
their own PID namespace (`unshare --pid --fork --mount-proc`, a shell as its init that reaps the
service), so the script's `ps` and `killall` can only see this test's processes, never another
keepalived on the machine; the test itself only ever signals the processes it started, by PID.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from tests.helpers.netns import Lab, Namespace, unique, wait_for
from tests.netns.test_daemon_vrrp import VIP, conf, instance

pytestmark = pytest.mark.netns

ENTRY_POINT = Path(sys.prefix) / "bin" / "keepalived"


def service_command(service: Path, alive: Path, out: Path) -> str:
    """The service: a shell named `service` that runs while `alive` exists (so it cannot restart)."""
    return f"{service} -c 'echo started >> {out}/service; while [ -e {alive} ]; do sleep 0.1; done'"


def check_script(path: Path, out: Path, service: Path, alive: Path) -> Path:
    count = f'"$(ps -C {service.name} --no-header | wc -l)"'
    path.write_text(
        "#!/bin/sh\n"
        f"ps -C keepalived --no-header | wc -l > {out}/count.tmp && mv {out}/count.tmp {out}/count\n"
        f"pidof keepalived > {out}/pidof.tmp; mv {out}/pidof.tmp {out}/pidof\n"
        f"if [ {count} -eq 0 ]; then\n"
        f"    {service_command(service, alive, out)}\n"
        "    sleep 1\n"
        f"    if [ {count} -eq 0 ]; then\n"
        "        killall -TERM keepalived\n"
        "    fi\n"
        "fi\n"
        "exit 0\n"
    )
    path.chmod(0o755)
    return path


def start(ns: Namespace, workdir: Path, name: str, text: str, *prefix: str) -> None:
    config = workdir / f"{name}.conf"
    config.write_text(text)
    ns.popen(
        *prefix,
        str(ENTRY_POINT),
        "-n",
        "-l",
        "-D",
        "-f",
        str(config),
        "-p",
        str(workdir / f"{name}.pid"),
        "-r",
        str(workdir / f"{name}_vrrp.pid"),
        log=workdir / f"{name}.log",
    )


def test_seed_check_script_kills_keepalived_by_name_and_the_vip_moves(lab: Lab, tmp_path: Path) -> None:
    if not ENTRY_POINT.exists():
        pytest.fail(f"the `keepalived` entry point is not installed beside {sys.executable}: run make setup")
    a, b = lab.netns("a"), lab.netns("b")
    lab.lan([a, b])
    a.ip("addr", "add", "192.0.2.1/24", "dev", "eth0")
    b.ip("addr", "add", "192.0.2.2/24", "dev", "eth0")
    web = tmp_path / "web-alive"
    web.touch()
    out = tmp_path / "seen"
    out.mkdir()
    service = tmp_path / unique("svc")
    sh = shutil.which("sh")
    assert sh is not None
    service.symlink_to(sh)
    script = check_script(tmp_path / "check_web.sh", out, service, web)
    security = "  enable_script_security\n  script_user root\n"
    # The script sleeps 1 s before it counts again: its timeout (the interval by default) must allow it.
    vrrp_script = f'vrrp_script chk_web {{\n  script "{script}"\n  interval 1\n  timeout 3\n}}\n'
    track = "  track_script {\n    chk_web\n  }\n"
    start(
        a,
        tmp_path,
        "a",
        conf(instance(150, extra=track), global_extra=security) + vrrp_script,
        "unshare",
        "--pid",
        "--fork",
        "--mount-proc",
        "--kill-child=SIGKILL",
        "sh",
        "-c",
        f'{service_command(service, web, out)} & "$@"',
        "sh",
    )
    start(b, tmp_path, "b", conf(instance(100)))
    # b may be master first (a waits for its script's first result): it drops the VIP a moment
    # after a takes it, so both are waited for together.
    wait_for(
        lambda: a.has_address("eth0", VIP) and not b.has_address("eth0", VIP),
        timeout=40,
        what="a to become master, b backup",
    )
    wait_for((out / "pidof").exists, timeout=40, what="the check script to run")
    # keepalived 2.2.7 with a VRRP child only: parent and VRRP child, both named keepalived.
    assert (out / "count").read_text().strip() == "2"
    assert len((out / "pidof").read_text().split()) == 2
    assert (out / "service").read_text() == "started\n"
    web.unlink()
    wait_for(lambda: b.has_address("eth0", VIP), timeout=40, what="the VIP to move to b")
    wait_for(lambda: not a.has_address("eth0", VIP), timeout=40, what="a to release the VIP")
    # The script tried to start the service again before it stopped keepalived.
    assert (out / "service").read_text() == "started\nstarted\n"
    log = (tmp_path / "a.log").read_text(errors="replace")
    # It was SIGTERM (keepalived's orderly stop: priority-0 advert), not a crash.
    assert "Stopping" in log and "(VI_1) sent 0 priority" in log, log[-2000:]
