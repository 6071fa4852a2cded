"""rtnetlink for the VRRP daemon: links, addresses, routes, rules and macvlan links, via pyroute2.

This is the only module that imports pyroute2 (it is untyped; everything leaving here is typed).
Every field is passed to the kernel explicitly (scope, protocol, flags, lifetimes) instead of
relying on pyroute2's or the kernel's defaults.

pyroute2 0.9 runs its own asyncio loop per thread and cannot be called from inside a running
loop, so all requests run on one private worker thread, created in the network namespace of the
thread that constructs `Netlink`. Each call is a quick local netlink round trip; the methods are
synchronous and safe to call from the daemon's event loop (or from `asyncio.to_thread`).
"""

from __future__ import annotations

import contextlib
import errno as errno_codes
import importlib.util
import os
import socket
import sys
import threading
import types
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from typing import Any, Literal, TypeVar

from alived.errors import BackendError, LocalMisuse
from alived.linux import kernel_ops


def _lean_pyroute2() -> None:
    """Register pyroute2 as a bare package, so its submodules import without its __init__.

    pyroute2's __init__ imports every subsystem it has (NDB with sqlite3, IPDB, conntrack,
    ethtool, nl80211, plan9, ...): about 0.8 s of start-up and 80 modules that rtnetlink never
    uses. The package object here carries the same path and spec, only not those imports.
    """
    if "pyroute2" in sys.modules:
        return
    spec = importlib.util.find_spec("pyroute2")
    if spec is None or spec.submodule_search_locations is None:
        return
    package = types.ModuleType("pyroute2")
    package.__path__ = list(spec.submodule_search_locations)
    package.__spec__ = spec
    package.__file__ = spec.origin
    sys.modules["pyroute2"] = package


_lean_pyroute2()

from pyroute2.iproute.linux import IPRoute  # noqa: E402
from pyroute2.netlink.exceptions import NetlinkError  # noqa: E402

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network

# rtnetlink scopes (linux/rtnetlink.h, rt_scope_t).
RT_SCOPE_UNIVERSE = 0
RT_SCOPE_SITE = 200
RT_SCOPE_LINK = 253
RT_SCOPE_HOST = 254
RT_SCOPE_NOWHERE = 255
SCOPES = {
    "global": RT_SCOPE_UNIVERSE,
    "universe": RT_SCOPE_UNIVERSE,
    "site": RT_SCOPE_SITE,
    "link": RT_SCOPE_LINK,
    "host": RT_SCOPE_HOST,
    "nowhere": RT_SCOPE_NOWHERE,
}

# Address flags (linux/if_addr.h); those above 0xff only travel in IFA_FLAGS.
IFA_F_SECONDARY = 0x01
IFA_F_NODAD = 0x02
IFA_F_HOMEADDRESS = 0x10
IFA_F_PERMANENT = 0x80
IFA_F_MANAGETEMPADDR = 0x100
IFA_F_NOPREFIXROUTE = 0x200
IFA_F_MCAUTOJOIN = 0x400
INFINITY_LIFE_TIME = 0xFFFF_FFFF

# Route types (rtm_type) and protocols (rtm_protocol).
RTN_TYPES = {
    "unicast": 1,
    "local": 2,
    "broadcast": 3,
    "anycast": 4,
    "multicast": 5,
    "blackhole": 6,
    "unreachable": 7,
    "prohibit": 8,
    "throw": 9,
    "nat": 10,
    "xresolve": 11,
}
RTNH_F_ONLINK = 0x4
RTPROT_BOOT = 3
RTPROT_STATIC = 4
RTPROT_KEEPALIVED = 18
RT_TABLE_MAIN = 254
RT_TABLE_LOCAL = 255

# Rule actions (linux/fib_rules.h, FR_ACT_*).
FR_ACTIONS = {
    "to_tbl": 1,
    "goto": 2,
    "nop": 3,
    "blackhole": 6,
    "unreachable": 7,
    "prohibit": 8,
}

IFF_UP = 0x1
IFF_RUNNING = 0x40
IFF_LOWER_UP = 0x10000

MACVLAN_MODES = {"private": 1, "vepa": 2, "bridge": 4, "passthru": 8, "source": 16}
IN6_ADDR_GEN_MODE_NONE = 1

Broadcast = IPv4Address | Literal["+", "-"]


@dataclass(frozen=True, slots=True, kw_only=True)
class AddressSpec:
    """One address as keepalived's address grammar describes it (facts §2.10).

    broadcast: an address, "+" (host bits set) or "-" (host bits clear), or None for none.
    preferred_lft: seconds, or None for forever. peer: the other end of a point-to-point address.
    """

    address: IPAddress
    prefixlen: int
    dev: str
    broadcast: Broadcast | None = None
    scope: int = RT_SCOPE_UNIVERSE
    label: str | None = None
    peer: IPAddress | None = None
    preferred_lft: int | None = None
    noprefixroute: bool = False
    nodad: bool = False
    home: bool = False
    mngtmpaddr: bool = False
    autojoin: bool = False

    @property
    def family(self) -> int:
        return socket.AF_INET if self.address.version == 4 else socket.AF_INET6

    @property
    def flags(self) -> int:
        """The IFA_F_* flags this address is created with."""
        flags = 0
        for wanted, bit in (
            (self.nodad, IFA_F_NODAD),
            (self.home, IFA_F_HOMEADDRESS),
            (self.mngtmpaddr, IFA_F_MANAGETEMPADDR),
            (self.noprefixroute, IFA_F_NOPREFIXROUTE),
            (self.autojoin, IFA_F_MCAUTOJOIN),
        ):
            if wanted:
                flags |= bit
        return flags


@dataclass(frozen=True, slots=True, kw_only=True)
class NextHop:
    """One path of a multipath route (`nexthop via IP dev IF weight N onlink`)."""

    via: IPAddress | None = None
    dev: str | None = None
    weight: int = 1
    onlink: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteSpec:
    """One route as `ip route` takes it. scope None means what iproute2 would pick for this route.

    metrics: RTAX_* values by their iproute2 names, e.g. (("mtu", 1400), ("advmss", 1360)).
    nexthops: a multipath route (via/dev then stay None).
    """

    dst: IPNetwork
    type: str = "unicast"
    via: IPAddress | None = None
    dev: str | None = None
    src: IPAddress | None = None
    table: int = RT_TABLE_MAIN
    metric: int | None = None
    scope: int | None = None
    protocol: int = RTPROT_BOOT
    tos: int = 0
    onlink: bool = False
    metrics: tuple[tuple[str, int], ...] = ()
    nexthops: tuple[NextHop, ...] = ()

    @property
    def family(self) -> int:
        return socket.AF_INET if self.dst.version == 4 else socket.AF_INET6

    def effective_scope(self) -> int:
        """The scope iproute2 would choose when none is given (ip/iproute.c)."""
        if self.scope is not None:
            return self.scope
        if self.type in ("local", "nat"):
            return RT_SCOPE_HOST
        if self.type in ("broadcast", "multicast", "anycast"):
            return RT_SCOPE_LINK
        if self.type == "unicast" and self.via is None and not self.nexthops:
            return RT_SCOPE_LINK
        return RT_SCOPE_UNIVERSE


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleSpec:
    """One policy rule as `ip rule` takes it; family is 4 or 6 (needed when from/to are absent)."""

    family: int = 4
    src: IPNetwork | None = None
    dst: IPNetwork | None = None
    table: int | None = RT_TABLE_MAIN
    priority: int | None = None
    action: str = "to_tbl"
    goto: int | None = None
    fwmark: int | None = None
    fwmask: int | None = None
    iif: str | None = None
    oif: str | None = None
    tos: int = 0
    suppress_prefixlength: int | None = None
    suppress_ifgroup: int | None = None
    protocol: int = RTPROT_BOOT
    invert: bool = False
    ipproto: int | None = None
    sport: tuple[int, int] | None = None
    dport: tuple[int, int] | None = None
    uidrange: tuple[int, int] | None = None
    l3mdev: bool = False

    @property
    def af(self) -> int:
        return socket.AF_INET if self.family == 4 else socket.AF_INET6


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkInfo:
    """What the daemon needs to know about one interface."""

    index: int
    name: str
    mac: bytes
    flags: int
    mtu: int
    group: int
    kind: str | None
    parent_index: int | None
    broadcast: bytes = b""  # the link-layer broadcast address
    hw_type: int = 1  # ARPHRD_* (1: Ethernet)

    @property
    def is_up(self) -> bool:
        """Administratively up and with carrier (keepalived's IF_ISUP)."""
        return bool(self.flags & IFF_UP) and bool(self.flags & IFF_RUNNING)


@dataclass(frozen=True, slots=True, kw_only=True)
class AddressEntry:
    """One address found on an interface."""

    address: IPAddress
    prefixlen: int
    scope: int
    flags: int
    label: str | None


_T = TypeVar("_T")

# The operations that change kernel state: each request is counted in linux/kernel_ops.py.
WRITES = frozenset(
    {
        "link_set",
        "link_add",
        "link_set_addrgenmode",
        "link_del",
        "addr_add",
        "addr_del",
        "route_add",
        "route_replace",
        "route_del",
        "rule_add",
        "rule_del",
    }
)


class Netlink:
    """Synchronous rtnetlink requests; failures raise BackendError(operation, errno)."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="alived-netlink")
        self._local = threading.local()
        self._closed = False
        self._pid = os.getpid()
        self._snapshot_depth = 0
        self._snapshot: dict[int, list[AddressEntry]] | None = None
        # Submitted now so that the worker thread (and the socket) live in the caller's netns.
        self._call("open", self._open)

    def _open(self) -> None:
        self._local.ipr = IPRoute()

    def _close_ipr(self) -> None:
        self._local.ipr.close()

    @property
    def _ipr(self) -> Any:
        # Only meaningful on the worker thread, where _open stored it.
        return self._local.ipr

    def _call(self, operation: str, fn: Callable[[], _T], *, ok: tuple[int, ...] = ()) -> _T | None:
        if self._closed:
            raise LocalMisuse(f"netlink {operation} after close")
        if os.getpid() != self._pid:
            # The worker thread does not survive fork: each process opens its own Netlink.
            raise LocalMisuse(f"netlink {operation} in a forked child; open Netlink after fork")
        if operation in WRITES:
            kernel_ops.count("netlink", operation)

        def run() -> _T | None:
            try:
                return fn()
            except BackendError as exc:
                if exc.errno in ok:
                    return None
                raise
            except NetlinkError as exc:
                if exc.code in ok:
                    return None
                raise BackendError(operation, exc.code, str(exc)) from exc
            except OSError as exc:
                if exc.errno in ok:
                    return None
                raise BackendError(operation, exc.errno, str(exc)) from exc

        return self._pool.submit(run).result()

    def _must(self, operation: str, fn: Callable[[], _T]) -> _T:
        result = self._call(operation, fn)
        assert result is not None
        return result

    def close(self) -> None:
        """Close the netlink socket and stop the worker; idempotent."""
        if self._closed:
            return
        self._pool.submit(self._close_ipr).result()
        self._closed = True
        self._pool.shutdown(wait=True)

    def __enter__(self) -> Netlink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- links ---------------------------------------------------------------------------------

    @staticmethod
    def _index(ifname: str) -> int:
        # Worker thread only: if_nametoindex asks the kernel of the worker's namespace, and is
        # two orders of magnitude cheaper than a pyroute2 request.
        try:
            return socket.if_nametoindex(ifname)
        except OSError as exc:
            raise BackendError("link_lookup", exc.errno or errno_codes.ENODEV, ifname) from exc

    def link_index(self, ifname: str) -> int:
        """The interface index; BackendError(ENODEV) when there is no such interface."""
        return self._must("link_lookup", lambda: self._index(ifname))

    def link_info(self, ifname: str) -> LinkInfo:
        msg = self._must("link_get", lambda: self._ipr.link("get", index=self._index(ifname))[0])
        return _link_info(msg)

    def all_links(self) -> list[LinkInfo]:
        return [_link_info(m) for m in self._must("link_dump", lambda: list(self._ipr.link("dump")))]

    def link_mac(self, ifname: str) -> bytes:
        return self.link_info(ifname).mac

    def link_is_up(self, ifname: str) -> bool:
        return self.link_info(ifname).is_up

    def interface_names(self) -> set[str]:
        return {link.name for link in self.all_links()}

    def set_link_up(self, ifname: str, up: bool = True) -> None:
        state = "up" if up else "down"
        self._call("link_set", lambda: self._ipr.link("set", index=self._index(ifname), state=state))

    def add_macvlan(
        self, name: str, *, parent: str, mac: bytes, mode: str = "private", group: int = 0
    ) -> None:
        """Create a macvlan link (down), with addrgenmode none so the kernel adds no IPv6 address."""
        if mode not in MACVLAN_MODES:
            raise LocalMisuse(f"unknown macvlan mode {mode!r}")
        parent_index = self.link_index(parent)
        self._call(
            "link_add",
            lambda: self._ipr.link(
                "add",
                ifname=name,
                kind="macvlan",
                link=parent_index,
                address=_mac_text(mac),
                group=group,
                macvlan_mode=mode,
            ),
        )
        index = self.link_index(name)
        self._call(
            "link_set_addrgenmode",
            lambda: self._ipr.link(
                "set",
                index=index,
                IFLA_AF_SPEC={
                    "attrs": [
                        [
                            "AF_INET6",
                            {"attrs": [["IFLA_INET6_ADDR_GEN_MODE", IN6_ADDR_GEN_MODE_NONE]]},
                        ]
                    ]
                },
            ),
        )

    def delete_link(self, ifname: str) -> None:
        """Remove a link; an absent link is fine."""
        self._call(
            "link_del", lambda: self._ipr.link("del", index=self._index(ifname)), ok=(errno_codes.ENODEV,)
        )

    # -- addresses -----------------------------------------------------------------------------

    def address_entries(self, ifname: str) -> list[AddressEntry]:
        if self._snapshot_depth:
            index = self.link_index(ifname)
            if self._snapshot is None:
                self._snapshot = self._must("addr_dump", self._dump_by_link)
            return list(self._snapshot.get(index, ()))
        msgs = self._must("addr_dump", lambda: list(self._ipr.addr("dump", index=self._index(ifname))))
        return [_address_entry(msg) for msg in msgs]

    def _dump_by_link(self) -> dict[int, list[AddressEntry]]:
        by_link: dict[int, list[AddressEntry]] = {}
        for msg in self._ipr.addr("dump"):
            by_link.setdefault(int(msg["index"]), []).append(_address_entry(msg))
        return by_link

    @contextlib.contextmanager
    def address_snapshot(self) -> Iterator[None]:
        """Within the block, address lookups are answered from one dump of every address.

        A dump for one interface is filtered in Python after the kernel sent every address of
        the namespace, so N lookups cost N times all addresses: with 1,000 VIPs set, a reload's
        per-interface lookups took seconds. Use it around lookups that change nothing.
        """
        self._snapshot_depth += 1
        try:
            yield
        finally:
            self._snapshot_depth -= 1
            if not self._snapshot_depth:
                self._snapshot = None

    def addresses(self, ifname: str) -> list[tuple[IPAddress, int]]:
        return [(e.address, e.prefixlen) for e in self.address_entries(ifname)]

    def primary_ipv4(self, ifname: str, *, exclude: Collection[IPAddress] = ()) -> IPv4Address | None:
        """The interface's primary IPv4 address, the default advert source (facts §4.2).

        Preference: a primary (not IFA_F_SECONDARY) global-scope address, then any primary, then
        any; addresses in `exclude` (our own VIPs) are never chosen.
        """
        candidates = [
            e
            for e in self.address_entries(ifname)
            if isinstance(e.address, IPv4Address) and e.address not in exclude
        ]
        ranked = sorted(
            candidates, key=lambda e: (bool(e.flags & IFA_F_SECONDARY), e.scope != RT_SCOPE_UNIVERSE)
        )
        return IPv4Address(ranked[0].address) if ranked else None

    def link_local_ipv6(self, ifname: str) -> IPv6Address | None:
        for entry in self.address_entries(ifname):
            if isinstance(entry.address, IPv6Address) and entry.address.is_link_local:
                return entry.address
        return None

    def add_address(self, spec: AddressSpec) -> None:
        """Add an address; one already present (EEXIST) is fine."""
        kwargs = self._address_request(spec)
        kwargs["IFA_FLAGS"] = spec.flags
        preferred = INFINITY_LIFE_TIME if spec.preferred_lft is None else spec.preferred_lft
        # pyroute2 builds IFA_CACHEINFO from these two (and would overwrite a hand-made one).
        kwargs["preferred"] = preferred
        kwargs["valid"] = INFINITY_LIFE_TIME
        if spec.broadcast is not None and isinstance(spec.address, IPv4Address):
            kwargs["broadcast"] = str(_broadcast(spec))
        if spec.label is not None:
            kwargs["label"] = spec.label
        self._call(
            "addr_add",
            lambda: self._ipr.addr("add", index=self._index(spec.dev), **kwargs),
            ok=(errno_codes.EEXIST,),
        )

    def delete_address(self, spec: AddressSpec) -> None:
        """Delete an address; one already absent (ENOENT, EADDRNOTAVAIL) is fine."""
        kwargs = self._address_request(spec)
        self._call(
            "addr_del",
            lambda: self._ipr.addr("del", index=self._index(spec.dev), **kwargs),
            ok=(errno_codes.ENOENT, errno_codes.EADDRNOTAVAIL, errno_codes.ENODEV),
        )

    @staticmethod
    def _address_request(spec: AddressSpec) -> dict[str, Any]:
        peer = spec.peer if spec.peer is not None else spec.address
        return {
            "family": spec.family,
            "prefixlen": spec.prefixlen,
            "scope": spec.scope,
            "local": str(spec.address),
            "address": str(peer),
        }

    # -- routes --------------------------------------------------------------------------------

    def route_device(self, address: str) -> str | None:
        """The link the kernel would send to `address` on (`ip route get ADDRESS`'s dev), or None
        when it has no route (or the route names no device)."""

        def lookup() -> str | None:
            for msg in self._ipr.route("get", dst=address):
                index = msg.get_attr("RTA_OIF")
                if index:
                    return socket.if_indextoname(index)
            return None

        try:
            return self._call("route_get", lookup)
        except BackendError:
            return None

    def add_route(self, spec: RouteSpec, *, replace: bool = False) -> None:
        """Add a route; one with the same key already present (EEXIST) is left as it is.

        replace=True installs this route over one with the same key (`ip route replace`), for
        when an existing route may differ (type, gateway) from the one wanted.
        """
        kwargs = self._route_request(spec)
        kwargs["scope"] = spec.effective_scope()
        command = "replace" if replace else "add"
        self._call(
            "route_replace" if replace else "route_add",
            lambda: self._ipr.route(command, **self._with_oif(spec, kwargs)),
            ok=(errno_codes.EEXIST,),
        )

    def delete_route(self, spec: RouteSpec) -> None:
        """Delete a route; an absent one (ESRCH, ENOENT) is fine."""
        kwargs = self._route_request(spec)
        # As `ip route del`: scope nowhere matches a route of any scope.
        kwargs["scope"] = spec.scope if spec.scope is not None else RT_SCOPE_NOWHERE
        self._call(
            "route_del",
            lambda: self._ipr.route("del", **self._with_oif(spec, kwargs)),
            ok=(errno_codes.ESRCH, errno_codes.ENOENT, errno_codes.ENODEV),
        )

    @classmethod
    def _with_oif(cls, spec: RouteSpec, kwargs: dict[str, Any]) -> dict[str, Any]:
        # Worker thread only (see _index): interface names become indexes here.
        result = dict(kwargs)
        if spec.dev is not None:
            result["oif"] = cls._index(spec.dev)
        if spec.nexthops:
            hops = []
            for hop in spec.nexthops:
                entry: dict[str, Any] = {"hops": hop.weight - 1, "flags": RTNH_F_ONLINK if hop.onlink else 0}
                if hop.via is not None:
                    entry["gateway"] = str(hop.via)
                if hop.dev is not None:
                    entry["oif"] = cls._index(hop.dev)
                hops.append(entry)
            result["multipath"] = hops
        return result

    @staticmethod
    def _route_request(spec: RouteSpec) -> dict[str, Any]:
        if spec.type not in RTN_TYPES:
            raise LocalMisuse(f"unknown route type {spec.type!r}")
        kwargs: dict[str, Any] = {
            "family": spec.family,
            "dst": str(spec.dst.network_address),
            "dst_len": spec.dst.prefixlen,
            "table": spec.table,
            "proto": spec.protocol,
            "type": RTN_TYPES[spec.type],
            "tos": spec.tos,
        }
        if spec.via is not None:
            kwargs["gateway"] = str(spec.via)
        if spec.src is not None:
            kwargs["prefsrc"] = str(spec.src)
        if spec.metric is not None:
            kwargs["priority"] = spec.metric
        if spec.onlink:
            kwargs["flags"] = RTNH_F_ONLINK
        if spec.metrics:
            kwargs["metrics"] = dict(spec.metrics)
        return kwargs

    # -- rules ---------------------------------------------------------------------------------

    def add_rule(self, spec: RuleSpec) -> None:
        """Add a policy rule; an identical one already present (EEXIST) is fine."""
        kwargs = self._rule_request(spec)
        self._call("rule_add", lambda: self._ipr.rule("add", **kwargs), ok=(errno_codes.EEXIST,))

    def delete_rule(self, spec: RuleSpec) -> None:
        """Delete a policy rule; an absent one (ENOENT) is fine."""
        kwargs = self._rule_request(spec)
        self._call("rule_del", lambda: self._ipr.rule("del", **kwargs), ok=(errno_codes.ENOENT,))

    def _rule_request(self, spec: RuleSpec) -> dict[str, Any]:
        if spec.action not in FR_ACTIONS:
            raise LocalMisuse(f"unknown rule action {spec.action!r}")
        table = spec.table if spec.table is not None else 0
        kwargs: dict[str, Any] = {
            "family": spec.af,
            "action": FR_ACTIONS[spec.action],
            "table": table,
            "tos": spec.tos,
            "protocol": spec.protocol,
            "flags": 0x2 if spec.invert else 0,  # FIB_RULE_INVERT
        }
        if spec.src is not None:
            kwargs["src"] = str(spec.src.network_address)
            kwargs["src_len"] = spec.src.prefixlen
        if spec.dst is not None:
            kwargs["dst"] = str(spec.dst.network_address)
            kwargs["dst_len"] = spec.dst.prefixlen
        if spec.priority is not None:
            kwargs["priority"] = spec.priority
        if spec.goto is not None:
            kwargs["FRA_GOTO"] = spec.goto
        if spec.fwmark is not None:
            kwargs["fwmark"] = spec.fwmark
            kwargs["fwmask"] = spec.fwmask if spec.fwmask is not None else 0xFFFF_FFFF
        if spec.iif is not None:
            kwargs["iifname"] = spec.iif
        if spec.oif is not None:
            kwargs["oifname"] = spec.oif
        if spec.suppress_prefixlength is not None:
            kwargs["suppress_prefixlen"] = spec.suppress_prefixlength
        if spec.suppress_ifgroup is not None:
            kwargs["suppress_ifgroup"] = spec.suppress_ifgroup
        if spec.ipproto is not None:
            kwargs["ip_proto"] = spec.ipproto
        for name, value in (
            ("sport_range", spec.sport),
            ("dport_range", spec.dport),
            ("uid_range", spec.uidrange),
        ):
            if value is not None:
                kwargs[name] = f"{value[0]}:{value[1]}"
        if spec.l3mdev:
            kwargs["l3mdev"] = 1
        return kwargs


def _address_entry(msg: Any) -> AddressEntry:
    local = msg.get_attr("IFA_LOCAL") or msg.get_attr("IFA_ADDRESS")
    flags = msg.get_attr("IFA_FLAGS")
    return AddressEntry(
        address=ip_address(local),
        prefixlen=int(msg["prefixlen"]),
        scope=int(msg["scope"]),
        flags=int(flags if flags is not None else msg["flags"]),
        label=msg.get_attr("IFA_LABEL"),
    )


def _link_info(msg: Any) -> LinkInfo:
    mac_text = msg.get_attr("IFLA_ADDRESS")
    broadcast = msg.get_attr("IFLA_BROADCAST")
    linkinfo = msg.get_attr("IFLA_LINKINFO")
    kind = linkinfo.get_attr("IFLA_INFO_KIND") if linkinfo is not None else None
    parent = msg.get_attr("IFLA_LINK")
    return LinkInfo(
        index=int(msg["index"]),
        name=str(msg.get_attr("IFLA_IFNAME")),
        mac=bytes.fromhex(mac_text.replace(":", "")) if mac_text else b"",
        flags=int(msg["flags"]),
        mtu=int(msg.get_attr("IFLA_MTU") or 0),
        group=int(msg.get_attr("IFLA_GROUP") or 0),
        kind=str(kind) if kind is not None else None,
        parent_index=int(parent) if parent is not None else None,
        broadcast=bytes.fromhex(broadcast.replace(":", "")) if broadcast else b"",
        hw_type=int(msg["ifi_type"]),
    )


def _mac_text(mac: bytes) -> str:
    return ":".join(f"{b:02x}" for b in mac)


def _broadcast(spec: AddressSpec) -> IPv4Address:
    network = ip_network(f"{spec.address}/{spec.prefixlen}", strict=False)
    assert isinstance(network, IPv4Network)
    if spec.broadcast == "+":
        return network.broadcast_address
    if spec.broadcast == "-":
        return network.network_address
    assert isinstance(spec.broadcast, IPv4Address)
    return spec.broadcast
