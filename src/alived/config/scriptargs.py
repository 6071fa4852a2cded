"""Shell-like splitting of script-valued keywords (notify*, script, misc_path, quorum_up, ...).

keepalived re-reads such lines with `alloc_strvec_quoted_escaped` (lib/parser.c): both ' and "
quote, adjacent quoted and unquoted parts join into one word, and backslash escapes are decoded.
The keyword's value is split that way into `SCRIPT [USER [GROUP]]`, then SCRIPT itself is split
the same way again into argv (lib/notify.c `set_script_params_array`), so escapes inside the
quoted script string are decoded before the second split.
"""

from __future__ import annotations

import re

from alived.errors import ConfigError

__all__ = ["ScriptSyntaxError", "split_quoted_escaped", "split_script"]

_WHITESPACE = " \t\f\n\r\v"


class ScriptSyntaxError(ConfigError, ValueError):
    """A script string keepalived cannot split (unterminated quote, trailing lone backslash).

    Also a ValueError, so callers can treat it like any other bad value.
    """


_STOP_UNQUOTED = re.compile(r"[ \t\f\n\r\v'\"\\]")
_STOP_DOUBLE = re.compile(r'["\\]')
_STOP_SINGLE = re.compile(r"['\\]")
_SIMPLE_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "E": "\x1b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
}
_HEX = "0123456789abcdefABCDEF"
_OCTAL = "01234567"


def _escape(text: str, i: int) -> tuple[str, int]:
    """Decode the escape whose letter is at text[i] (after the backslash): (char, next index)."""
    c = text[i]
    if c == "x" and text[i + 1 : i + 2] and text[i + 1] in _HEX:
        j = i + 1
        while j < len(text) and j < i + 3 and text[j] in _HEX:
            j += 1
        return chr(int(text[i + 1 : j], 16)), j
    if c == "c" and i + 1 < len(text):
        return chr(ord(text[i + 1]) & 0x1F), i + 2
    if c in _OCTAL:
        j = i + 1
        while j < len(text) and j < i + 3 and text[j] in _OCTAL:
            j += 1
        # keepalived builds the value in a C char: only the low 8 bits survive
        return chr(int(text[i:j], 8) & 0xFF), j
    return _SIMPLE_ESCAPES.get(c, c), i + 1


def split_quoted_escaped(text: str) -> tuple[str, ...]:
    """Split `text` into words the way keepalived splits script lines.

    Raises ScriptSyntaxError (keepalived's wording) for an unterminated quote or a trailing lone `\\`.
    """
    words: list[str] = []
    length = len(text)
    pos = 0
    while True:
        while pos < length and text[pos] in _WHITESPACE:
            pos += 1
        if pos >= length:
            break
        word: list[str] = []
        quote = ""
        while pos < length:
            stop = _STOP_DOUBLE if quote == '"' else _STOP_SINGLE if quote == "'" else _STOP_UNQUOTED
            m = stop.search(text, pos)
            if m is None:
                if quote:
                    raise ScriptSyntaxError(f"String '{text}': missing terminating {quote}")
                word.append(text[pos:])
                pos = length
                break
            i = m.start()
            word.append(text[pos:i])
            c = text[i]
            if c == "\\":
                if i + 1 >= length:
                    raise ScriptSyntaxError(f"Missing escape char at end: '{text}'")
                char, pos = _escape(text, i + 1)
                word.append(char)
                continue
            if quote:
                quote = ""  # the closing quote
                pos = i + 1
                continue
            if c in "\"'":
                quote = c
                pos = i + 1
                continue
            pos = i  # whitespace ends the word
            break
        else:
            if quote:
                raise ScriptSyntaxError(f"String '{text}': missing terminating {quote}")
        words.append("".join(word))
    return tuple(words)


def split_script(raw_args: str) -> tuple[tuple[str, ...], str | None, str | None]:
    """Split a script keyword's value into (argv, user, group).

    `raw_args` is the text after the keyword, e.g. `"/bin/n.sh 'a b' \\x41" nobody nogroup`
    gives (('/bin/n.sh', 'a b', 'A'), 'nobody', 'nogroup'). The user may also be written
    `user:group`, or the group `:group`. An empty value gives ((), None, None).
    Raises ScriptSyntaxError for unterminated quotes or a trailing lone backslash.
    """
    words = split_quoted_escaped(raw_args)
    if not words:
        return (), None, None
    argv = split_quoted_escaped(words[0])
    user: str | None = None
    group: str | None = None
    if len(words) > 1:
        user = words[1]
        if ":" in user:
            user, _, group = user.partition(":")
        if len(words) > 2 and group is None:
            group = words[2].removeprefix(":")
        user = user or None
        group = group or None
    return argv, user, group
