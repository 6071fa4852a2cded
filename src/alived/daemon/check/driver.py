"""The checker child's loop: one timer armed from the core's deadline, each probe attempt a task.

Three steps as the VRRP side: feed an input (timer, result, reload), perform the actions, re-arm.
A slow probe never delays another: every attempt runs as its own task. The probe bounds itself
by its timeout; under it, one watchdog sweep per second cancels an attempt that overran its
timeout plus a margin (one shared timer rather than one per attempt: at thousands of checks a
second the per-attempt timer handles were a measurable share of the child's CPU).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import Callable, Collection

from alived.checkers.base import Probe
from alived.config import model
from alived.core.check.actions import ApplyLb, Log, Mail, RunProbe, RunScript
from alived.core.check.desired import DesiredVirtualServer
from alived.core.check.engine import CheckerCore, VirtualServerReport
from alived.core.check.result import ProbeResult
from alived.daemon.check.params import Built
from alived.daemon.check.sink import LbSink
from alived.linux import clock
from alived.linux.timer import DeadlineTimer
from alived.units import MILLISECOND, SECOND, Ticks

log = logging.getLogger("alived.check")

TIMEOUT_MARGIN = Ticks(500 * MILLISECOND)
WATCHDOG_PERIOD = 1.0  # seconds
BATCH = 256  # attempts started per timer wake-up
LAG_SAMPLES = 20_000
STALL_AFTER = Ticks(10 * SECOND)

ScriptHook = Callable[[model.Script, str], None]
MailHook = Callable[[Mail], None]


def random_jitter(bound: Ticks) -> Ticks:
    """keepalived spreads first checks randomly over [0, warmup]."""
    return Ticks(random.randint(0, bound)) if bound > 0 else Ticks(0)


class CheckDriver:
    def __init__(
        self,
        sink: LbSink,
        *,
        run_script: ScriptHook | None = None,
        send_mail: MailHook | None = None,
        now: Callable[[], Ticks] = clock.now,
        jitter: Callable[[Ticks], Ticks] = random_jitter,
    ) -> None:
        self.sink = sink
        self._run_script = run_script
        self._send_mail = send_mail
        self._now = now
        self._jitter = jitter
        self.core = CheckerCore([])
        self.probes: dict[tuple[object, ...], Probe] = {}
        self._by_key: dict[
            int, Probe | None
        ] = {}  # the core's probe key -> probe (identity hashing is not free)
        self._running: dict[int, tuple[asyncio.Task[None], Ticks]] = {}  # key -> (task, hard deadline)
        self._overdue: set[int] = set()
        self._watchdog: asyncio.TimerHandle | None = None
        self._timer: DeadlineTimer | None = None
        self.lags: deque[int] = deque(maxlen=LAG_SAMPLES)  # actual - planned start, microseconds
        self.attempts = 0
        self.last_progress: Ticks = now()

    def start(self, built: Built, present: Collection[str] = ()) -> None:
        self._timer = DeadlineTimer(asyncio.get_running_loop(), self._on_timer)
        self.probes = dict(built.probes)
        self.core = CheckerCore(built.virtual_servers)
        self.core.start(self._now(), self._jitter, present)
        self._settle()

    def reload(self, built: Built, present: Collection[str] = ()) -> None:
        """Unchanged probes keep their object (and any attempt in flight); new ones are added."""
        merged = {**built.probes, **self.probes}
        self.core.reload(built.virtual_servers, self._now(), self._jitter, present)
        live = self.core.identities()
        self.probes = {i: p for i, p in merged.items() if i in live}
        self._by_key = {}
        self._settle()

    async def stop(self, *, release: bool = True) -> None:
        """Stop probing; with release (not -I), every service leaves the pool as keepalived's
        clear_services does (its "Shutting down" lines, omega's scripts)."""
        if release:
            self.core.stop(self._now())
            self._settle()
        if self._timer is not None:
            self._timer.cancel()
        if self._watchdog is not None:
            self._watchdog.cancel()
        tasks = [task for task, _ in self._running.values()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    def set_address(self, vs_name: str, present: bool) -> None:
        """ha_suspend: the virtual server's address is (or no longer is) on this host."""
        self.core.set_address(vs_name, present, self._now())
        self._settle()

    def healthy(self) -> bool:
        """False when work has been due for STALL_AFTER with no attempt started or finished meanwhile.

        An overloaded child (everything late, but attempts still going) is not stalled: restarting
        it would not help.
        """
        deadline = self.core.next_deadline()
        now = self._now()
        return deadline is None or now - deadline < STALL_AFTER or now - self.last_progress < STALL_AFTER

    def report(self) -> list[VirtualServerReport]:
        return self.core.report()

    # ------------------------------------------------------------------ the loop

    def _on_timer(self) -> None:
        self.last_progress = self._now()
        # A bounded batch per wake-up: under overload the loop still turns (results, pings,
        # status) between batches instead of starting thousands of attempts in one callback.
        self.core.timer(self.last_progress, limit=BATCH)
        self._settle()

    def _settle(self) -> None:
        # Load-balancer changes go to the sink together (one backend transaction: at start-up
        # every virtual server comes at once), before any script or mail that follows them.
        pending: list[tuple[DesiredVirtualServer, bool]] = []
        for action in self.core.pop_actions():
            match action:
                case RunProbe():
                    self._launch(action)
                case Log():
                    log.info("%s", action.text)
                case RunScript():
                    self._flush(pending)
                    if self._run_script is not None and isinstance(action.script, model.Script):
                        self._run_script(action.script, action.what)
                case ApplyLb():
                    pending.append((action.desired, action.removed))
                case Mail():
                    self._flush(pending)
                    if self._send_mail is not None:
                        self._send_mail(action)
        self._flush(pending)
        timer = self._timer
        if timer is not None:
            deadline = self.core.next_deadline()
            if deadline is None:
                timer.cancel()
            elif timer.deadline is None or deadline < timer.deadline:
                # Only ever re-armed earlier: a timer armed too early fires, finds nothing due
                # and re-arms, which is cheaper than cancelling and re-arming on every result.
                timer.arm(deadline)

    def _flush(self, pending: list[tuple[DesiredVirtualServer, bool]]) -> None:
        if len(pending) == 1:
            desired, removed = pending[0]
            self.sink.apply(desired, removed=removed)
        elif pending:
            self.sink.apply_many(pending)
        pending.clear()

    def _launch(self, action: RunProbe) -> None:
        key = action.key
        try:
            probe = self._by_key[key]
        except KeyError:
            params = self.core.probe_params(key)
            probe = self._by_key[key] = None if params is None else self.probes.get(params.identity)
        if probe is None:
            self.core.result(action.key, ProbeResult(success=False, reason="no probe"), self._now())
            return
        started = self._now()
        self.lags.append(started - action.planned)
        self.attempts += 1
        task = asyncio.get_running_loop().create_task(self._attempt(action.key, probe))
        self._running[action.key] = (task, Ticks(started + action.timeout + TIMEOUT_MARGIN))
        if self._watchdog is None:
            self._watchdog = asyncio.get_running_loop().call_later(WATCHDOG_PERIOD, self._sweep)

    def _sweep(self) -> None:
        """Cancel attempts past their hard deadline; they report a timeout."""
        self._watchdog = None
        now = self._now()
        for key, (task, deadline) in list(self._running.items()):
            if now >= deadline and key not in self._overdue:
                self._overdue.add(key)
                task.cancel()
        if self._running:
            self._watchdog = asyncio.get_running_loop().call_later(WATCHDOG_PERIOD, self._sweep)

    async def _attempt(self, key: int, probe: Probe) -> None:
        try:
            result = await probe.attempt()
        except asyncio.CancelledError:
            if key not in self._overdue:
                raise  # stopping
            result = ProbeResult(success=False, reason="timeout")
        except Exception as err:  # a probe must never take the child down
            log.exception("%s probe raised", probe.keyword)
            result = ProbeResult(success=False, reason=f"probe error: {type(err).__name__}")
        finally:
            self._overdue.discard(key)
            self._running.pop(key, None)
        self.last_progress = self._now()
        self.core.result(key, result, self.last_progress)
        self._settle()
