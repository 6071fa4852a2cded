"""`alivectl`: the operator's tool. `check-config FILE`, `dump-config FILE --json`, `status`,
and the control commands `reload`, `stop`, `dump data|stats|json`.

The control commands talk to the parent's control socket (next to its pid file, root only:
daemon/control.py) and print its answer: what a reload changed, or why it was refused.

`status` asks the running VRRP child over its status socket (next to the VRRP pid file) and
prints each instance's name, state, priority and VIPs as a table, or (`--json`) the versioned
status document of docs/status-json.md.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from alived.config.diagnostics import Severity
from alived.config.load import LoadResult, load_config
from alived.config.model import Config, VrrpInstance
from alived.config.render import render_config
from alived.daemon.options import DEFAULT_CHECKERS_PID, DEFAULT_PID, DEFAULT_VRRP_PID
from alived.daemon.status import instance_rows, query, socket_path


def _interfaces(spec: str | None) -> frozenset[str] | None:
    """`--interfaces auto` (default) reads this namespace's links; `none` skips the check."""
    if spec == "none":
        return None
    if spec not in (None, "auto"):
        return frozenset(name for name in spec.split(",") if name)
    try:
        return frozenset(p.name for p in Path("/sys/class/net").iterdir())
    except OSError:
        return frozenset(name for _, name in socket.if_nameindex())


def _vips(inst: VrrpInstance) -> str:
    shown = [str(v.address) + (f" dev {v.dev}" if v.dev else "") for v in inst.virtual_ipaddress]
    return ", ".join(shown) if shown else "-"


def summary(config: Config, out: TextIO) -> None:
    """A human summary of what the config asks for."""
    for inst in config.instances:
        group = f" sync_group {inst.sync_group}" if inst.sync_group else ""
        print(
            f"vrrp_instance {inst.name}: vrid {inst.virtual_router_id} interface {inst.interface or '-'}"
            f" priority {inst.effective_priority} state {inst.effective_state}"
            f" version {inst.effective_version}{group}",
            file=out,
        )
        print(f"    VIPs: {_vips(inst)}", file=out)
        if inst.unicast_peer:
            print(f"    unicast peers: {', '.join(str(p.address) for p in inst.unicast_peer)}", file=out)
    for sg in config.sync_groups:
        print(f"vrrp_sync_group {sg.name}: {' '.join(sg.group)}", file=out)
    for vs in config.virtual_servers:
        print(
            f"virtual_server {vs.key}: {vs.lb_algo} {vs.lvs_method.kind} quorum {vs.quorum}",
            file=out,
        )
        for rs in vs.real_servers:
            checkers = ", ".join(c.type for c in rs.checkers) or "no checker"
            port = f":{rs.effective_port}" if rs.effective_port else ""
            print(f"    real_server {rs.address}{port} weight {rs.effective_weight}: {checkers}", file=out)


def _report(result: LoadResult, out: TextIO) -> None:
    problems = result.problems
    if not problems:
        print("Configuration OK", file=out)
        return
    print(f"{len(problems)} problem(s):", file=out)
    for diag in problems:
        tag = "" if diag.severity == Severity.ERROR else f"[{diag.severity.name}] "
        print(f"  {tag}{diag}", file=out)


def check_config(args: argparse.Namespace) -> int:
    result = load_config(args.file, config_id=args.config_id, interfaces=_interfaces(args.interfaces))
    summary(result.config, sys.stdout)
    _report(result, sys.stdout)
    return result.exit_code


def dump_config(args: argparse.Namespace) -> int:
    result = load_config(args.file, config_id=args.config_id, interfaces=_interfaces(args.interfaces))
    if args.json:
        document = {
            "config": render_config(result.config),
            "diagnostics": [
                {
                    "message": d.message,
                    "severity": d.severity.name,
                    "location": None if d.location is None else f"{d.location.file}:{d.location.line}",
                }
                for d in result.diagnostics
            ],
            "exit_code": result.exit_code,
        }
        json.dump(document, sys.stdout, indent=2, sort_keys=False)
        sys.stdout.write("\n")
    else:
        summary(result.config, sys.stdout)
    return result.exit_code


def checkers_status(args: argparse.Namespace) -> int:
    """The checker child's virtual and real servers (its socket sits next to its pid file)."""
    path = args.socket or socket_path(args.checkers_pid_file)
    try:
        answer = query(path, "json" if args.json else "status", timeout=args.timeout)
        if args.json:
            document = json.loads(answer)
            if not isinstance(document, dict) or "virtual_servers" not in document:
                raise ValueError("the status socket did not answer with virtual servers")
            answer = json.dumps(document, indent=2) + "\n"
    except OSError as err:
        print(
            f"alivectl: no alived checker process answers on {path}: {err.strerror or err}", file=sys.stderr
        )
        return 1
    except ValueError as err:
        print(f"alivectl: unexpected answer from {path}: {err}", file=sys.stderr)
        return 1
    sys.stdout.write(answer)
    return 0


def status(args: argparse.Namespace) -> int:
    """Ask the running daemon; 1 (with a message on stderr) when nobody answers."""
    if args.checkers:
        return checkers_status(args)
    path = args.socket or socket_path(args.pid_file)
    try:
        if not args.json:
            sys.stdout.write(query(path, "status", timeout=args.timeout))
            return 0
        document = json.loads(query(path, "status-json", timeout=args.timeout))
        instance_rows(document)  # refuses what is not a status document
    except OSError as err:
        print(f"alivectl: no alived VRRP process answers on {path}: {err.strerror or err}", file=sys.stderr)
        return 1
    except (ValueError, KeyError, TypeError) as err:
        print(f"alivectl: unexpected answer from {path}: {err}", file=sys.stderr)
        return 1
    json.dump(document, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


def _settings(settings: dict[str, Any]) -> list[str]:
    return [f"{key} {old}->{new}" for key, (old, new) in settings.items()]


def describe_changes(diff: dict[str, Any]) -> list[str]:
    lines = []
    for kind, title, member in (
        ("instances", "VRRP instances", "vips"),
        ("virtual_servers", "virtual servers", "real_servers"),
    ):
        part = diff.get(kind) or {}
        words = [f"added {name}" for name in part.get("added", ())]
        words += [f"removed {name}" for name in part.get("removed", ())]
        for name, change in (part.get("changed") or {}).items():
            moved = [f"+{a}" for a in change.get(f"{member}_added", ())]
            moved += [f"-{a}" for a in change.get(f"{member}_removed", ())]
            moved += _settings(change.get("settings") or {})
            for rs, settings in (change.get("real_servers_changed") or {}).items():
                moved.append(f"{rs} {' '.join(_settings(settings))}")
            words.append(f"changed {name} ({' '.join(moved)})")
        lines.append(f"  {title}: {'; '.join(words) if words else 'unchanged'}")
    return lines


def control(args: argparse.Namespace) -> int:
    """`reload`, `stop`, `dump KIND` over the parent's control socket."""
    path = args.socket or socket_path(args.pid_file)
    request = "dump " + args.kind if args.command == "dump" else args.command
    try:
        answer = json.loads(query(path, request, timeout=args.timeout))
        if not isinstance(answer, dict) or "result" not in answer:
            raise ValueError("no result in the answer")
    except OSError as err:
        print(f"alivectl: no alived process answers on {path}: {err.strerror or err}", file=sys.stderr)
        return 1
    except ValueError as err:
        print(f"alivectl: unexpected answer from {path}: {err}", file=sys.stderr)
        return 1
    result = answer["result"]
    if getattr(args, "json", False):
        json.dump(answer, sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif result in ("applied", "signalled"):
        note = "" if result == "applied" else " (signalled; the VRRP child did not confirm in time)"
        print(f"Reload applied{note}", *describe_changes(answer.get("changes") or {}), sep="\n")
    elif result == "refused":
        errors = answer.get("errors") or []
        print(f"Reload refused: {len(errors)} error(s), nothing changed", file=sys.stderr)
        for error in errors:
            print(f"  {error}", file=sys.stderr)
    elif result == "stopping":
        print("Stopping")
    elif result in ("written", "not written"):
        sys.stdout.write(answer.get("content") or "")
        for name in answer.get("files") or ():
            print(f"alivectl: wrote {name}", file=sys.stderr)
    else:
        print(f"alivectl: {answer.get('error') or result}", file=sys.stderr)
    return 0 if result in ("applied", "stopping", "written") else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="alivectl", description="alived's operator tool")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, helptext in (
        ("check-config", "check a keepalived.conf; exit code as keepalived -t"),
        ("dump-config", "print the parsed configuration model"),
    ):
        cmd = sub.add_parser(name, help=helptext)
        cmd.add_argument("file")
        cmd.add_argument("-i", "--config-id", default=None, help="as keepalived -i")
        cmd.add_argument(
            "--interfaces",
            default="auto",
            help="auto (this namespace's links), none (don't check), or a comma-separated list",
        )
        if name == "dump-config":
            cmd.add_argument("--json", action="store_true", help="JSON output")
    cmd = sub.add_parser("status", help="ask the running daemon for its instances' state")
    cmd.add_argument("--json", action="store_true", help="JSON output")
    cmd.add_argument(
        "--pid-file",
        default=DEFAULT_VRRP_PID,
        help="the VRRP child's pid file, as alived -r/--vrrp_pid (the socket sits next to it)",
    )
    cmd.add_argument(
        "--checkers", action="store_true", help="the checker child's virtual and real servers instead"
    )
    cmd.add_argument(
        "--checkers-pid-file",
        default=DEFAULT_CHECKERS_PID,
        help="the checker child's pid file, as alived -c/--checkers_pid",
    )
    cmd.add_argument("--socket", default=None, help="the status socket itself (overrides --pid-file)")
    cmd.add_argument("--timeout", type=float, default=2.0, help="seconds to wait for an answer")
    for name, helptext in (
        ("reload", "reload the config (refused, with its errors, when it has any)"),
        ("stop", "stop the daemon"),
        ("dump", "write keepalived's dump files and print the VRRP one"),
    ):
        cmd = sub.add_parser(name, help=helptext)
        if name == "dump":
            cmd.add_argument("kind", choices=["data", "stats", "json"])
        if name == "reload":
            cmd.add_argument("--json", action="store_true", help="the answer as JSON")
        cmd.add_argument("--pid-file", default=DEFAULT_PID, help="the parent's pid file, as alived -p/--pid")
        cmd.add_argument("--socket", default=None, help="the control socket itself (overrides --pid-file)")
        cmd.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for an answer")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(argv) if argv is not None else sys.argv[1:]
    if words[:1] == ["genhash"]:  # keepalived genhash's own command line, passed through whole
        from alived import genhash  # noqa: PLC0415 - only this command needs it

        return genhash.main(words[1:], prog="alivectl genhash")
    args = _parser().parse_args(words)
    if args.command == "check-config":
        return check_config(args)
    if args.command == "status":
        return status(args)
    if args.command in ("reload", "stop", "dump"):
        return control(args)
    return dump_config(args)
