"""What `alived --version` says about this build: version, git commit, build time, platform.

The commit and build time are written into the package when a wheel is built (setup.py
generates `alived/_build.py` in the build tree, never in src/); a source checkout or an
editable install has no such module and reports "unknown", as a keepalived built without
GIT_COMMIT simply omits it.
"""

from __future__ import annotations

import importlib
import os
import platform
from pathlib import Path

from alived import KEEPALIVED_COMPAT, __version__

UNKNOWN = "unknown"
COPYRIGHT = "Copyright(C) 2026 the alived authors; GPL-2.0-or-later"
# Features of this build, named as keepalived's "Config options:" line names its own.
CONFIG_OPTIONS = "VRRP VRRP_AUTH VRRP_VMAC LVS NFTABLES IPVS JSON SYSTEMD_NOTIFY METRICS"


def _generated(name: str) -> str:
    try:
        module = importlib.import_module("alived._build")
    except ImportError:
        return UNKNOWN
    value = getattr(module, name, UNKNOWN)
    return value if isinstance(value, str) and value else UNKNOWN


def git_commit() -> str:
    """`git describe --always --dirty` of the tree the wheel was built from, or "unknown"."""
    return _generated("GIT_COMMIT")


def build_date() -> str:
    """UTC time of the build (SOURCE_DATE_EPOCH when the packager set it), or "unknown"."""
    return _generated("BUILD_DATE")


def distro(os_release: Path = Path("/etc/os-release")) -> str:
    """PRETTY_NAME of /etc/os-release, as keepalived's `Distro:` line; "unknown" without it."""
    try:
        text = os_release.read_text(encoding="utf-8")
    except OSError:
        return UNKNOWN
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "PRETTY_NAME":
            return value.strip().strip('"') or UNKNOWN
    return UNKNOWN


# keepalived 2.2.7's version string's date, as its `-v` headline carries it.
KEEPALIVED_DATE = "01/16,2022"


def headline() -> str:
    """The first line, parsed by scripts written for keepalived as its own.

    They take the second word (`awk '{print $2}'`) or what follows `Keepalived v`: both give the
    keepalived version alived stands in for; alived's own version and commit follow.
    """
    return (
        f"Keepalived v{KEEPALIVED_COMPAT} ({KEEPALIVED_DATE}) compatible: alived v{__version__}, "
        f"git commit {git_commit()}"
    )


def version_text() -> str:
    """The whole `--version` text, shaped as keepalived 2.2.7's (which it writes to stderr)."""
    uname = os.uname()
    return (
        f"{headline()}\n\n{COPYRIGHT}\n\n"
        f"Built on {build_date()}\n"
        f"Running on {uname.sysname} {uname.release} {uname.version}\n"
        f"Distro: {distro()}\n\n"
        f"Python {platform.python_version()}, package in {Path(__file__).parent}\n\n"
        f"Config options:  {CONFIG_OPTIONS}\n"
    )
