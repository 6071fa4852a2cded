"""A stand-in lexer for parser tests: comments, quotes and brace splitting only (no includes or $defs)."""

from __future__ import annotations

from alived.config.source import Line
from alived.errors import Location


def _decomment(text: str) -> str:
    out = []
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif ch in "#!" and not quoted:
            break
        out.append(ch)
    return "".join(out).strip()


def _split_braces(text: str) -> list[str]:
    parts: list[str] = []
    current = []
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch in "{}" and not quoted:
            parts.extend(("".join(current).strip(), ch))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current).strip())
    return [p for p in parts if p]


def _tokens(text: str) -> tuple[str, ...]:
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i].isspace():
            i += 1
        elif text[i] == '"':
            end = text.find('"', i + 1)
            end = len(text) if end < 0 else end
            out.append(text[i + 1 : end])
            i = end + 1
        else:
            j = i
            while j < len(text) and not text[j].isspace() and text[j] != '"':
                j += 1
            out.append(text[i:j])
            i = j
    return tuple(out)


def lines_from_text(text: str, name: str = "<string>") -> list[Line]:
    lines = []
    for number, physical in enumerate(text.splitlines(), start=1):
        for part in _split_braces(_decomment(physical)):
            lines.append(Line(Location(name, number), _tokens(part), part))
    return lines
