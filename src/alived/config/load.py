"""Load a keepalived.conf: preprocess, build the block tree, interpret keywords, resolve, report.

This is the config package's only door to the filesystem besides the preprocessor: it reads the
file (through the preprocessor) and looks at script paths and users for the script-security checks.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from alived.config import keywords, model
from alived.config.diagnostics import (
    Diagnostic,
    Severity,
    as_parent,
    config_test_exit_code,
    daemon_exit_code,
)
from alived.config.resolve import resolve
from alived.config.sections.common import Ctx, Fields, interpret
from alived.config.source import Line
from alived.config.tree import Node, build_tree
from alived.errors import Location
from alived.gc_pause import gc_paused
from alived.script_security import ScriptVerdict, lookup_user, script_verdict

_DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadResult:
    config: model.Config
    diagnostics: tuple[Diagnostic, ...]
    files: tuple[str, ...] = ()

    @property
    def exit_code(self) -> int:
        """keepalived -t semantics: 0 clean, 4 cannot run, 5 config problems, 6 script security."""
        return config_test_exit_code(self.diagnostics)

    @property
    def refusal(self) -> int | None:
        """The exit code the daemon must stop with instead of running this config (None: run it)."""
        return daemon_exit_code(self.diagnostics)

    @property
    def problems(self) -> tuple[Diagnostic, ...]:
        """The diagnostics that make the config unclean (INFO excluded)."""
        return tuple(d for d in self.diagnostics if d.severity > Severity.INFO)


def load_config(
    path: str | os.PathLike[str],
    *,
    config_id: str | None = None,
    interfaces: Collection[str] | None = None,
    all_config: bool = False,
) -> LoadResult:
    """Load a config file with its includes; a missing file is a FATAL diagnostic, not an exception."""
    from alived.config.preprocess import preprocess_file  # noqa: PLC0415 - keep import cost off `alived --help`

    with gc_paused():
        try:
            pre = preprocess_file(path, config_id=config_id, all_config=all_config)
        except OSError as exc:
            diag = Diagnostic(
                f"Unable to read configuration file {path}: {exc.strerror}", None, Severity.FATAL
            )
            return LoadResult(config=model.Config(), diagnostics=(diag,))
        result = load_lines(
            pre.lines, interfaces=interfaces, diagnostics=pre.diagnostics, main=os.fspath(path)
        )
    files = tuple(str(f) for f in getattr(pre, "files", ()))
    return LoadResult(config=result.config, diagnostics=result.diagnostics, files=files)


def load_text(
    text: str,
    *,
    name: str = "<string>",
    config_id: str | None = None,
    interfaces: Collection[str] | None = None,
    base_dir: str | None = None,
) -> LoadResult:
    """Load config text (tests, `alivectl`); includes resolve against base_dir."""
    from alived.config.preprocess import preprocess_text  # noqa: PLC0415

    with gc_paused():
        pre = preprocess_text(text, name=name, base_dir=base_dir, config_id=config_id)
        return load_lines(pre.lines, interfaces=interfaces, diagnostics=pre.diagnostics, main=name)


def load_lines(
    lines: Iterable[Line],
    *,
    interfaces: Collection[str] | None = None,
    diagnostics: Iterable[Diagnostic] = (),
    script_probe: Any = None,
    user_exists: Any = None,
    main: str | None = None,
) -> LoadResult:
    """Parse already-preprocessed lines: the part of loading that does not touch files.

    main: the main config file's name; keepalived's parent, which reads it as its only file,
    writes its own reports there as `(Line N)` (see diagnostics.as_parent).
    """
    # the parent reads the files (includes, $definitions, @conditions): its reports alone
    diags: list[Diagnostic] = [d for diag in diagnostics for d in as_parent(diag, main)]
    tree = build_tree(lines, diags, keywords.ROOT, keywords.ROOT_PASSES, main)
    ctx = Ctx([])
    root = interpret(ctx, tree, keywords.ROOT)
    diags.extend(_by_reader(ctx.diagnostics, tree, main))
    written = assemble(root)
    config, resolved = resolve(
        written,
        interfaces=interfaces,
        script_probe=script_probe or probe_script,
        user_exists=user_exists or lookup_user,
    )
    return LoadResult(config=config, diagnostics=(*diags, *resolved))


def _by_reader(found: list[Diagnostic], tree: tuple[Node, ...], main: str | None) -> Iterator[Diagnostic]:
    """The parent alone reads global_defs and the other global root keywords; every process
    reports an unknown root keyword."""
    if main is None:
        yield from found
        return
    parent: set[Location] = set()
    everyone: set[Location] = set()
    for node in tree:
        readers = keywords.ROOT_PASSES.get(node.keyword)
        if node.keyword not in keywords.ROOT:
            everyone.add(node.line.location)
        elif readers is not None and readers == {"global"}:
            parent.update(_places(node))
    for diag in found:
        if diag.location in parent:
            yield from as_parent(diag, main)
        elif diag.location in everyone:
            yield from as_parent(diag, main, also_child=True)
        else:
            yield diag


def _places(node: Node) -> Iterator[Location]:
    yield node.line.location
    if node.end is not None:
        yield node.end
    for child in node.children or ():
        yield from _places(child)


def assemble(root: Fields) -> model.Config:
    """Root keyword values -> the model as written (before resolve)."""
    values = root.values
    merged: dict[str, Any] = {}
    for fields in values.get("global_defs", ()):
        merged.update(fields.values)
    for key in keywords.ROOT_GLOBALS:
        if key in values:
            merged[key] = values[key]
    return model.Config(
        global_defs=model.GlobalDefs(**merged),
        vrrp_scripts=values.get("vrrp_scripts", ()),
        track_files=values.get("track_files", ()),
        track_processes=values.get("track_processes", ()),
        bfd_instances=values.get("bfd_instances", ()),
        garp_groups=values.get("garp_groups", ()),
        track_groups=values.get("track_groups", ()),
        linkbeat_interfaces=_flat(values.get("linkbeat_interfaces", ())),
        interface_up_down_delays=_flat(values.get("interface_up_down_delays", ())),
        static_ipaddress=_flat(values.get("static_ipaddress", ())),
        static_routes=_flat(values.get("static_routes", ())),
        static_rules=_flat(values.get("static_rules", ())),
        sync_groups=values.get("sync_groups", ()),
        instances=values.get("instances", ()),
        ssl=values.get("ssl"),
        virtual_server_groups=values.get("virtual_server_groups", ()),
        virtual_servers=values.get("virtual_servers", ()),
    )


def _flat(blocks: tuple[tuple[Any, ...], ...]) -> tuple[Any, ...]:
    return tuple(item for block in blocks for item in block)


# ---------------------------------------------------------------- the outside world, for resolve()


def probe_script(path: str, uid: int, gid: int, enforce: bool) -> ScriptVerdict:
    """keepalived's path, permission and ownership checks, on this machine's files."""
    return script_verdict(path, uid, gid, enforce=enforce)
