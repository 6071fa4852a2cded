"""keepalived's command-line scan: GNU getopt_long as keepalived 2.2.7 calls it, over a flag table.

Pure: turns argv into events in the order getopt_long returns them, so that the caller can act
as keepalived does (an action such as `-v` runs where it is met, after the errors before it).
What getopt_long does and keepalived relies on: operands may come anywhere (they are
collected and reported last), `--` ends the options, a long name may be abbreviated to any
unambiguous prefix, short flags cluster (`-nlD`), a required value is the rest of the word or
the next word whatever it looks like, an optional value only the attached form (`-tFILE`,
`--config-test=FILE`), and an empty `--name=` value counts as missing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from alived.daemon.options import Arg, Flag


@dataclass(frozen=True, slots=True)
class Found:
    """A flag and its value (None: given without one). `rest`: the argv index after it."""

    flag: Flag
    value: str | None
    rest: int


@dataclass(frozen=True, slots=True)
class Unknown:
    """keepalived's "Unknown option X" (exit 1 once the scan ends)."""

    text: str


@dataclass(frozen=True, slots=True)
class Missing:
    """keepalived's "Missing parameter for option X" (exit 1 once the scan ends)."""

    text: str


@dataclass(frozen=True, slots=True)
class Operands:
    """The words that are not options, reported after the scan (keepalived goes on with them)."""

    words: tuple[str, ...]


Event = Found | Unknown | Missing | Operands


def _long(word: str, argv: Sequence[str], i: int, flags: Sequence[Flag]) -> tuple[Event, int]:
    name, eq, attached = word[2:].partition("=")
    exact = [f for f in flags if f.long == name]
    matches = exact or [f for f in flags if f.long.startswith(name)]
    if len(matches) != 1:
        return Unknown(word), i + 1  # unknown or ambiguous: keepalived says the same
    flag = matches[0]
    if flag.arg is Arg.NONE:
        return (Unknown(word), i + 1) if eq else (Found(flag, None, i + 1), i + 1)
    if flag.arg is Arg.OPTIONAL:
        return Found(flag, attached if eq else None, i + 1), i + 1
    if eq:
        if not attached:
            return Missing(f"--{flag.long}"), i + 1
        return Found(flag, attached, i + 1), i + 1
    if i + 1 >= len(argv):
        # keepalived 2.2.7 prints no name here (it indexes its table with -1); alived names it.
        return Missing(f"--{flag.long}"), i + 1
    return Found(flag, argv[i + 1], i + 2), i + 2


def _shorts(word: str, argv: Sequence[str], i: int, flags: Sequence[Flag]) -> Iterator[Event | int]:
    """The events of one `-abc` word, then the index of the next word to scan."""
    by_short = {f.short: f for f in flags if f.short}
    for pos in range(1, len(word)):
        char = word[pos]
        flag = by_short.get(char)
        if flag is None:
            yield Unknown(f"-{char}")
            continue
        tail = word[pos + 1 :]
        if flag.arg is Arg.NONE:
            yield Found(flag, None, i + 1)
            continue
        if flag.arg is Arg.OPTIONAL:
            yield Found(flag, tail or None, i + 1)
        elif tail:
            yield Found(flag, tail, i + 1)
        elif i + 1 < len(argv):
            yield Found(flag, argv[i + 1], i + 2)
            yield i + 2
            return
        else:
            yield Missing(f"-{char}")
        break
    yield i + 1


def scan(argv: Sequence[str], flags: Sequence[Flag]) -> Iterator[Event]:
    """Every flag, mistake and (last, when there are any) the operands, in getopt_long's order."""
    operands: list[str] = []
    i = 0
    while i < len(argv):
        word = argv[i]
        if word == "--":
            operands.extend(argv[i + 1 :])
            break
        if word.startswith("--"):
            event, i = _long(word, argv, i, flags)
            yield event
        elif word.startswith("-") and word != "-":
            for item in _shorts(word, argv, i, flags):
                if isinstance(item, int):
                    i = item
                else:
                    yield item
        else:
            operands.append(word)
            i += 1
    if operands:
        yield Operands(tuple(operands))
