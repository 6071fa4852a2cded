"""Split brain of one VRRP instance, sans-IO: observations and time in, verdicts out.

A split brain is two masters for one virtual router: adverts are lost (a firewall dropping
VRRP), each side's master-down timer fires, and both hold the VIPs. The instance cannot hear
the other master's adverts, so the evidence comes from elsewhere:

- another host answers ARP for one of our VIPs (a reply to our probe, or its gratuitous ARP),
  or, for an IPv6 VIP, its NA does (an answer to our DAD-style probe, or its unsolicited NA):
  a *claim*;
- an advert of lower priority reaches us while we are master (the other side still believes
  it is master: one-way loss, or the moment adverts flow again).

A single piece of evidence is normal in a healthy takeover (preemption makes two masters for a
moment), so a split brain is declared only when evidence persists for `confirm_after` while we stay
master. A healthy master sends nothing beyond keepalived's own frames: probing starts only once some
evidence arrived (the other master's gratuitous ARPs, typically), at a fast pace, so the suspicion
is confirmed or dropped within a few advert intervals. It ends when we leave MASTER (we yielded), or
when the other master stops answering our probes (`misses_to_end` probes in a row without a claim)
or no evidence at all came for `forget_after`: then the other side yielded and we, the winner, must
re-announce the VIPs at once so hosts whose ARP cache still points at the loser are corrected. A
lower-priority advert during a split brain means adverts flow again and the other side is about to
yield: re-announce then too (at most once per `reannounce_gap`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from alived.units import SECOND, Ticks

Evidence = Literal["arp", "nd", "advert"]
EndReason = Literal["yielded", "peer_yielded"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SplitBrainParams:
    """Timing, all derived from the advert interval by `for_interval`."""

    probe_interval: Ticks  # between ARP probes while evidence is fresh or a split brain lasts
    confirm_after: Ticks  # evidence must persist this long
    forget_after: Ticks  # evidence older than this no longer counts
    misses_to_end: int = 2
    reannounce_gap: Ticks = SECOND
    can_probe: bool = True  # False: no probe can be sent (no VIP watched), only time ends it

    @classmethod
    def for_interval(cls, advert_int: Ticks, *, can_probe: bool = True) -> SplitBrainParams:
        # Eight probes a second at most however short the advert interval, and only while there
        # is evidence: a healthy master stays silent on the wire, as keepalived's does.
        return cls(
            can_probe=can_probe,
            probe_interval=Ticks(max(advert_int, SECOND) // 8),
            confirm_after=advert_int,
            forget_after=Ticks(3 * advert_int + advert_int // 2),
            reannounce_gap=advert_int,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Started:
    """A split brain is declared: `evidence` of the piece that confirmed it, `peer` its origin."""

    since: Ticks
    evidence: Evidence
    peer: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Ended:
    """The split brain is over after `duration`; `reason` says which side gave up."""

    duration: Ticks
    reason: EndReason


@dataclass(frozen=True, slots=True, kw_only=True)
class Reannounce:
    """Send gratuitous ARPs / unsolicited NAs for every VIP now (we are the master that stays)."""

    reason: Literal["lower_advert", "peer_yielded"]


Verdict = Started | Ended | Reannounce


class SplitBrainWatch:
    """One instance's split-brain state. Every method returns the verdicts it reached, in order."""

    def __init__(self, params: SplitBrainParams) -> None:
        self.params = params
        self.master = False
        self.since: Ticks | None = None  # set while a split brain lasts
        self.count = 0  # split brains declared
        self._first: Ticks | None = None  # first piece of the current run of evidence
        self._last: Ticks | None = None  # latest piece of evidence
        self._claim_since_probe = False
        self._misses = 0
        self._next_probe: Ticks | None = None
        self._last_reannounce: Ticks | None = None

    @property
    def active(self) -> bool:
        return self.since is not None

    # ---- our own state -------------------------------------------------------------------------

    def became_master(self, now: Ticks) -> list[Verdict]:
        self.master = True
        self._forget()
        self._next_probe = None  # nothing to probe for until some evidence arrives
        return []

    def left_master(self, now: Ticks) -> list[Verdict]:
        self.master = False
        self._next_probe = None
        out: list[Verdict] = []
        if self.since is not None:
            out.append(Ended(duration=Ticks(now - self.since), reason="yielded"))
            self.since = None
        self._forget()
        return out

    # ---- evidence ------------------------------------------------------------------------------

    def foreign_claim(self, peer: str, now: Ticks, kind: Evidence = "arp") -> list[Verdict]:
        """Another host answered ARP (`kind` "arp") or ND ("nd") for one of our VIPs (`peer`: its
        MAC, as text)."""
        if not self.master:
            return []
        self._claim_since_probe = True
        return self._evidence(kind, peer, now)

    def lower_advert(self, peer: str, now: Ticks) -> list[Verdict]:
        """An advert of lower priority reached us while master."""
        if not self.master:
            return []
        out = self._evidence("advert", peer, now)
        if self.since is not None and not any(isinstance(v, Started) for v in out):
            gap_ok = (
                self._last_reannounce is None or now - self._last_reannounce >= self.params.reannounce_gap
            )
            if gap_ok:
                self._last_reannounce = now
                out.append(Reannounce(reason="lower_advert"))
        return out

    def _evidence(self, kind: Evidence, peer: str, now: Ticks) -> list[Verdict]:
        p = self.params
        if self._last is None or now - self._last > p.forget_after:
            self._first = now
        self._last = now
        self._misses = 0
        if p.can_probe and self._next_probe is None:
            self._next_probe = Ticks(now + p.probe_interval)  # confirm it, or see it go
        assert self._first is not None
        if self.since is None and now - self._first >= p.confirm_after:
            self.since = now
            self.count += 1
            if p.can_probe:
                self._next_probe = now  # probe fast from now on
            return [Started(since=now, evidence=kind, peer=peer)]
        return []

    # ---- probes and time -----------------------------------------------------------------------

    def next_deadline(self) -> Ticks | None:
        """When `on_timer` wants to run: the next probe, or the end of stale evidence."""
        deadlines = [d for d in (self._next_probe, self._expiry()) if d is not None]
        return min(deadlines) if deadlines else None

    def _expiry(self) -> Ticks | None:
        if self._last is None:
            return None
        return Ticks(self._last + self.params.forget_after + 1)

    def on_timer(self, now: Ticks) -> tuple[bool, list[Verdict]]:
        """(send a probe now?, verdicts). Call at or after `next_deadline()`."""
        out: list[Verdict] = []
        expiry = self._expiry()
        if expiry is not None and now >= expiry:
            out.extend(self._peer_gone(now))
        probe = self._next_probe is not None and now >= self._next_probe
        if probe:
            if self.since is not None:
                if self._claim_since_probe:
                    self._misses = 0
                else:
                    self._misses += 1
                if self._misses >= self.params.misses_to_end:
                    out.extend(self._peer_gone(now))
            self._claim_since_probe = False
            suspect = self.since is not None or self._last is not None
            self._next_probe = Ticks(now + self.params.probe_interval) if self.master and suspect else None
        return probe, out

    def _peer_gone(self, now: Ticks) -> list[Verdict]:
        out: list[Verdict] = []
        if self.since is not None:
            out.append(Ended(duration=Ticks(now - self.since), reason="peer_yielded"))
            if self.master:
                out.append(Reannounce(reason="peer_yielded"))
            self.since = None
        self._forget()
        return out

    def _forget(self) -> None:
        self._next_probe = None
        self._first = self._last = None
        self._misses = 0
        self._claim_since_probe = False
        self._last_reannounce = None
