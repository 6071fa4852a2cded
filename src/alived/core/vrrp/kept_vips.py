"""VIPs a respawned VRRP child found already set: when it must let them go.

A child that is restarted while master finds its VIPs on the interfaces and keeps them (no
flap). It gives them up as soon as an advert shows that another router is master: a backup
hearing a live master (priority above 0) that it will not preempt.
"""

from __future__ import annotations

from alived.core.vrrp.states import State


def another_master_holds(
    state: State, effective_priority: int, nopreempt: bool, advert_priority: int
) -> bool:
    """After handling an advert of `advert_priority`: is the kept VIP set now another router's?"""
    return (
        state is State.BACKUP and advert_priority > 0 and (advert_priority >= effective_priority or nopreempt)
    )
