"""core/vrrp/kept_vips.py: a respawned child lets the VIPs it kept go when another router is master."""

from __future__ import annotations

import pytest

from alived.core.vrrp.kept_vips import another_master_holds
from alived.core.vrrp.states import State


@pytest.mark.parametrize(
    ("state", "ours", "nopreempt", "theirs", "gives_up"),
    [
        (State.BACKUP, 100, False, 150, True),  # a better master
        (State.BACKUP, 100, False, 100, True),  # an equal one is master already
        (State.BACKUP, 150, False, 100, False),  # we will preempt it: keep them
        (State.BACKUP, 150, True, 100, True),  # nopreempt: the other stays master
        (State.BACKUP, 100, False, 0, False),  # priority 0: the master is leaving
        (State.MASTER, 150, False, 100, False),  # still master
        (State.FAULT, 100, False, 150, False),
    ],
)
def test_another_master_holds(state: State, ours: int, nopreempt: bool, theirs: int, gives_up: bool) -> None:
    assert another_master_holds(state, ours, nopreempt, theirs) is gives_up
