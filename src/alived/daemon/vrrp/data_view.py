"""The VRRP child as its `.data` dump reads it (data_report.DataWorld): each part's state by name.

The dump needs the trackers', sync groups', pacers' and group notify scripts' state, which the
child's parts own; this view reaches into them so the child itself keeps no accessor per section.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from alived.config import model
from alived.core.vrrp.sync_group import SyncGroup
from alived.core.vrrp.track_process import ProcessTable
from alived.daemon.vrrp.dumps import InstanceReport
from alived.daemon.vrrp.garp_pacer import Pacer
from alived.daemon.vrrp.sockets import SocketEntry
from alived.daemon.vrrp.trackers import ScriptTracker
from alived.daemon.vrrp.translate import InstancePlan, SocketKey
from alived.linux.netlink import Netlink
from alived.linux.vmac import VmacManager
from alived.notify.scripts import NotifyScripts

if TYPE_CHECKING:
    from alived.daemon.vrrp.child import VrrpChild


@dataclass(frozen=True, slots=True)
class ChildData:
    """One dump's view of `child`."""

    child: VrrpChild

    @property
    def config(self) -> model.Config | None:
        return self.child.config

    @property
    def plans(self) -> dict[str, InstancePlan]:
        return self.child.plans

    @property
    def netlink(self) -> Netlink | None:
        return self.child.netlink

    @property
    def vmacs(self) -> VmacManager | None:
        return self.child.vmacs

    @property
    def sockets(self) -> dict[SocketKey, SocketEntry]:
        return self.child.sockets

    def reports(self) -> list[InstanceReport]:
        return self.child.reports()

    def script_trackers(self) -> dict[str, ScriptTracker]:
        return self.child.trackers.scripts.scripts

    def sync_groups(self) -> dict[str, SyncGroup]:
        units = self.child.driver.units.values()
        return {u.group.name: u.group for u in units if u.group is not None}

    def garp_pacers(self) -> dict[tuple[str, bool], Pacer]:
        return self.child.actions.announcer.pacers

    def process_table(self) -> ProcessTable:
        return self.child.trackers.processes.processes.table

    def track_file_values(self) -> dict[str, int]:
        return self.child.trackers.files.files.values

    def group_scripts(self) -> dict[str, NotifyScripts]:
        return self.child.actions.group_notify
