"""Start-up of sync groups, address owners and instances faulting at start, beside keepalived 2.2.7.

keepalived (the oracle) and alived start the same config at the same time, each in a namespace of
its own (the harness of test_runtime_logs_vs_keepalived.py). Each test first finds the lines it
names in keepalived's record, then alived's record must equal keepalived's: the instance, group and
script lines in order, each notify script's calls and the notify_fifo lines in order.

`Startup complete` is not in the records: keepalived's parent writes it when the VRRP child has
read its config, racing with the child's next lines ("removing VIPs.", the first states). Both
daemons must write it after the child's "Registering gratuitous ARP shared channel" and after every
FAULT line found at start; alived writes it before any instance starts (its place in most runs).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers.netns import Lab
from tests.netns.test_runtime_logs_vs_keepalived import (
    Record,
    Side,
    assert_same,
    global_defs,
    instance,
    notify_lines,
    side_by_side,
)

pytestmark = pytest.mark.netns

SECOND_LINK = {"name": "VI_2", "vrid": 52, "interface": "eth2", "vip": "198.51.100.100/24"}
TRACK = "  track_script {\n    chk\n  }"


def group(side: Side, name: str, members: list[str]) -> str:
    body = "\n    ".join(members)
    return f"vrrp_sync_group {name} {{\n  group {{\n    {body}\n  }}\n{notify_lines(side.note, name)}\n}}\n"


def add_link(side: Side, n: int, address: str) -> None:
    """eth<n>, looped to eth<n+1> in the same namespace (setting that end down drops the carrier)."""
    side.lab.veth(side.ns, f"eth{n}", side.ns, f"eth{n + 1}")
    side.ns.ip("addr", "add", address, "dev", f"eth{n}")


def run(
    lab: Lab,
    tmp_path: Path,
    conf: Callable[[Side], str],
    waits: list[str],
    events: int,
    *,
    then: Callable[[Side], None] | None = None,
) -> tuple[Record, Record, dict[bool, str]]:
    """Start `conf` in both; wait for each of `waits` in the log, then `events` notifies in all
    channels, then run `then`. (keepalived's record, alived's, each daemon's log by `keepalived`)."""
    logs: dict[bool, str] = {}

    def scenario(side: Side) -> None:
        side.start(conf(side))
        side.wait_log("Startup complete")
        for words in waits:
            side.wait_log(words)
        side.settle(events)
        if then is not None:
            then(side)
        logs[side.keepalived] = side.log()

    theirs, ours = side_by_side(lab, tmp_path, scenario, links=2)
    return theirs, ours, logs


def check_startup_complete(logs: dict[bool, str]) -> None:
    """`Startup complete` comes after the config is read (see the module's docstring)."""
    for keepalived, text in logs.items():
        lines = [line.split(": ", 1)[-1] for line in text.splitlines()]
        done = lines.index("Startup complete")
        read = [
            i
            for i, line in enumerate(lines)
            if line == "Registering gratuitous ARP shared channel" or "entering FAULT state" in line
        ]
        assert read and max(read) < done, lines
        if not keepalived:
            started = [i for i, line in enumerate(lines) if "removing VIPs." in line or "Entering" in line]
            assert not started or done < min(started), lines


# ---------------------------------------------------------------------------------------------
# 1. A member tracking a weight-0 script without init_fail: the whole group waits, silent, for
# the script's first result (keepalived's num_member_init); "slow" answers after 5 s, later than
# a Master_Down_Interval (3.4 s): a group that did not wait would be MASTER before it.

SCRIPTS = {
    "success": 'vrrp_script chk {\n  script "/bin/sleep 5"\n  interval 10\n}\n',
    "failure": 'vrrp_script chk {\n  script "/bin/false"\n  interval 1\n  fall 3\n}\n',
}


def awaiting_group(outcome: str) -> Callable[[Side], str]:
    def conf(side: Side) -> str:
        return (
            global_defs(side.workdir)
            + SCRIPTS[outcome]
            + group(side, "G1", ["VI_1", "VI_2"])
            + instance(side.note, extra=TRACK)
            + instance(side.note, **SECOND_LINK)  # type: ignore[arg-type]
        )

    return conf


def test_a_sync_group_waits_for_a_members_first_script_success_as_keepalived(
    lab: Lab, tmp_path: Path
) -> None:
    theirs, ours, logs = run(
        lab, tmp_path, awaiting_group("success"), ["(VI_1) setting VIPs.", "(VI_2) setting VIPs."], 6
    )
    assert not [x for x in theirs.lines if "(init)" in x], theirs.lines
    assert theirs.fifo[:3] == [
        'INSTANCE "VI_1" BACKUP 150',
        'INSTANCE "VI_2" BACKUP 150',
        'GROUP "G1" BACKUP 0',
    ]
    assert_same(
        theirs,
        ours,
        [
            "VRRP_Script(chk) succeeded",
            "(VI_1) Entering BACKUP STATE",
            "VRRP_Group(G1) Syncing instances to BACKUP state",
            "(VI_2) Entering BACKUP STATE",
            "VRRP_Group(G1) Syncing instances to MASTER state",
        ],
    )
    check_startup_complete(logs)


def test_a_sync_group_waiting_for_a_members_first_script_failure_faults_as_keepalived(
    lab: Lab, tmp_path: Path
) -> None:
    theirs, ours, logs = run(
        lab, tmp_path, awaiting_group("failure"), ["VRRP_Group(G1) Syncing instances to FAULT state"], 2
    )
    # The members were held in FAULT, silent: neither says it enters FAULT, VI_2 is not notified.
    assert not [x for x in theirs.lines if "Entering" in x or "entering" in x], theirs.lines
    assert theirs.fifo == ['INSTANCE "VI_1" FAULT 150', 'GROUP "G1" FAULT 0']
    assert_same(
        theirs,
        ours,
        ["VRRP_Script(chk) failed (exited with status 1)", "VRRP_Group(G1) Syncing instances to FAULT state"],
    )
    check_startup_complete(logs)


def test_a_sync_group_awaiting_a_script_with_a_link_down_starts_in_fault_as_keepalived(
    lab: Lab, tmp_path: Path
) -> None:
    # The group is in FAULT for the link: the script's first success changes nothing until the
    # link comes back, then the group goes BACKUP and MASTER.
    def conf(side: Side) -> str:
        side.ns.ip("link", "set", "eth3", "down")
        script = 'vrrp_script chk {\n  script "/bin/true"\n  interval 1\n}\n'
        return (
            global_defs(side.workdir)
            + script
            + group(side, "G1", ["VI_1", "VI_2"])
            + instance(side.note, extra=TRACK)
            + instance(side.note, **SECOND_LINK)  # type: ignore[arg-type]
        )

    def link_up(side: Side) -> None:
        side.ns.ip("link", "set", "eth3", "up")
        side.wait_log("(VI_1) setting VIPs.")
        side.wait_log("(VI_2) setting VIPs.")
        side.settle(9)

    waits = ["(VI_2) removing VIPs.", "VRRP_Script(chk) succeeded"]
    theirs, ours, logs = run(lab, tmp_path, conf, waits, 3, then=link_up)
    assert theirs.fifo[:3] == ['INSTANCE "VI_1" FAULT 150', 'INSTANCE "VI_2" FAULT 150', 'GROUP "G1" FAULT 0']
    assert_same(
        theirs,
        ours,
        [
            "(VI_2): entering FAULT state (interface eth2 down)",
            "VRRP_Group(G1): Syncing VI_2 to FAULT state",
            "(VI_1) entering FAULT state",
            "(VI_2) entering FAULT state",
            "VRRP_Script(chk) succeeded",
            "Netlink reports eth2 up",
            "VRRP_Group(G1) Syncing instances to BACKUP state",
            "VRRP_Group(G1) Syncing instances to MASTER state",
        ],
    )
    check_startup_complete(logs)


# ---------------------------------------------------------------------------------------------
# 2. Address owners (priority 255, state MASTER): BACKUP first, silent, for 1 us; a group of
# owners is MASTER from the start, so it never syncs nor notifies.


def owners(side: Side) -> str:
    return (
        global_defs(side.workdir)
        + group(side, "G1", ["VI_1", "VI_2"])
        + instance(side.note, priority=255)
        + instance(side.note, priority=255, **SECOND_LINK)  # type: ignore[arg-type]
    )


def lone_owner(side: Side) -> str:
    return global_defs(side.workdir) + instance(side.note, priority=255)


def test_a_sync_group_of_address_owners_starts_as_keepalived(lab: Lab, tmp_path: Path) -> None:
    theirs, ours, logs = run(lab, tmp_path, owners, ["(VI_1) setting VIPs.", "(VI_2) setting VIPs."], 2)
    assert not [x for x in theirs.lines if "VRRP_Group" in x or "BACKUP" in x], theirs.lines
    assert "G1" not in theirs.calls
    assert_same(
        theirs,
        ours,
        [
            "(VI_1) Receive advertisement timeout",
            "(VI_1) Entering MASTER STATE",
            "(VI_2) Receive advertisement timeout",
            "(VI_2) Entering MASTER STATE",
        ],
    )
    check_startup_complete(logs)


def test_a_sync_group_of_owners_awaiting_a_script_starts_as_keepalived(lab: Lab, tmp_path: Path) -> None:
    def conf(side: Side) -> str:
        script = 'vrrp_script chk {\n  script "/bin/sleep 2"\n  interval 10\n}\n'
        return (
            global_defs(side.workdir)
            + script
            + group(side, "G1", ["VI_1", "VI_2"])
            + instance(side.note, priority=255, extra=TRACK)
            + instance(side.note, priority=255, **SECOND_LINK)  # type: ignore[arg-type]
        )

    theirs, ours, logs = run(lab, tmp_path, conf, ["(VI_1) setting VIPs.", "(VI_2) setting VIPs."], 3)
    assert theirs.fifo == ['INSTANCE "VI_1" MASTER 255', 'INSTANCE "VI_2" MASTER 255', 'GROUP "G1" MASTER 0']
    assert_same(
        theirs,
        ours,
        [
            "VRRP_Script(chk) succeeded",
            "(VI_1) Entering MASTER STATE",
            "VRRP_Group(G1) Syncing instances to MASTER state",
            "(VI_2) Entering MASTER STATE",
        ],
    )
    check_startup_complete(logs)


def test_a_lone_address_owner_starts_as_keepalived(lab: Lab, tmp_path: Path) -> None:
    theirs, ours, logs = run(lab, tmp_path, lone_owner, ["(VI_1) setting VIPs."], 1)
    assert theirs.fifo == ['INSTANCE "VI_1" MASTER 255']
    assert_same(
        theirs,
        ours,
        ["(VI_1) removing VIPs.", "(VI_1) Receive advertisement timeout", "(VI_1) Entering MASTER STATE"],
    )
    check_startup_complete(logs)


# ---------------------------------------------------------------------------------------------
# 3. Two sync groups, each with a member faulting at start (a link down, a tracked file): every
# fault is named first, then each group, then every instance; the groups are notified last.


def two_faulting_groups(how: str) -> Callable[[Side], str]:
    def conf(side: Side) -> str:
        extra = ["", ""]
        text = global_defs(side.workdir)
        if how == "links":
            add_link(side, 4, "203.0.113.1/24")
            add_link(side, 6, "192.0.2.201/32")
            side.ns.ip("link", "set", "eth3", "down")
            side.ns.ip("link", "set", "eth7", "down")
            third = {"interface": "eth4", "vip": "203.0.113.100/24"}
            fourth = {"interface": "eth6", "vip": "192.0.2.150/24"}
        else:
            for n, value in ((1, "3"), (2, "4")):
                path = side.workdir / f"f{n}"
                path.write_text(value + "\n")
                text += f"track_file f{n} {{\n  file {path}\n  weight 0\n}}\n"
                extra[n - 1] = f"  track_file {{\n    f{n}\n  }}"
            third = {"vip": "192.0.2.101/24"}
            fourth = {"interface": "eth2", "vip": "198.51.100.101/24"}
        return (
            text
            + group(side, "G1", ["VI_1", "VI_2"])
            + group(side, "G2", ["VI_3", "VI_4"])
            + instance(side.note)
            + instance(side.note, extra=extra[0], **SECOND_LINK)  # type: ignore[arg-type]
            + instance(side.note, name="VI_3", vrid=53, **third)  # type: ignore[arg-type]
            + instance(side.note, name="VI_4", vrid=54, extra=extra[1], **fourth)  # type: ignore[arg-type]
        )

    return conf


@pytest.mark.parametrize(
    ("how", "why"),
    [
        (
            "links",
            [
                "(VI_2): entering FAULT state (interface eth2 down)",
                "(VI_4): entering FAULT state (interface eth6 down)",
            ],
        ),
        (
            "files",
            [
                "(VI_2): entering FAULT state (tracked file f1 has status -254)",
                "(VI_4): entering FAULT state (tracked file f2 has status -254)",
            ],
        ),
    ],
)
def test_two_sync_groups_faulting_at_start_log_and_notify_in_keepalived_order(
    lab: Lab, tmp_path: Path, how: str, why: list[str]
) -> None:
    theirs, ours, logs = run(lab, tmp_path, two_faulting_groups(how), ["(VI_4) removing VIPs."], 6)
    names = ["VI_1", "VI_2", "VI_3", "VI_4"]
    assert theirs.fifo == [f'INSTANCE "{n}" FAULT 150' for n in names] + [
        'GROUP "G1" FAULT 0',
        'GROUP "G2" FAULT 0',
    ]
    assert_same(
        theirs,
        ours,
        [
            *why,
            "VRRP_Group(G1): Syncing VI_2 to FAULT state",
            "VRRP_Group(G2): Syncing VI_4 to FAULT state",
            *(f"({n}) entering FAULT state" for n in names),
            *(f"({n}) removing VIPs." for n in names),
        ],
    )
    check_startup_complete(logs)


def two_backup_groups(side: Side) -> str:
    # G2 at a lower priority times out later than G1 (3.8 s against 3.4 s): the order is fixed.
    third = {"name": "VI_3", "vrid": 53, "priority": 50, "state": "BACKUP", "vip": "192.0.2.101/24"}
    fourth = {"name": "VI_4", "vrid": 54, "priority": 50, "state": "BACKUP", "interface": "eth2"}
    return (
        global_defs(side.workdir)
        + group(side, "G1", ["VI_1", "VI_2"])
        + group(side, "G2", ["VI_3", "VI_4"])
        + instance(side.note, state="BACKUP")
        + instance(side.note, state="BACKUP", **SECOND_LINK)  # type: ignore[arg-type]
        + instance(side.note, **third)  # type: ignore[arg-type]
        + instance(side.note, vip="198.51.100.101/24", **fourth)  # type: ignore[arg-type]
    )


def test_two_sync_groups_starting_as_backup_notify_in_keepalived_order(lab: Lab, tmp_path: Path) -> None:
    waits = [f"(VI_{n}) setting VIPs." for n in (1, 2, 3, 4)]
    theirs, ours, logs = run(lab, tmp_path, two_backup_groups, waits, 12)
    # The groups first (vrrp_init_state), then each instance in config order; every instance
    # removes its VIPs before the first one starts.
    assert theirs.fifo[:6] == [
        'GROUP "G1" BACKUP 0',
        'GROUP "G2" BACKUP 0',
        'INSTANCE "VI_1" BACKUP 150',
        'INSTANCE "VI_2" BACKUP 150',
        'INSTANCE "VI_3" BACKUP 50',
        'INSTANCE "VI_4" BACKUP 50',
    ]
    assert_same(
        theirs,
        ours,
        [
            *(f"(VI_{n}) removing VIPs." for n in (1, 2, 3, 4)),
            *(f"(VI_{n}) Entering BACKUP STATE (init)" for n in (1, 2, 3, 4)),
            "VRRP_Group(G1) Syncing instances to MASTER state",
            "VRRP_Group(G2) Syncing instances to MASTER state",
        ],
    )
    check_startup_complete(logs)


# ---------------------------------------------------------------------------------------------
# 4. An instance whose link is down at start, tracking a weighted script, with nopreempt,
# preempt_delay or both: FAULT named once, no "Entering FAULT STATE", the script's result after;
# then the link comes back (no peer: BACKUP, then MASTER).


@pytest.mark.parametrize(
    "extra",
    ["", "  nopreempt", "  preempt_delay 3", "  nopreempt\n  preempt_delay 3"],
    ids=["preempt", "nopreempt", "preempt_delay", "both"],
)
def test_a_link_down_at_start_with_a_weighted_script_logs_as_keepalived(
    lab: Lab, tmp_path: Path, extra: str
) -> None:
    def conf(side: Side) -> str:
        side.ns.ip("link", "set", "eth3", "down")
        script = 'vrrp_script chk {\n  script "/bin/true"\n  interval 1\n  weight -20\n}\n'
        return (
            global_defs(side.workdir)
            + script
            + instance(side.note, state="BACKUP", extra=TRACK + "\n" + extra, **SECOND_LINK)  # type: ignore[arg-type]
        )

    def link_up(side: Side) -> None:
        side.ns.ip("link", "set", "eth3", "up")
        side.wait_log("(VI_2) setting VIPs.")
        side.settle(3)

    theirs, ours, logs = run(
        lab, tmp_path, conf, ["(VI_2) removing VIPs.", "VRRP_Script(chk) succeeded"], 1, then=link_up
    )
    assert theirs.fifo == [
        'INSTANCE "VI_2" FAULT 150',
        'INSTANCE "VI_2" BACKUP 150',
        'INSTANCE "VI_2" MASTER 150',
    ]
    expected = [
        "(VI_2): entering FAULT state (interface eth2 down)",
        "(VI_2) entering FAULT state",
        "(VI_2) removing VIPs.",
        "VRRP_Script(chk) succeeded",
        "Netlink reports eth2 up",
        "(VI_2) Entering BACKUP STATE",
        "(VI_2) Entering MASTER STATE",
    ]
    if "nopreempt\n" in extra:
        expected.insert(0, "(VI_2) preempt_delay is incompatible with nopreempt mode - resetting")
    assert_same(theirs, ours, expected)
    check_startup_complete(logs)
