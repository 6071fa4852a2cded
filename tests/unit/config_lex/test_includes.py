"""include and its variants, include_check, -e (all_config), loops, and the missing main file."""

from __future__ import annotations

from pathlib import Path

from alived.config.diagnostics import Severity, config_test_exit_code
from alived.config.preprocess import IncludeCheck, Preprocessed, preprocess_file, preprocess_text
from alived.errors import Location
from tests.unit.config_lex.support import messages, toks

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "lexical"


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / next(iter(files))


def _run(root: Path, files: dict[str, str], **kwargs: object) -> Preprocessed:
    main = _write(root, files)
    return preprocess_file(main, config_id="nodeA", random_seed=1, **kwargs)  # type: ignore[arg-type]


def test_corpus_tree_with_globs_braces_nesting_and_pwd() -> None:
    main = CORPUS / "main.conf"
    result = preprocess_file(main, config_id="nodeA")
    inc = CORPUS / "inc"
    assert toks(result) == [
        ("global_defs",),
        ("{",),
        ("router_id", "nodeA"),
        ("}",),
        ("vrrp_instance", "VI_A"),
        ("{",),
        ("notify", f"{inc}/n.sh"),
        ("}",),
        ("vrrp_instance", "VI_B"),
        ("{",),
        ("priority", "50"),
        ("}",),
        ("vrrp_instance", "VI_C"),
        ("{",),
        ("priority", "3"),
        ("}",),
        ("vrrp_instance", "VI_B"),
        ("{",),
        ("priority", "50"),
        ("}",),
        ("vrrp_instance", "VI_C"),
        ("{",),
        ("priority", "3"),
        ("}",),
        ("vrrp_instance", "VI_MAIN"),
        ("{",),
        ("priority", "1"),
        ("}",),
    ]
    nested = str(CORPUS / "nested" / "c.conf")
    assert result.files == (
        str(main),
        str(inc / "a.conf"),
        str(inc / "b.conf"),
        nested,
        str(inc / "b.conf"),
        nested,
    )
    # keepalived names an included file as its pattern matched it from the including file's directory
    assert result.lines[6].location == Location("inc/a.conf", 2)
    assert result.lines[12].location == Location("../nested/c.conf", 1)
    assert result.lines[-1].location == Location(str(main), 7)
    # plain include never errors: the missing brace alternative is only logged
    assert [(d.severity, d.message) for d in result.diagnostics] == [
        (Severity.INFO, 'Some config files missing: "inc/{b,missing}.conf".')
    ]
    assert config_test_exit_code(result.diagnostics) == 0


def test_include_loop_is_a_diagnostic_not_a_hang() -> None:
    one = CORPUS / "loop" / "one.conf"
    result = preprocess_file(one, config_id="nodeA")
    assert toks(result) == [("one", "1"), ("two", "1"), ("two", "2"), ("one", "2")]
    assert messages(result) == [f"Configuration file '{one}' includes itself - skipping"]
    assert result.diagnostics[0].location == Location("two.conf", 2)


def test_missing_main_file_is_fatal(tmp_path: Path) -> None:
    result = preprocess_file(tmp_path / "nope.conf")
    assert result.lines == ()
    assert [(d.severity, d.message) for d in result.diagnostics] == [
        (Severity.FATAL, f"Config files missing '{tmp_path / 'nope.conf'}'.")
    ]
    assert config_test_exit_code(result.diagnostics) == 4


def test_main_file_that_is_a_directory_is_fatal(tmp_path: Path) -> None:
    result = preprocess_file(tmp_path)
    assert [(d.severity, d.message) for d in result.diagnostics] == [
        (Severity.FATAL, f"Configuration file '{tmp_path}/' is a directory - skipping")
    ]


def test_plain_include_of_missing_file_is_silent_but_logged(tmp_path: Path) -> None:
    result = _run(
        tmp_path, {"k.conf": "include nothere.conf\ninclude none/*.conf\ninclude d/*.x\na 1\n", "d/y": ""}
    )
    assert toks(result) == [("a", "1")]
    assert [d.severity for d in result.diagnostics] == [Severity.INFO, Severity.INFO]
    assert messages(result) == ["Config files missing 'nothere.conf'.", "Config files missing 'none/*.conf'."]


def test_includer_with_no_wildcard_match_is_silent(tmp_path: Path) -> None:
    # confirmed on 2.2.7: `includer` with no match was silent
    result = _run(tmp_path, {"k.conf": "includer inc/*.conf\na 1\n", "inc/readme": ""})
    assert toks(result) == [("a", "1")]
    assert result.diagnostics == ()


def test_confirmed_2_2_7_includer_pulls_in_files(tmp_path: Path) -> None:
    result = _run(tmp_path, {"k.conf": "includer inc/*.conf\n", "inc/x.conf": "vrrp_instance X {\n}\n"})
    assert toks(result) == [("vrrp_instance", "X"), ("{",), ("}",)]


def test_includem_missing_named_file_is_an_error(tmp_path: Path) -> None:
    result = _run(tmp_path, {"k.conf": "includem nothere.conf\nincludem inc/*.conf\n", "inc/r": ""})
    assert [(d.severity, d.message) for d in result.diagnostics] == [
        (Severity.FATAL, "Config files missing 'nothere.conf'.")
    ]


def test_includew_wildcard_matching_nothing_is_an_error(tmp_path: Path) -> None:
    result = _run(tmp_path, {"k.conf": "includew inc/*.conf\n", "inc/r": ""})
    assert [(d.severity, d.message) for d in result.diagnostics] == [
        (Severity.FATAL, "No config files matched 'inc/*.conf'.")
    ]
    assert result.diagnostics[0].location == Location(str(tmp_path / "k.conf"), 1)


def test_includeb_needs_every_brace_alternative(tmp_path: Path) -> None:
    files = {"k.conf": "includeb {a,b}.conf\ninclude {a,b}.conf\n", "a.conf": "a 1\n"}
    result = _run(tmp_path, files)
    # includeb skips the whole include; plain include takes what exists
    assert toks(result) == [("a", "1")]
    assert [(d.severity, d.message) for d in result.diagnostics] == [
        (Severity.FATAL, 'Some config files missing: "{a,b}.conf".'),
        (Severity.INFO, 'Some config files missing: "{a,b}.conf".'),
    ]


def test_includea_and_all_config(tmp_path: Path) -> None:
    result = _run(tmp_path, {"k.conf": "includea x/*.conf\ninclude y.conf\n", "x/r": ""})
    assert [d.severity for d in result.diagnostics] == [Severity.FATAL, Severity.INFO]
    strict = preprocess_file(tmp_path / "k.conf", all_config=True)
    assert [d.severity for d in strict.diagnostics] == [Severity.FATAL, Severity.FATAL]


def test_include_check_keyword_sets_the_default_and_is_restored_after_a_file(tmp_path: Path) -> None:
    files = {
        "k.conf": "include sub.conf\ninclude gone1.conf\ninclude_check match\ninclude gone2.conf\n"
        "include_check -match +wildcard_match\ninclude gone3.conf\ninclude w/*.c\n",
        "sub.conf": "global_defs {\n include_check\n}\ninclude gone0.conf\n",
        "w/r": "",
    }
    result = _run(tmp_path, files)
    assert [(d.severity, d.message) for d in result.diagnostics] == [
        (Severity.FATAL, "Config files missing 'gone0.conf'."),
        (Severity.INFO, "Config files missing 'gone1.conf'."),
        (Severity.FATAL, "Config files missing 'gone2.conf'."),
        (Severity.INFO, "Config files missing 'gone3.conf'."),
        (Severity.FATAL, "No config files matched 'w/*.c'."),
    ]
    # the keyword still reaches the parser
    assert ("include_check", "match") in toks(result)


def test_include_check_parameter(tmp_path: Path) -> None:
    result = _run(tmp_path, {"k.conf": "include gone.conf\n"}, include_check=IncludeCheck.MATCH)
    assert [d.severity for d in result.diagnostics] == [Severity.FATAL]


def test_directories_and_executables_are_skipped(tmp_path: Path) -> None:
    main = _write(tmp_path, {"k.conf": "includer inc/*\n", "inc/a.conf": "a 1\n", "inc/x.sh": "x 1\n"})
    (tmp_path / "inc" / "sub").mkdir()
    (tmp_path / "inc" / "x.sh").chmod(0o755)
    result = preprocess_file(main)
    assert toks(result) == [("a", "1")]
    assert messages(result) == [
        f"Configuration file '{tmp_path}/inc/sub/' is a directory - skipping",
        f"Configuration file '{tmp_path}/inc/x.sh' is not a regular non-executable file - skipping",
    ]
    assert {d.severity for d in result.diagnostics} == {Severity.FATAL}


def test_include_after_conditionals_substitution_and_sequences(tmp_path: Path) -> None:
    # man5 says this is unsupported, but keepalived 2.2.7's parent (the one `-t` reports from)
    # includes them; alived has no config copy to double them, so it follows the parent
    files = {
        "k.conf": "@nodeA include a.conf\n@nodeB include a.conf\n$F=a.conf\ninclude $F\n"
        "~SEQ(N,1,2) include f${N}.conf\nx { include a.conf\n}\ninclude_x a.conf\ninclude\n",
        "a.conf": "a 1\n",
        "f1.conf": "f 1\n",
        "f2.conf": "f 2\n",
    }
    result = _run(tmp_path, files)
    assert toks(result) == [
        ("a", "1"),
        ("a", "1"),
        ("f", "1"),
        ("f", "2"),
        ("x",),
        ("{",),
        ("a", "1"),
        ("}",),
        ("include_x", "a.conf"),
        ("include",),
    ]
    assert result.diagnostics == ()


def test_include_line_inside_a_multiline_definition(tmp_path: Path) -> None:
    files = {"k.conf": "$M= \\\ninclude a.conf \\\nm 1\n$M\n", "a.conf": "a 1\n"}
    assert toks(_run(tmp_path, files)) == [("a", "1"), ("m", "1")]


def test_include_variants_need_whitespace_after_them(tmp_path: Path) -> None:
    result = _run(tmp_path, {"k.conf": "includez a.conf\ninclude\ta.conf\n", "a.conf": "a 1\n"})
    assert toks(result) == [("includez", "a.conf"), ("a", "1")]


def test_include_depth_is_bounded(tmp_path: Path) -> None:
    files = {f"f{i}.conf": f"include f{i + 1}.conf\n" for i in range(40)}
    files["f40.conf"] = "deep 1\n"
    result = _run(tmp_path, files)
    assert toks(result) == []
    assert len(result.diagnostics) == 1
    assert result.diagnostics[0].message.startswith("Configuration files nested more than 32 deep")


def test_nested_brace_expansion_in_includes(tmp_path: Path) -> None:
    files = {
        "k.conf": "include {x/{a,b},y}.conf\n",
        "x/a.conf": "xa 1\n",
        "x/b.conf": "xb 1\n",
        "y.conf": "y 1\n",
    }
    assert toks(_run(tmp_path, files)) == [("xa", "1"), ("xb", "1"), ("y", "1")]


def test_multiline_definition_spans_an_included_file(tmp_path: Path) -> None:
    files = {"k.conf": "include defs.conf\n$M\n", "defs.conf": "$M= \\\nm 1 \\\nm 2\n"}
    assert toks(_run(tmp_path, files)) == [("m", "1"), ("m", "2")]


def test_preprocess_text_includes_relative_to_base_dir(tmp_path: Path) -> None:
    _write(tmp_path, {"a.conf": "a 1\n"})
    result = preprocess_text("include a.conf\n", base_dir=str(tmp_path))
    assert toks(result) == [("a", "1")]
    assert result.files == ("<string>", str(tmp_path / "a.conf"))


def test_unusable_paths_are_diagnostics_not_exceptions(tmp_path: Path) -> None:
    text = f"include {'a' * 300}\nincludea {'b' * 300}/*.conf\ninclude /{'/x' * 400}\n"
    result = preprocess_text(text, base_dir=str(tmp_path))
    assert [d.severity for d in result.diagnostics] == [Severity.INFO, Severity.FATAL, Severity.INFO]
    assert preprocess_file("a\0b").diagnostics[0].severity == Severity.FATAL
    assert messages(preprocess_file("/dev/null")) == [
        "Configuration file '/dev/null' is not a regular non-executable file - skipping"
    ]


def test_executable_main_file_is_refused_like_keepalived(tmp_path: Path) -> None:
    main = _write(tmp_path, {"k.conf": "a 1\n"})
    main.chmod(0o755)
    result = preprocess_file(main)
    assert result.lines == ()
    assert config_test_exit_code(result.diagnostics) == 4


def test_text_with_lone_surrogates_does_not_raise() -> None:
    assert toks(preprocess_text("x \ud800 y\n")) == [("x", "\ufffd\ufffd\ufffd", "y")]


def test_escaped_hash_in_an_include_path(tmp_path: Path) -> None:
    result = _run(
        tmp_path, {"k.conf": "include a\\#b.conf\ninclude x\\#*\n", "a#b.conf": "ab 1\n", "x#1": "x 1\n"}
    )
    assert toks(result) == [("ab", "1"), ("x", "1")]


def test_includes_inside_a_huge_sequence_are_bounded(tmp_path: Path) -> None:
    result = _run(tmp_path, {"k.conf": "~SEQ(N,1,1000000) include e*.conf\n", "e.conf": ""})
    assert result.lines == ()
    assert messages(result) == ["More than 20000 includes - ignoring the rest of the configuration"]
