"""Garbage in, diagnostics out: mutated configs always load into a LoadResult, never raise."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alived.config.diagnostics import Severity
from alived.config.load import LoadResult, load_text
from alived.config.render import render_config
from tests.helpers.shared import samples

SAMPLES = samples()
OWN = Path(__file__).resolve().parents[1] / "corpus"
TEXTS = [p.read_text() for p in sorted(SAMPLES.iterdir())] + [
    p.read_text() for p in sorted(OWN.glob("*.conf"))
]
ETH = frozenset({"lo", "eth0", "eth1", "eth2", "eth3"})

GARBAGE = st.sampled_from(
    ["{", "}", "{ }", '"', "'", "\\", "$X", "${", "~SEQ(N,1,", "@x", "0", "-1", "999999999999",
     "1.5e3", "::", "192.0.2.", "2001:db8::/129", "weight", "reverse", "dev", "via", "nan", "inf",
     "\t", "é", "include"]
)  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn) -> str:
    lines = draw(st.sampled_from(TEXTS)).splitlines()
    for _ in range(draw(st.integers(1, 6))):
        if not lines:
            lines.append(draw(GARBAGE))
            continue
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "dup", "swap", "insert", "token", "truncate"]))
        if action == "delete":
            del lines[i]
        elif action == "dup":
            lines.insert(i, lines[i])
        elif action == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif action == "insert":
            lines.insert(i, draw(GARBAGE))
        elif action == "token":
            words = lines[i].split()
            if words:
                k = draw(st.integers(0, len(words) - 1))
                words[k] = draw(GARBAGE)
                words = words if draw(st.booleans()) else list(reversed(words))
            lines[i] = " ".join(words)
        else:
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
    return "\n".join(lines) + "\n"


def _check(result: LoadResult) -> None:
    assert isinstance(result, LoadResult)
    assert result.exit_code in (0, 2, 4, 5, 6)
    for diag in result.diagnostics:
        assert isinstance(diag.severity, Severity)
        assert diag.message
        assert diag.location is None or diag.location.line >= 1
    render_config(result.config)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_configs_load(text: str) -> None:
    _check(load_text(text, name="fuzz.conf", interfaces=ETH))


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("{}\"'!#$@~ \n\tabcvrp_instance0123456789./:-")), max_size=300))
def test_random_text_loads(text: str) -> None:
    _check(load_text(text, name="noise.conf"))
