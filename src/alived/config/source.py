"""Where config text comes from: preprocessed lines with their file:line, shared by lexer and parser."""

from __future__ import annotations

from dataclasses import dataclass

from alived.errors import Location


@dataclass(frozen=True, slots=True)
class Line:
    """One logical config line after preprocessing (includes, $defs, @conditionals, ~SEQ, brace split).

    tokens: whitespace-split words, double-quoted runs joined with quotes removed; `{` and `}`
    are always standalone lines (tokens == ("{",) or ("}",)).
    raw: the decommented, substituted text of the line, kept so that script-valued keywords
    can be re-split with keepalived's shell-like quoting.
    """

    location: Location
    tokens: tuple[str, ...]
    raw: str
