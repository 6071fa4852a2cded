"""Read a systemd unit and turn its command lines into argv as systemd would (no systemd needed).

Only what alived's unit uses, per systemd.service(5) and systemd.exec(5): `[Section]` and
`Key=value` lines (a key may repeat), EnvironmentFile syntax (comments, quotes, `-` for an
optional file) and command-line expansion (`$VAR` as a whole word splits at whitespace and
vanishes when empty; `${VAR}` stays one word; quotes group).
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from pathlib import Path


def parse_unit(text: str) -> dict[str, list[tuple[str, str]]]:
    """Section name -> its (key, value) entries in order."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        if current is None or "=" not in line:
            raise ValueError(f"not a unit line: {raw!r}")
        key, _, value = line.partition("=")
        current.append((key.strip(), value.strip()))
    return sections


def values(section: list[tuple[str, str]], key: str) -> list[str]:
    return [v for k, v in section if k == key]


def read_environment_file(path: Path) -> dict[str, str]:
    """systemd's EnvironmentFile: KEY=VALUE lines, `#`/`;` comments, one pair of quotes removed."""
    env: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        key, sep, value = line.partition("=")
        if not sep:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        env[key.strip()] = value
    return env


def environment(entries: list[str], files: Mapping[str, Path]) -> dict[str, str]:
    """The variables of the unit's EnvironmentFile= entries, later files overriding earlier ones.

    `files` maps the path the unit names to where the test put that file; an optional entry
    (`-` prefix) whose file is absent is skipped, a required one raises as systemd refuses.
    """
    env: dict[str, str] = {}
    for entry in entries:
        optional = entry.startswith("-")
        named = entry.lstrip("-")
        path = files.get(named)
        if path is None or not path.exists():
            if optional:
                continue
            raise FileNotFoundError(named)
        env.update(read_environment_file(path))
    return env


def expand(command: str, env: Mapping[str, str]) -> list[str]:
    """ExecStart=/ExecReload= text -> argv, with systemd's variable rules."""
    argv: list[str] = []
    for word in shlex.split(command):
        if word.startswith("$") and not word.startswith("${") and word[1:].isidentifier():
            argv.extend(env.get(word[1:], "").split())
            continue
        text = word
        for name, value in env.items():
            text = text.replace("${" + name + "}", value)
        argv.append(text)
    return argv
