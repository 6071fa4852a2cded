"""What a loaded config asks for that the daemon does not do (or ignores), as log lines for (re)load.

keepalived.conf files are accepted whole (the parser knows every keyword), but some features
have no engine behind them yet. Saying so once at startup, per instance, keeps an operator from
believing that, say, a track_bfd moves priority when no BFD session runs.
"""

from __future__ import annotations

import logging

from alived.config import model
from alived.daemon.vrrp.translate import ignored_track_interfaces

log = logging.getLogger("alived.vrrp")


def log_notices(config: model.Config) -> None:
    """What keepalived says about a config when it (re)loads it, then what alived will not do."""
    for inst in config.instances:
        for line in ignored_track_interfaces(inst, config):
            log.info("%s", line)
    holders: list[model.VrrpInstance | model.VrrpSyncGroup] = [*config.instances, *config.sync_groups]
    used = {t.name for holder in holders for t in holder.track_script}
    for script in config.vrrp_scripts:
        if script.name not in used:
            # keepalived's vrrp_complete_init drops it, at start and at each reload
            log.info("Warning - script %s is not used", script.name)
    for line in unsupported_notices(config):
        log.warning("%s", line)


def unsupported_notices(config: model.Config) -> list[str]:
    """One line per configured feature that will be ignored, in file order."""
    out: list[str] = []
    holders: list[tuple[str, model.VrrpInstance | model.VrrpSyncGroup]] = [
        *((f"({sg.name})", sg) for sg in config.sync_groups),
        *((f"({inst.name})", inst) for inst in config.instances),
    ]
    for label, holder in holders:
        for keyword in ("track_bfd",):
            entries: tuple[model.TrackEntry, ...] = getattr(holder, keyword)
            if entries:
                names = ", ".join(e.name for e in entries)
                out.append(f"{label} {keyword} is not supported yet: {names} ignored")
    for inst in config.instances:
        if inst.use_ipvlan is not None:
            out.append(f"({inst.name}) use_ipvlan is not supported yet: VIPs go on {inst.interface}")
        if inst.auth_hmac is not None:
            out.append(f"({inst.name}) auth_hmac is not supported yet: ignored")
        if inst.vrf:
            out.append(f"({inst.name}) vrf is not supported yet: ignored")
    g = config.global_defs
    if any(
        (
            g.enable_traps,
            g.enable_snmp_vrrp,
            g.enable_snmp_checker,
            g.enable_snmp_rfc,
            g.enable_snmp_rfcv2,
            g.enable_snmp_rfcv3,
        )
    ):
        out.append("SNMP is not supported yet: enable_snmp_*/enable_traps ignored")
    if g.enable_dbus:
        out.append("DBus is not supported yet: enable_dbus ignored")
    return out
