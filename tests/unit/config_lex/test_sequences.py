"""Multi-line definitions, ~SEQ / ~SEQx / ~LST blocks and the expansion bound (man5 examples)."""

from __future__ import annotations

from alived.config.preprocess import preprocess_text
from alived.errors import Location
from tests.unit.config_lex.support import messages, numbered, pp, toks

MAN5_INSTANCE = """\
$INSTANCE= \\
vrrp_instance VI_${NUM} { \\
    interface eth0.${NUM} \\
    use_vmac vrrp${NUM}.1 \\
    virtual_router_id 1 \\
    @high priority 130 \\
    @low priority 120 \\
    advert_int 1 \\
    virtual_ipaddress { \\
        10.0.${NUM}.254/24 \\
    } \\
    track_script { \\
        offset_instance_${NUM} \\
    } \\
}

$NUM=0
$INSTANCE

$NUM=1
$INSTANCE
"""


def _instance(num: int, priority: str) -> list[tuple[str, ...]]:
    return [
        ("vrrp_instance", f"VI_{num}"),
        ("{",),
        ("interface", f"eth0.{num}"),
        ("use_vmac", f"vrrp{num}.1"),
        ("virtual_router_id", "1"),
        ("priority", priority),
        ("advert_int", "1"),
        ("virtual_ipaddress",),
        ("{",),
        (f"10.0.{num}.254/24",),
        ("}",),
        ("track_script",),
        ("{",),
        (f"offset_instance_{num}",),
        ("}",),
        ("}",),
    ]


def test_man5_multiline_instance() -> None:
    result = pp(MAN5_INSTANCE, config_id="high")
    assert toks(result) == _instance(0, "130") + _instance(1, "130")
    assert {line.location.line for line in result.lines[:16]} == {18}
    assert {line.location.line for line in result.lines[16:]} == {21}
    assert result.diagnostics == ()
    assert toks(pp(MAN5_INSTANCE, config_id="low")) == _instance(0, "120") + _instance(1, "120")


def test_multiline_definition_only_expands_at_the_end_of_a_line() -> None:
    # keepalived's find_definition: nothing may follow the name (text before it is kept)
    result = pp("$M= \\\na 1 \\\nb 2\n$M x\n${M}y\nx $M\n")
    assert toks(result) == [("$M", "x"), ("$",), ("{",), ("M",), ("}",), ("y",), ("x", "a", "1"), ("b", "2")]


def test_multiline_definition_ends_at_an_empty_line_but_not_a_comment_line() -> None:
    result = pp("$M= \\\na 1 \\\n# note\nb 2 \\\n\nc 3\n$M\n")
    assert toks(result) == [("c", "3"), ("a", "1"), ("b", "2")]


def test_multiline_definition_with_text_on_the_first_line() -> None:
    assert toks(pp("$M=first \\\nsecond\n$M\n")) == [("first",), ("second",)]


def test_empty_multiline_definition_is_not_multiline() -> None:
    assert toks(pp("$M= \\\n\nv ${M}.\n")) == [("v", ".")]


def test_man5_nested_multiline_definitions() -> None:
    text = """\
$RS= \\
real_server 192.168.${VS_NUM}.${RS_NUM} 80 { \\
    weight 1 \\
    MISC_CHECK { \\
        misc_path "${_PWD}/scripts/vs.sh RS_misc.${INST}.${VS_NUM}.${RS_NUM}.0" \\
    } \\
}

$VS= \\
virtual_server 10.0.${VS_NUM}.4 80 { \\
    quorum 2 \\
    $RS_NUM=1 \\
    $RS \\
    $RS_NUM=2 \\
    $RS \\
}

$INST=i1
$VS_NUM=0
$VS

$VS_NUM=1
$VS
"""
    result = pp(text, base_dir="/etc/k")

    def real_server(vs: int, rs: int) -> list[tuple[str, ...]]:
        return [
            ("real_server", f"192.168.{vs}.{rs}", "80"),
            ("{",),
            ("weight", "1"),
            ("MISC_CHECK",),
            ("{",),
            ("misc_path", f"/etc/k/scripts/vs.sh RS_misc.i1.{vs}.{rs}.0"),
            ("}",),
            ("}",),
        ]

    def virtual_server(vs: int) -> list[tuple[str, ...]]:
        return [
            ("virtual_server", f"10.0.{vs}.4", "80"),
            ("{",),
            ("quorum", "2"),
            *real_server(vs, 1),
            *real_server(vs, 2),
            ("}",),
        ]

    assert toks(result) == virtual_server(0) + virtual_server(1)
    assert result.diagnostics == ()


def test_man5_seq_examples() -> None:
    assert toks(pp("~SEQ(SUBNET, 0, 3) ip_address 10.0.${SUBNET}.1\n")) == [
        ("ip_address", f"10.0.{n}.1") for n in range(4)
    ]
    expected = [("ip_address", f"fe80::20:{h}:1") for h in ("90", "a0", "b0", "c0")]
    assert toks(pp("~SEQx(SUBNET, 144, 16, 192) ip_address fe80::20:${SUBNET}:1\n")) == expected
    assert toks(pp("~SEQx(SUBNET, 0x90, 0x10, 0xc0) ip_address fe80::20:${SUBNET}:1\n")) == expected


def test_man5_nested_seqx_inside_a_block() -> None:
    text = (
        "virtual_ipaddress {\n"
        "    ~SEQx(AD2, 0x90, 0x10, 0xc0) ~SEQx(AD1, 0x12, -1, 0x0c) fe81::10:${AD2}:${AD1}\n"
        "}\n"
    )
    result = pp(text)
    inner = [(f"fe81::10:{a}:{b:x}",) for a in ("90", "a0", "b0", "c0") for b in range(0x12, 0x0B, -1)]
    assert toks(result) == [("virtual_ipaddress",), ("{",), *inner, ("}",)]
    assert {line.location.line for line in result.lines[2:-1]} == {2}


def test_seq_argument_forms() -> None:
    assert toks(pp("~SEQ(N, 3) v $N\n")) == [("v", "1"), ("v", "2"), ("v", "3")]
    assert toks(pp("~SEQ(N, -2) v $N\n")) == [("v", "-1"), ("v", "-2")]
    assert toks(pp("~SEQ(N, 0) v $N\n")) == [("v", "1"), ("v", "0")]
    assert toks(pp("~SEQ(N, 5, 3) v $N\n")) == [("v", "5"), ("v", "4"), ("v", "3")]
    assert toks(pp("~SEQ(N, 1, 2, 6) v $N\n")) == [("v", "1"), ("v", "3"), ("v", "5")]
    assert toks(pp("~SEQ(N, 010, 011) v $N\n")) == [("v", "8"), ("v", "9")]  # strtol base 0: octal


def test_seq_arguments_may_be_definitions() -> None:
    assert toks(pp("$LAST=3\n~SEQ(N, 2, $LAST) v $N\n")) == [("v", "2"), ("v", "3")]


def test_confirmed_2_2_7_seq_of_a_multiline_definition() -> None:
    text = "$INST= \\\nvrrp_instance VI_${N} { \\\n  priority 1 \\\n}\n~SEQ(N,1,2) $INST\n"
    assert toks(pp(text)) == [
        ("vrrp_instance", "VI_1"),
        ("{",),
        ("priority", "1"),
        ("}",),
        ("vrrp_instance", "VI_2"),
        ("{",),
        ("priority", "1"),
        ("}",),
    ]


def test_invalid_seq_specifications() -> None:
    # keepalived 2.2.7 -t prints the specific complaint, then "Invalid ~SEQ specification"
    cases = {
        "~SEQ N,1,2) v": "",
        "~SEQ(N) v": "Invalid ~SEQ definition",
        "~SEQ(,1,2) v": "Invalid ~SEQ definition",
        "~SEQ(N,1,2 v": "Invalid ~SEQ definition",
        "~SEQ(N,1;2) v": "Invalid ~SEQ definition",
        "~SEQ(N,1,2,3,4) v": "Invalid ~SEQ definition",
        "~SEQ(N,1,-1,3) v": "Invalid ~SEQ values",
        "~SEQ(N,1,0,3) v": "Invalid ~SEQ values",
        "~SEQx(N,-1,3) v": "~SEQx is only valid for positive numbers",
    }
    for line, message in cases.items():
        result = pp(line + "\nnext 1\n")
        assert toks(result) == [("next", "1")], line
        expected = [f"{message} '{line}'"] if message else []
        assert messages(result) == [*expected, f"Invalid ~SEQ specification '{line}'"]
        assert {d.location for d in result.diagnostics} == {Location("<string>", 1)}


def test_seq_parameters_too_long() -> None:
    result = pp("~SEQ(N, " + "0" * 70 + "1, 2) v\n")
    line = "~SEQ(N, " + "0" * 70 + "1, 2) v"
    assert messages(result) == [
        f"~SEQ parameter strings too long '{line}'",
        f"Invalid ~SEQ specification '{line}'",
    ]


def test_man5_lst_examples() -> None:
    result = pp("~LST({IP, IP1}, {10,1},{20,4},{5,6},{12,8}) 192.168.${IP}.${IP1}\n")
    assert toks(result) == [("192.168.10.1",), ("192.168.20.4",), ("192.168.5.6",), ("192.168.12.8",)]
    nested = pp("~LST(IP, 1, 2, 3, 4) ~LST(IP1, 5,6,7) 192.169.${IP}.${IP1}\n")
    assert toks(nested) == [(f"192.169.{a}.{b}",) for a in (1, 2, 3, 4) for b in (5, 6, 7)]
    combined = pp(
        "~LST({IP,   IP1},  {10,1},{20,4},{5,6},{12,8})  ~SEQ(IP2,168,2,172) 192.${IP2}.${IP}.${IP1}\n"
    )
    assert toks(combined) == [
        (f"192.{c}.{a}.{b}",) for a, b in ((10, 1), (20, 4), (5, 6), (12, 8)) for c in (168, 170, 172)
    ]


def test_confirmed_2_2_7_lst_tuple_form() -> None:
    assert toks(pp("~LST({A,B},{1,2},{3,4}) 10.50.${A}.${B}/32\n")) == [("10.50.1.2/32",), ("10.50.3.4/32",)]


def test_lst_missing_values_are_blank_and_too_many_is_an_error() -> None:
    assert toks(pp("~LST({A,B},{1},{3,4}) v${A}.${B}\n")) == [("v1.",), ("v3.4",)]
    result = pp("~LST({A,B},{1,2,3}) v\n")
    assert toks(result) == []
    assert messages(result) == [
        "~LST specification has too many values '~LST({A,B},{1,2,3}) v'",
        "Invalid ~LST specification '~LST({A,B},{1,2,3}) v'",
    ]


def test_invalid_lst_specifications() -> None:
    for line in ("~LST A,1) v", "~LST(A) v", "~LST(A;1) v", "~LST(A,1", "~LST({A,B}{1,2}) v"):
        result = pp(line + "\n")
        assert toks(result) == [], line
        assert messages(result) == [f"Invalid ~LST specification '{line}'"]


def test_other_tilde_lines_pass_through_unsubstituted() -> None:
    assert toks(pp("$A=1\n~FOO $A\n")) == [("~FOO", "$A")]


def test_expansion_bound_stops_with_a_diagnostic() -> None:
    result = preprocess_text("~SEQ(A,1,1000) ~SEQ(B,1,1000) v ${A}.${B}\nafter 1\n", max_lines=5000)
    assert len(result.lines) < 5000
    assert numbered(result)[:2] == [(1, ("v", "1.1")), (1, ("v", "1.2"))]
    assert messages(result) == ["Configuration expands to more than 5000 lines - ignoring the rest"]


def test_default_expansion_bound_covers_an_empty_huge_sequence() -> None:
    result = pp("~SEQ(A,1,1000000000000)\n", max_lines=1000)
    assert result.lines == ()
    assert len(result.diagnostics) == 1


def test_seq_with_braces_in_the_repeated_text() -> None:
    assert numbered(pp("~SEQ(N,1,2) track_file t$N { weight 1 }\n")) == [
        (1, ("track_file", "t1")),
        (1, ("{",)),
        (1, ("weight", "1")),
        (1, ("}",)),
        (1, ("track_file", "t2")),
        (1, ("{",)),
        (1, ("weight", "1")),
        (1, ("}",)),
    ]


def test_deeply_nested_sequences_are_bounded_in_time_and_messages() -> None:
    result = pp("~SEQ(A,1,3) " * 60 + "v\n", max_lines=100_000)
    assert result.lines == ()
    assert 1 <= len(result.diagnostics) <= 10_001
    assert result.diagnostics[0].message.startswith("Expansion nested more than 40 deep")
