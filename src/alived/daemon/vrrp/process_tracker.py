"""vrrp_track_process in the VRRP child: the process table fed by the kernel, its delays, its specs.

The counting and quorum rules are core/vrrp/track_process.py; this module builds its specs from
the config, scans /proc at start (linux/proc_scan.py), then follows the kernel's process events
(linux/proc_connector.py) so that a tracked process starting or dying moves the priority at
once. When the connector cannot be opened (no CONFIG_PROC_EVENTS, no privilege) the table is
rescanned every FALLBACK_INTERVAL instead, and after lost events at once. Each quorum change is
logged in keepalived's words and handed to a callback, which feeds
a process `TrackerChanged` to the instances tracking it; the weight arithmetic and
FAULT for weight 0 live in the core (core/vrrp/priority.py), as for scripts.

`tracker_specs` gives an instance's TrackerSpecs (its own track_process entries and its sync
group's, with keepalived's weight rules) and their state at build time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Mapping

from alived.config import model
from alived.core.vrrp.params import PRIORITY_OWNER, TrackerSpec
from alived.core.vrrp.track_process import (
    QUORUM_MAX_UNSET,
    ParamMatch,
    ProcessSpec,
    ProcessTable,
    ProcInfo,
)
from alived.core.vrrp.tracker import TrackerKind
from alived.linux import clock, proc_scan
from alived.linux.proc_connector import ProcConnector, ProcEvent
from alived.units import Ticks

log = logging.getLogger("alived.vrrp")

FALLBACK_INTERVAL = 1.0


def process_spec(tp: model.TrackProcess) -> ProcessSpec | None:
    """The matching rules of one vrrp_track_process (None without a `process` line)."""
    if not tp.process:
        return None
    path, *args = tp.process
    params = b"".join(a.encode() + b"\0" for a in args) or None
    match = ParamMatch.NONE
    if tp.param_match in ("exact", "partial", "initial"):
        match = ParamMatch(tp.param_match)
    elif args:
        match = ParamMatch.EXACT
    full = tp.full_command or bool(args) or match is not ParamMatch.NONE
    quorum_max = QUORUM_MAX_UNSET if tp.quorum_max is None else tp.quorum_max
    quorum = 0 if quorum_max == 0 else max(1, tp.quorum)
    delay = tp.delay or 0
    return ProcessSpec(
        name=tp.name,
        process=path,
        params=params,
        param_match=match,
        full_command=full,
        quorum=quorum,
        quorum_max=quorum_max,
        fork_delay=Ticks(tp.fork_delay if tp.fork_delay is not None else delay),
        terminate_delay=Ticks(tp.terminate_delay if tp.terminate_delay is not None else delay),
    )


_snapshot: dict[tuple[model.TrackProcess, ...], tuple[float, dict[str, bool]]] = {}


def _initial_quorums(config: model.Config) -> dict[str, bool]:
    """Each tracked process's quorum now, from one /proc scan shared by the instances built together."""
    key = config.track_processes
    cached = _snapshot.get(key)
    if cached is not None and time.monotonic() - cached[0] < 1.0:
        return cached[1]
    specs = [s for s in map(process_spec, config.track_processes) if s is not None]
    table = ProcessTable(specs)
    table.scan(proc_scan.scan(cmdline=table.needs_cmdline))
    _snapshot.clear()
    _snapshot[key] = (time.monotonic(), table.quorums)
    return table.quorums


def tracker_specs(inst: model.VrrpInstance, config: model.Config) -> list[TrackerSpec]:
    """track_process entries of the instance and of its sync group (vrrp.c add_vrrp_to_track_process).

    The entry's weight overrides the block's; a group entry replaces a weighted instance entry for
    the same process, and is unweighted when a member of the group owns its addresses.
    """
    group = next((sg for sg in config.sync_groups if inst.name in sg.group), None)
    if not inst.track_process and (group is None or not group.track_process):
        return []
    blocks = {tp.name: tp for tp in config.track_processes if tp.process}
    chosen: dict[str, tuple[int, bool]] = {}
    for t in inst.track_process:
        tp = blocks.get(t.name)
        if tp is None or t.name in chosen:
            continue
        chosen[t.name] = (
            t.weight if t.weight is not None else tp.weight,
            t.reverse if t.reverse is not None else tp.weight_reverse,
        )
    if group is not None:
        members = [config.instance(m) for m in group.group]
        owner = any(m is not None and m.effective_priority == PRIORITY_OWNER for m in members)
        for t in group.track_process:
            tp = blocks.get(t.name)
            if tp is None:
                continue
            weight = 0 if owner else (t.weight if t.weight is not None else tp.weight)
            reverse = t.reverse if t.reverse is not None else tp.weight_reverse
            if t.name not in chosen:
                chosen[t.name] = (weight, reverse)
            elif chosen[t.name][0]:
                chosen[t.name] = (weight, chosen[t.name][1])
    if not chosen:
        return []
    quorums = _initial_quorums(config)
    return [
        TrackerSpec(
            kind=TrackerKind.PROCESS,
            name=name,
            weight=weight,
            reverse=reverse,
            initially_ok=quorums.get(name, False),
        )
        for name, (weight, reverse) in chosen.items()
    ]


class ProcessTrackers:
    """The vrrp_track_processes some instance tracks, kept current from the kernel's events."""

    def __init__(
        self,
        on_change: Callable[[str, bool], None],
        loop: asyncio.AbstractEventLoop | None = None,
        *,
        connector_factory: Callable[..., ProcConnector] = ProcConnector,
        scan: Callable[..., Mapping[int, ProcInfo]] = proc_scan.scan,
        read: Callable[..., ProcInfo | None] = proc_scan.read_process,
    ) -> None:
        self.on_change = on_change
        self.loop = loop
        self.table = ProcessTable(())
        self.specs: tuple[ProcessSpec, ...] = ()
        self._connector_factory = connector_factory
        self._scan = scan
        self._read = read
        self._connector: ProcConnector | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._poll: asyncio.TimerHandle | None = None

    @property
    def quorums(self) -> dict[str, bool]:
        return self.table.quorums

    def update(self, blocks: Iterable[model.TrackProcess]) -> None:
        """Track these blocks (start and reload); the table is rebuilt and rescanned when they change."""
        specs = tuple(s for s in map(process_spec, blocks) if s is not None)
        if specs == self.specs:
            return
        self.specs = specs
        self.table = ProcessTable(specs)
        self._cancel_timer()
        if not specs:
            self.stop()
            return
        self.table.scan(self._scan(cmdline=self.table.needs_cmdline))
        if self._connector is None and self._poll is None:
            self._listen()

    def _get_loop(self) -> asyncio.AbstractEventLoop:
        return self.loop or asyncio.get_running_loop()

    def _listen(self) -> None:
        connector = self._connector_factory(self.on_events, self.rescan, self.loop)
        try:
            connector.open()
        except OSError as err:
            log.info(
                "Failed to open process monitoring socket - errno %d - %s: scanning /proc every %gs",
                err.errno or 0,
                err.strerror or err,
                FALLBACK_INTERVAL,
            )
            self._poll = self._get_loop().call_later(FALLBACK_INTERVAL, self._poll_tick)
            return
        self._connector = connector

    def _poll_tick(self) -> None:
        self.rescan()
        self._poll = self._get_loop().call_later(FALLBACK_INTERVAL, self._poll_tick)

    def rescan(self) -> None:
        """Recount from /proc (events were lost, or there are none)."""
        procs = self._scan(cmdline=self.table.needs_cmdline)
        self._report(self.table.rescan(procs, clock.now()))

    def on_events(self, events: list[ProcEvent]) -> None:
        now = clock.now()
        table = self.table
        changes: list[tuple[str, bool]] = []
        # A process that exits within this batch is not read after its exec: it is gone anyway
        # (most of a build's processes live a millisecond), and the batch's net change is the same.
        exiting = {e.pid for e in events if e.kind == "exit"}
        for event in events:
            if event.kind == "fork":
                changes += table.fork(event.parent, event.pid, now)
            elif event.kind == "exec":
                info = None if event.pid in exiting else self._read(event.pid, cmdline=table.needs_cmdline)
                changes += table.exec(event.pid, info, now)
            elif event.kind == "comm":
                changes += table.comm(event.pid, event.comm, now)
            elif event.kind == "exit":
                changes += table.exit(event.pid, now)
        self._report(changes)

    def _report(self, changes: list[tuple[str, bool]]) -> None:
        # A batch may hold a process's exec and exit: only a quorum that ends changed is reported.
        first: dict[str, bool] = {}
        for name, up in changes:
            first.setdefault(name, not up)
        for name, was in first.items():
            up = self.table.have_quorum(name)
            if up == was:
                continue
            log.info("Quorum %s for tracked process %s", "gained" if up else "lost", name)
            self.on_change(name, up)
        self._arm()

    def _arm(self) -> None:
        self._cancel_timer()
        deadline = self.table.next_deadline()
        if deadline is not None:
            delay = max(0.0, (deadline - clock.now()) / 1_000_000)
            self._timer = self._get_loop().call_later(delay, self._expire)

    def _expire(self) -> None:
        self._timer = None
        self._report(self.table.expire(clock.now()))

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def stop(self) -> None:
        """Stop listening; idempotent. update() may start again."""
        self._cancel_timer()
        if self._poll is not None:
            self._poll.cancel()
            self._poll = None
        if self._connector is not None:
            self._connector.close()
            self._connector = None
        self.specs = ()
