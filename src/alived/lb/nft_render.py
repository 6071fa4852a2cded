"""nftables text for the `inet alived` table, and the reverse: its JSON listing back to an LbState.

Pure (no libnftables here, so it is unit-tested without root). Layout of the table:

- `prerouting` (nat, priority dstnat): `ip daddr . meta l4proto . th dport vmap @services4`,
  the same for IPv6, and `meta mark vmap @fwmarks4|6` for fwmark services.
- per service `vs_<id>`: a named counter `vc_<id>`, one rule per persisted destination
  (`ip saddr & mask @ra_<rs> goto rs_<rs>`), then the dispatch rule into the map `vd_<id>`
  (`vm_<id>` for a Maglev table): rr/wrr `numgen inc mod W`, sh `jhash ip saddr`, dh
  `jhash ip daddr` (each over weight ranges), mh `jhash ip saddr mod M` over a Maglev
  table, fo a plain `goto` to the heaviest destination.
- per destination `rs_<rs>`: counter `rc_<rs>`, `update @ra_<rs>` when persistent, and the DNAT.

The first rule of each service and destination chain carries a comment describing it
(`alived vs ...` / `alived rs ...`): reading these back gives the actual state, so a restarted
backend reconciles instead of flushing. DNAT happens on a connection's first packet only, so a
destination leaving the pool (down, or weight 0) gets no new connection while conntrack keeps
its established ones flowing.

libnftables 1.0.6's JSON parser cannot declare `typeof` maps (it rejects "integer" as a map
key type), and numgen/jhash results are plain integers; so transactions are written as nft
script (one `cmd()` call, one kernel transaction) while reading uses the JSON listing.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from alived.core.lb.maglev import maglev_table, table_size
from alived.core.lb.model import Forwarding, LbState, RealServer, ServiceKey, VirtualService

TABLE = "alived"
FAMILY = "inet"
JHASH_SEED = 0x616C6976  # fixed, so a restarted backend hashes clients as before

# The nearest stateless behaviour nftables can give for each IPVS scheduler, and why.
NEAREST: dict[str, tuple[str, str]] = {
    "rr": ("rr", ""),
    "wrr": ("wrr", ""),
    "sh": ("sh", ""),
    "dh": ("dh", ""),
    "mh": ("mh", ""),
    "fo": ("fo", ""),
    "lc": ("wrr", "lc needs live connection counts; nftables has none: runs as wrr"),
    "wlc": ("wrr", "wlc needs live connection counts; nftables has none: runs as wrr"),
    "sed": ("wrr", "sed needs live connection counts; nftables has none: runs as wrr"),
    "nq": ("wrr", "nq needs live connection counts; nftables has none: runs as wrr"),
    "twos": ("wrr", "twos needs live connection counts; nftables has none: runs as wrr"),
    "lblc": ("dh", "lblc needs per-destination load; nftables has none: runs as dh"),
    "lblcr": ("dh", "lblcr needs per-destination load; nftables has none: runs as dh"),
    "ovf": ("fo", "ovf needs connection counts against weights; runs as fo"),
}
PROTO = {"TCP": "tcp", "UDP": "udp", "SCTP": "sctp"}


class RenderError(ValueError):
    """A desired service this backend cannot express (said before the kernel is asked)."""


def service_id(key: ServiceKey) -> str:
    return hashlib.sha1(f"{key.family}|{key}".encode(), usedforsecurity=False).hexdigest()[:12]


def dest_id(key: ServiceKey, rs: RealServer) -> str:
    text = f"{key.family}|{key}|{rs.address}|{rs.port}"
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:12]


def _ipfam(family: int) -> str:
    return "ip" if family == 4 else "ip6"


def _mask(vs: VirtualService) -> str:
    zero = "0.0.0.0" if vs.key.family == 4 else "::"
    net = ipaddress.ip_network(f"{zero}/{vs.persistence_granularity}")
    return str(net.netmask)


def _client(vs: VirtualService) -> str:
    return f"{_ipfam(vs.key.family)} saddr & {_mask(vs)}"


def base_script() -> str:
    """The table, the hook chain and the service maps (idempotent `add`s), and the hook rules."""
    t = f"{FAMILY} {TABLE}"
    return "\n".join(
        [
            f"add table {t}",
            f"add chain {t} prerouting {{ type nat hook prerouting priority dstnat; policy accept; }}",
            f"add map {t} services4 {{ type ipv4_addr . inet_proto . inet_service : verdict; }}",
            f"add map {t} services6 {{ type ipv6_addr . inet_proto . inet_service : verdict; }}",
            f"add map {t} fwmarks4 {{ type mark : verdict; }}",
            f"add map {t} fwmarks6 {{ type mark : verdict; }}",
            f"add rule {t} prerouting ip daddr . meta l4proto . th dport vmap @services4",
            f"add rule {t} prerouting ip6 daddr . meta l4proto . th dport vmap @services6",
            f"add rule {t} prerouting meta nfproto ipv4 meta mark vmap @fwmarks4",
            f"add rule {t} prerouting meta nfproto ipv6 meta mark vmap @fwmarks6",
            "",
        ]
    )


BASE_RULES = 4


def _service_element(key: ServiceKey) -> tuple[str, str]:
    """(map name, element key) of a service in the hook maps."""
    if key.fwmark:
        return (f"fwmarks{key.family}", str(key.fwmark))
    return (f"services{key.family}", f"{key.address} . {PROTO[key.protocol]} . {key.port}")


def _vs_comment(vs: VirtualService) -> str:
    k = vs.key
    flags = ",".join(sorted(vs.flags)) or "-"
    return (
        f"alived vs {k.family} {k.fwmark} {k.protocol or '-'} {k.address or '-'} {k.port} "
        f"{vs.lb_algo} {vs.forwarding} {vs.persistence_timeout} {vs.persistence_granularity} {flags}"
    )


def _rs_comment(vs: VirtualService, rs: RealServer) -> str:
    return f"alived rs {service_id(vs.key)} {rs.address} {rs.port} {rs.weight} {rs.forwarding}"


def map_kind(vs: VirtualService) -> str:
    """`interval` (weight ranges), `slots` (a Maglev table) or `none` (fo: a plain goto)."""
    algo = NEAREST[vs.lb_algo][0]
    if algo == "mh":
        return "slots"
    if algo == "fo":
        return "none"
    return "interval"


def map_name(vs: VirtualService) -> str:
    """The dispatch map's name; a Maglev table has its own, as a map cannot change flags in place."""
    prefix = "vm" if map_kind(vs) == "slots" else "vd"
    return f"{prefix}_{service_id(vs.key)}"


def dispatch_elements(vs: VirtualService) -> tuple[int, dict[str, str]]:
    """The modulus and the map elements (`"lo-hi"` or `"n"` -> chain) for the service's pool."""
    pool = vs.pool
    algo = NEAREST[vs.lb_algo][0]
    if not pool or algo == "fo":
        return (0, {})
    if algo == "mh":
        size = table_size(len(pool))
        table = maglev_table([str(rs) for rs in pool], [rs.weight for rs in pool], size)
        return (size, {str(slot): f"rs_{dest_id(vs.key, pool[i])}" for slot, i in enumerate(table)})
    elements: dict[str, str] = {}
    low = 0
    for rs in pool:
        width = 1 if algo == "rr" else rs.weight
        span = f"{low}" if width == 1 else f"{low}-{low + width - 1}"
        elements[span] = f"rs_{dest_id(vs.key, rs)}"
        low += width
    return (low, elements)


def _dispatch_rule(vs: VirtualService, modulus: int) -> str | None:
    pool = vs.pool
    if not pool:
        return None  # not DNATed: the packet goes on as if no service were there
    algo = NEAREST[vs.lb_algo][0]
    fam = _ipfam(vs.key.family)
    if algo == "fo":
        # IPVS fo: the available destination of highest weight (the first of equals).
        top = max(pool, key=lambda rs: rs.weight)
        return f"goto rs_{dest_id(vs.key, top)}"
    if algo in ("rr", "wrr"):
        return f"numgen inc mod {modulus} vmap @{map_name(vs)}"
    if algo == "dh":
        expr = f"{fam} daddr"
    else:
        port_flag = "sh-port" if algo == "sh" else "mh-port"
        expr = f"{fam} saddr . th sport" if port_flag in vs.flags else f"{fam} saddr"
    return f"jhash {expr} mod {modulus} seed {JHASH_SEED:#x} vmap @{map_name(vs)}"


def _dnat(vs: VirtualService, rs: RealServer) -> str:
    if rs.forwarding != Forwarding.NAT:
        raise RenderError(
            f"{rs} in {vs.key}: lb_kind {rs.forwarding} is not carried by the nftables NAT chain"
        )
    # nftables cannot translate between families: a real server of the other family makes
    # the transaction fail, and the backend reports that service's operations.
    fam = _ipfam(vs.key.family)
    addr = rs.address if rs.family == 4 else f"[{rs.address}]"
    if rs.port and not vs.key.fwmark:
        return f"meta l4proto {PROTO[vs.key.protocol]} dnat {fam} to {addr}:{rs.port}"
    return f"dnat {fam} to {rs.address}"


def _set_decl(vs: VirtualService) -> str:
    typ = "ipv4_addr" if vs.key.family == 4 else "ipv6_addr"
    return f"{{ type {typ}; flags dynamic,timeout; timeout {vs.persistence_timeout}s; }}"


def _map_decl(kind: str) -> str:
    flags = " flags interval;" if kind == "interval" else ""
    return f"{{ typeof numgen inc mod 2 : verdict;{flags} }}"


def _affinity(vs: VirtualService, rs: RealServer) -> str:
    """The persistence set of one destination; named by its timeout and mask, so a change of
    either makes a new set instead of reusing a name deleted in the same transaction."""
    rid = dest_id(vs.key, rs)
    return f"ra_{rid}_{vs.persistence_timeout}_{vs.persistence_granularity}"


def _dest_objects(t: str, vs: VirtualService, rs: RealServer) -> list[str]:
    rid = dest_id(vs.key, rs)
    lines = [f"add chain {t} rs_{rid}", f"add counter {t} rc_{rid}"]
    if vs.persistence_timeout:
        lines.append(f"add set {t} {_affinity(vs, rs)} {_set_decl(vs)}")
    return lines


def _dest_rules(t: str, vs: VirtualService, rs: RealServer) -> list[str]:
    rid = dest_id(vs.key, rs)
    lines = [f'add rule {t} rs_{rid} counter name "rc_{rid}" comment "{_rs_comment(vs, rs)}"']
    if vs.persistence_timeout:
        lines.append(f"add rule {t} rs_{rid} update @{_affinity(vs, rs)} {{ {_client(vs)} }}")
    lines.append(f"add rule {t} rs_{rid} {_dnat(vs, rs)}")
    return lines


def _drop_dest(t: str, vs: VirtualService, rs: RealServer) -> list[str]:
    rid = dest_id(vs.key, rs)
    lines = [f"flush chain {t} rs_{rid}", f"delete chain {t} rs_{rid}", f"delete counter {t} rc_{rid}"]
    if vs.persistence_timeout:
        lines.append(f"delete set {t} {_affinity(vs, rs)}")
    return lines


def _service_rules(t: str, vs: VirtualService, modulus: int) -> list[str]:
    sid = service_id(vs.key)
    lines = [f'add rule {t} vs_{sid} counter name "vc_{sid}" comment "{_vs_comment(vs)}"']
    if vs.persistence_timeout:
        for rs in vs.pool:
            rid = dest_id(vs.key, rs)
            lines.append(f"add rule {t} vs_{sid} {_client(vs)} @{_affinity(vs, rs)} goto rs_{rid}")
    rule = _dispatch_rule(vs, modulus)
    if rule is not None:
        lines.append(f"add rule {t} vs_{sid} {rule}")
    return lines


def _delete_map(t: str, vs: VirtualService) -> list[str]:
    # Flushing first releases the elements' references to destination chains within the
    # transaction; a bare delete keeps them until commit and a chain deleted alongside is EBUSY.
    name = map_name(vs)
    return [f"flush map {t} {name}", f"delete map {t} {name}"]


def _elements(t: str, name: str, elements: Mapping[str, str], verb: str) -> list[str]:
    if not elements:
        return []
    if verb == "delete":
        body = ", ".join(elements)
    else:
        body = ", ".join(f"{k} : goto {v}" for k, v in elements.items())
    return [f"{verb} element {t} {name} {{ {body} }}"]


def service_script(old: VirtualService | None, new: VirtualService | None) -> str:
    """The nft script turning one service from `old` to `new` (either may be None)."""
    t = f"{FAMILY} {TABLE}"
    lines: list[str] = []
    if old is None and new is None:
        return ""
    key = (new or old).key  # type: ignore[union-attr]
    sid = service_id(key)
    hook_map, elem = _service_element(key)
    if new is None:
        assert old is not None
        lines.append(f"delete element {t} {hook_map} {{ {elem} }}")
        lines.append(f"flush chain {t} vs_{sid}")
        if map_kind(old) != "none":
            lines.extend(_delete_map(t, old))
        for rs in old.real_servers:
            lines.extend(_drop_dest(t, old, rs))
        lines += [f"delete chain {t} vs_{sid}", f"delete counter {t} vc_{sid}"]
        return "\n".join(lines) + "\n"
    for rs in new.real_servers:
        _dnat(new, rs)  # refuse what this backend cannot carry before touching anything
    modulus, elements = dispatch_elements(new)
    kind = map_kind(new)
    if old is None:
        lines += [f"add chain {t} vs_{sid}", f"add counter {t} vc_{sid}"]
        for rs in new.real_servers:
            lines.extend(_dest_objects(t, new, rs))
        if kind != "none":
            lines.append(f"add map {t} {map_name(new)} {_map_decl(kind)}")
        for rs in new.real_servers:
            lines.extend(_dest_rules(t, new, rs))
        lines.extend(_elements(t, map_name(new), elements, "add"))
        lines.extend(_service_rules(t, new, modulus))
        lines.append(f"add element {t} {hook_map} {{ {elem} : goto vs_{sid} }}")
        return "\n".join(lines) + "\n"
    # An update: the service chain is rebuilt (it is short), the dispatch map is diffed where its
    # kind allows (Maglev slots) and replaced otherwise, destinations are touched one by one.
    persist_changed = (old.persistence_timeout, old.persistence_granularity) != (
        new.persistence_timeout,
        new.persistence_granularity,
    )
    old_rs = {rs.key: rs for rs in old.real_servers}
    new_rs = {rs.key: rs for rs in new.real_servers}
    lines.append(f"flush chain {t} vs_{sid}")
    old_kind = map_kind(old)
    _, old_elements = dispatch_elements(old)
    if old_kind != kind:
        if old_kind != "none":
            lines.extend(_delete_map(t, old))
        if kind != "none":
            lines.append(f"add map {t} {map_name(new)} {_map_decl(kind)}")
        added_elements = elements
    elif kind == "slots":
        gone = {k: v for k, v in old_elements.items() if elements.get(k) != v}
        lines.extend(_elements(t, map_name(new), gone, "delete"))
        added_elements = {k: v for k, v in elements.items() if old_elements.get(k) != v}
    elif kind == "interval":
        if elements != old_elements:
            lines.append(f"flush map {t} {map_name(new)}")
            added_elements = elements
        else:
            added_elements = {}
    else:
        added_elements = {}
    for k, rs in old_rs.items():
        if k not in new_rs:
            lines.extend(_drop_dest(t, old, rs))
    for k, rs in new_rs.items():
        prev = old_rs.get(k)
        if prev is None:
            lines.extend(_dest_objects(t, new, rs))
            lines.extend(_dest_rules(t, new, rs))
        elif persist_changed or prev != rs or prev.tunnel != rs.tunnel:
            # The chain stays (map elements may point at it); its rules are rewritten.
            lines.append(f"flush chain {t} rs_{dest_id(key, rs)}")
            if persist_changed and old.persistence_timeout:
                lines.append(f"delete set {t} {_affinity(old, prev)}")
            if persist_changed and new.persistence_timeout:
                lines.append(f"add set {t} {_affinity(new, rs)} {_set_decl(new)}")
            lines.extend(_dest_rules(t, new, rs))
    lines.extend(_elements(t, map_name(new), added_elements, "add"))
    lines.extend(_service_rules(t, new, modulus))
    return "\n".join(lines) + "\n"


def transaction(pairs: Iterable[tuple[VirtualService | None, VirtualService | None]]) -> str:
    """One script for several services (one atomic kernel transaction)."""
    return "".join(service_script(old, new) for old, new in pairs)


# ---- reading the table back ----


@dataclass(frozen=True, slots=True)
class Listing:
    """What a JSON listing of the table says: the state, the objects, and whether the hook is in."""

    state: LbState
    has_base: bool
    counters: dict[str, tuple[int, int]]


def parse_listing(items: list[dict[str, Any]]) -> Listing:
    """The `nftables` array of `nft -j list table inet alived` -> Listing."""
    services: dict[str, VirtualService] = {}
    dests: dict[str, list[RealServer]] = {}
    counters: dict[str, tuple[int, int]] = {}
    base_rules = 0
    for item in items:
        if "counter" in item:
            c = item["counter"]
            counters[c["name"]] = (int(c.get("packets", 0)), int(c.get("bytes", 0)))
            continue
        rule = item.get("rule")
        if rule is None:
            continue
        if rule.get("chain") == "prerouting":
            base_rules += 1
        comment = rule.get("comment", "")
        if not isinstance(comment, str) or not comment.startswith("alived "):
            continue
        words = comment.split()
        if words[1] == "vs" and len(words) == 12:
            vs = _parse_vs(words[2:])
            services[service_id(vs.key)] = vs
        elif words[1] == "rs" and len(words) == 7:
            sid, addr, port, weight, fwd = words[2:]
            dests.setdefault(sid, []).append(
                RealServer(address=addr, port=int(port), weight=int(weight), forwarding=Forwarding(fwd))
            )
    result = []
    for sid, vs in services.items():
        rs_list = {rs.key: rs for rs in dests.get(sid, [])}
        result.append(
            VirtualService(
                key=vs.key,
                lb_algo=vs.lb_algo,
                forwarding=vs.forwarding,
                persistence_timeout=vs.persistence_timeout,
                persistence_granularity=vs.persistence_granularity,
                flags=vs.flags,
                real_servers=tuple(rs_list[k] for k in sorted(rs_list)),
            )
        )
    return Listing(state=LbState.of(result), has_base=base_rules >= BASE_RULES, counters=counters)


def _parse_vs(w: list[str]) -> VirtualService:
    family, fwmark, proto, addr, port, algo, fwd, ptimeout, pgran, flags = w
    key = ServiceKey(
        family=int(family),
        fwmark=int(fwmark),
        protocol="" if proto == "-" else proto,
        address="" if addr == "-" else addr,
        port=int(port),
    )
    return VirtualService(
        key=key,
        lb_algo=algo,
        forwarding=Forwarding(fwd),
        persistence_timeout=int(ptimeout),
        persistence_granularity=int(pgran),
        flags=frozenset() if flags == "-" else frozenset(flags.split(",")),
    )
