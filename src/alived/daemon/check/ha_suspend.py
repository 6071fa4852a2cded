"""ha_suspend: a virtual server's checks run only while its address is configured on this host.

The initial state comes from a bind test (binding a socket to an address succeeds only when the
address is local); later changes come from the rtnetlink address events (linux/monitor.py), each
answered by the same test, so an address held twice (keepalived counts them) is handled too.
keepalived never matches a virtual_server_group or fwmark service against an address (its
checks would stay suspended for good); alived treats those as present.
"""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import Callable
from ipaddress import IPv4Address, IPv6Address

from alived.core.check.params import VirtualServerParams
from alived.errors import BackendError
from alived.linux.monitor import Monitor

log = logging.getLogger("alived.check")

IPAddress = IPv4Address | IPv6Address
SetAddress = Callable[[str, bool], None]


def address_is_local(address: IPAddress) -> bool:
    family = socket.AF_INET if address.version == 4 else socket.AF_INET6
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind((str(address), 0))
        except OSError:
            return False
    return True


class HaSuspendWatch:
    """Tells the driver when a suspended virtual server's address comes and goes."""

    def __init__(self, set_address: SetAddress) -> None:
        self._set = set_address
        self._watched: dict[IPAddress, list[str]] = {}
        self._monitor: Monitor | None = None

    def present(self, virtual_servers: list[VirtualServerParams]) -> set[str]:
        """The ha_suspend services whose address is on this host now (and start watching)."""
        self._watched = {}
        names: set[str] = set()
        for vs in virtual_servers:
            if not vs.ha_suspend:
                continue
            if vs.address is None:
                names.add(vs.name)
                continue
            self._watched.setdefault(vs.address, []).append(vs.name)
        for address, watched in self._watched.items():
            if address_is_local(address):
                names.update(watched)
        if self._watched and self._monitor is None:
            monitor = Monitor(on_link=lambda name, up: None, on_address=self._changed)
            try:
                monitor.start()
            except BackendError as err:
                log.error("ha_suspend: cannot watch addresses (%s): checks stay as they are", err)
                return names
            self._monitor = monitor
        return names

    def _changed(self, ifname: str, address: IPAddress, added: bool) -> None:
        del ifname, added
        names = self._watched.get(address)
        if names is None:
            return
        present = address_is_local(address)
        for name in names:
            self._set(name, present)

    def close(self) -> None:
        if self._monitor is not None:
            with contextlib.suppress(OSError):
                self._monitor.close()
            self._monitor = None
