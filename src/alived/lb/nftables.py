"""The nftables load-balancer backend: table `inet alived` through libnftables (python3-nftables).

The only module that imports `nftables`. It owns nothing but its table: every command names
`inet alived`, so other tables are never read or changed. `read_actual` lists the table as
JSON and parses the descriptions the services and destinations carry (nft_render.py);
`apply` turns a plan into one nft script per touched service and runs them all as one
transaction. When the kernel refuses the transaction, each service's script is retried alone,
so one bad service is logged with its operations and the others still apply.

NAT here is DNAT: replies must come back through the director (the real servers' route to
the clients goes via the director, as with IPVS NAT). Where they would not, the director also
needs SNAT/masquerade on the way to the real servers; alived does not add it silently.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import nftables

from alived.core.lb.maglev import MaglevTable
from alived.core.lb.model import LbState, ServiceKey, VirtualService
from alived.core.lb.plan import Op, apply_ops, describe, op_changes, op_service
from alived.errors import BackendError
from alived.lb import nft_render
from alived.lb.base import Counters, OpFailure
from alived.linux import kernel_ops

log = logging.getLogger("alived.lb.nftables")


class NftablesBackend:
    """LbBackend on libnftables; state read from the kernel at construction (reconcile)."""

    name = "nftables"

    def __init__(self, *, dr_device: str | None = None, dr_ingress: tuple[str, ...] = ()) -> None:
        """`dr_ingress`: the links clients' packets arrive on, `dr_device`: the link to the real
        servers; both only for DR services (a netdev table `alived` hooked at ingress)."""
        self._nft = nftables.Nftables()
        self._nft.set_json_output(True)
        self._nft.set_handle_output(False)
        self._dr_device = dr_device
        listing = self._list()
        if not listing.has_base:
            self._run(nft_render.base_script(), "create table inet alived")
            listing = self._list()
        if dr_ingress and not listing.has_dr_base:
            self._run(nft_render.dr_base_script(dr_ingress), "create table netdev alived")
            listing = self._list()
        elif dr_ingress and self._ingress_devices() != frozenset(dr_ingress):
            # Links changed (a reload): the hook moves to them, the services stay in place.
            self._run(nft_render.dr_rehook_script(dr_ingress), "re-hook netdev alived ingress")
            log.info("nftables: DR ingress hooked on %s", ", ".join(dr_ingress))
        self._state = listing.state
        self._tables = listing.tables()

    # -- kernel access --

    def _run(self, script: str, what: str) -> str:
        rc, out, err = self._write(script)
        if rc != 0:
            raise BackendError(what, detail=str(err).strip())
        return str(out)

    def _ingress_devices(self) -> frozenset[str]:
        """The links the DR ingress chain is hooked on now (from the text listing)."""
        self._nft.set_json_output(False)
        try:
            rc, out, err = self._nft.cmd(f"list chain netdev {nft_render.TABLE} ingress")
        finally:
            self._nft.set_json_output(True)
        if rc != 0:
            raise BackendError("list chain netdev alived ingress", detail=str(err).strip())
        return nft_render.ingress_devices(str(out))

    def _write(self, script: str) -> tuple[int, Any, Any]:
        """One nft script that changes the ruleset: one kernel transaction, counted."""
        kernel_ops.count("nftables", "transaction")
        rc, out, err = self._nft.cmd(script)
        return int(rc), out, err

    def _list(self) -> nft_render.Listing:
        items: list[dict[str, Any]] = []
        for family in (nft_render.FAMILY, "netdev"):
            rc, out, err = self._nft.cmd(f"list table {family} {nft_render.TABLE}")
            if rc != 0:
                if "No such file or directory" in str(err):
                    continue
                raise BackendError(f"list table {family} alived", detail=str(err).strip())
            items += json.loads(out)["nftables"]
        return nft_render.parse_listing(items)

    # -- LbBackend --

    def read_actual(self) -> LbState:
        listing = self._list()
        self._state = listing.state
        self._tables = listing.tables()
        return self._state

    def known_state(self) -> LbState:
        """The state as this backend left it (no kernel read): what the checker child plans against
        between reconciles, so a change costs its own transaction and not a full listing."""
        return self._state

    def apply(self, ops: tuple[Op, ...]) -> tuple[OpFailure, ...]:
        if not ops:
            return ()
        by_service: dict[ServiceKey, list[Op]] = defaultdict(list)
        for op in ops:
            by_service[op_service(op)].append(op)
        current = self._state.by_key()
        before = {key: current.get(key) for key in by_service}
        scripts: dict[ServiceKey, str] = {}
        results: dict[ServiceKey, VirtualService | None] = {}
        tables: dict[ServiceKey, MaglevTable | None] = {}
        failures: list[OpFailure] = []
        for key, service_ops in by_service.items():
            try:
                after = apply_ops(LbState.of([current[key]] if key in current else []), service_ops)
                new = results[key] = after.by_key().get(key)
                old = current.get(key)
                if (
                    new is not None
                    and new.persistence_engine
                    and (old is None or old.attributes != new.attributes)
                ):
                    note = nft_render.engine_note(new.key, new.persistence_engine, new.persistence_timeout)
                    log.warning("nftables: %s", note)
                table = self._tables.get(key)
                if table is None and old is not None:
                    # Not read back (no map listed): assume the table a fill from scratch gives.
                    _, table, _ = nft_render.dispatch_table(old, None)
                # The plan says which destinations changed: the pools are not compared again.
                changes = op_changes(old, service_ops) if old is not None else None
                scripts[key], tables[key] = nft_render.service_change(
                    old, new, table, self._dr_device, changes
                )
            except ValueError as exc:  # RenderError: a service this backend cannot express
                failures.extend(self._fail(service_ops, str(exc)))
        ok_keys = list(scripts)
        rc = 0
        if scripts:
            rc, _, _ = self._write("".join(scripts[k] for k in ok_keys))
        if rc != 0:
            # One transaction refused: find the service(s) at fault, apply the rest one by one.
            ok_keys = []
            for key, script in scripts.items():
                rc, _, err = self._write(script)
                if rc == 0:
                    ok_keys.append(key)
                else:
                    failures.extend(self._fail(by_service[key], str(err).strip()))
        # The services as applied (the same as apply_ops over the whole state, without redoing it).
        for key in ok_keys:
            done_vs = results[key]
            if done_vs is None:
                current.pop(key, None)
            else:
                current[key] = done_vs
        self._state = LbState.of(current.values())
        for key in ok_keys:
            done = tables[key]
            if done is None:
                self._tables.pop(key, None)
            else:
                self._tables[key] = done
        for key in ok_keys:
            old, new = before[key], results[key]
            if (
                old is not None
                and new is not None
                and nft_render.is_persistent(new)
                and nft_render.persist_name(old) == nft_render.persist_name(new)
            ):
                self._forget(new, nft_render.left_pool(old, new))
        return tuple(failures)

    def _forget(self, vs: VirtualService, left: frozenset[str]) -> None:
        """Persisted clients of real servers that left the pool are scheduled afresh.

        Done after the transaction that took those servers out of the dispatch, so no new
        client can be persisted to them meanwhile; until it runs (a few ms), persisted clients
        still reach them. Only this service's persistence map(s) are listed."""
        if not left or not vs.persistence_timeout or nft_render.is_dr(vs):
            return
        names = nft_render.persist_maps(vs)
        err = ""
        for _ in range(3):  # an element may expire between the listing and the delete
            maps: dict[str, dict[str, str]] = {}
            for name in names:
                rc, out, err = self._nft.cmd(f"list map {nft_render.FAMILY} {nft_render.TABLE} {name}")
                if rc != 0:
                    log.error("nftables: list map %s failed: %s", name, str(err).strip())
                    return
                maps[name] = {
                    nft_render.element_key(client)[0]: nft_render.value_text(dest)
                    for item in json.loads(out)["nftables"]
                    if "map" in item
                    for client, dest in item["map"].get("elem", [])
                }
            gone = {c for c, dest in nft_render.persisted(vs, maps).items() if dest in left}
            if not gone:
                return
            stale = {name: [c for c in maps[name] if c in gone] for name in names}
            rc, _, err = self._write(nft_render.forget_script(vs, stale))
            if rc == 0:
                return
        log.error("nftables: forgetting persisted clients in %s failed: %s", names[0], str(err).strip())

    def _fail(self, ops: list[Op], error: str) -> list[OpFailure]:
        for op in ops:
            log.error("nftables: %s failed: %s", describe(op), error)
        return [OpFailure(op=op, error=error) for op in ops]

    def counters(self) -> dict[ServiceKey, Counters]:
        return read_counters(self._nft, self._state.services)

    def counter_reader(self) -> Callable[[], dict[ServiceKey, Counters]]:
        """`counters` for another thread: its own libnftables context (one context is not to be
        shared between threads) and the services as they are now. At 1,000 services a reading
        takes about a second, which the checker child's loop must not wait for."""
        services = self._state.services

        def read() -> dict[ServiceKey, Counters]:
            nft = nftables.Nftables()
            nft.set_json_output(True)
            nft.set_handle_output(False)
            return read_counters(nft, services)

        return read


def read_counters(nft: nftables.Nftables, services: Iterable[VirtualService]) -> dict[ServiceKey, Counters]:
    """From the named service counters and each NAT service's set of real servers (their
    elements count new connections): not the whole table, whose maps may be large."""
    services = tuple(services)
    items: list[dict[str, Any]] = []
    families = {"netdev" if nft_render.is_dr(vs) else nft_render.FAMILY for vs in services}
    for family in sorted(families):
        items += _json(nft, f"list counters table {family} {nft_render.TABLE}")
    for vs in services:
        if not nft_render.is_dr(vs):
            items += _json(
                nft, f"list set {nft_render.FAMILY} {nft_render.TABLE} {nft_render.dests_name(vs)}"
            )
    found = nft_render.parse_listing(items).counters
    return {vs.key: _service_counters(vs, found) for vs in services}


def _json(nft: nftables.Nftables, command: str) -> list[dict[str, Any]]:
    rc, out, err = nft.cmd(command)
    if rc != 0:
        log.error("nftables: %s failed: %s", command, str(err).strip())
        return []
    items: list[dict[str, Any]] = json.loads(out)["nftables"]
    return items


def _service_counters(vs: VirtualService, found: dict[str, tuple[int, int]]) -> Counters:
    packets, nbytes = found.get(nft_render.counter_key(vs), (0, 0))
    if nft_render.is_dr(vs):  # ingress sees every packet; no per-real-server counters there
        return Counters(packets=packets, bytes=nbytes)
    per_rs = {rs.key: found.get(nft_render.counter_key(vs, rs), (0, 0)) for rs in vs.real_servers}
    return Counters(packets=packets, bytes=nbytes, real_servers=per_rs, first_packets_only=True)
