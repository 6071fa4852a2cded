"""Garbage in, diagnostics out: the preprocessor never raises, never hangs, and stays bounded."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alived.config.diagnostics import Diagnostic
from alived.config.preprocess import Preprocessed, preprocess_file, preprocess_text
from alived.config.scriptargs import ScriptSyntaxError, split_script
from alived.config.source import Line
from tests.helpers.shared import samples

SAMPLES = samples()

FRAGMENTS = [
    "{",
    "}",
    "}}",
    '"',
    "'",
    "\\",
    "\\#",
    "#",
    "!",
    " ",
    "\t",
    "\r",
    "\x00",
    "$",
    "$A",
    "${A}",
    "$A=",
    "$A=$A",
    "$B=${A}x",
    "$M= \\",
    "${_RANDOM 1 9}",
    "${_RANDOM x}",
    "${_ENV HOME}",
    "${_PWD}",
    "${_HASH}",
    "${",
    "@nodeA ",
    "@^nodeA ",
    "@",
    "~SEQ(N,1,3) ",
    "~SEQ(N,0x10)",
    "~SEQx(N,1,-1,0) ",
    "~SEQ(",
    "~LST({A,B},{1,2},{3,4}) ",
    "~LST(A,1,2) ",
    "~LST({",
    "include nothere.conf",
    "include ",
    "includer ",
    "includew *",
    "include_check -match +wildcard_match",
    "${_RANDOM 99999999999999999999 1}",
    "~SEQ(N,99999999999999999999999,1) ",
    "includea /nonexistent/{a,b}/*.conf",
    "include {x,{y,z}}",
    "include_check",
    "vrrp_instance VI_1",
    "state MASTER",
    "virtual_ipaddress",
    "192.0.2.1/24",
    "é",
    "a" * 300,
]

line_text = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=8), max_size=12).map("".join)
config_text = st.lists(line_text, max_size=25).map("\n".join)


def _check(result: Preprocessed) -> None:
    assert isinstance(result, Preprocessed)
    assert all(isinstance(line, Line) and line.tokens for line in result.lines)
    assert all(isinstance(d, Diagnostic) for d in result.diagnostics)
    for line in result.lines:
        if line.tokens in (("{",), ("}",)):
            assert line.raw == line.tokens[0]
        assert line.location.line >= 1


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config_text)
def test_random_config_text_never_raises(text: str) -> None:
    _check(preprocess_text(text, config_id="nodeA", random_seed=0, base_dir="/nonexistent", max_lines=20_000))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2048))
def test_random_bytes_file_never_raises(data: bytes) -> None:
    # hypothesis and function-scoped fixtures do not mix, so each example makes its own directory
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "k.conf"
        path.write_bytes(data)
        _check(preprocess_file(path, config_id="nodeA", max_lines=20_000))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(['"', "'", "\\", "x", " ", "\\x4", "\\c", "u:g", ":"]), max_size=15).map("".join)
)
def test_script_splitting_raises_only_its_own_error(text: str) -> None:
    try:
        argv, user, group = split_script(text)
    except ScriptSyntaxError:
        return
    assert all(isinstance(word, str) for word in argv)
    assert user is None or isinstance(user, str)
    assert group is None or isinstance(group, str)


def test_every_keepalived_sample_preprocesses_cleanly() -> None:
    samples = sorted(p for p in SAMPLES.iterdir() if p.is_file())
    assert samples
    for sample in samples:
        for config_id in ("high", "low", "main"):
            result = preprocess_file(sample, config_id=config_id)
            assert isinstance(result, Preprocessed)
            if sample.name.startswith("keepalived.conf"):
                assert result.lines, sample
                assert result.diagnostics == (), (sample, result.diagnostics)
