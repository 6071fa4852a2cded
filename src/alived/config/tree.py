"""Block structure: turn the preprocessed Line stream into a tree of keyword nodes.

`{` and `}` are standalone Lines (the preprocessor splits them out). Given the keyword table, the
tree is built as keepalived's process_stream reads: only a keyword that owns a block opens one, a
`{` after any other line (an unknown keyword included) is "Unexpected '{' - ignoring" and what
follows is read in the current block, and a `}` closes the block being read. Without a table the
nesting is purely lexical. Brace counts are reported as keepalived's line reader words them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from alived.config.diagnostics import Diagnostic, Severity, as_parent
from alived.config.source import Line
from alived.errors import Location


@dataclass(frozen=True, slots=True)
class Node:
    """A keyword line and, if a `{ ... }` followed it, the nodes inside (None: no block)."""

    line: Line
    children: tuple[Node, ...] | None = None
    # the block's last line (its `}`), where keepalived reports what it checks as the block ends
    end: Location | None = field(default=None, compare=False)

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
    lines: Iterable[Line],
    diagnostics: list[Diagnostic],
    table: Mapping[str, Any] | None = None,
    passes: Mapping[str, frozenset[str]] | None = None,
    main: str | None = None,
) -> tuple[Node, ...]:
    """The top-level nodes; unbalanced braces become diagnostics and parsing carries on.

    table: the root keyword table (name -> Kw); with it the blocks are the keywords' own.
    passes: root keyword -> the keepalived processes that read it (PASSES order); each process
    skips the other root blocks by counting braces, so where braces do not balance they can
    disagree on what is where: every root block is taken from a process that reads it.
    main: the main file's name, where the parent's own reports have keepalived's `(Line N)` form.
    """
    if table is None:
        return _lexical(lines, diagnostics)
    items = [line for line in lines if line.tokens]
    if passes is None:
        _count_braces(items, diagnostics)
        return _Reader(items, diagnostics).block(table, 0)
    counted: list[Diagnostic] = []
    _count_braces(items, counted)
    # every process's line reader counts braces
    diagnostics.extend(d for diag in counted for d in as_parent(diag, main, also_child=True))
    kept: dict[int, Node] = {}
    readers: dict[tuple[str, object], tuple[Diagnostic, set[str]]] = {}
    for name in PASSES:
        found: list[Diagnostic] = []
        for index, node in _Reader(items, found).root(table, passes, name):
            kept.setdefault(index, node)
        for diag in found:
            readers.setdefault((diag.message, diag.location), (diag, set()))[1].add(name)
    for diag, names in readers.values():
        if "global" in names:
            diagnostics.extend(as_parent(diag, main, also_child=len(names) > 1))
        else:
            diagnostics.append(diag)
    return tuple(kept[i] for i in sorted(kept))


#: keepalived -t reads the file in this order: the parent, then the checker, VRRP and BFD children.
PASSES = ("global", "check", "vrrp", "bfd")


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
                located=False,  # keepalived counts them once the file is read
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
            if self.items[self.pos].tokens == ("}",) and level > 0:
                self.pos += 1
                break
            node = self._one(table, level)
            if node is not None:
                out.append(node)
        return tuple(out)

    def root(
        self, table: Mapping[str, Any], passes: Mapping[str, frozenset[str]], name: str
    ) -> list[tuple[int, Node]]:
        """One process's reading of the top level: its own root blocks keyword by keyword, the
        others skipped by brace count (keepalived's skip_sublevel); unknown words in every one."""
        out: list[tuple[int, Node]] = []
        while self.pos < len(self.items):
            index = self.pos
            line = self.items[index]
            readers = passes.get(line.tokens[0])
            if readers is None or name in readers or line.tokens == ("{",):
                before = self.pos
                nodes = self._one(table, 0)
                if nodes is not None:
                    out.append((index, nodes))
                if self.pos == before:
                    self.pos += 1
                continue
            self.pos += 1
            if self._next_is("{"):
                depth = 0
                while self.pos < len(self.items):
                    tokens = self.items[self.pos].tokens
                    self.pos += 1
                    if tokens == ("{",):
                        depth += 1
                    elif tokens == ("}",):
                        depth -= 1
                        if depth == 0:
                            break
        return out

    def _one(self, table: Mapping[str, Any], level: int) -> Node | None:
        """Read one keyword (and its block) at the reader's position; None for a lone brace."""
        line = self.items[self.pos]
        self.pos += 1
        tokens = line.tokens
        if tokens == ("{",):
            self.diagnostics.append(Diagnostic("Unexpected '{' - ignoring", line.location, Severity.ERROR))
            return None
        kw = table.get(tokens[0])
        if kw is None or not kw.takes_block:
            return Node(line)
        if kw.block is not None:
            if self._next_is("{"):
                self.pos += 1
            else:
                where = self.items[self.pos].location if self.pos < len(self.items) else line.location
                self.diagnostics.append(
                    Diagnostic("Missing '{' at beginning of configuration block", where, Severity.ERROR)
                )
            children = self.block(kw.block.keywords, level + 1)
        else:
            children = self.values(line)
        return Node(line, children, self.items[self.pos - 1].location)

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
                located=False,  # keepalived counts them once the file is read
            )
        )
    return _freeze(root)
