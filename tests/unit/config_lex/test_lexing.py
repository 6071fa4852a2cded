"""Comments, whitespace, line limits, brace splitting and double-quoted tokens."""

from __future__ import annotations

from alived.config.diagnostics import Severity
from alived.config.lexer import decomment, split_braces, tokenize
from alived.errors import Location
from tests.unit.config_lex.support import messages, numbered, only, pp, toks


def test_whole_line_and_trailing_comments_with_both_markers() -> None:
    result = pp("# a comment\n! another\npriority 100   # main box\nstate MASTER ! backup box\n")
    assert numbered(result) == [(3, ("priority", "100")), (4, ("state", "MASTER"))]
    assert result.diagnostics == ()


def test_comment_markers_inside_double_quotes_are_text() -> None:
    result = pp('router_id "a # b ! c" # gone\n')
    assert toks(result) == [("router_id", "a # b ! c")]
    assert result.lines[0].raw == 'router_id "a # b ! c"'


def test_escaped_comment_markers_outside_quotes_are_literal() -> None:
    result = pp("router_id a\\#b\\!c # gone\n")
    assert toks(result) == [("router_id", "a#b!c")]
    assert result.lines[0].raw == "router_id a#b!c"


def test_escape_inside_quotes_is_kept_verbatim() -> None:
    # decomment leaves quoted strings alone: script keywords decode `\#` themselves later
    result = pp('notify "/bin/x \\# y"\n')
    assert toks(result) == [("notify", "/bin/x \\# y")]


def test_leading_and_trailing_whitespace_and_crlf() -> None:
    result = pp("   \t state   MASTER \t \r\n\r\n  priority 1\r\n")
    assert numbered(result) == [(1, ("state", "MASTER")), (3, ("priority", "1"))]
    assert result.lines[0].raw == "state   MASTER"


def test_blank_and_comment_lines_keep_line_numbers() -> None:
    result = pp("\n\n# c\n   \nx 1\n\ny 2")
    assert numbered(result) == [(5, ("x", "1")), (7, ("y", "2"))]


def test_line_of_1023_bytes_is_too_long_and_1022_is_not() -> None:
    ok = "a" * 1022
    long = "b" * 1023
    result = pp(f"{ok}\n{long}\nnext 1\n")
    assert numbered(result) == [(1, (ok,)), (3, ("next", "1"))]
    diag = only(result)
    assert diag.message == "line too long - ignoring"
    assert diag.location == Location("<string>", 2)
    assert diag.severity == Severity.ERROR


def test_line_length_counts_bytes_not_characters() -> None:
    result = pp("é" * 600 + "\nnext 1\n")  # 1200 bytes in UTF-8
    assert toks(result) == [("next", "1")]
    assert messages(result) == ["line too long - ignoring"]


def test_embedded_nul_drops_the_line() -> None:
    result = pp("a 1\nb\x002\nc 3\n")
    assert numbered(result) == [(1, ("a", "1")), (3, ("c", "3"))]
    assert messages(result) == ["configuration appears to have embedded NULs - ignoring line"]


def test_one_line_block_is_split_into_brace_lines() -> None:
    result = pp("vrrp_instance VI_1 { state MASTER }\n")
    assert toks(result) == [("vrrp_instance", "VI_1"), ("{",), ("state", "MASTER"), ("}",)]
    assert [line.raw for line in result.lines] == ["vrrp_instance VI_1", "{", "state MASTER", "}"]
    assert all(line.location == Location("<string>", 1) for line in result.lines)


def test_brace_on_the_next_line_and_double_closing() -> None:
    result = pp("vrrp_instance VI_1\n{\n  virtual_ipaddress {\n    192.0.2.1/24 }}\n")
    assert numbered(result) == [
        (1, ("vrrp_instance", "VI_1")),
        (2, ("{",)),
        (3, ("virtual_ipaddress",)),
        (3, ("{",)),
        (4, ("192.0.2.1/24",)),
        (4, ("}",)),
        (4, ("}",)),
    ]


def test_several_blocks_on_one_line() -> None:
    result = pp("a { b 1 } c { d { e } }\n")
    assert toks(result) == [
        ("a",),
        ("{",),
        ("b", "1"),
        ("}",),
        ("c",),
        ("{",),
        ("d",),
        ("{",),
        ("e",),
        ("}",),
        ("}",),
    ]


def test_braces_inside_double_quotes_do_not_split() -> None:
    result = pp('url { path "/a{b}c" }\n')
    assert toks(result) == [("url",), ("{",), ("path", "/a{b}c"), ("}",)]


def test_double_quoted_token_and_mid_word_quote() -> None:
    result = pp('router_id "my router" x"y z"w ""\n')
    assert toks(result) == [("router_id", "my router", "x", "y z", "w", "")]


def test_single_quotes_mean_nothing_at_this_level() -> None:
    assert toks(pp("a 'b c'\n")) == [("a", "'b", "c'")]


def test_unterminated_quote_reports_both_keepalived_messages() -> None:
    result = pp('router_id "abc def\nnext 1\n')
    assert toks(result) == [("router_id",), ("next", "1")]
    assert messages(result) == [
        "Unterminated quote 'router_id \"abc def'",
        "Unmatched quote: 'router_id \"abc def'",
    ]
    assert all(d.location == Location("<string>", 1) for d in result.diagnostics)


def test_comment_after_quote_is_still_cut() -> None:
    assert toks(pp('a "b" c # d "e\n')) == [("a", "b", "c")]


def test_decomment_keeps_a_final_backslash_without_blanks_before_it() -> None:
    assert decomment("  abc   \\").text == "abc\\"
    assert decomment("abc \\\\").text == "abc \\\\"


def test_split_braces_leading_and_inner() -> None:
    assert split_braces("{ a b }") == ("{", "a b }")
    assert split_braces("a b }") == ("a b", "}")
    assert split_braces("}") == ("}", None)
    assert split_braces('a "{" b') == ('a "{" b', None)
    assert split_braces('a "{ b { c') == ('a "{ b { c', None)


def test_tokenize_reports_unmatched_quote_and_stops() -> None:
    result = tokenize('a "b" "c d')
    assert result.words == ("a", "b")
    assert result.unmatched_quote
    assert tokenize("a\fb\vc").words == ("a", "b", "c")
    assert tokenize("a\u00a0b").words == ("a\u00a0b",)  # only ASCII whitespace separates
