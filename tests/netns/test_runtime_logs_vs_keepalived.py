"""Run-time events logged, notified and written to the FIFO as keepalived 2.2.7 does, side by side.

keepalived (the oracle) and alived run the same config at the same time, each in namespaces of its
own; where a peer is needed it is a keepalived 2.2.7 on the same bridge. From the event to the
settled state, the lines each test names are first found in keepalived's record, then alived's
record must equal keepalived's: the log lines in order, each notify script's calls (per instance
or group, in order) and the notify_fifo lines in order.
"""

from __future__ import annotations

import json
import os
import re
import signal
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.helpers.netns import Lab, Namespace, wait_for
from tests.helpers.peers import KeepalivedPeer, start_alived, start_keepalived

pytestmark = pytest.mark.netns

# The lines a run-time event brings: the instances' own, the trackers', the groups', the links'.
KEPT = re.compile(
    r": ((?:\(VI_\d\)|\(G1\))(?! Sending/queueing).*|VRRP_Script.*|Script `.*|VRRP_Group.*"
    r"|Netlink reports .*|Stopping|Stopped.*|CPU usage.*|Printing .*|Wrote .*)$"
)
# Figures that must differ between two runs, and the banner (alived names itself).
MASKED = [
    (re.compile(r"used .* system time"), "used N system time"),
    (re.compile(r"user: .*"), "user: N"),
    (re.compile(r"process\(\d+\)"), "process(N)"),
    (re.compile(r"^Stopped (Keepalived|alived) v.*"), "Stopped BANNER"),
]

# The first argument names the configured keyword. The generic script gets the daemon's four
# arguments after it; a specific one is configured with its instance's or group's name. Scripts
# of one transition start together, so the generic and the specific ones keep records of their own.
NOTE = """#!/bin/sh
kind=$1
shift
if [ "$kind" = notify ]; then echo "$*" >> {out}.notify; else echo "$kind $*" >> {out}.specific; fi
"""

VIP = "192.0.2.100/24"


def notify_lines(note: Path, name: str) -> str:
    specific = (
        f'  {key} "{note} {key} {name}"' for key in ("notify_master", "notify_backup", "notify_fault")
    )
    return "\n".join([f'  notify "{note} notify"', *specific, f'  notify_stop "{note} notify_stop {name}"'])


def global_defs(workdir: Path) -> str:
    return f"""global_defs {{
  router_id r1
  enable_script_security
  script_user root
  notify_fifo {workdir / "events.fifo"}
}}
"""


def instance(
    note: Path,
    *,
    name: str = "VI_1",
    vrid: int = 51,
    priority: int = 150,
    state: str = "MASTER",
    interface: str = "eth0",
    vip: str = VIP,
    extra: str = "",
) -> str:
    return f"""vrrp_instance {name} {{
  state {state}
  interface {interface}
  virtual_router_id {vrid}
  priority {priority}
  advert_int 1
{extra}
{notify_lines(note, name)}
  virtual_ipaddress {{
    {vip}
  }}
}}
"""


def kept(text: str) -> list[str]:
    """The compared lines of a log, in order, with run-specific figures masked.

    How many lower-priority adverts a preempting backup hears before its down timer fires depends
    on the phase of the master's adverts (3 or 4 in 3.4 s): a run of them counts as one line.
    """
    out: list[str] = []
    for line in text.splitlines():
        if not (m := KEPT.search(line)):
            continue
        kept_line = m.group(1)
        for pattern, mask in MASKED:
            kept_line = pattern.sub(mask, kept_line)
        if not (out and out[-1] == kept_line and "lower priority" in kept_line):
            out.append(kept_line)
    return out


def by_name(lines: list[str], column: int) -> dict[str, list[str]]:
    """Script calls grouped by the instance or group they are about (in `column`), in order."""
    out: dict[str, list[str]] = {}
    for line in lines:
        words = line.split()
        out.setdefault(words[column], []).append(line)
    return out


@dataclass
class Record:
    """What one daemon did from the event on: log lines, script calls, FIFO lines, its peer's lines."""

    lines: list[str]
    calls: dict[str, list[str]]
    specific: dict[str, list[str]]
    fifo: list[str]
    peer: list[str] = field(default_factory=list)


@dataclass
class Side:
    """One daemon under test (keepalived or alived) in `ns`, with an optional keepalived peer."""

    lab: Lab
    ns: Namespace
    workdir: Path
    keepalived: bool
    peer_ns: Namespace | None = None
    daemon: KeepalivedPeer | None = None
    peer: KeepalivedPeer | None = None
    reader: int | None = None
    fifo_text: str = ""
    mark: int = 0
    peer_mark: int = 0

    @property
    def note(self) -> Path:
        return self.workdir / "note.sh"

    def start(self, conf: str) -> None:
        start = start_keepalived if self.keepalived else start_alived
        self.daemon = start(self.ns, conf, self.workdir, env={**os.environ, "TMPDIR": str(self.workdir)})

    def start_peer(self, priority: int, extra: str = "") -> None:
        assert self.peer_ns is not None
        conf = f"""vrrp_instance VI_1 {{
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority {priority}
  advert_int 1
{extra}
  virtual_ipaddress {{
    {VIP}
  }}
}}
"""
        self.peer = start_keepalived(self.peer_ns, conf, self.workdir / "peer", "peer")

    def log(self) -> str:
        assert self.daemon is not None
        return self.daemon.log_text()

    def peer_log(self) -> str:
        return self.peer.log_text() if self.peer is not None else ""

    # Generous bounds: a loaded CI host may take seconds to start a daemon; a test waits no longer
    # than it needs.
    def wait_log(self, words: str, count: int = 1, timeout: float = 40) -> None:
        wait_for(lambda: self.log()[self.mark :].count(words) >= count, timeout=timeout, what=words)

    def wait_peer_log(self, words: str, timeout: float = 40) -> None:
        wait_for(lambda: words in self.peer_log()[self.peer_mark :], timeout=timeout, what=f"peer: {words}")

    def wait_peer_master(self) -> None:
        """The peer is master with its VIPs set: both of its lines are in, not only the first."""
        self.wait_peer_log("Entering MASTER STATE")
        self.wait_peer_log("setting VIPs.")

    def calls(self) -> list[str]:
        """The generic notify script's arguments, one call a line."""
        out = self.workdir / "calls.notify"
        return out.read_text().splitlines() if out.exists() else []

    def specific(self) -> list[str]:
        """notify_master/backup/fault/stop calls, one a line: the keyword and the name."""
        out = self.workdir / "calls.specific"
        return out.read_text().splitlines() if out.exists() else []

    def fifo(self) -> list[str]:
        path = self.workdir / "events.fifo"
        if self.reader is None and path.exists():
            self.reader = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        if self.reader is not None:
            with suppress(BlockingIOError):
                self.fifo_text += os.read(self.reader, 65536).decode()
        return self.fifo_text.splitlines()

    def settle(self, events: int) -> None:
        """Wait until `events` state changes in all have reached the scripts and the FIFO."""
        for what, got in (("notify", self.calls), ("notify_*", self.specific), ("FIFO", self.fifo)):
            wait_for(lambda got=got: len(got()) >= events, timeout=40, what=f"{events} {what} records")

    def event(self) -> None:
        """From here on, log lines count."""
        self.mark = len(self.log()) if self.daemon is not None else 0
        self.peer_mark = len(self.peer_log())

    def record(self) -> Record:
        return Record(
            kept(self.log()[self.mark :]),
            by_name(self.calls(), 1),
            by_name(self.specific(), 1),
            self.fifo(),
            kept(self.peer_log()[self.peer_mark :]),
        )

    def close(self) -> None:
        if self.reader is not None:
            os.close(self.reader)
            self.reader = None


def make_side(lab: Lab, tmp_path: Path, keepalived: bool, links: int = 1, peer: bool = False) -> Side:
    """The subject's namespace: eth0 (192.0.2.1) and, for links=2, eth2 (198.51.100.1).

    Alone, each ethN is a veth looped to eth(N+1) in the same namespace, so setting that end
    down takes the carrier away. With a peer, eth0 is on a bridge with the peer's eth0 (192.0.2.2).
    """
    role = "k" if keepalived else "a"
    workdir = tmp_path / role
    workdir.mkdir(parents=True, exist_ok=True)
    ns = lab.netns(role)
    side = Side(lab, ns, workdir, keepalived)
    if peer:
        side.peer_ns = lab.netns(role + "p")
        sw = lab.netns(role + "sw")
        sw.ip("link", "add", "br0", "type", "bridge", "stp_state", "0", "forward_delay", "0")
        sw.ip("link", "set", "br0", "type", "bridge", "mcast_snooping", "0")
        sw.ip("link", "set", "br0", "up")
        for i, host in enumerate((ns, side.peer_ns)):
            lab.veth(sw, f"p{i}", host, "eth0")
            sw.ip("link", "set", f"p{i}", "master", "br0")
        side.peer_ns.ip("addr", "add", "192.0.2.2/24", "dev", "eth0")
    else:
        lab.veth(ns, "eth0", ns, "eth1")
    ns.ip("addr", "add", "192.0.2.1/24", "dev", "eth0")
    if links == 2:
        lab.veth(ns, "eth2", ns, "eth3")
        ns.ip("addr", "add", "198.51.100.1/24", "dev", "eth2")
    side.note.write_text(NOTE.format(out=workdir / "calls"))
    side.note.chmod(0o755)
    return side


def side_by_side(
    lab: Lab, tmp_path: Path, scenario: Callable[[Side], None], **kw: object
) -> tuple[Record, Record]:
    """Run `scenario` against keepalived and alived at once; (keepalived's record, alived's)."""

    def one(keepalived: bool) -> Record:
        side = make_side(lab, tmp_path, keepalived, **kw)  # type: ignore[arg-type]
        try:
            scenario(side)
            return side.record()
        finally:
            side.close()

    with ThreadPoolExecutor(2) as pool:
        theirs, ours = pool.map(one, (True, False))
    return theirs, ours


def assert_same(theirs: Record, ours: Record, expected: list[str], peer: list[str] = ()) -> None:  # type: ignore[assignment]
    """keepalived's record holds `expected` (and its peer `peer`) in order; alived's equals it."""
    for want, got in ((expected, theirs.lines), (list(peer), theirs.peer)):
        it = iter(got)
        missing = [line for line in want if line not in it]
        assert not missing, f"keepalived no longer logs {missing} in {got}"
    assert ours == theirs, f"\nkeepalived: {theirs}\nalived:     {ours}"


def adverts_heard(side: Side) -> int:
    """The instance's received-advert count, from a JSON dump (SIGRTMIN+2) of the daemon."""
    assert side.daemon is not None
    dump = side.workdir / "keepalived.json"
    dump.unlink(missing_ok=True)
    side.daemon.proc.send_signal(signal.SIGRTMIN + 2)
    # Read once its writer has closed it (keepalived writes it in place).
    wait_for(lambda: dump.exists() and not side.ns.holds_open(dump), timeout=40, what="the JSON dump")
    return int(json.loads(dump.read_text())[0]["stats"]["advert_rcvd"])


def stop(side: Side) -> int:
    """SIGTERM to the parent alone, as systemd's KillMode=process does; its exit code."""
    assert side.daemon is not None
    side.daemon.proc.send_signal(signal.SIGTERM)
    return side.daemon.proc.wait(timeout=30)


# ---------------------------------------------------------------------------------------------
# 1. vrrp_script failing, then recovering.


# The check fails while the flag file exists: by its exit status, by a signal, or by a timeout.
FAILING = {
    "status": "[ ! -e {flag} ]",
    "signal": "[ -e {flag} ] && kill -KILL $$\nexit 0",
    "timeout": "[ -e {flag} ] && sleep 4\nexit 0",
}


def script_scenario(
    weight: int, peer: bool = False, how: str = "status", extra: str = ""
) -> Callable[[Side], None]:
    """The subject (150) master, a keepalived peer (100) backup if `peer`; the script fails, recovers."""

    def scenario(side: Side) -> None:
        flag = side.workdir / "failing"
        chk = side.workdir / "chk.sh"
        chk.write_text("#!/bin/sh\n" + FAILING[how].format(flag=flag) + "\n")
        chk.chmod(0o755)
        script = (
            # A timeout shorter than the interval. Whether a run still finds the last one being
            # timed out ("Track script chk is ... skipping run") depends on the load: not compared.
            f'vrrp_script chk {{\n  script "{chk}"\n  interval {2 if how == "timeout" else 1}\n  timeout 1\n'
            f"  weight {weight}\n  rise 2\n  fall 2\n}}\n"
        )
        track = "  track_script {\n    chk\n  }"
        side.start(global_defs(side.workdir) + script + instance(side.note, extra=track + extra))
        side.wait_log("Entering MASTER STATE")
        side.wait_log("VRRP_Script(chk) succeeded")
        if peer:
            side.start_peer(100)
            side.wait_peer_log("Entering BACKUP STATE (init)")
        side.settle(2)
        side.event()
        flag.touch()
        moves = weight == 0 or peer
        if not moves:
            side.wait_log("Changing effective priority")
        if moves:
            side.wait_log("removing VIPs.")
            side.settle(3)
        if peer:
            side.wait_peer_master()
        flag.unlink()
        side.wait_log("VRRP_Script(chk) succeeded")
        if not moves:
            side.wait_log("Changing effective priority", count=2)
            if "notify_priority_changes" in extra:
                wait_for(lambda: len(side.fifo()) >= 4, timeout=40, what="the priority lines")
        else:
            side.wait_log("setting VIPs.")
            side.settle(5 if weight == 0 else 4)
        if peer:
            side.wait_peer_log("Entering BACKUP STATE")
            side.wait_peer_log("removing VIPs.")

    return scenario


@pytest.mark.parametrize(
    "extra", ["", "\n  notify_priority_changes"], ids=["quiet", "notify_priority_changes"]
)
def test_a_weighted_script_failing_and_recovering_changes_the_priority_as_keepalived(
    lab: Lab, tmp_path: Path, extra: str
) -> None:
    theirs, ours = side_by_side(lab, tmp_path, script_scenario(-20, extra=extra))
    assert_same(
        theirs,
        ours,
        [
            "Script `chk` now returning 1",
            "VRRP_Script(chk) failed (exited with status 1)",
            "(VI_1) Changing effective priority from 150 to 130",
            "Script `chk` now returning 0",
            "VRRP_Script(chk) succeeded",
            "(VI_1) Changing effective priority from 130 to 150",
        ],
    )


@pytest.mark.parametrize("how", ["signal", "timeout"])
def test_a_script_killed_or_timing_out_is_logged_as_keepalived(lab: Lab, tmp_path: Path, how: str) -> None:
    theirs, ours = side_by_side(lab, tmp_path, script_scenario(-20, how=how))
    assert_same(
        theirs, ours, ["(VI_1) Changing effective priority from 150 to 130", "VRRP_Script(chk) succeeded"]
    )


def test_a_weighted_script_failing_below_the_peer_hands_over_as_keepalived(lab: Lab, tmp_path: Path) -> None:
    theirs, ours = side_by_side(lab, tmp_path, script_scenario(-60, peer=True), peer=True)
    assert_same(
        theirs,
        ours,
        [
            "VRRP_Script(chk) failed (exited with status 1)",
            "(VI_1) Changing effective priority from 150 to 90",
            "(VI_1) Master received advert from 192.0.2.2 with higher priority 100, ours 90",
            "(VI_1) Entering BACKUP STATE",
            "VRRP_Script(chk) succeeded",
            "(VI_1) Changing effective priority from 90 to 150",
            "(VI_1) received lower priority (100) advert from 192.0.2.2 - discarding",
            "(VI_1) Entering MASTER STATE",
        ],
        peer=[
            "(VI_1) received lower priority (90) advert from 192.0.2.1 - discarding",
            "(VI_1) Entering MASTER STATE",
            "(VI_1) Master received advert from 192.0.2.1 with higher priority 150, ours 100",
        ],
    )


def test_a_weight_0_script_failing_and_recovering_faults_as_keepalived(lab: Lab, tmp_path: Path) -> None:
    theirs, ours = side_by_side(lab, tmp_path, script_scenario(0, peer=True), peer=True)
    assert_same(
        theirs,
        ours,
        [
            "VRRP_Script(chk) failed (exited with status 1)",
            "(VI_1) Entering FAULT STATE",
            "(VI_1) sent 0 priority",
            "(VI_1) removing VIPs.",
            "VRRP_Script(chk) succeeded",
            "(VI_1) Entering BACKUP STATE",
            "(VI_1) Entering MASTER STATE",
        ],
        # Two priority 0 adverts (the one leaving MASTER, the one releasing the addresses).
        peer=["(VI_1) Backup received priority 0 advertisement"] * 2 + ["(VI_1) Entering MASTER STATE"],
    )
    assert theirs.fifo[2:5] == [
        'INSTANCE "VI_1" FAULT 150',
        'INSTANCE "VI_1" BACKUP 150',
        'INSTANCE "VI_1" MASTER 150',
    ]
    assert theirs.specific["VI_1"][2] == "notify_fault VI_1"


# ---------------------------------------------------------------------------------------------
# 4. Graceful stop of a master: its STOP lines and scripts, the backup's view.


def stop_scenario(side: Side) -> None:
    side.start(global_defs(side.workdir) + instance(side.note))
    side.wait_log("Entering MASTER STATE")
    side.start_peer(100)
    side.wait_peer_log("Entering BACKUP STATE (init)")
    side.settle(2)
    side.event()
    assert adverts_heard(side) == 0  # the dump says nothing more than keepalived's
    assert stop(side) == 0
    side.wait_peer_master()
    side.settle(3)


def test_a_stopped_master_logs_notifies_and_hands_over_as_keepalived(lab: Lab, tmp_path: Path) -> None:
    theirs, ours = side_by_side(lab, tmp_path, stop_scenario, peer=True)
    assert_same(
        theirs,
        ours,
        [
            "Printing VRRP as json for process(N) on signal",
            "Stopping",
            "(VI_1) sent 0 priority",
            "(VI_1) removing VIPs.",
            "Stopped - used N system time",
            "CPU usage (self/children) user: N",
            "Stopped BANNER",
        ],
        peer=["(VI_1) Backup received priority 0 advertisement", "(VI_1) Entering MASTER STATE"],
    )


def backup_scenario(side: Side) -> None:
    """The subject (100) is the backup of a keepalived master (150), which is stopped."""
    side.start_peer(150)
    side.wait_peer_master()
    side.start(global_defs(side.workdir) + instance(side.note, priority=100, state="BACKUP"))
    side.wait_log("Entering BACKUP STATE (init)")
    side.settle(1)
    side.event()
    assert side.peer is not None
    side.peer.proc.send_signal(signal.SIGTERM)
    assert side.peer.proc.wait(timeout=30) == 0
    side.wait_log("setting VIPs.")
    side.settle(2)


def test_a_backup_hearing_priority_0_takes_over_as_keepalived(lab: Lab, tmp_path: Path) -> None:
    theirs, ours = side_by_side(lab, tmp_path, backup_scenario, peer=True)
    assert_same(
        theirs,
        ours,
        [
            "(VI_1) Backup received priority 0 advertisement",
            "(VI_1) Receive advertisement timeout",
            "(VI_1) Entering MASTER STATE",
            "(VI_1) setting VIPs.",
        ],
    )


# ---------------------------------------------------------------------------------------------
# 2. Preemption: a higher priority peer arrives; a higher priority subject arrives (nopreempt,
# preempt_delay).


def preempted_scenario(side: Side) -> None:
    side.start(global_defs(side.workdir) + instance(side.note, priority=100))
    side.wait_log("Entering MASTER STATE")
    side.settle(2)
    side.event()
    side.start_peer(150)
    side.wait_peer_master()
    side.wait_log("removing VIPs.")
    side.settle(3)


def test_a_master_preempted_by_a_higher_priority_peer_logs_as_keepalived(lab: Lab, tmp_path: Path) -> None:
    theirs, ours = side_by_side(lab, tmp_path, preempted_scenario, peer=True)
    assert_same(
        theirs,
        ours,
        [
            "(VI_1) Master received advert from 192.0.2.2 with higher priority 150, ours 100",
            "(VI_1) Entering BACKUP STATE",
            "(VI_1) removing VIPs.",
        ],
    )
    assert theirs.fifo[-1] == 'INSTANCE "VI_1" BACKUP 100'


def preempting_scenario(extra: str) -> Callable[[Side], None]:
    def scenario(side: Side) -> None:
        side.start_peer(100)
        side.wait_peer_master()
        side.event()
        side.start(global_defs(side.workdir) + instance(side.note, state="BACKUP", extra=extra))
        side.wait_log("Entering BACKUP STATE (init)")
        if "nopreempt" in extra:
            # Settled once the subject has heard more adverts than its master-down interval holds.
            wait_for(lambda: adverts_heard(side) >= 5, timeout=40, interval=0.5, what="5 adverts heard")
            side.settle(1)
        else:
            side.wait_log("setting VIPs.")
            side.wait_peer_log("removing VIPs.")
            side.settle(2)

    return scenario


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            "",
            [
                "(VI_1) Entering BACKUP STATE (init)",
                "(VI_1) received lower priority (100) advert from 192.0.2.2 - discarding",
                "(VI_1) Receive advertisement timeout",
                "(VI_1) Entering MASTER STATE",
                "(VI_1) setting VIPs.",
            ],
        ),
        (
            "  nopreempt",
            ["(VI_1) Entering BACKUP STATE (init)", "Printing VRRP as json for process(N) on signal"],
        ),
        (
            "  preempt_delay 3",
            [
                "(VI_1) Entering BACKUP STATE (init)",
                "(VI_1) start preempt delay (3.000000)",
                "(VI_1) received lower priority (100) advert from 192.0.2.2 - discarding",
                "(VI_1) Entering MASTER STATE",
            ],
        ),
    ],
    ids=["preempt", "nopreempt", "preempt_delay"],
)
def test_a_higher_priority_backup_arriving_logs_as_keepalived(
    lab: Lab, tmp_path: Path, extra: str, expected: list[str]
) -> None:
    theirs, ours = side_by_side(lab, tmp_path, preempting_scenario(extra), peer=True)
    # The JSON dumps asked for while waiting: as many as the machine's speed needed.
    for record in (theirs, ours):
        record.lines = [
            x for i, x in enumerate(record.lines) if "Printing" not in x or x not in record.lines[:i]
        ]
    assert_same(theirs, ours, expected)
    if "nopreempt" in extra:
        assert "(VI_1) Entering MASTER STATE" not in theirs.lines


# ---------------------------------------------------------------------------------------------
# 3. A sync group: one member's interface goes down (the whole group faults), then comes back.


def sync_group_conf(side: Side) -> str:
    group = f"""vrrp_sync_group G1 {{
  group {{
    VI_1
    VI_2
  }}
{notify_lines(side.note, "G1")}
}}
"""
    second = instance(side.note, name="VI_2", vrid=52, interface="eth2", vip="198.51.100.100/24")
    return global_defs(side.workdir) + group + instance(side.note) + second


def stop_group(side: Side, before: int) -> None:
    """SIGTERM; wait for both members' STOP in the FIFO and as many STOP script calls."""
    assert stop(side) == 0
    wait_for(lambda: sum("STOP" in x for x in side.fifo()) >= 2, timeout=40, what="the STOP lines")
    stops = sum("STOP" in x for x in side.fifo())
    side.settle(before + stops)


def sync_group_scenario(side: Side) -> None:
    group_link_scenario(side, sync_group_conf(side))


def group_link_scenario(side: Side, conf: str) -> None:
    """A two-member group master under `conf`; eth3 (the peer of a link it needs) down, then up."""
    side.start(conf)
    side.wait_log("(VI_1) Entering MASTER STATE")
    side.wait_log("(VI_2) Entering MASTER STATE")
    side.settle(6)
    side.event()
    side.ns.ip("link", "set", "eth3", "down")
    wait_for(lambda: side.fifo().count('GROUP "G1" FAULT 0') == 1, timeout=40, what="the group FAULT")
    side.wait_log("removing VIPs.", count=2)
    side.settle(9)
    side.ns.ip("link", "set", "eth3", "up")
    wait_for(lambda: side.fifo().count('GROUP "G1" MASTER 0') == 2, timeout=40, what="the group MASTER")
    side.wait_log("setting VIPs.", count=2)
    side.settle(15)
    stop_group(side, 15)


def test_a_sync_group_member_losing_its_link_faults_the_group_as_keepalived(lab: Lab, tmp_path: Path) -> None:
    theirs, ours = side_by_side(lab, tmp_path, sync_group_scenario, links=2)
    assert_same(
        theirs,
        ours,
        [
            "Netlink reports eth2 down",
            "(VI_2) Entering FAULT STATE",
            "VRRP_Group(G1) Syncing instances to FAULT state",
            "(VI_1) Entering FAULT STATE",
            "Netlink reports eth2 up",
            "VRRP_Group(G1) Syncing instances to BACKUP state",
            "VRRP_Group(G1) Syncing instances to MASTER state",
            "Stopping",
        ],
    )


def sync_group_down_at_start_scenario(side: Side) -> None:
    side.ns.ip("link", "set", "eth3", "down")
    side.start(sync_group_conf(side))
    wait_for(lambda: 'GROUP "G1" FAULT 0' in side.fifo(), timeout=40, what="the group FAULT")
    side.wait_log("(VI_1) removing VIPs.")
    side.settle(3)
    side.ns.ip("link", "set", "eth3", "up")
    wait_for(lambda: 'GROUP "G1" MASTER 0' in side.fifo(), timeout=40, what="the group MASTER")
    side.wait_log("setting VIPs.", count=2)
    side.settle(9)


def test_a_sync_group_starting_with_a_link_down_logs_as_keepalived(lab: Lab, tmp_path: Path) -> None:
    theirs, ours = side_by_side(lab, tmp_path, sync_group_down_at_start_scenario, links=2)
    assert_same(theirs, ours, ["Netlink reports eth2 up", "VRRP_Group(G1) Syncing instances to MASTER state"])


# ---------------------------------------------------------------------------------------------
# 5. track_interface with a weight, and with weight 0.


def track_interface_scenario(weight: int) -> Callable[[Side], None]:
    def scenario(side: Side) -> None:
        track = f"  track_interface {{\n    eth2 weight {weight}\n  }}"
        side.start(global_defs(side.workdir) + instance(side.note, extra=track))
        side.wait_log("Entering MASTER STATE")
        side.settle(2)
        side.event()
        side.ns.ip("link", "set", "eth3", "down")
        side.wait_log("Netlink reports eth2 down")
        if weight:
            side.wait_log("Changing effective priority")
        else:
            side.wait_log("removing VIPs.")
            side.settle(3)
        side.ns.ip("link", "set", "eth3", "up")
        side.wait_log("Netlink reports eth2 up")
        if weight:
            side.wait_log("Changing effective priority", count=2)
        else:
            side.wait_log("setting VIPs.")
            side.settle(5)

    return scenario


@pytest.mark.parametrize("weight", [-30, 0])
def test_a_tracked_interface_going_down_and_up_logs_as_keepalived(
    lab: Lab, tmp_path: Path, weight: int
) -> None:
    theirs, ours = side_by_side(lab, tmp_path, track_interface_scenario(weight), links=2)
    assert_same(theirs, ours, ["Netlink reports eth2 down", "Netlink reports eth2 up"])


# ---------------------------------------------------------------------------------------------
# 6. track_file: a weighted value, and weight 0 (FAULT while non-zero).


def track_file_scenario(weight: int) -> Callable[[Side], None]:
    def scenario(side: Side) -> None:
        value = side.workdir / "tf.value"
        value.write_text("0\n")
        block = f'track_file tf {{\n  file "{value}"\n  weight {weight}\n}}\n'
        track = "  track_file {\n    tf\n  }"
        side.start(global_defs(side.workdir) + block + instance(side.note, extra=track))
        side.wait_log("Entering MASTER STATE")
        side.settle(2)
        side.event()
        value.write_text("5\n")
        if weight:
            side.wait_log("Changing effective priority")
        else:
            side.wait_log("removing VIPs.")
            side.settle(3)
        value.write_text("0\n")
        if weight:
            side.wait_log("Changing effective priority", count=2)
        else:
            side.wait_log("setting VIPs.")
            side.settle(5)

    return scenario


@pytest.mark.parametrize("weight", [-10, 0])
def test_a_tracked_file_changing_logs_as_keepalived(lab: Lab, tmp_path: Path, weight: int) -> None:
    theirs, ours = side_by_side(lab, tmp_path, track_file_scenario(weight))
    assert_same(
        theirs,
        ours,
        [
            "(VI_1) Entering MASTER STATE"
            if weight == 0
            else "(VI_1) Changing effective priority from 150 to 100"
        ],
    )
