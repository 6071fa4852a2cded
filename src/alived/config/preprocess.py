r"""keepalived.conf preprocessor: files and includes in, logical `Line`s with file:line out.

Applies, per physical line and in keepalived's order (lib/parser.c `read_line`): the 1024-byte
limit, decommenting, multi-line `$NAME=` accumulation, `@ID` conditionals, `$NAME=` definitions,
`~SEQ`/`~LST` expansion, late-bound `$NAME` / `${NAME}` substitution, `include*`, then brace
splitting and tokenising. Everything a user can write ends as a `Diagnostic`, never an exception;
recursion, substitution, includes and expansion are bounded.

Where alived knowingly differs from keepalived 2.2.7 (checked with `keepalived -t`):
* `${_HASH}`, `${_BANG}` and `\#`, `\!` stay literal even when a later substitution pass
  re-decomments the line (2.2.7 cuts the line there); man5 documents them as literal characters.
* `$X=@id` then `$X rest` is a conditional line, as man5 documents (2.2.7 leaves `@id` in place).
* An include produced by a conditional, substitution, ~SEQ or multi-line definition is read once,
  at that point (2.2.7's parent does the same; its children read such files twice).
* Over-long lines and embedded NULs are reported and dropped (keepalived 2.4 behaviour).
* A missing or unusable main file is FATAL (2.2.7 -t only logs it and exits 0).
"""

from __future__ import annotations

import contextlib
import enum
import glob
import os
import random
import re
import stat
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from alived.config.diagnostics import Diagnostic, Severity
from alived.config.lexer import (
    BANG_SENTINEL,
    HASH_SENTINEL,
    MAXBUF,
    decomment,
    plain_words,
    resolve_sentinels,
    split_braces,
    tokenize,
)
from alived.config.source import Line
from alived.errors import Location

__all__ = [
    "MAX_EXPANDED_LINES",
    "MAX_INCLUDE_DEPTH",
    "IncludeCheck",
    "Preprocessed",
    "default_config_id",
    "preprocess_file",
    "preprocess_text",
]

MAX_EXPANDED_LINES = 2_000_000
"""Bound on emitted lines plus ~SEQ/~LST iterations, so a runaway expansion cannot eat memory.

man5's own 65024-instance ~SEQ example makes 1.3 million lines (about 300 MB, 7 s); this leaves room
for that and stops well before memory runs out.
"""
MAX_INCLUDE_DEPTH = 32
MAX_INCLUDES = 20_000  # include directives run plus files read, e.g. an include inside a huge ~SEQ
MAX_NESTING = 40  # nested ~SEQ/~LST prefixes and multi-line expansions per logical line
MAX_SUBSTITUTIONS = 2000  # per logical line; keepalived loops forever on `$A=$A`
MAX_BRACE_ALTERNATIVES = 1024
MAX_DIAGNOSTICS = 10_000  # a pathological file must not fill memory with messages either

_WS = " \t"
_DEF_LINE_END = "\n"  # separates the lines of a multi-line definition's value


class IncludeCheck(enum.IntFlag):
    """keepalived's include_check bits: which include problems are configuration errors."""

    NONE = 0
    READ = 1  # a matched file cannot be read (includer)
    MATCH = 2  # a named file (no wildcard) is missing (includem)
    WILDCARD_MATCH = 4  # a wildcard pattern matches nothing (includew)
    BRACE_MATCH = 8  # some brace alternative matches nothing (includeb)
    ALL = 15  # includea, `-e` / all_config, `include_check` with no argument


_VARIANT_CHECKS: dict[str, IncludeCheck] = {
    "": IncludeCheck.NONE,
    "r": IncludeCheck.READ,
    "m": IncludeCheck.READ | IncludeCheck.MATCH,
    "w": IncludeCheck.READ | IncludeCheck.MATCH | IncludeCheck.WILDCARD_MATCH,
    "b": IncludeCheck.READ | IncludeCheck.BRACE_MATCH,
    "a": IncludeCheck.ALL,
}

_INCLUDE_CHECK_WORDS: dict[str, IncludeCheck] = {
    "read": IncludeCheck.READ,
    "readable": IncludeCheck.READ,
    "match": IncludeCheck.MATCH,
    "wildcard_match": IncludeCheck.WILDCARD_MATCH,
    "brace_match": IncludeCheck.BRACE_MATCH,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Preprocessed:
    """The preprocessor's output: logical lines, what went wrong, and which files were read."""

    lines: tuple[Line, ...]
    diagnostics: tuple[Diagnostic, ...]
    files: tuple[str, ...]


def default_config_id() -> str:
    """keepalived's default config-id: the node name up to the first '.'."""
    return os.uname().nodename.split(".", 1)[0]


def preprocess_file(
    path: str | os.PathLike[str],
    *,
    config_id: str | None = None,
    include_check: IncludeCheck = IncludeCheck.NONE,
    all_config: bool = False,
    random_seed: int | None = None,
    env: Mapping[str, str] | None = None,
    max_lines: int = MAX_EXPANDED_LINES,
) -> Preprocessed:
    """Preprocess the main configuration file and everything it includes.

    A missing or unreadable main file is a FATAL diagnostic (keepalived -t exits 4).
    `all_config` is keepalived's `-e`: every include problem becomes an error.
    """
    name = os.fspath(path)
    pp = _Preprocessor(
        config_id=config_id,
        include_check=IncludeCheck.ALL if all_config else include_check,
        random_seed=random_seed,
        env=env,
        max_lines=max_lines,
    )
    pp.run_main_file(name)
    return pp.result()


def preprocess_text(
    text: str,
    *,
    name: str = "<string>",
    base_dir: str | None = None,
    config_id: str | None = None,
    include_check: IncludeCheck = IncludeCheck.NONE,
    all_config: bool = False,
    random_seed: int | None = None,
    env: Mapping[str, str] | None = None,
    max_lines: int = MAX_EXPANDED_LINES,
) -> Preprocessed:
    """Preprocess configuration text; relative includes and ${_PWD} use `base_dir` (default: cwd)."""
    pp = _Preprocessor(
        config_id=config_id,
        include_check=IncludeCheck.ALL if all_config else include_check,
        random_seed=random_seed,
        env=env,
        max_lines=max_lines,
    )
    directory = base_dir if base_dir is not None else str(Path.cwd())
    pp.run_text(text.encode("utf-8", "surrogatepass"), name, directory)
    return pp.result()


class _Abort(Exception):
    """Raised internally when the expansion budget is spent; everything stops."""


@dataclass(slots=True, kw_only=True)
class _Def:
    """One `$NAME` definition (mutable: a multi-line value grows line by line).

    Built-ins compute their value from the use's parameters through `fn` at each use.
    """

    name: str
    value: str
    multiline: bool = False
    fn: Callable[[tuple[str, ...]], str] | None = None
    min_params: int = 0
    max_params: int = 0
    numbers_only: bool = False


# `$NAME` must be followed by blank, `,`, `)` or the end; `${NAME}` may carry blank-separated
# parameters (only the built-ins accept them).
_REF_PLAIN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?=[ \t,)]|$)")
_REF_BRACED = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)((?:[ \t]+[A-Za-z0-9_]+)*)([ \t]*)\}")
_DEFINITION = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)=[ \t]*(.*)", re.DOTALL)
_INCLUDE = re.compile(r"include([rmwba]?)[ \t\n\r\f\v]")
_STRTOL = re.compile(r"[ \t\n\r\f\v]*([+-]?)(?:0[xX]([0-9a-fA-F]+)|(0[0-7]*)|([1-9][0-9]*))")
_GLOB_MAGIC = re.compile(r"[*?[]")
# A line with none of these (and no `include`) is only split at braces and into words: no
# comment, quote, escape, definition, substitution, conditional, ~SEQ/~LST or include.
_NOT_PLAIN = re.compile(r'[!#"\\$@~\x00]')


class _Preprocessor:
    def __init__(
        self,
        *,
        config_id: str | None,
        include_check: IncludeCheck,
        random_seed: int | None,
        env: Mapping[str, str] | None,
        max_lines: int,
    ) -> None:
        self.config_id = config_id if config_id is not None else default_config_id()
        self.include_check = include_check
        self.env: Mapping[str, str] = env if env is not None else os.environ
        self.rng = random.Random(random_seed)
        self.max_lines = max_lines
        self.budget = 0
        self.includes = 0
        self.lines: list[Line] = []
        self.diagnostics: list[Diagnostic] = []
        self.files: list[str] = []
        self.dir_stack: list[str] = []
        self.active_files: list[str] = []  # realpaths of the files being read, for loop detection
        self.accumulating: _Def | None = None
        self.defs: dict[str, _Def] = {}
        self._install_builtins()

    # ----------------------------------------------------------------- results and reporting

    def result(self) -> Preprocessed:
        return Preprocessed(
            lines=tuple(self.lines), diagnostics=tuple(self.diagnostics), files=tuple(self.files)
        )

    def report(self, message: str, location: Location | None, severity: Severity = Severity.ERROR) -> None:
        self.diagnostics.append(Diagnostic(message, location, severity))
        if len(self.diagnostics) >= MAX_DIAGNOSTICS:
            self.diagnostics.append(
                Diagnostic(f"More than {MAX_DIAGNOSTICS} configuration errors - ignoring the rest", location)
            )
            raise _Abort

    def spend(self, location: Location) -> None:
        self.budget += 1
        if self.budget > self.max_lines:
            self.report(
                f"Configuration expands to more than {self.max_lines} lines - ignoring the rest",
                location,
            )
            raise _Abort

    # ----------------------------------------------------------------- built-in definitions

    def _install_builtins(self) -> None:
        self.defs["_PWD"] = _Def(
            name="_PWD", value="", fn=lambda _p: self.dir_stack[-1] if self.dir_stack else ""
        )
        self.defs["_INSTANCE"] = _Def(name="_INSTANCE", value="", fn=lambda _p: self.config_id)
        self.defs["_RANDOM"] = _Def(
            name="_RANDOM", value="", fn=self._random, max_params=2, numbers_only=True
        )
        self.defs["_ENV"] = _Def(
            name="_ENV", value="", fn=lambda p: self.env.get(p[0], ""), min_params=1, max_params=1
        )
        self.defs["_HASH"] = _Def(name="_HASH", value=HASH_SENTINEL)
        self.defs["_BANG"] = _Def(name="_BANG", value=BANG_SENTINEL)

    def _random(self, params: tuple[str, ...]) -> str:
        low = int(params[0]) if params else 0
        high = int(params[1]) if len(params) > 1 else 32767
        if high < low:
            low, high = high, low
        return str(self.rng.randint(low, high))

    # ----------------------------------------------------------------- files

    def run_main_file(self, path: str) -> None:
        # keepalived 2.2.7 -t words these like include problems (and exits 0); alived makes them fatal
        if not _exists(path):
            self.report(f"Config files missing '{path}'.", None, Severity.FATAL)
            return
        if _is_dir(path):
            shown = path if path.endswith("/") else path + "/"
            self.report(f"Configuration file '{shown}' is a directory - skipping", None, Severity.FATAL)
            return
        if not _is_plain_file(path):
            self.report(
                f"Configuration file '{path}' is not a regular non-executable file - skipping",
                None,
                Severity.FATAL,
            )
            return
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            # keepalived's words, without the reason
            self.report(f"Unable to read configuration file {path}", None, Severity.FATAL)
            return
        self.run_text(data, path, str(Path(path).resolve().parent))

    def run_text(self, data: bytes, name: str, directory: str) -> None:
        with contextlib.suppress(_Abort):
            self._read_data(data, name, directory, os.path.realpath(name))
        if self.accumulating is not None:
            self._end_accumulation()

    def _read_data(self, data: bytes, name: str, directory: str, real: str, opened: str = "") -> None:
        """name: as keepalived writes it in its reports; opened: the path read, if another."""
        self.files.append(opened or name)
        self.dir_stack.append(directory)
        self.active_files.append(real)
        try:
            self._read_lines(data, name)
        finally:
            self.active_files.pop()
            self.dir_stack.pop()

    def _read_lines(self, data: bytes, name: str) -> None:
        raw_lines = data.split(b"\n")
        if raw_lines and not raw_lines[-1]:
            raw_lines.pop()  # the text after the final newline is not a line
        for number, raw in enumerate(raw_lines, 1):
            if len(raw) >= MAXBUF - 1:
                self.report("line too long - ignoring", Location(name, number))
                continue
            if b"\x00" in raw:
                self.report(
                    "configuration appears to have embedded NULs - ignoring line", Location(name, number)
                )
                continue
            content = raw.rstrip(b"\r")
            if not content:
                # keepalived ends a multi-line definition at a truly empty line (not a comment line)
                if self.accumulating is not None:
                    self._end_accumulation()
                continue
            location = Location(name, number)
            text = content.decode("utf-8", "replace")
            if self.accumulating is None and _NOT_PLAIN.search(text) is None and "include" not in text:
                self._plain(text.strip(" \t"), location)
                continue
            text = self._decomment(text, location)
            if text:
                self._run(text, location, 0)

    def _plain(self, text: str, location: Location) -> None:
        """The common line, as `_run` would take it, without its per-line machinery (a third
        of a large file's load)."""
        current: str | None = text
        while current:
            fragment, current = split_braces(current)
            words = plain_words(fragment)
            if words:
                self.spend(location)
                self.lines.append(Line(location, words, fragment))

    def _decomment(self, text: str, location: Location) -> str:
        result = decomment(text)
        if result.unterminated_quote:
            self.report(f"Unterminated quote '{resolve_sentinels(result.text)}'", location)
        return result.text

    # ----------------------------------------------------------------- includes

    def _include_error(
        self, kind: IncludeCheck, message: str, location: Location, checks: IncludeCheck
    ) -> None:
        # keepalived logs every include problem, but only the enabled checks make the config bad
        severity = Severity.FATAL if (self.include_check | checks) & kind else Severity.INFO
        self.report(message, location, severity)

    def _count_include(self, location: Location) -> None:
        self.includes += 1
        if self.includes > MAX_INCLUDES:
            self.report(
                f"More than {MAX_INCLUDES} includes - ignoring the rest of the configuration", location
            )
            raise _Abort

    def _include(self, pattern: str, checks: IncludeCheck, location: Location) -> None:
        self._count_include(location)
        base = self.dir_stack[-1] if self.dir_stack else str(Path.cwd())
        matches, missing, have_wildcards = _glob_include(pattern, base)
        if not matches:
            if missing:
                kind = IncludeCheck.BRACE_MATCH if _has_brace(pattern) else IncludeCheck.MATCH
                self._include_error(kind, f"Config files missing '{pattern}'.", location, checks)
            elif have_wildcards and (self.include_check | checks) & IncludeCheck.WILDCARD_MATCH:
                self._include_error(
                    IncludeCheck.WILDCARD_MATCH, f"No config files matched '{pattern}'.", location, checks
                )
            return
        if missing:
            self._include_error(
                IncludeCheck.BRACE_MATCH, f'Some config files missing: "{pattern}".', location, checks
            )
            if (self.include_check | checks) & IncludeCheck.BRACE_MATCH:
                return
        saved_check = self.include_check
        for path in matches:
            # keepalived globs from the including file's directory: a relative pattern gives
            # relative names, which it writes in its reports
            shown = path if Path(pattern).is_absolute() else os.path.relpath(path, base)
            self._include_one(path, location, checks, shown)
            # include_check set inside an included file does not leak out of it
            self.include_check = saved_check

    def _include_one(self, path: str, location: Location, checks: IncludeCheck, shown: str) -> None:
        self._count_include(location)
        if path.endswith("/"):
            self._include_error(
                IncludeCheck.READ, f"Configuration file '{path}' is a directory - skipping", location, checks
            )
            return
        if not _is_plain_file(path):
            self._include_error(
                IncludeCheck.READ,
                f"Configuration file '{path}' is not a regular non-executable file - skipping",
                location,
                checks,
            )
            return
        real = os.path.realpath(path)
        if real in self.active_files:
            self.report(f"Configuration file '{path}' includes itself - skipping", location)
            return
        if len(self.active_files) > MAX_INCLUDE_DEPTH:
            self.report(
                f"Configuration files nested more than {MAX_INCLUDE_DEPTH} deep - skipping '{path}'", location
            )
            return
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            self._include_error(
                IncludeCheck.READ,
                f"Configuration file '{path}' open problem ({e.strerror}) - skipping",
                location,
                checks,
            )
            return
        self._read_data(data, shown, str(Path(path).resolve().parent), real, path)

    def _apply_include_check(self, words: tuple[str, ...]) -> None:
        """Track `include_check` lines so later includes use them (the parser validates the words)."""
        if len(words) < 2:
            self.include_check = IncludeCheck.ALL
            return
        for index, word in enumerate(words[1:]):
            sign = word[:1] if word[:1] in "+-" else ""
            flag = _INCLUDE_CHECK_WORDS.get(word[len(sign) :])
            if flag is None or (not sign and index > 0):
                continue
            if not sign:
                self.include_check = IncludeCheck.READ | flag
            elif sign == "+":
                self.include_check |= flag
            else:
                self.include_check &= ~flag

    # ----------------------------------------------------------------- multi-line definitions

    def _accumulate(self, text: str) -> None:
        definition = self.accumulating
        assert definition is not None
        if text.endswith("\\"):
            text = text[:-1].rstrip(_WS) + _DEF_LINE_END
            if len(text) >= 2:
                definition.value += text
        else:
            definition.value += text
            self._end_accumulation()

    def _end_accumulation(self) -> None:
        definition = self.accumulating
        assert definition is not None
        if not definition.value:
            definition.multiline = False
        self.accumulating = None

    def _define(self, text: str) -> bool:
        m = _DEFINITION.fullmatch(text)
        if m is None:
            return False
        name, value = m.groups()
        multiline = value.endswith("\\")
        if multiline:
            value = value[:-1].rstrip(_WS)
            value = value + _DEF_LINE_END if value else ""
        # a redefinition (even of a built-in) replaces the old one
        definition = _Def(name=name, value=value, multiline=multiline)
        self.defs[name] = definition
        if multiline:
            self.accumulating = definition
        return True

    def _set(self, name: str, value: str) -> None:
        self.defs[name] = _Def(name=name, value=value)

    # ----------------------------------------------------------------- logical lines

    def _run(self, text: str, location: Location, depth: int) -> None:
        """Process one logical line, its brace-split remainders and the multi-line expansions it starts."""
        if depth > MAX_NESTING:
            self.report(f"Expansion nested more than {MAX_NESTING} deep - ignoring '{text}'", location)
            return
        pending: list[Iterator[str]] = []
        current: str | None = text
        while True:
            if current is None:
                while pending:
                    current = next(pending[-1], None)
                    if current is not None:
                        break
                    pending.pop()
                if current is None:
                    return
            if self.accumulating is not None:
                if current:
                    self._accumulate(current)
                current = None
                continue
            if not current:
                current = None
                continue
            emit, rests = self._transform(current, location, depth)
            if len(pending) + len(rests) > MAX_NESTING:
                self.report(f"Multi-line definitions nested more than {MAX_NESTING} deep", location)
                return
            pending.extend(iter(r) for r in rests)
            current = None
            if not emit:
                continue
            include = _INCLUDE.match(emit)
            if include is not None:
                # As keepalived's parent process does, an include may come from a conditional,
                # a substitution, a ~SEQ or a multi-line definition; its file is read right here.
                pattern = resolve_sentinels(emit[include.end() :].lstrip(_WS))
                self._include(pattern, _VARIANT_CHECKS[include.group(1)], location)
                continue
            fragment, current = split_braces(emit)
            self._emit(fragment, location)

    def _transform(self, text: str, location: Location, depth: int) -> tuple[str | None, list[list[str]]]:
        """@ID, $NAME=, ~SEQ/~LST and substitution: returns the text to emit and multi-line remainders."""
        rests: list[list[str]] = []
        substitutions = 0
        while True:
            if text.startswith("@"):
                stripped = self._conditional(text)
                if not stripped:
                    return None, rests
                text = stripped
            if text.startswith("$") and self._define(text):
                return None, rests
            if text.startswith(("~SEQ", "~LST")):
                self._sequence(text, location, depth)
                return None, rests
            if text.startswith("~") or "$" not in text:
                return text, rests
            outcome = self._substitute(text, location, substitutions)
            if outcome is None:
                return None, rests
            replaced, found, count, line_rests = outcome
            if not found:
                return text, rests
            substitutions = count
            rests.extend(line_rests)
            text = self._decomment(replaced, location)
            if not (text.startswith("@") or "$" in text):
                return text, rests

    def _conditional(self, text: str) -> str | None:
        negate = text.startswith("@^")
        start = 2 if negate else 1
        end = len(text)
        for blank in _WS:
            i = text.find(blank, start)
            if 0 <= i < end:
                end = i
        if end == len(text):
            return None  # nothing after the id
        if (text[start:end] == self.config_id) == negate:
            return None
        return text[end:].lstrip(_WS)

    def _substitute(
        self, text: str, location: Location, count: int
    ) -> tuple[str, bool, int, list[list[str]]] | None:
        """One keepalived `replace_param` pass: expand in place, rescanning each replacement.

        Returns (text, anything replaced, substitutions so far, multi-line remainders), or None when
        the line is dropped (too long, or runaway recursion).
        """
        found = False
        rests: list[list[str]] = []
        pos = 0
        while True:
            i = text.find("$", pos)
            if i < 0 or i + 1 >= len(text):
                break
            ref = self._reference(text, i, location)
            if ref is None:
                pos = i + 1
                continue
            definition, params, end = ref
            value = definition.fn(params) if definition.fn is not None else definition.value
            if definition.multiline:
                first, _, rest = value.partition(_DEF_LINE_END)
                rests.append(rest.split(_DEF_LINE_END) if rest else [])
                value = first
            text = text[:i] + value + text[end:]
            found = True
            count += 1
            if len(text) >= MAXBUF:
                self.report(
                    f"Parameter substitution on line '{resolve_sentinels(text[:80])}...' would exceed "
                    "maximum line length",
                    location,
                )
                return None
            if count > MAX_SUBSTITUTIONS:
                self.report(
                    f"Recursive parameter substitution on line '{resolve_sentinels(text[:80])}' - ignoring",
                    location,
                )
                return None
            if value.lstrip(_WS).startswith("~"):
                break
        return text, found, count, rests

    def _reference(
        self, text: str, dollar: int, location: Location
    ) -> tuple[_Def, tuple[str, ...], int] | None:
        """The definition referenced at `text[dollar] == '$'`, its parameters, and where it ends."""
        params: tuple[str, ...] = ()
        if text.startswith("{", dollar + 1):
            m = _REF_BRACED.match(text, dollar + 1)
            if m is None:
                return None
            name, raw_params, trailing = m.groups()
            if raw_params and trailing:
                return None  # `${NAME 1 }`: parameters may not end with a blank
            params = tuple(raw_params.split())
        else:
            m = _REF_PLAIN.match(text, dollar + 1)
            if m is None:
                return None
            name = m.group(1)
        end = m.end()
        definition = self.defs.get(name)
        if definition is None:
            return None
        if definition.multiline and end != len(text):
            return None  # a multi-line definition is only expanded when it ends the line
        if params:
            if not definition.max_params:
                return None
            if definition.numbers_only and not all(p.isdigit() for p in params):
                self.report(f"Definition {name} requires numeric parameters only.", location)
                return None
            if not definition.min_params <= len(params) <= definition.max_params:
                self.report(
                    f"Definition {name} requires between {definition.min_params} and "
                    f"{definition.max_params} parameters, {len(params)} specified.",
                    location,
                )
                return None
        elif definition.min_params:
            return None
        return definition, params, end

    # ----------------------------------------------------------------- ~SEQ and ~LST

    def _sequence(self, text: str, location: Location, depth: int) -> None:
        if text.startswith("~SEQ"):
            parsed = self._parse_seq(text, location)
            if parsed is None:
                # keepalived follows any specific complaint with this general one
                self.report(f"Invalid ~SEQ specification '{text}'", location)
                return
            var, values, rest = parsed
            for value in values:
                self.spend(location)
                self._set(var, value)
                self._run(rest, location, depth + 1)
            return
        lst = _parse_lst(text)
        if isinstance(lst, str):
            if lst:
                self.report(lst, location)
            self.report(f"Invalid ~LST specification '{text}'", location)
            return
        names, value_sets, rest = lst
        for value_set in value_sets:
            self.spend(location)
            for name, value in zip(names, value_set, strict=True):
                self._set(name, value)
            self._run(rest, location, depth + 1)

    def _parse_seq(self, text: str, location: Location) -> tuple[str, Iterator[str], str] | None:
        p = 4
        hexa = text.startswith("x", p)
        if hexa:
            p += 1
        p = _skip(text, p)
        if not text.startswith("(", p):
            return None
        p = _skip(text, p + 1)
        var_end = p
        while var_end < len(text) and text[var_end] not in " \t,)":
            var_end += 1
        var = text[p:var_end]
        p = _skip(text, var_end)
        if p >= len(text) or text[p] == ")" or not var:
            self.report(f"Invalid ~SEQ definition '{text}'", location)
            return None
        p = _skip(text, p + 1)
        close = text.find(")", p)
        if close < 0:
            self.report(f"Invalid ~SEQ definition '{text}'", location)
            return None
        if close + 2 - p > 64:
            self.report(f"~SEQ parameter strings too long '{text}'", location)
            return None
        args = text[p : close + 1]
        if "$" in args:
            outcome = self._substitute(args, location, 0)
            if outcome is None:
                return None
            args, _, _, rests = outcome
            if rests:
                self.report(f"~SEQ parameter is multiline definition '{text}'", location)
                return None
        numbers: list[int] = []
        q = 0
        while True:
            value, q = _strtol(args, q)
            numbers.append(value)
            q = _skip(args, q)
            if args.startswith(")", q):
                break
            if not args.startswith(",", q) or len(numbers) == 3:
                self.report(f"Invalid ~SEQ definition '{text}'", location)
                return None
            q += 1
        if len(numbers) == 1:
            end = numbers[0]
            step = -1 if end < 1 else 1
            start = -1 if end < 0 else 1
        elif len(numbers) == 2:
            start, end = numbers
            step = 1 if start <= end else -1
        else:
            start, step, end = numbers
            if not step or (start < end and step < 0) or (start > end and step > 0):
                self.report(f"Invalid ~SEQ values '{text}'", location)
                return None
        if hexa and (start < 0 or end < 0):
            self.report(f"~SEQx is only valid for positive numbers '{text}'", location)
            return None
        rest = text[close + 1 :].lstrip(_WS)
        return var, _seq_values(start, step, end, hexa), rest

    # ----------------------------------------------------------------- output

    def _emit(self, fragment: str, location: Location) -> None:
        if not fragment:
            return
        raw = resolve_sentinels(fragment)
        tokens = tokenize(raw)
        if tokens.unmatched_quote:
            self.report(f"Unmatched quote: '{raw}'", location)
        if not tokens.words:
            return
        self.spend(location)
        self.lines.append(Line(location, tokens.words, raw))
        if tokens.words[0] == "include_check":
            self._apply_include_check(tokens.words)


# --------------------------------------------------------------------- helpers


def _skip(text: str, p: int) -> int:
    length = len(text)
    while p < length and text[p] in _WS:
        p += 1
    return p


def _strtol(text: str, p: int) -> tuple[int, int]:
    """C strtol(base 0): (value, end); no number gives (0, p) like strtol leaving endptr alone."""
    m = _STRTOL.match(text, p)
    if m is None:
        return 0, p
    sign, hex_digits, octal, decimal = m.groups()
    if hex_digits is not None:
        value = int(hex_digits, 16)
    elif octal is not None:
        value = int(octal, 8)
    else:
        value = int(decimal)
    return (-value if sign == "-" else value), m.end()


def _seq_values(start: int, step: int, end: int, hexa: bool) -> Iterator[str]:
    value = start
    while True:
        yield format(value, "x") if hexa else str(value)
        value += step
        if (step > 0 and value > end) or (step < 0 and value < end):
            return


def _parse_lst(text: str) -> tuple[list[str], list[list[str]], str] | str:
    """Parse `~LST(var, v1, ...)` / `~LST({a,b}, {1,2}, ...)`: (names, value sets, rest) or an error.

    The error is a specific message, or "" when keepalived only gives its general one.
    """
    invalid = ""
    length = len(text)

    def at(i: int) -> str:
        return text[i] if i < length else ""

    def scan(i: int, stops: str) -> int:
        while i < length and text[i] not in stops:
            i += 1
        return i

    p = _skip(text, 4)
    if at(p) != "(":
        return invalid
    p = _skip(text, p + 1)
    end_char = ","
    if at(p) == "{":
        end_char = "}"
        p = _skip(text, p + 1)
    names: list[str] = []
    while True:
        q = scan(p, " \t,}")
        names.append(text[p:q])
        p = _skip(text, q)
        if at(p) == end_char:
            break
        if at(p) != ",":
            return invalid
        p = _skip(text, p + 1)
    if at(p) == "}":
        p = _skip(text, p + 1)
    if at(p) != ",":
        return invalid
    p = _skip(text, p + 1)
    value_sets: list[list[str]] = []
    while True:
        end_char = ","
        if at(p) == "{":
            end_char = "}"
            p = _skip(text, p + 1)
        values: list[str] = []
        while True:
            q = scan(p, " \t,})")
            values.append(text[p:q])
            p = _skip(text, q)
            c = at(p)
            if c == end_char or (c == ")" and end_char == ","):
                break
            if c != ",":
                return invalid
            p = _skip(text, p + 1)
            if len(values) >= len(names):
                return f"~LST specification has too many values '{text}'"
        values.extend([""] * (len(names) - len(values)))
        value_sets.append(values)
        if at(p) == "}" and end_char == "}":
            p = _skip(text, p + 1)
        if at(p) == ")":
            break
        if at(p) != ",":
            return invalid
        p = _skip(text, p + 1)
    return names, value_sets, text[p + 1 :].lstrip(_WS)


def _exists(path: str) -> bool:
    """lstat() succeeds (a dangling symlink exists, as for glob); odd names are just missing."""
    try:
        Path(path).lstat()
    except (OSError, ValueError):
        return False
    return True


def _is_dir(path: str) -> bool:
    try:
        return stat.S_ISDIR(Path(path).stat().st_mode)
    except (OSError, ValueError):
        return False


def _is_plain_file(path: str) -> bool:
    """keepalived reads only regular, non-executable files (and never blocks on a FIFO)."""
    try:
        mode = Path(path).stat().st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISREG(mode) and not mode & 0o111


def _has_brace(pattern: str) -> bool:
    i = 0
    while i < len(pattern):
        if pattern[i] == "\\":
            i += 2
            continue
        if pattern[i] == "{":
            return True
        i += 1
    return False


def _brace_expand(pattern: str, limit: int = MAX_BRACE_ALTERNATIVES) -> list[str]:
    """csh-style `{a,b}` expansion (nested), as glob(GLOB_BRACE); unbalanced braces stay literal."""
    results: list[str] = []
    work = [pattern]
    while work and len(results) < limit:
        item = work.pop(0)
        open_at = -1
        i = 0
        while i < len(item):
            if item[i] == "\\":
                i += 2
                continue
            if item[i] == "{":
                open_at = i
                break
            i += 1
        if open_at < 0:
            results.append(item)
            continue
        depth = 0
        parts: list[str] = []
        part_start = open_at + 1
        close_at = -1
        i = open_at
        while i < len(item):
            c = item[i]
            if c == "\\":
                i += 2
                continue
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    parts.append(item[part_start:i])
                    close_at = i
                    break
            elif c == "," and depth == 1:
                parts.append(item[part_start:i])
                part_start = i + 1
            i += 1
        if close_at < 0:
            results.append(item)
            continue
        prefix, suffix = item[:open_at], item[close_at + 1 :]
        work[0:0] = [prefix + part + suffix for part in parts]
    return results


def _glob_include(pattern: str, base: str) -> tuple[list[str], bool, bool]:
    """Expand an include pattern: (matches, whether a named file or directory was missing, wildcards?).

    Each brace alternative is globbed on its own and sorted on its own, like glibc; directories get
    a trailing '/', like GLOB_MARK.
    """
    matches: list[str] = []
    missing = False
    have_wildcards = False
    for alternative in _brace_expand(pattern):
        if not alternative:
            continue
        path = os.path.normpath(Path(base, alternative))
        if _GLOB_MAGIC.search(alternative):
            have_wildcards = True
            # Path.glob takes no absolute patterns; glob.glob sorts like glibc once sorted
            try:
                found = sorted(glob.glob(path))  # noqa: PTH207
            except (OSError, ValueError):
                found = []
            if not found:
                magic = _GLOB_MAGIC.search(path)
                fixed = path[: magic.start()] if magic is not None else path
                # glibc counts a directory it cannot open as a missing file
                if not _is_dir(fixed.rsplit("/", 1)[0] or "/"):
                    missing = True
        elif _exists(path):
            found = [path]
        else:
            found = []
            missing = True
        matches.extend(p + "/" if _is_dir(p) and not p.endswith("/") else p for p in found)
    return matches, missing, have_wildcards
