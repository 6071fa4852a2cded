"""Fake twins of the linux/ adapters for the daemon's unit tests: same methods, in-memory state.

Each fake records what the daemon asked of it (`ops`, `sent`, `frames`) and lets the test play
the kernel's part (`deliver`, `link`, `address`, `fire`, `fail_next`). A conformance test
(tests/netns/test_linux_fakes.py) keeps their public signatures equal to the real adapters'.
"""

from __future__ import annotations

import contextlib
import errno as errno_codes
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Any

from alived.core.vrrp.wire import VRRP_GROUP4, VRRP_GROUP6, VRRP_PROTO, virtual_mac
from alived.errors import BackendError, LocalMisuse
from alived.linux.netlink import (
    IFA_F_SECONDARY,
    IFF_RUNNING,
    IFF_UP,
    RT_SCOPE_UNIVERSE,
    AddressEntry,
    AddressSpec,
    LinkInfo,
    RouteSpec,
    RuleSpec,
)
from alived.linux.vmac import Vmac, default_vmac_name
from alived.units import Ticks

IPAddress = IPv4Address | IPv6Address


# -- timer -------------------------------------------------------------------------------------


class FakeDeadlineTimer:
    """DeadlineTimer without a loop: the test calls `fire()` when its fake clock passes `deadline`."""

    def __init__(self, loop: object, callback: Callable[[], None]) -> None:
        self._callback = callback
        self._deadline: Ticks | None = None
        self.arms = 0  # how often a new deadline was actually armed

    @property
    def deadline(self) -> Ticks | None:
        return self._deadline

    def arm(self, deadline: Ticks | None) -> None:
        if deadline == self._deadline:
            return
        self._deadline = deadline
        if deadline is not None:
            self.arms += 1

    def cancel(self) -> None:
        self._deadline = None

    def fire(self) -> None:
        if self._deadline is None:
            raise LocalMisuse("fire() on a disarmed timer")
        self._deadline = None
        self._callback()

    def fire_if_due(self, now: Ticks) -> bool:
        if self._deadline is not None and self._deadline <= now:
            self.fire()
            return True
        return False


# -- netlink -----------------------------------------------------------------------------------


@dataclass
class FakeLink:
    index: int
    name: str
    mac: bytes
    up: bool = True
    mtu: int = 1500
    group: int = 0
    kind: str | None = None
    parent_index: int | None = None
    addresses: list[AddressSpec] = field(default_factory=list)

    def info(self) -> LinkInfo:
        flags = (IFF_UP | IFF_RUNNING) if self.up else 0
        return LinkInfo(
            index=self.index,
            name=self.name,
            mac=self.mac,
            flags=flags,
            mtu=self.mtu,
            group=self.group,
            kind=self.kind,
            parent_index=self.parent_index,
        )


class FakeNetlink:
    """An in-memory kernel: links with addresses, a route set and a rule set; every call in `ops`."""

    def __init__(self) -> None:
        self.links: dict[str, FakeLink] = {}
        self.routes: list[RouteSpec] = []
        self.rules: list[RuleSpec] = []
        self.ops: list[tuple[str, object]] = []
        self.closed = False
        self._failures: dict[str, int] = {}
        self.add_link("lo", mac=bytes(6))
        self.add_fake_address(AddressSpec(address=IPv4Address("127.0.0.1"), prefixlen=8, dev="lo", scope=254))

    # test controls
    def add_link(self, name: str, *, mac: bytes | None = None, up: bool = True, **kw: Any) -> FakeLink:
        index = max((link.index for link in self.links.values()), default=0) + 1
        link = FakeLink(
            index=index, name=name, mac=mac if mac is not None else bytes((2, 0, 0, 0, 0, index)), up=up, **kw
        )
        self.links[name] = link
        return link

    def add_fake_address(self, spec: AddressSpec) -> None:
        """An address the 'host' had before the daemon came (not recorded in ops)."""
        self.links[spec.dev].addresses.append(spec)

    def fail_next(self, operation: str, errno: int = errno_codes.EPERM) -> None:
        """Make the next call of `operation` (e.g. "addr_add") raise BackendError."""
        self._failures[operation] = errno

    def _op(self, operation: str, arg: object) -> None:
        if self.closed:
            raise LocalMisuse(f"netlink {operation} after close")
        self.ops.append((operation, arg))
        if operation in self._failures:
            raise BackendError(operation, self._failures.pop(operation))

    def _link(self, ifname: str) -> FakeLink:
        if ifname not in self.links:
            raise BackendError("link_lookup", errno_codes.ENODEV, ifname)
        return self.links[ifname]

    # the Netlink API
    def close(self) -> None:
        self.closed = True

    def link_index(self, ifname: str) -> int:
        return self._link(ifname).index

    def link_info(self, ifname: str) -> LinkInfo:
        return self._link(ifname).info()

    def all_links(self) -> list[LinkInfo]:
        return [link.info() for link in self.links.values()]

    def link_mac(self, ifname: str) -> bytes:
        return self._link(ifname).mac

    def link_is_up(self, ifname: str) -> bool:
        return self._link(ifname).up

    def interface_names(self) -> set[str]:
        return set(self.links)

    def set_link_up(self, ifname: str, up: bool = True) -> None:
        self._op("link_set", (ifname, up))
        self._link(ifname).up = up

    def add_macvlan(
        self, name: str, *, parent: str, mac: bytes, mode: str = "private", group: int = 0
    ) -> None:
        self._op("link_add", (name, parent, mac, mode))
        if name in self.links:
            raise BackendError("link_add", errno_codes.EEXIST, name)
        self.add_link(
            name, mac=mac, up=False, kind="macvlan", parent_index=self._link(parent).index, group=group
        )

    def delete_link(self, ifname: str) -> None:
        self._op("link_del", ifname)
        self.links.pop(ifname, None)

    @contextlib.contextmanager
    def address_snapshot(self) -> Iterator[None]:
        yield

    def address_entries(self, ifname: str) -> list[AddressEntry]:
        return [
            AddressEntry(
                address=s.address, prefixlen=s.prefixlen, scope=s.scope, flags=s.flags, label=s.label
            )
            for s in self._link(ifname).addresses
        ]

    def addresses(self, ifname: str) -> list[tuple[IPAddress, int]]:
        return [(s.address, s.prefixlen) for s in self._link(ifname).addresses]

    def route_device(self, address: str) -> str | None:
        """The most specific installed route with a device, as `ip route get` picks it."""
        target = ip_address(address)
        matching = [
            r
            for r in self.routes
            if r.dev is not None and r.dst.version == target.version and target in r.dst
        ]
        return max(matching, key=lambda r: r.dst.prefixlen).dev if matching else None

    def primary_ipv4(self, ifname: str, *, exclude: Collection[IPAddress] = ()) -> IPv4Address | None:
        entries = [
            e
            for e in self.address_entries(ifname)
            if isinstance(e.address, IPv4Address) and e.address not in exclude
        ]
        entries.sort(key=lambda e: (bool(e.flags & IFA_F_SECONDARY), e.scope != RT_SCOPE_UNIVERSE))
        return IPv4Address(entries[0].address) if entries else None

    def link_local_ipv6(self, ifname: str) -> IPv6Address | None:
        for address, _ in self.addresses(ifname):
            if isinstance(address, IPv6Address) and address.is_link_local:
                return address
        return None

    def add_address(self, spec: AddressSpec) -> None:
        self._op("addr_add", spec)
        link = self._link(spec.dev)
        if not any(s.address == spec.address and s.prefixlen == spec.prefixlen for s in link.addresses):
            link.addresses.append(spec)

    def delete_address(self, spec: AddressSpec) -> None:
        self._op("addr_del", spec)
        link = self.links.get(spec.dev)
        if link is not None:
            link.addresses = [
                s for s in link.addresses if not (s.address == spec.address and s.prefixlen == spec.prefixlen)
            ]

    def add_route(self, spec: RouteSpec, *, replace: bool = False) -> None:
        self._op("route_replace" if replace else "route_add", spec)
        key = (spec.dst, spec.table, spec.tos, spec.metric)
        same_key = [r for r in self.routes if (r.dst, r.table, r.tos, r.metric) == key]
        if replace:
            for old in same_key:
                self.routes.remove(old)
            self.routes.append(spec)
        elif not same_key:
            self.routes.append(spec)

    def delete_route(self, spec: RouteSpec) -> None:
        self._op("route_del", spec)
        if spec in self.routes:
            self.routes.remove(spec)

    def add_rule(self, spec: RuleSpec) -> None:
        self._op("rule_add", spec)
        if spec not in self.rules:
            self.rules.append(spec)

    def delete_rule(self, spec: RuleSpec) -> None:
        self._op("rule_del", spec)
        if spec in self.rules:
            self.rules.remove(spec)

    # conveniences for assertions
    def has_address(self, dev: str, address: IPAddress | str) -> bool:
        wanted = address if not isinstance(address, str) else _ip(address)
        return any(s.address == wanted for s in self.links.get(dev, FakeLink(0, dev, b"")).addresses)


def _ip(text: str) -> IPAddress:
    return ip_address(text)


# -- sockets -----------------------------------------------------------------------------------


class FakeVrrp4Socket:
    """Records sends; `deliver(packet)` plays a received IPv4 packet to the receiver."""

    opened: list[FakeVrrp4Socket] = []  # every socket opened, across tests: reset with clear()

    def __init__(self, *, ifname: str, group: IPv4Address | None, protocols: tuple[int, ...]) -> None:
        self.ifname = ifname
        self.ifindex = 0
        self.group = group
        self.protocols = protocols
        self.sent: list[tuple[bytes, IPv4Address]] = []
        self.closed = False
        self._receiver: Callable[[bytes], None] | None = None

    @classmethod
    def open(
        cls,
        ifname: str,
        *,
        group: IPv4Address = VRRP_GROUP4,
        unicast: bool = False,
        protocols: tuple[int, ...] = (VRRP_PROTO,),
        loop: Any = None,
    ) -> FakeVrrp4Socket:
        sock = cls(ifname=ifname, group=None if unicast else group, protocols=protocols)
        cls.opened.append(sock)
        return sock

    @property
    def fds(self) -> tuple[int, int]:
        # No kernel socket behind it: a fixed number, the same both ways as a real one's.
        return (-1, -1) if self.closed else (3, 3)

    def send(self, packet: bytes, destination: IPv4Address) -> None:
        if self.closed:
            raise LocalMisuse("send on a closed socket")
        self.sent.append((packet, destination))

    def set_receiver(self, callback: Callable[[bytes], None] | None) -> None:
        self._receiver = callback

    def deliver(self, packet: bytes) -> None:
        if self._receiver is not None and not self.closed:
            self._receiver(packet)

    def close(self) -> None:
        self.closed = True
        self._receiver = None


class FakeVrrp6Socket:
    """Records sends; `deliver(...)` plays a received VRRP payload with its IPv6 facts."""

    opened: list[FakeVrrp6Socket] = []

    def __init__(self, *, ifname: str, group: IPv6Address | None, source: IPv6Address | None) -> None:
        self.ifname = ifname
        self.ifindex = 0
        self.group = group
        self.source = source
        self.unicast_hops: int | None = None
        self.sent: list[tuple[bytes, IPv6Address]] = []
        self.closed = False
        self._receiver: Callable[[bytes, IPv6Address, IPv6Address, int], None] | None = None

    @classmethod
    def open(
        cls,
        ifname: str,
        *,
        source: IPv6Address | None = None,
        group: IPv6Address = VRRP_GROUP6,
        unicast: bool = False,
        unicast_hops: int | None = None,
        loop: Any = None,
    ) -> FakeVrrp6Socket:
        sock = cls(ifname=ifname, group=None if unicast else group, source=source)
        sock.unicast_hops = unicast_hops
        cls.opened.append(sock)
        return sock

    @property
    def fds(self) -> tuple[int, int]:
        # No kernel socket behind it: a fixed number, the same both ways as a real one's.
        return (-1, -1) if self.closed else (3, 3)

    def send(self, payload: bytes, destination: IPv6Address) -> None:
        if self.closed:
            raise LocalMisuse("send on a closed socket")
        self.sent.append((payload, destination))

    def set_receiver(self, callback: Callable[[bytes, IPv6Address, IPv6Address, int], None] | None) -> None:
        self._receiver = callback

    def deliver(
        self,
        payload: bytes,
        source: IPv6Address,
        destination: IPv6Address = VRRP_GROUP6,
        hop_limit: int = 255,
    ) -> None:
        if self._receiver is not None and not self.closed:
            self._receiver(payload, source, destination, hop_limit)

    def close(self) -> None:
        self.closed = True
        self._receiver = None


class FakeL2Socket:
    """Records frames sent on one interface."""

    opened: list[FakeL2Socket] = []

    def __init__(self, *, ifname: str) -> None:
        self.ifname = ifname
        self.ifindex = 0
        self.frames: list[bytes] = []
        self.closed = False

    @classmethod
    def open(cls, ifname: str) -> FakeL2Socket:
        sock = cls(ifname=ifname)
        cls.opened.append(sock)
        return sock

    def send(self, frame: bytes) -> None:
        if self.closed:
            raise LocalMisuse("send on a closed socket")
        self.frames.append(frame)

    def close(self) -> None:
        self.closed = True


# -- monitor -----------------------------------------------------------------------------------


class FakeMonitor:
    """The test announces kernel events with `link()` and `address()` once started."""

    def __init__(
        self,
        *,
        on_link: Callable[[str, bool], None],
        on_address: Callable[[str, IPAddress, bool], None],
        loop: Any = None,
    ) -> None:
        self._on_link = on_link
        self._on_address = on_address
        self.started = False
        self.overruns = 0
        self._up: dict[str, bool] = {}

    def start(self) -> None:
        self.started = True

    def close(self) -> None:
        self.started = False

    def ifname(self, index: int) -> str | None:
        return None

    def feed(self, data: bytes) -> None:
        raise LocalMisuse("FakeMonitor takes events through link() and address()")

    def link(self, ifname: str, up: bool) -> None:
        """Report a link state; like the real monitor, only changes reach the daemon."""
        if self.started and self._up.get(ifname) != up:
            self._up[ifname] = up
            self._on_link(ifname, up)

    def address(self, ifname: str, address: IPAddress | str, added: bool = True) -> None:
        if self.started:
            self._on_address(ifname, _ip(address) if isinstance(address, str) else address, added)


# -- VMAC --------------------------------------------------------------------------------------


class FakeVmacManager:
    """VmacManager over a FakeNetlink, with sysctls kept in a dict instead of /proc."""

    def __init__(self, netlink: FakeNetlink) -> None:
        self._netlink = netlink
        self._vmacs: dict[str, Vmac] = {}
        self.sysctls: dict[str, int] = {}
        self._saved: dict[str, str] = {}

    @property
    def vmacs(self) -> dict[str, Vmac]:
        return dict(self._vmacs)

    @property
    def saved_sysctls(self) -> dict[str, str]:
        """The parent's sysctls changed for the VMACs, with their value before (a fresh kernel's 0)."""
        return dict(self._saved)

    def create(
        self, *, parent: str, vrid: int, family: int, name: str | None = None, mac: bytes | None = None
    ) -> Vmac:
        name = name or default_vmac_name(vrid)
        mac = mac or virtual_mac(vrid, family)
        nl = self._netlink
        if name in nl.links:
            link = nl.links[name]
            if link.kind != "macvlan" or link.mac != mac:
                raise LocalMisuse(f"interface {name} exists and is not the VMAC for vrid {vrid} on {parent}")
        else:
            nl.add_macvlan(name, parent=parent, mac=mac, mode="private", group=nl.links[parent].group)
        vmac = Vmac(name=name, parent=parent, vrid=vrid, family=family, mac=mac)
        self._vmacs[name] = vmac
        for setting, value in (
            ("arp_ignore", 1),
            ("accept_local", 1),
            ("rp_filter", 0),
            ("promote_secondaries", 1),
        ):
            self.sysctls[f"net.ipv4.conf.{name}.{setting}"] = value
        for setting, value in (("arp_ignore", 1), ("arp_filter", 1)):
            key = f"net.ipv4.conf.{parent}.{setting}"
            self._saved.setdefault(key, str(self.sysctls.get(key, 0)))
            self.sysctls[key] = value
        nl.set_link_up(name)
        if family == 6:
            link_local = nl.link_local_ipv6(parent)
            if link_local is not None:
                nl.add_address(AddressSpec(address=link_local, prefixlen=64, dev=name, scope=253, nodad=True))
        return vmac

    def delete(self, name: str) -> None:
        self._netlink.delete_link(name)
        vmac = self._vmacs.pop(name, None)
        self.sysctls = {k: v for k, v in self.sysctls.items() if f".{name}." not in k}
        if not self._vmacs and vmac is not None:
            self.sysctls.clear()
            self._saved.clear()

    def delete_all(self) -> None:
        for name in list(self._vmacs):
            self.delete(name)
        self.sysctls.clear()
        self._saved.clear()


def reset_fake_sockets() -> None:
    """Forget sockets opened by earlier tests."""
    FakeVrrp4Socket.opened.clear()
    FakeVrrp6Socket.opened.clear()
    FakeL2Socket.opened.clear()
    FakeArpWatch.opened.clear()
    FakeNaWatch.opened.clear()


__all__ = [
    "FakeArpWatch",
    "FakeDeadlineTimer",
    "FakeL2Socket",
    "FakeLink",
    "FakeMonitor",
    "FakeNaWatch",
    "FakeNetlink",
    "FakeVmacManager",
    "FakeVrrp4Socket",
    "FakeVrrp6Socket",
    "reset_fake_sockets",
]


# -- ARP watch (split brain) -------------------------------------------------------------------


class FakeArpWatch:
    """One interface's ARP watch: `deliver` plays another host's ARP frame."""

    opened: list[FakeArpWatch] = []

    def __init__(self, *, ifname: str, on_frame: Callable[[str, bytes], None]) -> None:
        self.ifname = ifname
        self._on_frame = on_frame
        self.closed = False

    @classmethod
    def open(cls, ifname: str, on_frame: Callable[[str, bytes], None]) -> FakeArpWatch:
        watch = cls(ifname=ifname, on_frame=on_frame)
        cls.opened.append(watch)
        return watch

    def deliver(self, frame: bytes) -> None:
        if not self.closed:
            self._on_frame(self.ifname, frame)

    def close(self) -> None:
        self.closed = True


class FakeNaWatch(FakeArpWatch):
    """One interface's NA watch (linux/na_watch.py): `deliver` plays another host's NA frame."""

    opened: list[FakeArpWatch] = []
