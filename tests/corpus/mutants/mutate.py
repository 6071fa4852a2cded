"""Seeded mutants of the config corpus, for the differential test of `-t` verdicts against keepalived.

A mutant is (source, seed): the source's text with one small, deterministic damage done to it
(a token deleted, a line duplicated or deleted, a brace dropped, a value replaced with garbage, a
keyword misspelt). The same (source, seed) always gives the same text, so expected.json only records
keepalived's verdict for each pair and the fast tier regenerates the text.

Sources are keepalived's own samples (`../shared/corpus/keepalived-samples`, beside the repository)
and alived's tests/corpus and tests/corpus/seeds; files that include others are left out, since a
mutant is checked from a scratch directory.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from pathlib import Path

from tests.corpus.paths import OWN, SAMPLES

EXPECTED = Path(__file__).resolve().parent / "expected.json"
COUNT = 200

OPS = (
    "delete_token",
    "duplicate_line",
    "drop_brace",
    "garbage_value",
    "misspell_keyword",
    "delete_line",
)
GARBAGE = ("-1", "0", "65536", "4294967296", "abc", "1.5", "192.0.2.", "0x10", "yes", "-", '""', "1e3")


@dataclass(frozen=True, slots=True)
class Mutant:
    source: str  # "samples/NAME", "corpus/NAME" or "seeds/NAME"
    seed: int
    mutation: str
    text: str


def source_path(label: str) -> Path:
    kind, _, name = label.partition("/")
    if kind == "samples":
        return SAMPLES / name
    if kind == "seeds":
        return OWN / "seeds" / name
    return OWN / name


def sources() -> list[str]:
    """Every mutable corpus file, by label, in a stable order."""
    labels = [f"samples/{p.name}" for p in sorted(SAMPLES.iterdir())] if SAMPLES.is_dir() else []
    labels += [f"corpus/{p.name}" for p in sorted(OWN.glob("*.conf"))]
    labels += [f"seeds/{p.name}" for p in sorted((OWN / "seeds").glob("*.conf"))]
    return [label for label in labels if not _has_include(source_path(label).read_text())]


def _has_include(text: str) -> bool:
    return any(line.split()[:1] and line.split()[0].startswith("include") for line in text.splitlines())


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _split(line: str) -> tuple[str, str]:
    """(code, comment): a comment starts at the first # or ! outside double quotes."""
    quoted = False
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch in "#!" and not quoted:
            return line[:i], line[i:]
    return line, ""


def mutate(text: str, seed: int) -> tuple[str, str]:
    """One deterministic damage to text: (mutated text, what was done)."""
    rng = random.Random(seed)
    lines = text.split("\n")
    code_lines = [i for i, line in enumerate(lines) if _split(line)[0].split()]
    op = OPS[rng.randrange(len(OPS))]
    if op == "drop_brace":
        braces = [(i, j) for i in code_lines for j, ch in enumerate(_split(lines[i])[0]) if ch in "{}"]
        if braces:
            i, j = braces[rng.randrange(len(braces))]
            ch = lines[i][j]
            lines[i] = lines[i][:j] + lines[i][j + 1 :]
            return "\n".join(lines), f"drop_brace line {i + 1}: removed '{ch}'"
        op = "delete_line"
    i = code_lines[rng.randrange(len(code_lines))]
    code, comment = _split(lines[i])
    indent = code[: len(code) - len(code.lstrip())]
    tokens = code.split()
    if op == "garbage_value" and len(tokens) < 2:
        op = "misspell_keyword"
    if op == "delete_token":
        k = rng.randrange(len(tokens))
        gone = tokens.pop(k)
        lines[i] = indent + " ".join(tokens) + comment
        return "\n".join(lines), f"delete_token line {i + 1}: removed '{gone}'"
    if op == "duplicate_line":
        lines.insert(i + 1, lines[i])
        return "\n".join(lines), f"duplicate_line line {i + 1}: '{code.strip()}'"
    if op == "delete_line":
        del lines[i]
        return "\n".join(lines), f"delete_line line {i + 1}: '{code.strip()}'"
    if op == "garbage_value":
        k = 1 + rng.randrange(len(tokens) - 1)
        old, tokens[k] = tokens[k], GARBAGE[rng.randrange(len(GARBAGE))]
        lines[i] = indent + " ".join(tokens) + comment
        return "\n".join(lines), f"garbage_value line {i + 1}: '{old}' -> '{tokens[k]}'"
    word = tokens[0]
    how = rng.randrange(4)
    if how == 0 and len(word) > 1:
        k = rng.randrange(len(word))
        new = word[:k] + word[k + 1 :]
    elif how == 1 and len(word) > 1:
        k = rng.randrange(len(word) - 1)
        new = word[:k] + word[k + 1] + word[k] + word[k + 2 :]
    elif how == 2:
        k = rng.randrange(len(word))
        new = word[: k + 1] + word[k] + word[k + 1 :]
    else:
        new = word.upper() if word != word.upper() else word.lower()
    tokens[0] = new
    lines[i] = indent + " ".join(tokens) + comment
    return "\n".join(lines), f"misspell_keyword line {i + 1}: '{word}' -> '{new}'"


def mutant(source: str, seed: int) -> Mutant:
    text, what = mutate(source_path(source).read_text(), seed)
    return Mutant(source=source, seed=seed, mutation=what, text=text)


def plan(count: int = COUNT) -> list[tuple[str, int]]:
    """(source, seed) for mutant k: sources taken in turn, seed k."""
    labels = sources()
    return [(labels[k % len(labels)], k) for k in range(count)]
