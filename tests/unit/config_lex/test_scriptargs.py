"""keepalived's shell-like splitting of script-valued keywords."""

from __future__ import annotations

import pytest

from alived.config.scriptargs import ScriptSyntaxError, split_quoted_escaped, split_script
from alived.errors import ConfigError
from tests.unit.config_lex.support import pp


def test_brief_example() -> None:
    assert split_script("\"/bin/n.sh 'a b' \\x41\" nobody nogroup") == (
        ("/bin/n.sh", "a b", "A"),
        "nobody",
        "nogroup",
    )


def test_confirmed_2_2_7_script_string_through_the_preprocessor() -> None:
    # notify "/x.sh 'a b' \x41\tZ ${_HASH}h" became argv '/x.sh' 'a b' 'A' 'Z' '#h'
    line = pp("notify \"/x.sh 'a b' \\x41\\tZ ${_HASH}h\"\n").lines[0]
    raw_args = line.raw.split(None, 1)[1]
    assert split_script(raw_args) == (("/x.sh", "a b", "A", "Z", "#h"), None, None)


def test_unquoted_script_and_user_only() -> None:
    assert split_script("/usr/bin/check.sh") == (("/usr/bin/check.sh",), None, None)
    assert split_script("/usr/bin/check.sh root") == (("/usr/bin/check.sh",), "root", None)


def test_user_colon_group_forms() -> None:
    assert split_script("/s u:g") == (("/s",), "u", "g")
    assert split_script("/s u :g") == (("/s",), "u", "g")
    assert split_script("/s u: ") == (("/s",), "u", None)


def test_empty_value() -> None:
    assert split_script("   ") == ((), None, None)


def test_adjacent_quoted_parts_join_and_both_quotes_work() -> None:
    assert split_quoted_escaped("a\"b c\"'d e'f \"x'y\" 'x\"y'") == ("ab cd ef", "x'y", 'x"y')


def test_all_escapes() -> None:
    text = r"\a\b\E\f\n\r\t\v \101\60\0 \x41\x4a4 \cA\c[ \\ \" \' \q"
    assert split_quoted_escaped(text) == (
        "\a\b\x1b\f\n\r\t\v",
        "A0\x00",
        "AJ4",
        "\x01\x1b",
        "\\",
        '"',
        "'",
        "q",
    )


def test_octal_escape_wraps_like_a_c_char() -> None:
    assert split_quoted_escaped(r"\777") == ("\xff",)


def test_escaped_quote_inside_quotes_does_not_close() -> None:
    assert split_quoted_escaped(r'"a \" b" c') == ('a " b', "c")


def test_x_without_hex_digit_is_a_literal_x() -> None:
    assert split_quoted_escaped(r"\xg") == ("xg",)


def test_escapes_are_decoded_in_both_passes() -> None:
    # the quoted script string is unescaped once, then split and unescaped again
    assert split_script(r'"/bin/echo \\x41"') == (("/bin/echo", "A"), None, None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('"abc', "String '\"abc': missing terminating \""),
        ("'abc", "String ''abc': missing terminating '"),
        ("abc\\", "Missing escape char at end: 'abc\\'"),
        ('ab"', "String 'ab\"': missing terminating \""),
    ],
)
def test_errors_use_keepalived_wording(text: str, message: str) -> None:
    with pytest.raises(ScriptSyntaxError) as info:
        split_script(text)
    assert info.value.message == message
    assert isinstance(info.value, ConfigError)
    assert isinstance(info.value, ValueError)
