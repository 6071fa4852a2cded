"""Checker-side blocks: virtual_server_group, virtual_server, real_server, the checkers, url, SSL."""

from __future__ import annotations

import dataclasses
import ipaddress
from typing import Any

from alived.config import model, model_check
from alived.config.sections.common import INVALID, Ctx, Fields, Set, parse_ip, read_int, required
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
    return model.VirtualServer(
        location=node.line.location, lvs_method_set="lvs_method" in fields, **head, **fields.values
    )


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
    return model.RealServer(address=address, port=port, location=node.line.location, **fields.values)


def checker_builder(kind: str) -> Any:
    """The builder of one checker block: the keyword's own class from the registry."""
    cls = model_check.CHECKER_TYPES[kind]

    def build(ctx: Ctx, node: Node, fields: Fields) -> Any:
        del ctx
        return cls(location=node.line.location, **fields.values)

    return build


def build_url(ctx: Ctx, node: Node, fields: Fields) -> Any:
    if "path" not in fields:
        ctx.error("url has no path - ignoring", node, "url")
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
    return model.VirtualServerGroup(
        name=node.args[0], entries=fields.get("entries", ()), location=node.line.location
    )


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
    first: model.IPAddress | None
    last: model.IPAddress | None
    if "/" in spec:
        try:
            net = ipaddress.ip_network(spec, strict=False)
        except ValueError:
            ctx.error(f"Invalid virtual server group IP address {spec} - skipping", node)
            return INVALID
        first, last = net.network_address, net.broadcast_address
    elif "-" in spec:
        base, _, end = spec.partition("-")
        first = parse_ip(base)
        last = parse_ip(end)
        if first is not None and last is None:
            # `IP-LAST`: the last octet (IPv4) or last hextet (IPv6) of the range's end.
            try:
                if first.version == 4:
                    last = ipaddress.IPv4Address((int(first) & ~0xFF) | int(end, 10))
                else:
                    last = ipaddress.IPv6Address((int(first) & ~0xFFFF) | int(end, 16))
            except ValueError:
                last = None
        if first is None or last is None or first.version != last.version or int(last) < int(first):
            ctx.error(f"Invalid virtual server group IP range {spec} - skipping", node)
            return INVALID
    else:
        first = last = parse_ip(spec)
        if first is None:
            ctx.error(f"Invalid virtual server group IP address {spec} - skipping", node)
            return INVALID
    port = None
    if len(tokens) > 1:
        port = _port(ctx, node, tokens[1])
        if port is None:
            return INVALID
    return model.VsgEntry(first=first, last=last, port=port, location=node.line.location)


@required
def lb_algo(ctx: Ctx, node: Node) -> Any:
    word = node.args[0] if node.args else ""
    if word not in LB_ALGOS:
        ctx.error(f"Invalid lvs_scheduler '{word}' - ignoring", node, node.keyword)
        return INVALID
    return Set({"lb_algo": word, "lb_algo_set": True})


@required
def lvs_method(ctx: Ctx, node: Node) -> Any:
    """`NAT|DR|TUN [type ipip|gue port N|gre] [nocsum|csum|remcsum]`."""
    args = node.args
    if not args or args[0] not in ("NAT", "DR", "TUN"):
        ctx.error(f"Invalid lvs_method {args[0] if args else ''}", node, node.keyword)
        return INVALID
    opts: dict[str, Any] = {"kind": args[0]}
    i = 1
    while i < len(args):
        word = args[i]
        if word == "type" and i + 1 < len(args):
            opts["tun_type"] = args[i + 1]
            i += 2
            continue
        if word == "port" and i + 1 < len(args):
            port = _port(ctx, node, args[i + 1])
            if port is None:
                return INVALID
            opts["tun_port"] = port
            i += 2
            continue
        if word in ("nocsum", "csum", "remcsum"):
            opts["tun_csum"] = word
        else:
            ctx.error(f"Unknown lvs_method option '{word}'", node, node.keyword)
        i += 1
    return model.LvsMethod(**opts)


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
    ranges: list[tuple[int, int]] = []
    for word in node.args:
        lo, _, hi = word.partition("-")
        a = read_int(ctx, node, lo, 100, 999)
        b = read_int(ctx, node, hi, 100, 999) if hi else a
        if not isinstance(a, int) or not isinstance(b, int):
            return INVALID
        ranges.append((a, b))
    if not ranges:
        ctx.error("status_code requires a parameter", node)
        return INVALID
    return tuple(ranges)


@required
def digest(ctx: Ctx, node: Node) -> Any:
    word = node.args[0] if node.args else ""
    if len(word) != 32 or any(c not in "0123456789abcdefABCDEF" for c in word):
        ctx.error(f"digest '{word}' is not a valid MD5 hex string", node, "digest")
        return INVALID
    return word.lower()


def http_protocol(ctx: Ctx, node: Node) -> Any:
    word = node.args[0] if node.args else ""
    if word not in ("1.0", "1.0C", "1.0c", "1.1"):
        ctx.error(f"Invalid http_protocol '{word}'", node, "http_protocol")
        return INVALID
    return word.upper()


@required
def dns_type(ctx: Ctx, node: Node) -> Any:
    word = node.args[0].upper() if node.args else ""
    if word not in ("A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA"):
        ctx.error(f"Unknown DNS check type '{word}'", node, "type")
        return INVALID
    return word


def hex_words(ctx: Ctx, node: Node) -> Any:
    """`require_reply [HEX ...]`: the hex words joined ("" when bare, to tell it from absent)."""
    del ctx
    return " ".join(node.args)


@required
def ip_family(ctx: Ctx, node: Node) -> Any:
    word = node.args[0] if node.args else ""
    if word not in ("inet", "inet6"):
        ctx.error(f"Unknown ip_family '{word}'", node, "ip_family")
        return INVALID
    return word
