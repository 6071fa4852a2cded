"""keepalived.conf line-level lexing: decommenting, brace splitting and tokenising one line of text.

These are pure string functions; the preprocessor (preprocess.py) decides which lines reach them.
They follow keepalived's `decomment()`, the brace split at the end of `read_line()` and
`alloc_strvec_r()` (lib/parser.c).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAXBUF = 1024
"""keepalived reads lines into a 1024-byte buffer: a line of MAXBUF - 1 bytes or more is dropped."""

WHITESPACE = " \t\f\n\r\v"
"""keepalived's WHITE_SPACE_STR: the token separators (ASCII only, unlike str.split())."""

# `\#` and `\!` (and ${_HASH} / ${_BANG}) must survive every later decomment pass, so until a line is
# emitted they are carried as NUL-prefixed sentinels; NUL never occurs in accepted input lines.
HASH_SENTINEL = "\x00H"
BANG_SENTINEL = "\x00B"

_DECOMMENT_SPECIALS = re.compile(r'[!#"\\]')
_BRACE_OR_QUOTE = re.compile(r'[{}"]')
_PLAIN_TOKENS = re.compile(r"[^ \t\f\n\r\v]+")
_TOKENS = re.compile(r'[ \t\f\n\r\v]*(?:"([^"]*)"|([^ \t\f\n\r\v"]+)|("))')


@dataclass(frozen=True, slots=True, kw_only=True)
class Decommented:
    """The result of `decomment`: the text, and whether a double quote was left open."""

    text: str
    unterminated_quote: bool = False


def decomment(line: str) -> Decommented:
    """Strip comments (`#`/`!` outside double quotes), leading/trailing blanks; keep a final `\\`.

    Outside quotes `\\#` and `\\!` stand for a literal `#` / `!` (returned as sentinels, see
    `resolve_sentinels`). A `\\` as the very last character is kept as a continuation marker
    (it matters only for multi-line `$NAME=` definitions) with the blanks before it removed.
    """
    text = line.lstrip(" \t")
    if not _DECOMMENT_SPECIALS.search(text):
        return Decommented(text=text.rstrip(" \t"))
    out: list[str] = []
    quote = False
    continuation = False
    start = 0
    pos = 0
    length = len(text)
    while True:
        m = _DECOMMENT_SPECIALS.search(text, pos)
        if m is None:
            out.append(text[start:])
            break
        i = m.start()
        ch = text[i]
        if ch == '"':
            quote = not quote
            pos = i + 1
            continue
        if ch == "\\":
            if i + 1 < length:
                nxt = text[i + 1]
                if not quote and nxt in "#!":
                    out.append(text[start:i])
                    out.append(HASH_SENTINEL if nxt == "#" else BANG_SENTINEL)
                    start = pos = i + 2
                else:
                    pos = i + 2
                continue
            out.append(text[start:i])
            continuation = True
            break
        if not quote:
            out.append(text[start:i])
            break
        pos = i + 1
    result = "".join(out).rstrip(" \t")
    if continuation:
        result += "\\"
    return Decommented(text=result, unterminated_quote=quote)


def resolve_sentinels(text: str) -> str:
    """Turn the escaped-comment sentinels back into `#` and `!` (done once, when a line is emitted)."""
    if "\x00" not in text:
        return text
    return text.replace(HASH_SENTINEL, "#").replace(BANG_SENTINEL, "!")


def split_braces(text: str) -> tuple[str, str | None]:
    """Split off at the first `{` or `}` outside double quotes: (this line, the rest or None).

    A leading brace becomes a line of its own; otherwise the text before the brace is the line and
    the brace starts the rest. An unterminated quote stops the search (no split).
    """
    if not text:
        return text, None
    first = text[0]
    if first in "{}":
        rest = text[1:].strip(" \t")
        return first, (rest or None)
    pos = 0
    while True:
        m = _BRACE_OR_QUOTE.search(text, pos)
        if m is None:
            return text, None
        i = m.start()
        if text[i] == '"':
            close = text.find('"', i + 1)
            if close < 0:
                return text, None
            pos = close + 1
            continue
        rest = text[i:].rstrip(" \t")
        return text[:i].rstrip(" \t"), rest


@dataclass(frozen=True, slots=True, kw_only=True)
class Tokens:
    """The result of `tokenize`: the words, and whether a `"` was left unmatched (words stop there)."""

    words: tuple[str, ...]
    unmatched_quote: bool = False


def plain_words(text: str) -> tuple[str, ...]:
    """`tokenize(text).words` for a text without a double quote."""
    return tuple(_PLAIN_TOKENS.findall(text))


def tokenize(text: str) -> Tokens:
    """Split on ASCII whitespace; a double-quoted run is one word without its quotes.

    A `"` in the middle of a word ends that word and opens a quoted one. Single quotes mean nothing
    here (script-valued keywords are re-split by `alived.config.scriptargs`).
    """
    if '"' not in text:
        return Tokens(words=tuple(_PLAIN_TOKENS.findall(text)))
    words: list[str] = []
    pos = 0
    length = len(text)
    while pos < length:
        m = _TOKENS.match(text, pos)
        if m is None:
            break  # only trailing whitespace is left
        quoted, plain, lone = m.groups()
        if lone is not None:
            return Tokens(words=tuple(words), unmatched_quote=True)
        words.append(quoted if quoted is not None else plain)
        pos = m.end()
    return Tokens(words=tuple(words))
