"""The checker core: probes scheduled, results judged, real servers and virtual servers decided.

Sans-IO like core/vrrp: every entry point takes `now` (Ticks); the adapter arms one timer from
`next_deadline()`, runs the `RunProbe` actions as tasks and feeds each result back with
`result()`. Randomness (the warmup spread) is an input: `start()` and `reload()` take a
`jitter(bound) -> Ticks` function. Log texts, quorum and sorry-server rules follow keepalived
2.2.7's ipwrapper.c; a real server is alive when all of its checkers are up.

Two real servers (of two virtual servers) with an identical check (same probe identity and
scheduling) share one probe: one attempt, one verdict, fanned out to both.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from alived.core.check.actions import Action, ApplyLb, Log, Mail, RunProbe, RunScript
from alived.core.check.desired import DesiredVirtualServer, Destination
from alived.core.check.params import (
    CheckerParams,
    RealServerParams,
    VirtualServerParams,
    format_server,
)
from alived.core.check.result import ProbeResult
from alived.core.check.verdict import CheckerVerdict, Outcome, failure_text, success_text
from alived.units import SECOND, Ticks

BOOTSTRAP_DELAY = Ticks(SECOND)  # keepalived's first checks start one second after start-up
IPVS_WEIGHT_MAX = 65535

Jitter = Callable[[Ticks], Ticks]

# The body of a checker's smtp_alert, per keyword: (up, down), keepalived 2.2.7's words (check_*.c).
_MAIL_BODIES = {
    "TCP_CHECK": ("=> TCP CHECK succeed on service <=", "=> TCP CHECK failed on service <="),
    "HTTP_GET": (
        "=> CHECK succeed on service <=",
        "=> CHECK failed on service : HTTP request failed <=",
    ),
    "DNS_CHECK": ("=> DNS_CHECK: succeed on service <=", "=> DNS_CHECK: failed on service <="),
    "UDP_CHECK": ("=> UDP CHECK succeed on service <=", "=> UDP CHECK failed on service <="),
    "PING_CHECK": ("=> ICMP CHECK succeed on service <=", "=> ICMP CHECK failed on service <="),
    "MISC_CHECK": ("=> MISC CHECK succeeded on service <=", "=> MISC CHECK failed on service <="),
}
_MAIL_BODIES["SSL_GET"] = _MAIL_BODIES["HTTP_GET"]
_MAIL_DEFAULT = ("=> CHECK succeed on service <=", "=> CHECK failed on service <=")


def mail_body(keyword: str, up: bool) -> str:
    """What a checker's smtp_alert says (SMTP_CHECK and FILE_CHECK use the plain words)."""
    return _MAIL_BODIES.get(keyword, _MAIL_DEFAULT)[0 if up else 1]


def real_weight(weight: int) -> int:
    """keepalived's real_weight: the weight IPVS can take (dynamic weights may leave the range)."""
    return min(max(weight, 0), IPVS_WEIGHT_MAX)


class _Probe:
    """One scheduled checker, possibly shared by several (virtual server, real server) pairs."""

    __slots__ = (
        "attempts",
        "due",
        "duration",
        "enabled",
        "failures",
        "gen",
        "key",
        "last_result",
        "last_run",
        "params",
        "running",
        "started",
        "subscribers",
        "transitions",
        "verdict",
    )

    def __init__(self, key: int, params: CheckerParams) -> None:
        self.key = key
        self.params = params
        self.verdict = CheckerVerdict(params)
        self.subscribers: list[tuple[_Vs, _Rs]] = []
        self.due: Ticks | None = None
        self.gen = 0
        self.running = False
        self.enabled = True
        self.last_result: ProbeResult | None = None
        self.last_run: Ticks | None = None
        # For status and metrics: attempts, failed ones, verdict flips, the last attempt's length.
        self.started: Ticks | None = None
        self.attempts = 0
        self.failures = 0
        self.transitions = 0
        self.duration: Ticks | None = None


class _Rs:
    __slots__ = ("alive", "cur_weight", "dest", "downs", "name", "params", "probes", "ups", "weight")

    def __init__(self, params: RealServerParams, name: str) -> None:
        self.params = params
        self.name = name
        self.probes: list[_Probe] = []
        self.alive = False
        self.cur_weight: dict[int, int] = {}  # per probe: misc_dynamic offset from the weight
        self.weight = params.weight
        self.ups = 0  # health transitions, for status and metrics
        self.downs = 0
        # The Destination last handed out: reused while the weight holds, so the LB sink sees
        # an unchanged real server as the same object and skips it (10,000 per change).
        self.dest: Destination | None = None

    @property
    def key(self) -> tuple[str, int | None]:
        return (str(self.params.address), self.params.port)


class _Vs:
    __slots__ = ("address_present", "last_desired", "params", "quorum_up", "servers", "sorry_alive")

    def __init__(self, params: VirtualServerParams) -> None:
        self.params = params
        self.servers: list[_Rs] = []
        self.quorum_up = False
        self.sorry_alive = False
        self.address_present = False
        self.last_desired: DesiredVirtualServer | None = None

    @property
    def name(self) -> str:
        return self.params.name

    @property
    def enabled(self) -> bool:
        return not self.params.ha_suspend or self.address_present


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckReport:
    keyword: str
    up: bool
    has_run: bool
    last_success: bool | None
    last_reason: str
    last_run: Ticks | None
    enabled: bool
    attempts: int = 0
    failures: int = 0
    transitions: int = 0  # the verdict flipped (up to down or back)
    duration: Ticks | None = None  # the last attempt, from its start to its result


@dataclass(frozen=True, slots=True, kw_only=True)
class RealServerReport:
    name: str
    address: str = ""  # with port, what the load balancer's counters are keyed by
    port: int | None = None
    alive: bool
    weight: int  # the current (real) weight
    configured_weight: int = 1  # as in the config (a reload's change report compares it)
    pool_weight: int | None  # the weight in the pool, None when out of it
    checks: tuple[CheckReport, ...]
    ups: int = 0  # health went down -> up since the checker started
    downs: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class VirtualServerReport:
    name: str
    quorum_up: bool
    sorry_active: bool
    real_servers: tuple[RealServerReport, ...]


class CheckerCore:
    def __init__(self, virtual_servers: Sequence[VirtualServerParams]) -> None:
        self._actions: list[Action] = []
        self._heap: list[tuple[int, int, int, int]] = []  # (due, seq, key, gen)
        self._seq = 0
        self._probes: dict[int, _Probe] = {}
        self._by_share: dict[tuple[object, ...], _Probe] = {}
        self._next_key = 1
        self._vs: list[_Vs] = []
        self._dirty: dict[int, _Vs] = {}  # virtual servers whose desired state may have changed
        self.stopped = False
        self._build(virtual_servers, {}, None)

    # ------------------------------------------------------------------ construction

    def _build(
        self,
        virtual_servers: Sequence[VirtualServerParams],
        old_share: dict[tuple[object, ...], _Probe],
        old_rs: dict[tuple[str, tuple[str, int | None]], _Rs] | None,
    ) -> list[_Probe]:
        """Create the state for `virtual_servers`, reusing old probes; return the new probes."""
        created: list[_Probe] = []
        self._probes = {}
        self._by_share = {}
        self._vs = []
        for vsp in virtual_servers:
            vs = _Vs(vsp)
            for rsp in vsp.real_servers:
                rs = _Rs(rsp, format_server(rsp.address, vsp.protocol, rsp.port))
                previous = old_rs.get((vsp.name, rs.key)) if old_rs is not None else None
                if previous is not None:
                    rs.ups, rs.downs = previous.ups, previous.downs
                for cp in rsp.checkers:
                    share = cp.share_key
                    probe = self._by_share.get(share)
                    if probe is None:
                        probe = old_share.get(share)
                        if probe is None:
                            probe = _Probe(self._next_key, cp)
                            self._next_key += 1
                            created.append(probe)
                        else:
                            probe.subscribers = []
                        self._by_share[share] = probe
                        self._probes[probe.key] = probe
                    if probe not in rs.probes:
                        rs.probes.append(probe)
                        probe.subscribers.append((vs, rs))
                        if previous is not None and probe.key in previous.cur_weight:
                            rs.cur_weight[probe.key] = previous.cur_weight[probe.key]
                rs.weight = rsp.weight + sum(rs.cur_weight.values())
                vs.servers.append(rs)
            self._vs.append(vs)
        return created

    # ------------------------------------------------------------------ inputs

    def start(self, now: Ticks, jitter: Jitter, present: Collection[str] = ()) -> None:
        """Start-up: real servers enter the pool (unless alpha), quorum is judged, probes planned.

        `present` names the ha_suspend virtual servers whose address is on this host now.
        """
        for vs in self._vs:
            vs.address_present = vs.name in present
            vs.quorum_up = self._weight_sum(vs) >= vs.params.quorum + vs.params.hysteresis
            for rs in vs.servers:
                rs.alive = all(p.verdict.is_up for p in rs.probes)
            self._update_quorum(vs, init=True)
        self._plan(list(self._probes.values()), now, jitter)
        self._emit_desired(everything=True)

    def reload(
        self,
        virtual_servers: Sequence[VirtualServerParams],
        now: Ticks,
        jitter: Jitter,
        present: Collection[str] = (),
    ) -> None:
        """New configuration: unchanged checkers keep their state and schedule; new ones warm up."""
        old_vs = {vs.name: vs for vs in self._vs}
        old_share = dict(self._by_share)
        old_rs = {(vs.name, rs.key): rs for vs in self._vs for rs in vs.servers}
        created = self._build(virtual_servers, old_share, old_rs)
        for share, probe in old_share.items():
            if share not in self._by_share:
                probe.gen += 1  # its heap entry and any running attempt are void
        for vs in self._vs:
            before = old_vs.get(vs.name)
            if before is not None:
                vs.quorum_up = before.quorum_up
                vs.address_present = before.address_present
                vs.last_desired = before.last_desired
                same_sorry = before.params.sorry_server == vs.params.sorry_server
                vs.sorry_alive = before.sorry_alive and same_sorry
            else:
                vs.quorum_up = self._weight_sum(vs) >= vs.params.quorum + vs.params.hysteresis
                vs.address_present = vs.name in present
            for rs in vs.servers:
                rs.alive = all(p.verdict.is_up for p in rs.probes)
            self._update_quorum(vs, init=True)
        names = {v.name for v in self._vs}
        for name, vs in old_vs.items():
            if name not in names and vs.last_desired is not None:
                self._actions.append(ApplyLb(desired=vs.last_desired, removed=True))
        for probe in self._probes.values():
            probe.enabled = any(v.enabled for v, _ in probe.subscribers)
        self._plan(created, now, jitter)
        self._emit_desired(everything=True)

    def _plan(self, probes: list[_Probe], now: Ticks, jitter: Jitter) -> None:
        for probe in probes:
            probe.enabled = any(vs.enabled for vs, _ in probe.subscribers)
            for vs, rs in probe.subscribers:
                word = "A" if probe.enabled else "Dea"
                self._log(f"{word}ctivating healthchecker for service {rs.name} for VS {vs.name}")
            warmup = probe.params.warmup
            offset = jitter(warmup) if warmup > 0 else Ticks(0)
            self._schedule(probe, Ticks(now + BOOTSTRAP_DELAY + min(max(offset, 0), warmup)))

    def timer(self, now: Ticks, limit: int | None = None) -> None:
        """Start the probes that are due (at most `limit`; the rest stay due for the next call)."""
        heap = self._heap
        started = 0
        while heap and heap[0][0] <= now and (limit is None or started < limit):
            due, _, key, gen = heapq.heappop(heap)
            probe = self._probes.get(key)
            if probe is None or probe.gen != gen or probe.due != due:
                continue
            probe.due = None
            if self.stopped:
                continue
            if not probe.enabled:
                self._schedule(probe, Ticks(now + probe.params.delay_loop))
                continue
            probe.running = True
            probe.started = now
            started += 1
            self._actions.append(RunProbe(key=key, planned=Ticks(due), timeout=probe.params.connect_timeout))

    def result(self, key: int, result: ProbeResult, now: Ticks) -> None:
        """One attempt of probe `key` finished."""
        probe = self._probes.get(key)
        if probe is None or not probe.running or self.stopped:
            return  # removed by a reload, or stopping: the result is void
        probe.running = False
        probe.last_result = result
        probe.last_run = now
        probe.attempts += 1
        probe.failures += not result.success
        probe.duration = None if probe.started is None else Ticks(now - probe.started)
        verdict = probe.verdict
        if not result.success and verdict.is_up and probe.params.log_all_failures:
            for _, rs in probe.subscribers:
                self._log(result.log_text or f"{probe.params.keyword} to {rs.name} failed ({result.reason}).")
        if result.success:
            self._dynamic_weight(probe, result.dynamic_weight, result.weight_offset)
        outcome = verdict.judge(result.success)
        if outcome.went_up or outcome.went_down:
            probe.transitions += probe.verdict.is_up != outcome.went_up
            self._transition(probe, outcome, result)
        self._schedule(probe, Ticks(now + outcome.delay))
        self._emit_desired()

    def set_address(self, vs_name: str, present: bool, now: Ticks) -> None:
        """ha_suspend: the virtual server's address appeared on or left this host."""
        del now
        for vs in self._vs:
            if vs.name != vs_name or not vs.params.ha_suspend or vs.address_present == present:
                continue
            vs.address_present = present
            for probe in {p.key: p for rs in vs.servers for p in rs.probes}.values():
                enabled = any(v.enabled for v, _ in probe.subscribers)
                if enabled == probe.enabled:
                    continue
                probe.enabled = enabled
                for v, rs in probe.subscribers:
                    if v is vs:
                        word = "Activat" if enabled else "Suspend"
                        self._log(f"{word}ing healthchecker for service {rs.name} for VS {vs.name}")

    def stop(self, now: Ticks) -> None:
        """Shutdown: every service leaves the pool; with omega, notify_down and quorum_down run."""
        del now
        if self.stopped:
            return
        pools = {id(vs): self._desired(vs) for vs in self._vs}
        self.stopped = True
        for vs in self._vs:
            desired = pools[id(vs)]
            in_pool = {(d.address, d.port) for d in desired.destinations if not d.sorry}
            for rs in vs.servers:
                if (rs.params.address, rs.params.port) in in_pool:
                    inhibited = "(inhibited) " if rs.params.inhibit_on_failure and not rs.alive else ""
                    self._log(f"Shutting down {inhibited}service {rs.name} from VS {vs.name}")
                if rs.alive:
                    rs.alive = False
                    if vs.params.omega:
                        self._rs_notifies(vs, rs)
                        if rs.params.smtp_alert:
                            self._actions.append(
                                Mail(
                                    kind="rs_shut",
                                    virtual_server=vs.name,
                                    real_server=rs.name,
                                    up=False,
                                    body="=> Shutting down <=",
                                )
                            )
            vs.sorry_alive = False
            vs.quorum_up = False
            if vs.params.omega and vs.params.quorum_down is not None:
                self._actions.append(RunScript(script=vs.params.quorum_down, what="quorum_down"))
            if vs.params.omega and vs.params.smtp_alert:
                self._actions.append(
                    Mail(kind="vs", virtual_server=vs.name, up=False, body="=> Shutting down <=")
                )
            self._actions.append(ApplyLb(desired=self._desired(vs), removed=True))
            vs.last_desired = None

    # ------------------------------------------------------------------ outputs

    def next_deadline(self) -> Ticks | None:
        heap = self._heap
        while heap:
            due, _, key, gen = heap[0]
            probe = self._probes.get(key)
            if probe is not None and probe.gen == gen and probe.due == due and not self.stopped:
                return Ticks(due)
            heapq.heappop(heap)
        return None

    def pop_actions(self) -> list[Action]:
        actions, self._actions = self._actions, []
        return actions

    def desired_state(self) -> list[DesiredVirtualServer]:
        return [self._desired(vs) for vs in self._vs]

    def report(self) -> list[VirtualServerReport]:
        out = []
        for vs in self._vs:
            pool = {(d.address, d.port): d.weight for d in self._desired(vs).destinations if not d.sorry}
            servers = []
            for rs in vs.servers:
                checks = tuple(
                    CheckReport(
                        keyword=p.params.keyword,
                        up=p.verdict.is_up,
                        has_run=p.verdict.has_run,
                        last_success=None if p.last_result is None else p.last_result.success,
                        last_reason="" if p.last_result is None else p.last_result.reason,
                        last_run=p.last_run,
                        enabled=p.enabled,
                        attempts=p.attempts,
                        failures=p.failures,
                        transitions=p.transitions,
                        duration=p.duration,
                    )
                    for p in rs.probes
                )
                servers.append(
                    RealServerReport(
                        name=rs.name,
                        address=str(rs.params.address),
                        port=rs.params.port,
                        alive=rs.alive,
                        weight=real_weight(rs.weight),
                        configured_weight=rs.params.weight,
                        pool_weight=pool.get((rs.params.address, rs.params.port)),
                        checks=checks,
                        ups=rs.ups,
                        downs=rs.downs,
                    )
                )
            out.append(
                VirtualServerReport(
                    name=vs.name,
                    quorum_up=vs.quorum_up,
                    sorry_active=vs.sorry_alive,
                    real_servers=tuple(servers),
                )
            )
        return out

    @property
    def probe_count(self) -> int:
        return len(self._probes)

    def identities(self) -> set[tuple[object, ...]]:
        """The probe identities in use (the adapter keeps one probe object per identity)."""
        return {p.params.identity for p in self._probes.values()}

    def probe_params(self, key: int) -> CheckerParams | None:
        probe = self._probes.get(key)
        return None if probe is None else probe.params

    def probe_subscribers(self, key: int) -> list[tuple[str, RealServerParams]]:
        """(virtual server name, real server) pairs the probe serves (the adapter builds the probe)."""
        probe = self._probes.get(key)
        return [] if probe is None else [(vs.name, rs.params) for vs, rs in probe.subscribers]

    # ------------------------------------------------------------------ keepalived's rules

    def _schedule(self, probe: _Probe, due: Ticks) -> None:
        probe.due = due
        self._seq += 1
        heapq.heappush(self._heap, (due, self._seq, probe.key, probe.gen))

    def _log(self, text: str) -> None:
        self._actions.append(Log(text=text))

    def _transition(self, probe: _Probe, outcome: Outcome, result: ProbeResult) -> None:
        up = outcome.went_up
        # judge() left is_up unchanged; the verdict's state is set here, after the fan-out.
        was_up = probe.verdict.is_up
        for vs, rs in probe.subscribers:
            if up:
                text = success_text(probe.params.keyword, rs.name, result.log_text)
                if text:
                    self._log(text)
            else:
                self._log(
                    failure_text(probe.params.keyword, rs.name, vs.name, outcome.retries, result.log_text)
                )
                if rs.cur_weight.get(probe.key):
                    rs.weight -= rs.cur_weight[probe.key]  # keepalived drops it without a log line
                    rs.cur_weight[probe.key] = 0
                    self._touch(vs)
            if was_up == up:
                if outcome.first_run and (probe.params.alpha or not up):
                    self._rs_notifies(vs, rs)
                continue
            was_alive = rs.alive
            alive = all(p.verdict.is_up if p is not probe else up for p in rs.probes)
            if alive != rs.alive:
                self._perform(vs, rs, alive)
            # As keepalived's checkers: one mail per checker transition, after the real server's
            # own consequences (quorum mails first); with no_checker_emails only when it moved.
            if rs.params.smtp_alert and (was_alive != rs.alive or not vs.params.no_checker_emails):
                self._actions.append(
                    Mail(
                        kind="rs",
                        virtual_server=vs.name,
                        real_server=rs.name,
                        up=rs.alive,
                        body=mail_body(probe.params.keyword, up),
                    )
                )
        probe.verdict.is_up = up

    def _dynamic_weight(self, probe: _Probe, dynamic: int | None, offset: int | None) -> None:
        """misc_dynamic replaces the weight (exit - 2); FILE_CHECK adds value x weight to it."""
        for vs, rs in probe.subscribers:
            cur = dynamic - rs.params.weight if dynamic is not None else (offset or 0)
            if rs.cur_weight.get(probe.key, 0) == cur:
                continue
            rs.cur_weight[probe.key] = cur
            self._set_weight(vs, rs, rs.params.weight + sum(rs.cur_weight.values()))

    def _set_weight(self, vs: _Vs, rs: _Rs, weight: int) -> None:
        old, new = real_weight(rs.weight), real_weight(weight)
        rs.weight = weight
        if old != new:
            self._touch(vs)
            state = "" if rs.alive else "in"
            self._log(
                f"Changing weight from {old} to {new} for {state}active service {rs.name} of VS {vs.name}"
            )
            self._update_quorum(vs, init=False)

    def _perform(self, vs: _Vs, rs: _Rs, alive: bool) -> None:
        inhibit = rs.params.inhibit_on_failure
        verbs = ("Enabling", "Adding") if alive else ("Disabling", "Removing")
        verb = verbs[0] if inhibit else verbs[1]
        prep = "of" if inhibit else ("to" if alive else "from")
        self._log(f"{verb} service {rs.name} {prep} VS {vs.name}")
        rs.alive = alive
        if alive:
            rs.ups += 1
        else:
            rs.downs += 1
        self._touch(vs)
        self._rs_notifies(vs, rs)
        self._update_quorum(vs, init=False)

    def _rs_notifies(self, vs: _Vs, rs: _Rs) -> None:
        del vs
        script = rs.params.notify_up if rs.alive else rs.params.notify_down
        if script is not None:
            self._actions.append(RunScript(script=script, what="notify_up" if rs.alive else "notify_down"))

    def _weight_sum(self, vs: _Vs) -> int:
        return sum(real_weight(rs.weight) for rs in vs.servers if rs.alive)

    def _sorry_name(self, vs: _Vs) -> str:
        sorry = vs.params.sorry_server
        assert sorry is not None
        return format_server(sorry.address, vs.params.protocol, sorry.port)

    def _update_quorum(self, vs: _Vs, *, init: bool) -> None:
        p = vs.params
        total = self._weight_sum(vs)
        threshold = p.quorum + (-1 if vs.quorum_up else 1) * p.hysteresis
        sorry = p.sorry_server
        if not vs.quorum_up and total >= threshold:
            self._touch(vs)
            vs.quorum_up = True
            self._log(f"Gained quorum {p.quorum}+{p.hysteresis}={threshold} <= {total} for VS {vs.name}")
            if sorry is not None and vs.sorry_alive:
                verb = "Disabling" if sorry.inhibit else "Removing"
                self._log(f"{verb} sorry server {self._sorry_name(vs)} from VS {vs.name}")
                vs.sorry_alive = False
                self._log(f"Adding alive servers to the pool for VS {vs.name}")
            if p.quorum_up is not None:
                self._actions.append(RunScript(script=p.quorum_up, what="quorum_up"))
            self._quorum_mail(vs, "Starting with quorum up" if init else "Gained quorum", threshold, total)
        elif (vs.quorum_up and (not total or total < threshold)) or (
            init and not vs.quorum_up and sorry is not None and not vs.sorry_alive
        ):
            self._touch(vs)
            vs.quorum_up = False
            what = "Starting with quorum down" if init else "Lost quorum"
            self._log(f"{what} {p.quorum}-{p.hysteresis}={threshold} > {total} for VS {vs.name}")
            if sorry is not None and not vs.sorry_alive:
                verb = "Enabling" if sorry.inhibit else "Adding"
                self._log(f"{verb} sorry server {self._sorry_name(vs)} to VS {vs.name}")
                self._log(f"Removing alive servers from the pool for VS {vs.name}")
                vs.sorry_alive = True
            if p.quorum_down is not None:
                self._actions.append(RunScript(script=p.quorum_down, what="quorum_down"))
            self._quorum_mail(vs, what, threshold, total)

    def _quorum_mail(self, vs: _Vs, what: str, threshold: int, total: int) -> None:
        p = vs.params
        if p.smtp_alert:
            # keepalived's mail writes "+" hysteresis whichever way the quorum went.
            body = f"=> {what} {p.quorum}+{p.hysteresis}={threshold} <= {total} <="
            self._actions.append(Mail(kind="vs", virtual_server=vs.name, up=vs.quorum_up, body=body))

    def _desired(self, vs: _Vs) -> DesiredVirtualServer:
        p = vs.params
        sorry = p.sorry_server
        destinations: list[Destination] = []
        if not self.stopped:
            for rs in vs.servers:
                if rs.alive and not vs.sorry_alive:
                    weight = real_weight(rs.weight)
                elif rs.params.inhibit_on_failure:
                    weight = 0
                else:
                    continue
                dest = rs.dest
                if dest is None or dest.weight != weight:
                    dest = rs.dest = Destination(
                        address=rs.params.address, port=rs.params.port, weight=weight
                    )
                destinations.append(dest)
            if sorry is not None and (vs.sorry_alive or sorry.inhibit):
                taken = {(d.address, d.port) for d in destinations}
                if (sorry.address, sorry.port) not in taken:
                    weight = real_weight(sorry.weight) if vs.sorry_alive else 0
                    destinations.append(
                        Destination(address=sorry.address, port=sorry.port, weight=weight, sorry=True)
                    )
        return DesiredVirtualServer(
            name=vs.name,
            protocol=p.protocol,
            address=p.address,
            port=p.port,
            fwmark=p.fwmark,
            group=p.group,
            destinations=tuple(destinations),
            quorum_up=vs.quorum_up,
        )

    def _touch(self, vs: _Vs) -> None:
        self._dirty[id(vs)] = vs

    def _emit_desired(self, *, everything: bool = False) -> None:
        if not everything and not self._dirty:
            return  # the common case: a result that changed nothing
        dirty = self._vs if everything else list(self._dirty.values())
        self._dirty = {}
        for vs in dirty:
            desired = self._desired(vs)
            if desired != vs.last_desired:
                vs.last_desired = desired
                self._actions.append(ApplyLb(desired=desired))
