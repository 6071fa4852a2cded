"""Checker-side blocks: virtual_server_group, virtual_server, real_server, the checkers, url, SSL."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from alived.config import model, model_check
from alived.config.sections.common import (
    INVALID,
    Ctx,
    Fields,
    Set,
    parse_ip,
    parse_ipv4_quad,
    read_int,
    required,
)
from alived.config.tree import Node

LB_ALGOS = frozenset(
    {"rr", "wrr", "lc", "wlc", "lblc", "sh", "mh", "dh", "fo", "ovf", "lblcr", "sed", "nq", "twos"}
)


def _port(ctx: Ctx, node: Node, word: str) -> int | None:
    value = read_int(ctx, node, word, 0, 65535)
    return value if isinstance(value, int) else None


def build_virtual_server(ctx: Ctx, node: Node, fields: Fields) -> Any:
    args = node.args
    head: dict[str, Any] = {}
    if not args:
        ctx.missing(node)
        return INVALID
    if args[0] == "fwmark":
        if len(args) < 2:
            ctx.error("virtual_server fwmark requires a mark", node)
            return INVALID
        mark = read_int(ctx, node, args[1], 0, 2**32 - 1)
        if not isinstance(mark, int):
            return INVALID
        head["fwmark"] = mark
    elif args[0] == "group":
        if len(args) < 2:
            ctx.error("virtual_server group requires a name", node)
            return INVALID
        head["group"] = args[1]
    else:
        address = parse_ip(args[0])
        if address is None:
            ctx.error(f"Invalid virtual server address {args[0]}", node, "virtual_server")
            return INVALID
        head["address"] = address
        if len(args) > 1:
            port = _port(ctx, node, args[1])
            if port is None:
                return INVALID
            head["port"] = port
    _vs_reading_order(ctx, node, fields, head)
    return model.VirtualServer(
        location=node.line.location, lvs_method_set="lvs_method" in fields, **head, **fields.values
    )


_REPEATS = tuple(
    f"{w} script already specified - ignoring "
    for w in ("notify_up", "notify_down", "quorum_up", "quorum_down")
)


def _vs_reading_order(ctx: Ctx, node: Node, fields: Fields, head: dict[str, Any]) -> None:
    """What keepalived's virtual_server handlers check against what they have read so far."""
    family = head["address"].version if "address" in head else None
    method = "NAT"
    have_sorry = False
    for child in node.children or ():
        key, where = child.keyword, child.line.location
        if key == "sorry_server" and fields.where.get("sorry_server") == where:
            have_sorry = True
        elif key in ("sorry_server_inhibit", "sorry_server_lvs_method") and not have_sorry:
            message = (
                "Ignoring sorry_server inhibit used before or without sorry_server"
                if key == "sorry_server_inhibit"
                else "sorry_server forwarding used without sorry_server"
            )
            ctx.error(message, child, key)
            fields.values.pop(key, None)
        elif key == "ip_family" and fields.where.get(key) == where:
            wanted = 4 if fields.values[key] == "inet" else 6
            if family is not None and wanted != family:
                ctx.error(
                    f"Virtual server specified family {child.args[0]} conflicts with server family",
                    child,
                    key,
                )
                del fields.values[key]
            else:
                family = wanted
        elif key == "persistence_granularity" and fields.where.get(key) == where:
            if not _granularity_ok(ctx, child, family):
                del fields.values[key]
            elif family is None:
                # keepalived takes the service's family from the granularity's form
                family = 4 if "." in child.args[0] else 6
        elif key in ("lb_kind", "lvs_method") and fields.where.get("lvs_method") == where:
            method = fields.values["lvs_method"].kind
        elif key == "real_server":
            family = _real_server_family(ctx, child, fields, family, method)
        elif key == "smtp_alert":
            _rename(
                ctx,
                node,
                where,
                "Invalid smtp_alert parameter",
                "Invalid virtual_server smtp_alert parameter",
            )
    # the repeated-script lines name the service's group ("(null)" without one)
    group = head.get("group") or "(null)"
    for i in _block_tail(ctx, node):
        found = ctx.diagnostics[i]
        if found.message.startswith(_REPEATS):
            ctx.diagnostics[i] = dataclasses.replace(found, message=f"({group}) {found.message}")


def _real_server_family(ctx: Ctx, node: Node, fields: Fields, family: int | None, method: str) -> int | None:
    """keepalived gives a service with no family yet its first real server's; a real server of the
    other family is reported at its block's end and skipped; a tunnelled one (its own method, else
    the service's as read so far) may be of either family and sets none (checked against
    keepalived 2.2.7)."""
    where = node.line.location
    servers = fields.values.get("real_servers", ())
    server = next((rs for rs in servers if rs.location == where), None)
    if server is None or (server.lvs_method.kind if server.lvs_method else method) == "TUN":
        return family
    if family is None:
        return int(server.address.version)
    if server.address.version != family:
        ctx.error(
            f"Address family of virtual server and real server {server.address} don't match"
            " - skipping real server.",
            node.end or where,
            "real_server",
        )
        fields.values["real_servers"] = type(servers)(rs for rs in servers if rs is not server)
    return family


def _block_tail(ctx: Ctx, node: Node) -> list[int]:
    """The indexes of the diagnostics the block just read gave (the list's tail, located in it)."""
    start = node.line.location
    end = node.end or start
    found: list[int] = []
    i = len(ctx.diagnostics) - 1
    while i >= 0:
        where = ctx.diagnostics[i].location
        if where is None or where.file != start.file or not start.line <= where.line <= end.line:
            break
        found.append(i)
        i -= 1
    return found


def _rename(ctx: Ctx, node: Node, where: object, generic: str, named: str) -> None:
    """Give a generic value parser's message at `where` (in the block just read) the words
    keepalived's handler uses."""
    for i in _block_tail(ctx, node):
        found = ctx.diagnostics[i]
        if found.location == where and found.message.startswith(generic):
            ctx.diagnostics[i] = dataclasses.replace(found, message=named + found.message[len(generic) :])


def _granularity_ok(ctx: Ctx, node: Node, family: int | None) -> bool:
    word = node.args[0]
    if family is None:
        family = 4 if "." in word else 6
    if family == 6:
        if word.isdigit() and 1 <= int(word) <= 128:
            return True
        if not word.isdigit():
            ctx.error(f"invalid number '{word}'", node, node.keyword)
        ctx.error(f"Invalid IPv6 persistence_granularity specified - {word}", node, node.keyword)
        return False
    # Any mask, solid or not: keepalived 2.2.7 passes it to IPVS as written.
    if parse_ipv4_quad(word) is None:
        ctx.error(f"Invalid IPv4 persistence_granularity specified - {word}", node, node.keyword)
        return False
    return True


def build_real_server(ctx: Ctx, node: Node, fields: Fields) -> Any:
    args = node.args
    if not args:
        ctx.missing(node)
        return INVALID
    address = parse_ip(args[0])
    if address is None:
        ctx.error(f"Invalid real server address {args[0]}", node, "real_server")
        return INVALID
    port = None
    if len(args) > 1:
        port = _port(ctx, node, args[1])
        if port is None:
            return INVALID
    _connect_families(ctx, node, address, fields)
    for child in node.children or ():
        if child.keyword == "smtp_alert":
            generic = "Invalid smtp_alert parameter"
            _rename(ctx, node, child.line.location, generic, "Invalid real_server smtp_alert parameter")
    return model.RealServer(address=address, port=port, location=node.line.location, **fields.values)


def _connect_families(ctx: Ctx, node: Node, address: model.IPAddress, fields: Fields) -> None:
    """A checker connects to its real server's address unless told otherwise; keepalived skips a
    connect_ip or bindto of the other family, in the order it reads them."""
    built = {c.location: c for c in fields.get("checkers", ())}
    checkers = []
    for child in node.children or ():
        checker = built.get(child.line.location)
        if checker is None:
            continue
        dst: int | None = address.version
        bind: int | None = None
        changes: dict[str, None] = {}
        for line in child.children or ():
            found = parse_ip(line.args[0]) if line.args else None
            if found is None:
                continue
            if line.keyword == "connect_ip":
                if bind is not None and bind != found.version:
                    message = (
                        f"connect_ip address {line.args[0]} does not match address family of bindto"
                        " - skipping"
                    )
                    ctx.error(message, line, line.keyword)
                    changes["connect_ip"] = None
                    dst = None
                else:
                    dst = found.version
            elif line.keyword == "bindto":
                if dst is not None and dst != found.version:
                    message = (
                        f"bindto address {line.args[0]} does not match address family of connect_ip"
                        " - skipping"
                    )
                    ctx.error(message, line, line.keyword)
                    changes["bindto"] = None
                    bind = None
                else:
                    bind = found.version
        checkers.append(dataclasses.replace(checker, **changes) if changes else checker)
    if "checkers" in fields:
        fields.values["checkers"] = tuple(checkers)


def checker_builder(kind: str) -> Any:
    """The builder of one checker block: the keyword's own class from the registry."""
    cls = model_check.CHECKER_TYPES[kind]

    def build(ctx: Ctx, node: Node, fields: Fields) -> Any:
        if not _complete(ctx, node, fields):
            return INVALID
        return cls(location=node.line.location, **fields.values)

    return build


def _complete(ctx: Ctx, node: Node, fields: Fields) -> bool:
    """The checks keepalived makes as a checker's block ends (at its `}`); False drops it."""
    end = node.end or node
    kind = node.keyword
    if kind in ("HTTP_GET", "SSL_GET") and not fields.get("url"):
        ctx.error("HTTP/SSL_GET checker has no urls specified - ignoring", end, kind)
        return False
    if kind == "MISC_CHECK" and fields.get("misc_path") is None:
        ctx.error("No script path has been specified for MISC_CHECKER - skipping", end, kind)
        return False
    if kind == "FILE_CHECK":
        name = fields.get("track_file")
        # keepalived looks the file up as it reads the line: it must be defined earlier
        if name is not None and name not in ctx.memo.get("track_files", ()):
            ctx.error(f"track_file {name} not found", fields.where["track_file"], kind)
            del fields.values["track_file"]
        if fields.get("track_file") is None:
            ctx.error("FILE_CHECK has no track_file specified - ignoring", end, kind)
            return False
    return True


def build_url(ctx: Ctx, node: Node, fields: Fields) -> Any:
    if "path" not in fields:
        # checked as the url block ends
        ctx.error("HTTP/SSL_GET checker url has no path - ignoring", node.end or node, "url")
        return INVALID
    return model_check.UrlCheck(location=node.line.location, **fields.values)


def build_smtp_host(ctx: Ctx, node: Node, fields: Fields) -> Any:
    del ctx, node
    known = {f.name for f in dataclasses.fields(model_check.SmtpHost)}
    return model_check.SmtpHost(**{k: v for k, v in fields.values.items() if k in known})


def build_ssl(ctx: Ctx, node: Node, fields: Fields) -> Any:
    del ctx, node
    return model.SslConfig(**fields.values)


def build_vsg(ctx: Ctx, node: Node, fields: Fields) -> Any:
    if not node.args:
        ctx.missing(node)
        return INVALID
    name = node.args[0]
    entries: tuple[model.VsgEntry, ...] = fields.get("entries", ())
    families = {e.first.version for e in entries if e.first is not None}
    where = node.end or node
    # keepalived checks the group as its block ends, and drops it
    if not entries:
        ctx.error(f"virtual server group {name} has no entries - removing", where)
        return INVALID
    if families == {4, 6} and any(e.fwmark is not None and e.family is None for e in entries):
        ctx.error(
            f"virtual server group {name} cannot have IPv4, IPv6 and fwmark without family - removing", where
        )
        return INVALID
    return model.VirtualServerGroup(name=name, entries=entries, location=node.line.location)


def vsg_entry(ctx: Ctx, node: Node) -> Any:
    """`IP [PORT]`, `IP-LAST [PORT]`, `IP-IP [PORT]`, `IP/NN [PORT]`, `fwmark N [inet|inet6]`."""
    tokens = node.line.tokens
    if tokens[0] == "fwmark":
        if len(tokens) < 2:
            ctx.error("fwmark requires a mark", node)
            return INVALID
        mark = read_int(ctx, node, tokens[1], 0, 2**32 - 1)
        if not isinstance(mark, int):
            return INVALID
        family = {"inet": 4, "inet6": 6}.get(tokens[2]) if len(tokens) > 2 else None
        return model.VsgEntry(fwmark=mark, family=family, location=node.line.location)
    spec = tokens[0]
    # a port of all zeros is no port (keepalived's legacy form)
    port_word = tokens[1] if len(tokens) > 1 and tokens[1].strip("0") else None
    base = re.split(r"[-/]", spec, maxsplit=1)[0]
    first = parse_ip(base)
    port = None
    if port_word is not None:
        port = int(port_word) if port_word.isdigit() and int(port_word) <= 65535 else None
    # keepalived takes the family from the whole word: a ':' anywhere makes it IPv6
    if first is not None and first.version == 4 and ":" in spec:
        first = None
    if first is None or (port_word is not None and port is None):
        shown = f"/port/{port_word}" if port_word is not None else ""
        ctx.error(f"Invalid virtual server group IP address {spec} {shown} - skipping", node)
        return INVALID
    last = _vsg_last(ctx, node, spec, first)
    if last is None:
        return INVALID
    return model.VsgEntry(first=first, last=last, port=port, location=node.line.location)


def _vsg_last(ctx: Ctx, node: Node, spec: str, first: model.IPAddress) -> model.IPAddress | None:
    """The range's last address, as keepalived's alloc_vsg_entry reads it (None: skipped)."""
    bits = first.max_prefixlen
    if "/" in spec:
        mask_word = spec.split("/", 1)[1]
        mask = int(mask_word) if mask_word.isdigit() else 0
        if not 0 < mask <= bits:
            ctx.error(f"Invalid netmask - {spec} - skipping", node)
            return None
        host = (1 << (bits - mask)) - 1
        if int(first) & host:
            ctx.error(f"Address mask bits not empty - {spec} - skipping", node)
            return None
        return type(first)(int(first) | host)
    if "-" not in spec:
        return first
    end = spec.split("-", 1)[1]
    if ("." if first.version == 4 else ":") in end:
        last = parse_ip(end)
        if last is None:
            ctx.error(f"Invalid range end {spec} - skipping", node)
            return None
        if last.version != first.version:
            ctx.error(f"Range address families do not match {spec} - skipping", node)
            return None
        if int(last) < int(first):
            ctx.error(f"Address range end is less than address range start - {spec} - skipping", node)
            return None
        return last
    digits = re.match(r"[0-9a-fA-F]*" if first.version == 6 else r"[0-9]*", end)
    number = digits.group(0) if digits else ""
    value = int(number, 16 if first.version == 6 else 10) if number else 0
    if number != end:
        ctx.error(
            f"Virtual server group range '{spec}' has extra characters at end '{end[len(number) :]}'", node
        )
        return None  # keepalived -t then skips the entry (its daemon would take the digits)
    if value > (0xFFFF if first.version == 6 else 0xFF):
        ctx.error(f"Virtual server group range '{spec}' end '{end}' too large", node)
        return None
    low = 0xFFFF if first.version == 6 else 0xFF
    if (int(first) & low) >= value:
        ctx.error(f"Address range end is not greater than address range start - {spec} - skipping", node)
        return None
    return type(first)((int(first) & ~low) | value)


@required
def lb_algo(ctx: Ctx, node: Node) -> Any:
    word = node.args[0] if node.args else ""
    if word not in LB_ALGOS:
        ctx.error(f"Invalid lvs_scheduler '{word}' - ignoring", node, node.keyword)
        return INVALID
    return Set({"lb_algo": word, "lb_algo_set": True})


def lvs_method(server: str) -> Any:
    """`NAT|DR|TUN [type ipip|gue port N|gre] [nocsum|csum|remcsum]` of a virtual, real or
    sorry server (keepalived names which in its messages)."""

    @required
    def parse(ctx: Ctx, node: Node) -> Any:
        args = node.args
        if args[0] not in ("NAT", "DR", "TUN"):
            ctx.error(f"PARSER : unknown [{args[0]}] routing method for {server} server.", node, node.keyword)
            return INVALID
        opts: dict[str, Any] = {"kind": args[0]}
        i = 1
        while i < len(args):
            word = args[i]
            if word == "type":
                if i + 1 >= len(args):
                    ctx.error(f"Missing tunnel type for {server} server.", node, node.keyword)
                    return model.LvsMethod(kind=args[0])
                if args[i + 1] not in ("ipip", "gue", "gre"):
                    ctx.error(f"Unknown tunnel type {args[i + 1]} for {server} server.", node, node.keyword)
                    return model.LvsMethod(kind=args[0])
                opts["tun_type"] = args[i + 1]
                i += 2
                continue
            if word == "port":
                if i + 1 >= len(args):
                    ctx.error(f"Missing port for {server} server gue tunnel.", node, node.keyword)
                    return model.LvsMethod(kind=args[0])
                word = args[i + 1]
                if not (word.isdigit() and 1 <= int(word) <= 65535):
                    ctx.error(f"Invalid gue tunnel port {word} for {server} server.", node, node.keyword)
                    return model.LvsMethod(kind=args[0])
                opts["tun_port"] = int(word)
                i += 2
                continue
            if word not in ("nocsum", "csum", "remcsum"):
                ctx.error(f"Invalid tunnel option {word} for {server} server.", node, node.keyword)
                return model.LvsMethod(kind=args[0])
            opts["tun_csum"] = word
            i += 1
        # keepalived has set the forwarding method before it checks the tunnel's options
        tun_type = opts.get("tun_type", "ipip")
        csum = opts.get("tun_csum", "nocsum")
        if (tun_type == "gue") != ("tun_port" in opts):
            ctx.error("gue tunnels require port, otherwise cannot have port.", node, node.keyword)
            return model.LvsMethod(kind=args[0])
        if tun_type == "ipip" and csum != "nocsum":
            ctx.error("ipip tunnels do not support checksum option.", node, node.keyword)
            return model.LvsMethod(kind=args[0])
        if tun_type == "gre" and csum == "remcsum":
            ctx.error("gre tunnels do not support remote checksum option.", node, node.keyword)
            return model.LvsMethod(kind=args[0])
        return model.LvsMethod(**opts)

    return parse


@required
def protocol(ctx: Ctx, node: Node) -> Any:
    word = node.args[0].upper() if node.args else ""
    if word not in ("TCP", "UDP", "SCTP"):
        ctx.error(f"Unknown protocol {node.args[0] if node.args else ''} - ignoring", node, "protocol")
        return INVALID
    return Set({"protocol": word, "protocol_set": True})


def persistence_timeout(ctx: Ctx, node: Node) -> Any:
    if not node.args:
        return 360
    return read_int(ctx, node, node.args[0], 1, 31 * 24 * 3600)


@required
def sorry_server(ctx: Ctx, node: Node) -> Any:
    args = node.args
    address = parse_ip(args[0]) if args else None
    if address is None:
        ctx.error("Invalid sorry_server address", node, "sorry_server")
        return INVALID
    port = None
    if len(args) > 1:
        port = _port(ctx, node, args[1])
        if port is None:
            return INVALID
    return model.SorryServer(address=address, port=port)


def status_code(ctx: Ctx, node: Node) -> Any:
    """`status_code CODE|LOW-HIGH ...`, each within 100-599; a bad one is reported and skipped."""
    ranges: list[tuple[int, int]] = []
    for word in node.args:
        found = re.fullmatch(r"([0-9]+)(?:-([0-9]+))?", word)
        low = int(found.group(1)) if found else 0
        high = int(found.group(2)) if found and found.group(2) else low
        if not 100 <= low <= high <= 599:
            ctx.error(f"Invalid HTTP_GET status code '{word}'", node, "status_code")
            continue
        ranges.append((low, high))
    if not node.args:
        ctx.error("status_code requires a parameter", node)
        return INVALID
    return tuple(ranges) if ranges else INVALID


@required
def digest(ctx: Ctx, node: Node) -> Any:
    """32 hex digits; keepalived reads the pairs from the last one and names the first bad one
    with the text up to it."""
    word = node.args[0]
    if len(word) != 32:
        ctx.error(f"digest '{word}' character length should be 32 rather than {len(word)}", node, "digest")
        return INVALID
    for i in range(15, -1, -1):
        pair = word[2 * i : 2 * i + 2]
        if not _HEX_PAIR.fullmatch(pair):
            shown = word[: 2 * i + 2]
            ctx.error(
                f"Unable to interpret hex digit in '{shown}' at offset {2 * i}/{2 * i + 1}", node, "digest"
            )
            return INVALID
    return word.lower()


# strtoul's view of two characters: hex digits, maybe after a sign
_HEX_PAIR = re.compile(r"[+-]?[0-9a-fA-F]{1,2}")


def http_protocol(ctx: Ctx, node: Node) -> Any:
    if not node.args:
        ctx.error("Missing http_protocol version", node, "http_protocol")
        return INVALID
    word = node.args[0]
    if word not in ("1.0", "1.0C", "1.0c", "1.1"):
        ctx.error(f"Invalid http_protocol version {word}", node, "http_protocol")
        return INVALID
    return word.upper()


@required
def dns_type(ctx: Ctx, node: Node) -> Any:
    word = node.args[0].upper()
    if word not in ("A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA", "RRSIG", "DNSKEY"):
        ctx.error(f"Unknown DNS check type {node.args[0]} - ignoring", node, "type")
        return INVALID
    return word


def hex_words(ctx: Ctx, node: Node) -> Any:
    """`require_reply [HEX ...]`: the hex words joined ("" when bare, to tell it from absent)."""
    text = " ".join(node.args)
    if text and not _valid_hex(text, wildcards=True):
        ctx.error("Invalid hex string for UDP_CHECK reply", node, node.keyword)
        return ""  # keepalived still requires a reply, of any content
    return text


def hex_payload(ctx: Ctx, node: Node) -> Any:
    text = " ".join(node.args)
    if not _valid_hex(text, wildcards=False):
        ctx.error("Invalid hex string for UDP_CHECK payload", node, node.keyword)
        return INVALID
    return text


def _valid_hex(text: str, *, wildcards: bool) -> bool:
    """keepalived's read_hex_str: hex digits (X: any nibble, in a reply), spaces between bytes."""
    digits = "0123456789abcdefABCDEF" + ("xX" if wildcards else "")
    words = text.split()
    return bool(words) and all(c in digits for w in words for c in w)


@required
def ip_family(ctx: Ctx, node: Node) -> Any:
    word = node.args[0] if node.args else ""
    if word not in ("inet", "inet6"):
        ctx.error(f"Unknown ip_family '{word}'", node, "ip_family")
        return INVALID
    return word


@required
def connect_port(ctx: Ctx, node: Node) -> Any:
    value = read_int(ctx, node, node.args[0], 1, 65535)
    if not isinstance(value, int):
        ctx.error(f"Invalid checker connect_port '{node.args[0]}'", node, node.keyword)
        return INVALID
    return value
