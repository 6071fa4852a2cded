"""The transition table: complete, consistent with VrrpInstance, and the source of docs/state-diagram.md.

Regenerate the document with: .venv/bin/python -m tests.unit.vrrp_core.test_states
"""

from __future__ import annotations

from pathlib import Path

import pytest

from alived.core.vrrp.inputs import TABLE_INPUTS, Startup
from alived.core.vrrp.instance import VrrpInstance
from alived.core.vrrp.states import TRANSITIONS, State, render_mermaid
from alived.core.vrrp.sync_group import render_rules
from tests.helpers.fakelan import make_params

DOC = Path(__file__).resolve().parents[3] / "docs" / "state-diagram.md"


def render_doc() -> str:
    return (
        "# VRRP instance state diagram\n\n"
        "Generated from `alived.core.vrrp.states.TRANSITIONS` by `states.render_mermaid()`;\n"
        "regenerate with `.venv/bin/python -m tests.unit.vrrp_core.test_states`.\n"
        "Pairs not drawn are either counted drops (the input means nothing in that state) or,\n"
        "for `Startup` outside INIT, a LocalMisuse.\n\n" + render_mermaid() + "\n"
        "## Sync groups\n\n"
        "After a member handles an input, `alived.core.vrrp.sync_group.SYNC_RULES` is applied until no\n"
        "rule fires (first match wins). A member's own timeout becomes MASTER only if every other member\n"
        "also wants MASTER (keepalived prefers BACKUP to thrashing), and a member leaves FAULT only when\n"
        "no member has a fault of its own. Each group change logs\n"
        "`VRRP_Group(G) Syncing instances to STATE state` and notifies `GROUP G STATE 0`.\n\n"
        + render_rules()
    )


def test_every_pair_is_in_the_table_except_restarting() -> None:
    for state in State:
        for kind in TABLE_INPUTS:
            present = (state, kind) in TRANSITIONS
            assert present == (kind is not Startup or state is State.INIT), (state, kind)


def test_every_handler_exists_on_the_instance() -> None:
    for transition in TRANSITIONS.values():
        if transition.handler is not None:
            assert callable(getattr(VrrpInstance, transition.handler))


def test_mermaid_lists_the_main_edges() -> None:
    text = render_mermaid()
    for edge in (
        "INIT --> BACKUP: Startup",
        "BACKUP --> MASTER: MasterDownFired",
        "MASTER --> BACKUP: AdvertReceived",
        "FAULT --> BACKUP: FaultCleared",
        "MASTER --> STOP: Shutdown",
    ):
        assert edge in text


def test_docs_diagram_is_generated_from_the_table() -> None:
    assert DOC.read_text() == render_doc(), "run: .venv/bin/python -m tests.unit.vrrp_core.test_states"


@pytest.mark.parametrize("state", list(State))
def test_table_targets_are_reachable_states(state: State) -> None:
    inst = VrrpInstance(make_params())
    assert inst.state is State.INIT
    for (s, _), transition in TRANSITIONS.items():
        if s is state:
            assert all(isinstance(t, State) for t in transition.targets)


if __name__ == "__main__":
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(render_doc())
