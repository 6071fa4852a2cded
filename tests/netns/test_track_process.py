"""track_process against real processes: the kernel's process events move alived's priority.

Each tracked process is a copy of `sleep` (or `sh`) run through a symlink with a name unique to
the run, so its comm is that name; every process is started and killed by PID inside the test.
A keepalived 2.2.7 peer proves the priority went on the wire: it takes the VIP over when alived's
advertised priority drops below its own and gives it back when the process returns.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from tests.helpers.netns import Lab, Namespace, unique, wait_for
from tests.helpers.peers import KeepalivedPeer, start_keepalived
from tests.netns.test_daemon_vrrp import VIP, Node, conf, instance, make_nodes

pytestmark = pytest.mark.netns


def tracked_name(tmp_path: Path, program: str = "sleep") -> Path:
    """A symlink to `program` with a per-run name: a process run through it has that comm."""
    link = tmp_path / unique("tp")
    target = shutil.which(program)
    assert target is not None
    link.symlink_to(target)
    return link


def run_as(lab: Lab, ns: Namespace, link: Path, *args: str) -> subprocess.Popen[bytes]:
    return ns.popen(str(link), *args)


def block(name: str, process: str, extra: str = "") -> str:
    return f"vrrp_track_process {name} {{\n  process {process}\n{extra}}}\n"


def keepalived_has_vip(ns: Namespace) -> bool:
    return ns.has_address("eth0", VIP)


def wait_owner(alived: Node, ka: Namespace, alived_owns: bool, what: str) -> None:
    wait_for(
        lambda: alived.has() == alived_owns and keepalived_has_vip(ka) != alived_owns,
        timeout=40,
        what=what,
    )


def test_process_death_and_return_move_the_vip_to_and_from_keepalived(lab: Lab, tmp_path: Path) -> None:
    a, b = make_nodes(lab, tmp_path)
    name = tracked_name(tmp_path)
    track = "  track_process {\n    svc weight -60\n  }\n"
    a.write(conf(instance(150, extra=track)) + block("svc", name.name, "  weight 10\n"))
    proc = run_as(lab, a.ns, name, "1000")
    a.start()
    peer: KeepalivedPeer = start_keepalived(b.ns, conf(instance(100)), tmp_path / "ka")
    wait_owner(a, b.ns, True, "alived master while its process runs")
    assert "track_process is not supported" not in a.log_text()
    assert "Failed to open process monitoring socket" not in a.log_text()  # events, not polling
    lab.kill(proc)
    a.wait_log("Quorum lost for tracked process svc")
    a.wait_log("(VI_1) Changing effective priority from 150 to 90")
    wait_owner(a, b.ns, False, "keepalived master once alived advertises 90")
    proc = run_as(lab, a.ns, name, "1000")
    a.wait_log("Quorum gained for tracked process svc")
    a.wait_log("(VI_1) Changing effective priority from 90 to 150")
    wait_owner(a, b.ns, True, "alived preempts back at 150")
    lab.kill(proc)
    assert peer.proc.poll() is None


def test_exec_into_and_out_of_the_tracked_name(lab: Lab, tmp_path: Path) -> None:
    (a,) = make_nodes(lab, tmp_path, count=1)
    name = tracked_name(tmp_path)
    shell = tracked_name(tmp_path, "sh")
    blocks = block("bysleep", name.name) + block("bysh", shell.name)
    track = "  track_process {\n    bysleep weight 10\n    bysh weight 20\n  }\n"
    a.write(conf(instance(100, extra=track)) + blocks)
    a.start()
    a.wait_log("(VI_1) Entering MASTER STATE")
    gate = tmp_path / "gate"
    # A plain shell that execs into the tracked name once the gate file appears.
    waiter = a.ns.popen("sh", "-c", f"while [ ! -e {gate} ]; do sleep 0.05; done; exec {name} 1000")
    # The tracked shell (comm = its link's name) that execs into plain `sleep` once the gate opens.
    leaver = a.ns.popen(str(shell), "-c", f"while [ ! -e {gate} ]; do sleep 0.05; done; exec sleep 1000")
    a.wait_log("Quorum gained for tracked process bysh")
    a.wait_log("(VI_1) Changing effective priority from 100 to 120")
    assert "Quorum gained for tracked process bysleep" not in a.log_text()
    gate.touch()
    a.wait_log("Quorum gained for tracked process bysleep")
    a.wait_log("Quorum lost for tracked process bysh")
    a.wait_log("to 110")  # +10 and -20, in whichever order the two execs came
    lab.kill(waiter)
    lab.kill(leaver)
    a.wait_log("Quorum lost for tracked process bysleep")
    # A reload keeps following the kernel's events.
    a.send(signal.SIGHUP)
    a.wait_log("Reload complete")
    again = run_as(lab, a.ns, name, "1000")
    wait_for(
        lambda: a.log_text().count("Quorum gained for tracked process bysleep") == 2,
        what="gained after reload",
    )
    lab.kill(again)


def test_quorum_bounds_terminate_delay_and_weight_zero_fault(lab: Lab, tmp_path: Path) -> None:
    (a,) = make_nodes(lab, tmp_path, count=1)
    many = tracked_name(tmp_path)
    slow = tracked_name(tmp_path)
    needed = tracked_name(tmp_path)
    blocks = (
        block("many", many.name, "  quorum 2\n  quorum_max 3\n  weight 10\n")
        + block("slow", slow.name, "  terminate_delay 5\n  weight 20\n")
        + block("needed", needed.name)
    )
    first = instance(100, extra="  track_process {\n    many\n    slow\n  }\n")
    needed_track = "  track_process {\n    needed\n  }\n"
    second = instance(100, name="VI_2", vrid=52, vips=("192.0.2.101/24",), extra=needed_track)
    slow_proc = run_as(lab, a.ns, slow, "1000")
    a.write(conf(first, second) + blocks)
    a.start()
    a.wait_log("(VI_2) entering FAULT state (tracked process needed quorum not achieved)")
    assert "Failed to open process monitoring socket" not in a.log_text()
    a.wait_log("(VI_1) Entering MASTER STATE")
    assert "(VI_2) Entering MASTER STATE" not in a.log_text()
    # quorum 2, quorum_max 3: the second process gains it, the fourth loses it.
    procs = [run_as(lab, a.ns, many, "1000")]
    procs.append(run_as(lab, a.ns, many, "1000"))
    a.wait_log("Quorum gained for tracked process many")
    a.wait_log("(VI_1) Changing effective priority from 120 to 130")
    procs.append(run_as(lab, a.ns, many, "1000"))
    procs.append(run_as(lab, a.ns, many, "1000"))
    a.wait_log("Quorum lost for tracked process many")
    a.wait_log("(VI_1) Changing effective priority from 130 to 120")
    lab.kill(procs.pop())
    wait_for(lambda: a.log_text().count("Quorum gained for tracked process many") == 2, what="regained at 3")
    # terminate_delay 5: a process restarted at once never loses the quorum ...
    lab.kill(slow_proc)
    slow_proc = run_as(lab, a.ns, slow, "1000")
    # ... while one that stays away loses it once the delay has run.
    lab.kill(slow_proc)
    a.wait_log("Quorum lost for tracked process slow", timeout=40)
    assert a.log_text().count("Quorum lost for tracked process slow") == 1
    # weight 0: the second instance leaves FAULT when its process starts.
    needed_proc = run_as(lab, a.ns, needed, "1000")
    a.wait_log("Quorum gained for tracked process needed")
    a.wait_log("(VI_2) Entering MASTER STATE")
    lab.kill(needed_proc)
    a.wait_log("(VI_2) Entering FAULT STATE")
    for proc in procs:
        lab.kill(proc)


def test_full_command_with_arguments(lab: Lab, tmp_path: Path) -> None:
    (a,) = make_nodes(lab, tmp_path, count=1)
    name = tracked_name(tmp_path)
    # Arguments on the process line mean argv[0] and an exact argument match (param_match exact).
    blocks = block("exact", f"{name} 1000") + block("initial", f"{name} 10", "  param_match initial\n")
    track = "  track_process {\n    exact weight 10\n    initial weight 20\n  }\n"
    a.write(conf(instance(100, extra=track)) + blocks)
    a.start()
    a.wait_log("(VI_1) Entering MASTER STATE")
    other = run_as(lab, a.ns, name, "999")
    prefixed = run_as(lab, a.ns, name, "10000")  # "10" is a prefix of its last argument: initial only
    a.wait_log("Quorum gained for tracked process initial")
    exact = run_as(lab, a.ns, name, "1000")
    a.wait_log("Quorum gained for tracked process exact")
    lab.kill(exact)
    a.wait_log("Quorum lost for tracked process exact")
    lab.kill(prefixed)
    a.wait_log("Quorum lost for tracked process initial")
    text = a.log_text()
    assert text.count("Quorum gained for tracked process exact") == 1  # 999 and 10000 never counted
    assert text.count("Quorum gained for tracked process initial") == 1  # 10000 (then 1000 as well)
    lab.kill(other)
