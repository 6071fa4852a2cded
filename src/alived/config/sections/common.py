"""The machinery behind the keyword tree: keyword specs, the block interpreter and generic value parsers.

A keyword either takes a value from its own line (`parse`), or owns a `{ }` block that is a value
list (`entries`/`words`) or a nested keyword block (`block`). Parsers report problems through the
Ctx as keepalived does (file:line, item skipped) and return INVALID, so one bad line never stops
the rest of the file from loading.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import socket
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from alived.config.diagnostics import Diagnostic, Severity
from alived.config.model import IPAddress, IPInterface, Script
from alived.config.scriptargs import ScriptSyntaxError, split_script
from alived.config.source import Line
from alived.config.tree import Node
from alived.errors import Location
from alived.units import Ticks


class _Invalid:
    __slots__ = ()

    def __repr__(self) -> str:
        return "INVALID"


INVALID: Final = _Invalid()


class Ctx:
    """Collects diagnostics while the tree is interpreted."""

    __slots__ = ("diagnostics", "memo")

    def __init__(self, diagnostics: list[Diagnostic] | None = None) -> None:
        self.diagnostics: list[Diagnostic] = diagnostics if diagnostics is not None else []
        # what keepalived's parser remembers from one block to the next (e.g. which interfaces
        # already have a garp_group), by topic
        self.memo: dict[str, Any] = {}

    def report(
        self,
        message: str,
        where: Node | Line | Location | None,
        severity: Severity = Severity.ERROR,
        keyword: str = "",
    ) -> None:
        if isinstance(where, Node):
            location: Location | None = where.line.location
        elif isinstance(where, Line):
            location = where.location
        else:
            location = where
        self.diagnostics.append(Diagnostic(message, location, severity, keyword))

    def error(self, message: str, where: Node | Line | Location | None, keyword: str = "") -> None:
        self.report(message, where, Severity.ERROR, keyword)

    def warning(self, message: str, where: Node | Line | Location | None, keyword: str = "") -> None:
        self.report(message, where, Severity.WARNING, keyword)

    def missing(self, node: Node, position: int = 2) -> None:
        """A parameter keepalived's handler reads without checking: it reports this and exits 2."""
        tokens = node.line.tokens
        first = tokens[0] if tokens else "***MISSING ***"
        if 1 < position <= len(tokens) + 1:
            message = (
                f"*** Configuration line starting `{first}` is missing a parameter after keyword"
                f" `{tokens[position - 2]}` at word position {position}"
            )
        else:
            message = (
                f"*** Configuration line starting `{first}` is missing a parameter"
                f" at word position {position}"
            )
        self.report(message, node, Severity.ABORT, node.keyword)


class Set(dict[str, Any]):
    """A parser result that sets several fields at once (e.g. `weight -2 reverse`)."""


@dataclass(slots=True)
class Fields:
    """What a block's keywords set: field name -> value, and where each was set."""

    values: dict[str, Any] = field(default_factory=dict)
    where: dict[str, Location] = field(default_factory=dict)

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    def __contains__(self, name: str) -> bool:
        return name in self.values


ValueParser = Callable[[Ctx, Node], Any]
Builder = Callable[[Ctx, Node, Fields], Any]


@dataclass(frozen=True, slots=True)
class BlockSpec:
    """A nested keyword block: its keywords and how the Fields become a model object."""

    name: str
    keywords: Mapping[str, Kw]
    build: Builder | None = None


@dataclass(frozen=True, slots=True)
class Kw:
    """One keyword of a block.

    field: the model field set (keyword verbatim, `-` as `_`). parse: value from the keyword's own
    line. entries: per-line parser of a value block. words: a value block whose every token is a
    value. block: a nested keyword block. multi: repeats accumulate (real_server, url, checkers).
    deprecated: warning text given whenever the keyword is used.
    missing: keepalived's words when its handler checks for a missing parameter (item skipped,
    rc 5; "" skips silently); without it a value parser that needs a parameter makes a bare
    keyword fatal, as keepalived's unchecked handlers are (exit 2). once: keepalived keeps the
    first value and reports a repeat with these words ({arg}: the repeat's first parameter).
    after: the handler's own line after its value reader reported a bad value ({arg}: the value).
    """

    name: str
    field: str = ""
    parse: ValueParser | None = None
    entries: ValueParser | None = None
    words: bool = False
    block: BlockSpec | None = None
    multi: bool = False
    deprecated: str | None = None
    wrap: Builder | None = None
    missing: str | None = None
    once: str | None = None
    after: str | None = None

    @property
    def target(self) -> str:
        return self.field or self.name.replace("-", "_")

    @property
    def takes_block(self) -> bool:
        return self.entries is not None or self.words or self.block is not None


def keywords(*kws: Kw, base: Mapping[str, Kw] | None = None) -> dict[str, Kw]:
    table = dict(base or {})
    for kw in kws:
        table[kw.name] = kw
    return table


# ---------------------------------------------------------------- the interpreter


def interpret(ctx: Ctx, nodes: Iterable[Node], table: Mapping[str, Kw]) -> Fields:
    """Apply a block's keywords in order; unknown keywords and bad values are reported and skipped."""
    fields = Fields()
    given: set[str] = set()
    for node in nodes:
        name = node.keyword
        if name == "{":  # an unexpected '{', already reported by the tree builder
            continue
        kw = table.get(name)
        if kw is None:
            ctx.error(f"Unknown keyword '{name}'", node, name)
            continue
        if kw.deprecated is not None:
            ctx.warning(kw.deprecated, node, name)
        if kw.once is not None and name in given and node.args:
            ctx.error(kw.once.format(arg=node.args[0] if node.args else ""), node, name)
            continue
        before = len(ctx.diagnostics)
        value = run_keyword(ctx, node, kw)
        if value is INVALID:
            if kw.after is not None and node.args and len(ctx.diagnostics) > before:
                ctx.error(kw.after.format(arg=node.args[0]), node, name)
            continue
        given.add(name)
        store(fields, kw, value, node.line.location)
    return fields


def run_keyword(ctx: Ctx, node: Node, kw: Kw) -> Any:
    if kw.takes_block:
        if node.children is None:
            ctx.error("Missing '{' at beginning of configuration block", node, kw.name)
            return INVALID
        if kw.block is not None:
            sub = interpret(ctx, node.children, kw.block.keywords)
            if kw.block.build is None:
                return sub
            return kw.block.build(ctx, node, sub)
        if kw.words:
            found = tuple(_value_words(ctx, node.children))
            if kw.wrap is not None:
                return kw.wrap(ctx, node, Fields(values={"entries": found}))
            return found
        assert kw.entries is not None
        out = []
        for child in node.children:
            if child.children is not None:
                ctx.error("Unexpected '{' - ignoring", child, kw.name)
                continue
            entry = kw.entries(ctx, child)
            if entry is not INVALID:
                out.append(entry)
        if kw.wrap is not None:
            return kw.wrap(ctx, node, Fields(values={"entries": tuple(out)}))
        return tuple(out)
    if node.children is not None:
        ctx.error("Unexpected '{' - ignoring", node, kw.name)
    assert kw.parse is not None
    if kw.missing is not None and not node.args:
        if kw.missing:
            ctx.error(kw.missing, node, kw.name)
        return INVALID
    return kw.parse(ctx, node)


def nonempty(message: str) -> Builder:
    """A value block keepalived warns about when it is empty: at its `}`, where it sees it so."""

    def build(ctx: Ctx, node: Node, fields: Fields) -> Any:
        entries = fields.get("entries", ())
        if not entries:
            ctx.error(message, node.end or node, node.keyword)
            return INVALID
        return entries

    return build


def _value_words(ctx: Ctx, children: tuple[Node, ...]) -> Iterable[str]:
    for child in children:
        if child.children is not None:
            ctx.error("Unexpected '{' - ignoring", child)
            continue
        yield from child.line.tokens


def store(fields: Fields, kw: Kw, value: Any, location: Location) -> None:
    if isinstance(value, Set):
        for key, item in value.items():
            fields.values[key] = item
            fields.where[key] = location
        return
    target = kw.target
    if kw.multi:
        fields.values[target] = (*fields.values.get(target, ()), value)
    elif kw.entries is not None and kw.wrap is None:
        # A repeated value block adds to the list, as keepalived's list handlers do.
        fields.values[target] = (*fields.values.get(target, ()), *value)
    else:
        fields.values[target] = value
    fields.where[target] = location


# ---------------------------------------------------------------- generic value parsers


def required(parse: ValueParser) -> ValueParser:
    """A parser whose keepalived handler reads its first parameter unchecked: bare is fatal."""

    @functools.wraps(parse)
    def checked(ctx: Ctx, node: Node) -> Any:
        if not node.args:
            ctx.missing(node)
            return INVALID
        return parse(ctx, node)

    return checked


def flag(value: Any = True) -> ValueParser:
    """A keyword without argument that sets a constant (`nopreempt`, or `preempt` -> False)."""

    def parse(ctx: Ctx, node: Node) -> Any:
        del ctx, node
        return value

    return parse


BOOL_WORDS: Final = {"on": True, "true": True, "yes": True, "off": False, "false": False, "no": False}


def read_bool(ctx: Ctx, node: Node, word: str) -> bool | _Invalid:
    value = BOOL_WORDS.get(word)
    if value is None:
        ctx.error(f"Invalid {node.keyword} parameter {word}", node, node.keyword)
        return INVALID
    return value


def boolean(ctx: Ctx, node: Node) -> bool | _Invalid:
    """[BOOL]: without an argument the keyword means true; only lower-case words are accepted."""
    if not node.args:
        return True
    return read_bool(ctx, node, node.args[0])


def read_int(ctx: Ctx, node: Node, word: str, lo: int, hi: int) -> int | _Invalid:
    try:
        number = int(word, 10)
    except ValueError:
        ctx.error(f"invalid number '{word}'", node, node.keyword)
        return INVALID
    if not lo <= number <= hi:
        ctx.error(f"number '{word}' outside range [{lo}, {hi}]", node, node.keyword)
        return INVALID
    return number


def integer(lo: int = -(2**31), hi: int = 2**31 - 1, *, optional: int | None = None) -> ValueParser:
    def parse(ctx: Ctx, node: Node) -> int | _Invalid:
        if not node.args:
            if optional is not None:
                return optional
            ctx.missing(node)
            return INVALID
        return read_int(ctx, node, node.args[0], lo, hi)

    return parse


def unsigned(lo: int = 0, hi: int = 2**32 - 1) -> ValueParser:
    """keepalived's read_unsigned: a negative value is reported as such, not as out of range."""

    def parse(ctx: Ctx, node: Node) -> int | _Invalid:
        if not node.args:
            ctx.missing(node)
            return INVALID
        word = node.args[0]
        if word.startswith("-"):
            ctx.error(f"negative number '{word}'", node, node.keyword)
            return INVALID
        return read_int(ctx, node, word, lo, hi)

    return parse


_DECIMAL: Final = re.compile(r"[0-9]+(\.[0-9]*)?|\.[0-9]+")


def read_timer(ctx: Ctx, node: Node, word: str, lo: float | Decimal, hi: float | Decimal) -> Ticks | _Invalid:
    """Decimal seconds with microsecond resolution (keepalived's read_timer): digits and one point."""
    if not _DECIMAL.fullmatch(word):
        ctx.error(f"invalid number '{word}'", node, node.keyword)
        return INVALID
    try:
        seconds = Decimal(word)
    except InvalidOperation:
        ctx.error(f"invalid number '{word}'", node, node.keyword)
        return INVALID
    if not seconds.is_finite() or not Decimal(str(lo)) <= seconds <= Decimal(str(hi)):
        ctx.error(f"number '{word}' outside range [{lo:f}, {hi:f}]", node, node.keyword)
        return INVALID
    return Ticks(int((seconds * 1_000_000).to_integral_value()))


def timer(
    lo: float | Decimal = 0, hi: float | Decimal = 4294.0, *, optional: Ticks | None = None, invalid: str = ""
) -> ValueParser:
    """invalid: the handler's own line after a bad value ({keyword}, {word})."""

    def parse(ctx: Ctx, node: Node) -> Ticks | _Invalid:
        if not node.args:
            if optional is not None:
                return optional
            ctx.missing(node)
            return INVALID
        value = read_timer(ctx, node, node.args[0], lo, hi)
        if value is INVALID and invalid:
            ctx.error(invalid.format(keyword=node.keyword, word=node.args[0]), node, node.keyword)
        return value

    return parse


def whole_seconds(lo: int, hi: int) -> ValueParser:
    """A timeout keepalived reads as an unsigned integer number of seconds."""

    @required
    def parse(ctx: Ctx, node: Node) -> Ticks | _Invalid:
        value = read_int(ctx, node, node.args[0], lo, hi)
        if isinstance(value, _Invalid):
            ctx.error(f"Invalid {node.keyword} value '{node.args[0]}'", node, node.keyword)
            return INVALID
        return Ticks(value * 1_000_000)

    return parse


def string(ctx: Ctx, node: Node) -> str | _Invalid:
    if not node.args:
        ctx.missing(node)
        return INVALID
    return node.args[0]


def optional_string(ctx: Ctx, node: Node) -> str | None:
    del ctx
    return node.args[0] if node.args else None


def present_string(ctx: Ctx, node: Node) -> str:
    """An optional argument where the bare keyword still counts: "" when given alone."""
    del ctx
    return node.args[0] if node.args else ""


def joined(ctx: Ctx, node: Node) -> str | _Invalid:
    """The rest of the line as one string (e.g. `router_id my box`)."""
    if not node.args:
        ctx.missing(node)
        return INVALID
    return " ".join(node.args)


def words(ctx: Ctx, node: Node) -> tuple[str, ...]:
    del ctx
    return node.args


def choice(*allowed: str, fold: bool = False) -> ValueParser:
    def parse(ctx: Ctx, node: Node) -> str | _Invalid:
        if not node.args:
            ctx.missing(node)
            return INVALID
        word = node.args[0].upper() if fold else node.args[0]
        if word not in allowed:
            ctx.error(f"Invalid {node.keyword} '{node.args[0]}'", node, node.keyword)
            return INVALID
        return word

    return parse


def parse_ip(word: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(word.split("%", 1)[0])
    except ValueError:
        return None


def parse_ipv4_quad(word: str) -> int | None:
    """An IPv4 address in any form inet_aton reads (255.0.255, 0xff.0.0.0, 24 = 0.0.0.24), as
    its 32 bits in host order: what keepalived's numeric getaddrinfo takes."""
    if word.split() != [word]:
        return None  # inet_aton would stop at a blank; getaddrinfo refuses what follows it
    try:
        return int.from_bytes(socket.inet_aton(word), "big")
    except (OSError, ValueError):
        return None


def parse_interface(word: str) -> IPInterface | None:
    """IP[/MASK]; the mask defaults to the full length."""
    try:
        return ipaddress.ip_interface(word)
    except ValueError:
        return None


def ip(ctx: Ctx, node: Node) -> IPAddress | _Invalid:
    if not node.args:
        ctx.missing(node)
        return INVALID
    address = parse_ip(node.args[0])
    if address is None:
        ctx.error(f"Invalid {node.keyword} address '{node.args[0]}'", node, node.keyword)
        return INVALID
    return address


def weighted(lo: int, hi: int, *, field_name: str = "weight") -> ValueParser:
    """`weight W [reverse|noreverse]`, setting weight and weight_reverse."""

    def parse(ctx: Ctx, node: Node) -> Set | _Invalid:
        if not node.args:
            ctx.missing(node)
            return INVALID
        value = read_int(ctx, node, node.args[0], lo, hi)
        if isinstance(value, _Invalid):
            return INVALID
        reverse = len(node.args) > 1 and node.args[1] == "reverse"
        return Set({field_name: value, f"{field_name}_reverse": reverse})

    return parse


# ---------------------------------------------------------------- scripts


def rest_of_raw(line: Line) -> str:
    """The raw text after the keyword, for re-splitting with script quoting rules."""
    text = line.raw.strip()
    keyword = line.tokens[0] if line.tokens else ""
    if text.startswith(keyword):
        return text[len(keyword) :].strip()
    parts = text.split(None, 1)
    return parts[1] if len(parts) > 1 else ""


def script(ctx: Ctx, node: Node) -> Script | _Invalid:
    rest = rest_of_raw(node.line)
    if not rest:
        ctx.missing(node)
        return INVALID
    try:
        argv, user, group = split_script(rest)
    except ScriptSyntaxError as exc:
        # keepalived's words, at the keyword's line; the item is skipped, never a traceback.
        ctx.error(exc.message, exc.location or node, node.keyword)
        return INVALID
    if not argv:
        ctx.missing(node)
        return INVALID
    return Script(argv=argv, user=user, group=group, location=node.line.location)


def optional_script(ctx: Ctx, node: Node) -> Script | _Invalid | None:
    if not node.args:
        return None
    return script(ctx, node)
