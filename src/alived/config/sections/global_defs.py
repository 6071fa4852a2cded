"""global_defs and the root-level daemon keywords: value parsers with more than one argument."""

from __future__ import annotations

from typing import Any

from alived.config.sections.common import INVALID, Ctx, Fields, Set, boolean, read_int, required
from alived.config.tree import Node


def build_global_defs(ctx: Ctx, node: Node, fields: Fields) -> Any:
    """A Fields object is kept as is: several global_defs blocks continue setting the same fields."""
    del ctx, node
    return fields


@required
def smtp_server(ctx: Ctx, node: Node) -> Any:
    if not node.args:
        ctx.error("smtp_server requires a parameter", node, "smtp_server")
        return INVALID
    result = Set({"smtp_server": node.args[0]})
    if len(node.args) > 1:
        port = read_int(ctx, node, node.args[1], 1, 65535)
        if port is INVALID:
            return INVALID
        result["smtp_server_port"] = port
    return result


def script_user(ctx: Ctx, node: Node) -> Any:
    if not node.args:
        ctx.error("script_user requires a parameter", node, "script_user")
        return INVALID
    user, _, group = node.args[0].partition(":")
    if not group and len(node.args) > 1:
        group = node.args[1].lstrip(":")
    return Set({"script_user": user, "script_group": group or None})


def dynamic_interfaces(ctx: Ctx, node: Node) -> Any:
    del ctx
    return Set(
        {
            "dynamic_interfaces": True,
            "dynamic_interfaces_allow_if_changes": "allow_if_changes" in node.args,
        }
    )


def fifo(ctx: Ctx, node: Node) -> Any:
    if not node.args:
        ctx.error(f"{node.keyword} requires a parameter", node, node.keyword)
        return INVALID
    return node.args


def lvs_sync_daemon(ctx: Ctx, node: Node) -> Any:
    if not node.args:
        ctx.error("lvs_sync_daemon requires an interface", node, "lvs_sync_daemon")
        return INVALID
    return node.args


def process_names(ctx: Ctx, node: Node) -> Any:
    del ctx, node
    return True


def vrrp_min_garp(ctx: Ctx, node: Node) -> Any:
    value = boolean(ctx, node)
    if value is not True:
        return value
    return Set(
        {
            "vrrp_min_garp": True,
            "vrrp_garp_master_repeat": 1,
            "vrrp_garp_master_delay": 0,
            "vrrp_garp_master_refresh": 0,
        }
    )


def lvs_flush_on_stop(ctx: Ctx, node: Node) -> Any:
    del ctx
    return node.args[0] if node.args else "VS"


@required
def umask(ctx: Ctx, node: Node) -> Any:
    if not node.args:
        ctx.error("umask requires a parameter", node, "umask")
        return INVALID
    return " ".join(node.args)
