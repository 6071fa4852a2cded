"""A reload (SIGHUP) with a changed config logged, notified and acted on as keepalived 2.2.7 does.

keepalived (the oracle) and alived run the same config at once, each in namespaces of its own
(the harness of test_runtime_logs_vs_keepalived); where a peer is needed it is a keepalived 2.2.7
(priority 100) on the same bridge. Once the subject is master, its file is rewritten and it gets
SIGHUP. From then on, keepalived's record must hold the lines each test names (so the test says
what keepalived does), and alived's record must equal it: the instance lines in order, the
reload's other lines (config messages, route removals; their place among the instance lines is
not compared, keepalived logs from a thread of its own there), each notify script's calls, the
notify FIFO's lines and the addresses and routes left in the namespace.

What keepalived 2.2.7 does (vrrp_exist, restore_vrrp_state, vrrp_init_state): an instance is
matched to a running one by VRID, family, interface, unicast / multicast group and VMAC, not by
name; a matched one keeps MASTER or BACKUP silently whatever else changed (priority, advert_int,
the state keyword, its scripts, its name), and a master logs `setting VIPs.` (E-VIPs, Virtual
Routes) again after dropping what the new file no longer has. It unlinks the notify FIFO it
created and makes a new one, so a reader opens the path again after a reload.
"""

from __future__ import annotations

import re
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.helpers.netns import Lab, wait_for
from tests.netns.test_runtime_logs_vs_keepalived import (
    MASKED,
    Side,
    assert_same,
    global_defs,
    instance,
    notify_lines,
    side_by_side,
)

pytestmark = pytest.mark.netns

Conf = Callable[[Side], str]


@dataclass
class Reload:
    """One reload: the file before and after, what to await once `Reload complete` is logged."""

    before: Conf
    after: Conf
    peer: bool = False
    masters: int = 1  # instances master before the reload
    wait: tuple[str, ...] = ()  # lines of the subject's log, in order, after the reload
    peer_wait: tuple[str, ...] = ()
    counts: tuple[int, int, int] = (2, 2, 2)  # generic notify calls, notify_* calls, FIFO lines
    alive: bool = True  # keepalived stays up after this reload
    ready: tuple[str, ...] = ()  # lines awaited before the reload, in place of `setting VIPs.`
    events: int = 0  # state changes before the reload, when not 2 per master


@dataclass
class After:
    """What a record of the harness leaves out: the reload's other lines, addresses, routes."""

    others: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    routes: list[str] = field(default_factory=list)
    fifo_mark: int = field(default=0, compare=False)
    fifo_renewed: bool = False  # the FIFO path names a new FIFO after the reload
    exit_code: int | None = None  # None: still running


# The reload's lines that are not about one instance; the file's name and the figures masked.
OTHERS = re.compile(
    r": (Removing .*|\(CONF: Line \d+\).*|There are .*|Non-existent .*|Warning .*|WARNING .*"
    r"|VRRP_Script\(.*\) considered .*|pid \d+ exited .*|Stopped.*|CPU usage.*)$"
)


def others(text: str, conf: Path) -> list[str]:
    out = []
    for line in text.replace(str(conf), "CONF").splitlines():
        if m := OTHERS.search(line):
            kept = re.sub(r"pid \d+", "pid N", m.group(1))
            for pattern, mask in MASKED:
                kept = pattern.sub(mask, kept)
            out.append(kept)
    return sorted(out)


def addresses(side: Side) -> tuple[list[str], list[str]]:
    """IPv4 addresses by interface, and the main table's routes (link-local ones differ by MAC)."""
    text = side.ns.ip("-4", "-o", "addr", "show").stdout
    found = sorted(f"{w[1].split('@')[0]} {w[3]}" for w in (x.split() for x in text.splitlines()))
    routes = side.ns.ip("route").stdout.splitlines()
    # Both mark their virtual routes `proto keepalived` (18): compared as they are.
    return found, sorted(x.strip() for x in routes)


def counted(side: Side, counts: tuple[int, int, int]) -> None:
    for (what, got), n in zip(
        (("notify", side.calls), ("notify_*", side.specific), ("FIFO", side.fifo)), counts, strict=True
    ):
        wait_for(lambda got=got, n=n: len(got()) >= n, timeout=40, what=f"{n} {what} records")


def reload_scenario(r: Reload, seen: dict[bool, After]) -> Callable[[Side], None]:
    def scenario(side: Side) -> None:
        if r.masters == 0:  # the subject is the backup of a keepalived master (150)
            side.start_peer(150)
            side.wait_peer_master()
            side.start(global_defs(side.workdir) + r.before(side))
            side.wait_log("Entering BACKUP STATE (init)")
            side.settle(r.events or 1)
        else:
            side.start(global_defs(side.workdir) + r.before(side))
            for words in r.ready or ("setting VIPs.",) * r.masters:
                side.wait_log(words, count=r.ready.count(words) if r.ready else r.masters)
            if r.peer:
                side.start_peer(100)
                side.wait_peer_log("Entering BACKUP STATE (init)")
            side.settle(r.events or 2 * r.masters)
        side.event()
        fifo_mark = len(side.fifo())
        fifo = side.workdir / "events.fifo"
        made = fifo.stat().st_ino
        assert side.daemon is not None
        side.daemon.conf.write_text(global_defs(side.workdir) + r.after(side))
        side.daemon.proc.send_signal(signal.SIGHUP)
        if r.alive:
            side.wait_log("Reload complete")
        else:
            side.wait_log("Stopped")
            assert side.daemon.proc.wait(timeout=30) != 0
        # The daemon made a new FIFO in place of the one the reader holds.
        side.fifo()
        side.close()
        renewed = fifo.exists() and fifo.stat().st_ino != made
        for words in r.wait:
            side.wait_log(words)
        for words in r.peer_wait:
            side.wait_peer_log(words)
        counted(side, r.counts)
        after = seen.setdefault(side.keepalived, After())
        # The lines before the reload: concurrent start-ups write them in either order.
        after.fifo_mark = fifo_mark
        after.fifo_renewed = renewed
        after.others = others(side.log()[side.mark :], side.daemon.conf)
        after.addresses, after.routes = addresses(side)
        after.exit_code = side.daemon.proc.poll()

    return scenario


def compare(
    lab: Lab,
    tmp_path: Path,
    r: Reload,
    expected: list[str],
    *,
    peer: Sequence[str] = (),
    others: Sequence[str] = (),
    once: bool = False,
) -> tuple[After, After]:
    """Run `r` side by side; keepalived's records hold `expected` (and `others`), alived's equal them."""
    seen: dict[bool, After] = {}
    theirs, ours = side_by_side(lab, tmp_path, reload_scenario(r, seen), peer=r.peer)
    theirs.fifo, ours.fifo = theirs.fifo[seen[True].fifo_mark :], ours.fifo[seen[False].fifo_mark :]
    for record in (theirs, ours):  # how many adverts a peer hears in a while depends on the phase
        for lines in (record.lines, record.peer):
            lines[:] = [x for i, x in enumerate(lines) if "mismatch" not in x or lines[i - 1 : i] != [x]]
    assert_same(theirs, ours, expected, list(peer))
    if once:
        # keepalived's parent and VRRP child both read the new file and both report its errors;
        # alived's parent does not log its read (known difference): each line is compared once.
        for after in seen.values():
            after.others = sorted(set(after.others))
    missing = [x for x in others if x not in seen[True].others]
    assert not missing, f"keepalived no longer logs {missing} in {seen[True].others}"
    assert seen[False] == seen[True], f"\nkeepalived: {seen[True]}\nalived:     {seen[False]}"
    return seen[True], seen[False]


VIP2 = {"name": "VI_2", "vrid": 52, "vip": "192.0.2.102/24"}


def plain(side: Side) -> str:
    return instance(side.note)


# ---------------------------------------------------------------------------------------------
# 1. The priority changed on a master with a backup peer (100).


@pytest.mark.parametrize("priority", [200, 120])
def test_a_new_priority_keeps_the_master_silently_as_keepalived(
    lab: Lab, tmp_path: Path, priority: int
) -> None:
    r = Reload(plain, lambda s: instance(s.note, priority=priority), peer=True, wait=("setting VIPs.",))
    compare(lab, tmp_path, r, ["(VI_1) setting VIPs."])


def test_a_backup_changed_below_its_master_stays_backup_silently_as_keepalived(
    lab: Lab, tmp_path: Path
) -> None:
    r = Reload(
        lambda s: instance(s.note, priority=100, state="BACKUP"),
        lambda s: instance(s.note, priority=120, state="BACKUP").replace(
            "advert_int 1", "advert_int 1\n  nopreempt"
        ),
        peer=True,
        masters=0,
        wait=("Reload complete",),
        counts=(1, 1, 1),
    )
    theirs, _ = compare(lab, tmp_path, r, [])
    assert theirs.addresses == ["eth0 192.0.2.1/24", "lo 127.0.0.1/8"]


def test_a_priority_below_the_peer_hands_over_as_keepalived(lab: Lab, tmp_path: Path) -> None:
    r = Reload(
        plain,
        lambda s: instance(s.note, priority=50),
        peer=True,
        wait=("setting VIPs.", "removing VIPs."),
        peer_wait=("setting VIPs.",),
        counts=(3, 3, 3),
    )
    compare(
        lab,
        tmp_path,
        r,
        [
            "(VI_1) setting VIPs.",
            "(VI_1) Master received advert from 192.0.2.2 with higher priority 100, ours 50",
            "(VI_1) Entering BACKUP STATE",
            "(VI_1) removing VIPs.",
        ],
        peer=[
            "(VI_1) received lower priority (50) advert from 192.0.2.1 - discarding",
            "(VI_1) Receive advertisement timeout",
            "(VI_1) Entering MASTER STATE",
        ],
    )


# ---------------------------------------------------------------------------------------------
# 2. An instance added, an instance removed (reported FAULT: no notify_fault, no notify_stop).


def test_an_added_instance_starts_as_keepalived(lab: Lab, tmp_path: Path) -> None:
    r = Reload(
        plain,
        lambda s: instance(s.note) + instance(s.note, **VIP2),  # type: ignore[arg-type]
        wait=("(VI_1) setting VIPs.", "(VI_2) setting VIPs."),
        counts=(4, 4, 4),
    )
    theirs, _ = compare(
        lab,
        tmp_path,
        r,
        [
            "(VI_1) setting VIPs.",
            "(VI_2) Entering BACKUP STATE (init)",
            "(VI_2) Entering MASTER STATE",
            "(VI_2) setting VIPs.",
        ],
    )
    assert theirs.fifo_renewed  # and the FIFO lines of the new instance are in the new FIFO


def test_a_removed_instance_is_reported_fault_and_releases_its_vips_as_keepalived(
    lab: Lab, tmp_path: Path
) -> None:
    excluded = "  virtual_ipaddress_excluded {\n    203.0.113.7/24\n  }"
    r = Reload(
        lambda s: instance(s.note) + instance(s.note, extra=excluded, **VIP2),  # type: ignore[arg-type]
        plain,
        masters=2,
        wait=("(VI_2) removing E-VIPs.", "(VI_1) setting VIPs."),
        counts=(5, 4, 5),
    )
    theirs, _ = compare(
        lab,
        tmp_path,
        r,
        [
            "(VI_2) sent 0 priority",
            "(VI_2) removing VIPs.",
            "(VI_2) removing E-VIPs.",
            "(VI_1) setting VIPs.",
        ],
    )
    assert not {"eth0 192.0.2.102/24", "eth0 203.0.113.7/24"} & set(theirs.addresses)


# ---------------------------------------------------------------------------------------------
# 3. VIPs, excluded VIPs and virtual routes changed on a master.


def test_vips_changed_on_a_master_as_keepalived(lab: Lab, tmp_path: Path) -> None:
    r = Reload(
        plain,
        lambda s: instance(s.note, vip="192.0.2.101/24\n    192.0.2.103/24"),
        wait=("setting VIPs.",),
    )
    compare(
        lab,
        tmp_path,
        r,
        ["(VI_1) ip address 192.0.2.100/24 dev eth0, no longer exist", "(VI_1) setting VIPs."],
    )


def routed(evip: str, route: str) -> Conf:
    extra = f"  virtual_ipaddress_excluded {{\n    {evip}\n  }}\n  virtual_routes {{\n    {route}\n  }}"
    return lambda s: instance(s.note, extra=extra)


def test_excluded_vips_and_routes_changed_on_a_master_as_keepalived(lab: Lab, tmp_path: Path) -> None:
    r = Reload(
        routed("203.0.113.5/24", "198.51.100.0/24 via 192.0.2.254"),
        routed("203.0.113.6/24", "198.51.100.128/25 via 192.0.2.253"),
        wait=("setting Virtual Routes",),
    )
    theirs, _ = compare(
        lab,
        tmp_path,
        r,
        [
            "(VI_1) ip address 203.0.113.5/24 dev eth0, no longer exist",
            "(VI_1) setting VIPs.",
            "(VI_1) setting E-VIPs.",
            "(VI_1) setting Virtual Routes",
        ],
        others=["Removing route 198.51.100.0/24"],
    )
    assert "198.51.100.128/25 via 192.0.2.253 dev eth0 proto keepalived" in theirs.routes


# ---------------------------------------------------------------------------------------------
# 4. advert_int, and the state keyword, changed on a master with a backup peer.


def test_a_new_advert_int_keeps_the_master_as_keepalived(lab: Lab, tmp_path: Path) -> None:
    r = Reload(
        plain,
        lambda s: instance(s.note).replace("advert_int 1", "advert_int 2"),
        peer=True,
        wait=("setting VIPs.", "interval mismatch"),
        peer_wait=("setting VIPs.",),
    )
    # Each drops the other's adverts: the peer takes over too, both stay master.
    compare(
        lab,
        tmp_path,
        r,
        ["(VI_1) setting VIPs.", "(VI_1) advertisement interval mismatch mine=2 sec rcv'd=1 sec"],
        peer=[
            "(VI_1) advertisement interval mismatch mine=1 sec rcv'd=2 sec",
            "(VI_1) Receive advertisement timeout",
            "(VI_1) Entering MASTER STATE",
        ],
    )


def test_state_backup_in_the_new_file_keeps_the_master_as_keepalived(lab: Lab, tmp_path: Path) -> None:
    r = Reload(plain, lambda s: instance(s.note, state="BACKUP"), peer=True, wait=("setting VIPs.",))
    compare(lab, tmp_path, r, ["(VI_1) setting VIPs."])


# ---------------------------------------------------------------------------------------------
# 5. A vrrp_script added to the instance, removed from it, its weight changed.


def script(side: Side, weight: int = -60) -> str:
    chk = side.workdir / "chk.sh"
    chk.write_text("#!/bin/sh\nexit 0\n")
    chk.chmod(0o755)
    return f'vrrp_script chk {{\n  script "{chk}"\n  interval 1\n  weight {weight}\n  rise 1\n  fall 1\n}}\n'


TRACK = "  track_script {\n    chk\n  }"


def test_a_script_added_to_a_master_as_keepalived(lab: Lab, tmp_path: Path) -> None:
    r = Reload(
        lambda s: script(s) + plain(s),
        lambda s: script(s) + instance(s.note, extra=TRACK),
        peer=True,
        wait=("setting VIPs.", "VRRP_Script(chk) succeeded"),
    )
    compare(lab, tmp_path, r, ["(VI_1) setting VIPs.", "VRRP_Script(chk) succeeded"])


@pytest.mark.parametrize("weight", [None, -20], ids=["removed", "weight"])
def test_a_script_removed_or_reweighted_as_keepalived(lab: Lab, tmp_path: Path, weight: int | None) -> None:
    def after(s: Side) -> str:
        if weight is None:
            return script(s) + plain(s)
        return script(s, weight) + instance(s.note, extra=TRACK)

    r = Reload(lambda s: script(s) + instance(s.note, extra=TRACK), after, peer=True, wait=("setting VIPs.",))
    compare(
        lab,
        tmp_path,
        r,
        ["(VI_1) setting VIPs."],
        others=["VRRP_Script(chk) considered successful on reload"]
        + (["Warning - script chk is not used"] if weight is None else []),
    )


# ---------------------------------------------------------------------------------------------
# 6. An instance renamed (same VRID and interface): keepalived keeps it, under its new name.


def test_a_renamed_instance_keeps_its_state_as_keepalived(lab: Lab, tmp_path: Path) -> None:
    r = Reload(plain, lambda s: instance(s.note, name="VI_3"), wait=("(VI_3) setting VIPs.",))
    compare(lab, tmp_path, r, ["(VI_3) setting VIPs."])


# ---------------------------------------------------------------------------------------------
# 7. Config errors in the new file (no reload_check_config): what keepalived makes of them.


@pytest.mark.parametrize(
    ("after", "logged"),
    [
        (
            lambda s: instance(s.note, priority=300),
            [
                "(CONF: Line 11) number '300' outside range [1, 255]",
                "(CONF: Line 11) (VI_1) Priority not valid! must be between 1 & 255. Using default 100",
            ],
        ),
        (lambda s: instance(s.note)[:-3], ["There are 1 missing '}'s or extra '{'s"]),
    ],
    ids=["bad_value", "brace"],
)
def test_a_config_error_in_the_new_file_as_keepalived(
    lab: Lab, tmp_path: Path, after: Conf, logged: list[str]
) -> None:
    r = Reload(plain, after, wait=("setting VIPs.",))
    compare(lab, tmp_path, r, ["(VI_1) setting VIPs."], others=logged, once=True)


@pytest.mark.parametrize(
    ("after", "counts", "logged"),
    [
        # The VRRP child gives up after reading the file: STOP scripts (priority 0), its usage line.
        (
            lambda s: instance(s.note, interface="nosuch0"),
            (3, 3, 2),
            ["Non-existent interface specified in configuration", "Stopped - used N system time"],
        ),
        # Its parser gives up at once: nothing more from the child.
        (
            lambda s: instance(s.note).replace("priority 150", "priority"),
            (2, 2, 2),
            [
                "(CONF: Line 11) *** Configuration line starting `priority` is missing a parameter"
                " after keyword `priority` at word position 2"
            ],
        ),
    ],
    ids=["missing_interface", "missing_parameter"],
)
def test_a_file_the_vrrp_child_exits_on_stops_the_daemon_as_keepalived(
    lab: Lab, tmp_path: Path, after: Conf, counts: tuple[int, int, int], logged: list[str]
) -> None:
    r = Reload(plain, after, alive=False, counts=counts)
    theirs, _ = compare(
        lab,
        tmp_path,
        r,
        ["CPU usage (self/children) user: N", "Stopped BANNER"],
        others=[*logged, "pid N exited with permanent error CONFIG. Terminating"],
    )
    assert "eth0 192.0.2.100/24" in theirs.addresses  # keepalived leaves the VIP behind
    assert theirs.exit_code == 2  # keepalived's parent exits with its VRRP child's CONFIG code


# ---------------------------------------------------------------------------------------------
# 8. An instance in FAULT (a weight-0 tracked file non-zero): the same file, a changed one.


def faulted(priority: int = 150) -> Conf:
    def conf(s: Side) -> str:
        value = s.workdir / "tf.value"
        value.write_text("5\n")
        block = f'track_file tf {{\n  file "{value}"\n  weight 0\n}}\n'
        return block + instance(s.note, priority=priority, extra="  track_file {\n    tf\n  }")

    return conf


@pytest.mark.parametrize("priority", [150, 120], ids=["same", "changed"])
def test_a_faulted_instance_reloaded_stays_fault_as_keepalived(
    lab: Lab, tmp_path: Path, priority: int
) -> None:
    r = Reload(
        faulted(),
        faulted(priority),
        ready=("(VI_1) entering FAULT state", "(VI_1) removing VIPs."),
        events=1,
        wait=("(VI_1): entering FAULT state (tracked file",),
        counts=(1, 1, 1),
    )
    theirs, _ = compare(lab, tmp_path, r, [])
    assert "eth0 192.0.2.100/24" not in theirs.addresses


# ---------------------------------------------------------------------------------------------
# 9. A sync group of two masters (alone) reloaded: the same file, a member's priority or VIPs changed.


def grouped(
    members: Sequence[str] = ("VI_1", "VI_2"),
    priority: int = 150,
    vip2: str = "192.0.2.102/24",
    extra: Sequence[str] = (),
) -> Conf:
    def conf(s: Side) -> str:
        names = "\n".join(f"    {m}" for m in members)
        group = f"vrrp_sync_group G1 {{\n  group {{\n{names}\n  }}\n{notify_lines(s.note, 'G1')}\n}}\n"
        out = group + instance(s.note) + instance(s.note, name="VI_2", vrid=52, priority=priority, vip=vip2)
        for name in extra:
            out += instance(s.note, name=name, vrid=53, vip="192.0.2.103/24")
        return out

    return conf


@pytest.mark.parametrize(
    "after",
    [grouped(), grouped(priority=120), grouped(vip2="192.0.2.102/24\n    192.0.2.104/24")],
    ids=["same", "priority", "vip"],
)
def test_a_sync_group_reloaded_as_keepalived(lab: Lab, tmp_path: Path, after: Conf) -> None:
    r = Reload(
        grouped(),
        after,
        masters=2,
        events=6,
        wait=("(VI_1) setting VIPs.", "(VI_2) setting VIPs."),
        counts=(6, 6, 6),
    )
    # No group line, no notify, no FIFO line, no priority line: both masters set their VIPs again.
    compare(lab, tmp_path, r, ["(VI_1) setting VIPs.", "(VI_2) setting VIPs."])


# ---------------------------------------------------------------------------------------------
# 10. A sync group held in BACKUP (VI_1 under a keepalived master, 150) reloaded.


@pytest.mark.parametrize("after", [grouped(), grouped(priority=120)], ids=["same", "priority"])
def test_a_backup_sync_group_reloaded_stays_backup_silently_as_keepalived(
    lab: Lab, tmp_path: Path, after: Conf
) -> None:
    r = Reload(grouped(), after, peer=True, masters=0, events=3, wait=("Reload complete",), counts=(3, 3, 3))
    theirs, _ = compare(lab, tmp_path, r, [])
    assert "eth0 192.0.2.102/24" not in theirs.addresses
