"""A virtual-time driver for CheckerCore: runs due probes with scripted results, no I/O."""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import ip_address

from alived.core.check.actions import Action, ApplyLb, Log, RunProbe, RunScript
from alived.core.check.engine import CheckerCore
from alived.core.check.params import CheckerParams, RealServerParams, SorryServerParams, VirtualServerParams
from alived.core.check.result import ProbeResult
from alived.units import SECOND, Ticks

OK = ProbeResult(success=True, reason="ok")
FAIL = ProbeResult(success=False, reason="connection refused", log_text="")


def checker(
    rs: str = "192.0.2.21",
    *,
    keyword: str = "TCP_CHECK",
    delay_loop: int = 10,
    retry: int = 1,
    delay_before_retry: int = 1,
    warmup: int = 0,
    alpha: bool = False,
    timeout: int = 5,
    identity: tuple[object, ...] | None = None,
) -> CheckerParams:
    return CheckerParams(
        keyword=keyword,
        identity=identity if identity is not None else (keyword, rs),
        delay_loop=Ticks(delay_loop * SECOND),
        connect_timeout=Ticks(timeout * SECOND),
        retry=retry,
        delay_before_retry=Ticks(delay_before_retry * SECOND),
        warmup=Ticks(warmup * SECOND),
        alpha=alpha,
    )


def real(
    addr: str, *checkers: CheckerParams, weight: int = 1, inhibit: bool = False, **kw: object
) -> RealServerParams:
    return RealServerParams(
        address=ip_address(addr),
        port=80,
        weight=weight,
        inhibit_on_failure=inhibit,
        checkers=checkers or (checker(addr),),
        **kw,  # type: ignore[arg-type]
    )


def virtual(
    *servers: RealServerParams, name: str = "[192.0.2.10]:tcp:80", **kw: object
) -> VirtualServerParams:
    return VirtualServerParams(
        name=name,
        address=ip_address("192.0.2.10"),
        port=80,
        real_servers=servers,
        **kw,  # type: ignore[arg-type]
    )


def sorry(addr: str = "192.0.2.99", inhibit: bool = False) -> SorryServerParams:
    return SorryServerParams(address=ip_address(addr), port=80, inhibit=inhibit)


Responder = Callable[[str, Ticks], ProbeResult]


class Driver:
    """Runs the core in virtual time; `respond(rs_address, now)` decides each attempt's result."""

    def __init__(self, vss: list[VirtualServerParams], respond: Responder, jitter: int = 0) -> None:
        self.core = CheckerCore(vss)
        self.respond = respond
        self.now = Ticks(0)
        self.actions: list[Action] = []
        self.attempts: list[tuple[Ticks, str]] = []
        self.core.start(self.now, lambda bound: Ticks(min(jitter * SECOND, bound)))
        self._collect()

    def _collect(self) -> None:
        for action in self.core.pop_actions():
            self.actions.append(action)
            if isinstance(action, RunProbe):
                subs = self.core.probe_subscribers(action.key)
                addr = str(subs[0][1].address)
                self.attempts.append((self.now, addr))
                self.core.result(action.key, self.respond(addr, self.now), self.now)
                self._collect()

    def run_until(self, seconds: float) -> None:
        end = Ticks(int(seconds * SECOND))
        while True:
            deadline = self.core.next_deadline()
            if deadline is None or deadline > end:
                break
            self.now = deadline
            self.core.timer(self.now)
            self._collect()
        self.now = end

    def logs(self) -> list[str]:
        return [a.text for a in self.actions if isinstance(a, Log)]

    def scripts(self) -> list[str]:
        return [a.what for a in self.actions if isinstance(a, RunScript)]

    def lb(self) -> list[ApplyLb]:
        return [a for a in self.actions if isinstance(a, ApplyLb)]

    def attempt_times(self, addr: str) -> list[float]:
        return [t / SECOND for t, a in self.attempts if a == addr]
