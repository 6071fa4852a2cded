"""The VRRP child's socket pool: one socket per (interface, family, unicast, source, protocol).

keepalived shares a socket between every instance with the same key and tells them apart by
VRID; so does the pool. It opens sockets as plans ask, keeps the per-VRID index, decodes what
arrives and hands each packet (or its decode error) on to the instances' acceptance. Socket
types are passed in, so tests run the pool on tests/helpers/fake_linux.py's sockets.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from functools import partial
from ipaddress import IPv4Address, IPv6Address
from typing import cast

from alived.core.vrrp.repeat import RepeatFilter
from alived.core.vrrp.wire import (
    ReceivedPacket,
    decode_ipv4_packet,
    decode_ipv6_payload,
    peek_vrid,
)
from alived.daemon.vrrp.translate import InstancePlan, SocketKey
from alived.errors import BackendError, DecodeError
from alived.linux.vrrp_socket import AH_PROTO, VRRP_PROTO, Vrrp4Socket, Vrrp6Socket

log = logging.getLogger("alived.vrrp")


@dataclass
class SocketEntry:
    """One VRRP socket and the instances (by VRID) that share it."""

    key: SocketKey
    sock: Vrrp4Socket | Vrrp6Socket
    by_vrid: dict[int, list[str]] = field(default_factory=dict)
    v3_checksum_as_v2: bool = False  # some instance here sums v3 the v2 way
    repeats: RepeatFilter = field(default_factory=RepeatFilter)  # last accepted IPv4 advert per VRID

    @property
    def family(self) -> int:
        return self.key[1]


# Returns True when the packet was accepted so that a byte-equal repeat may take the short way.
Deliver = Callable[[SocketEntry, ReceivedPacket, bool], "bool | None"]
Repeat = Callable[[SocketEntry, int], bool]
Malformed = Callable[[SocketEntry, DecodeError, "int | None"], None]


class SocketPool:
    """The open VRRP sockets by key, which instances listen on each, and the receive path."""

    def __init__(
        self,
        deliver: Deliver,
        malformed: Malformed,
        *,
        open4: Callable[..., Vrrp4Socket] = Vrrp4Socket.open,
        open6: Callable[..., Vrrp6Socket] = Vrrp6Socket.open,
        repeat: Repeat | None = None,
    ) -> None:
        self._deliver = deliver
        self._repeat = repeat
        self._malformed = malformed
        self._open4 = open4
        self._open6 = open6
        self.entries: dict[SocketKey, SocketEntry] = {}

    def open(self, plan: InstancePlan) -> SocketEntry | None:
        """The socket `plan` sends and receives on, opened now unless it already is."""
        entry = self.entries.get(plan.socket_key)
        if entry is not None:
            return entry
        ifname, family, unicast, _, proto = plan.socket_key
        sock: Vrrp4Socket | Vrrp6Socket
        try:
            if family == 4:
                protocols = (AH_PROTO,) if proto == "ah" else (VRRP_PROTO,)
                assert isinstance(plan.group, IPv4Address)
                sock = self._open4(ifname, group=plan.group, unicast=unicast, protocols=protocols)
            else:
                assert isinstance(plan.group, IPv6Address)
                source = plan.params.primary_address if plan.has_source else None
                assert source is None or isinstance(source, IPv6Address)
                sock = self._open6(
                    ifname, source=source, group=plan.group, unicast=unicast, unicast_hops=plan.unicast_ttl
                )
        except BackendError as err:
            log.error("(%s) cannot open a VRRP socket on %s: %s", plan.name, ifname, err)
            return None
        made = SocketEntry(key=plan.socket_key, sock=sock)
        # By family, not isinstance, so fake sockets of either family fit.
        if family == 4:
            cast(Vrrp4Socket, sock).set_receiver(partial(self.on_packet4, made))
        else:
            cast(Vrrp6Socket, sock).set_receiver(partial(self.on_packet6, made))
        self.entries[plan.socket_key] = made
        self._log_entry(made)
        return made

    def announce(self, keys: Collection[SocketKey]) -> None:
        """Name again the open sockets among `keys`, as keepalived does when a reload reopens them."""
        for key, entry in self.entries.items():
            if key in keys:
                self._log_entry(entry)

    @staticmethod
    def _log_entry(entry: SocketEntry) -> None:
        _, family, unicast, group, proto = entry.key
        kind = "unicast" if unicast else f"multicast, address({group})"
        log.info(
            "VRRP sockpool: [ifindex(%3d), family(IPv%d), proto(%d), %s]",
            entry.sock.ifindex,
            family,
            AH_PROTO if proto == "ah" else VRRP_PROTO,
            kind,
        )

    def reindex(self, plans: Mapping[str, InstancePlan]) -> None:
        """Rebuild the per-VRID index from `plans`; a socket no plan uses any more is closed."""
        for entry in self.entries.values():
            entry.by_vrid.clear()
            entry.v3_checksum_as_v2 = False
        for name, plan in plans.items():
            found = self.entries.get(plan.socket_key)
            if found is not None:
                found.by_vrid.setdefault(plan.params.vrid, []).append(name)
                found.v3_checksum_as_v2 |= plan.v3_checksum_as_v2
        for key in [k for k, e in self.entries.items() if not e.by_vrid]:
            self.entries.pop(key).sock.close()

    def close(self) -> None:
        for entry in self.entries.values():
            entry.sock.close()
        self.entries.clear()

    # ---- receive -----------------------------------------------------------------------------------

    def on_packet4(self, entry: SocketEntry, data: bytes) -> None:
        if self._repeat is not None:
            vrid = entry.repeats.match(data)
            if vrid is not None and self._repeat(entry, vrid):
                return
        as_v2 = False
        packet: ReceivedPacket | None = None
        try:
            packet = decode_ipv4_packet(data)
        except DecodeError as err:
            # v3_checksum_as_v2 instances sum v3 like v2; try that form only when one shares the socket.
            if err.reason == "bad_checksum" and entry.v3_checksum_as_v2:
                with contextlib.suppress(DecodeError):
                    packet = decode_ipv4_packet(data, v3_checksum_as_v2=True)
                    as_v2 = True
            if packet is None:
                self._malformed(entry, err, peek_vrid(data))
                return
        entry.repeats.forget(packet.advert.vrid)
        if self._deliver(entry, packet, as_v2) and not as_v2:
            entry.repeats.remember(packet.advert.vrid, data)

    def on_packet6(
        self, entry: SocketEntry, data: bytes, source: IPv6Address, destination: IPv6Address, hops: int
    ) -> None:
        try:
            packet = decode_ipv6_payload(data, source=source, destination=destination, hop_limit=hops)
        except DecodeError as err:
            self._malformed(entry, err, peek_vrid(data, ipv6=True))
            return
        self._deliver(entry, packet, False)
