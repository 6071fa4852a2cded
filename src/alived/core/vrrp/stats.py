"""Per-instance VRRP counters: the one table of names the core counts and every report reads.

keepalived 2.2.7 reports fourteen `vrrp_stats` fields in `keepalived.stats` (SIGUSR2) and in the
`stats` object of `keepalived.json`; `KEEPALIVED` lists them in its JSON order and `STATS_FILE`
gives the sections and labels of its `.stats` layout. keepalived also counts wrong-version and
bad-checksum packets (`vers_err`, `chk_err`) for SNMP only, and alived counts a few drops of its
own: those `EXTRA` counters are shown by `alivectl status --json` only, so the two dump files keep
keepalived's exact keys. `Counters` refuses any name not listed here, so nothing can be counted
that no report shows, and the reports iterate these tables, so nothing is shown that is never counted.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

# keepalived's vrrp_stats fields in its JSON dump, in its order.
KEEPALIVED: tuple[str, ...] = (
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

# keepalived.stats: (section header or "" for a top-level line, ((label, name), ...)), in file order.
STATS_FILE: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Advertisements", (("Received", "advert_rcvd"), ("Sent", "advert_sent"))),
    ("", (("Became master", "become_master"),)),
    ("", (("Released master", "release_master"),)),
    (
        "Packet Errors",
        (
            ("Length", "packet_len_err"),
            ("TTL", "ip_ttl_err"),
            ("Invalid Type", "invalid_type_rcvd"),
            ("Advertisement Interval", "advert_interval_err"),
            ("Address List", "addr_list_err"),
        ),
    ),
    (
        "Authentication Errors",
        (
            ("Invalid Type", "invalid_authtype"),
            ("Type Mismatch", "authtype_mismatch"),
            ("Failure", "auth_failure"),
        ),
    ),
    ("Priority Zero", (("Received", "pri_zero_rcvd"), ("Sent", "pri_zero_sent"))),
)

# Counted, but outside keepalived's two files: name -> what it counts.
EXTRA: Mapping[str, str] = {
    "vers_err": "adverts of another VRRP version (keepalived counts it for SNMP only)",
    "chk_err": "adverts with a bad VRRP checksum (keepalived counts it for SNMP only)",
    "ip_header_err": "packets whose IP header is malformed (the kernel normally drops them first)",
    "vrid_mismatch": "adverts for another VRID handed to this instance",
    "family_mismatch": "adverts of the other address family handed to this instance",
    "owner_ignored": "adverts ignored because the address owner has owner_ignore_adverts",
    "unicast_src_err": "unicast adverts from a source that is not a unicast_peer",
    "dropped_in_state": "inputs that mean nothing in the current state (e.g. an advert in FAULT)",
}

ALL: tuple[str, ...] = KEEPALIVED + tuple(EXTRA)

# The codec's DecodeError reasons, for a packet whose VRID is readable, to the counter keepalived
# bumps at the same check (vrrp_check_packet).
DECODE_REASONS: Mapping[str, str] = {
    "short": "packet_len_err",
    "truncated": "packet_len_err",
    "too_long": "packet_len_err",
    "bad_tot_len": "packet_len_err",
    "bad_type": "invalid_type_rcvd",
    "ttl": "ip_ttl_err",
    "bad_ah": "auth_failure",
    "bad_version": "vers_err",
    "bad_checksum": "chk_err",
    "bad_ip_version": "ip_header_err",
    "bad_ihl": "ip_header_err",
    "bad_ip_checksum": "ip_header_err",
    "fragment": "ip_header_err",
    "bad_protocol": "ip_header_err",
}


def decode_stat(reason: str) -> str:
    """The counter for a codec rejection; a reason the table does not know is an IP header error."""
    return DECODE_REASONS.get(reason, "ip_header_err")


class Counters:
    """One instance's counters, every name in `ALL` present from the start."""

    __slots__ = ("_values",)

    def __init__(self) -> None:
        self._values: dict[str, int] = dict.fromkeys(ALL, 0)

    def bump(self, name: str) -> None:
        if name not in self._values:
            raise KeyError(f"{name!r} is not a VRRP counter (core/vrrp/stats.py lists them)")
        self._values[name] += 1

    def __getitem__(self, name: str) -> int:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def snapshot(self) -> dict[str, int]:
        return dict(self._values)

    def clear(self) -> None:
        for name in self._values:
            self._values[name] = 0
