"""Structural comparison of keepalived's dump files: keepalived.json, keepalived.stats, keepalived.data.

Each file is flattened to {path: shape}. A shape is a JSON value's type (`int`, `float`, `str`,
`bool`, `list[str]`...) or, for the text files, the value with every number replaced by `N`
(`N usecs`, `N sec`), MAC and IPv6 addresses by `X`, quoted words by `'S'` and on/off words
folded to `flag`, so a unit or
type change shows while values that legitimately differ (counts, times, addresses) do not.
`compare` reports each path present on one side only, or with another shape, as one line; a
section of keepalived.data that one side lacks is one line, not one per key.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from alived.core.vrrp.stats import STATS_FILE

FILES = ("keepalived.json", "keepalived.stats", "keepalived.data")
_NUMBER = re.compile(r"\d+(\.\d+)?")
# Colon-separated hex words (MAC and IPv6 addresses): one value whatever digits or letters they hold.
_HEX_COLONS = re.compile(r"\b[0-9a-f]*(?::[0-9a-f]*){2,}\b")
_QUOTED = re.compile(r"'[^']*'")
# On/off words, and a vrrp_script's `State = idle|running` (a run may be under way at the dump).
_FLAGS = {"true", "false", "enabled", "disabled", "yes", "no", "idle", "running"}
_SECTION = re.compile(r"^------< (.+) >------$")


def _json_type(value: object) -> str:
    if isinstance(value, list):
        inner = sorted({_json_type(v) for v in value})
        return f"list[{'|'.join(inner)}]"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def json_paths(text: str) -> dict[str, str]:
    """`json:<iname>.<data|stats>.<key>` -> JSON type, for keepalived's json_version 1 document."""
    out: dict[str, str] = {}
    doc = json.loads(text)
    if not isinstance(doc, list):
        return {"json:": _json_type(doc)}
    for entry in doc:
        name = entry.get("data", {}).get("iname", "?")
        for part, obj in entry.items():
            if not isinstance(obj, dict):
                out[f"json:{name}.{part}"] = _json_type(obj)
                continue
            for key, value in obj.items():
                out[f"json:{name}.{part}.{key}"] = _json_type(value)
    return out


def _shape(value: str) -> str:
    value = value.strip()
    if value.lower() in _FLAGS:
        return "flag"
    # Quoted words are commands (keepalived prints a script's resolved path): values, not shape.
    return _NUMBER.sub("N", _HEX_COLONS.sub("X", _QUOTED.sub("'S'", value)))


def stats_paths(text: str) -> dict[str, str]:
    """`stats:<iname>/<section>/<label>` -> shape of the value, from the indentation."""
    out: dict[str, str] = {}
    instance, section = "?", ""
    for line in text.splitlines():
        if line.startswith("VRRP Instance: "):
            instance, section = line.split(": ", 1)[1], ""
            continue
        depth = len(line) - len(line.lstrip())
        label, _, value = line.strip().partition(":")
        if depth == 2:
            section = label if not value.strip() else ""
            if value.strip():
                out[f"stats:{instance}/{label}"] = _shape(value)
        elif depth == 4:
            out[f"stats:{instance}/{section}/{label}"] = _shape(value)
    return out


def _key(body: str) -> tuple[str, str]:
    if " = " in body:
        key, value = body.split(" = ", 1)
        return key, _shape(value)
    return _NUMBER.sub("N", body), ""


# Sections listing entries, and the depth-1 line that names each: `data:<section>/<name>/<key>`.
ENTRY_SECTIONS = {
    "VRRP Topology": "VRRP Instance = ",
    "VRRP Scripts": "VRRP Script = ",
    "Interfaces": "Name = ",
}
# The socket pool's entries open with their fds (`fd_in 12 fd_out = 13`): named by rank, `socket 1`.
_SOCKPOOL = "VRRP Sockpool"


def data_paths(text: str) -> dict[str, str]:
    """`data:<section>/<key>` (entries: `data:VRRP Topology/<iname>/<key>`) -> shape of the value.

    Entries are keyed by name (instances, scripts, interfaces) or by rank (sockets), so each is
    compared with its namesake. A line ending in ':' opens a list whose items are the
    deeper-indented lines after it; the list's path has the shape `list` and its items are not
    compared (they are addresses). Lines without ' = ' are their own key, numbers folded
    (`Multicast address N.N.N.N`).
    """
    out: dict[str, str] = {}
    section, entry = "", ""
    list_depth: int | None = None
    sockets = 0
    for line in text.splitlines():
        if match := _SECTION.match(line):
            section, entry, list_depth = match.group(1), "", None
            out[f"data:{section}"] = "section"
            continue
        if not line.strip():
            continue
        depth = len(line) - len(line.lstrip())
        if list_depth is not None and depth > list_depth:
            continue
        list_depth = None
        body = line.strip()
        opener = ENTRY_SECTIONS.get(section)
        if depth == 1 and opener is not None and body.startswith(opener):
            entry = body.split(" = ", 1)[1]
            continue
        if depth == 1 and section == _SOCKPOOL:
            sockets += 1
            entry = f"socket {sockets}"
            # The fds are each daemon's own: `fd_in N fd_out = N`.
            body = _NUMBER.sub("N", body)
        prefix = f"data:{section}/{entry}/" if entry else f"data:{section}/"
        if body.endswith(":"):
            list_depth = depth
            header = re.sub(r"\(\d+\)", "(N)", body[:-1]).strip()
            out[prefix + header] = "list"
            continue
        key, shape = _key(body)
        out[prefix + key] = shape
    return out


def _diff(ours: dict[str, str], theirs: dict[str, str], sections: bool = False) -> list[str]:
    out: list[str] = []
    missing_sections = {p for p in theirs if theirs[p] == "section" and p not in ours} if sections else set()
    extra_sections = {p for p in ours if ours[p] == "section" and p not in theirs} if sections else set()
    out += [f"{p}: only in keepalived" for p in missing_sections]
    out += [f"{p}: only in alived" for p in extra_sections]
    for path in sorted(set(ours) | set(theirs)):
        if any(path.startswith(s + "/") or path == s for s in missing_sections | extra_sections):
            continue
        if path not in ours:
            out.append(f"{path}: only in keepalived")
        elif path not in theirs:
            out.append(f"{path}: only in alived")
        elif ours[path] != theirs[path]:
            out.append(f"{path}: keepalived {theirs[path]!r}, alived {ours[path]!r}")
    return out


# JSON `data` keys whose values legitimately differ between two daemons under the same config:
# times, the last master heard, and texts whose words differ (README, "Dump files").
VOLATILE = frozenset(
    {"last_transition", "master_priority", "vips", "evips", "vroutes", "vrules", "track_script"}
)


def json_values(text: str) -> dict[str, object]:
    """`json:<iname>.data.<key>` -> value, for the settings two daemons must agree on (units too)."""
    out: dict[str, object] = {}
    for entry in json.loads(text):
        data = entry.get("data", {})
        for key, value in data.items():
            if key not in VOLATILE and not key.startswith("script"):
                out[f"json:{data.get('iname', '?')}.data.{key}"] = value
    return out


def compare(keepalived_dir: Path, alived_dir: Path) -> list[str]:
    """Every structural difference between the three dump files of two directories, sorted.

    For keepalived.json it also compares the values of the settings (`json_values`), which
    catches a unit change that keeps the type (microseconds written where seconds belong).
    """
    out: list[str] = []
    for name, paths in zip(FILES, (json_paths, stats_paths, data_paths), strict=True):
        theirs, ours = keepalived_dir / name, alived_dir / name
        if not theirs.exists() or not ours.exists():
            out.append(f"{name}: missing in {'keepalived' if not theirs.exists() else 'alived'}")
            continue
        out += _diff(paths(ours.read_text()), paths(theirs.read_text()), sections=name.endswith(".data"))
        if name.endswith(".json"):
            mine, other = json_values(ours.read_text()), json_values(theirs.read_text())
            out += [
                f"{path}: keepalived {other[path]!r}, alived {mine[path]!r}"
                for path in sorted(set(mine) & set(other))
                if mine[path] != other[path] or type(mine[path]) is not type(other[path])
            ]
    return sorted(out)


def stats_counters(text: str) -> dict[str, dict[str, int]]:
    """keepalived.stats read back into {iname: {vrrp_stats name: value}} through core/vrrp/stats.py."""
    by_path = {
        label: name
        for section, lines in STATS_FILE
        for label, name in ((f"{section}/{lb}", n) for lb, n in lines)
    }
    out: dict[str, dict[str, int]] = {}
    instance, section = "?", ""
    for line in text.splitlines():
        if line.startswith("VRRP Instance: "):
            instance, section = line.split(": ", 1)[1], ""
            out[instance] = {}
            continue
        label, _, value = line.strip().partition(":")
        if not value.strip():
            section = label
            continue
        if line.startswith("    "):
            out[instance][by_path[f"{section}/{label}"]] = int(value)
        else:
            out[instance][by_path[f"/{label}"]] = int(value)
    return out
