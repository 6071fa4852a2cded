"""Malformed VRRP packets move the counters keepalived 2.2.7 moves, in every place alived reports them.

One LAN: keepalived (n0) and alived (n1) run the same config; n2 injects one malformed packet of
each kind (raw socket, tests/helpers/inject.py). Then keepalived.stats of both, alived's
keepalived.json and `alivectl status --json` must show the same counts. The one intended
difference: keepalived 2.2.7 drops a v2 advert with another interval without counting it (its
advert_interval_err never moves), alived counts it there (README, "Dump files").
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import replace
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import pytest

from alived.core.vrrp import stats
from alived.core.vrrp.auth import pass_field
from alived.core.vrrp.wire import VRRP_GROUP4, Advert, encode_advert, internet_checksum
from tests.helpers.cluster import make_lan
from tests.helpers.dumpdiff import stats_counters
from tests.helpers.inject import ipv4
from tests.helpers.netns import Lab, Namespace, wait_for
from tests.helpers.peers import start_alived, start_keepalived

pytestmark = pytest.mark.netns

ROOT = Path(__file__).resolve().parents[2]
ALIVECTL = str(Path(sys.executable).parent / "alivectl")
INJECTOR = IPv4Address("192.0.2.3")
VIP = IPv4Address("192.0.2.100")
CONF = """global_defs {
    enable_script_security
    log_unknown_vrids
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass s3cret
    }
    virtual_ipaddress {
        192.0.2.100/24
    }
}
"""
GOOD = Advert(
    version=2,
    vrid=51,
    priority=50,
    adver_int=1,
    addresses=(VIP,),
    auth_type=1,
    auth_data=pass_field("s3cret"),
)


def _vrrp(advert: Advert) -> bytes:
    return encode_advert(advert, source=INJECTOR, destination=VRRP_GROUP4)


def _resum(vrrp: bytes) -> bytes:
    body = bytearray(vrrp)
    body[6:8] = b"\0\0"
    body[6:8] = internet_checksum(bytes(body)).to_bytes(2, "big")
    return bytes(body)


def _packet(vrrp: bytes, ttl: int = 255) -> bytes:
    return ipv4(vrrp, source=INJECTOR, destination=VRRP_GROUP4, ttl=ttl)


def malformed() -> dict[str, bytes]:
    """One packet per kind, each wrong in one way only."""
    two = _vrrp(replace(GOOD, addresses=(VIP, IPv4Address("192.0.2.101"))))
    bad_sum = bytearray(_vrrp(GOOD))
    bad_sum[7] ^= 0xFF
    return {
        "ttl": _packet(_vrrp(GOOD), ttl=1),
        "type": _packet(_resum(bytes([0x22]) + _vrrp(GOOD)[1:])),
        "short": _packet(two[:12] + two[16:]),  # says two addresses, carries one
        "long": _packet(_resum(_vrrp(GOOD) + bytes(4))),
        "auth_type": _packet(_vrrp(replace(GOOD, auth_type=3))),
        "auth_mismatch": _packet(_vrrp(replace(GOOD, auth_type=0, auth_data=bytes(8)))),
        "password": _packet(_vrrp(replace(GOOD, auth_data=pass_field("wrong")))),
        "interval": _packet(_vrrp(replace(GOOD, adver_int=3))),
        "address_list": _packet(_vrrp(replace(GOOD, addresses=(IPv4Address("192.0.2.199"),)))),
        "version": _packet(_vrrp(Advert(version=3, vrid=51, priority=50, adver_int=100, addresses=(VIP,)))),
        "checksum": _packet(bytes(bad_sum)),
        "unknown_vrid": _packet(_vrrp(replace(GOOD, vrid=99))),  # counted nowhere, logged
        "priority_0": _packet(_vrrp(replace(GOOD, priority=0))),
    }


# What each packet moves in keepalived 2.2.7 (read from vrrp_check_packet) and in alived.
EXPECTED = {
    "ip_ttl_err": 1,
    "invalid_type_rcvd": 1,
    "packet_len_err": 2,
    "invalid_authtype": 1,
    "authtype_mismatch": 1,
    "auth_failure": 1,
    "addr_list_err": 1,
    "pri_zero_rcvd": 1,
    "advert_interval_err": 0,
}
ALIVED_ONLY = {"advert_interval_err": 1, "vers_err": 1, "chk_err": 1}
# These depend on which of the two is master, not on the packets.
STATE_COUNTERS = {"advert_rcvd", "advert_sent", "become_master", "release_master", "pri_zero_sent"}


def test_each_malformed_packet_moves_its_counter_in_stats_json_and_status(lab: Lab, tmp_path: Path) -> None:
    lan = make_lan(lab, 3)
    n0, n1, n2 = lan.hosts
    ka_tmp, al_tmp = tmp_path / "ka_tmp", tmp_path / "al_tmp"
    ka_tmp.mkdir()
    al_tmp.mkdir()
    ka = start_keepalived(n0, CONF, tmp_path / "ka", env={**os.environ, "TMPDIR": str(ka_tmp)})
    # Equal priorities: the first master stays (a backup yields to an equal priority), so
    # keepalived is master and alived backup; adverts flow.
    wait_for(lambda: n0.has_address("eth0", str(VIP)), timeout=40, what="keepalived master")
    al = start_alived(n1, CONF, tmp_path / "al", env={"TMPDIR": str(al_tmp)})
    wait_for(lambda: "(VI_1) Entering BACKUP STATE" in al.log_text(), timeout=40, what="alived backup")

    packets = malformed()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    sent = n2.popen(
        sys.executable, "-m", "tests.helpers.inject", "eth0", *(p.hex() for p in packets.values()),
        log=tmp_path / "inject.log", env=env,
    )  # fmt: skip
    assert sent.wait(timeout=20) == 0, (tmp_path / "inject.log").read_text()

    def status() -> dict[str, int]:
        out = subprocess.run(
            [ALIVECTL, "status", "--json", "--pid-file", str(tmp_path / "al" / "alived_vrrp.pid")],
            capture_output=True, text=True, timeout=20, check=True,
        ).stdout  # fmt: skip
        (row,) = json.loads(out)["instances"]
        counters: dict[str, int] = row["stats"]
        return counters

    # The priority-0 packet went last: once alived counted it, it has seen them all.
    wait_for(lambda: status()["pri_zero_rcvd"] == 1, timeout=40, what="alived counted the packets")
    shown = status()

    def dumped(
        ns: Namespace, proc: subprocess.Popen[bytes], where: Path
    ) -> tuple[dict[str, int], dict[str, Any]]:
        """Both files, written after the last packet was counted (keepalived writes in place)."""
        found: list[tuple[dict[str, int], dict[str, Any]]] = []

        def fresh() -> bool:
            for name in ("keepalived.stats", "keepalived.json"):
                (where / name).unlink(missing_ok=True)
            os.kill(proc.pid, signal.SIGUSR2)
            os.kill(proc.pid, signal.SIGRTMIN + 2)
            files = [where / "keepalived.json", where / "keepalived.stats"]
            # Read once their writer has closed them, not while it is still writing.
            wait_for(lambda: all(f.exists() and not ns.holds_open(f) for f in files), what="both dumps")
            try:
                counts = stats_counters((where / "keepalived.stats").read_text())["VI_1"]
                (entry,) = json.loads((where / "keepalived.json").read_text())
            except (ValueError, KeyError):
                return False
            found.append((counts, entry))
            return counts["pri_zero_rcvd"] == 1 and entry["stats"]["pri_zero_rcvd"] == 1

        wait_for(fresh, timeout=40, interval=0.3, what=f"the dumps in {where.name}")
        return found[-1]

    ka_stats, ka_json = dumped(n0, ka.proc, ka_tmp)
    al_stats, al_json = dumped(n1, al.proc, al_tmp)

    errors_ka = {k: v for k, v in ka_stats.items() if k not in STATE_COUNTERS}
    assert errors_ka == {**dict.fromkeys(errors_ka, 0), **EXPECTED}, "keepalived itself counts otherwise"
    assert {k: v for k, v in ka_json["stats"].items() if k not in STATE_COUNTERS} == errors_ka

    want = {**EXPECTED, **ALIVED_ONLY}
    for source in (al_stats, al_json["stats"], shown):
        errors = {k: v for k, v in source.items() if k not in STATE_COUNTERS}
        assert errors == {k: want.get(k, 0) for k in errors}
    # alived's files carry exactly keepalived's keys; status --json carries every counter.
    assert list(al_json["stats"]) == list(ka_json["stats"]) == list(stats.KEEPALIVED)
    assert set(al_stats) == set(ka_stats)
    assert list(shown) == list(stats.ALL)
    assert "(VI_1) dropped a malformed VRRP packet" in al.log_text()
    unknown = "Unknown VRID(99) received on interface(eth0). ignoring..."
    assert unknown in ka.log_text() and unknown in al.log_text()
