"""track_process: process event to priority change (ms), and the VRRP child's CPU under a storm of processes.

    .venv/bin/python bench/bench_track_process.py [--runs 20] [--rate 2000] [--seconds 10] [--no-readme]

One alived node in a namespace tracks a process (weight -60, priority 150). The tracked process
is a copy of `sleep` run through a symlink with a per-run name. Latency: the time from the
process's start (posix_spawn returning) or death (SIGKILL sent) to alived's "Changing effective
priority" line in its log, polled every 0.2 ms, so it includes the log write: an upper bound.
CPU: the VRRP child's utime+stime from /proc/PID/stat over a quiet window, then over a window
in which a bounded loop runs /bin/true at --rate per second (fork, exec, exit: three events
each, none of them tracked). Runs as root; writes the "## track_process" section of
bench/README.md unless --no-readme. keepalived is not measured: in a network namespace its
process connector is refused (ECONNREFUSED), so it never sees an event there.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_failover import write_section  # noqa: E402
from tests.helpers.netns import Lab, unique, wait_for  # noqa: E402

HEADING = "## track_process"
CLK_TCK = os.sysconf("SC_CLK_TCK")

CONF = """global_defs {{
  vrrp_version 3
}}
vrrp_track_process svc {{
  process {name}
  weight -60
}}
vrrp_instance VI_1 {{
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 150
  advert_int 1
  track_process {{
    svc
  }}
  virtual_ipaddress {{
    192.0.2.100/24
  }}
}}
"""


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def wait_line(log: Path, text: str, start_at: int, timeout: float = 5.0) -> float:
    """Seconds (monotonic) at which `text` first shows in the log after byte offset start_at."""
    deadline = time.monotonic() + timeout
    with log.open("rb") as f:
        while time.monotonic() < deadline:
            f.seek(start_at)
            if text.encode() in f.read():
                return time.monotonic()
            time.sleep(0.0002)
    raise TimeoutError(text)


def spawn(path: str, *args: str) -> int:
    return os.posix_spawn(path, [path, *args], os.environ)


def storm(rate: int, seconds: float) -> tuple[float, int]:
    """Run /bin/true `rate` times a second for `seconds`; return the rate achieved and the count."""
    true = shutil.which("true")
    assert true is not None
    started = time.monotonic()
    done = 0
    while (elapsed := time.monotonic() - started) < seconds:
        due = int(elapsed * rate)
        while done < due:
            os.waitpid(spawn(true), 0)
            done += 1
        time.sleep(0.001)
    return done / (time.monotonic() - started), done


def measure(args: argparse.Namespace, tmp: Path) -> dict[str, object]:
    lab = Lab()
    try:
        ns = lab.netns("tp")
        sw = lab.lan([ns])
        del sw
        ns.ip("addr", "add", "192.0.2.1/24", "dev", "eth0")
        link = tmp / unique("tp")
        sleep = shutil.which("sleep")
        assert sleep is not None
        link.symlink_to(sleep)
        conf = tmp / "a.conf"
        conf.write_text(CONF.format(name=link.name))
        log = tmp / "a.log"
        vrrp_pid = tmp / "a_vrrp.pid"
        ns.popen(
            sys.executable, "-m", "alived", "-n", "-l", "-D", "-f", str(conf),
            "-p", str(tmp / "a.pid"), "-r", str(vrrp_pid),
            log=log, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
        wait_for(lambda: b"Entering MASTER STATE" in log.read_bytes(), timeout=15, what="alived master")
        assert b"Failed to open process monitoring socket" not in log.read_bytes()
        child = int(vrrp_pid.read_text())
        gained: list[float] = []
        lost: list[float] = []
        for _ in range(args.runs):
            offset = log.stat().st_size
            t0 = time.monotonic()
            pid = spawn(str(link), "1000")
            gained.append(wait_line(log, "priority from 90 to 150", offset) - t0)
            offset = log.stat().st_size
            t0 = time.monotonic()
            os.kill(pid, signal.SIGKILL)
            lost.append(wait_line(log, "priority from 150 to 90", offset) - t0)
            os.waitpid(pid, 0)
            time.sleep(0.05)
        before = cpu_seconds(child)
        t0 = time.monotonic()
        time.sleep(args.seconds)
        quiet = (cpu_seconds(child) - before) / (time.monotonic() - t0)
        before = cpu_seconds(child)
        t0 = time.monotonic()
        achieved, count = storm(args.rate, args.seconds)
        spent = cpu_seconds(child) - before
        wall = time.monotonic() - t0
        per_process = max(0.0, spent - quiet * wall) / max(1, count)
        return {
            "gained": gained,
            "lost": lost,
            "quiet": quiet,
            "busy": spent / wall,
            "rate": achieved,
            "per_process": per_process,
        }
    finally:
        lab.close()


def ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"{statistics.median(values) * 1000:.1f} | {p95 * 1000:.1f} | {max(values) * 1000:.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--rate", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-track-process-") as tmp:
        r = measure(args, Path(tmp))
    gained, lost = r["gained"], r["lost"]
    assert isinstance(gained, list) and isinstance(lost, list)
    body = f"""`bench/bench_track_process.py`: one alived node, {args.runs} starts and kills of a tracked
process; Python {platform.python_version()}, {platform.machine()}, 2 cores shared with other work
(load average {os.getloadavg()[0]:.1f} at the end of the run).
Latency is from the process's start (posix_spawn returned) or its SIGKILL to alived's
"Changing effective priority" log line (log polled every 0.2 ms: an upper bound).

| event | median ms | p95 ms | max ms |
|---|---:|---:|---:|
| tracked process starts -> priority 90 to 150 | {ms(gained)} |
| tracked process killed -> priority 150 to 90 | {ms(lost)} |

VRRP child CPU (utime+stime over wall time, {args.seconds:g} s windows):

| load | CPU % of one core |
|---|---:|
| idle (1 instance, advert_int 1) | {float(r["quiet"]) * 100:.1f} |
| /bin/true at {float(r["rate"]):.0f}/s (fork, exec, exit: untracked) | {float(r["busy"]) * 100:.1f} |

The storm asked for {args.rate}/s; this loaded 2-core machine spawned {float(r["rate"]):.0f}/s.
Per spawned process (three events) the VRRP child spent {float(r["per_process"]) * 1e6:.0f} µs of
CPU, i.e. {float(r["per_process"]) * 2000 * 100:.0f} % of one core at 2,000 processes a second.

Each exec costs one read of /proc/PID/comm (to learn the new name), unless the process's
exit came in the same batch; forks and exits of
untracked processes cost a dict lookup; after a batch the reader rests 1 ms, so a storm is read
in batches. The connector reports every process of the host (other work on this machine
included), hence the idle figure. keepalived is not measured: inside a network
namespace the kernel refuses its process connector (ECONNREFUSED), so its track_process never
sees an event there; alived subscribes from the initial namespace (see linux/proc_connector.py)
and falls back to a /proc scan every second when it cannot.
"""
    print(body)
    if not args.no_readme:
        write_section(HEADING, body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
