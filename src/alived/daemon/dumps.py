"""keepalived's dump files: SIGUSR1 `.data`, SIGUSR2 `keepalived.stats`, the JSON signal's `keepalived.json`.

The VRRP child describes each instance as an `InstanceReport`; this module only formats
and writes. Files go to `$TMPDIR` (when set, absolute and a directory) else `/tmp`, mode
0600, through an unpredictable O_EXCL|O_NOFOLLOW temporary name renamed over the target,
so a symlink planted at the target or a guessed temp name is never followed.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

# keepalived's numeric states in the JSON dump.
JSON_STATE = {"INIT": 0, "BACKUP": 1, "MASTER": 2, "FAULT": 3, "DELETED": 97, "STOP": 98}

STATS_KEYS = (
    "advert_rcvd",
    "advert_sent",
    "become_master",
    "release_master",
    "packet_len_err",
    "advert_interval_err",
    "ip_ttl_err",
    "invalid_type_rcvd",
    "addr_list_err",
    "invalid_authtype",
    "authtype_mismatch",
    "auth_failure",
    "pri_zero_rcvd",
    "pri_zero_sent",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class InstanceReport:
    """What the dumps say about one VRRP instance (names follow keepalived's JSON keys)."""

    iname: str
    state: str
    wantstate: str
    interface: str
    vrid: int
    version: int
    base_priority: int
    effective_priority: int
    adver_int_us: int
    master_adver_int_us: int
    accept: bool
    nopreempt: bool
    preempt_delay_us: int
    auth_type: int
    vips: tuple[str, ...]
    evips: tuple[str, ...] = ()
    vroutes: tuple[str, ...] = ()
    vrules: tuple[str, ...] = ()
    vipset: bool = False
    src_ip: str = ""
    mcast_addr: str = ""
    unicast_peers: tuple[str, ...] = ()
    master_down_timer_us: int | None = None
    last_transition: float = 0.0
    notify_scripts: tuple[tuple[str, str], ...] = ()  # (label, command)
    stats: dict[str, int] = field(default_factory=dict)


def dump_dir() -> Path:
    """`$TMPDIR` when set, absolute and a directory; otherwise /tmp (keepalived set_tmp_dir)."""
    env = os.environ.get("TMPDIR", "")
    if env and Path(env).is_absolute() and Path(env).is_dir():
        return Path(env)
    return Path("/tmp")


def write_dump_file(name: str, text: str, directory: Path | None = None) -> Path:
    """Write `text` to `directory/name` (mode 0600) atomically and without following symlinks."""
    where = dump_dir() if directory is None else directory
    target = where / name
    tmp = where / f".{name}.{secrets.token_hex(8)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        tmp.replace(target)  # rename replaces a symlink itself, never its target
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def _interval(us: int) -> str:
    if us % 1_000_000 == 0:
        return f"{us // 1_000_000} sec"
    return f"{us // 1000} milli-sec"


def format_data(reports: Sequence[InstanceReport], global_lines: Sequence[str] = ()) -> str:
    """The SIGUSR1 `keepalived.data` text (human-readable; keepalived calls it unstable)."""
    out = ["------< Global definitions >------", *(f" {line}" for line in global_lines)]
    out.append("------< VRRP Topology >------")
    for r in reports:
        out.append(f" VRRP Instance = {r.iname}")
        out.append(f"   VRRP Version = {r.version}")
        out.append(f"   State = {r.state}")
        out.append(f"   Wantstate = {r.wantstate}")
        if r.master_down_timer_us is not None:
            out.append(f"   Master down timer = {r.master_down_timer_us} usecs")
        out.append(f"   Interface = {r.interface}")
        if r.src_ip:
            out.append(f"   Using src_ip = {r.src_ip}")
        if r.unicast_peers:
            out.append("   Unicast Peer(s):")
            out.extend(f"     {peer}" for peer in r.unicast_peers)
        elif r.mcast_addr:
            out.append(f"   Multicast address {r.mcast_addr}")
        out.append(f"   Virtual Router ID = {r.vrid}")
        out.append(f"   Priority = {r.base_priority}")
        out.append(f"   Effective priority = {r.effective_priority}")
        out.append(f"   Advert interval = {_interval(r.adver_int_us)}")
        out.append(f"   Accept = {'enabled' if r.accept else 'disabled'}")
        out.append(f"   Preempt = {'disabled' if r.nopreempt else 'enabled'}")
        if r.preempt_delay_us:
            out.append(f"   Preempt delay = {r.preempt_delay_us / 1_000_000:g} secs")
        out.append(f"   Authentication type = {('none', 'SIMPLE_PASSWORD', 'IPSEC_AH')[r.auth_type]}")
        out.append(f"   Virtual IP ({len(r.vips)}):")
        out.extend(f"     {vip}" for vip in r.vips)
        if r.evips:
            out.append(f"   Virtual IP Excluded ({len(r.evips)}):")
            out.extend(f"     {vip}" for vip in r.evips)
        if r.vroutes:
            out.append(f"   Virtual Routes ({len(r.vroutes)}):")
            out.extend(f"     {route}" for route in r.vroutes)
        if r.vrules:
            out.append(f"   Virtual Rules ({len(r.vrules)}):")
            out.extend(f"     {rule}" for rule in r.vrules)
        out.extend(f"   {label} = '{command}', uid:gid 0:0" for label, command in r.notify_scripts)
    return "\n".join(out) + "\n"


def format_stats(reports: Sequence[InstanceReport]) -> str:
    """The SIGUSR2 `keepalived.stats` text, in keepalived 2.2.7's layout."""
    out: list[str] = []
    for r in reports:
        s = r.stats.get
        out += [
            f"VRRP Instance: {r.iname}",
            "  Advertisements:",
            f"    Received: {s('advert_rcvd', 0)}",
            f"    Sent: {s('advert_sent', 0)}",
            f"  Became master: {s('become_master', 0)}",
            f"  Released master: {s('release_master', 0)}",
            "  Packet Errors:",
            f"    Length: {s('packet_len_err', 0)}",
            f"    TTL: {s('ip_ttl_err', 0)}",
            f"    Invalid Type: {s('invalid_type_rcvd', 0)}",
            f"    Advertisement Interval: {s('advert_interval_err', 0)}",
            f"    Address List: {s('addr_list_err', 0)}",
            "  Authentication Errors:",
            f"    Invalid Type: {s('invalid_authtype', 0)}",
            f"    Type Mismatch: {s('authtype_mismatch', 0)}",
            f"    Failure: {s('auth_failure', 0)}",
            "  Priority Zero:",
            f"    Received: {s('pri_zero_rcvd', 0)}",
            f"    Sent: {s('pri_zero_sent', 0)}",
        ]
    return "\n".join(out) + "\n"


def json_document(reports: Sequence[InstanceReport]) -> list[dict[str, object]]:
    """keepalived's `json_version 1` document: one {"data", "stats"} object per instance."""
    doc: list[dict[str, object]] = []
    for r in reports:
        data: dict[str, object] = {
            "iname": r.iname,
            "ifp_ifname": r.interface,
            "last_transition": r.last_transition,
            "vrid": r.vrid,
            "base_priority": r.base_priority,
            "effective_priority": r.effective_priority,
            "vipset": r.vipset,
            "adver_int": r.adver_int_us // 1_000_000 if r.adver_int_us % 1_000_000 == 0 else r.adver_int_us,
            "master_adver_int": r.master_adver_int_us,
            "accept": r.accept,
            "nopreempt": r.nopreempt,
            "preempt_delay": r.preempt_delay_us,
            "state": JSON_STATE.get(r.state, 0),
            "wantstate": JSON_STATE.get(r.wantstate, 0),
            "version": r.version,
            "vips": list(r.vips),
            "evips": list(r.evips),
            "vroutes": list(r.vroutes),
            "vrules": list(r.vrules),
            "auth_type": r.auth_type,
        }
        stats = {key: r.stats.get(key, 0) for key in STATS_KEYS}
        doc.append({"data": data, "stats": stats})
    return doc


def format_json(reports: Sequence[InstanceReport]) -> str:
    # keepalived's JSON writer escapes '/', which JSON allows; readers see the same strings.
    return json.dumps(json_document(reports), separators=(",", ":")).replace("/", "\\/")
