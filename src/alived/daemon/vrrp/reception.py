"""The VRRP child's reception: a decoded packet from the socket pool, handed to its VRID's instances.

The pool receives and decodes; this room decides who gets the packet: the instances that share
its VRID on that socket, each after its plan's checksum verdict. It also counts malformed packets
on their instances, lets a byte-equal repeat take the short way (only the master-down timer
moves), and drops the addresses a restarted child kept once another router is seen as master.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Protocol

from alived.core.vrrp.checksum import ChecksumVerdict
from alived.core.vrrp.inputs import AdvertReceived
from alived.core.vrrp.kept_vips import another_master_holds
from alived.core.vrrp.wire import ReceivedPacket
from alived.daemon.vrrp.action_runner import ActionRunner
from alived.daemon.vrrp.driver import Driver, Unit
from alived.daemon.vrrp.sockets import SocketEntry
from alived.daemon.vrrp.view import ChildView
from alived.errors import DecodeError

log = logging.getLogger("alived.vrrp")


class ReceptionWorld(ChildView, Protocol):
    """What reception reads of the child, and the two steps it may ask for."""

    @property
    def driver(self) -> Driver: ...

    @property
    def actions(self) -> ActionRunner: ...

    def settle(self, units: Iterable[Unit] | None = None) -> None: ...


class Reception:
    """The socket pool's three callbacks: deliver, repeat and malformed."""

    def __init__(self, world: ReceptionWorld) -> None:
        self.world = world

    def deliver(self, entry: SocketEntry, packet: ReceivedPacket, as_v2: bool) -> bool:
        return self.dispatch(entry, packet, as_v2=as_v2)

    def repeat(self, entry: SocketEntry, vrid: int) -> bool:
        names = entry.by_vrid.get(vrid)
        return names is not None and len(names) == 1 and self.world.driver.repeat(names[0])

    def malformed(self, entry: SocketEntry, err: DecodeError, vrid: int | None) -> None:
        """Count a rejected packet on the instances of its VRID, as keepalived does; else only log."""
        world = self.world
        names = entry.by_vrid.get(vrid, []) if vrid is not None else []
        for name in names:
            inst, unit = world.instances.get(name), world.driver.unit_of.get(name)
            if inst is not None and unit is not None:
                inst.note_decode_error(err)
                world.settle((unit,))  # its log line
        if not names:
            log.debug("Dropped a malformed VRRP packet on %s: %s", entry.key[0], err)

    def dispatch(self, entry: SocketEntry, packet: ReceivedPacket, *, as_v2: bool = False) -> bool:
        """Hand `packet` to its VRID's instances; True if a byte-equal repeat may skip to the end."""
        world = self.world
        names = entry.by_vrid.get(packet.advert.vrid)
        plain = not as_v2  # fed with an ACCEPT verdict, as a repeat would be
        if not names:
            if world.config is not None and world.config.global_defs.log_unknown_vrids:
                log.info(
                    "Unknown VRID(%d) received on interface(%s). ignoring...",
                    packet.advert.vrid,
                    entry.key[0],
                )
            return False
        for name in names:
            plan = world.plans.get(name)
            verdict = ChecksumVerdict.ACCEPT
            if plan is not None:
                verdict = plan.checksum_verdict(packet, as_v2=as_v2)
            plain = plain and verdict is ChecksumVerdict.ACCEPT
            if verdict is ChecksumVerdict.REJECT:
                log.info("(%s) Invalid VRRPv3 checksum", name)
                if (inst := world.instances.get(name)) is not None:
                    inst.stats.bump("chk_err")
                continue
            if verdict is ChecksumVerdict.ADOPT:
                log.info("(%s) Setting unicast VRRPv3 checksum to old version", name)
            world.feed(name, AdvertReceived(packet=packet))
            inst = world.instances.get(name)
            if (
                name in world.actions.adopted
                and inst is not None
                and another_master_holds(
                    inst.state, inst.effective_priority, inst.params.nopreempt, packet.advert.priority
                )
            ):
                # A restarted child kept the addresses it found; another router is master.
                world.actions.drop_adopted(name)
                world.settle()
        return (
            plain
            and len(names) == 1
            and names[0] not in world.actions.adopted
            and world.driver.repeatable(names[0])
        )
