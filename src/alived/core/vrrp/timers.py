"""RFC 3768/5798 timers as keepalived computes them: integer microseconds, no clock (facts §4.4).

keepalived's VRRP_TIMER_SKEW: v2 ignores the advert interval, (256 - prio)/256 s; v3 scales it by
Master_Adver_Interval in centiseconds, computed as (p * cs * 625) / 16 microseconds.
"""

from __future__ import annotations

from alived.defaults import DOWN_TIMER_ADVERTS
from alived.units import CENTISECOND, SECOND, Ticks

_OWNER = 255


def _skew(version: int, pri_val: int, master_adver_int: Ticks) -> Ticks:
    if version == 3:
        return Ticks((pri_val * (master_adver_int // CENTISECOND) * 625) // 16)
    return Ticks((pri_val * SECOND) // 256)


def skew_time(version: int, priority: int, master_adver_int: Ticks) -> Ticks:
    """Skew_Time for a router of this (effective) priority."""
    return _skew(version, 256 - min(priority, _OWNER), master_adver_int)


def skew_time_min(version: int, master_adver_int: Ticks) -> Ticks:
    """The smallest skew (priority 255): used when a sync-group member waits one interval."""
    return _skew(version, 1, master_adver_int)


def master_down_interval(
    version: int, priority: int, master_adver_int: Ticks, down_timer_adverts: int = DOWN_TIMER_ADVERTS
) -> Ticks:
    """Master_Down_Interval = down_timer_adverts x Master_Adver_Interval + Skew_Time."""
    return Ticks(down_timer_adverts * master_adver_int + skew_time(version, priority, master_adver_int))
