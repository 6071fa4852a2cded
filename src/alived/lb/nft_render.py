"""nftables text for the `inet alived` table, and the reverse: its JSON listing back to an LbState.

Pure (no libnftables here, so it is unit-tested without root). Layout of the table:

- `prerouting` (nat, priority dstnat): `ip daddr . meta l4proto . th dport vmap @services4`,
  the same for IPv6, and `meta mark vmap @fwmarks4|6` for fwmark services.
- per service `vs_<id>`: a named counter `vc_<id>`, one rule per persisted destination
  (`ip saddr & mask @ra_<rs> goto rs_<rs>`), then the dispatch rule into the map `vm_<id>`,
  a Maglev table of M slots shared out by weight: rr/wrr walk it with `numgen inc mod M`,
  sh hashes `ip saddr`, dh `ip daddr`, mh `ip saddr` (`jhash ... mod M`); fo is a plain
  `goto` to the heaviest destination.
- DR services live in a `netdev alived` table hooked at ingress (see `dr_base_script`).
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

import functools
import hashlib
import ipaddress
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from alived.core.lb.maglev import MaglevTable, table_size
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


@functools.lru_cache(maxsize=1 << 14)
def service_id(key: ServiceKey) -> str:
    return hashlib.sha1(f"{key.family}|{key}".encode(), usedforsecurity=False).hexdigest()[:12]


def dest_id(key: ServiceKey, rs: RealServer) -> str:
    return _dest_hash(key, rs.address, rs.port)


def _dest_hash(key: ServiceKey, address: str, port: int) -> str:
    text = f"{key.family}|{key}|{address}|{port}"
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:12]


def slot_name(rs: RealServer) -> str:
    """A destination's name in the Maglev table (its permutation is hashed from it)."""
    return f"[{rs.address}]:{rs.port}"


@functools.lru_cache(maxsize=1 << 17)
def _chain(key: ServiceKey, name: str) -> str:
    """The destination chain of a Maglev slot name (only changed slots are looked up)."""
    address, port = name[1:].rsplit("]:", 1)
    return f"rs_{_dest_hash(key, address, int(port))}"


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


def dr_base_script(devices: Iterable[str]) -> str:
    """The netdev table for DR: an ingress chain on the devices clients' packets arrive on."""
    t = f"netdev {TABLE}"
    devs = ", ".join(f'"{d}"' for d in devices)
    return "\n".join(
        [
            f"add table {t}",
            f"add chain {t} ingress {{ type filter hook ingress devices = {{ {devs} }} priority 0; }}",
            f"add map {t} dr4 {{ type ipv4_addr . inet_proto . inet_service : verdict; }}",
            f"add map {t} dr6 {{ type ipv6_addr . inet_proto . inet_service : verdict; }}",
            f"add rule {t} ingress ip daddr . meta l4proto . th dport vmap @dr4",
            f"add rule {t} ingress ip6 daddr . meta l4proto . th dport vmap @dr6",
            "",
        ]
    )


DR_BASE_RULES = 2


def is_dr(vs: VirtualService) -> bool:
    return vs.forwarding == Forwarding.DR


def _table(vs: VirtualService) -> str:
    return f"netdev {TABLE}" if is_dr(vs) else f"{FAMILY} {TABLE}"


def _sets(vs: VirtualService) -> bool:
    """Persistence by dynamic sets (NAT); DR persists by hashing the masked client address."""
    return bool(vs.persistence_timeout) and not is_dr(vs)


def _service_element(vs: VirtualService) -> tuple[str, str]:
    """(map name, element key) of a service in the hook maps."""
    key = vs.key
    if is_dr(vs):
        if key.fwmark:
            raise RenderError(f"{key}: a DR service by fwmark cannot be seen at ingress (no mark yet)")
        return (f"dr{key.family}", f"{key.address} . {PROTO[key.protocol]} . {key.port}")
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
    """`slots` (a Maglev table behind the dispatch rule) or `none` (fo: a plain goto)."""
    return "none" if NEAREST[vs.lb_algo][0] == "fo" else "slots"


def map_name(vs: VirtualService) -> str:
    return f"vm_{service_id(vs.key)}"


def dispatch_table(
    vs: VirtualService, previous: MaglevTable | None
) -> tuple[int, MaglevTable | None, dict[int, str]]:
    """(modulus, the service's Maglev table, the slots that changed from `previous` -> chain).

    Every scheduler dispatches into a Maglev table: slots in proportion to the weights (all
    equal for rr), so a pool change moves few slots and a change is a few element updates,
    never a rebuild. rr and wrr walk the table with `numgen inc`: each cycle of M connections
    gives each server its share. The table is updated from `previous` (the one in the kernel),
    so only the slots that must move are computed and rendered.
    """
    pool = vs.pool
    if not pool or map_kind(vs) == "none":
        return (0, None, {})
    rr = vs.lb_algo == "rr"
    weights = {f"[{rs.address}]:{rs.port}": 1 if rr else rs.weight for rs in pool}
    units = sum(weights.values()) // math.gcd(*weights.values())
    size = table_size(len(pool), units)
    if previous is not None and previous.size == size:
        table, changed = previous.update(weights)
    else:
        # New, or a new table size (the pool crossed a size step): every slot is new.
        table = MaglevTable.fresh(weights, size)
        changed = dict(enumerate(table.slots))
    key = vs.key
    chains = {name: _chain(key, name) for name in set(changed.values())}
    return (size, table, {slot: chains[name] for slot, name in changed.items()})


@functools.lru_cache(maxsize=256)
def dispatch_elements(vs: VirtualService) -> tuple[int, tuple[str, ...]]:
    """The modulus and the map elements (slot -> destination chain) of a table filled from scratch."""
    modulus, table, _ = dispatch_table(vs, None)
    if table is None:
        return (0, ())
    return (modulus, tuple(_chain(vs.key, name) for name in table.slots))


def table_of(vs: VirtualService, elements: Mapping[int, str]) -> MaglevTable | None:
    """The Maglev table a service's map holds (slot -> chain, as listed) in slot names; None
    if the service has no table. Chains not in the service leave their slot unowned."""
    if map_kind(vs) == "none":
        return None
    names = {_chain(vs.key, slot_name(rs)): slot_name(rs) for rs in vs.real_servers}
    size = max(elements, default=-1) + 1
    return MaglevTable.of([names.get(elements.get(slot, ""), "") for slot in range(size)])


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
    if is_dr(vs):
        # No conntrack before ingress: every packet is hashed, so a flow must hash the same way
        # each time. rr/wrr/mh and the stateful ones hash the flow; sh and persistence the client.
        if algo == "dh":
            expr = f"{fam} daddr"
        elif "sh-port" in vs.flags:
            expr = f"{fam} saddr . th sport"
        elif algo == "sh" or vs.persistence_timeout:
            expr = f"{fam} saddr & {_mask(vs)}"
        else:
            expr = f"{fam} saddr . th sport"
        return f"jhash {expr} mod {modulus} seed {JHASH_SEED:#x} vmap @{map_name(vs)}"
    if algo in ("rr", "wrr"):
        return f"numgen inc mod {modulus} vmap @{map_name(vs)}"
    if algo == "dh":
        expr = f"{fam} daddr"
    else:
        port_flag = "sh-port" if algo == "sh" else "mh-port"
        expr = f"{fam} saddr . th sport" if port_flag in vs.flags else f"{fam} saddr"
    return f"jhash {expr} mod {modulus} seed {JHASH_SEED:#x} vmap @{map_name(vs)}"


def _terminal(vs: VirtualService, rs: RealServer, dr_device: str | None) -> str:
    if is_dr(vs):
        return _fwd(vs, rs, dr_device)
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


def _fwd(vs: VirtualService, rs: RealServer, dr_device: str | None) -> str:
    if rs.forwarding != Forwarding.DR:
        raise RenderError(f"{rs} in {vs.key}: lb_kind {rs.forwarding} in a DR service")
    if vs.key.fwmark:
        raise RenderError(f"{vs.key}: a DR service by fwmark cannot be seen at ingress (no mark yet)")
    if dr_device is None:
        raise RenderError(f"{vs.key}: lb_kind DR needs the director's link to the real servers")
    # The kernel resolves the real server's MAC (neighbour table) and sends the frame on that
    # link unchanged otherwise: the real server holds the VIP itself (on lo, arp_ignore).
    return f'fwd {_ipfam(rs.family)} to {rs.address} device "{dr_device}"'


def _set_decl(vs: VirtualService) -> str:
    typ = "ipv4_addr" if vs.key.family == 4 else "ipv6_addr"
    return f"{{ type {typ}; flags dynamic,timeout; timeout {vs.persistence_timeout}s; }}"


def _map_decl(kind: str) -> str:
    del kind  # one kind of table today: integer slot -> verdict
    return "{ typeof numgen inc mod 2 : verdict; }"


def _affinity(vs: VirtualService, rs: RealServer) -> str:
    """The persistence set of one destination; named by its timeout and mask, so a change of
    either makes a new set instead of reusing a name deleted in the same transaction."""
    rid = dest_id(vs.key, rs)
    return f"ra_{rid}_{vs.persistence_timeout}_{vs.persistence_granularity}"


def _dest_objects(t: str, vs: VirtualService, rs: RealServer) -> list[str]:
    rid = dest_id(vs.key, rs)
    lines = [f"add chain {t} rs_{rid}", f"add counter {t} rc_{rid}"]
    if _sets(vs):
        lines.append(f"add set {t} {_affinity(vs, rs)} {_set_decl(vs)}")
    return lines


def _dest_rules(t: str, vs: VirtualService, rs: RealServer, dr_device: str | None) -> list[str]:
    rid = dest_id(vs.key, rs)
    lines = [f'add rule {t} rs_{rid} counter name "rc_{rid}" comment "{_rs_comment(vs, rs)}"']
    if _sets(vs):
        lines.append(f"add rule {t} rs_{rid} update @{_affinity(vs, rs)} {{ {_client(vs)} }}")
    lines.append(f"add rule {t} rs_{rid} {_terminal(vs, rs, dr_device)}")
    return lines


def _drop_dest(t: str, vs: VirtualService, rs: RealServer) -> list[str]:
    rid = dest_id(vs.key, rs)
    lines = [f"flush chain {t} rs_{rid}", f"delete chain {t} rs_{rid}", f"delete counter {t} rc_{rid}"]
    if _sets(vs):
        lines.append(f"delete set {t} {_affinity(vs, rs)}")
    return lines


def _service_rules(t: str, vs: VirtualService, modulus: int) -> list[str]:
    sid = service_id(vs.key)
    lines = [f'add rule {t} vs_{sid} counter name "vc_{sid}" comment "{_vs_comment(vs)}"']
    if _sets(vs):
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


def _map_diff(
    key: ServiceKey, old: MaglevTable | None, new: MaglevTable | None, changed: Mapping[int, str]
) -> tuple[list[int], dict[int, str]]:
    """(slots to delete, slots to add) turning map `old` into `new`; `changed` is what the
    table update moved (exact when both tables have the same size)."""
    before = old.slots if old is not None else ()
    if new is not None and len(before) == new.size:
        return [s for s in changed if before[s]], dict(changed)
    after = new.slots if new is not None else ()
    delete = [s for s, n in enumerate(before) if n and (s >= len(after) or after[s] != n)]
    add = {s: _chain(key, n) for s, n in enumerate(after) if s >= len(before) or before[s] != n}
    return delete, add


def _elements(t: str, name: str, elements: Mapping[int, str], verb: str) -> list[str]:
    if not elements:
        return []
    if verb == "delete":
        body = ", ".join(map(str, elements))
    else:
        body = ", ".join(f"{k} : goto {v}" for k, v in elements.items())
    return [f"{verb} element {t} {name} {{ {body} }}"]


def service_script(
    old: VirtualService | None, new: VirtualService | None, dr_device: str | None = None
) -> str:
    """The nft script turning one service from `old` to `new` (either may be None), the old
    map being the table `old` gets when filled from scratch. `dr_device` is the director's link
    to the real servers, for DR services."""
    previous = None
    if old is not None:
        _, previous, _ = dispatch_table(old, None)
    return service_change(old, new, previous, dr_device)[0]


def service_change(
    old: VirtualService | None,
    new: VirtualService | None,
    table: MaglevTable | None,
    dr_device: str | None = None,
) -> tuple[str, MaglevTable | None]:
    """The nft script turning one service from `old` (whose map holds `table`) to `new`, and
    the table the map holds after it. Only the map slots that move are written."""
    lines: list[str] = []
    if old is None and new is None:
        return ("", None)
    if old is not None and new is not None and is_dr(old) != is_dr(new):
        # NAT <-> DR: the service moves between tables.
        gone, _ = service_change(old, None, table)
        made, after = service_change(None, new, None, dr_device)
        return (gone + made, after)
    some = new if new is not None else old
    assert some is not None
    t = _table(some)
    key = some.key
    sid = service_id(key)
    hook_map, elem = _service_element(some)
    if new is None:
        assert old is not None
        lines.append(f"delete element {t} {hook_map} {{ {elem} }}")
        lines.append(f"flush chain {t} vs_{sid}")
        if map_kind(old) != "none":
            lines.extend(_delete_map(t, old))
        for rs in old.real_servers:
            lines.extend(_drop_dest(t, old, rs))
        lines += [f"delete chain {t} vs_{sid}", f"delete counter {t} vc_{sid}"]
        return ("\n".join(lines) + "\n", None)
    old_rs = {rs.key: rs for rs in old.real_servers} if old is not None else {}
    unchanged = old_rs if old is not None and old.attributes == new.attributes else {}
    for rs in new.real_servers:
        same = unchanged.get(rs.key)
        if same is not rs and same != rs:
            _terminal(new, rs, dr_device)  # refuse what this backend cannot carry, before any change
    kind = map_kind(new)
    if old is None:
        modulus, after, added = dispatch_table(new, None)
        lines += [f"add chain {t} vs_{sid}", f"add counter {t} vc_{sid}"]
        for rs in new.real_servers:
            lines.extend(_dest_objects(t, new, rs))
        if kind != "none":
            lines.append(f"add map {t} {map_name(new)} {_map_decl(kind)}")
        for rs in new.real_servers:
            lines.extend(_dest_rules(t, new, rs, dr_device))
        lines.extend(_elements(t, map_name(new), added, "add"))
        lines.extend(_service_rules(t, new, modulus))
        lines.append(f"add element {t} {hook_map} {{ {elem} : goto vs_{sid} }}")
        return ("\n".join(lines) + "\n", after)
    # An update: the service chain is rebuilt (it is short), the dispatch map is diffed where its
    # kind allows (Maglev slots) and replaced otherwise, destinations are touched one by one.
    persist_changed = (old.persistence_timeout, old.persistence_granularity) != (
        new.persistence_timeout,
        new.persistence_granularity,
    )
    new_rs = {rs.key: rs for rs in new.real_servers}
    lines.append(f"flush chain {t} vs_{sid}")
    old_kind = map_kind(old)
    previous = table if old_kind == kind else None
    modulus, after, changed = dispatch_table(new, previous)
    if old_kind != kind:
        if old_kind != "none":
            lines.extend(_delete_map(t, old))
        if kind != "none":
            lines.append(f"add map {t} {map_name(new)} {_map_decl(kind)}")
        added_elements = changed
    elif kind == "slots":
        deleted, added_elements = _map_diff(key, previous, after, changed)
        lines.extend(_elements(t, map_name(new), dict.fromkeys(deleted, ""), "delete"))
    else:
        added_elements = {}
    for k, rs in old_rs.items():
        if k not in new_rs:
            lines.extend(_drop_dest(t, old, rs))
    for k, rs in new_rs.items():
        prev = old_rs.get(k)
        if prev is None:
            lines.extend(_dest_objects(t, new, rs))
            lines.extend(_dest_rules(t, new, rs, dr_device))
        elif prev is rs and not persist_changed:
            continue
        elif persist_changed or prev != rs or prev.tunnel != rs.tunnel:
            # The chain stays (map elements may point at it); its rules are rewritten.
            lines.append(f"flush chain {t} rs_{dest_id(key, rs)}")
            if persist_changed and _sets(old):
                lines.append(f"delete set {t} {_affinity(old, prev)}")
            if persist_changed and _sets(new):
                lines.append(f"add set {t} {_affinity(new, rs)} {_set_decl(new)}")
            lines.extend(_dest_rules(t, new, rs, dr_device))
    lines.extend(_elements(t, map_name(new), added_elements, "add"))
    lines.extend(_service_rules(t, new, modulus))
    return ("\n".join(lines) + "\n", after)


# ---- reading the table back ----


@dataclass(frozen=True, slots=True)
class Listing:
    """What a JSON listing of the table says: the state, the objects, and whether the hook is in."""

    state: LbState
    has_base: bool
    counters: dict[str, tuple[int, int]]  # "family:name" -> (packets, bytes)
    has_dr_base: bool = False
    maps: dict[str, dict[int, str]] = field(default_factory=dict)  # vm_<id> -> slot -> chain

    def tables(self) -> dict[ServiceKey, MaglevTable]:
        """Each service's Maglev table as its map holds it (what the next change updates)."""
        found = {}
        for vs in self.state.services:
            elements = self.maps.get(map_name(vs))
            if elements is not None:
                table = table_of(vs, elements)
                if table is not None:
                    found[vs.key] = table
        return found


def counter_key(vs: VirtualService, rs: RealServer | None = None) -> str:
    """The key of a service's (or one destination's) counter in `Listing.counters`."""
    family = "netdev" if is_dr(vs) else FAMILY
    if rs is None:
        return f"{family}:vc_{service_id(vs.key)}"
    return f"{family}:rc_{dest_id(vs.key, rs)}"


def parse_listing(items: list[dict[str, Any]]) -> Listing:
    """The `nftables` array of `nft -j list table inet alived` -> Listing."""
    services: dict[str, VirtualService] = {}
    dests: dict[str, list[RealServer]] = {}
    counters: dict[str, tuple[int, int]] = {}
    base_rules = 0
    dr_base_rules = 0
    maps: dict[str, dict[int, str]] = {}
    for item in items:
        if "map" in item and str(item["map"].get("name", "")).startswith("vm_"):
            m = item["map"]
            maps[m["name"]] = {
                int(slot): verdict["goto"]["target"]
                for slot, verdict in m.get("elem", [])
                if isinstance(verdict, dict) and "goto" in verdict
            }
            continue
        if "counter" in item:
            c = item["counter"]
            name = f"{c.get('family', FAMILY)}:{c['name']}"
            counters[name] = (int(c.get("packets", 0)), int(c.get("bytes", 0)))
            continue
        rule = item.get("rule")
        if rule is None:
            continue
        if rule.get("chain") == "prerouting":
            base_rules += 1
        elif rule.get("chain") == "ingress":
            dr_base_rules += 1
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
    return Listing(
        state=LbState.of(result),
        has_base=base_rules >= BASE_RULES,
        counters=counters,
        has_dr_base=dr_base_rules >= DR_BASE_RULES,
        maps=maps,
    )


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
