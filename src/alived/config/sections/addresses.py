"""Entry grammar shared by VIPs, static addresses, virtual/static routes and rules (facts 2.10)."""

from __future__ import annotations

import ipaddress
from typing import Any

from alived.config.model import AddressEntry as Address
from alived.config.model import IPInterface, IPNetwork, Nexthop, RouteEntry, RuleEntry
from alived.config.sections.common import INVALID, Ctx, parse_interface, parse_ip, read_int
from alived.config.tree import Node

_SCOPES = frozenset({"site", "link", "host", "nowhere", "global"})


def _need(ctx: Ctx, node: Node, tokens: tuple[str, ...], i: int, what: str) -> str | None:
    """The parameter after tokens[i]; keepalived reads it unchecked, so its absence is fatal."""
    del what
    if i + 1 >= len(tokens):
        ctx.missing(node, i + 2)
        return None
    return tokens[i + 1]


def _full_length(ctx: Ctx, node: Node, word: str) -> IPInterface | None:
    """keepalived keeps an address whose prefix length is too long, as a host address, and says so."""
    ip, _, length = word.partition("/")
    host = parse_interface(ip)
    if host is None or not length.isdigit():
        return None
    bits = host.max_prefixlen
    if int(length) <= bits:
        return None
    ctx.error(f"number '{length}' outside range [0, {bits}]", node, "virtual_ipaddress")
    ctx.error(f"Invalid address prefix len {length} for address {word} - using {bits}", node)
    return host


def address_entry(ctx: Ctx, node: Node, *, static: bool = False, vip: bool = True) -> Address | Any:
    """`IP[/MASK] [dev IF] [scope S] [brd IP|-|+] [label L] [peer IP] ...`, one line of a VIP block."""
    tokens = node.line.tokens
    first = tokens[0]
    address = parse_interface(first) or _full_length(ctx, node, first)
    if address is None:
        ctx.error(f"VRRP parsed invalid IP {first}. skipping IP...", node, "virtual_ipaddress")
        return INVALID
    opts: dict[str, Any] = {}
    i = 1
    while i < len(tokens):
        word = tokens[i]
        if word in ("dev", "scope", "brd", "broadcast", "label", "peer", "preferred_lft", "track_group"):
            if i + 1 >= len(tokens):
                # keepalived's address parser checks this one (unlike routes and rules).
                ctx.error(f"No {word} parameter specified for {first}", node)
                return INVALID
            value = tokens[i + 1]
            if word == "scope" and value not in _SCOPES and not value.isdigit():
                ctx.error(f"Invalid scope '{value}' specified for {first} - ignoring", node)
                i += 2
                continue
            if word == "peer":
                peer = parse_interface(value)
                if peer is None:
                    ctx.error(f"Invalid peer address {value}", node)
                    return INVALID
                opts["peer"] = peer
            elif word == "track_group" and not static:
                ctx.error(f"track_group {value} is only valid for static addresses", node)
            elif word == "preferred_lft":
                if value != "forever" and not value.isdigit():
                    ctx.error(f"Invalid preferred_lft '{value}'", node)
                else:
                    opts["preferred_lft"] = value
            else:
                opts["brd" if word == "broadcast" else word] = value
            i += 2
            continue
        if word in ("home", "mngtmpaddr", "noprefixroute", "autojoin", "no_track"):
            opts[word] = True
        elif word == "-nodad":
            opts["nodad"] = True
        elif word == "use_vmac" and vip:
            opts["use_vmac"] = True
        else:
            ctx.error(f"Unknown configuration entry '{word}' for ip address - ignoring", node)
        i += 1
    return Address(address=address, location=node.line.location, written=first, **opts)


def static_address_entry(ctx: Ctx, node: Node) -> Address | Any:
    return address_entry(ctx, node, static=True, vip=False)


_ROUTE_TYPES = frozenset(
    {
        "unicast",
        "local",
        "broadcast",
        "anycast",
        "multicast",
        "blackhole",
        "unreachable",
        "prohibit",
        "throw",
        "nat",
        "xresolve",
    }
)
_ROUTE_VALUE_OPTS = frozenset(
    {
        "hoplimit",
        "advmss",
        "rtt",
        "rttvar",
        "reordering",
        "window",
        "cwnd",
        "ssthresh",
        "realms",
        "rto_min",
        "initcwnd",
        "initrwnd",
        "features",
        "pref",
        "ttl-propagate",
        "as",
        "vrf",
        "expires",
    }
)
_ROUTE_LOCKABLE = frozenset({"mtu", "congctl"})
_ROUTE_FLAGS = frozenset({"quickack", "fastopen_no_cookie", "add", "prepend", "append", "inet", "inet6"})


def _network(word: str) -> IPNetwork | None:
    if word == "default":
        return ipaddress.IPv4Network("0.0.0.0/0")
    try:
        return ipaddress.ip_network(word, strict=False)
    except ValueError:
        return None


def route_entry(ctx: Ctx, node: Node) -> RouteEntry | Any:
    """One route line, modelled on `ip route add`."""
    tokens = node.line.tokens
    opts: dict[str, Any] = {}
    extra: list[tuple[str, str]] = []
    nexthops: list[Nexthop] = []
    dst: IPNetwork | None = None
    value: str | None
    i = 0
    if tokens and tokens[0] in _ROUTE_TYPES:
        opts["type"] = tokens[0]
        i = 1
        if len(tokens) == 1:
            ctx.missing(node, 2)  # keepalived reads the destination after the type unchecked
            return INVALID
    while i < len(tokens):
        word = tokens[i]
        if word in ("via", "gw", "or"):
            if word == "gw":
                ctx.warning('"gw" for routes is deprecated. Please use "via"', node, "gw")
            if word == "or":
                ctx.warning('"or" for routes is deprecated. Please use "nexthop"', node, "or")
            j = i + 1
            if j < len(tokens) and tokens[j] in ("inet", "inet6"):
                j += 1
            if j >= len(tokens):
                ctx.missing(node, j + 1)
                return INVALID
            gateway = parse_ip(tokens[j])
            if gateway is None:
                ctx.error(f"Invalid route via address {tokens[j]}", node)
                return INVALID
            if word == "or":
                nexthops.append(Nexthop(via=gateway))
            else:
                opts["via"] = gateway
            i = j + 1
            continue
        if word == "nexthop":
            hop: dict[str, Any] = {}
            i += 1
            while i < len(tokens) and tokens[i] in ("via", "dev", "weight", "onlink", "realms", "encap"):
                sub = tokens[i]
                if sub == "onlink":
                    hop["onlink"] = True
                    i += 1
                    continue
                if i + 1 >= len(tokens):
                    ctx.missing(node, i + 2)
                    return INVALID
                value = tokens[i + 1]
                if sub == "via":
                    gateway = parse_ip(value)
                    if gateway is None:
                        ctx.error(f"Invalid nexthop address {value}", node)
                        return INVALID
                    hop["via"] = gateway
                elif sub == "dev":
                    hop["dev"] = value
                elif sub == "weight" and value.isdigit():
                    hop["weight"] = int(value)
                i += 2
            nexthops.append(Nexthop(**hop))
            continue
        if word in (
            "src",
            "dev",
            "oif",
            "table",
            "protocol",
            "proto",
            "scope",
            "tos",
            "dsfield",
            "track_group",
        ):
            value = _need(ctx, node, tokens, i, word)
            if value is None:
                return INVALID
            if word == "src":
                source = parse_ip(value)
                if source is None:
                    ctx.error(f"Invalid route source address {value}", node)
                    return INVALID
                opts["src"] = source
            else:
                key = {"oif": "dev", "proto": "protocol", "dsfield": "tos"}.get(word, word)
                opts[key] = value
            i += 2
            continue
        if word in ("metric", "priority", "preference"):
            value = _need(ctx, node, tokens, i, word)
            if value is None or not value.isdigit():
                ctx.error(f"Invalid route metric {value}", node)
                return INVALID
            opts["metric"] = int(value)
            i += 2
            continue
        if word in _ROUTE_LOCKABLE:
            j = i + 1
            if j < len(tokens) and tokens[j] == "lock":
                j += 1
            if j >= len(tokens):
                ctx.missing(node, j + 1)
                return INVALID
            extra.append((word, tokens[j]))
            i = j + 1
            continue
        if word in _ROUTE_VALUE_OPTS:
            value = _need(ctx, node, tokens, i, word)
            if value is None:
                return INVALID
            extra.append((word, value))
            i += 2
            continue
        if word == "encap":
            # encap TYPE ARG...: keep the type and its first argument; details are the kernel's business.
            value = _need(ctx, node, tokens, i, word)
            if value is None:
                return INVALID
            extra.append(("encap", " ".join(tokens[i + 1 : i + 3])))
            i += 3
            continue
        if word == "onlink":
            opts["onlink"] = True
            i += 1
            continue
        if word == "no_track":
            opts["no_track"] = True
            i += 1
            continue
        if word in _ROUTE_FLAGS:
            extra.append((word, ""))
            i += 1
            continue
        if word == "to":
            i += 1
            continue
        if dst is None:
            dst = _network(word)
            if dst is None:
                ctx.error(f"VRRP parsed invalid IP {word}. skipping IP...", node)
                ctx.error(f"Invalid route destination {word}", node)
                return INVALID
            i += 1
            continue
        ctx.error(f"unknown route keyword {word}", node)
        i += 1
    if dst is None:
        ctx.error("No destination specified for route", node)
        return INVALID
    return RouteEntry(
        dst=dst, nexthops=tuple(nexthops), options=tuple(extra), location=node.line.location, **opts
    )


_RULE_VALUE_OPTS = frozenset(
    {
        "tos",
        "dsfield",
        "fwmark",
        "realms",
        "suppress_prefixlength",
        "sup_pl",
        "suppress_ifgroup",
        "sup_group",
        "dev",
        "iif",
        "oif",
        "tunnel-id",
        "uidrange",
        "protocol",
        "ipproto",
        "sport",
        "dport",
        "goto",
        "type",
    }
)


def rule_entry(ctx: Ctx, node: Node) -> RuleEntry | Any:
    """One rule line, modelled on `ip rule add`."""
    tokens = node.line.tokens
    opts: dict[str, Any] = {}
    extra: list[tuple[str, str]] = []
    i = 0
    while i < len(tokens):
        word = tokens[i]
        if word in ("inet", "inet6"):
            opts["family"] = 4 if word == "inet" else 6
            i += 1
            continue
        if word in ("from", "to"):
            value = _need(ctx, node, tokens, i, word)
            if value is None:
                return INVALID
            network = None if value == "all" else _network(value)
            if network is None and value != "all":
                ctx.error(f"VRRP parsed invalid IP {value}. skipping IP...", node)
                ctx.error(f"Invalid rule {word} address {value}", node)
                return INVALID
            opts["from_" if word == "from" else "to"] = network
            i += 2
            continue
        if word in ("table", "lookup"):
            value = _need(ctx, node, tokens, i, word)
            if value is None:
                return INVALID
            opts["table"] = value
            i += 2
            continue
        if word in ("preference", "order", "priority", "pref", "prio"):
            value = _need(ctx, node, tokens, i, word)
            if value is None or not value.isdigit():
                ctx.error(f"Invalid rule preference {value}", node)
                return INVALID
            opts["preference"] = int(value)
            i += 2
            continue
        if word == "track_group":
            value = _need(ctx, node, tokens, i, word)
            if value is None:
                return INVALID
            opts["track_group"] = value
            i += 2
            continue
        if word == "protocol":
            value = _need(ctx, node, tokens, i, word)
            if value is None:
                return INVALID
            # a rule's protocol is a plain decimal number to keepalived (no names, no hex); a bad
            # one is reported and left out, the rule itself kept
            if read_int(ctx, node, value, 0, 255) is INVALID:
                ctx.error(f"Invalid protocol {value}", node)
            else:
                extra.append((word, value))
            i += 2
            continue
        if word in _RULE_VALUE_OPTS:
            value = _need(ctx, node, tokens, i, word)
            if value is None:
                return INVALID
            extra.append((word, value))
            i += 2
            continue
        if word in ("l3mdev", "nop", "no_track", "blackhole", "unreachable", "prohibit"):
            if word == "no_track":
                opts["no_track"] = True
            else:
                opts["action"] = word
            i += 1
            continue
        ctx.error(f"Unknown rule option {word}", node)
        i += 1
    if untrackable_protocol(dict(extra).get("protocol"), bool(opts.get("no_track"))):
        ctx.error(UNTRACKABLE.format(what="Rule"), node)
        extra = [(k, v) for k, v in extra if k != "protocol"]
    if "preference" not in opts:
        opts["preference"] = _auto_preference(ctx, node, _rule_family(opts))
    return RuleEntry(options=tuple(extra), location=node.line.location, **opts)


def _rule_family(opts: dict[str, Any]) -> int:
    if "family" in opts:
        return int(opts["family"])
    for key in ("from_", "to"):
        if opts.get(key) is not None:
            return int(opts[key].version)
    return 4


def _auto_preference(ctx: Ctx, node: Node, family: int) -> int:
    """keepalived numbers the rules written without a preference as it reads them, in file order
    across static_rules and every instance's virtual_rules, one count per address family, down
    from 16384 (checked against keepalived 2.2.7)."""
    counters: dict[int, int] = ctx.memo.setdefault("rule_preference", {4: 16384, 6: 16384})
    pref = counters[family]
    counters[family] = pref - 1
    ctx.warning(
        f"Rule has no preference specified - setting to {pref}. This is probably not what you want.", node
    )
    return pref


def untrackable_protocol(protocol: str | None, no_track: bool) -> bool:
    """keepalived tracks its routes and rules by their protocol (18, RTPROT_KEEPALIVED): another one
    is kept only with no_track, else reset with UNTRACKABLE (checked against keepalived 2.2.7,
    static entries too)."""
    if protocol is None or no_track or protocol == "keepalived":
        return False
    return not (protocol.isdigit() and int(protocol) == 18)


UNTRACKABLE = "{what} cannot be tracked if protocol is not RTPROT_KEEPALIVED(18), resetting protocol"
