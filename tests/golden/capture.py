"""Run real keepalived 2.2.7 in a namespace and capture what it puts on the wire (netns tier only).

One keepalived process runs every variant the codec must match, each as its own vrrp_instance:
v2 without auth, v2 PASS, v2 AH (multicast and unicast), v3 IPv4 multicast, v3 IPv4 unicast
(current and old_unicast_checksum), v3 IPv6. tcpdump on the sender's eth0 records Ethernet frames.
Used by tests/netns/test_capture_keepalived.py and tests/golden/make_golden.py.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass, replace
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path

from tests.golden.pcap import read_pcap
from tests.helpers.netns import Lab, Namespace, wait_for

SENDER4 = IPv4Address("192.0.2.1")
PEER4 = IPv4Address("192.0.2.2")
SENDER6 = IPv6Address("2001:db8::1")


@dataclass(frozen=True, slots=True, kw_only=True)
class GoldenInstance:
    """What the config says about one vrrp_instance, i.e. what its packets must carry."""

    name: str
    version: int
    vrid: int
    priority: int
    adver_int: int  # wire unit: seconds for v2, centiseconds for v3
    addresses: tuple[str, ...]
    auth_type: int = 0
    auth_pass: str = ""
    unicast: bool = False
    old_unicast_checksum: bool = False


INSTANCES = (
    GoldenInstance(
        name="V2_NONE",
        version=2,
        vrid=11,
        priority=255,
        adver_int=1,
        addresses=("192.0.2.111", "192.0.2.112"),
    ),
    GoldenInstance(
        name="V2_PASS",
        version=2,
        vrid=12,
        priority=255,
        adver_int=1,
        addresses=("192.0.2.121",),
        auth_type=1,
        auth_pass="secret123456",
    ),
    GoldenInstance(
        name="V2_AH",
        version=2,
        vrid=13,
        priority=200,
        adver_int=1,
        addresses=("192.0.2.131",),
        auth_type=2,
        auth_pass="ahpass",
    ),
    GoldenInstance(
        name="V2_AH_UC",
        version=2,
        vrid=18,
        priority=200,
        adver_int=1,
        addresses=("192.0.2.181",),
        auth_type=2,
        auth_pass="ahunicastpass",
        unicast=True,
    ),
    GoldenInstance(name="V3_MC", version=3, vrid=14, priority=255, adver_int=50, addresses=("192.0.2.141",)),
    GoldenInstance(
        name="V3_UC",
        version=3,
        vrid=15,
        priority=255,
        adver_int=100,
        addresses=("192.0.2.151",),
        unicast=True,
    ),
    GoldenInstance(
        name="V3_UC_OLD",
        version=3,
        vrid=17,
        priority=255,
        adver_int=100,
        addresses=("192.0.2.171",),
        unicast=True,
        old_unicast_checksum=True,
    ),
    GoldenInstance(
        name="V3_V6",
        version=3,
        vrid=16,
        priority=255,
        adver_int=100,
        addresses=("2001:db8::16", "2001:db8::17"),
    ),
)
BY_VRID = {inst.vrid: inst for inst in INSTANCES}
# A negative control for the receive test: our sender uses a wrong key for it, so keepalived must refuse.
WRONG_KEY_AH = GoldenInstance(
    name="V2_AH_WRONG",
    version=2,
    vrid=19,
    priority=255,
    adver_int=1,
    addresses=("192.0.2.191",),
    auth_type=2,
    auth_pass="right",
)


def keepalived_conf(instances: tuple[GoldenInstance, ...] = INSTANCES, *, backup_priority: int = 0) -> str:
    """The keepalived.conf behind every golden packet; backup_priority makes every instance a BACKUP."""
    blocks = ["global_defs {\n    router_id golden\n}\n"]
    for golden in instances:
        inst = replace(golden, priority=backup_priority) if backup_priority else golden
        # AH forbids state MASTER, so those instances start BACKUP and take over after Master_Down_Interval.
        state = "MASTER" if inst.priority == 255 else "BACKUP"
        interval = inst.adver_int if inst.version == 2 else inst.adver_int / 100
        lines = [f"vrrp_instance {inst.name} {{", "    interface eth0", f"    state {state}"]
        if inst.version == 3:
            lines.append("    version 3")
        lines += [
            f"    virtual_router_id {inst.vrid}",
            f"    priority {inst.priority}",
            f"    advert_int {interval:g}",
        ]
        if inst.unicast:
            lines += ["    unicast_peer {", f"        {PEER4}", "    }"]
        if inst.old_unicast_checksum:
            lines.append("    old_unicast_checksum")
        if inst.auth_type:
            kind = {1: "PASS", 2: "AH"}[inst.auth_type]
            lines += [
                "    authentication {",
                f"        auth_type {kind}",
                f"        auth_pass {inst.auth_pass}",
                "    }",
            ]
        prefix = 64 if ":" in inst.addresses[0] else 24
        lines += ["    virtual_ipaddress {", *(f"        {a}/{prefix}" for a in inst.addresses), "    }", "}"]
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def _is_vrrp(frame: bytes) -> bool:
    if frame[12:14] == b"\x08\x00":
        return frame[14 + 9] in (51, 112)
    return frame[12:14] == b"\x86\xdd" and frame[14 + 6] == 112


def make_pair(lab: Lab) -> tuple[Namespace, Namespace]:
    """keepalived's namespace (192.0.2.1, 2001:db8::1) and a peer (192.0.2.2) on one bridge."""
    sender, peer = lab.netns("ka"), lab.netns("peer")
    lab.lan([sender, peer])
    sender.ip("addr", "add", f"{SENDER4}/24", "dev", "eth0")
    sender.ip("addr", "add", f"{SENDER6}/64", "dev", "eth0")
    peer.ip("addr", "add", f"{PEER4}/24", "dev", "eth0")
    return sender, peer


def start_keepalived(ns: Namespace, workdir: Path, conf_text: str) -> subprocess.Popen[bytes]:
    """keepalived 2.2.7, VRRP only, in the foreground, private pid files, log in workdir."""
    workdir.mkdir(parents=True, exist_ok=True)
    conf = workdir / "keepalived.conf"
    conf.write_text(conf_text)
    pids = [
        "-p",
        str(workdir / "keepalived.pid"),
        "-r",
        str(workdir / "vrrp.pid"),
        "-c",
        str(workdir / "check.pid"),
    ]
    return ns.popen(
        "keepalived", "-n", "-l", "-D", "--vrrp", "-f", str(conf), *pids, log=workdir / "keepalived.log"
    )


def capture_keepalived(
    lab: Lab, workdir: Path, *, adverts_per_instance: int = 3
) -> tuple[Namespace, list[bytes]]:
    """Run keepalived until every instance has sent some adverts, stop it, return all frames it sent.

    The stop is a SIGTERM, so the capture also holds each instance's priority-0 advert.
    """
    sender, _ = make_pair(lab)
    workdir.mkdir(parents=True, exist_ok=True)
    pcap = workdir / "keepalived.pcap"
    dump = sender.popen(
        "tcpdump", "-i", "eth0", "-U", "-s", "0", "-w", str(pcap), log=workdir / "tcpdump.log"
    )
    wait_for(lambda: pcap.exists() and pcap.stat().st_size >= 24, what="tcpdump to start")
    time.sleep(0.3)  # tcpdump writes its header just before the capture is armed
    keepalived = start_keepalived(sender, workdir, keepalived_conf())

    def enough() -> bool:
        counts = dict.fromkeys(BY_VRID, 0)
        for rec in read_pcap(pcap)[1]:
            if _is_vrrp(rec.data):
                vrid = vrrp_vrid(rec.data)
                counts[vrid] = counts.get(vrid, 0) + 1
        return all(n >= adverts_per_instance for n in counts.values())

    wait_for(enough, timeout=20, interval=0.2, what="adverts from every keepalived instance")
    lab.kill(keepalived)
    time.sleep(0.3)  # let tcpdump write the priority-0 adverts
    lab.kill(dump)
    return sender, [rec.data for rec in read_pcap(pcap)[1]]


def vrrp_vrid(frame: bytes) -> int:
    """The VRID of an Ethernet frame carrying VRRP (AH or not)."""
    if frame[12:14] == b"\x86\xdd":
        return frame[14 + 40 + 1]
    ihl = (frame[14] & 0x0F) * 4
    offset = 14 + ihl + (24 if frame[14 + 9] == 51 else 0)
    return frame[offset + 1]


def vrrp_frames(frames: list[bytes]) -> list[bytes]:
    return [f for f in frames if _is_vrrp(f)]


def garp_frames(frames: list[bytes]) -> list[bytes]:
    return [f for f in frames if f[12:14] == b"\x08\x06" and f[20:22] == b"\x00\x01" and f[28:32] == f[38:42]]


def na_frames(frames: list[bytes]) -> list[bytes]:
    """Unsolicited NAs only: a solicited one (S flag) is the kernel answering a neighbour."""
    return [
        f
        for f in frames
        if f[12:14] == b"\x86\xdd" and f[14 + 6] == 58 and f[14 + 40] == 136 and not f[14 + 44] & 0x40
    ]
