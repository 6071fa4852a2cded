"""lb/nft_render.py without a kernel: scheduler mapping, scripts per change, parsing a listing."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from alived.core.lb.granularity import Netmask
from alived.core.lb.model import SCHEDULERS, Forwarding, LbState, RealServer, ServiceKey, VirtualService
from alived.lb import nft_render

KEY = ServiceKey(protocol="TCP", address="203.0.113.10", port=80)


def svc(algo: str, n: int, **kw: object) -> VirtualService:
    dests = tuple(sorted(RealServer(address=f"198.51.{i // 200}.{i % 200 + 1}", port=80) for i in range(n)))
    return VirtualService(key=KEY, lb_algo=algo, real_servers=dests, **kw)  # type: ignore[arg-type]


def test_every_ipvs_scheduler_has_an_honest_nearest() -> None:
    assert set(nft_render.NEAREST) == set(SCHEDULERS)
    for algo, (nearest, note) in nft_render.NEAREST.items():
        assert (note == "") == (algo == nearest), algo


def test_weights_share_the_slots_and_fo_is_a_goto() -> None:
    vs = VirtualService(
        key=KEY,
        lb_algo="wrr",
        real_servers=(
            RealServer(address="198.51.100.11", port=80, weight=1),
            RealServer(address="198.51.100.12", port=80, weight=0),
            RealServer(address="198.51.100.13", port=80, weight=3),
        ),
    )
    modulus, elements = nft_render.dispatch_elements(vs)
    counts = Counter(elements)
    assert modulus == 61 and len(elements) == 61 and len(counts) == 2
    assert abs(max(counts.values()) - 3 * min(counts.values())) <= 3
    rr = nft_render.dispatch_elements(replace(vs, lb_algo="rr"))[1]
    assert sorted(Counter(rr).values()) == [30, 31]
    assert nft_render.dispatch_elements(replace(vs, lb_algo="fo")) == (0, ())
    fo = nft_render.service_script(None, replace(vs, lb_algo="fo"))
    assert "meta l4proto tcp dnat ip to 198.51.100.13:80\n" in fo and "numgen" not in fo


def test_one_server_down_in_a_maglev_service_touches_only_moved_slots() -> None:
    vs = svc("mh", 100)
    down = replace(vs, real_servers=vs.real_servers[1:])
    script = nft_render.service_script(vs, down)
    slots = nft_render.dispatch_elements(vs)[0]
    changed = script.count(" : 198.51.")
    assert changed < slots * 0.05, changed
    # No object per real server: its elements leave the service's sets, nothing else.
    assert "delete chain" not in script and "delete counter" not in script
    value = nft_render.dest_value(vs, vs.real_servers[0])
    assert f"delete element inet alived {nft_render.dests_name(vs)} {{ {value} }}" in script
    assert f"delete element inet alived {nft_render.described_name(vs)} {{ {value} }}" in script


def test_dr_and_tun_are_refused_by_the_nat_chain() -> None:
    vs = svc("rr", 1)
    dr = replace(vs, real_servers=(replace(vs.real_servers[0], forwarding=Forwarding.DR),))
    with pytest.raises(nft_render.RenderError, match="lb_kind DR"):
        nft_render.service_script(None, dr)
    tun = replace(vs, real_servers=(replace(vs.real_servers[0], forwarding=Forwarding.TUN),))
    with pytest.raises(nft_render.RenderError, match="lb_kind TUN"):
        nft_render.service_script(None, tun)


def test_dr_service_hashes_flows_at_ingress_and_forwards_by_neighbour() -> None:
    vs = svc("wrr", 3)
    dr = replace(
        vs,
        forwarding=Forwarding.DR,
        real_servers=tuple(replace(rs, forwarding=Forwarding.DR) for rs in vs.real_servers),
    )
    with pytest.raises(nft_render.RenderError, match="link to the real servers"):
        nft_render.service_script(None, dr)
    script = nft_render.service_script(None, dr, "lan0")
    assert "add element netdev alived dr4 { 203.0.113.10 . tcp . 80 : goto vs_" in script
    assert "jhash ip saddr . th sport mod 61" in script
    assert "fwd ip to jhash ip saddr . th sport mod 61 seed 0x616c6976 map @vm_" in script
    assert "add element netdev alived vm_" in script and ": 198.51.0.1," in script
    assert 'fwd ip to 198.51.0.1 device "l"' in nft_render.service_script(
        None, replace(dr, lb_algo="fo"), "l"
    )
    assert "inet alived" not in script
    persistent = nft_render.service_script(
        None, replace(dr, persistence_timeout=60, persistence_granularity=24), "l"
    )
    assert "jhash ip saddr & 255.255.255.0 mod" in persistent
    assert "vp_" not in persistent and "flags dynamic" not in persistent
    # NAT -> DR moves the service between the tables.
    moved = nft_render.service_script(vs, dr, "lan0")
    assert "delete chain inet alived vs_" in moved and "add chain netdev alived vs_" in moved
    with pytest.raises(nft_render.RenderError, match="fwmark"):
        fw = replace(dr, key=ServiceKey(fwmark=1), real_servers=(replace(dr.real_servers[0], port=0),))
        nft_render.service_script(None, fw, "lan0")


def test_persistence_mask_and_ipv6() -> None:
    vs = svc("rr", 1, persistence_timeout=60, persistence_granularity=24)
    script = nft_render.service_script(None, vs)
    assert "ip saddr & 255.255.255.0" in script
    assert "timeout 60s" in script
    key6 = ServiceKey(family=6, protocol="UDP", address="2001:db8::10", port=53)
    vs6 = VirtualService(
        key=key6,
        lb_algo="sh",
        flags=frozenset({"sh-port"}),
        real_servers=(RealServer(address="2001:db8::11", port=53),),
    )
    script6 = nft_render.service_script(None, vs6)
    assert "meta l4proto udp dnat ip6 to jhash ip6 saddr . th sport mod 61" in script6
    assert "0 : 2001:db8::11 . 53" in script6 and "ip6 daddr . udp dport" in script6
    assert "dnat ip6 to [2001:db8::11]:53" in nft_render.service_script(None, replace(vs6, lb_algo="fo"))
    assert "jhash ip6 saddr . th sport" in script6
    assert "2001:db8::10 . udp . 53 : goto" in script6
    fw = VirtualService(
        key=ServiceKey(fwmark=7), lb_algo="dh", real_servers=(RealServer(address="192.0.2.5"),)
    )
    script_fw = nft_render.service_script(None, fw)
    assert "add element inet alived fwmarks4 { 7 : goto" in script_fw
    assert "dnat ip to jhash ip daddr mod 61 seed 0x616c6976 map @vm_" in script_fw
    assert "0 : 192.0.2.5," in script_fw and "typeof numgen inc mod 2 : ip daddr; }" in script_fw
    assert "add element inet alived afterm4 { 7 : goto va_" in script_fw
    assert "dnat ip to 192.0.2.5\n" in nft_render.service_script(None, replace(fw, lb_algo="fo"))
    assert "jhash ip daddr" in script_fw


def test_ipv6_nat_service_renders_what_nft_1_0_6_accepts() -> None:
    # The sample keepalived.conf.IPv6: a NAT virtual server on an IPv6 address, rr.
    key6 = ServiceKey(family=6, protocol="TCP", address="2001:db8::10", port=80)
    dests = tuple(RealServer(address=f"2001:db8:1::{i}", port=80) for i in (11, 12))
    vs6 = VirtualService(key=key6, lb_algo="rr", real_servers=dests)
    script = nft_render.service_script(None, vs6)
    assert "typeof numgen inc mod 2 : ip6 daddr . tcp dport; }" in script
    assert "meta l4proto tcp dnat ip6 to numgen inc mod 61 map @vm_" in script
    assert "0 : 2001:db8:1::11 . 80" in script or "0 : 2001:db8:1::12 . 80" in script
    assert "ip6 daddr . th dport @vd_" in script
    # An IPv6 key with `address . port` data in one dynamic map aborts libnftables 1.0.6
    # (netlink_gen_expr assertion): persistence by port on IPv6 is two maps, address and port,
    # never an update with concatenated IPv6 data.
    persistent = replace(vs6, persistence_timeout=50, persistence_granularity=64)
    client = "ip6 saddr & ffff:ffff:ffff:ffff::"
    address, port = nft_render.persist_maps(persistent)
    for script6 in (nft_render.service_script(None, persistent), nft_render.service_script(vs6, persistent)):
        assert (
            f"add map inet alived {address} {{ type ipv6_addr : ipv6_addr; flags dynamic,timeout;" in script6
        )
        assert (
            f"add map inet alived {port} {{ type ipv6_addr : inet_service; flags dynamic,timeout;" in script6
        )
        assert f"meta l4proto tcp dnat ip6 to {client} map @{address} : {client} map @{port}\n" in script6
        assert f"update @{address} {{ {client} : ip6 daddr }}" in script6
        assert f"update @{port} {{ {client} : th dport }}" in script6
        assert "ip6 daddr . th dport }" not in script6  # the form that aborts
    gone = nft_render.service_script(persistent, None)
    assert f"delete map inet alived {address}\n" in gone and f"delete map inet alived {port}\n" in gone
    # The persisted real server of each client, from the two maps as listed.
    listed = {
        address: {"2001:db8::": "2001:db8:1::11", "2001:db8:2::": "2001:db8:1::12"},
        port: {"2001:db8::": "80"},
    }
    assert nft_render.persisted(persistent, listed) == {"2001:db8::": "2001:db8:1::11 . 80"}
    assert nft_render.forget_script(persistent, {address: ["2001:db8::"], port: ["2001:db8::"]}) == (
        f"delete element inet alived {address} {{ 2001:db8:: }}\n"
        f"delete element inet alived {port} {{ 2001:db8:: }}\n"
    )
    # By address only (fwmark) the map's data is one address: accepted.
    fw6 = VirtualService(
        key=ServiceKey(family=6, fwmark=9),
        lb_algo="rr",
        persistence_timeout=50,
        persistence_granularity=64,
        real_servers=(RealServer(address="2001:db8:1::11"),),
    )
    script_fw6 = nft_render.service_script(None, fw6)
    assert "update @vp_" in script_fw6 and "{ ip6 saddr & ffff:ffff:ffff:ffff:: : ip6 daddr }" in script_fw6
    # IPv4 persistence keeps its `address . port` data.
    script4 = nft_render.service_script(None, svc("rr", 2, persistence_timeout=60))
    assert ": ip daddr . th dport }" in script4


def _listing(*services: VirtualService) -> list[dict[str, object]]:
    """A JSON listing as `nft -j list table` gives it for these services' scripts."""
    items: list[dict[str, object]] = [{"rule": {"chain": "prerouting"}} for _ in range(nft_render.BASE_RULES)]
    items += [{"rule": {"chain": "postnat"}} for _ in range(nft_render.POSTNAT_RULES)]
    for vs in services:
        items.append({"rule": {"chain": "x", "comment": nft_render._vs_comment(vs)}})
        elems = [
            {"elem": {"val": _val(nft_render.dest_value(vs, rs)), "comment": nft_render._rs_comment(rs)}}
            for rs in vs.real_servers
        ]
        items.append({"set": {"family": "inet", "name": nft_render.described_name(vs), "elem": elems}})
        counted = [
            {"elem": {"val": e["elem"]["val"], "counter": {"packets": 2, "bytes": 120}}} for e in elems
        ]
        items.append({"set": {"family": "inet", "name": nft_render.dests_name(vs), "elem": counted}})
    items.append({"counter": {"family": "inet", "name": "vc_x", "packets": 3, "bytes": 180}})
    items.append({"rule": {"chain": "x", "comment": "someone else's"}})
    items.append({"set": {"family": "inet", "name": "vr_y", "elem": ["192.0.2.1"]}})
    return items


def _val(text: str) -> object:
    """nft's JSON for a value: a concatenation is a list, a port an integer."""
    parts = text.split(" . ")
    if len(parts) == 1:
        return text
    return {"concat": [parts[0], int(parts[1])]}


def test_a_listing_reads_back_as_the_state_it_was_written_from() -> None:
    a = svc("wrr", 3, persistence_timeout=30, persistence_granularity=24, flags=frozenset({"ops"}))
    b = VirtualService(
        key=ServiceKey(fwmark=3, family=6),
        lb_algo="mh",
        real_servers=(RealServer(address="2001:db8::5", weight=4),),
    )
    listing = nft_render.parse_listing(_listing(a, b))
    assert listing.has_base
    assert listing.state.by_key() == {a.key: a, b.key: b}
    assert listing.counters["inet:vc_x"] == (3, 180)
    assert listing.counters[nft_render.counter_key(a, a.real_servers[1])] == (2, 120)
    assert listing.counters[nft_render.counter_key(b, b.real_servers[0])] == (2, 120)
    assert not nft_render.parse_listing([]).has_base
    # A table from before the post-DNAT chain is not taken as complete.
    assert not nft_render.parse_listing([i for i in _listing(a) if "postnat" not in str(i)]).has_base


def test_a_change_from_the_held_table_writes_only_the_leaving_servers_slots() -> None:
    vs = svc("wrr", 1000)
    gone = vs.real_servers[17]
    down = replace(vs, real_servers=tuple(rs for rs in vs.real_servers if rs != gone))
    _, table, _ = nft_render.dispatch_table(vs, None)
    assert table is not None
    script, after = nft_render.service_change(vs, down, table)
    assert after is not None
    value = nft_render.dest_value(vs, gone)
    mine = [s for s, name in enumerate(table.slots) if name == nft_render.slot_name(gone)]
    written = [line for line in script.splitlines() if " element " in line and " vm_" in line]
    deleted = next(line for line in written if line.startswith("delete element"))
    assert sorted(int(x) for x in deleted.split("{")[1].strip(" }").split(",")) == mine
    added = next(line for line in written if line.startswith("add element"))
    assert added.count(" : ") == len(mine) and value not in added
    # A few lines whatever the pool: the moved slots and the server's elements; the service's
    # rules are the same, so they are not rewritten (a rule naming the map costs a walk of it).
    assert len(script.splitlines()) == 4 and "rule" not in script and "flush" not in script
    # A change of the rules (here the scheduler) rewrites them.
    rewritten = nft_render.service_change(vs, replace(down, lb_algo="mh"), table)[0]
    assert "flush chain inet alived vs_" in rewritten and "jhash ip saddr" in rewritten
    # Back again: from the table the kernel now holds, the same slots are written once more.
    script_back, _ = nft_render.service_change(down, vs, after)
    assert script_back.count(f" : {value}") == len(mine)


def test_a_listed_map_gives_the_table_back() -> None:
    vs = svc("wrr", 5)
    modulus, elements = nft_render.dispatch_elements(vs)
    items = [
        *_listing(vs),
        {
            "map": {
                "name": nft_render.map_name(vs),
                "elem": [[slot, _val(v)] for slot, v in enumerate(elements)],
            }
        },
    ]
    listing = nft_render.parse_listing(items)
    table = listing.tables()[KEY]
    assert table.size == modulus
    assert tuple(nft_render._value(False, 80, n) for n in table.slots) == elements


def test_a_weight_change_rewrites_the_description_and_keeps_the_counted_element() -> None:
    vs = svc("wrr", 3)
    heavier = replace(vs, real_servers=(replace(vs.real_servers[0], weight=5), *vs.real_servers[1:]))
    script = nft_render.service_script(vs, heavier)
    value = nft_render.dest_value(vs, vs.real_servers[0])
    assert f'add element inet alived {nft_render.described_name(vs)} {{ {value} comment "alived rs ' in script
    assert nft_render.dests_name(vs) not in script.replace(f"@{nft_render.dests_name(vs)}", "")


def test_the_persistence_engine_is_read_back_and_old_comments_still_parse() -> None:
    sip = replace(svc("rr", 2, persistence_timeout=60), persistence_engine="sip")
    assert nft_render.parse_listing(_listing(sip)).state == LbState.of([sip])
    plain = svc("rr", 2)
    old_comment = nft_render._vs_comment(plain).rsplit(" ", 1)[0]  # written before the engine word
    items = [
        {"rule": {"chain": "x", "comment": old_comment}} if "comment" in i.get("rule", {}) else i
        for i in _listing(plain)
    ]
    assert nft_render.parse_listing(items).state == LbState.of([plain])


def test_the_dr_ingress_hook_is_read_from_text_and_moved_in_one_script() -> None:
    one = 'table netdev alived {\n\tchain ingress {\n\t\ttype filter hook ingress device "eth0" priority 0;'
    many = "\t\ttype filter hook ingress devices = { eth0, eth1 } priority filter; policy accept;"
    assert nft_render.ingress_devices(one) == {"eth0"}
    assert nft_render.ingress_devices(many) == {"eth0", "eth1"}
    assert nft_render.ingress_devices("chain ingress {\n}") == frozenset()
    script = nft_render.dr_rehook_script(["eth1"])
    assert script.startswith("flush chain netdev alived ingress\ndelete chain netdev alived ingress\n")
    assert (
        'add chain netdev alived ingress { type filter hook ingress devices = { "eth1" } priority 0; }'
        in script
    )
    assert script.count("add rule netdev alived ingress") == nft_render.DR_BASE_RULES


def test_a_netmask_that_is_not_solid_masks_the_client_and_reads_back() -> None:
    odd = svc("rr", 2, persistence_timeout=60, persistence_granularity=Netmask(0xFF00FF00))
    script = nft_render.service_script(None, odd)
    assert "ip saddr & 255.0.255.0 map @" in script and "update @" in script
    name = nft_render.persist_name(odd)
    assert name.endswith("_60_mff00ff00") and name.replace("_", "").isalnum()
    assert f"add map inet alived {name} " in script
    # DR hashes the masked client at ingress the same way.
    dr_servers = tuple(replace(rs, forwarding=Forwarding.DR) for rs in odd.real_servers)
    dr = replace(odd, forwarding=Forwarding.DR, real_servers=dr_servers)
    assert "jhash ip saddr & 255.0.255.0 mod" in nft_render.service_script(None, dr, "lan0")
    # The service's comment carries the mask, so a restart reads back the same service.
    assert nft_render.parse_listing(_listing(odd)).state == LbState.of([odd])
    # Going to a solid mask is a new persistence map (another name), not a reuse of this one.
    assert nft_render.persist_name(replace(odd, persistence_granularity=24)) != name
