"""What the checker core asks its adapter to do: frozen, keyword-only, one class per imperative."""

from __future__ import annotations

from dataclasses import dataclass

from alived.core.check.desired import DesiredVirtualServer
from alived.units import Ticks


@dataclass(frozen=True, slots=True, kw_only=True)
class RunProbe:
    """Start one attempt of probe `key` now, bounded by `timeout`; feed the result back."""

    key: int
    planned: Ticks  # when the core wanted it started (the scheduling lag is now - planned)
    timeout: Ticks


@dataclass(frozen=True, slots=True, kw_only=True)
class Log:
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RunScript:
    """Run a notify_up/notify_down/quorum_up/quorum_down script (opaque to the core)."""

    script: object
    what: str  # "notify_up", "quorum_down", ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplyLb:
    """The desired load-balancer state of one virtual server changed (removed=True: it is gone)."""

    desired: DesiredVirtualServer
    removed: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Mail:
    """An smtp_alert to send (keepalived's smtp_alert()): the adapter words the subject.

    kind "rs": a checker moved and the real server mails (subject UP/DOWN is the real server's
    state, the body the checker's words); "rs_shut": a real server leaves at shutdown; "vs": a
    virtual server's quorum changed.
    """

    kind: str
    virtual_server: str
    real_server: str = ""
    up: bool
    body: str


Action = RunProbe | Log | RunScript | ApplyLb | Mail
