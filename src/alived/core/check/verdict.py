"""What one probe result means for one checker: keepalived's retry rule (check_tcp.c tcp_epilog).

A checker starts with `retry_it = retry`, so without alpha a single failure on its first run is
enough to mark it down; afterwards a failure below `retry` consecutive failures reschedules the
next attempt after `delay_before_retry` without a state change, the (retry+1)-th marks it down
("failed after N retries."), a success resets the count and (when down, or on the first run)
marks it up. Every other outcome reschedules after `delay_loop`. keepalived's checkers each
repeat this rule with small variations; alived runs this one rule for every type.
"""

from __future__ import annotations

from dataclasses import dataclass

from alived.core.check.params import CheckerParams
from alived.units import Ticks

# keepalived's line on a checker going up, per type ({rs} is FMT_RS); others use the probe's text.
_SUCCESS_TEXT = {
    "TCP_CHECK": "TCP connection to {rs} success.",
    "HTTP_GET": "Remote Web server {rs} succeed on service.",
    "SSL_GET": "Remote Web server {rs} succeed on service.",
    "SMTP_CHECK": "Remote SMTP server {rs} succeed on service.",
    "UDP_CHECK": "UDP connection to {rs} success.",
    "PING_CHECK": "ICMP connection to {rs} success.",
}
# The name in keepalived's "<NAME> on service {rs} failed[ after N retries]." line.
_FAIL_NAME = {"HTTP_GET": "HTTP_CHECK", "SSL_GET": "HTTP_CHECK"}


def success_text(keyword: str, rs: str, probe_text: str) -> str:
    template = _SUCCESS_TEXT.get(keyword)
    if template is None:
        return probe_text or f"{keyword} on service {rs} succeeded."
    return template.format(rs=rs)


def failure_text(keyword: str, rs: str, retries: int | None) -> str:
    name = _FAIL_NAME.get(keyword, keyword)
    if retries is not None:
        return f"{name} on service {rs} failed after {retries} retries."
    return f"{name} on service {rs} failed."


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """The verdict on one result: the next delay, and the state change if any."""

    delay: Ticks
    went_up: bool = False
    went_down: bool = False
    retries: int | None = None  # for the "failed after N retries." text; None: plain "failed."
    first_run: bool = False  # the verdict came from the checker's very first result


class CheckerVerdict:
    """One checker's retry state: is_up, has_run and the retry counter."""

    __slots__ = ("has_run", "is_up", "params", "retry_it")

    def __init__(self, params: CheckerParams) -> None:
        self.params = params
        self.is_up = not params.alpha  # alpha: every checker starts failed
        self.has_run = False
        self.retry_it = params.retry  # one failure is enough initially

    def judge(self, success: bool) -> Outcome:
        p = self.params
        if not (success or self.retry_it >= p.retry):
            self.retry_it += 1
            self.has_run = True
            return Outcome(delay=p.delay_before_retry)
        self.retry_it = 0
        first = not self.has_run
        outcome = Outcome(delay=p.delay_loop)
        if success and (not self.is_up or first):
            outcome = Outcome(delay=p.delay_loop, went_up=True, first_run=first)
        elif not success and (self.is_up or first):
            retries = p.retry if (p.retry and not first) else None
            outcome = Outcome(delay=p.delay_loop, went_down=True, retries=retries, first_run=first)
        self.has_run = True
        return outcome
