"""The preprocessor's short path for plain lines gives exactly what the full path gives.

A line without comment, quote, escape, `$`, `@`, `~` or `include` is only split at braces and
into words; the preprocessor takes it without its per-line machinery. Mixed with lines that need
that machinery (a multi-line definition swallowing the plain lines after it, conditionals, includes
spelled in a plain line), the lines, their locations and the diagnostics are the same as when every
line goes the full way.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alived.config import preprocess
from alived.config.preprocess import preprocess_text

PIECES = [
    "{",
    "}",
    " ",
    "\t",
    "  ",
    "\r",
    "real_server",
    "198.51.100.1",
    "80",
    "weight",
    "include_check",
    "includes",
    "include alived-missing.conf",
    "x{y",
    "}z",
    "\\",
    "#c",
    "!",
    '"a b"',
    "$A",
    "$A=1",
    "$M=x \\",
    "@bench",
    "@^bench",
    "~SEQ(i,1,2)",
    "\f",
]

LINES = st.lists(st.lists(st.sampled_from(PIECES), max_size=8).map("".join), max_size=30).map("\n".join)


def _full_way(text: str, monkeypatch: pytest.MonkeyPatch) -> object:
    with monkeypatch.context() as patched:
        patched.setattr(preprocess, "_NOT_PLAIN", re.compile(r"[\s\S]"))  # every line the full way
        return preprocess_text(text, config_id="bench")


@given(LINES)
@settings(max_examples=400, deadline=None)
def test_plain_lines_are_preprocessed_as_the_full_way_does(text: str) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert preprocess_text(text, config_id="bench") == _full_way(text, monkeypatch)


def test_the_short_path_is_taken_and_agrees() -> None:
    text = "virtual_server 203.0.113.1 80 {\n  real_server 198.51.100.1 80 {  weight 2 }\n}\n\t \n"
    with pytest.MonkeyPatch.context() as monkeypatch:
        full = _full_way(text, monkeypatch)
    assert preprocess_text(text) == full
    assert [line.tokens for line in full.lines] == [  # type: ignore[attr-defined]
        ("virtual_server", "203.0.113.1", "80"),
        ("{",),
        ("real_server", "198.51.100.1", "80"),
        ("{",),
        ("weight", "2"),
        ("}",),
        ("}",),
    ]
