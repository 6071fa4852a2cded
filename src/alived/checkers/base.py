"""The probe protocol and the registry that maps keepalived checker keywords to probe factories.

A probe performs exactly one attempt (connect, request, judge the reply) bounded by its own
timeout and returns a ProbeResult; it never raises and never retries: retry, delay_before_retry
and what a failure means are core/check's business.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from alived.core.check.result import ProbeResult

IPAddress = IPv4Address | IPv6Address
P = TypeVar("P")  # a probe's own frozen parameter object
log = logging.getLogger("alived.checkers")


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """Where a probe goes by default: the real server's address and port, and the Host to name.

    `protocol` is the virtual server's service type (tcp, udp, sctp, or none for a fwmark
    service): keepalived names a real server as `[address]:protocol:port` in its log lines.
    """

    address: IPAddress
    port: int | None
    virtualhost: str | None = None
    protocol: str = "tcp"

    def __str__(self) -> str:
        """keepalived's FMT_RS: `[192.0.2.21]:tcp:80`."""
        return f"[{self.address}]:{self.protocol}:{self.port or 0}"


class Probe(Protocol):
    """One configured check of one real server."""

    @property
    def keyword(self) -> str:
        """The keepalived keyword of the check (TCP_CHECK, HTTP_GET, ...)."""
        ...

    @property
    def identity(self) -> tuple[object, ...]:
        """Equal for two probes that would do exactly the same attempt (so they can share one)."""
        ...

    async def attempt(self) -> ProbeResult:
        """Run one attempt, bounded by the check's timeout; never raises."""
        ...


# The factory takes the probe's own frozen parameter object (built by the checker child from the
# config model) and returns the probe; keyed by keepalived keyword.
ProbeFactory = Callable[..., Probe]
REGISTRY: dict[str, ProbeFactory] = {}


def register(keyword: str) -> Callable[[ProbeFactory], ProbeFactory]:
    """Class decorator: make a probe class the factory for a keepalived checker keyword."""

    def add(factory: ProbeFactory) -> ProbeFactory:
        REGISTRY[keyword] = factory
        return factory

    return add


class ProbeBase(Generic[P]):
    """What every probe shares: its parameter object and target, its identity, the guarded attempt.

    A subclass names its keepalived keyword in its class line (`class TcpProbe(ProbeBase[TcpParams],
    keyword="TCP_CHECK")`), which registers it, and implements `_attempt`; an intermediate base
    (HTTP_GET and SSL_GET's) names none.
    """

    keyword: ClassVar[str] = ""

    def __init_subclass__(cls, *, keyword: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if keyword is not None:
            cls.keyword = keyword
            register(keyword)(cls)

    def __init__(self, params: P, target: Target) -> None:
        self.params = params
        self.target = target

    @property
    def identity(self) -> tuple[object, ...]:
        return (self.keyword, self.params)

    async def attempt(self) -> ProbeResult:
        return await guarded(self.keyword, self._attempt)

    async def _attempt(self) -> ProbeResult:
        """One attempt; may raise on the unexpected (guarded turns that into a down)."""
        raise NotImplementedError


async def guarded(keyword: str, attempt: Callable[[], Awaitable[ProbeResult]]) -> ProbeResult:
    """Run one attempt; an unexpected exception becomes a "down" with its name, never escapes.

    Probes handle every failure they expect themselves; this is the net under them, so that a
    bug in one probe marks its real server down (and is logged) instead of killing the child.
    """
    try:
        return await attempt()
    except Exception as err:
        log.exception("%s probe failed unexpectedly", keyword)
        return ProbeResult(success=False, reason=f"internal error: {type(err).__name__}")
