"""A minimal sd_notify(3) writer: one datagram to $NOTIFY_SOCKET per message.

`NOTIFY_SOCKET` is a filesystem path or, with a leading '@', a name in the abstract namespace.
Without it (not started by systemd with Type=notify) every call is a no-op. `watchdog_interval`
reads `WATCHDOG_USEC` (and `WATCHDOG_PID`, when set, must be this process) as systemd asks:
send `WATCHDOG=1` at half that interval.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping


def _address(raw: str) -> str | None:
    if raw.startswith("@") and len(raw) > 1:
        return "\0" + raw[1:]
    if raw.startswith("/"):
        return raw
    return None  # vsock addresses and relative paths are not ours to guess


class Notifier:
    """Sends sd_notify messages to one socket; `enabled` is False when there is none."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        environ = os.environ if env is None else env
        self.address = _address(environ.get("NOTIFY_SOCKET", ""))
        self._watchdog_usec = environ.get("WATCHDOG_USEC", "")
        self._watchdog_pid = environ.get("WATCHDOG_PID", "")

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def send(self, *fields: str) -> bool:
        """One datagram of newline-separated `KEY=VALUE` fields; False (never raises) when it fails."""
        if self.address is None:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.sendto("\n".join(fields).encode(), self.address)
        except OSError:
            return False
        return True

    def watchdog_interval(self) -> float | None:
        """Seconds between WATCHDOG=1 messages (half of WATCHDOG_USEC), or None when not asked."""
        if not self._watchdog_usec.isdigit() or int(self._watchdog_usec) == 0:
            return None
        if self._watchdog_pid and self._watchdog_pid != str(os.getpid()):
            return None
        return int(self._watchdog_usec) / 2_000_000
