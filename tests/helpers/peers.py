"""Real VRRP peers for interop tests: keepalived 2.2.7 and FRR's vrrpd (Debian), run in a namespace.

Each start function returns the Popen (registered with the Lab, so it is killed by PID on close)
and writes its logs under the given directory.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.helpers.netns import Namespace


@dataclass
class KeepalivedPeer:
    proc: subprocess.Popen[bytes]
    log: Path
    conf: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def start_keepalived(
    ns: Namespace, conf_text: str, workdir: Path, name: str = "ka", env: dict[str, str] | None = None
) -> KeepalivedPeer:
    """keepalived -n -l -D in `ns` with private pid files; VRRP child only (-P); `env` e.g. a TMPDIR."""
    workdir.mkdir(parents=True, exist_ok=True)
    conf = workdir / f"{name}.conf"
    conf.write_text(conf_text)
    log = workdir / f"{name}.log"
    proc = ns.popen(
        "keepalived",
        "-n",
        "-l",
        "-D",
        "-P",
        "-f",
        str(conf),
        "-p",
        str(workdir / f"{name}.pid"),
        "-r",
        str(workdir / f"{name}_vrrp.pid"),
        "-c",
        str(workdir / f"{name}_check.pid"),
        log=log,
        env=env,
    )
    return KeepalivedPeer(proc, log, conf)


@dataclass
class FrrPeer:
    ns: Namespace
    rundir: Path
    zebra: subprocess.Popen[bytes]
    vrrpd: subprocess.Popen[bytes]
    vrrpd_log: Path = Path("/dev/null")

    def show(self, vrid: int) -> dict[str, object]:
        out = self.ns.exec(
            "vtysh", "--vty_socket", str(self.rundir), "-c", f"show vrrp {vrid} json", check=False
        ).stdout
        try:
            data = json.loads(out)
        except json.JSONDecodeError:
            return {}
        return data[0] if data else {}

    def status(self, vrid: int, family: str = "v4") -> str:
        info = self.show(vrid).get(family)
        return str(info.get("status", "")) if isinstance(info, dict) else ""


def frr_vmac(ns: Namespace, parent: str, vrid: int, vip: str, *, ipv6: bool = False) -> str:
    """The macvlan FRR's vrrpd needs: VMAC 00:00:5e:00:01|02:VRID on `parent`, carrying the VIP."""
    kind = 2 if ipv6 else 1
    dev = f"vrrp{6 if ipv6 else 4}-{vrid}"
    ns.ip("link", "add", dev, "link", parent, "type", "macvlan", "mode", "bridge")
    ns.ip("link", "set", dev, "address", f"00:00:5e:00:0{kind}:{vrid:02x}")
    ns.ip("link", "set", dev, "up")
    ns.ip("addr", "add", vip, "dev", dev)
    return dev


def start_frr_vrrpd(ns: Namespace, vrrpd_conf: str, workdir: Path) -> FrrPeer:
    """zebra + vrrpd in `ns` with a private run dir (both drop privileges to user frr)."""
    rundir = workdir / f"frr-{ns.name}"
    rundir.mkdir(parents=True, exist_ok=True)
    for parent in [rundir, *rundir.parents]:
        if parent == Path("/"):
            break
        parent.chmod(parent.stat().st_mode | 0o755)
    shutil.chown(rundir, "frr", "frr")
    conf = rundir / "vrrpd.conf"
    conf.write_text(vrrpd_conf)
    conf.chmod(0o644)
    common = ["-z", str(rundir / "zserv.api"), "--vty_socket", str(rundir), "--log", "stdout"]
    zebra = ns.popen(
        "/usr/lib/frr/zebra",
        "-i",
        str(rundir / "zebra.pid"),
        "-f",
        "/dev/null",
        *common,
        log=workdir / f"zebra-{ns.name}.log",
    )
    deadline = time.monotonic() + 10
    while not (rundir / "zserv.api").exists():
        if time.monotonic() > deadline:
            raise RuntimeError("zebra did not create its API socket")
        time.sleep(0.05)
    log = workdir / f"vrrpd-{ns.name}.log"
    vrrpd = _popen_vrrpd(ns, rundir, log)
    return FrrPeer(ns, rundir, zebra, vrrpd, log)


def _popen_vrrpd(ns: Namespace, rundir: Path, log: Path) -> subprocess.Popen[bytes]:
    common = ["-z", str(rundir / "zserv.api"), "--vty_socket", str(rundir), "--log", "stdout"]
    return ns.popen(
        "/usr/lib/frr/vrrpd",
        "-i",
        str(rundir / "vrrpd.pid"),
        "-f",
        str(rundir / "vrrpd.conf"),
        "--log-level",
        "debug",
        *common,
        log=log,
    )


def restart_frr_vrrpd(peer: FrrPeer, workdir: Path, tag: str) -> FrrPeer:
    """A new vrrpd with the same config and zebra, after the previous one was killed."""
    log = workdir / f"vrrpd-{peer.ns.name}-{tag}.log"
    # A killed vrrpd leaves its pid file behind, which the new one (as user frr) may not reopen.
    (peer.rundir / "vrrpd.pid").unlink(missing_ok=True)
    return FrrPeer(peer.ns, peer.rundir, peer.zebra, _popen_vrrpd(peer.ns, peer.rundir, log), log)


def start_alived(
    ns: Namespace, conf_text: str, workdir: Path, name: str = "alived", env: dict[str, str] | None = None
) -> KeepalivedPeer:
    """alived with keepalived's flags (-n -l -D -P), from this interpreter's environment plus `env`."""
    workdir.mkdir(parents=True, exist_ok=True)
    conf = workdir / f"{name}.conf"
    conf.write_text(conf_text)
    log = workdir / f"{name}.log"
    proc = ns.popen(
        sys.executable,
        "-m",
        "alived",
        "-n",
        "-l",
        "-D",
        "-P",
        "-f",
        str(conf),
        "-p",
        str(workdir / f"{name}.pid"),
        "-r",
        str(workdir / f"{name}_vrrp.pid"),
        log=log,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
    )
    return KeepalivedPeer(proc, log, conf)
