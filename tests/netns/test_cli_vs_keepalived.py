"""The command line, side by side with keepalived 2.2.7: output, exit codes and the files left.

Each case runs the real keepalived first, as the oracle, and pins what it does; alived must then
do the same. Only the program's name and version, pids, the run's directory and the timestamps
are masked. keepalived runs in a namespace the test made, in a private mount namespace, with its
pid files in the test's directory, so nothing it does reaches the host.

Left to other files: a missing or directory config file (test_config_test_vs_keepalived.py),
the exit codes and lines of SIGTERM/SIGINT/SIGHUP (test_signal_logs_vs_keepalived.py).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from alived.daemon.pidfile import process_alive, read_pid
from tests.helpers.netns import Lab, Namespace, wait_for

pytestmark = pytest.mark.netns

CONF = """vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress {
    192.0.2.100/24
  }
}
"""

# A log line's console stamp: keepalived's strftime("%c").
STAMP = re.compile(r"\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}: ")
# The program's name where keepalived prints its argv[0].
USAGE = re.compile(r"^Usage: \S+", re.MULTILINE)


@dataclass
class Side:
    """One implementation: how it is started and the directory its run owns."""

    name: str  # "keepalived" or "alived"
    command: tuple[str, ...]
    dir: Path

    def args(self, argv: list[str]) -> list[str]:
        """`@` in a case's argv is this side's directory."""
        return [a.replace("@", str(self.dir)) for a in argv]

    def mask(self, text: str) -> str:
        return STAMP.sub("", USAGE.sub("Usage: PROG", text.replace(str(self.dir), "D")))


@pytest.fixture
def host(lab: Lab) -> Namespace:
    ns = lab.netns("cli")
    lab.veth(ns, "eth0", ns, "eth1")
    ns.ip("addr", "add", "192.0.2.1/24", "dev", "eth0")
    return ns


@pytest.fixture
def sides(tmp_path: Path) -> Iterator[tuple[Side, Side]]:
    assert shutil.which("keepalived"), "keepalived 2.2.7 is part of the test environment"
    made = []
    for name, command in (
        ("keepalived", ("unshare", "-m", "keepalived")),
        ("alived", (sys.executable, "-m", "alived")),
    ):
        d = tmp_path / name
        d.mkdir()
        (d / "k.conf").write_text(CONF)
        (d / "empty.conf").write_text("")
        made.append(Side(name, command, d))
    yield made[0], made[1]


def pid_flags() -> list[str]:
    # -B: keepalived would look at /run/bfd.pid otherwise (alived has no BFD)
    return ["-p", "@/k.pid", "-r", "@/v.pid", "-c", "@/c.pid", "-B"]


def run(ns: Namespace, side: Side, argv: list[str]) -> subprocess.CompletedProcess[str]:
    """A run that ends by itself (the command line stops it, or it refuses to start)."""
    return ns.exec(*side.command, *side.args(argv), check=False, timeout=30)


def files(side: Side) -> set[str]:
    return {p.name for p in side.dir.iterdir()} - {"k.conf", "empty.conf"}


# --- runs that end at the command line: the whole of both streams and the exit code --------------

ENDS_AT_THE_COMMAND_LINE = {
    "unknown_short": ["-Z"],
    "unknown_long": ["--bogus"],
    "unknown_in_a_cluster": ["-nZ"],
    "several_unknown": ["-Z", "--bogus=1", "-Y"],
    "value_for_a_flag": ["--version=3"],
    "ambiguous_abbreviation": ["--dont"],
    "missing_value_short": ["-f"],
    "missing_value_after_flags": ["-n", "-p"],
    "empty_value": ["--use-file="],
    "debug_build_flag": ["--perf"],
    "mem_check_flag": ["-L"],
    "operand_with_a_bad_option": ["extra", "-Z"],
    "signum_stop": ["--signum=STOP"],
    "signum_reload": ["--signum=RELOAD"],
    "signum_data": ["--signum=DATA"],
    "signum_stats": ["--signum=STATS"],
    "signum_stats_clear": ["--signum=STATS_CLEAR"],
    "signum_json": ["--signum=JSON"],
    "signum_lower_case": ["--signum=stop"],
    "signum_number": ["--signum=15"],
    "signum_unknown": ["--signum=FOO"],
    "signum_abbreviated": ["--sig", "STOP"],
    "error_then_signum": ["-Z", "--signum=STOP", "--bogus"],
    "config_test_log_unopenable": ["-t/nonexistent-dir/t.log", "-f", "@/k.conf"],
    "config_test_with_operand": ["-t", "-f", "@/nope.conf", "extra"],
    "config_test_empty_file": ["-t", "-f", "@/empty.conf"],
    "config_test_good_file": ["-t", "-f", "@/k.conf"],
    "config_test_log_file": ["-t@/t.log", "-f", "@/nope.conf"],
}


@pytest.mark.parametrize("case", sorted(ENDS_AT_THE_COMMAND_LINE))
def test_a_run_that_ends_at_the_command_line(case: str, host: Namespace, sides: tuple[Side, Side]) -> None:
    argv = ENDS_AT_THE_COMMAND_LINE[case]
    keepalived, alived = sides
    theirs = run(host, keepalived, argv)
    # the oracle, pinned
    assert theirs.returncode in (0, 1)
    assert not STAMP.search(theirs.stderr), "keepalived ended before logging"
    ours = run(host, alived, argv)
    assert (ours.returncode, alived.mask(ours.stdout), alived.mask(ours.stderr)) == (
        theirs.returncode,
        keepalived.mask(theirs.stdout),
        keepalived.mask(theirs.stderr),
    )
    assert files(alived) == files(keepalived)
    if case == "config_test_log_file":
        assert alived.mask((alived.dir / "t.log").read_text()) == keepalived.mask(
            (keepalived.dir / "t.log").read_text()
        )


def test_missing_value_of_a_long_option_at_the_end(host: Namespace, sides: tuple[Side, Side]) -> None:
    """keepalived 2.2.7 names no option here: it reads its table at index -1, which gives an empty
    name or a few stray bytes from one run to the next; alived names the option."""
    keepalived, alived = sides
    theirs = subprocess.run(
        ["ip", "netns", "exec", host.name, *keepalived.command, "-n", "--pid"],
        capture_output=True,
        timeout=30,
        check=False,
    )
    # That read is undefined behaviour: now and then keepalived dies of SIGSEGV there instead
    # (seen once in CI); when it lives, it says this.
    if theirs.returncode != -signal.SIGSEGV:
        assert (theirs.returncode, theirs.stdout) == (1, b"")
        assert theirs.stderr.startswith(b"Missing parameter for option --") and theirs.stderr.endswith(b"\n")
    ours = run(host, alived, ["-n", "--pid"])
    assert (ours.returncode, ours.stdout, ours.stderr) == (1, "", "Missing parameter for option --pid\n")


@pytest.mark.parametrize("argv", [["-h"], ["--help"], ["--he"]])
def test_help(argv: list[str], host: Namespace, sides: tuple[Side, Side]) -> None:
    """Same stream, exit code and lines; alived adds its own flags and the log-file ones
    (keepalived's --enable-log-file build has those; Debian's does not)."""
    keepalived, alived = sides
    theirs, ours = run(host, keepalived, argv), run(host, alived, argv)
    assert (theirs.returncode, theirs.stdout) == (0, "")
    their_lines = keepalived.mask(theirs.stderr).splitlines()
    assert their_lines[0] == "Usage: PROG [OPTION...]" and len(their_lines) == 39
    assert (ours.returncode, ours.stdout) == (0, "")
    our_lines = alived.mask(ours.stderr).splitlines()
    extra = [line for line in our_lines if line not in their_lines]
    assert [line for line in our_lines if line in their_lines] == their_lines
    assert [line.split()[0] for line in extra] == [
        "-g,", "--flush-log-file", "--ignore-sigint", "--lvs-backend=BACKEND", "--metrics=ADDRESS:PORT",
    ]  # fmt: skip


@pytest.mark.parametrize("argv", [["-v"], ["--version"], ["--vers"], ["-Z", "-v"]])
def test_version(argv: list[str], host: Namespace, sides: tuple[Side, Side]) -> None:
    """On stderr, exit 0, keepalived's layout; the first line parses as keepalived 2.2.7's."""
    keepalived, alived = sides
    theirs, ours = run(host, keepalived, argv), run(host, alived, argv)
    assert (theirs.returncode, theirs.stdout) == (0, "")
    assert (ours.returncode, ours.stdout) == (0, "")
    prelude = "Unknown option -Z\n" if "-Z" in argv else ""
    assert theirs.stderr.startswith(prelude + "Keepalived v2.2.7 (01/16,2022)\n\nCopyright(C) ")
    assert ours.stderr.startswith(prelude + "Keepalived v2.2.7 (01/16,2022) compatible: alived v")
    their_lines = theirs.stderr.removeprefix(prelude).splitlines()
    our_lines = ours.stderr.removeprefix(prelude).splitlines()
    # what scripts do with it: `awk '{print $2}'`, `sed 's/^Keepalived v\([0-9.]*\).*/\1/'`
    assert our_lines[0].split()[1] == their_lines[0].split()[1] == "v2.2.7"
    version = re.compile(r"^Keepalived v([0-9.]+)")
    assert version.match(our_lines[0]).group(1) == version.match(their_lines[0]).group(1)  # type: ignore[union-attr]
    for lines in (their_lines, our_lines):
        assert lines[1] == lines[3] == "" and lines[2].startswith("Copyright(C) ")
        assert lines[5].startswith("Running on Linux ") and lines[6].startswith("Distro: ")
    assert our_lines[5] == their_lines[5]


def test_genhash_mode_late_on_the_line(host: Namespace, sides: tuple[Side, Side]) -> None:
    """-T after another option: a warning, then genhash's usage (no command), exit 1."""
    keepalived, alived = sides
    theirs, ours = run(host, keepalived, ["-n", "-T"]), run(host, alived, ["-n", "-T"])
    assert theirs.returncode == 1 and theirs.stdout == ""
    their_err = keepalived.mask(theirs.stderr)
    assert their_err.startswith(
        "Warning -- `-T` not used as first option, previous options ignored\n"
        "Usage: PROG --genhash COMMAND [OPTIONS]\n"
    )
    assert (ours.returncode, ours.stdout, alived.mask(ours.stderr)) == (1, "", their_err)


# --- runs that start the daemon -----------------------------------------------------------------


@dataclass
class Daemon:
    """A foreground run (-n -l) stopped by SIGTERM once it is up: its output and exit code."""

    returncode: int
    stdout: str
    stderr: str  # masked


def start_and_stop(
    ns: Namespace, side: Side, argv: list[str], *, up: str = "v.pid", line: str = "", lab: Lab | None = None
) -> Daemon:
    """Start, wait for the pid file `up` in the run's directory to name a live process, SIGTERM
    the pid in k.pid (the parent's), collect. `line`: wait for this log line instead (a parent
    that starts no child: its pid file comes before its signal handlers)."""
    assert lab is not None
    out, err = side.dir / "stdout", side.dir / "stderr"
    with open(out, "wb") as o, open(err, "wb") as e:
        proc = subprocess.Popen(
            ["ip", "netns", "exec", ns.name, *side.command, *side.args(argv)],
            stdout=o,
            stderr=e,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    lab.processes.append(proc)
    try:
        if line:
            wait_for(lambda: line in err.read_text() or proc.poll() is not None, timeout=30, what=line)
        else:
            wait_for(
                lambda: _names_a_live_process(side.dir / up) or proc.poll() is not None, timeout=30, what=up
            )
        if proc.poll() is None:
            # the daemon is up: the parent is the process that wrote k.pid
            pid = read_pid(str(side.dir / "k.pid"))
            assert pid is not None
            os.kill(pid, signal.SIGTERM)
        proc.wait(timeout=30)
    finally:
        lab.kill(proc)
    stdout, stderr = side.mask(out.read_text()), side.mask(err.read_text())
    out.unlink()
    err.unlink()
    return Daemon(proc.returncode, stdout, stderr)


def _names_a_live_process(path: Path) -> bool:
    pid = read_pid(str(path))
    return pid is not None and process_alive(pid)


def _before_the_log(text: str) -> str:
    """What a run wrote before its first log line (its command-line complaints), less alived's
    own notices of a flag whose feature it does not have (`alived: -X/...: not supported yet`)."""
    before = text.split("Starting ", 1)[0]
    return "".join(line for line in before.splitlines(keepends=True) if not line.startswith("alived: "))


def _log(text: str, wanted: tuple[str, ...]) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(wanted)]


RUNS_REGARDLESS = {
    # keepalived goes on after these, with its complaint (if any) before its first log line
    "option_twice": ["-f", "@/nope.conf", "-f", "@/k.conf"],
    "operands": ["-f", "@/k.conf", "extra", "more"],
    "bad_facility": ["-S", "bogus", "-f", "@/k.conf"],
    "bad_facility_after_l": ["-l", "-S", "bogus", "-f", "@/k.conf"],  # keepalived says nothing
    "bad_umask": ["-u", "999", "-f", "@/k.conf"],
    "facility_local3": ["-S", "local3", "-f", "@/k.conf"],
    "no_syslog": ["-G", "-f", "@/k.conf"],
    "log_detail": ["-D", "-f", "@/k.conf"],
    "config_id": ["-i", "foo", "-f", "@/k.conf"],
    "release_vips": ["-X", "-f", "@/k.conf"],
    "dont_respawn": ["--dont-respawn", "-f", "@/k.conf"],
    "vrrp_only": ["-P", "-f", "@/k.conf"],
    "all_config": ["-e", "-f", "@/k.conf"],
    "address_monitoring": ["-a", "-f", "@/k.conf"],
    "abbreviated_flags": ["--use=@/k.conf", "--log-det"],
}


@pytest.mark.parametrize("case", sorted(RUNS_REGARDLESS))
def test_a_run_that_goes_on(case: str, lab: Lab, host: Namespace, sides: tuple[Side, Side]) -> None:
    argv = [*RUNS_REGARDLESS[case], "-n", "-l", *pid_flags()]
    keepalived, alived = sides
    theirs = start_and_stop(host, keepalived, argv, lab=lab)
    assert theirs.returncode == 0, theirs.stderr
    if case == "bad_facility":
        assert theirs.stderr.startswith("Invalid log facility 'bogus'\nStarting Keepalived v2.2.7")
    if case == "bad_umask":
        assert theirs.stderr.startswith("Invalid --umask option 999Starting Keepalived v2.2.7")
    assert "Configuration file D/k.conf" in theirs.stderr and "Starting VRRP child process" in theirs.stderr
    ours = start_and_stop(host, alived, argv, lab=lab)
    assert ours.returncode == 0, ours.stderr
    assert "Configuration file D/k.conf" in ours.stderr and "Starting VRRP child process" in ours.stderr
    assert ours.stdout == theirs.stdout == ""  # keepalived's operands line never reaches a pipe
    assert _before_the_log(ours.stderr) == _before_the_log(theirs.stderr)
    assert files(alived) == files(keepalived) == set()
    if case == "release_vips":
        assert "alived: -X/--release-vips: " in ours.stderr


NOTHING = "Warning - keepalived has no configuration to run"


def test_nothing_configured_runs_no_child(lab: Lab, host: Namespace, sides: tuple[Side, Side]) -> None:
    """An empty file: the parent runs alone, says so, and stops cleanly."""
    keepalived, alived = sides
    argv = ["-n", "-l", "-f", "@/empty.conf", *pid_flags()]
    wanted = ("Warning - keepalived has no configuration to run", "Starting VRRP", "Stopped ")
    theirs = start_and_stop(host, keepalived, argv, line=NOTHING, lab=lab)
    their_lines = _log(theirs.stderr, wanted)
    assert theirs.returncode == 0
    assert their_lines == [
        "Warning - keepalived has no configuration to run",
        "Stopped Keepalived v2.2.7 (01/16,2022)",
    ]
    ours = start_and_stop(host, alived, argv, line=NOTHING, lab=lab)
    assert ours.returncode == 0
    assert _log(ours.stderr, wanted)[0] == their_lines[0]
    assert not any(line.startswith("Starting VRRP") for line in _log(ours.stderr, wanted))
    assert files(alived) - {"k.sock"} == files(keepalived) == set()


def test_check_only_with_vrrp_config_runs_no_child(
    lab: Lab, host: Namespace, sides: tuple[Side, Side]
) -> None:
    keepalived, alived = sides
    argv = ["-n", "-l", "-C", "-f", "@/k.conf", *pid_flags()]
    theirs = start_and_stop(host, keepalived, argv, line=NOTHING, lab=lab)
    ours = start_and_stop(host, alived, argv, line=NOTHING, lab=lab)
    warning = "Warning - keepalived has no configuration to run"
    assert theirs.returncode == ours.returncode == 0
    assert warning in theirs.stderr and warning in ours.stderr
    assert "Starting VRRP" not in theirs.stderr and "Starting VRRP" not in ours.stderr


# --- pid files ----------------------------------------------------------------------------------


def test_already_running(lab: Lab, host: Namespace, sides: tuple[Side, Side]) -> None:
    """A second daemon on the same pid files (even -P) says so and exits 0, touching nothing."""
    argv = ["-n", "-l", "-f", "@/k.conf", *pid_flags()]
    for side in sides:
        first = host.popen(*side.command, *side.args(argv), log=side.dir / "first.log")
        wait_for((side.dir / "v.pid").exists, timeout=30, what=f"{side.name}'s VRRP pid file")
        pids = {name: (side.dir / name).read_text() for name in ("k.pid", "v.pid")}
        for extra in ([], ["-P"]):
            second = run(host, side, [*argv, *extra])
            assert second.returncode == 0 and second.stdout == ""
            assert _log(side.mask(second.stderr), ("daemon is already running", "Stopped")) == [
                "daemon is already running"
            ]
            assert {name: (side.dir / name).read_text() for name in pids} == pids
        assert lab.kill(first, wait=30) == 0
        assert files(side) - {"k.sock", "v.sock"} == {"first.log"}, side.name


@pytest.mark.parametrize("what", ["stale", "garbage"])
def test_a_pid_file_left_behind(what: str, lab: Lab, host: Namespace, sides: tuple[Side, Side]) -> None:
    """A dead pid: "Remove a zombie pid file" per file, then the daemon runs. No pid in it:
    "Error reading pid file", the file is removed, and this start refuses as if running."""
    argv = ["-n", "-l", "-f", "@/k.conf", *pid_flags()]
    wanted = ("Remove a zombie", "Error reading", "daemon is already running", "Starting VRRP child")
    results = []
    for side in sides:
        if what == "stale":
            (side.dir / "k.pid").write_text("999999999\n")  # above pid_max: never a live process
            (side.dir / "v.pid").write_text("999999998\n")
            got = start_and_stop(host, side, argv, lab=lab)
        else:
            (side.dir / "k.pid").write_text("")
            done = run(host, side, argv)
            got = Daemon(done.returncode, done.stdout, side.mask(done.stderr))
        results.append(
            (got.returncode, got.stdout, [re.sub(r"pid=\d+", "", x) for x in _log(got.stderr, wanted)])
        )
        assert files(side) - {"k.sock", "v.sock"} == set(), side.name
    theirs, ours = results
    if what == "stale":
        assert theirs == (
            0,
            "",
            [
                "Remove a zombie pid file D/k.pid",
                "Remove a zombie pid file D/v.pid",
                "Starting VRRP child process, ",
            ],
        )
    else:
        assert theirs == (0, "", ["Error reading pid file D/k.pid", "daemon is already running"])
    assert ours == theirs


@pytest.mark.parametrize("which", ["parent", "vrrp"])
def test_a_pid_file_in_a_missing_directory(
    which: str, lab: Lab, host: Namespace, sides: tuple[Side, Side]
) -> None:
    """No directory is made. The parent: "pidfile_write : Cannot open", stopped, exit 0. The
    VRRP child: the same line and "cannot write pidfile", exits, and is respawned."""
    results = []
    for side in sides:
        flags = (
            ["-p", "@/nodir/k.pid", "-r", "@/v.pid"]
            if which == "parent"
            else ["-p", "@/k.pid", "-r", "@/nodir/v.pid"]
        )
        argv = ["-n", "-l", "-f", "@/k.conf", *flags, "-c", "@/c.pid", "-B"]
        if which == "parent":
            done = run(host, side, argv)
            text, code = side.mask(done.stderr), done.returncode
        else:
            log = side.dir / "out.log"
            proc = host.popen(*side.command, *side.args(argv), log=log)
            wait_for(
                lambda log=log: log.read_text().count("VRRP child process: cannot write pidfile") >= 2,
                timeout=30,
                what="a respawned child failing again",
            )
            code = lab.kill(proc, wait=30)
            text = side.mask(log.read_text())
            log.unlink()
        wanted = ("pidfile_write", "VRRP child process: cannot", "Stopped ", "Starting VRRP")
        lines = [re.sub(r"pid=\d+", "", x) for x in _log(text, wanted)]
        results.append((code, lines))
        assert not (side.dir / "nodir").exists()
        assert files(side) - {"k.sock", "v.sock"} == set()
    theirs, ours = results
    if which == "parent":
        assert theirs == (
            0,
            ["pidfile_write : Cannot open D/nodir/k.pid pidfile", "Stopped Keepalived v2.2.7 (01/16,2022)"],
        )
        assert ours[0] == 0 and ours[1][0] == theirs[1][0] and ours[1][1].startswith("Stopped ")
    else:
        assert theirs[0] == 0
        assert theirs[1][:3] == [
            "Starting VRRP child process, ",
            "pidfile_write : Cannot open D/nodir/v.pid pidfile",
            "VRRP child process: cannot write pidfile",
        ]
        assert ours[0] == 0 and ours[1][:3] == theirs[1][:3]


def test_daemonising(lab: Lab, host: Namespace, sides: tuple[Side, Side]) -> None:
    """Without -n: the command returns 0 at once, silent; the daemon writes its pid files and,
    on SIGTERM to the pid in k.pid, stops and removes them."""
    argv = ["-l", "-f", "@/k.conf", *pid_flags()]
    for side in sides:
        done = run(host, side, argv)
        assert (done.returncode, done.stdout, done.stderr) == (0, "", ""), side.name
        wait_for((side.dir / "v.pid").exists, timeout=30, what=f"{side.name}'s VRRP pid file")
        pid = read_pid(str(side.dir / "k.pid"))
        assert pid is not None
        os.kill(pid, signal.SIGTERM)
        wait_for(
            lambda side=side: not files(side), timeout=30, what=f"{side.name} to stop, removing its files"
        )


def test_config_test_of_an_unreadable_file(host: Namespace) -> None:
    """Run as nobody (root reads any file): both say they cannot read it and exit 4."""
    with tempfile.TemporaryDirectory() as name:
        d = Path(name)
        d.chmod(0o755)  # nobody may look in, not read the file
        conf = d / "k.conf"
        conf.write_text(CONF)
        conf.chmod(0)
        nobody = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")
        results = []
        for command in (("keepalived",), (sys.executable, "-m", "alived")):
            done = host.exec(*nobody, *command, "-t", "-f", str(conf), check=False)
            results.append((done.returncode, done.stdout, done.stderr.replace(str(d), "D")))
    theirs, ours = results
    assert theirs == (4, "", "Unable to read configuration file D/k.conf\n")
    assert ours == theirs
