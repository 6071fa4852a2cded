"""Scripts in resolve: vrrp_script checks, and keepalived's script security (who runs what, what is refused).

Whatever needs the outside world (what a script path is, which users exist) comes in as probes,
so this stays pure; `probe_files` and `probe_users` are fake probes for tests and tools.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from typing import Any

from alived.config.diagnostics import Severity
from alived.config.model import (
    Config,
    GlobalDefs,
    Script,
    VrrpScript,
)
from alived.config.resolve.common import Out
from alived.errors import Location
from alived.script_security import DEFAULT_SCRIPT_USER, ScriptVerdict, UserIds


@dataclass(frozen=True, slots=True, kw_only=True)
class ScriptFile:
    """A fake file system entry for a script's argv[0] (tests and tools that do not touch disk)."""

    path: str
    executable: bool = True
    insecure: bool = False  # the file or a directory above it is writable by someone other than root


# (path, uid, gid, enforce) -> verdict; the real one is alived.script_security.script_verdict.
ScriptProbe = Callable[[str, int, int, bool], ScriptVerdict]
# (user, group) -> ids, or None and the reason keepalived logs.
UserProbe = Callable[[str, str | None], tuple[UserIds | None, str | None]]
ROOT = UserIds(0, 0)


def probe_files(files: Mapping[str, ScriptFile]) -> ScriptProbe:
    """A ScriptProbe answering from a table of fake files, with keepalived's verdict rules."""

    def probe(path: str, uid: int, gid: int, enforce: bool) -> ScriptVerdict:
        if path.startswith("<"):
            return ScriptVerdict(runnable=True, is_script=False, path=path)
        found = files.get(path)
        if found is None:
            reason = f"Script {path} cannot be accessed - No such file or directory"
            return ScriptVerdict(runnable=False, found=False, messages=(reason,))
        if not found.executable:
            reason = f"WARNING - script '{path}' is not executable for uid:gid {uid}:{gid} - disabling."
            return ScriptVerdict(runnable=False, executable=False, path=found.path, messages=(reason,))
        if found.insecure and (uid == 0 or gid == 0):
            reason = f"Unsafe permissions found for script '{found.path}'{' - disabling' if enforce else ''}."
            return ScriptVerdict(runnable=not enforce, insecure=True, path=found.path, messages=(reason,))
        return ScriptVerdict(runnable=True, path=found.path)

    return probe


def probe_users(names: Collection[str]) -> UserProbe:
    """A UserProbe for a fake user table: `root` is 0:0, the others 1000+ in sorted order."""
    ids = {name: UserIds(1000 + i, 1000 + i) for i, name in enumerate(sorted(names))}
    ids["root"] = ROOT

    def lookup(user: str, group: str | None) -> tuple[UserIds | None, str | None]:
        found = ids.get(user)
        if found is None:
            return None, f"Script user '{user}' does not exist"
        return found, None

    return lookup


# resolve()'s defaults when no probe is passed: no script file exists, only root does.
NO_FILES = probe_files({})
ROOT_ONLY_USERS = probe_users(())


def resolve_scripts(config: Config, out: Out) -> tuple[VrrpScript, ...]:
    kept: dict[str, VrrpScript] = {}
    for written in config.vrrp_scripts:
        vs = written
        if vs.script is None:
            out.add(f"No script set for vrrp_script {vs.name} - removing", vs.end_location or vs.location)
            continue
        kept[vs.name] = vs
    return tuple(kept.values())


# ---------------------------------------------------------------- script security


_SCRIPT_FIELDS: dict[str, tuple[str, ...]] = {}


def _script_fields(cls: type[Any]) -> tuple[str, ...]:
    """The Script-valued fields of a model class (its annotations name Script)."""
    cached = _SCRIPT_FIELDS.get(cls.__name__)
    if cached is None:
        cached = tuple(f.name for f in dataclasses.fields(cls) if str(f.type) == "Script | None")
        _SCRIPT_FIELDS[cls.__name__] = cached
    return cached


# The global scripts the VRRP child checks with the instances' (keepalived's check_vrrp_script_security).
_VRRP_GLOBALS = frozenset({"notify_fifo_script", "vrrp_notify_fifo_script"})
_CHECK_GLOBALS = frozenset({"notify_fifo_script", "lvs_notify_fifo_script"})
_PARENT_GLOBALS = frozenset({"startup_script", "shutdown_script"})


def _drop_scripts(config: Config, removed: set[str], out: Out, *, report: bool = True) -> Config:
    """Remove vrrp_scripts keepalived refuses, and the instances' references to them."""
    if not removed:
        return config
    instances = []
    for inst in config.instances:
        for entry in inst.track_script:
            if report and entry.name in removed:
                out.add(f"({inst.name}) track script {entry.name} not found, ignoring...", entry.location)
        instances.append(
            replace(inst, track_script=tuple(e for e in inst.track_script if e.name not in removed))
        )
    groups = tuple(
        replace(g, track_script=tuple(e for e in g.track_script if e.name not in removed))
        for g in config.sync_groups
    )
    return replace(
        config,
        vrrp_scripts=tuple(v for v in config.vrrp_scripts if v.name not in removed),
        instances=tuple(instances),
        sync_groups=groups,
    )


@dataclass(slots=True)
class _Gate:
    """One pass over the scripts with the users resolved: what runs, as whom, what is reported."""

    config: Config
    probe: ScriptProbe
    users: UserProbe
    out: Out
    enforce: bool
    default: UserIds | None
    is_script: bool = False
    insecure: bool = False

    def log(self, message: str) -> None:
        self.out.add(message, None, Severity.LOG)

    def ids(self, scr: Script, kind: str) -> UserIds | None:
        """The user a notify-type script runs as; None (logged as keepalived does) drops it."""
        if scr.user is not None:
            ids, problem = self.users(scr.user, scr.group)
            if ids is None:
                self.log(problem or f"Script user '{scr.user}' does not exist")
                self.log(f"Invalid user/group for {kind} script {scr.path} - ignoring")
            return ids
        if self.default is None:
            self.log(f"Failed to set default user for {kind} script {scr.path} - ignoring")
        return self.default

    def verdict(self, scr: Script, ids: UserIds) -> ScriptVerdict:
        found = self.probe(scr.path, ids.uid, ids.gid, self.enforce)
        for message in found.messages:
            self.log(message)
        if found.is_script and found.found:
            self.is_script = True
        self.insecure |= found.insecure
        return found

    def keep(self, scr: Script | None, kind: str) -> Script | None:
        """`scr` unless keepalived refuses it for its user or its path's safety.

        A missing or non-executable file is only reported (keepalived drops it too): keeping it
        in the model keeps what was written, and running it can only fail."""
        if scr is None:
            return None
        ids = self.ids(scr, kind)
        if ids is None:
            return None
        found = self.verdict(scr, ids)
        return None if not found.runnable and found.found and found.executable else scr

    def notify_fields(self, obj: Any, only: frozenset[str] | None = None) -> Any:
        changes: dict[str, Any] = {}
        for name in _script_fields(type(obj)):
            if only is not None and name not in only:
                continue
            value = getattr(obj, name)
            kept = self.keep(value, "notify")
            if kept is not value:
                changes[name] = kept
        return replace(obj, **changes) if changes else obj


def _first_userless(config: Config) -> tuple[Location | None] | None:
    """Where the first script without its own user is, if there is one."""
    for vs in config.vrrp_scripts:
        if vs.script is not None and _script_user(vs)[0] is None:
            return (vs.location,)
    objects: list[Any] = [config.global_defs, *config.sync_groups, *config.instances]
    for server in config.virtual_servers:
        objects.append(server)
        for rs in server.real_servers:
            objects += [rs, *rs.checkers]
    for obj in objects:
        for name in _script_fields(type(obj)):
            scr = getattr(obj, name)
            if scr is not None and scr.user is None:
                return (scr.location,)
    return None


def _script_user(vs: VrrpScript) -> tuple[str | None, str | None]:
    if vs.user is not None:
        return vs.user, vs.group
    if vs.script is not None and vs.script.user is not None:
        return vs.script.user, vs.script.group
    return None, None


def check_script_security(
    config: Config,
    g: GlobalDefs,
    probe: ScriptProbe,
    users: UserProbe,
    out: Out,
    *,
    vrrp_side: bool = True,
) -> Config:
    """keepalived's user and path checks; every script it would not run is removed from the model."""
    enforce = g.enable_script_security
    default: UserIds | None = ROOT
    if g.script_user is not None:
        ids, problem = users(g.script_user, g.script_group)
        if ids is None:
            out.add(problem or f"Script user '{g.script_user}' does not exist", None, Severity.LOG)
            out.add("Error setting global script uid/gid", None)
            default = None
        else:
            default = ids

    userless = _first_userless(config)
    if g.script_user is None and userless is not None:
        # keepalived looks keepalived_script up when it meets the first script without a user.
        ids, problem = users(DEFAULT_SCRIPT_USER, None)
        if ids is not None:
            default = ids
        else:
            out.add(problem or f"Script user '{DEFAULT_SCRIPT_USER}' does not exist", None, Severity.LOG)
            if enforce:
                out.add(f"Unable to set default user {DEFAULT_SCRIPT_USER} for script", userless[0])
                default = None

    removed: set[str] = set()
    runs_as: dict[str, UserIds] = {}
    for vs in config.vrrp_scripts:
        if vs.script is None:
            continue
        user, group = _script_user(vs)
        if user is not None:
            ids, problem = users(user, group)
            if ids is None:
                out.add(problem or f"Script user '{user}' does not exist", None, Severity.LOG)
                out.add(f"Unable to set uid/gid for script '{vs.script.path}'", vs.location)
                removed.add(vs.name)
                continue
        else:
            ids = default
            if ids is None:
                out.add(f"Unable to set default user for vrrp script {vs.name} - removing", vs.location)
                removed.add(vs.name)
                continue
        runs_as[vs.name] = ids
    config = _drop_scripts(config, removed, out)
    gate = _Gate(config, probe, users, out, enforce, default)
    # keepalived -t does not reach the VRRP child's checks for a config run in a net_namespace.
    # vrrp_side: instances were written (even ones then found incomplete), as keepalived's VRRP
    # child judges its scripts before it completes the instances.
    if vrrp_side and config.global_defs.net_namespace is None:
        config = _vrrp_security(gate, config, runs_as, out)
    # each keepalived process judges its own scripts and names itself in the verdict
    _violation(gate, "", enforce, out)
    config = _check_security(gate, config)
    _violation(gate, "check ", enforce, out)
    config = replace(config, global_defs=gate.notify_fields(config.global_defs, _PARENT_GLOBALS))
    _violation(gate, "start/shutdown ", enforce, out)
    return config


def _violation(gate: _Gate, who: str, enforce: bool, out: Out) -> None:
    """One process's SECURITY VIOLATION line, if its scripts run unchecked; the gate starts over."""
    if gate.is_script and not enforce:
        out.add(
            f"SECURITY VIOLATION - {who}scripts are being executed but script_security not enabled."
            + (" There are insecure scripts." if gate.insecure else ""),
            None,
            Severity.SECURITY,
        )
    gate.is_script = gate.insecure = False


def _vrrp_security(gate: _Gate, config: Config, runs_as: dict[str, UserIds], out: Out) -> Config:
    """What the VRRP child checks once it has instances: track scripts, notify and FIFO scripts."""
    disabled: set[str] = set()
    for vs in config.vrrp_scripts:
        if vs.script is None or vs.name not in runs_as:
            continue
        found = gate.verdict(vs.script, runs_as[vs.name])
        if found.runnable:
            continue
        if found.insecure or (found.found and found.executable):
            out.add(f"Disabling track script {vs.name} due to insecure", None)
        elif not found.found:
            out.add(f"Disabling track script {vs.name} since not found/accessible", None)
        disabled.add(vs.name)
    config = _drop_scripts(config, disabled, out, report=False)
    return replace(
        config,
        instances=tuple(gate.notify_fields(i) for i in config.instances),
        sync_groups=tuple(gate.notify_fields(s) for s in config.sync_groups),
        global_defs=gate.notify_fields(config.global_defs, _VRRP_GLOBALS),
    )


def _check_security(gate: _Gate, config: Config) -> Config:
    """The checker's scripts, judged when it has virtual servers: theirs, and the FIFO scripts it
    runs. The virtual servers' are judged for the report but kept: the checker side gates them
    again when it starts them (alived.linux.scripts.ScriptRunner, through script_verdict)."""
    if not config.virtual_servers:
        return config
    for server in config.virtual_servers:
        objects: list[Any] = [server]
        for rs in server.real_servers:
            objects += [rs, *rs.checkers]
        for obj in objects:
            gate.notify_fields(obj)
    return replace(config, global_defs=gate.notify_fields(config.global_defs, _CHECK_GLOBALS))
