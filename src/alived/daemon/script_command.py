"""How the daemon runs a configured script: the user it runs as, or why it must not run at all.

Shared by every process (the parent's startup/shutdown scripts, the VRRP child's trackers and
notify scripts, the checker child's MISC_CHECK). It imports nothing of the network side, so the
parent pays for no netlink library to run a script.
"""

from __future__ import annotations

import logging

from alived.config import model
from alived.linux.scripts import ScriptCommand
from alived.script_security import DEFAULT_SCRIPT_USER, default_user, lookup_user

log = logging.getLogger("alived.scripts")


def script_command(script: model.Script | None, defaults: model.GlobalDefs) -> ScriptCommand | None:
    """The command for a script, run as keepalived would run it; None when keepalived would not run it.

    An unknown user (the script's own, the global script_user, or a missing `keepalived_script`
    under enable_script_security) refuses the script: it is never run as root instead.
    """
    if script is None or not script.argv:
        return None
    if script.user is not None:
        ids, problem = lookup_user(script.user, script.group)
    elif defaults.script_user is not None:
        ids, problem = lookup_user(defaults.script_user, defaults.script_group)
    else:
        ids, problem = default_user(), None
        if ids is None and defaults.enable_script_security:
            problem = f"Unable to set default user {DEFAULT_SCRIPT_USER} for script"
    if problem is not None:
        log.warning("%s: not running %s", problem, script.path)
        return None
    uid, gid = (ids.uid, ids.gid) if ids is not None else (None, None)
    return ScriptCommand(argv=script.argv, uid=uid, gid=gid, secure=defaults.enable_script_security)
