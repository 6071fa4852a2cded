"""A VRRP child as the `.data` dump sees it (daemon/vrrp/data_report.py's `DataWorld`), for unit tests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

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


@dataclass
class EmptyChild:
    """A child with a config and nothing running: no plans, sockets, trackers or netlink."""

    config: model.Config | None
    plans: dict[str, InstancePlan] = field(default_factory=dict)
    sockets: dict[SocketKey, SocketEntry] = field(default_factory=dict)
    netlink: Netlink | None = None
    vmacs: VmacManager | None = None

    def reports(self) -> list[InstanceReport]:
        return []

    def script_trackers(self) -> Mapping[str, ScriptTracker]:
        return {}

    def sync_groups(self) -> Mapping[str, SyncGroup]:
        return {}

    def group_scripts(self) -> Mapping[str, NotifyScripts]:
        return {}

    def track_file_values(self) -> Mapping[str, int]:
        return {}

    def process_table(self) -> ProcessTable:
        return ProcessTable(())

    def garp_pacers(self) -> Mapping[tuple[str, bool], Pacer]:
        return {}
