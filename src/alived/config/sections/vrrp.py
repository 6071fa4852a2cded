"""VRRP-side blocks: vrrp_instance, vrrp_sync_group, vrrp_script, track_file, vrrp_track_process,
garp_group, track_group, linkbeat_interfaces, interface_up_down_delays: value parsers and builders."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from alived.config import model
from alived.config.diagnostics import Diagnostic, Severity
from alived.config.sections.common import (
    INVALID,
    Ctx,
    Fields,
    Set,
    parse_interface,
    parse_ip,
    read_int,
    read_timer,
    required,
    script,
)
from alived.config.tree import Node
from alived.defaults import is_virtual_router_mac
from alived.errors import Location
from alived.units import SECOND, Ticks


def named(ctx: Ctx, node: Node, what: str) -> str | None:
    if not node.args:
        ctx.error(f"{what} requires a name", node, what)
        return None
    return node.args[0]


def _build(
    ctx: Ctx, node: Node, fields: Fields, cls: type[Any], what: str, *, fatal: bool = False, **extra: Any
) -> Any:
    """fatal: keepalived reads this block's name unchecked, so a nameless block exits 2; extra: the
    places (compare=False fields) keepalived reports some later checks at."""
    if fatal and not node.args:
        ctx.missing(node)
        return INVALID
    name = named(ctx, node, what)
    if name is None:
        return INVALID
    return cls(name=name, location=node.line.location, **fields.values, **extra)


def _to_its_line(diagnostics: list[Diagnostic], start: Location) -> None:
    """Move the last diagnostic back among the block's others to where its line was read, as
    keepalived reports it while reading (the block's own reports are the list's tail)."""
    last = diagnostics.pop()
    at = len(diagnostics)
    here = last.location
    while here is not None and at > 0:
        seen = diagnostics[at - 1].location
        if seen is None or seen.file != here.file or not here.line < seen.line or seen.line < start.line:
            break
        at -= 1
    diagnostics.insert(at, last)


def build_instance(ctx: Ctx, node: Node, fields: Fields) -> Any:
    if not node.args:
        ctx.error("vrrp_instance must have a name", node, "vrrp_instance")
        return INVALID
    name = node.args[0]
    _instance_notes(ctx, node, name)
    _settle_family(ctx, node, fields, name)
    _deprecated(ctx, fields, name)
    if fields.get("interface") == "lo":
        # keepalived refuses a loopback interface where it reads the keyword; the instance is then
        # left without one ("Unknown interface!" once the file is read).
        where = fields.where.get("interface", node.line.location)
        ctx.error(f"({name}) cannot use a loopback interface (lo) for vrrp - ignoring", where, "interface")
        _to_its_line(ctx.diagnostics, node.line.location)
        del fields.values["interface"]
    interface_at = fields.where.get("interface")
    unicast = (
        "unicast_peer",
        "unicast_src_ip",
        "check_unicast_src",
        "old_unicast_checksum",
        "unicast_fault_no_peer",
    )
    if any(child.keyword in unicast for child in node.children or ()):
        fields.values["unicast_configured"] = True
    return _build(
        ctx,
        node,
        fields,
        model.VrrpInstance,
        "vrrp_instance",
        interface_location=interface_at,
        end_location=node.end,
    )


def _deprecated(ctx: Ctx, fields: Fields, name: str) -> None:
    """Instance keywords keepalived warns about where it reads them, naming the instance."""
    if fields.get("linkbeat_use_polling"):
        message = (
            f"({name}) 'linkbeat_use_polling' in vrrp instance deprecated - use linkbeat_interfaces block"
        )
        ctx.warning(message, fields.where["linkbeat_use_polling"], "linkbeat_use_polling")
    if fields.get("lvs_sync_daemon_interface") is not None:
        where = fields.where["lvs_sync_daemon_interface"]
        message = f"({name}) Specifying lvs_sync_daemon_interface against a vrrp is deprecated."
        ctx.warning(message, where, "lvs_sync_daemon_interface")
        # its second line lines the advice up under the first's text (a negative C width pads too)
        pad = " " * (6 + abs(len(name) - 2))
        ctx.warning(f"{pad}Please use global lvs_sync_daemon", where, "lvs_sync_daemon_interface")


_ADDRESS_KEYS = frozenset({"unicast_src_ip", "mcast_src_ip", "mcast_dst_ip"})
_FAMILY_KEYS = _ADDRESS_KEYS | {"native_ipv6", "use_ipvlan", "unicast_peer"}


def _settle_family(ctx: Ctx, node: Node, fields: Fields, name: str) -> None:
    """keepalived fixes an instance's address family with the first address it reads (or with
    native_ipv6) and skips, where it reads them, the addresses of the other family."""
    family: int | None = None

    def fits(version: int, message: str, child: Node) -> bool:
        nonlocal family
        if family is None:
            family = version
        if version == family:
            return True
        ctx.error(message, child, child.keyword)
        return False

    def drop(child: Node) -> None:
        key = child.keyword
        if fields.where.get(key) == child.line.location:
            del fields.values[key]

    vips = {e.location: e.family for e in fields.get("virtual_ipaddress", ())}
    if not _FAMILY_KEYS.intersection(fields.values) and len(set(vips.values())) <= 1:
        # the common case: nothing but VIPs of one family (or none) to settle it
        if vips:
            fields.values["family"] = next(iter(vips.values()))
        return
    for child in node.children or ():
        key = child.keyword
        address = parse_ip(child.args[0]) if child.args and key in _ADDRESS_KEYS else None
        if key in ("unicast_src_ip", "mcast_src_ip") and address is not None:
            written = child.args[0]
            message = (
                f"Configuration error: VRRP instance[{name}] and src address[{written}]"
                " MUST be of the same family !!! Skipping..."
            )
            if not fits(address.version, message, child):
                drop(child)
        elif key == "mcast_dst_ip" and address is not None:
            written = child.args[0]
            message = f"({name}) mcast dest address {written} MUST match VRRP instance family. Skipping..."
            if not fits(address.version, message, child):
                drop(child)
            elif not (address.is_multicast and (address.version == 4 or address.packed[1] & 0x0F == 2)):
                local = " link-local" if address.version == 6 else ""
                ctx.error(f"({name}) mcast_dst_ip {written} not{local} multicast. Skipping...", child, key)
                drop(child)
        elif key == "native_ipv6":
            if family == 4:
                ctx.error(f"({name}) Cannot specify native_ipv6 with IPv4 addresses", child, key)
                drop(child)
            else:
                family = 6
        elif key == "use_ipvlan" and isinstance(fields.get(key), model.UseIpvlan):
            ipvlan = fields.values[key].address
            if ipvlan is not None and fields.where.get(key) == child.line.location:
                message = f"({name}) ipvlan address[{ipvlan}] MUST match vrrp instance family !!! Skipping..."
                if not fits(ipvlan.version, message, child):
                    fields.values[key] = replace(fields.values[key], address=None)
        elif key == "unicast_peer":
            for line in child.children or ():
                peer = parse_ip(line.keyword)
                if peer is not None:
                    message = (
                        f"Configuration error: VRRP instance[{name}] and unicast peer address"
                        f"[{line.keyword}] MUST be of the same family !!! Skipping..."
                    )
                    fits(peer.version, message, line)
        elif key == "virtual_ipaddress":
            for line in child.children or ():
                version = vips.get(line.line.location)
                if version is not None:
                    message = f"({name}): address family must match VRRP instance [{line.keyword}] - ignoring"
                    fits(version, message, line)
    if family is None:
        return
    fields.values["family"] = family
    if "unicast_peer" in fields:
        fields.values["unicast_peer"] = tuple(
            p for p in fields.values["unicast_peer"] if p.address.version == family
        )
    if "virtual_ipaddress" in fields:
        fields.values["virtual_ipaddress"] = tuple(
            v for v in fields.values["virtual_ipaddress"] if v.family == family
        )


# keepalived's instance handlers add a line naming the instance after a bad number; {word}: the value.
_NUMBER_NOTES: dict[str, str] = {
    "priority": "({name}) Priority not valid! must be between 1 & 255. Using default 100",
    "advert_int": "({name}) Advert interval ({word}) not valid! Must be > 0 - ignoring",
    "version": "({name}): Version must be either 2 or 3",
    "virtual_router_id": "({name}): VRID '{word}' not valid - must be between 1 & 255",
}
# Messages keepalived prefixes with the instance's name (the value parsers cannot know it).
_NAMED_PREFIXES: tuple[str, ...] = ("unknown state '", "unknown authentication type '")
# ... and these with a colon after the name.
_COLON_NAMED_PREFIXES: tuple[str, ...] = ("garp_extra_if ", "vmac_garp_intvl ")


def _instance_notes(ctx: Ctx, node: Node, name: str) -> None:
    """Name the instance in its block's diagnostics as keepalived's handlers do.

    The block was interpreted just before its builder runs, so its diagnostics are the list's tail.
    """
    lines: dict[object, Node] = {}
    pending = list(node.children or ())
    while pending:
        child = pending.pop()
        lines[child.line.location] = child
        pending.extend(child.children or ())
    start = len(ctx.diagnostics)
    while start > 0 and ctx.diagnostics[start - 1].location in lines:
        start -= 1
    out: list[Diagnostic] = []
    for found in ctx.diagnostics[start:]:
        owner = lines[found.location]
        if found.message.startswith(_NAMED_PREFIXES):
            out.append(replace(found, message=f"({name}) {found.message}"))
        elif found.message.startswith(_COLON_NAMED_PREFIXES):
            out.append(replace(found, message=f"({name}): {found.message}"))
        else:
            out.append(found)
        note = _NUMBER_NOTES.get(owner.keyword)
        if note is not None and found.message.startswith(("invalid number '", "number '")):
            word = owner.args[0] if owner.args else ""
            out.append(replace(found, message=note.format(name=name, word=word)))
    ctx.diagnostics[start:] = out


def _name_empty_group(ctx: Ctx, node: Node, what: str) -> None:
    """keepalived names the group in its empty `group {}` warning; the value block cannot know it."""
    if not node.args:
        return
    generic = f"Warning - {what} has empty group block"
    inside = range(node.line.location.line, (node.end or node.line.location).line + 1)
    for i in range(len(ctx.diagnostics) - 1, -1, -1):
        found = ctx.diagnostics[i]
        where = found.location
        if where is None or where.file != node.line.location.file or where.line not in inside:
            break
        if found.message == generic:
            named = f"Warning - {what} {node.args[0]} has empty group block"
            ctx.diagnostics[i] = replace(found, message=named)


def build_sync_group(ctx: Ctx, node: Node, fields: Fields) -> Any:
    _name_empty_group(ctx, node, "sync group")
    return _build(ctx, node, fields, model.VrrpSyncGroup, "vrrp_sync_group")


# keepalived's vrrp_script handlers add a line naming the script after a bad value.
_SCRIPT_NOTES: dict[str, str] = {
    "interval": "({name}): vrrp script interval '{word}' must be between 1 and 4294 - ignoring",
    "timeout": "({name}): vrrp script timeout '{word}' invalid - ignoring",
    "weight": "vrrp_script {name} weight {word} must be in [-253, 253]",
    "rise": "({name}): vrrp script rise value '{word}' invalid, defaulting to 1",
    "fall": "({name}): vrrp script fall value '{word}' invalid, defaulting to 1",
}


def _script_notes(ctx: Ctx, node: Node, fields: Fields) -> None:
    if not node.args:
        return
    name = node.args[0]
    bad = {d.location for d in ctx.diagnostics if d.message.startswith(("invalid number '", "number '"))}
    for child in node.children or ():
        key, where = child.keyword, child.line.location
        note = _SCRIPT_NOTES.get(key)
        if note is None or not child.args:
            continue
        if where in bad:
            ctx.error(note.format(name=name, word=child.args[0]), child, key)
        elif key in ("interval", "timeout") and fields.get(key) == 0 and fields.where.get(key) == where:
            ctx.error(f"({name}): vrrp script {key} must be greater than 0, setting to 1", child, key)
            fields.values[key] = Ticks(1_000_000)
        if key == "weight" and len(child.args) > 1 and child.args[1] != "reverse":
            ctx.error(f"vrrp_script {name} unknown weight option {child.args[1]}", child, key)


@required
def script_seconds(ctx: Ctx, node: Node) -> Any:
    """vrrp_script interval / timeout: whole seconds (0 is taken, then set to 1)."""
    value = read_int(ctx, node, node.args[0], 0, 4294)
    return Ticks(value * 1_000_000) if isinstance(value, int) else INVALID


def build_script(ctx: Ctx, node: Node, fields: Fields) -> Any:
    _script_notes(ctx, node, fields)
    return _build(ctx, node, fields, model.VrrpScript, "vrrp_script", fatal=True, end_location=node.end)


def build_track_file(ctx: Ctx, node: Node, fields: Fields) -> Any:
    if node.args and fields.get("file") is None:
        # keepalived checks it as the block ends, and drops the tracker
        ctx.error(f"No file set for track_file {node.args[0]} - ignoring", node.end or node, node.keyword)
        return INVALID
    built = _build(ctx, node, fields, model.TrackFile, node.keyword, fatal=True)
    if built is not INVALID:
        # a checker's FILE_CHECK finds only the files defined before it
        ctx.memo.setdefault("track_files", set()).add(built.name)
    return built


def build_track_process(ctx: Ctx, node: Node, fields: Fields) -> Any:
    return _build(ctx, node, fields, model.TrackProcess, "vrrp_track_process", fatal=True)


def build_track_group(ctx: Ctx, node: Node, fields: Fields) -> Any:
    _name_empty_group(ctx, node, "track group")
    return _build(ctx, node, fields, model.TrackGroup, "track_group")


def build_garp_group(ctx: Ctx, node: Node, fields: Fields) -> Any:
    """keepalived gives each interface to one garp_group, in file order; a group without any delay
    is removed at its `}` (naming its aggregation number: 0 unless it has an `interfaces` block)."""
    taken: set[str] = ctx.memo.setdefault("garp_interfaces", set())
    numbered: list[int] = ctx.memo.setdefault("garp_numbered", [0])
    names: list[str] = []
    places: list[Location] = []
    number = 0
    for child in node.children or ():
        if child.keyword == "interface" and child.args:
            # keepalived names the interface it is reading
            found = [(child.args[0], child.args[0], child.line.location)]
        elif child.keyword == "interfaces" and child.children:
            words = [w for c in child.children if c.children is None for w in c.line.tokens]
            if not words:
                continue
            number = numbered[0] + 1
            where = child.end or child.line.location
            # keepalived's repeat message names the block's second word, whichever was repeated
            shown = words[1] if len(words) > 1 else ""
            found = [(w, shown, where) for w in words]
        else:
            continue
        for name, named_as, where in found:
            if name in taken or name in names:
                if not named_as:
                    # the block has no second word: keepalived's parser stops on the missing word
                    ctx.report(
                        f"*** Configuration line starting `{name}` is missing a parameter after keyword"
                        f" `{name}` at word position 2",
                        where,
                        Severity.ABORT,
                    )
                    return INVALID
                ctx.error(f"garp_group already specified for {named_as} - ignoring", where)
                continue
            names.append(name)
            places.append(where)
    values = {k: v for k, v in fields.values.items() if k not in ("interface", "interfaces")}
    if values.get("garp_interval") is None and values.get("gna_interval") is None:
        ctx.error(f"garp group {number} does not have any delay set - removing", node.end or node)
        return INVALID
    if number:
        numbered[0] = number
    taken.update(names)
    return model.GarpGroup(
        interfaces=tuple(names),
        aggregation_group=number,
        location=node.line.location,
        interface_locations=tuple(places),
        **values,
    )


def garp_timer(ctx: Ctx, node: Node) -> Any:
    """garp_interval / gna_interval: seconds, up to keepalived's INT_MAX microseconds."""
    if not node.args:
        ctx.missing(node)
        return INVALID
    word = node.args[0]
    value = read_timer(ctx, node, word, 0, 2147.483647)
    if value is not INVALID:
        return value
    if ctx.diagnostics[-1].message.startswith("number '"):
        ctx.error(f"garp_group {node.keyword} '{word}' invalid", node, node.keyword)
        return INVALID
    # keepalived's reader reports a non-number but lets the handler take it, as 0
    return Ticks(0)


def build_authentication(ctx: Ctx, node: Node, fields: Fields) -> Any:
    del ctx, node
    return model.Authentication(**fields.values)


def build_auth_hmac(ctx: Ctx, node: Node, fields: Fields) -> Any:
    del ctx, node
    return model.AuthHmac(**fields.values)


# ---------------------------------------------------------------- value parsers


@required
def state(ctx: Ctx, node: Node) -> Any:
    word = node.args[0] if node.args else ""
    if word in ("MASTER", "BACKUP"):
        return word
    ctx.error(f"unknown state '{word}', defaulting to BACKUP", node, "state")
    return "BACKUP"


@required
def auth_type(ctx: Ctx, node: Node) -> Any:
    word = node.args[0] if node.args else ""
    if word in ("PASS", "AH"):
        return word
    ctx.error(f"unknown authentication type '{word}'", node, "auth_type")
    return INVALID


@required
def auth_pass(ctx: Ctx, node: Node) -> Any:
    if not node.args:
        ctx.error("auth_pass requires a parameter", node, "auth_pass")
        return INVALID
    password = node.args[0]
    if len(password.encode()) > 8:
        ctx.warning("Truncating auth_pass to 8 characters", node, "auth_pass")
        password = password.encode()[:8].decode(errors="ignore")
    return password


def track_entry(lo: int, hi: int) -> Any:
    """`NAME [weight W [reverse|noreverse]]` lines of a track_* value block."""

    def parse(ctx: Ctx, node: Node) -> Any:
        tokens = node.line.tokens
        weight: int | None = None
        reverse: bool | None = None
        i = 1
        while i < len(tokens):
            word = tokens[i]
            if word == "weight" and i + 1 < len(tokens):
                value = read_int(ctx, node, tokens[i + 1], lo, hi)
                if value is INVALID:
                    return INVALID
                assert isinstance(value, int)
                weight = value
                i += 2
                continue
            if word in ("reverse", "noreverse"):
                reverse = word == "reverse"
            else:
                ctx.error(f"unknown track option '{word}' for {tokens[0]}", node)
            i += 1
        return model.TrackEntry(name=tokens[0], weight=weight, reverse=reverse, location=node.line.location)

    return parse


def unicast_peer(ctx: Ctx, node: Node) -> Any:
    tokens = node.line.tokens
    address = parse_ip(tokens[0])
    if address is None:
        ctx.error(f"Invalid unicast peer address '{tokens[0]}'", node, "unicast_peer")
        return INVALID
    ttls: dict[str, int] = {}
    i = 1
    while i < len(tokens):
        word = tokens[i]
        if word in ("min_ttl", "max_ttl") and i + 1 < len(tokens):
            value = read_int(ctx, node, tokens[i + 1], 0, 255)
            if value is INVALID:
                return INVALID
            assert isinstance(value, int)
            ttls[word] = value
            i += 2
            continue
        ctx.error(f"Unknown unicast_peer option '{word}'", node, "unicast_peer")
        i += 1
    return model.UnicastPeer(address=address, **ttls)


def _is_mac(word: str) -> bool:
    parts = word.split(":")
    return len(parts) in (5, 6) and all(
        len(p) == 2 and all(c in "0123456789abcdefABCDEF" for c in p) for p in parts
    )


def use_vmac(ctx: Ctx, node: Node) -> Any:
    """`use_vmac [[name] IFNAME] [MAC] [netlink_notify_msg] [group G]`."""
    args = list(node.args)
    opts: dict[str, Any] = {}
    i = 0
    while i < len(args):
        word = args[i]
        if word == "netlink_notify_msg":
            opts["netlink_notify_msg"] = True
        elif word == "group" and i + 1 < len(args):
            opts["group"] = args[i + 1]
            i += 1
        elif word == "name" and i + 1 < len(args):
            opts["name"] = args[i + 1]
            i += 1
        elif _is_mac(word):
            octets = bytes(int(o, 16) for o in word.split(":"))
            if octets[0] & 1:
                ctx.error(f"VMAC MAC address is multicast {word} - ignoring", node, "use_vmac")
            elif is_virtual_router_mac(octets[:4] + octets[4:5]):
                ctx.error(f"VMAC MAC address not allowed to be RFC5798 address ({word}) - ignoring", node)
            else:
                opts["mac"] = word.lower()
        elif "name" not in opts:
            if len(word) >= 16:
                ctx.error(f"VMAC interface name '{word}' too long - ignoring", node, "use_vmac")
            else:
                opts["name"] = word
        else:
            ctx.error(f"Unknown use_vmac option '{word}'", node, "use_vmac")
        i += 1
    return model.UseVmac(**opts)


def use_ipvlan(ctx: Ctx, node: Node) -> Any:
    opts: dict[str, Any] = {}
    for word in node.args:
        if word in ("bridge", "private", "vepa"):
            opts["mode"] = word
        elif parse_interface(word) is not None and "address" not in opts:
            opts["address"] = parse_interface(word)
        elif "name" not in opts and word != "name":
            opts["name"] = word
    del ctx
    return model.UseIpvlan(**opts)


def garp_extra_if(ctx: Ctx, node: Node) -> Any:
    """[all] SECS: whole seconds, 1-86400 globally and 0-86400 in an instance (keepalived 2.2.7 -t)."""
    keyword = node.keyword
    args = list(node.args)
    every = bool(args) and args[0] == "all"
    if every:
        args.pop(0)
    if not args:
        ctx.error(f"{keyword} specified without time - ignoring", node, keyword)
        return INVALID
    word = args[0]
    glob = keyword.startswith("vrrp_")
    if word.startswith("-"):
        ctx.error(f"negative number '{word}'", node, keyword)
        value: int | Any = INVALID
    else:
        value = read_int(ctx, node, word, 1 if glob else 0, 86400)
    if value is INVALID:
        ctx.error(f"{keyword} '{word}' invalid - ignoring", node, keyword)
        return INVALID
    prefix = "vrrp_garp_extra_if" if glob else "garp_extra_if"
    return Set({prefix: Ticks(value * SECOND), f"{prefix}_all": every})


def notify_deleted(ctx: Ctx, node: Node) -> Any:
    if not node.args:
        return Set({"notify_deleted_set": True})
    value = script(ctx, node)
    if value is INVALID:
        return INVALID
    return Set({"notify_deleted_set": True, "notify_deleted": value})


@required
def process_argv(ctx: Ctx, node: Node) -> Any:
    if not node.args:
        ctx.error("process requires a parameter", node, "process")
        return INVALID
    return node.args


def init_file(ctx: Ctx, node: Node) -> Any:
    value = 0
    overwrite = False
    for word in node.args:
        if word == "overwrite":
            overwrite = True
        else:
            number = read_int(ctx, node, word, -(2**31), 2**31 - 1)
            if number is INVALID:
                return INVALID
            assert isinstance(number, int)
            value = number
    return Set({"init_file": True, "init_file_value": value, "init_file_overwrite": overwrite})


def user_group(prefix: str = "") -> Any:
    """`user USER [[:]GROUP]` -> (prefix)user, (prefix)group."""

    @required
    def parse(ctx: Ctx, node: Node) -> Any:
        user, _, group = node.args[0].partition(":")
        if not group and len(node.args) > 1:
            group = node.args[1].lstrip(":")
        return Set({f"{prefix}user": user, f"{prefix}group": group or None})

    return parse


def linkbeat_entry(ctx: Ctx, node: Node) -> Any:
    tokens = node.line.tokens
    polling = tokens[1] if len(tokens) > 1 else "MII"
    if polling not in ("MII", "ETHTOOL", "IOCTL"):
        ctx.error(f"Unknown linkbeat type '{polling}'", node)
        return INVALID
    return model.LinkbeatInterface(interface=tokens[0], polling=polling, location=node.line.location)


def delay_entry(ctx: Ctx, node: Node) -> Any:
    tokens = node.line.tokens
    if len(tokens) < 2:
        ctx.error(f"interface_up_down_delays: {tokens[0]} requires a delay", node)
        return INVALID
    down = read_timer(ctx, node, tokens[1], 0, 255)
    up = read_timer(ctx, node, tokens[2], 0, 255) if len(tokens) > 2 else down
    if down is INVALID or up is INVALID:
        return INVALID
    return model.InterfaceDelay(
        interface=tokens[0],
        down_delay=down,  # type: ignore[arg-type]
        up_delay=up,  # type: ignore[arg-type]
        location=node.line.location,
    )


def old_unicast_checksum(ctx: Ctx, node: Node) -> Any:
    if not node.args:
        return "auto"
    if node.args[0] != "never":
        ctx.error(f"Unknown old_unicast_chksum mode {node.args[0]} - ignoring", node, "old_unicast_checksum")
        return INVALID
    return "never"


def timer_expired_backup(ctx: Ctx, node: Node) -> Any:
    if not node.args:
        return 0
    return read_int(ctx, node, node.args[0], 0, 255)
