"""Per-namespace sysctls under /proc/sys/net, with a record of old values to restore.

/proc/sys/net follows the network namespace of the thread that opens the file, so these
helpers act on the namespace the daemon runs in.
"""

from __future__ import annotations

from pathlib import Path

from alived.errors import BackendError
from alived.linux import kernel_ops

PROC_SYS = Path("/proc/sys")


def _path(key: str) -> Path:
    # Interface names may contain dots (vrrp.51), so the key is split only on the known prefix
    # structure: "net.ipv4.conf.<ifname>.<setting>" keeps <ifname> whole.
    parts = key.split(".")
    if len(parts) > 4 and parts[0] == "net" and parts[2] == "conf":
        parts = [*parts[:3], ".".join(parts[3:-1]), parts[-1]]
    return PROC_SYS.joinpath(*parts)


def read(key: str) -> str:
    """The value of a sysctl such as "net.ipv4.conf.eth0.arp_ignore"."""
    try:
        return _path(key).read_text().strip()
    except OSError as exc:
        raise BackendError("sysctl_read", exc.errno, key) from exc


def write(key: str, value: str | int) -> None:
    kernel_ops.count("sysctl", "write")
    try:
        _path(key).write_text(f"{value}\n")
    except OSError as exc:
        raise BackendError("sysctl_write", exc.errno, key) from exc


def conf_key(family: int, ifname: str, setting: str) -> str:
    """net.ipv4.conf.IF.SETTING (family 4) or net.ipv6.conf.IF.SETTING (family 6)."""
    return f"net.ipv{family}.conf.{ifname}.{setting}"


class SysctlSaver:
    """Sets sysctls and remembers the first value seen for each, so `restore()` undoes them all."""

    def __init__(self) -> None:
        self._saved: dict[str, str] = {}

    def set(self, key: str, value: str | int) -> None:
        old = read(key)
        self._saved.setdefault(key, old)
        if old != str(value):
            write(key, value)

    def forget(self, prefix: str) -> None:
        """Drop saved values under a prefix (e.g. of an interface that no longer exists)."""
        for key in [k for k in self._saved if k.startswith(prefix)]:
            del self._saved[key]

    @property
    def saved(self) -> dict[str, str]:
        return dict(self._saved)

    def restore(self) -> None:
        """Put every changed sysctl back, newest first; keys that vanished are skipped."""
        for key, value in reversed(list(self._saved.items())):
            if _path(key).exists():
                write(key, value)
        self._saved.clear()
