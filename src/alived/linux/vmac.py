"""VRRP virtual MAC interfaces (facts §4.7): a private-mode macvlan per instance, with its sysctls.

A VMAC named e.g. `vrrp.51` sits on the instance's interface with the RFC 5798 MAC (core/vrrp/wire.py
`virtual_mac`), addrgenmode none and the parent's link group. Sysctls as keepalived
sets them: on the VMAC arp_ignore=1, accept_local=1, rp_filter=0, promote_secondaries=1; on the
parent arp_ignore=1, arp_filter=1; and all.rp_filter lowered to 0 with every interface raised to
the old value, so the effective rp_filter (the maximum of `all` and the interface's) is unchanged
everywhere but on the VMACs. Everything changed is restored when the last VMAC goes. For IPv6 the
parent's link-local address is copied onto the VMAC, which is the advert source there.
"""

from __future__ import annotations

from dataclasses import dataclass

from alived.core.vrrp.wire import virtual_mac
from alived.errors import LocalMisuse
from alived.linux import sysctl
from alived.linux.netlink import RT_SCOPE_LINK, AddressSpec, Netlink
from alived.linux.sysctl import SysctlSaver

VMAC_SYSCTLS4 = (("arp_ignore", 1), ("accept_local", 1), ("rp_filter", 0), ("promote_secondaries", 1))
PARENT_SYSCTLS4 = (("arp_ignore", 1), ("arp_filter", 1))


def default_vmac_name(vrid: int) -> str:
    return f"vrrp.{vrid}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Vmac:
    """A VMAC this manager created."""

    name: str
    parent: str
    vrid: int
    family: int
    mac: bytes


class VmacManager:
    """Creates and deletes VMACs; owns the sysctl changes they need and puts them back."""

    def __init__(self, netlink: Netlink) -> None:
        self._netlink = netlink
        self._vmacs: dict[str, Vmac] = {}
        self._sysctls = SysctlSaver()

    @property
    def vmacs(self) -> dict[str, Vmac]:
        return dict(self._vmacs)

    @property
    def saved_sysctls(self) -> dict[str, str]:
        """Each sysctl changed for the VMACs, with the value it had before (put back at the end)."""
        return self._sysctls.saved

    def create(
        self, *, parent: str, vrid: int, family: int, name: str | None = None, mac: bytes | None = None
    ) -> Vmac:
        """Create (or adopt, if one with the right MAC exists) the VMAC and bring it up."""
        name = name or default_vmac_name(vrid)
        # `use_vmac NAME MAC`: keepalived gives the macvlan the configured MAC instead of the RFC one.
        mac = mac or virtual_mac(vrid, family)
        nl = self._netlink
        parent_info = nl.link_info(parent)
        if name in nl.interface_names():
            existing = nl.link_info(name)
            if (
                existing.kind != "macvlan"
                or existing.mac != mac
                or existing.parent_index != parent_info.index
            ):
                raise LocalMisuse(f"interface {name} exists and is not the VMAC for vrid {vrid} on {parent}")
        else:
            nl.add_macvlan(name, parent=parent, mac=mac, mode="private", group=parent_info.group)
        vmac = Vmac(name=name, parent=parent, vrid=vrid, family=family, mac=mac)
        self._vmacs[name] = vmac
        self._set_sysctls(vmac)
        nl.set_link_up(name)
        if family == 6:
            link_local = nl.link_local_ipv6(parent)
            if link_local is not None:
                nl.add_address(
                    AddressSpec(address=link_local, prefixlen=64, dev=name, scope=RT_SCOPE_LINK, nodad=True)
                )
        return vmac

    def _set_sysctls(self, vmac: Vmac) -> None:
        saver = self._sysctls
        all_rp = int(sysctl.read("net.ipv4.conf.all.rp_filter"))
        if all_rp:
            # Keep every other interface's effective rp_filter before lowering `all`.
            for ifname in sorted(self._netlink.interface_names() - set(self._vmacs)):
                key = sysctl.conf_key(4, ifname, "rp_filter")
                if int(sysctl.read(key)) < all_rp:
                    saver.set(key, all_rp)
            saver.set("net.ipv4.conf.all.rp_filter", 0)
        for setting, value in VMAC_SYSCTLS4:
            # The VMAC's own values vanish with it: written, not saved.
            sysctl.write(sysctl.conf_key(4, vmac.name, setting), value)
        for setting, value in PARENT_SYSCTLS4:
            saver.set(sysctl.conf_key(4, vmac.parent, setting), value)

    def delete(self, name: str) -> None:
        """Remove a VMAC; when it was the last one, restore every sysctl changed for VMACs."""
        self._netlink.delete_link(name)
        self._vmacs.pop(name, None)
        self._sysctls.forget(f"net.ipv4.conf.{name}.")
        if not self._vmacs:
            self._sysctls.restore()

    def delete_all(self) -> None:
        for name in list(self._vmacs):
            self.delete(name)
        self._sysctls.restore()
