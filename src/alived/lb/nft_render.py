"""nftables text for the `inet alived` table, and the reverse: its JSON listing back to an LbState.

Pure (no libnftables here, so it is unit-tested without root). Layout of the table:

- `prerouting` (nat, priority dstnat): `ip daddr . meta l4proto . th dport vmap @services4`,
  the same for IPv6, and `meta mark vmap @fwmarks4|6` for fwmark services.
- `postnat` (filter, priority dstnat + 10): a new DNATed connection's original destination
  (`ct original ip daddr . meta l4proto . ct original proto-dst vmap @after4|6`, or its mark)
  jumps to its service's `va_<id>` chain, which sees the real server chosen.
- per service `vs_<id>`: a named counter `vc_<id>` (its rule carries the service's comment),
  for persistence `dnat to <masked client> map @vp_...`, then the dispatch: `dnat to
  numgen inc mod M map @vm_<id>` (rr/wrr) or `jhash ...` (sh: client, dh: destination, mh:
  client), where `vm_<id>` is a data map from Maglev slot to `address . port` (address only
  for fwmark services); fo is a plain DNAT to the heaviest destination.
- per service `va_<id>`: `update @vp_...` (client -> real server, refreshed by each new
  connection, expiring after the persistence timeout) and a lookup in `vd_<id>`, the set of
  real servers whose elements carry counters (new connections per real server).
- per service `vr_<id>`: the configured real servers, each element's comment describing one
  (`alived rs ADDRESS PORT WEIGHT FORWARDING`).
- DR services live in a `netdev alived` table hooked at ingress (see `dr_base_script`):
  `fwd ip to jhash ... map @vm_<id> device LINK`; no per-real-server counters there.

No object exists per real server: libnftables fetches every chain and object of the table
before each transaction, so per-real-server chains and counters made one change at 10,000 real
servers cost half a second; elements cost nothing there.

The first rule of each service chain carries a comment describing the service (`alived vs
...`) and `vr_<id>` describes its real servers: reading these back gives the actual state, so a
restarted backend reconciles instead of flushing. DNAT happens on a connection's first packet
only, so a destination leaving the pool (down, or weight 0) gets no new connection while
conntrack keeps its established ones flowing.

libnftables 1.0.6's JSON parser cannot declare `typeof` maps (it rejects "integer" as a map
key type), and numgen/jhash results are plain integers; so transactions are written as nft
script (one `cmd()` call, one kernel transaction) while reading uses the JSON listing.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from alived.core.lb import granularity
from alived.core.lb.maglev import MaglevTable, table_size
from alived.core.lb.model import (
    DestChanges,
    Forwarding,
    LbState,
    RealServer,
    ServiceKey,
    VirtualService,
    dest_changes,
)

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


def slot_name(rs: RealServer) -> str:
    """A destination's name in the Maglev table (its permutation is hashed from it)."""
    return f"[{rs.address}]:{rs.port}"


def _ipfam(family: int) -> str:
    return "ip" if family == 4 else "ip6"


def is_dr(vs: VirtualService) -> bool:
    return vs.forwarding == Forwarding.DR


def _by_address(vs: VirtualService) -> bool:
    """Destinations are addresses only (fwmark: the client's port is kept; DR: not rewritten)."""
    return bool(vs.key.fwmark) or is_dr(vs)


@functools.lru_cache(maxsize=1 << 17)
def _value(by_address: bool, default_port: int, name: str) -> str:
    """A Maglev slot name -> the nft value of that destination (`address . port` or `address`)."""
    address, port = name[1:].rsplit("]:", 1)
    if by_address:
        return address
    return f"{address} . {int(port) or default_port}"


def dest_value(vs: VirtualService, rs: RealServer) -> str:
    """The destination as the service's maps hold it (a port of 0 keeps the service's port)."""
    return _value(_by_address(vs), vs.key.port, slot_name(rs))


def _mask(vs: VirtualService) -> str:
    # nftables ANDs with any mask, so a non-solid IPv4 one needs nothing more than a prefix
    return granularity.netmask(vs.key.family, vs.persistence_granularity)


def _client(vs: VirtualService) -> str:
    return f"{_ipfam(vs.key.family)} saddr & {_mask(vs)}"


def base_script() -> str:
    """The table, the hook chains and the service maps (idempotent `add`s), and the hook rules."""
    t = f"{FAMILY} {TABLE}"
    lines = [
        f"add table {t}",
        f"add chain {t} prerouting {{ type nat hook prerouting priority dstnat; policy accept; }}",
        f"add chain {t} postnat {{ type filter hook prerouting priority dstnat + 10; policy accept; }}",
    ]
    for fam, addr in ((4, "ipv4_addr"), (6, "ipv6_addr")):
        lines += [
            f"add map {t} services{fam} {{ type {addr} . inet_proto . inet_service : verdict; }}",
            f"add map {t} fwmarks{fam} {{ type mark : verdict; }}",
            f"add map {t} after{fam} {{ type {addr} . inet_proto . inet_service : verdict; }}",
            f"add map {t} afterm{fam} {{ type mark : verdict; }}",
        ]
    lines += [
        f"add rule {t} prerouting ip daddr . meta l4proto . th dport vmap @services4",
        f"add rule {t} prerouting ip6 daddr . meta l4proto . th dport vmap @services6",
        f"add rule {t} prerouting meta nfproto ipv4 meta mark vmap @fwmarks4",
        f"add rule {t} prerouting meta nfproto ipv6 meta mark vmap @fwmarks6",
    ]
    new = "ct state new ct status dnat"
    for fam in (4, 6):
        for proto in PROTO.values():
            # nft types `ct original proto-dst` only once the protocol is known.
            lines.append(
                f"add rule {t} postnat {new} meta l4proto {proto} ct original {_ipfam(fam)} daddr"
                f" . meta l4proto . ct original proto-dst vmap @after{fam}"
            )
    lines += [
        f"add rule {t} postnat {new} meta nfproto ipv4 meta mark vmap @afterm4",
        f"add rule {t} postnat {new} meta nfproto ipv6 meta mark vmap @afterm6",
        "",
    ]
    return "\n".join(lines)


BASE_RULES = 4
POSTNAT_RULES = 8


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


def dr_rehook_script(devices: Iterable[str]) -> str:
    """Move the DR ingress hook to `devices` in one transaction: the base chain is replaced
    (nft 1.0.6 can add devices to a netdev chain but not remove them), its two rules with it;
    the maps and the services' chains stay."""
    t = f"netdev {TABLE}"
    return f"flush chain {t} ingress\ndelete chain {t} ingress\n" + dr_base_script(devices)


def ingress_devices(text: str) -> frozenset[str]:
    """The devices of the ingress chain from its text listing (`device "eth0"` or `devices = {
    eth0, eth1 }`): libnftables 1.0.6's JSON listing leaves them out."""
    many = re.search(r"devices = \{([^}]*)\}", text)
    if many is not None:
        return frozenset(d.strip().strip('"') for d in many.group(1).split(",") if d.strip())
    one = re.search(r'device "?([^"\s;]+)"?', text)
    return frozenset({one.group(1)}) if one is not None else frozenset()


def _table(vs: VirtualService) -> str:
    return f"netdev {TABLE}" if is_dr(vs) else f"{FAMILY} {TABLE}"


def _sets(vs: VirtualService) -> bool:
    """Persistence by a dynamic map (NAT); DR persists by hashing the masked client address."""
    return bool(vs.persistence_timeout) and not is_dr(vs)


is_persistent = _sets


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


def _after_element(vs: VirtualService) -> tuple[str, str]:
    """(map name, element key) of a NAT service in the post-DNAT maps."""
    hook, elem = _service_element(vs)
    return (hook.replace("services", "after").replace("fwmarks", "afterm"), elem)


def _vs_comment(vs: VirtualService) -> str:
    k = vs.key
    flags = ",".join(sorted(vs.flags)) or "-"
    # The persistence engine is carried (ignored: see engine_note) so a restart reads back the
    # service as configured; a table written before it was carried has 12 words.
    engine = re.sub(r"[^A-Za-z0-9_.-]", "_", vs.persistence_engine) or "-"
    pgran = granularity.text(vs.persistence_granularity)
    return (
        f"alived vs {k.family} {k.fwmark} {k.protocol or '-'} {k.address or '-'} {k.port} "
        f"{vs.lb_algo} {vs.forwarding} {vs.persistence_timeout} {pgran} {flags} {engine}"
    )


def engine_note(key: ServiceKey, engine: str, timeout: int) -> str:
    """What becomes of a service's persistence_engine on nftables (for the log and `-t`)."""
    what = (
        "persistence stays by the client address (masked by persistence_granularity)"
        if timeout
        else "there is no persistence (no persistence_timeout)"
    )
    return (
        f"{key}: persistence_engine {engine} has no nftables equivalent (nftables cannot match "
        f"a SIP Call-ID in the payload): it is ignored, {what}"
    )


def _rs_comment(rs: RealServer) -> str:
    return f"alived rs {rs.address} {rs.port} {rs.weight} {rs.forwarding}"


def map_kind(vs: VirtualService) -> str:
    """`slots` (a Maglev table behind the dispatch rule) or `none` (fo: a plain DNAT)."""
    return "none" if NEAREST[vs.lb_algo][0] == "fo" else "slots"


def map_name(vs: VirtualService) -> str:
    return f"vm_{service_id(vs.key)}"


def dests_name(vs: VirtualService) -> str:
    """The set of real servers with a counter on each element (NAT services)."""
    return f"vd_{service_id(vs.key)}"


def described_name(vs: VirtualService) -> str:
    """The set of configured real servers, each element's comment describing one."""
    return f"vr_{service_id(vs.key)}"


def persist_name(vs: VirtualService) -> str:
    """The persistence map; named by its timeout and mask, so a change of either makes a new
    map instead of reusing a name deleted in the same transaction."""
    return f"vp_{service_id(vs.key)}_{vs.persistence_timeout}_{granularity.token(vs.persistence_granularity)}"


def split_persistence(vs: VirtualService) -> bool:
    """An IPv6 service by address and port persists through two maps (client -> address,
    client -> port): libnftables 1.0.6 aborts the process (netlink_gen_expr assertion `dreg <
    ctx->reg_low`) on an update of one map with an IPv6 key and `ip6 daddr . th dport` data,
    while `dnat ip6 to <client> map @a : <client> map @b` and an update per map work."""
    return _sets(vs) and vs.key.family == 6 and not _by_address(vs)


def persist_maps(vs: VirtualService) -> tuple[str, ...]:
    """The persistence map(s) of a persistent NAT service: one, or (address, port) for an
    IPv6 service by port (`split_persistence`)."""
    name = persist_name(vs)
    return (f"{name}_a", f"{name}_p") if split_persistence(vs) else (name,)


def pool_values(vs: VirtualService) -> frozenset[str]:
    """The destinations new connections may go to, as the maps hold them."""
    return frozenset(dest_value(vs, rs) for rs in vs.pool)


def left_pool(old: VirtualService, new: VirtualService) -> frozenset[str]:
    """The destinations (as the maps hold them) in `old`'s pool and not in `new`'s: from the
    destinations that changed when the attributes did not, else from both pools."""
    if old.attributes != new.attributes:
        return pool_values(old) - pool_values(new)
    _, edited, left = dest_changes(old.real_servers, new.real_servers)
    out = [rs for rs in left if rs.weight > 0]
    out += [before for before, after in edited if before.weight > 0 and after.weight <= 0]
    return frozenset(dest_value(old, rs) for rs in out)


def _pool_weights(
    vs: VirtualService, previous: MaglevTable | None, changes: DestChanges | None
) -> dict[str, int]:
    """Slot name -> weight of the service's pool (1 each for rr); from `previous`'s pool and
    the destination changes when both are known (a change of one real server in 10,000 then
    touches one entry), else from the whole pool."""
    rr = vs.lb_algo == "rr"
    if changes is None or previous is None or previous.weights is None:
        return {slot_name(rs): 1 if rr else rs.weight for rs in vs.pool}
    weights = dict(previous.weights)
    came, edited, left = changes
    for rs in left:
        weights.pop(slot_name(rs), None)
    for rs in [*came, *(after for _, after in edited)]:
        if rs.weight > 0:
            weights[slot_name(rs)] = 1 if rr else rs.weight
        else:
            weights.pop(slot_name(rs), None)
    return weights


def dispatch_table(
    vs: VirtualService, previous: MaglevTable | None, changes: DestChanges | None = None
) -> tuple[int, MaglevTable | None, dict[int, str]]:
    """(modulus, the service's Maglev table, the slots that changed from `previous` -> value).

    Every scheduler dispatches through a Maglev table: slots in proportion to the weights (all
    equal for rr), so a pool change moves few slots and a change is a few element updates,
    never a rebuild. rr and wrr walk the table with `numgen inc`: each cycle of M connections
    gives each server its share. The table is updated from `previous` (the one in the kernel),
    so only the slots that must move are computed and rendered. `changes`: the destination
    changes (`dest_changes`) from the service `previous` was made for, with the same
    attributes, when the caller knows them.
    """
    if map_kind(vs) == "none":
        return (0, None, {})
    weights = _pool_weights(vs, previous, changes)
    if not weights:
        return (0, None, {})
    units = sum(weights.values()) // math.gcd(*weights.values())
    size = table_size(len(weights), units)
    if previous is not None and previous.size == size:
        table, changed = previous.update(weights)
    else:
        # New, or a new table size (the pool crossed a size step): every slot is new.
        table = MaglevTable.fresh(weights, size)
        changed = dict(enumerate(table.slots))
    by_address, port = _by_address(vs), vs.key.port
    values = {name: _value(by_address, port, name) for name in set(changed.values())}
    return (size, table, {slot: values[name] for slot, name in changed.items()})


@functools.lru_cache(maxsize=256)
def dispatch_elements(vs: VirtualService) -> tuple[int, tuple[str, ...]]:
    """The modulus and the map elements (slot -> destination value) of a table filled afresh."""
    modulus, table, _ = dispatch_table(vs, None)
    if table is None:
        return (0, ())
    by_address, port = _by_address(vs), vs.key.port
    return (modulus, tuple(_value(by_address, port, name) for name in table.slots))


def table_of(vs: VirtualService, elements: Mapping[int, str]) -> MaglevTable | None:
    """The Maglev table a service's map holds (slot -> value, as listed) in slot names; None
    if the service has no table. Values not in the service leave their slot unowned."""
    if map_kind(vs) == "none":
        return None
    names = {dest_value(vs, rs): slot_name(rs) for rs in vs.real_servers}
    size = max(elements, default=-1) + 1
    return MaglevTable.of([names.get(elements.get(slot, ""), "") for slot in range(size)])


def _l4(vs: VirtualService) -> str:
    """The protocol match a port rewrite needs (none for fwmark services: address only)."""
    return "" if _by_address(vs) else f"meta l4proto {PROTO[vs.key.protocol]} "


def _selector(vs: VirtualService, modulus: int) -> str:
    """The expression picking a slot of the service's Maglev table."""
    algo = NEAREST[vs.lb_algo][0]
    fam = _ipfam(vs.key.family)
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
        return f"jhash {expr} mod {modulus} seed {JHASH_SEED:#x}"
    if algo in ("rr", "wrr"):
        return f"numgen inc mod {modulus}"
    if algo == "dh":
        expr = f"{fam} daddr"
    else:
        port_flag = "sh-port" if algo == "sh" else "mh-port"
        expr = f"{fam} saddr . th sport" if port_flag in vs.flags else f"{fam} saddr"
    return f"jhash {expr} mod {modulus} seed {JHASH_SEED:#x}"


def _dispatch_rule(vs: VirtualService, modulus: int, dr_device: str | None) -> str | None:
    pool = vs.pool
    if not pool:
        return None  # not DNATed: the packet goes on as if no service were there
    fam = _ipfam(vs.key.family)
    if NEAREST[vs.lb_algo][0] == "fo":
        # IPVS fo: the available destination of highest weight (the first of equals).
        top = max(pool, key=lambda rs: rs.weight)
        return _fwd(vs, top, dr_device) if is_dr(vs) else _dnat(vs, top)
    target = f"{_selector(vs, modulus)} map @{map_name(vs)}"
    if is_dr(vs):
        return f'fwd {fam} to {target} device "{dr_device}"'
    return f"{_l4(vs)}dnat {fam} to {target}"


def _check_dest(vs: VirtualService, rs: RealServer, dr_device: str | None) -> None:
    """Refuse a destination this backend cannot carry, before any change is written."""
    if is_dr(vs):
        _fwd(vs, rs, dr_device)
    elif rs.forwarding != Forwarding.NAT:
        raise RenderError(
            f"{rs} in {vs.key}: lb_kind {rs.forwarding} is not carried by the nftables NAT chain"
        )
    # nftables cannot translate between families: a real server of the other family makes
    # the transaction fail (its address does not fit the map), and the backend reports that
    # service's operations.


def _dnat(vs: VirtualService, rs: RealServer) -> str:
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


def _addr_type(vs: VirtualService) -> str:
    return "ipv4_addr" if vs.key.family == 4 else "ipv6_addr"


def _value_type(vs: VirtualService) -> str:
    return _addr_type(vs) if _by_address(vs) else f"{_addr_type(vs)} . inet_service"


def _value_of_packet(vs: VirtualService) -> str:
    """The chosen destination as a post-DNAT packet shows it."""
    fam = _ipfam(vs.key.family)
    return f"{fam} daddr" if _by_address(vs) else f"{fam} daddr . th dport"


def _objects(t: str, vs: VirtualService) -> list[str]:
    """The service's chains, maps and sets (`add`: the ones already there are left as they are)."""
    sid = service_id(vs.key)
    lines = [f"add chain {t} vs_{sid}", f"add counter {t} vc_{sid}"]
    lines.append(f"add set {t} {described_name(vs)} {{ type {_value_type(vs)}; }}")
    if not is_dr(vs):
        lines.append(f"add chain {t} va_{sid}")
        lines.append(f"add set {t} {dests_name(vs)} {{ type {_value_type(vs)}; counter; }}")
    if map_kind(vs) != "none":
        lines.append(f"add map {t} {map_name(vs)} {_map_decl(vs)}")
    if _sets(vs):
        lines += _persist_adds(t, vs)
    return lines


def _map_decl(vs: VirtualService) -> str:
    # The protocol's own port (not `th dport`): libnftables checks the map's typeof, as it
    # reads it back from the kernel, against the rule's `meta l4proto`.
    fam = _ipfam(vs.key.family)
    data = f"{fam} daddr" if _by_address(vs) else f"{fam} daddr . {PROTO[vs.key.protocol]} dport"
    return f"{{ typeof numgen inc mod 2 : {data}; }}"


def _persist_decl(vs: VirtualService, value_type: str) -> str:
    return (
        f"{{ type {_addr_type(vs)} : {value_type}; flags dynamic,timeout; "
        f"timeout {vs.persistence_timeout}s; }}"
    )


def _persist_adds(t: str, vs: VirtualService) -> list[str]:
    if split_persistence(vs):
        address, port = persist_maps(vs)
        return [
            f"add map {t} {address} {_persist_decl(vs, _addr_type(vs))}",
            f"add map {t} {port} {_persist_decl(vs, 'inet_service')}",
        ]
    return [f"add map {t} {persist_name(vs)} {_persist_decl(vs, _value_type(vs))}"]


def _persist_rules(t: str, vs: VirtualService) -> tuple[str, list[str]]:
    """(the service chain's DNAT to a persisted client's real server, the post-DNAT rules
    remembering it)."""
    sid = service_id(vs.key)
    fam = _ipfam(vs.key.family)
    client = _client(vs)
    if split_persistence(vs):
        address, port = persist_maps(vs)
        dnat = f"add rule {t} vs_{sid} {_l4(vs)}dnat {fam} to {client} map @{address} : {client} map @{port}"
        updates = [
            f"add rule {t} va_{sid} update @{address} {{ {client} : {fam} daddr }}",
            f"add rule {t} va_{sid} update @{port} {{ {client} : th dport }}",
        ]
        return dnat, updates
    name = persist_name(vs)
    dnat = f"add rule {t} vs_{sid} {_l4(vs)}dnat {fam} to {client} map @{name}"
    return dnat, [f"add rule {t} va_{sid} update @{name} {{ {client} : {_value_of_packet(vs)} }}"]


def _service_rules(t: str, vs: VirtualService, modulus: int, dr_device: str | None) -> list[str]:
    sid = service_id(vs.key)
    lines = [f'add rule {t} vs_{sid} counter name "vc_{sid}" comment "{_vs_comment(vs)}"']
    if _sets(vs) and vs.pool:
        lines.append(_persist_rules(t, vs)[0])
    rule = _dispatch_rule(vs, modulus, dr_device)
    if rule is not None:
        lines.append(f"add rule {t} vs_{sid} {rule}")
    if is_dr(vs):
        return lines
    # After DNAT: remember the client's real server, count the connection on its element.
    if _sets(vs):
        lines += _persist_rules(t, vs)[1]
    lines.append(f"add rule {t} va_{sid} {_value_of_packet(vs)} @{dests_name(vs)}")
    return lines


def _elements(t: str, name: str, values: Iterable[str], verb: str) -> list[str]:
    body = ", ".join(values)
    return [f"{verb} element {t} {name} {{ {body} }}"] if body else []


def _map_diff(
    vs: VirtualService, old: MaglevTable | None, new: MaglevTable | None, changed: Mapping[int, str]
) -> tuple[list[int], dict[int, str]]:
    """(slots to delete, slots to add) turning map `old` into `new`; `changed` is what the
    table update moved (exact when both tables have the same size)."""
    before = old.slots if old is not None else ()
    if new is not None and len(before) == new.size:
        return [s for s in changed if before[s]], dict(changed)
    after = new.slots if new is not None else ()
    by_address, port = _by_address(vs), vs.key.port
    delete = [s for s, n in enumerate(before) if n and (s >= len(after) or after[s] != n)]
    add = {
        s: _value(by_address, port, n)
        for s, n in enumerate(after)
        if n and (s >= len(before) or before[s] != n)
    }
    return delete, add


def _check_unique(vs: VirtualService) -> None:
    if _by_address(vs) and len({rs.address for rs in vs.real_servers}) != len(vs.real_servers):
        raise RenderError(
            f"{vs.key}: two real servers at one address; a {'DR' if is_dr(vs) else 'fwmark'} "
            "service forwards by address only"
        )


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


def _drop(t: str, vs: VirtualService) -> list[str]:
    """Delete a service's objects (its chains flushed first: rules release the maps)."""
    sid = service_id(vs.key)
    hook_map, elem = _service_element(vs)
    lines = [f"delete element {t} {hook_map} {{ {elem} }}", f"flush chain {t} vs_{sid}"]
    if not is_dr(vs):
        after_map, _ = _after_element(vs)
        lines += [f"delete element {t} {after_map} {{ {elem} }}", f"flush chain {t} va_{sid}"]
    if map_kind(vs) != "none":
        lines.append(f"delete map {t} {map_name(vs)}")
    if _sets(vs):
        lines += [f"delete map {t} {name}" for name in persist_maps(vs)]
    lines.append(f"delete set {t} {described_name(vs)}")
    if not is_dr(vs):
        lines += [f"delete set {t} {dests_name(vs)}", f"delete chain {t} va_{sid}"]
    lines += [f"delete chain {t} vs_{sid}", f"delete counter {t} vc_{sid}"]
    return lines


def service_change(
    old: VirtualService | None,
    new: VirtualService | None,
    table: MaglevTable | None,
    dr_device: str | None = None,
    changes: DestChanges | None = None,
) -> tuple[str, MaglevTable | None]:
    """The nft script turning one service from `old` (whose map holds `table`) to `new`, and
    the table the map holds after it. Only the map slots and the set elements that change are
    written; the service's own two chains are rewritten (a few rules). `changes`: what changed
    in the destinations from `old` to `new` (`dest_changes`), when the caller knows it."""
    if old is None and new is None:
        return ("", None)
    if old is not None and new is not None and is_dr(old) != is_dr(new):
        # NAT <-> DR: the service moves between tables.
        gone, _ = service_change(old, None, table)
        made, after = service_change(None, new, None, dr_device)
        return (gone + made, after)
    if new is None:
        assert old is not None
        return ("\n".join(_drop(_table(old), old)) + "\n", None)
    t = _table(new)
    sid = service_id(new.key)
    _check_unique(new)
    same_attrs = old is not None and old.attributes == new.attributes
    if changes is None and old is not None:
        changes = dest_changes(old.real_servers, new.real_servers)
    if changes is not None and same_attrs:
        to_check: Iterable[RealServer] = [*changes[0], *(after for _, after in changes[1])]
    else:
        to_check = new.real_servers
    for rs in to_check:
        _check_dest(new, rs, dr_device)
    lines: list[str] = []
    kind = map_kind(new)
    if old is None:
        modulus, after, added = dispatch_table(new, None)
        lines += _objects(t, new)
        lines += _elements(t, described_name(new), _described(new, new.real_servers), "add")
        if not is_dr(new):
            values = [dest_value(new, rs) for rs in new.real_servers]
            lines += _elements(t, dests_name(new), values, "add")
        lines += _elements(t, map_name(new), (f"{s} : {v}" for s, v in added.items()), "add")
        lines += _service_rules(t, new, modulus, dr_device)
        hook_map, elem = _service_element(new)
        lines.append(f"add element {t} {hook_map} {{ {elem} : goto vs_{sid} }}")
        if not is_dr(new):
            after_map, _ = _after_element(new)
            lines.append(f"add element {t} {after_map} {{ {elem} : goto va_{sid} }}")
        return ("\n".join(lines) + "\n", after)
    assert changes is not None
    old_kind = map_kind(old)
    previous = table if old_kind == kind else None
    modulus, after, changed = dispatch_table(new, previous, changes if same_attrs else None)
    rules = _service_rules(t, new, modulus, dr_device)
    old_modulus = previous.size if previous is not None else 0
    # The chains are rewritten only when their rules change: a rule naming a large map costs
    # libnftables a walk of it (about 50 ms at 65,521 slots), an element costs nothing.
    rewrite = old_modulus != modulus or not old.pool or rules != _service_rules(t, old, modulus, dr_device)
    if rewrite:
        lines.append(f"flush chain {t} vs_{sid}")
        if not is_dr(new):
            lines.append(f"flush chain {t} va_{sid}")
    if old_kind != kind:
        if old_kind != "none":
            lines.append(f"delete map {t} {map_name(old)}")
        added_elements = changed
    elif kind == "slots":
        deleted, added_elements = _map_diff(new, previous, after, changed)
        lines += _elements(t, map_name(new), map(str, deleted), "delete")
    else:
        added_elements = {}
    persist_moved = _sets(old) != _sets(new) or persist_maps(old) != persist_maps(new)
    if _sets(old) and persist_moved:
        lines += [f"delete map {t} {name}" for name in persist_maps(old)]
    if kind not in (old_kind, "none"):
        lines.append(f"add map {t} {map_name(new)} {_map_decl(new)}")
    if _sets(new) and persist_moved:
        lines += _persist_adds(t, new)
    came, edited, left = changes
    described = described_name(new)
    lines += _elements(t, described, (dest_value(old, rs) for rs in left), "delete")
    lines += _elements(t, described, (dest_value(old, prev) for prev, _ in edited), "delete")
    lines += _elements(t, described, _described(new, [*(rs for _, rs in edited), *came]), "add")
    if not is_dr(new):
        lines += _elements(t, dests_name(new), (dest_value(old, rs) for rs in left), "delete")
        lines += _elements(t, dests_name(new), (dest_value(new, rs) for rs in came), "add")
    lines += _elements(t, map_name(new), (f"{s} : {v}" for s, v in added_elements.items()), "add")
    if rewrite:
        lines += rules
    return ("\n".join(lines) + "\n", after)


def _described(vs: VirtualService, dests: Iterable[RealServer]) -> list[str]:
    return [f'{dest_value(vs, rs)} comment "{_rs_comment(rs)}"' for rs in dests]


def forget_script(vs: VirtualService, stale: Mapping[str, Iterable[str]]) -> str:
    """Delete persisted clients whose real server left the pool: persistence map name ->
    its client keys to delete."""
    lines = []
    for name in persist_maps(vs):
        lines += _elements(_table(vs), name, stale.get(name, ()), "delete")
    return "\n".join(lines) + "\n"


def persisted(vs: VirtualService, maps: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """Client key -> its real server as the maps hold it (`dest_value`'s form), from the listed
    persistence map(s) (name -> client -> data); a client in only one of an IPv6 service's
    two maps (the other element just expired) has none."""
    names = persist_maps(vs)
    if len(names) == 1:
        return dict(maps.get(names[0], {}))
    addresses, ports = maps.get(names[0], {}), maps.get(names[1], {})
    return {client: f"{addr} . {ports[client]}" for client, addr in addresses.items() if client in ports}


# ---- reading the table back ----


@dataclass(frozen=True, slots=True)
class Listing:
    """What a JSON listing of the table says: the state, the counters, and whether the hooks are in."""

    state: LbState
    has_base: bool
    counters: dict[str, tuple[int, int]]  # counter_key(...) -> (packets, bytes)
    has_dr_base: bool = False
    maps: dict[str, dict[int, str]] = field(default_factory=dict)  # vm_<id> -> slot -> value

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
    return f"{family}:{dests_name(vs)}:{dest_value(vs, rs)}"


def value_text(value: Any) -> str:
    """A listed element key or map data (`"198.51.100.1"`, `{"concat": [addr, port]}`) as nft
    text, the form `dest_value` gives."""
    if isinstance(value, dict) and "concat" in value:
        return " . ".join(str(part) for part in value["concat"])
    return str(value)


def element_key(elem: Any) -> tuple[str, dict[str, Any]]:
    """(key as text, the element's attributes) of one listed set element."""
    if isinstance(elem, dict) and "elem" in elem:
        body = elem["elem"]
        return (value_text(body.get("val")), body)
    return (value_text(elem), {})


def parse_listing(items: list[dict[str, Any]]) -> Listing:
    """The `nftables` array of `nft -j list table inet alived` -> Listing."""
    services: dict[str, VirtualService] = {}
    dests: dict[str, list[RealServer]] = {}
    counters: dict[str, tuple[int, int]] = {}
    base_rules = 0
    postnat_rules = 0
    dr_base_rules = 0
    maps: dict[str, dict[int, str]] = {}
    for item in items:
        if "map" in item:
            m = item["map"]
            if str(m.get("name", "")).startswith("vm_"):
                maps[m["name"]] = {int(slot): value_text(data) for slot, data in m.get("elem", [])}
            continue
        if "set" in item:
            s = item["set"]
            name = str(s.get("name", ""))
            family = s.get("family", FAMILY)
            for elem in s.get("elem", []):
                value, attrs = element_key(elem)
                if name.startswith("vr_"):
                    words = str(attrs.get("comment", "")).split()
                    if len(words) == 6 and words[:2] == ["alived", "rs"]:
                        addr, port, weight, fwd = words[2:]
                        dests.setdefault(name[3:], []).append(
                            RealServer(
                                address=addr, port=int(port), weight=int(weight), forwarding=Forwarding(fwd)
                            )
                        )
                elif name.startswith("vd_") and "counter" in attrs:
                    c = attrs["counter"]
                    counters[f"{family}:{name}:{value}"] = (int(c.get("packets", 0)), int(c.get("bytes", 0)))
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
        elif rule.get("chain") == "postnat":
            postnat_rules += 1
        elif rule.get("chain") == "ingress":
            dr_base_rules += 1
        comment = rule.get("comment", "")
        if not isinstance(comment, str) or not comment.startswith("alived "):
            continue
        words = comment.split()
        if words[1] == "vs" and len(words) in (12, 13):
            vs = _parse_vs(words[2:])
            services[service_id(vs.key)] = vs
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
                persistence_engine=vs.persistence_engine,
            )
        )
    return Listing(
        state=LbState.of(result),
        has_base=base_rules >= BASE_RULES and postnat_rules >= POSTNAT_RULES,
        counters=counters,
        has_dr_base=dr_base_rules >= DR_BASE_RULES,
        maps=maps,
    )


def _parse_vs(w: list[str]) -> VirtualService:
    family, fwmark, proto, addr, port, algo, fwd, ptimeout, pgran, flags = w[:10]
    engine = w[10] if len(w) > 10 and w[10] != "-" else ""
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
        persistence_granularity=granularity.parse(pgran),
        flags=frozenset() if flags == "-" else frozenset(flags.split(",")),
        persistence_engine=engine,
    )
