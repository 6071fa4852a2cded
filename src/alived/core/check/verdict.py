"""What one probe result means for one checker: keepalived's retry rule per checker type.

The base rule is check_tcp.c's tcp_epilog. A checker starts with `retry_it = retry`, so without
alpha a single failure on its first run is enough to mark it down; afterwards a failure below
`retry` consecutive failures reschedules the next attempt after `delay_before_retry` without a
state change, the (retry+1)-th marks it down ("failed after N retries."), a success resets the
count and (when down, or on the first run) marks it up; every other outcome reschedules after
`delay_loop`. The types differ in how a checker that is already down is re-probed:

* TCP_CHECK, SMTP_CHECK (and unknown types): the same cycle as while up (retry attempts
  `delay_before_retry` apart, then `delay_loop`);
* UDP_CHECK: every `delay_before_retry` (check_udp.c retries without an is_up guard);
* PING_CHECK, DNS_CHECK, MISC_CHECK, FILE_CHECK: every `delay_loop`;
* HTTP_GET, SSL_GET: every max(`delay_before_retry`, `delay_loop`), and coming back takes two
  successes in a row, `delay_loop` apart (check_http.c clears its failed url on the first
  success and marks the checker up only after the next full pass over the urls).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from alived.core.check.params import CheckerParams
from alived.core.debounce import Debounce
from alived.units import Ticks


class DownRetry(enum.Enum):
    CYCLE = "cycle"
    EVERY_RETRY = "every_retry"
    LOOP = "loop"
    HTTP = "http"


_DOWN_RETRY = {
    "UDP_CHECK": DownRetry.EVERY_RETRY,
    "PING_CHECK": DownRetry.LOOP,
    "DNS_CHECK": DownRetry.LOOP,
    "MISC_CHECK": DownRetry.LOOP,
    "FILE_CHECK": DownRetry.LOOP,
    "HTTP_GET": DownRetry.HTTP,
    "SSL_GET": DownRetry.HTTP,
}

# keepalived's line on a checker going up, per type ({rs} is FMT_RS). DNS_CHECK logs none.
_SUCCESS_TEXT = {
    "TCP_CHECK": "TCP connection to {rs} success.",
    "HTTP_GET": "Remote Web server {rs} succeed on service.",
    "SSL_GET": "Remote Web server {rs} succeed on service.",
    "SMTP_CHECK": "Remote SMTP server {rs} succeed on service.",
    "UDP_CHECK": "UDP connection to {rs} success.",
    "PING_CHECK": "ICMP connection to {rs} success.",
    "DNS_CHECK": "",
}
# keepalived's line on a checker going down after its retries, and on a first-run failure.
_FAILURE_TEXT = {
    "TCP_CHECK": ("TCP_CHECK on service {rs} failed after {n} retries.", "TCP_CHECK on service {rs} failed."),
    "UDP_CHECK": ("UDP_CHECK on service {rs} failed after {n} retries.", "UDP_CHECK on service {rs} failed."),
    "HTTP_GET": (
        "HTTP_CHECK on service {rs} failed after {n} retries.",
        "HTTP_CHECK on service {rs} failed.",
    ),
    "SSL_GET": ("HTTP_CHECK on service {rs} failed after {n} retries.", "HTTP_CHECK on service {rs} failed."),
    "PING_CHECK": (
        "ICMP CHECK on service {rs} of {vs} failed after {n} retries.",
        "ICMP CHECK on service {rs} failed.",
    ),
}


def success_text(keyword: str, rs: str, probe_text: str) -> str:
    """The line for a checker going up ("" for none)."""
    template = _SUCCESS_TEXT.get(keyword)
    if template is None:
        return probe_text or f"{keyword} on service {rs} succeeded."
    return template.format(rs=rs)


def failure_text(keyword: str, rs: str, vs: str, retries: int | None, probe_text: str = "") -> str:
    """The line for a checker going down; types whose line is the probe's own text append the retries."""
    templates = _FAILURE_TEXT.get(keyword)
    if templates is not None:
        template = templates[0] if retries is not None else templates[1]
        return template.format(rs=rs, vs=vs, n=retries)
    text = probe_text.rstrip(".") or f"{keyword} on service {rs} failed"
    return f"{text} after {retries} retries." if retries is not None else f"{text}."


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

    __slots__ = ("has_run", "is_up", "mode", "params", "retry_it", "rise")

    def __init__(self, params: CheckerParams) -> None:
        self.params = params
        self.mode = _DOWN_RETRY.get(params.keyword, DownRetry.CYCLE)
        self.is_up = not params.alpha  # alpha: every checker starts failed
        self.has_run = False
        self.retry_it = params.retry  # one failure is enough initially
        # HTTP's way back up: two successes in a row once it has been down.
        self.rise = Debounce(rise=2, fall=1, up=False) if self.mode is DownRetry.HTTP else None

    def judge(self, success: bool) -> Outcome:
        p = self.params
        first = not self.has_run
        if not self.is_up and not first:
            return self._judge_down(success)
        if not (success or self.retry_it >= p.retry):
            self.retry_it += 1
            self.has_run = True
            return Outcome(delay=p.delay_before_retry)
        self.retry_it = 0
        self.has_run = True
        if success and (not self.is_up or first):
            return Outcome(delay=p.delay_loop, went_up=True, first_run=first)
        if not success:
            if self.rise is not None:
                self.rise = Debounce(rise=2, fall=1, up=False)
            retries = p.retry if (p.retry and not first) else None
            return Outcome(delay=p.delay_loop, went_down=True, retries=retries, first_run=first)
        return Outcome(delay=p.delay_loop)

    def _judge_down(self, success: bool) -> Outcome:
        """A checker that is down (and has run): when it comes back, how often it is re-probed."""
        p = self.params
        if self.rise is not None:
            if self.rise.feed(success):
                self.retry_it = 0
                return Outcome(delay=p.delay_loop, went_up=True)
            if success:
                return Outcome(delay=p.delay_loop)
            return Outcome(delay=Ticks(max(p.delay_before_retry, p.delay_loop)))
        if success:
            self.retry_it = 0
            return Outcome(delay=p.delay_loop, went_up=True)
        if self.mode is DownRetry.EVERY_RETRY:
            return Outcome(delay=p.delay_before_retry)
        if self.mode is DownRetry.LOOP:
            return Outcome(delay=p.delay_loop)
        if self.retry_it < p.retry:  # CYCLE
            self.retry_it += 1
            return Outcome(delay=p.delay_before_retry)
        self.retry_it = 0
        return Outcome(delay=p.delay_loop)
