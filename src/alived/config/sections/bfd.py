"""bfd_instance blocks (RFC 5880 sessions that VRRP instances and checkers can track)."""

from __future__ import annotations

from typing import Any

from alived.config import model
from alived.config.sections.common import INVALID, Ctx, Fields
from alived.config.tree import Node


def build_bfd_instance(ctx: Ctx, node: Node, fields: Fields) -> Any:
    if not node.args:
        ctx.error("bfd_instance requires a name", node, "bfd_instance")
        return INVALID
    if "neighbor_ip" not in fields:
        ctx.error(
            f"Configuration error: BFD instance {node.args[0]} has no neighbor address set,"
            " disabling instance",
            node.end or node,  # checked as the block ends
            "bfd_instance",
        )
        return INVALID
    return model.BfdInstance(name=node.args[0], location=node.line.location, **fields.values)
