"""`alivectl`: the operator's tool. `check-config FILE` and `dump-config FILE --json`."""

from __future__ import annotations

import argparse
import json
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from alived.config.diagnostics import Severity
from alived.config.load import LoadResult, load_config
from alived.config.model import Config, VrrpInstance
from alived.config.render import render_config


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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(list(argv) if argv is not None else None)
    if args.command == "check-config":
        return check_config(args)
    return dump_config(args)
