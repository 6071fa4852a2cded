"""Writing a dump file where keepalived writes it, safely: any process's dump goes through here.

Files go to `$TMPDIR` (when set, absolute and a directory) else `/tmp`, mode 0600, through an
unpredictable O_EXCL|O_NOFOLLOW temporary name renamed over the target, so a symlink planted
at the target or a guessed temp name is never followed.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

DumpKind = Literal["data", "stats", "json"]

# The files keepalived 2.2.7 writes on SIGUSR1 (data), SIGUSR2 (stats) and the JSON signal, per
# process: the one home of their names (the children write them, `alivectl dump` reads them).
VRRP_DUMPS: dict[DumpKind, str] = {
    "data": "keepalived.data",
    "stats": "keepalived.stats",
    "json": "keepalived.json",
}
CHECK_DUMPS: dict[DumpKind, str] = {
    "data": "keepalived_check.data",
    "stats": "keepalived_check.stats",
    "json": "keepalived_check.json",
}
PARENT_DUMP = "keepalived_parent.data"


def dump_dir() -> Path:
    """`$TMPDIR` when set, absolute and a directory; otherwise /tmp (keepalived set_tmp_dir)."""
    env = os.environ.get("TMPDIR", "")
    if env and Path(env).is_absolute() and Path(env).is_dir():
        return Path(env)
    return Path("/tmp")


def write_dump_file(name: str, text: str, directory: Path | None = None) -> Path:
    """Write `text` to `directory/name` (mode 0600) atomically and without following symlinks."""
    where = dump_dir() if directory is None else directory
    target = where / name
    tmp = where / f".{name}.{secrets.token_hex(8)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        tmp.replace(target)  # rename replaces a symlink itself, never its target
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target
