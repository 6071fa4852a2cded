"""$NAME=value definitions, $NAME / ${NAME} substitution, built-ins and @ID conditionals."""

from __future__ import annotations

from alived.config.diagnostics import Severity
from alived.errors import Location
from tests.unit.config_lex.support import messages, numbered, only, pp, toks


def test_definition_is_consumed_and_substituted_plain_and_braced() -> None:
    result = pp("$IF=eth0\ninterface $IF\n$N=7\nvip 192.0.2.${N}/24 dev $IF\n")
    assert numbered(result) == [(2, ("interface", "eth0")), (4, ("vip", "192.0.2.7/24", "dev", "eth0"))]
    assert result.lines[0].raw == "interface eth0"
    assert result.diagnostics == ()


def test_undefined_braced_reference_is_split_at_its_brace() -> None:
    # checked with keepalived 2.2.7 -t: `router_id a${UNDEF}b` gives "Unexpected '{'" and
    # "Unknown keyword 'UNDEF'": the braces of an unexpanded ${...} split the line like any other
    result = pp("router_id a${UNDEF}b\n")
    assert toks(result) == [("router_id", "a$"), ("{",), ("UNDEF",), ("}",), ("b",)]


def test_plain_reference_needs_a_separator_after_it() -> None:
    result = pp("$A=x\nv $A,$A) $A\t$A.y $Ab\n")
    assert toks(result) == [("v", "x,x)", "x", "$A.y", "$Ab")]


def test_substitution_is_late_bound_and_recursive() -> None:
    # man5: the value is expanded at use time, so it may use names defined later
    text = (
        "$ADDRESS_BASE=10.2.${ADDRESS_BASE_SUB}\n"
        "$ADDRESS_BASE_SUB=0\n"
        "${ADDRESS_BASE}.100/32\n"
        "$ADDRESS_BASE_SUB=10\n"
        "${ADDRESS_BASE}.100/32\n"
    )
    assert numbered(pp(text)) == [(3, ("10.2.0.100/32",)), (5, ("10.2.10.100/32",))]


def test_confirmed_2_2_7_late_definition() -> None:
    result = pp("$BASE=10.2.${SUB}\n$SUB=7\n~SEQ(N,1,2) ${BASE}.${N}\n")
    assert toks(result) == [("10.2.7.1",), ("10.2.7.2",)]


def test_undefined_reference_is_left_untouched() -> None:
    result = pp("notify /bin/x $UNDEF $1 $ $$ $A\n$A=1\n")
    assert toks(result) == [("notify", "/bin/x", "$UNDEF", "$1", "$", "$$", "$A")]
    assert result.diagnostics == ()


def test_definition_syntax_rules() -> None:
    result = pp("$A= spaced value \n$B=\n  $C=1\n$D =2\n$1X=3\nv $A $B, $C $A|\n")
    # `$D =2` and `$1X=3` are not definitions, so they pass through as lines
    assert toks(result) == [("$D", "=2"), ("$1X=3",), ("v", "spaced", "value", ",", "1", "$A|")]


def test_redefinition_overwrites() -> None:
    assert toks(pp("$A=1\nv $A\n$A=2\nv $A\n")) == [("v", "1"), ("v", "2")]


def test_substituted_comment_marker_starts_a_comment_but_hash_builtin_does_not() -> None:
    result = pp('$C=x # y\n$D=a\\#b\nv $C ${_HASH} ${_BANG} "${_HASH}" $D\n')
    # the definition line itself is decommented first, so $C is just "x"
    assert toks(result) == [("v", "x", "#", "!", "#", "a#b")]


def test_value_with_comment_char_from_builtin_survives_redecomment() -> None:
    result = pp("$H=${_HASH}tag\nrouter_id ${H} $UNDEF\n")
    assert toks(result) == [("router_id", "#tag", "$UNDEF")]


def test_self_reference_is_a_diagnostic_not_a_hang() -> None:
    result = pp("$A=$A\nv $A\nw 1\n")
    assert toks(result) == [("w", "1")]
    diag = only(result)
    assert diag.message.startswith("Recursive parameter substitution on line")
    assert diag.location == Location("<string>", 2)


def test_growing_self_reference_hits_the_line_length_limit() -> None:
    result = pp("$A=x${A}\nv $A\nw 1\n")
    assert toks(result) == [("w", "1")]
    assert "would exceed maximum line length" in only(result).message


def test_mutual_recursion_is_bounded() -> None:
    result = pp("$A=$B\n$B=$A\nv $A\n")
    assert toks(result) == []
    assert len(result.diagnostics) == 1


def test_builtins_instance_pwd_env() -> None:
    result = pp(
        "router_id r_${_INSTANCE}\nd ${_PWD}\ne ${_ENV HOME_DIR} ${_ENV NOPE}x\n",
        base_dir="/srv/conf",
        env={"HOME_DIR": "/opt/k"},
    )
    assert toks(result) == [("router_id", "r_nodeA"), ("d", "/srv/conf"), ("e", "/opt/k", "x")]


def test_random_builtin_ranges_and_seed() -> None:
    text = "a ${_RANDOM}\nb ${_RANDOM 5 5}\nc ${_RANDOM 3 4}\nd ${_RANDOM 7}\n"
    first = toks(pp(text, random_seed=42))
    assert first == toks(pp(text, random_seed=42))
    assert 0 <= int(first[0][1]) <= 32767
    assert first[1] == ("b", "5")
    assert 3 <= int(first[2][1]) <= 4
    assert 7 <= int(first[3][1]) <= 32767


def test_random_followed_by_brace_leaves_no_stray_text() -> None:
    # keepalived 2.2.7 left a stray `}` here; fixed in 2.4.0
    assert toks(pp("v ${_RANDOM 5 5} }\n")) == [("v", "5"), ("}",)]


def test_builtin_parameter_errors() -> None:
    result = pp("a ${_RANDOM x}\nb ${_RANDOM 1 2 3}\nc ${_INSTANCE 1}\nd ${_RANDOM 1 }\n")
    # none of these is expanded, so each line is split at the brace of its `${`
    assert [t for t in toks(result) if t[0] in "abcd"] == [("a", "$"), ("b", "$"), ("c", "$"), ("d", "$")]
    assert messages(result) == [
        "Definition _RANDOM requires numeric parameters only.",
        "Definition _RANDOM requires between 0 and 2 parameters, 3 specified.",
    ]
    assert [d.location.line for d in result.diagnostics if d.location] == [1, 2]


def test_builtin_can_be_overridden() -> None:
    assert toks(pp("$_INSTANCE=other\nv ${_INSTANCE}\n")) == [("v", "other")]


def test_conditional_lines() -> None:
    text = (
        "global_defs {\n"
        "    @main   router_id main_router\n"
        "    @backup router_id backup_router\n"
        "}\n"
        "unicast_peer {\n"
        "    @^main    192.0.2.4\n"
        "    @^backup  192.0.2.5\n"
        "    @^backup2 192.0.2.6\n"
        "}\n"
    )
    main = pp(text, config_id="main")
    assert numbered(main) == [
        (1, ("global_defs",)),
        (1, ("{",)),
        (2, ("router_id", "main_router")),
        (4, ("}",)),
        (5, ("unicast_peer",)),
        (5, ("{",)),
        (7, ("192.0.2.5",)),
        (8, ("192.0.2.6",)),
        (9, ("}",)),
    ]
    other = pp(text, config_id="other")
    assert ("router_id", "main_router") not in toks(other)
    assert ("router_id", "backup_router") not in toks(other)
    assert [t for t in toks(other) if t[0].startswith("192.")] == [
        ("192.0.2.4",),
        ("192.0.2.5",),
        ("192.0.2.6",),
    ]


def test_conditional_needs_text_after_the_id() -> None:
    assert toks(pp("@nodeA\n@nodeA   \nv 1\n")) == [("v", "1")]


def test_conditional_definitions() -> None:
    text = "@main $PRIORITY=240\n@backup $PRIORITY=200\nvrrp_instance VI_0 {\n priority $PRIORITY\n}\n"
    assert toks(pp(text, config_id="main"))[2] == ("priority", "240")
    assert toks(pp(text, config_id="backup"))[2] == ("priority", "200")


def test_confirmed_2_2_7_conditional_definition() -> None:
    result = pp("$PRIO=100\n@nodeA $PRIO=201\n@nodeB $PRIO=202\npriority $PRIO\n", config_id="nodeA")
    assert toks(result) == [("priority", "201")]


def test_substitution_producing_a_conditional() -> None:
    text = "$IF_MAIN=@main\n$IF_MAIN priority 240\n"
    assert toks(pp(text, config_id="main")) == [("priority", "240")]
    assert toks(pp(text, config_id="backup")) == []


def test_default_config_id_is_the_short_hostname() -> None:
    import os

    short = os.uname().nodename.split(".", 1)[0]
    result = pp("v ${_INSTANCE}\n", config_id=None)
    assert toks(result) == [("v", short)]


def test_diagnostics_have_error_severity() -> None:
    result = pp("$A=$A\nv $A\n")
    assert [d.severity for d in result.diagnostics] == [Severity.ERROR]
