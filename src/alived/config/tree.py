"""Block structure: turn the preprocessed Line stream into a tree of keyword nodes.

`{` and `}` are standalone Lines (the preprocessor splits them out), so a block is simply the
`{ ... }` run that follows a keyword line. Brace errors are reported as keepalived words them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

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


def build_tree(lines: Iterable[Line], diagnostics: list[Diagnostic]) -> tuple[Node, ...]:
    """The top-level nodes; unbalanced braces become diagnostics and parsing carries on."""
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
