"""The local name, as keepalived's get_local_name finds it: one home for the router_id default.

keepalived takes the node name (uname) and asks the resolver for its canonical name; router_id
defaults to it (mails, the data dump), and so does the HELO name of its mails. A node name that
does not resolve leaves keepalived with "[unknown]" as router_id.
"""

from __future__ import annotations

import functools
import os
import socket

UNKNOWN_NAME = "[unknown]"


@functools.cache
def local_name() -> str | None:
    """The canonical name of the node name, once per process: the lookup may wait on a resolver."""
    try:
        infos = socket.getaddrinfo(os.uname().nodename, None, flags=socket.AI_CANONNAME)
    except OSError:
        return None
    return (infos[0][3] or None) if infos else None


def router_id(configured: str | None) -> str:
    """The router_id keepalived runs with: the configured one, else the local name."""
    return configured or local_name() or UNKNOWN_NAME
