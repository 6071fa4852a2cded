"""What every room of the VRRP child reads of the child it serves: plans, instances, config, `feed`.

Each room states the rest it needs in a protocol of its own built on this one, so a room never
sees more of the child than it uses, and unit tests can hand it a small fake.
"""

from __future__ import annotations

from typing import Protocol

from alived.config import model
from alived.core.vrrp.inputs import Input
from alived.core.vrrp.instance import VrrpInstance
from alived.daemon.vrrp.translate import InstancePlan


class ChildView(Protocol):
    """The child's running plans and instances, its config, and the first of the three steps."""

    @property
    def plans(self) -> dict[str, InstancePlan]: ...

    @property
    def instances(self) -> dict[str, VrrpInstance]: ...

    @property
    def config(self) -> model.Config | None: ...

    def feed(self, name: str, event: Input) -> None: ...
