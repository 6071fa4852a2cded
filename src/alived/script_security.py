"""keepalived's script-security gate: who a script runs as, and whether it may run at all.

Shared by the config checks (`-t` and the loader drop what keepalived drops) and by the script
runner (checked again just before exec, so a script that became unsafe is still refused). The
checker side calls `script_verdict()` the same way for MISC_CHECK, notify_up/down and quorum
scripts. Only the standard library: config/ and linux/ both import it.

keepalived 2.2.7 (`check_script_secure`): a script is looked for on PATH when its name has no `/`,
its real path must exist and be executable by the user it runs as, and, when that user or group
is root (or the file is set-uid/gid root), every component of its real path must be owned by root
and not writable by a non-root group or by others (directories with the sticky bit excepted).
With `enable_script_security` such a script is disabled; without it, it runs and is reported.
"""

from __future__ import annotations

import grp
import os
import pwd
import stat
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SCRIPT_USER = "keepalived_script"
_DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True, slots=True)
class UserIds:
    uid: int
    gid: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ScriptVerdict:
    """What keepalived concludes about one script; `messages` are its log lines, in order."""

    runnable: bool  # may be started
    found: bool = True
    executable: bool = True
    insecure: bool = False  # writable by a non-root user while run as root
    is_script: bool = True  # a real file (not keepalived's `</path` file test)
    path: str = ""  # what would be exec'd
    messages: tuple[str, ...] = ()


def lookup_user(user: str, group: str | None = None) -> tuple[UserIds | None, str | None]:
    """`user [:][group]` to ids, or None and keepalived's log line for the name that does not exist."""
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        return None, f"Script user '{user}' does not exist"
    gid = entry.pw_gid
    if group:
        name = group.lstrip(":")
        if name:
            try:
                gid = grp.getgrnam(name).gr_gid
            except KeyError:
                return None, f"Script group '{name}' does not exist"
    return UserIds(entry.pw_uid, gid), None


def default_user() -> UserIds | None:
    """keepalived's default script user: `keepalived_script` if it exists (else the caller uses root)."""
    ids, _ = lookup_user(DEFAULT_SCRIPT_USER)
    return ids


def _executable_by(st: os.stat_result, uid: int, gid: int) -> bool:
    mode = st.st_mode
    if uid == 0:
        return bool(mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH))
    if uid == st.st_uid:
        return bool(mode & stat.S_IXUSR)
    if gid == st.st_gid:
        return bool(mode & stat.S_IXGRP)
    return bool(mode & stat.S_IXOTH)


def _path_search(name: str, uid: int, gid: int, path_env: str) -> tuple[str | None, bool]:
    """The first PATH entry holding `name` executable by uid:gid; (None, denied-somewhere) otherwise."""
    denied = False
    for directory in path_env.split(":"):
        candidate = f"{directory or '.'}/{name}"
        try:
            st = Path(candidate).stat()
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode) and _executable_by(st, uid, gid):
            return candidate, False
        denied = True
    return None, denied


def _unsafe_component(path: str) -> tuple[str, str] | None:
    """Walk `/`, `/a`, ... `path`: ("missing" | "wrong type" | "unsafe", message) for the first bad one."""
    parts = [p for p in path.split("/") if p]
    prefixes = ["/"] + ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]
    for index, prefix in enumerate(prefixes):
        last = index == len(prefixes) - 1
        try:
            st = os.lstat(prefix)
        except OSError:
            return "missing", f"check_script_secure could not find script '{path}' - disabling"
        mode = st.st_mode
        if (not last and not stat.S_ISDIR(mode)) or (last and not (stat.S_ISREG(mode) or stat.S_ISLNK(mode))):
            return "wrong type", f"Wrong file type found in script path '{path}'."
        checked_type = (stat.S_ISDIR(mode) and not mode & stat.S_ISVTX) or stat.S_ISREG(mode)
        writable = (st.st_gid != 0 and mode & stat.S_IWGRP) or mode & stat.S_IWOTH
        if st.st_uid != 0 or (checked_type and writable):
            return "unsafe", ""
    return None


def script_verdict(
    argv0: str,
    uid: int,
    gid: int,
    *,
    enforce: bool,
    use_symlinks: bool = False,
    path_env: str | None = None,
) -> ScriptVerdict:
    """keepalived's check of one script about to run as uid:gid; `enforce` is enable_script_security."""
    if argv0.startswith("<") and argv0[1:].lstrip(" \t").startswith("/"):
        return ScriptVerdict(runnable=True, is_script=False, path=argv0)
    messages: list[str] = []
    name = argv0
    if "/" not in name:
        found, denied = _path_search(name, uid, gid, path_env or os.environ.get("PATH") or _DEFAULT_PATH)
        if found is None:
            word = "Permissions failure for" if denied else "Cannot find"
            return ScriptVerdict(
                runnable=False, found=False, messages=(f"{word} script {name} in path - disabling",)
            )
        messages.append(
            f"WARNING - script `{name}` resolved by path search to `{found}`. Please specify full path."
        )
        name = found
    try:
        real = os.path.realpath(name, strict=True)
        st = Path(real).stat()
    except OSError as err:
        reason = os.strerror(err.errno) if err.errno else str(err)
        messages.append(f"Script {name} cannot be accessed - {reason}")
        return ScriptVerdict(runnable=False, found=False, messages=tuple(messages))
    if not _executable_by(st, uid, gid):
        messages.append(f"WARNING - script '{name}' is not executable for uid:gid {uid}:{gid} - disabling.")
        return ScriptVerdict(runnable=False, executable=False, path=real, messages=tuple(messages))
    setid_root = (st.st_uid == 0 and st.st_mode & stat.S_IXUSR and st.st_mode & stat.S_ISUID) or (
        st.st_gid == 0 and st.st_mode & stat.S_IXGRP and st.st_mode & stat.S_ISGID
    )
    if not (uid == 0 or gid == 0 or setid_root):
        return ScriptVerdict(runnable=True, path=real, messages=tuple(messages))
    walk = [real]
    if use_symlinks and os.path.normpath(name) != real:
        walk.insert(0, os.path.normpath(name))
    for path in walk:
        problem = _unsafe_component(path)
        if problem is None:
            continue
        kind, message = problem
        if kind != "unsafe":
            messages.append(message)
            return ScriptVerdict(runnable=False, found=kind != "missing", path=real, messages=tuple(messages))
        messages.append(f"Unsafe permissions found for script '{path}'{' - disabling' if enforce else ''}.")
        return ScriptVerdict(runnable=not enforce, insecure=True, path=real, messages=tuple(messages))
    return ScriptVerdict(runnable=True, path=real, messages=tuple(messages))
