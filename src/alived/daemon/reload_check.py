"""`reload_check_config [LOG]`: test the new file as `-t` would before a reload touches anything.

keepalived 2.2.7, with reload_check_config in the running config, logs `validate conf before
Reload`, runs its config test on the new file with the test's output going to LOG (or
/dev/null), and on any error logs `New config failed validation, see LOG for details` and does
not reload: the running configuration stays. Without it a reload applies whatever the parser
kept, as at startup (an unknown `vrrp_instanc` block is dropped, so that instance goes away).
"""

from __future__ import annotations

import logging

from alived.daemon.loader import load_result
from alived.daemon.options import Options

log = logging.getLogger("alived.vrrp")

NO_LOG = "/dev/null"


def config_check_failed(options: Options, log_file: str) -> bool:
    """Run the config test on the new file; True (logged, details in `log_file`) when it failed."""
    log.info("validate conf before Reload")
    target = log_file or NO_LOG
    result = load_result(options)
    if result.exit_code == 0:
        return False
    if log_file:
        try:
            with open(log_file, "w", encoding="utf-8") as out:
                out.writelines(f"{d.keepalived_text()}\n" for d in result.diagnostics)
        except OSError as err:
            log.error("Unable to write the config check log %s: %s", log_file, err)
    log.error("New config failed validation, see %s for details", target)
    return True
