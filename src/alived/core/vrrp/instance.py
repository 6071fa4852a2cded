"""VrrpInstance: one VRRP router (RFC 3768/5798 with keepalived's extensions), sans-IO.

Feed it inputs with `handle(input, now)`, run what `pop_actions()` returns, and arm one timer at
`next_deadline()`. Dispatch goes through states.TRANSITIONS; change_state() is the only place that
assigns the state and it runs exit actions, StateChanged, the log line, entry actions and the notify.
Behaviour follows keepalived 2.2's vrrp.c and vrrp_scheduler.c (facts §4.3, §4.4).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from alived.core.vrrp import priority as prio
from alived.core.vrrp.actions import (
    Action,
    InstallRoutes,
    InstallVips,
    Log,
    RemoveRoutes,
    RemoveVips,
    RunNotify,
    SendAdvert,
    SendGratuitous,
    StateChanged,
)
from alived.core.vrrp.auth import check_pass, pass_field, verify_ah
from alived.core.vrrp.inputs import (
    AdverTimerFired,
    AdvertReceived,
    FaultCleared,
    FaultRaised,
    GarpTimerFired,
    Input,
    MasterDownFired,
    NameStartFaults,
    PriorityChanged,
    Startup,
    SyncToFault,
    SyncToMaster,
    TimerFired,
    TrackerChanged,
)
from alived.core.vrrp.params import PRIORITY_OWNER, PRIORITY_STOP, InitialState, InstanceParams, TrackerSpec
from alived.core.vrrp.states import TRANSITIONS, State
from alived.core.vrrp.stats import Counters, decode_stat
from alived.core.vrrp.timers import master_down_interval, skew_time, skew_time_min
from alived.core.vrrp.tracker import TrackerKey, TrackerKind
from alived.core.vrrp.wire import AUTH_AH, AUTH_NONE, AUTH_PASS, Advert, IPAddress, ReceivedPacket
from alived.errors import DecodeError, LocalMisuse
from alived.units import SECOND, Ticks, to_centiseconds

AhVerifier = Callable[[ReceivedPacket, bytes, bool], bool]

_MAX_TIMER_STEPS = 16


def default_ah_verifier(packet: ReceivedPacket, key: bytes, unicast: bool) -> bool:
    """The codec's AH check (ICV and SPI); tests may inject another."""
    return verify_ah(packet, key, unicast=unicast)


# Trackers that name themselves when they fault (a file in _file_changed, a process in its watcher).
_SELF_NAMING = (TrackerKind.FILE, TrackerKind.PROCESS)


def _fault_word(reason: str, key: TrackerKey | None, file_status: Mapping[TrackerKey, int]) -> str:
    """keepalived's wording for one reason an instance faults (key: the tracker behind it, if any)."""
    if key is None or not key.name:
        return f"({reason})"
    match key.kind:
        case TrackerKind.SCRIPT:
            return f"due to script {key.name}"
        case TrackerKind.INTERFACE:
            return f"(interface {key.name} down)"
        case TrackerKind.FILE:
            return f"(tracked file {key.name} has status {file_status.get(key, prio.FILE_FAULT)})"
        case TrackerKind.PROCESS:
            return f"(tracked process {key.name} quorum not achieved)"
        case _:
            return f"({reason})"


def _tracker_reason(key: TrackerKey) -> str:
    return f"tracker {key}"


def _by_reason(cause: tuple[str, TrackerKey | None]) -> str:
    return cause[0]


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackerState:
    """One tracked object as status reports show it: OK, the file's value, what it does now."""

    spec: TrackerSpec
    ok: bool
    value: int | None
    contribution: int
    faulting: bool


class SyncGate(Protocol):
    """What an instance asks its sync group (sync_group.SyncGroup implements it)."""

    def may_become_master(self, member: VrrpInstance) -> bool: ...

    def may_leave_fault(self, member: VrrpInstance) -> bool: ...

    def quick_start(self, member: VrrpInstance) -> bool: ...

    def starts_in_fault(self, member: VrrpInstance) -> bool: ...

    def awaits_scripts(self, member: VrrpInstance) -> bool: ...


class VrrpInstance:
    """One vrrp_instance. Public read-only attributes describe it for status and tests."""

    def __init__(self, params: InstanceParams, *, ah_verifier: AhVerifier | None = None) -> None:
        self.params = params.enforced()
        self.name = params.name
        self.state = State.INIT
        self.stats = Counters()
        self.group: SyncGate | None = None
        self.wantstate = State.MASTER if params.initial_state is InitialState.MASTER else State.BACKUP
        self.master_adver_int: Ticks = self.params.advert_int
        self.master_address: IPAddress | None = None
        self.master_priority = 0
        self._actions: list[Action] = []
        self._base_priority = self.params.priority
        self._tracker_status: dict[TrackerKey, bool] = {t.key: t.initially_ok for t in self.params.trackers}
        self._tracker_values = {t.key: t.initial_value for t in self.params.trackers if t.file}
        # Scripts whose first result a starting instance still waits for in INIT (on_startup).
        self._awaiting = {t.key for t in self.params.trackers if t.awaited}
        self._waiting = False
        self._start_named = False  # NameStartFaults named the failing files and processes
        self.effective_priority = prio.effective_priority(
            self._base_priority,
            prio.total_priority(
                self._base_priority, self.params.trackers, self._tracker_status, self._tracker_values
            ),
        )
        self._faults: set[str] = set()
        self._ms_down_timer = self._master_down_interval()
        self._sands: Ticks | None = None
        self._garp_delay_at: Ticks | None = None
        self._garp_refresh_at: Ticks | None = None
        self._garp_extra_at: Ticks | None = None
        self._lower_garp_at: Ticks | None = None
        self._preempt_time: Ticks | None = None
        self._ah_seq = 0
        self._ah_verifier: AhVerifier = ah_verifier if ah_verifier is not None else default_ah_verifier
        self._rlflags: set[str] = set()
        self._adverts: dict[int, Advert] = {}
        # The params a repeat of the last accepted advert may skip to (None: no repeat is safe).
        self._repeat_params: InstanceParams | None = None
        self._clean_accept = False
        self._handlers: dict[tuple[State, type[Input]], Callable[[Input, Ticks], None] | str] = {}
        for key, transition in TRANSITIONS.items():
            if transition.handler is None:
                self._handlers[key] = transition.drop
            else:
                self._handlers[key] = getattr(self, transition.handler)

    # ---- the interface -------------------------------------------------------------------

    def handle(self, event: Input, now: Ticks) -> None:
        """Feed one input at time `now` (Ticks); queue the resulting actions."""
        self._repeat_params = None
        if isinstance(event, TimerFired):
            for _ in range(_MAX_TIMER_STEPS):
                due = self._due_timer(now)
                if due is None:
                    return
                self._dispatch(due, now)
            raise LocalMisuse(f"({self.name}) timers did not advance at {now}")
        self._dispatch(event, now)

    @property
    def repeatable(self) -> bool:
        """True if the last input was an advert whose byte-equal repeat `repeat_advert` may take."""
        return self._repeat_params is self.params and self.state is State.BACKUP

    def repeat_advert(self, now: Ticks) -> bool:
        """Take a repeat of the last input (an accepted advert, byte-equal) the short way.

        Only after an advert accepted in BACKUP from the current master that left nothing but
        the master-down timer to move (no counter but advert_rcvd, no log, no preempt_delay, no
        AH): the full path would do exactly this again. False: not safe, feed it in full.
        """
        if self._repeat_params is not self.params or self.state is not State.BACKUP:
            return False
        self.stats.bump("advert_rcvd")
        self._sands = Ticks(now + self._ms_down_timer)
        return True

    def _garp_times(self) -> tuple[Ticks | None, ...]:
        return (self._garp_delay_at, self._garp_refresh_at, self._garp_extra_at, self._lower_garp_at)

    def next_deadline(self) -> Ticks | None:
        """When the adapter should feed TimerFired next, or None for no timer."""
        times = [t for t in (self._sands, *self._garp_times()) if t is not None]
        return min(times) if times else None

    def pop_actions(self) -> list[Action]:
        """The actions queued since the last call, in the order they must be performed."""
        actions, self._actions = self._actions, []
        return actions

    def note_decode_error(self, error: DecodeError) -> None:
        """Count (and log once) a packet for our VRID that the codec rejected, as keepalived counts it."""
        self.stats.bump(decode_stat(error.reason))
        self._log_limited(f"decode_{error.reason}", f"({self.name}) dropped a malformed VRRP packet: {error}")

    @property
    def waiting(self) -> bool:
        """Started, but held in INIT for first script results (its own or its group's)."""
        return self._waiting

    @property
    def fault_reasons(self) -> frozenset[str]:
        """Why the instance is (or would be) in FAULT: adapter faults and weight-0 trackers."""
        return frozenset(self._fault_causes())

    def _fault_causes(self) -> dict[str, TrackerKey | None]:
        """Each reason for FAULT, with the tracker behind it (None: an adapter fault)."""
        trackers = prio.faulting_trackers(self.params.trackers, self._tracker_status, self._tracker_values)
        causes: dict[str, TrackerKey | None] = dict.fromkeys(self._faults)
        causes.update((_tracker_reason(key), key) for key in trackers)
        return causes

    def _file_statuses(self) -> dict[TrackerKey, int]:
        """Each file tracker's status as keepalived logs it (value x weight, unclamped; weight 0: -254)."""
        return {
            spec.key: prio.raw_file_status(spec, self._tracker_values[spec.key])
            for spec in self.params.trackers
            if spec.file
        }

    @property
    def total_priority(self) -> int:
        """The base priority plus every tracker's contribution, unclamped (keepalived's total_priority)."""
        return prio.total_priority(
            self._base_priority, self.params.trackers, self._tracker_status, self._tracker_values
        )

    @property
    def scripts_awaited(self) -> int:
        """Weight-0 scripts whose first result a starting instance still waits for (num_script_init)."""
        return len(self._awaiting)

    @property
    def read_timeout(self) -> Ticks | None:
        """When the instance's advert or master-down timer fires next (keepalived's sands); None: off."""
        return self._sands

    @property
    def down_timer(self) -> Ticks:
        """The current Master_Down_Timer length (keepalived's ms_down_timer)."""
        return self._ms_down_timer

    def tracker_states(self) -> list[TrackerState]:
        """Each tracked object now: its spec, OK or not, its file value, its effect (for status)."""
        out = []
        for spec in self.params.trackers:
            ok = self._tracker_status.get(spec.key, spec.initially_ok)
            value = self._tracker_values.get(spec.key, spec.initial_value)
            out.append(
                TrackerState(
                    spec=spec,
                    ok=ok,
                    value=value if spec.file else None,
                    contribution=prio.contribution(spec, ok, value),
                    faulting=prio.is_faulting(spec, ok, value),
                )
            )
        return out

    @property
    def holds_vips(self) -> bool:
        return self.state is State.MASTER

    # ---- dispatch --------------------------------------------------------------------------

    def _dispatch(self, event: Input, now: Ticks) -> None:
        handler = self._handlers.get((self.state, type(event)))
        if handler is None:
            raise LocalMisuse(
                f"({self.name}) {type(event).__name__} is not valid in state {self.state.value}"
            )
        if isinstance(handler, str):
            self.stats.bump(handler)
            return
        handler(event, now)

    def _due_timer(self, now: Ticks) -> Input | None:
        garp = [t for t in self._garp_times() if t is not None]
        if self._sands is not None and self._sands <= now and (not garp or self._sands <= min(garp)):
            return MasterDownFired() if self.state is State.BACKUP else AdverTimerFired()
        if garp and min(garp) <= now:
            return GarpTimerFired()
        return None

    # ---- timers and adverts ----------------------------------------------------------------

    def _master_down_interval(self) -> Ticks:
        p = self.params
        return master_down_interval(
            p.version, self._skew_priority(), self.master_adver_int, p.down_timer_adverts
        )

    def _skew_priority(self) -> int:
        return PRIORITY_OWNER if self._base_priority == PRIORITY_OWNER else self.effective_priority

    def _advert(self, priority: int) -> Advert:
        advert = self._adverts.get(priority)
        if advert is None:
            p = self.params
            auth_data = b""
            if p.version == 2:
                auth_data = pass_field(p.auth_key) if p.auth_type == AUTH_PASS else bytes(8)
            advert = Advert(
                version=p.version,
                vrid=p.vrid,
                priority=priority,
                adver_int=p.advert_int // SECOND if p.version == 2 else to_centiseconds(p.advert_int),
                addresses=p.addresses,
                auth_type=p.auth_type if p.version == 2 else AUTH_NONE,
                auth_data=auth_data,
            )
            self._adverts[priority] = advert
        return advert

    def _send_advert(self, priority: int, *, quiet: bool = False) -> None:
        """Queue an advert; `quiet`: a priority 0 keepalived neither logs nor counts as such."""
        seq: int | None = None
        if self.params.auth_type == AUTH_AH:
            self._ah_seq = (self._ah_seq + 1) & 0xFFFFFFFF
            seq = self._ah_seq
        self._actions.append(SendAdvert(advert=self._advert(priority), ah_seq=seq))
        self.stats.bump("advert_sent")
        if priority == PRIORITY_STOP and not quiet:
            self.stats.bump("pri_zero_sent")
            self._log("debug", f"({self.name}) sent 0 priority")

    def _log(self, level: str, text: str) -> None:
        self._actions.append(Log(level=level, text=text))

    def _log_limited(self, flag: str, text: str) -> None:
        # keepalived logs each receive error once until a packet is accepted again.
        if flag not in self._rlflags:
            self._rlflags.add(flag)
            self._log("info", text)

    def _notify(self, state: str) -> None:
        self._actions.append(
            RunNotify(kind="INSTANCE", name=self.name, state=state, priority=self.effective_priority)
        )

    # ---- the one state changer -------------------------------------------------------------

    def change_state(
        self,
        new: State,
        reason: str,
        now: Ticks,
        *,
        log_suffix: str = "",
        line: str | None = None,
        quiet: bool = False,
        notify: bool = True,
    ) -> None:
        """Leave the current state, enter `new`: the only code that assigns self.state.

        `line`: what to log instead of `Entering <STATE> STATE<log_suffix>`; quiet: log nothing;
        notify False: no notify script or FIFO line either.
        """
        old = self.state
        if old is new:
            raise LocalMisuse(f"({self.name}) change_state to the same state {new.value}")
        p = self.params
        # keepalived's vrrp_state_leave_master names the new state before it lets go of the
        # addresses ("Entering BACKUP STATE", then "removing VIPs."); elsewhere the name comes last.
        announce_first = old is State.MASTER and new is not State.STOP
        if announce_first:
            self._log("info", f"({self.name}) Entering {new.value} STATE{log_suffix}")
        if old is State.MASTER:
            if new is State.FAULT:
                # keepalived's vrrp_state_leave_master sends a priority 0 it does not log; a fault
                # of the instance's own (down_instance) then sends the logged one as it releases
                # the addresses, a member its sync group brings down does not.
                self._send_advert(PRIORITY_STOP, quiet=True)
            if new is State.STOP or (new is State.FAULT and reason != "sync_group"):
                self._send_advert(PRIORITY_STOP)
            if p.virtual_routes or p.virtual_rules:
                self._actions.append(RemoveRoutes(routes=p.virtual_routes, rules=p.virtual_rules))
            self._actions.append(RemoveVips(addresses=p.addresses, excluded=p.excluded_addresses))
            self._garp_delay_at = self._garp_refresh_at = self._garp_extra_at = self._lower_garp_at = None
            self.stats.bump("release_master")
        if new is State.MASTER:
            # The old master must hear us before our GARPs move the addresses (vrrp_state_master_tx).
            self._send_advert(self.effective_priority)
        self.state = new
        self._actions.append(StateChanged(name=self.name, old=old.value, new=new.value, reason=reason))
        if new is not State.STOP and not announce_first and not quiet:
            self._log("info", line or f"({self.name}) Entering {new.value} STATE{log_suffix}")
        if new is State.MASTER:
            self._enter_master(now)
        elif new is State.BACKUP:
            self._preempt_time = None
            if old is not State.MASTER:
                self.master_adver_int = p.advert_int
            self._ms_down_timer = self._master_down_interval()
            self._sands = Ticks(now + self._ms_down_timer)
        else:
            self._sands = None
            self.master_adver_int = p.advert_int
        if notify:
            self._notify(new.value)

    def _enter_master(self, now: Ticks) -> None:
        p = self.params
        self.stats.bump("become_master")
        self._rlflags.clear()
        self.wantstate = State.MASTER
        self.master_adver_int = p.advert_int
        self.master_address = p.primary_address
        self.master_priority = self.effective_priority
        self._actions.append(
            InstallVips(addresses=p.addresses, excluded=p.excluded_addresses, accept=p.accept)
        )
        if p.virtual_routes or p.virtual_rules:
            self._actions.append(InstallRoutes(routes=p.virtual_routes, rules=p.virtual_rules))
        vips = p.addresses + p.excluded_addresses
        if vips and p.garp.master_repeat > 0:
            self._actions.append(SendGratuitous(addresses=vips, repeat=p.garp.master_repeat, reason="master"))
        if vips and p.garp.master_delay > 0 and p.garp.master_repeat > 0:
            self._garp_delay_at = Ticks(now + p.garp.master_delay)
        if vips and p.garp.master_refresh > 0:
            self._garp_refresh_at = Ticks(now + p.garp.master_delay + p.garp.master_refresh)
        if p.garp.extra_addresses and p.garp.extra_interval > 0:
            self._garp_extra_at = Ticks(now + p.garp.extra_interval)
        self._sands = Ticks(now + p.advert_int)

    # ---- handlers (named in states.TRANSITIONS) ----------------------------------------------

    def on_name_start_faults(self, event: Input, now: Ticks) -> None:
        assert isinstance(event, NameStartFaults)
        del now
        self._name_start_faults()
        self._start_named = True

    def _name_start_faults(self) -> None:
        # keepalived names a faulting tracked file at startup (initialise_vrrp_file_tracking_priorities).
        causes = self._fault_causes()
        statuses = self._file_statuses()
        for reason, key in sorted(causes.items(), key=_by_reason):
            if key is not None and key.kind in _SELF_NAMING:
                words = _fault_word(reason, key, statuses)
                # keepalived writes "(VI): entering" for a file, "(VI) entering" for a process.
                colon = ":" if key.kind is TrackerKind.FILE else ""
                self._log("info", f"({self.name}){colon} entering FAULT state {words}")

    def on_startup(self, event: Input, now: Ticks) -> None:
        assert isinstance(event, Startup)
        causes = self._fault_causes()
        if causes and event.carried is State.FAULT and self.group is None:
            # keepalived's reload keeps a faulted instance in FAULT: it names its tracked files
            # again (initialise_tracking_priorities), no state line, no notify, no FIFO line.
            if not self._start_named:
                self._name_start_faults()
            self.change_state(State.FAULT, "reload", now, quiet=True, notify=False)
        elif causes:
            if not self._start_named:
                self._name_start_faults()
            if any(key is None or key.kind in _SELF_NAMING for key in causes.values()):
                # A fault found at start (no source address, link down, a tracked file or process)
                # puts keepalived in FAULT before vrrp_init_state, which then has no state change
                # to log: vrrp_complete_init names it once.
                self.change_state(State.FAULT, "init", now, line=f"({self.name}) entering FAULT state")
            elif all(key.kind is TrackerKind.SCRIPT for key in causes.values() if key is not None):
                # a script failed by config (init_fail): keepalived 2.2.7 starts in FAULT silently
                self.change_state(State.FAULT, "init", now, quiet=True)
            else:
                self.change_state(State.FAULT, "init", now, log_suffix=" (init)")
        elif self.group is not None and self.group.starts_in_fault(self):
            # Its sync group starts in FAULT for another member (SyncGroup.start_in_fault).
            self.change_state(State.FAULT, "init", now, line=f"({self.name}) entering FAULT state")
        elif event.carried in (State.MASTER, State.BACKUP):
            self._carry(event.carried, now)
        elif event.resume_master:
            self.change_state(State.MASTER, "resume", now)
        elif event.await_scripts and (
            self._awaiting if self.group is None else self.group.awaits_scripts(self)
        ):
            # keepalived 2.2.7 leaves the instance in INIT, silent, until its weight-0 scripts
            # answer (_finish_waiting); no advert, no VIP, no notify before. In a sync group, every
            # member waits for all the members' scripts (the group's num_member_init).
            self._waiting = True
        else:
            self._start_running(now, log_suffix=" (init)", first=True)

    def _carry(self, state: State, now: Ticks) -> None:
        """Take over a reloaded instance's MASTER or BACKUP state silently (keepalived's reload).

        No line, no notify and no address action: the adapter keeps and diffs the addresses. A
        master advertises at once (reload_master); a backup starts a fresh Master_Down_Timer.
        """
        p = self.params
        old = self.state
        self.state = state
        self._actions.append(StateChanged(name=self.name, old=old.value, new=state.value, reason="reload"))
        self.master_adver_int = p.advert_int
        if state is State.MASTER:
            self.wantstate = State.MASTER
            self.master_address = p.primary_address
            self.master_priority = self.effective_priority
            self._send_advert(self.effective_priority)
            self._sands = Ticks(now + p.advert_int)
        else:
            self._ms_down_timer = self._master_down_interval()
            self._sands = Ticks(now + self._ms_down_timer)

    def _start_running(self, now: Ticks, *, log_suffix: str, first: bool = False) -> None:
        p = self.params
        if (
            p.owner
            and self.wantstate is State.MASTER
            and (self.group is None or self.group.may_become_master(self))
        ):
            if first:
                # keepalived's vrrp_init_state: an address owner starts as BACKUP, silent and
                # unnotified, with a 1 us master-down timer ("Receive advertisement timeout").
                self.change_state(State.BACKUP, "init", now, quiet=True, notify=False)
                self._ms_down_timer = Ticks(1)
                self._sands = Ticks(now + self._ms_down_timer)
            else:
                self.change_state(State.MASTER, "init", now)
        else:
            self.change_state(State.BACKUP, "init", now, log_suffix=log_suffix)
            if self.wantstate is State.MASTER and self.group is not None and self.group.quick_start(self):
                # vrrp_init_state(): one advert interval is enough to be sure there is no master.
                self._ms_down_timer = Ticks(
                    self.master_adver_int + skew_time_min(p.version, self.master_adver_int)
                )
                self._sands = Ticks(now + self._ms_down_timer)

    def on_master_down(self, event: Input, now: Ticks) -> None:
        del event
        self.wantstate = State.MASTER
        # keepalived logs the timeout even when its sync group then holds the instance in BACKUP.
        self._log("debug", f"({self.name}) Receive advertisement timeout")
        if self.group is not None and not self.group.may_become_master(self):
            # The group prefers BACKUP until every member wants MASTER (vrrp_sync_can_goto_master).
            self._ms_down_timer = self._master_down_interval()
            self._sands = Ticks(now + self._ms_down_timer)
            return
        self.change_state(State.MASTER, "master_down", now)

    def on_adver_timer(self, event: Input, now: Ticks) -> None:
        del event
        self._send_advert(self.effective_priority)
        self._sands = Ticks(now + self.params.advert_int)

    def on_garp_timer(self, event: Input, now: Ticks) -> None:
        del event
        p = self.params
        vips = p.addresses + p.excluded_addresses
        if self._garp_delay_at is not None and self._garp_delay_at <= now:
            self._garp_delay_at = None
            self._actions.append(
                SendGratuitous(addresses=vips, repeat=p.garp.master_repeat, reason="delayed")
            )
        if self._garp_refresh_at is not None and self._garp_refresh_at <= now:
            self._garp_refresh_at = Ticks(now + p.garp.master_refresh)
            self._actions.append(
                SendGratuitous(addresses=vips, repeat=p.garp.refresh_repeat, reason="refresh")
            )
        if self._garp_extra_at is not None and self._garp_extra_at <= now:
            self._garp_extra_at = Ticks(now + p.garp.extra_interval)
            # keepalived sends a single one each time, whatever the repeat settings.
            self._actions.append(
                SendGratuitous(addresses=p.garp.extra_addresses, repeat=1, reason="extra_if")
            )
        if self._lower_garp_at is not None and self._lower_garp_at <= now:
            self._lower_garp_at = None
            self._actions.append(
                SendGratuitous(addresses=vips, repeat=p.garp.lower_prio_repeat, reason="lower_prio")
            )

    def on_backup_advert(self, event: Input, now: Ticks) -> None:
        assert isinstance(event, AdvertReceived)
        packet = event.packet
        master_change = packet.source != self.master_address
        if not self._accept(packet, check_vips=master_change or not self.params.skip_check_adv_addr):
            return
        if master_change:
            self._rlflags.clear()
        advert = packet.advert
        p = self.params
        if advert.priority == PRIORITY_STOP:
            self._log("debug", f"({self.name}) Backup received priority 0 advertisement")
            self._ms_down_timer = skew_time(p.version, self._skew_priority(), self.master_adver_int)
            self._sands = Ticks(now + self._ms_down_timer)
        elif (
            p.nopreempt
            or advert.priority >= self.effective_priority
            or (p.preempt_delay and (self._preempt_time is None or self._preempt_time > now))
        ):
            if p.version == 3:
                self.master_adver_int = advert.interval
            self._ms_down_timer = self._master_down_interval()
            self._sands = Ticks(now + self._ms_down_timer)
            self.master_address = packet.source
            self.master_priority = advert.priority
            if p.preempt_delay:
                if advert.priority >= self.effective_priority:
                    if self._preempt_time is not None:
                        self._log("debug", f"({self.name}) stop preempt delay")
                    self._preempt_time = None
                elif self._preempt_time is None:
                    seconds, micros = divmod(p.preempt_delay, SECOND)
                    self._log("debug", f"({self.name}) start preempt delay ({seconds}.{micros:06d})")
                    self._preempt_time = Ticks(now + p.preempt_delay)
            self.wantstate = State.BACKUP
            if self._clean_accept and not p.preempt_delay and packet.ah is None:
                self._repeat_params = p
        else:
            self._log(
                "info",
                f"({self.name}) received lower priority ({advert.priority}) advert from {packet.source}"
                " - discarding",
            )
            self.master_address = packet.source

    def on_master_advert(self, event: Input, now: Ticks) -> None:
        assert isinstance(event, AdvertReceived)
        packet = event.packet
        if not self._accept(packet, check_vips=True):
            return
        p = self.params
        advert = packet.advert
        ours = self.effective_priority
        # Families already match (validated), so the integer values order the addresses.
        theirs_addr, ours_addr = int(packet.source), int(p.primary_address)
        cmp = (theirs_addr > ours_addr) - (theirs_addr < ours_addr)
        if advert.priority == PRIORITY_STOP or (
            p.higher_prio_send_advert and (advert.priority > ours or (advert.priority == ours and cmp > 0))
        ):
            self._send_advert(ours)
            self._sands = Ticks(now + p.advert_int)
            if advert.priority == PRIORITY_STOP:
                self._log("debug", f"({self.name}) Master received priority 0 message")
                return
        if advert.priority == ours and cmp == 0:
            self._log(
                "info",
                f"({self.name}) WARNING - equal priority advert received from remote host"
                " with our IP address.",
            )
            return
        if advert.priority == ours == PRIORITY_OWNER:
            self._log_limited(
                "owner",
                f"({self.name}) CONFIGURATION ERROR: local instance and {packet.source} are both configured"
                " as address owner, please resolve",
            )
        if advert.priority < ours or (advert.priority == ours and cmp < 0):
            self._master_rx_lower(packet, now)
            return
        if advert.priority > ours and self._base_priority != PRIORITY_OWNER:
            self._log(
                "info",
                f"({self.name}) Master received advert from {packet.source} with higher priority"
                f" {advert.priority}, ours {ours}",
            )
            reason = "higher_priority"
        else:
            self._log(
                "info",
                f"({self.name}) Master received advert from {packet.source} with same priority"
                f" {advert.priority} but higher IP address than ours",
            )
            reason = "higher_address"
        if p.version == 3:
            self.master_adver_int = advert.interval
        self.master_address = packet.source
        self.master_priority = advert.priority
        self.wantstate = State.BACKUP
        self.change_state(State.BACKUP, reason, now)

    def _master_rx_lower(self, packet: ReceivedPacket, now: Ticks) -> None:
        p = self.params
        self._log(
            "info",
            f"({self.name}) Received advert from {packet.source} with lower priority"
            f" {packet.advert.priority}, ours {self.effective_priority}"
            + ("" if p.lower_prio_no_advert else ", forcing new election"),
        )
        if p.auth_type == AUTH_AH and packet.ah is not None:
            self._ah_seq = (packet.ah.seq + 1) & 0xFFFFFFFF
        if not p.lower_prio_no_advert:
            self._send_advert(self.effective_priority)
            self._sands = Ticks(now + p.advert_int)
        vips = p.addresses + p.excluded_addresses
        if vips and p.garp.lower_prio_repeat > 0:
            self._actions.append(
                SendGratuitous(addresses=vips, repeat=p.garp.lower_prio_repeat, reason="lower_prio")
            )
            if p.garp.lower_prio_delay > 0:
                self._lower_garp_at = Ticks(now + p.garp.lower_prio_delay)
        self._notify("MASTER_RX_LOWER_PRI")

    def on_priority_input(self, event: Input, now: Ticks) -> None:
        if isinstance(event, TrackerChanged):
            key = event.key
            if key not in self._tracker_status:
                raise LocalMisuse(f"({self.name}) unknown tracker {str(key)!r}")
            self._tracker_status[key] = event.ok
            self._awaiting.discard(key)
            if key in self._tracker_values:
                self._file_changed(event)
        elif isinstance(event, PriorityChanged):
            if not 1 <= event.priority <= PRIORITY_OWNER:
                raise LocalMisuse(f"({self.name}) base priority {event.priority} outside 1..255")
            self._base_priority = event.priority
        self._update_priority(now, quiet=isinstance(event, PriorityChanged) and event.reload)
        self._apply_faults(now)
        self._finish_waiting(now)

    def _finish_waiting(self, now: Ticks) -> None:
        """A waiting instance starts on its scripts' first results: all OK, or one failing."""
        if not self._waiting or self.state is not State.INIT:
            return
        if self._fault_causes():
            # keepalived enters FAULT without a line here; the notify scripts still hear FAULT.
            self._waiting = False
            self.change_state(State.FAULT, "init", now, quiet=True)
        elif not self._awaiting and (self.group is None or not self.group.awaits_scripts(self)):
            self._waiting = False
            if self.group is not None and not self.params.owner:
                # try_up_instance: a member leaving INIT waits a full master-down interval.
                self.wantstate = State.BACKUP
            self._start_running(now, log_suffix="")

    def on_sync_end_wait(self, event: Input, now: Ticks) -> None:
        """The group of a member waiting at start moves (BACKUP, MASTER, FAULT): it goes along.

        keepalived held such a member in FAULT, silent: going FAULT with the group says and
        notifies nothing; going BACKUP is its first state change, logged and notified.
        """
        if not self._waiting:
            self.stats.bump("dropped_in_state")
            return
        self._waiting = False
        if isinstance(event, SyncToFault):
            self.change_state(State.FAULT, "sync_group", now, quiet=True, notify=False)
        elif isinstance(event, SyncToMaster):
            self.change_state(State.MASTER, "sync_group", now)
        else:
            self.wantstate = State.BACKUP
            self.change_state(State.BACKUP, "sync_group", now)

    def _update_priority(self, now: Ticks, *, quiet: bool = False) -> None:
        p = self.params
        values = self._tracker_values
        total = prio.total_priority(self._base_priority, p.trackers, self._tracker_status, values)
        new = prio.effective_priority(self._base_priority, total)
        if new == self.effective_priority:
            return
        if not quiet:
            self._log(
                "info", f"({self.name}) Changing effective priority from {self.effective_priority} to {new}"
            )
        self.effective_priority = new
        old_down = self._ms_down_timer
        self._ms_down_timer = self._master_down_interval()
        if self.state is State.BACKUP and self._sands is not None:
            # Shift the running down timer by the change in its length (vrrp_set_effective_priority).
            self._sands = Ticks(max(now, self._sands + self._ms_down_timer - old_down))
        if p.notify_priority_changes and not quiet and self.state in (State.MASTER, State.BACKUP):
            self._notify(f"{self.state.value}_PRIORITY")

    def _file_changed(self, event: TrackerChanged) -> None:
        """Record a file tracker's value; name it entering or leaving FAULT as keepalived does."""
        key = event.key
        spec = next(t for t in self.params.trackers if t.key == key)
        before = prio.is_faulting(spec, True, self._tracker_values[key])
        value = event.value if event.value is not None else (0 if event.ok else 1)
        self._tracker_values[key] = value
        after = prio.is_faulting(spec, True, value)
        if before != after and self.state is not State.INIT:
            what = "now" if after else "leaving"
            self._log("info", f"({self.name}): tracked file {key.name} {what} FAULT state")

    def _apply_faults(self, now: Ticks) -> None:
        causes = self._fault_causes()
        if causes and self.state in (State.BACKUP, State.MASTER):
            # keepalived's down_instance() names no tracker at run time (its "entering FAULT state
            # due to script / (interface X down)" lines are start-up only); a file or a process
            # names itself in its own line. Nor is its own interface going down named.
            others = sorted(
                ((r, k) for r, k in causes.items() if k is None and not r.startswith("interface ")),
                key=_by_reason,
            )
            if others:
                statuses = self._file_statuses()
                words = " ".join(_fault_word(r, k, statuses) for r, k in others)
                self._log("info", f"({self.name}): entering FAULT state {words}")
            self.change_state(State.FAULT, "fault", now)
        elif not causes and self.state is State.FAULT:
            self._leave_fault(now)

    def _leave_fault(self, now: Ticks) -> None:
        if self.group is not None and not self.group.may_leave_fault(self):
            return
        if (
            self.params.owner
            and self.wantstate is State.MASTER
            and (self.group is None or self.group.may_become_master(self))
        ):
            self.change_state(State.MASTER, "fault_cleared", now)
            return
        self.wantstate = State.BACKUP
        self.change_state(State.BACKUP, "fault_cleared", now)

    def on_fault_record(self, event: Input, now: Ticks) -> None:
        del now
        if isinstance(event, FaultRaised):
            self._faults.add(event.reason)
        elif isinstance(event, FaultCleared):
            self._faults.discard(event.reason)

    def on_fault_raised(self, event: Input, now: Ticks) -> None:
        self.on_fault_record(event, now)
        self._apply_faults(now)

    def on_fault_cleared(self, event: Input, now: Ticks) -> None:
        self.on_fault_record(event, now)
        self._apply_faults(now)

    def on_shutdown(self, event: Input, now: Ticks) -> None:
        del event
        self.change_state(State.STOP, "shutdown", now)
        self._garp_delay_at = self._garp_refresh_at = self._garp_extra_at = self._lower_garp_at = None

    def on_sync_master(self, event: Input, now: Ticks) -> None:
        del event
        self.change_state(State.MASTER, "sync_group", now)

    def on_sync_backup(self, event: Input, now: Ticks) -> None:
        del event
        self.wantstate = State.BACKUP
        self.change_state(State.BACKUP, "sync_group", now)

    def on_sync_fault(self, event: Input, now: Ticks) -> None:
        del event
        self.change_state(State.FAULT, "sync_group", now)

    def on_sync_leave_fault(self, event: Input, now: Ticks) -> None:
        del event
        if self.fault_reasons:
            self.stats.bump("dropped_in_state")
            return
        self.wantstate = State.BACKUP
        self.change_state(State.BACKUP, "sync_group", now)

    # ---- receive validation (vrrp_check_packet, in keepalived's order) ----------------------

    def _accept(self, packet: ReceivedPacket, *, check_vips: bool) -> bool:
        """True if the packet passes validation; every rejection is counted and never moves state."""
        p = self.params
        advert = packet.advert
        src = packet.source
        n = self.name
        self._clean_accept = False
        if advert.vrid != p.vrid:
            self.stats.bump("vrid_mismatch")
            return False
        if src.version != p.family:
            self.stats.bump("family_mismatch")
            return False
        if (packet.ah is not None) != (p.auth_type == AUTH_AH):
            self.stats.bump("authtype_mismatch")
            what = (
                "Received AH header but auth type not AH" if packet.ah else "No AH header but auth type is AH"
            )
            self._log_limited("ah", f"({n}) {what} from {src}")
            return False
        if not p.unicast and packet.ttl != 255:
            self.stats.bump("ip_ttl_err")
            self._log_limited("ttl", f"({n}) invalid TTL/HL from {src}. Received {packet.ttl} and expect 255")
            return False
        if advert.version != p.version:
            self.stats.bump("vers_err")
            self._log_limited(
                "version",
                f"({n}) wrong VRRP version from {src}. Received {advert.version} and expect {p.version}",
            )
            return False
        clean = True
        if p.version == 2:
            if not self._v2_auth_ok(packet):
                return False
            if advert.interval != p.advert_int:
                self.stats.bump("advert_interval_err")
                # keepalived 2.2.7 logs this drop at every advert, naming no sender.
                self._log(
                    "info",
                    f"({n}) advertisement interval mismatch mine={p.advert_int // SECOND} sec"
                    f" rcv'd={advert.adver_int} sec",
                )
                return False
        elif advert.interval != p.advert_int:
            clean = False
            self._log_limited(
                "interval",
                f"({n}) advertisement interval mismatch ours = {to_centiseconds(p.advert_int)} centi-sec"
                f" rcv'd={advert.adver_int} centi-sec",
            )
        if packet.destination.is_multicast == p.unicast:
            self.stats.bump("addr_list_err")
            kinds = ("un", "mult") if p.unicast else ("mult", "un")
            self._log_limited(
                "cast",
                f"({n}) Expected {kinds[0]}icast packet but received {kinds[1]}icast packet from {src}",
            )
            return False
        if p.owner_ignore_adverts and self.effective_priority == PRIORITY_OWNER:
            self.stats.bump("owner_ignored")
            return False
        self.stats.bump("advert_rcvd")
        if len(advert.addresses) != len(p.addresses):
            clean = False
            self.stats.bump("addr_list_err")
            self._log_limited(
                "naddr", f"({n}) expected {len(p.addresses)} VIPs but received {len(advert.addresses)}"
            )
        elif check_vips and advert.addresses != p.addresses:
            received = set(advert.addresses)
            missing = next((a for a in p.addresses if a not in received), None)
            if missing is not None:
                clean = False
                self.stats.bump("addr_list_err")
                self._log_limited(
                    "vips",
                    f"({n}) ip address associated with VRID {p.vrid} not present in advert from {src}:"
                    f" {missing}",
                )
        if p.unicast and (p.check_unicast_src or p.unicast_peer_ttl):
            if src not in p.unicast_peers:
                self.stats.bump("unicast_src_err")
                self._log_limited("unicast_src", f"({n}) unicast source address {src} not a unicast peer")
                return False
            for peer, min_ttl, max_ttl in p.unicast_peer_ttl:
                if peer == src and not min_ttl <= packet.ttl <= max_ttl:
                    self.stats.bump("ip_ttl_err")
                    # keepalived logs this for every such advert, not once per run of errors.
                    self._log("info", f"({n}) TTL/HL {packet.ttl} not in range {min_ttl} - {max_ttl}")
                    return False
        if advert.priority == PRIORITY_STOP:
            self.stats.bump("pri_zero_rcvd")
            clean = False
        self._clean_accept = clean
        return True

    def _v2_auth_ok(self, packet: ReceivedPacket) -> bool:
        p = self.params
        advert = packet.advert
        src = packet.source
        if advert.auth_type not in (AUTH_NONE, AUTH_PASS, AUTH_AH):
            self.stats.bump("invalid_authtype")
            self._log_limited("auth", f"({self.name}) Invalid auth type from {src}: {advert.auth_type}")
            return False
        if advert.auth_type != p.auth_type:
            self.stats.bump("authtype_mismatch")
            self._log_limited(
                "auth",
                f"({self.name}) received a {advert.auth_type} auth from {src}, expecting {p.auth_type}!",
            )
            return False
        if p.auth_type == AUTH_PASS and not check_pass(advert, p.auth_key):
            self.stats.bump("auth_failure")
            self._log_limited("passwd", f"({self.name}) received an invalid passwd from {src}!")
            return False
        if p.auth_type == AUTH_AH:
            if not self._ah_verifier(packet, p.auth_key, p.unicast):
                self.stats.bump("auth_failure")
                self._log_limited(
                    "ah_icv", f"({self.name}) IPSEC-AH : invalid IPSEC HMAC-MD5 value from {src}"
                )
                return False
            # keepalived keeps one sequence counter per instance for both directions: a received
            # advert must be newer than anything seen or sent, and our next advert continues from it.
            seq = packet.ah.seq if packet.ah is not None else 0
            if seq <= self._ah_seq:
                self.stats.bump("auth_failure")
                self._log(
                    "info",
                    f"({self.name}) IPSEC-AH : sequence number {seq} already processed. Packet dropped."
                    f" Local({self._ah_seq})",
                )
                return False
            self._ah_seq = seq
        return True
