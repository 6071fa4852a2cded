"""Block structure from the Line stream: braces, unknown blocks, nesting."""

from __future__ import annotations

from alived.config.diagnostics import Diagnostic
from alived.config.tree import build_tree
from tests.unit.config.textlines import lines_from_text


def tree(text: str) -> tuple[list[str], list[Diagnostic]]:
    diags: list[Diagnostic] = []
    nodes = build_tree(lines_from_text(text), diags)

    def show(ns: object, depth: int = 0) -> list[str]:
        out = []
        assert isinstance(ns, tuple)
        for n in ns:
            out.append("  " * depth + " ".join(n.line.tokens))
            if n.children is not None:
                out.extend(show(n.children, depth + 1))
        return out

    return show(nodes), diags


def test_one_line_blocks_nest() -> None:
    shape, diags = tree("vrrp_instance A { virtual_ipaddress { 192.0.2.1 } priority 5 }\n")
    assert shape == ["vrrp_instance A", "  virtual_ipaddress", "    192.0.2.1", "  priority 5"]
    assert diags == []


def test_brace_on_next_line_opens_the_previous_keyword() -> None:
    shape, _ = tree("global_defs\n{\n router_id x\n}\n")
    assert shape == ["global_defs", "  router_id x"]


def test_extra_close_brace_is_reported_with_its_line() -> None:
    _, diags = tree("global_defs {\n}\n}\n")
    assert [(d.message, d.location.line if d.location else 0) for d in diags] == [("Extra '}' found", 3)]


def test_unclosed_blocks_are_counted() -> None:
    _, diags = tree("a {\n b {\n c\n")
    assert [d.message for d in diags] == ["There are 2 missing '}'s or extra '{'s"]


def test_stray_open_brace_is_unexpected_and_its_contents_kept_apart() -> None:
    shape, diags = tree("{\n x\n}\ny\n")
    assert [d.message for d in diags] == ["Unexpected '{' - ignoring"]
    assert shape == ["{", "  x", "y"]


def test_a_second_brace_after_a_block_is_unexpected() -> None:
    shape, diags = tree("a {\n}\n{\n}\n")
    assert [d.message for d in diags] == ["Unexpected '{' - ignoring"]
    assert shape == ["a", "{"]
