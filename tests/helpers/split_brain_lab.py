"""The split-brain scenario on a real kernel (tests/netns/test_split_brain.py, bench/bench_split_brain.py).

Two VRRP nodes (priority 150 and 100, alived or keepalived 2.2.7) and a client on one bridge.
An nftables rule in each node's namespace drops incoming VRRP (ip protocol 112), so each hears
nobody and both become master. The client has talked to the VIP and its neighbour entry points
at the loser's MAC (set explicitly, the worst case: which master answers a client's ARP first
during a split brain is chance). The client keeps pinging the VIP, as a real client would. Then
the rules are removed: adverts flow, the priority-100 node yields, and the run records when one
master remained and when the client's neighbour entry for the VIP named the winner's MAC (None
if it did not within `heal_wait` seconds: the client is stale). With `vip=VIP6` the instance is
IPv6-only (VRRPv3, a `-nodad` VIP so both masters really hold it) and the rule drops IPv6's VRRP.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.helpers.cluster import make_lan
from tests.helpers.netns import Lab, Namespace, wait_for
from tests.helpers.peers import KeepalivedPeer, start_alived, start_keepalived

VIP = "192.0.2.100"
VIP6 = "2001:db8::100"
TABLE = "alived_sb_test"


def conf(priority: int, fifo: Path, vip: str = VIP) -> str:
    address = f"{vip}/64 -nodad" if ":" in vip else f"{vip}/24"
    return f"""global_defs {{
    notify_fifo {fifo}
}}
vrrp_instance VI_1 {{
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority {priority}
    advert_int 1
    virtual_ipaddress {{
        {address}
    }}
}}
"""


def drop_vrrp(ns: Namespace) -> None:
    ns.exec("nft", "add", "table", "inet", TABLE)
    ns.exec("nft", "add chain inet " + TABLE + " input { type filter hook input priority 0 ; }")
    ns.exec("nft", "add", "rule", "inet", TABLE, "input", "meta", "l4proto", "112", "drop")  # IPv4 and IPv6


def allow_vrrp(ns: Namespace) -> None:
    ns.exec("nft", "delete", "table", "inet", TABLE)


def mac_of(ns: Namespace, dev: str = "eth0") -> str:
    return str(json.loads(ns.ip("-j", "link", "show", "dev", dev).stdout)[0]["address"])


def neighbour_mac(ns: Namespace, address: str = VIP) -> str | None:
    entries = json.loads(ns.ip("-j", "neigh", "show", address, "dev", "eth0").stdout or "[]")
    return str(entries[0].get("lladdr")) if entries and entries[0].get("lladdr") else None


class FifoReader:
    """Reads a notify FIFO the daemon writes (created here, opened before the daemon starts)."""

    def __init__(self, path: Path) -> None:
        os.mkfifo(path, 0o644)
        self.path = path
        self._fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        self.text = ""

    def read(self) -> str:
        try:
            while chunk := os.read(self._fd, 65536):
                self.text += chunk.decode(errors="replace")
        except BlockingIOError:
            pass
        return self.text

    def close(self) -> None:
        os.close(self._fd)


@dataclass
class Side:
    """One node of the scenario."""

    ns: Namespace
    peer: KeepalivedPeer
    fifo: FifoReader
    mac: str
    vip: str = VIP

    def log(self) -> str:
        return self.peer.log_text()

    def state(self) -> str:
        found = re.findall(r"\(VI_1\) Entering (\w+) STATE", self.log())
        return found[-1] if found else ""

    def master(self) -> bool:
        return self.state() == "MASTER" and self.ns.has_address("eth0", self.vip)

    def backup(self) -> bool:
        return self.state() == "BACKUP" and not self.ns.has_address("eth0", self.vip)

    def status_socket(self) -> str:
        return str(self.peer.conf.parent / f"{self.peer.conf.stem}_vrrp.sock")


@dataclass
class Outcome:
    kind: str
    winner: Side
    loser: Side
    client: Namespace
    both_master_at: float = 0.0
    detected_after_s: float | None = None  # from both master to both logging it (alived only)
    one_master_after_s: float | None = None  # from the rules' removal
    client_ok_after_s: float | None = None  # from the rules' removal; None: still stale
    notes: list[str] = field(default_factory=list)


def setup(lab: Lab, workdir: Path, kind: str, vip: str = VIP) -> Outcome:
    """Start both nodes with VRRP dropped; return once both are master."""
    lan = make_lan(lab, 3, ipv6=":" in vip)
    a_ns, b_ns, client = lan.hosts
    for ns in (a_ns, b_ns):
        drop_vrrp(ns)
    start = start_alived if kind == "alived" else start_keepalived
    sides = []
    for ns, prio, tag in ((a_ns, 150, "a"), (b_ns, 100, "b")):
        fifo = FifoReader(workdir / f"{kind}-{tag}.fifo")
        peer = start(ns, conf(prio, fifo.path, vip), workdir, f"{kind}{tag}")
        sides.append(Side(ns, peer, fifo, mac_of(ns), vip))
    winner, loser = sides
    wait_for(
        lambda: winner.master() and loser.master(), timeout=40, what=f"both {kind} nodes master (split brain)"
    )
    return Outcome(kind=kind, winner=winner, loser=loser, client=client, both_master_at=time.monotonic())


# A split brain lasts longer than the masters' second gratuitous ARP burst (garp_master_delay,
# 5 s after becoming master), which would otherwise correct the client by coincidence.
SPLIT_FOR_S = 7.0


def client_talks_to_loser(out: Outcome, *, keep_pinging: bool) -> None:
    """The client reaches the VIP and its entry names the loser; `keep_pinging`: 5 pings/s from now on.

    Without traffic only an announcement (gratuitous ARP) can correct the entry; with it, the
    client's own neighbour probing also does, after its delay_first_probe_time (5 s) and probes.
    """
    time.sleep(max(0.0, out.both_master_at + SPLIT_FOR_S - time.monotonic()))
    vip = out.winner.vip
    out.client.exec("ping", "-c", "1", "-W", "2", vip)

    def names_loser() -> bool:
        out.client.ip("neigh", "replace", vip, "lladdr", out.loser.mac, "dev", "eth0", "nud", "stale")
        return neighbour_mac(out.client, vip) == out.loser.mac

    # While both are master, a late answer to the ping's solicitation or (IPv6) a master's NA to
    # the other's probe reaches the client too and may rewrite the entry between the two
    # commands: set it until it reads back.
    wait_for(names_loser, timeout=30, what="the client's entry naming the loser")
    if keep_pinging:
        out.client.popen("ping", "-i", "0.2", "-W", "1", vip)


def heal(out: Outcome, heal_wait: float, *, loser_first: bool) -> None:
    """Remove the rules; record one master and the client's neighbour entry naming the winner.

    `loser_first`: the loser's rule goes first and the winner's only once the loser is backup, so
    the winner never hears a lower-priority advert (keepalived's stale case, made certain);
    otherwise both go at once and which side hears the other first is chance.
    """
    t0 = time.monotonic()
    if loser_first:
        allow_vrrp(out.loser.ns)
        wait_for(out.loser.backup, timeout=40, interval=0.01, what="the loser to yield")
        allow_vrrp(out.winner.ns)
    else:
        for side in (out.winner, out.loser):
            allow_vrrp(side.ns)
    deadline = t0 + heal_wait
    while time.monotonic() < deadline and (out.one_master_after_s is None or out.client_ok_after_s is None):
        now = time.monotonic() - t0
        if out.one_master_after_s is None and out.winner.master() and out.loser.backup():
            out.one_master_after_s = now
        if out.client_ok_after_s is None and neighbour_mac(out.client, out.winner.vip) == out.winner.mac:
            out.client_ok_after_s = time.monotonic() - t0
        time.sleep(0.01)


def wait_detected(out: Outcome) -> None:
    """alived: both masters log the split brain; records how long after both were master."""
    for side in (out.winner, out.loser):
        wait_for(
            lambda s=side: "Split brain:" in s.log(), timeout=40, interval=0.01, what="the split brain logged"
        )
    out.detected_after_s = time.monotonic() - out.both_master_at


def run(
    lab: Lab, workdir: Path, kind: str, *, loser_first: bool, keep_pinging: bool, heal_wait: float = 15.0
) -> Outcome:
    out = setup(lab, workdir, kind)
    try:
        if kind == "alived":
            wait_detected(out)
        client_talks_to_loser(out, keep_pinging=keep_pinging)
        if not loser_first:
            # The split's length is counted from the loser becoming master, so without this the
            # rules would always go just after the loser's advert and the winner's would reach it
            # first: a random phase gives each side its chance to be heard first.
            time.sleep(random.uniform(0.0, 1.0))
        heal(out, heal_wait, loser_first=loser_first)
    finally:
        for side in (out.winner, out.loser):
            side.fifo.close()
    return out
