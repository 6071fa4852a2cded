"""Block structure: turn the preprocessed Line stream into a tree of keyword nodes.

`{` and `}` are standalone Lines (the preprocessor splits them out). Given the keyword table, the
tree is built as keepalived's process_stream reads: only a keyword that owns a block opens one, a
`{` after any other line (an unknown keyword included) is "Unexpected '{' - ignoring" and what
follows is read in the current block, and a `}` closes the block being read. Without a table the
nesting is purely lexical. Brace counts are reported as keepalived's line reader words them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from alived.config.diagnostics import Diagnostic, Severity
from alived.config.source import Line


@dataclass(frozen=True, slots=True)
class Node:
    """A keyword line and, if a `{ ... }` followed it, the nodes inside (None: no block)."""

    line: Line
    children: tuple[Node, ...] | None = None

    @property
    def keyword(self) -> str:
        return self.line.tokens[0] if self.line.tokens else ""

    @property
    def args(self) -> tuple[str, ...]:
        return self.line.tokens[1:]


class _Frame:
    __slots__ = ("items", "opener")

    def __init__(self, opener: Line | None) -> None:
        self.opener = opener
        self.items: list[tuple[Line, _Frame | None]] = []


def _freeze(frame: _Frame) -> tuple[Node, ...]:
    return tuple(Node(line, None if sub is None else _freeze(sub)) for line, sub in frame.items)


def build_tree(
    lines: Iterable[Line], diagnostics: list[Diagnostic], table: Mapping[str, Any] | None = None
) -> tuple[Node, ...]:
    """The top-level nodes; unbalanced braces become diagnostics and parsing carries on.

    table: the root keyword table (name -> Kw); with it the blocks are the keywords' own.
    """
    if table is None:
        return _lexical(lines, diagnostics)
    items = [line for line in lines if line.tokens]
    _count_braces(items, diagnostics)
    return _Reader(items, diagnostics).block(table, 0)


def _count_braces(items: Sequence[Line], diagnostics: list[Diagnostic]) -> None:
    """keepalived's line reader keeps a brace depth of its own, whatever the keywords."""
    depth = 0
    first_open: Line | None = None
    for line in items:
        if line.tokens == ("{",):
            if depth == 0:
                first_open = line
            depth += 1
        elif line.tokens == ("}",):
            if depth == 0:
                diagnostics.append(Diagnostic("Extra '}' found", line.location, Severity.ERROR))
            else:
                depth -= 1
    if depth:
        diagnostics.append(
            Diagnostic(
                f"There are {depth} missing '}}'s or extra '{{'s",
                first_open.location if first_open is not None else None,
                Severity.ERROR,
            )
        )


class _Reader:
    """process_stream over the line list: each keyword table reads until its block's `}`."""

    __slots__ = ("diagnostics", "items", "pos")

    def __init__(self, items: Sequence[Line], diagnostics: list[Diagnostic]) -> None:
        self.items = items
        self.diagnostics = diagnostics
        self.pos = 0

    def _next_is(self, token: str) -> bool:
        return self.pos < len(self.items) and self.items[self.pos].tokens == (token,)

    def block(self, table: Mapping[str, Any], level: int) -> tuple[Node, ...]:
        out: list[Node] = []
        while self.pos < len(self.items):
            line = self.items[self.pos]
            self.pos += 1
            tokens = line.tokens
            if tokens == ("{",):
                self.diagnostics.append(
                    Diagnostic("Unexpected '{' - ignoring", line.location, Severity.ERROR)
                )
                continue
            if tokens == ("}",) and level > 0:
                break
            kw = table.get(tokens[0])
            if kw is None or not kw.takes_block:
                out.append(Node(line))  # unknown keywords are reported by the interpreter
            elif kw.block is not None:
                if self._next_is("{"):
                    self.pos += 1
                else:
                    where = self.items[self.pos].location if self.pos < len(self.items) else line.location
                    self.diagnostics.append(
                        Diagnostic("Missing '{' at beginning of configuration block", where, Severity.ERROR)
                    )
                out.append(Node(line, self.block(kw.block.keywords, level + 1)))
            else:
                out.append(Node(line, self.values(line)))
        return tuple(out)

    def values(self, opener: Line) -> tuple[Node, ...]:
        """A value block (alloc_value_block): every line up to the next `}` is one entry."""
        if self._next_is("{"):
            self.pos += 1
        else:
            # keepalived only logs this one; the lines that follow are still the block's entries.
            self.diagnostics.append(
                Diagnostic(
                    f"'{{' missing from beginning of block {opener.tokens[0]}", opener.location, Severity.INFO
                )
            )
        entries: list[Node] = []
        while self.pos < len(self.items):
            line = self.items[self.pos]
            self.pos += 1
            if line.tokens == ("}",):
                break
            entries.append(Node(line))
        return tuple(entries)


def _lexical(lines: Iterable[Line], diagnostics: list[Diagnostic]) -> tuple[Node, ...]:
    root = _Frame(None)
    stack = [root]
    for line in lines:
        tokens = line.tokens
        if not tokens:
            continue
        if tokens == ("{",):
            top = stack[-1]
            if top.items and top.items[-1][1] is None:
                sub = _Frame(top.items[-1][0])
                top.items[-1] = (top.items[-1][0], sub)
            else:
                # A '{' with nothing to open: keep its contents apart so they are skipped.
                diagnostics.append(Diagnostic("Unexpected '{' - ignoring", line.location, Severity.ERROR))
                sub = _Frame(line)
                top.items.append((line, sub))
            stack.append(sub)
        elif tokens == ("}",):
            if len(stack) == 1:
                diagnostics.append(Diagnostic("Extra '}' found", line.location, Severity.ERROR))
            else:
                stack.pop()
        else:
            stack[-1].items.append((line, None))
    if len(stack) > 1:
        missing = len(stack) - 1
        opener = stack[1].opener
        diagnostics.append(
            Diagnostic(
                f"There are {missing} missing '}}'s or extra '{{'s",
                opener.location if opener is not None else None,
                Severity.ERROR,
            )
        )
    return _freeze(root)
