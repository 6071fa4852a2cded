"""Semantic checks and effective values: what keepalived's *_complete functions do after parsing.

Input is the model as written; output is the model the daemons run (items keepalived would drop are
dropped, values it would correct are corrected, effective_* fields filled in) plus diagnostics.
Whatever needs the outside world (which interfaces exist, what a script path is) comes in as
arguments, so the package stays pure. One module per subsystem: `vrrp` (instances, sync groups,
static routes/rules, interfaces), `lvs` (virtual/real servers, checkers), `scripts` (vrrp_script
and script security); `common` holds what they share.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from alived.config.diagnostics import Diagnostic
from alived.config.model import Config
from alived.config.resolve.common import Out
from alived.config.resolve.lvs import resolve_vs
from alived.config.resolve.scripts import (
    NO_FILES,
    ROOT,
    ROOT_ONLY_USERS,
    ScriptFile,
    ScriptProbe,
    UserProbe,
    check_script_security,
    probe_files,
    probe_users,
    resolve_scripts,
)
from alived.config.resolve.vrrp import (
    check_duplicate_vrids,
    check_interfaces,
    check_static,
    resolve_instance,
    resolve_sync_groups,
    unique_instances,
)

__all__ = ["ROOT", "ScriptFile", "ScriptProbe", "UserProbe", "probe_files", "probe_users", "resolve"]


def resolve(
    config: Config,
    *,
    interfaces: Collection[str] | None = None,
    script_probe: ScriptProbe = NO_FILES,
    user_exists: UserProbe = ROOT_ONLY_USERS,
) -> tuple[Config, tuple[Diagnostic, ...]]:
    """Check the written model as keepalived does and return the effective model plus diagnostics."""
    out = Out([])
    g = config.global_defs
    # keepalived's VRRP child judges its scripts only when instances are configured (even ones it
    # then finds incomplete).
    vrrp_side = bool(config.instances)
    scripts = resolve_scripts(config, out)
    config = check_static(replace(config, vrrp_scripts=scripts), out)
    instances = tuple(
        inst
        for inst in (resolve_instance(config, inst, out) for inst in unique_instances(config, out))
        if inst is not None
    )
    instances = check_duplicate_vrids(instances, out)
    sync_groups, instances = resolve_sync_groups(config.sync_groups, instances, out)
    virtual_servers = tuple(
        vs for vs in (resolve_vs(config, vs, out) for vs in config.virtual_servers) if vs is not None
    )
    config = replace(config, instances=instances, sync_groups=sync_groups, virtual_servers=virtual_servers)
    # A non-existent interface stops keepalived's VRRP child before it judges any script.
    if interfaces is not None and check_interfaces(config, set(interfaces), out):
        vrrp_side = False
    config = check_script_security(config, g, script_probe, user_exists, out, vrrp_side=vrrp_side)
    return config, tuple(out.diagnostics)
