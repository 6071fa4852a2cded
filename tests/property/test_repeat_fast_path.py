"""The repeat fast path (core/vrrp/repeat.py + VrrpInstance.repeat_advert) is the full path, shorter.

Two receivers get the same sequence of raw IPv4 packets and timer ticks: one decodes and feeds
every packet in full; the other first asks its RepeatFilter and the instance for the short way,
as the VRRP child's receive path does, and remembers a packet after a full acceptance. After
every step both must agree on state, deadline, master, counters and queued actions.
"""

from __future__ import annotations

from ipaddress import IPv4Address

from hypothesis import given, settings
from hypothesis import strategies as st

from alived.core.vrrp.inputs import AdvertReceived, Startup, TimerFired
from alived.core.vrrp.instance import VrrpInstance
from alived.core.vrrp.repeat import RepeatFilter
from alived.core.vrrp.wire import DecodeError, decode_ipv4_packet, encode_ipv4_packet
from alived.units import MILLISECOND, SECOND, Ticks
from tests.helpers.fakelan import VIP, advert_from, make_params

GROUP = IPv4Address("224.0.0.18")
SOURCES = (IPv4Address("192.0.2.2"), IPv4Address("192.0.2.3"))


def packet(variant: int, ident: int) -> bytes:
    """One of a few adverts a backup may hear, with IPv4 identification `ident`."""
    params = make_params(version=3, advert_int=100 * MILLISECOND)
    kind, source = variant % 6, SOURCES[variant // 6 % 2]
    advert = advert_from(params, priority=150)
    ttl = 255
    if kind == 1:
        advert = advert_from(params, priority=50)  # lower than ours
    elif kind == 2:
        advert = advert_from(params, priority=0)
    elif kind == 3:
        advert = advert_from(params, priority=150, addresses=(IPv4Address("192.0.2.99"),))
    elif kind == 4:
        advert = advert_from(params, priority=150, adver_int=20)  # interval mismatch
    elif kind == 5:
        ttl = 254
    return encode_ipv4_packet(advert, source=source, destination=GROUP, ttl=ttl, ident=ident)


def corrupt(data: bytes, where: int) -> bytes:
    raw = bytearray(data)
    raw[where % len(raw)] ^= 0x01
    return bytes(raw)


steps = st.lists(
    st.one_of(
        st.tuples(st.just("packet"), st.integers(0, 11), st.integers(0, 0xFFFF), st.integers(0, 200)),
        st.tuples(st.just("corrupt"), st.integers(0, 11), st.integers(0, 0xFFFF), st.integers(0, 60)),
        st.tuples(st.just("wait"), st.integers(1, 500), st.just(0), st.just(0)),
        st.tuples(st.just("priority"), st.integers(1, 254), st.just(0), st.just(0)),
    ),
    max_size=60,
)


def full(inst: VrrpInstance, data: bytes, now: Ticks) -> None:
    try:
        received = decode_ipv4_packet(data)
    except DecodeError as err:
        inst.note_decode_error(err)
        return
    inst.handle(AdvertReceived(packet=received), now)


def short(inst: VrrpInstance, repeats: RepeatFilter, data: bytes, now: Ticks) -> None:
    vrid = repeats.match(data)
    if vrid is not None and inst.repeat_advert(now):
        return
    try:
        received = decode_ipv4_packet(data)
    except DecodeError as err:
        inst.note_decode_error(err)
        return
    repeats.forget(received.advert.vrid)
    inst.handle(AdvertReceived(packet=received), now)
    if inst.repeatable:
        repeats.remember(received.advert.vrid, data)


def view(inst: VrrpInstance) -> object:
    return (
        inst.state,
        inst.next_deadline(),
        inst.master_address,
        inst.master_priority,
        inst.down_timer,
        inst.stats.snapshot(),
        inst.pop_actions(),
    )


@settings(max_examples=300, deadline=None)
@given(steps, st.booleans())
def test_fast_path_matches_full_path(sequence: list[tuple[str, int, int, int]], skip_check: bool) -> None:
    params = make_params(version=3, advert_int=100 * MILLISECOND, skip_check_adv_addr=skip_check)
    a, b = VrrpInstance(params), VrrpInstance(params)
    repeats = RepeatFilter()
    now = Ticks(0)
    for inst in (a, b):
        inst.handle(Startup(), now)
    assert view(a) == view(b)
    for kind, x, ident, extra in sequence:
        if kind == "wait":
            now = Ticks(now + x * MILLISECOND)
            for inst in (a, b):
                deadline = inst.next_deadline()
                if deadline is not None and deadline <= now:
                    inst.handle(TimerFired(), now)
        elif kind == "priority":
            # A reload of the VIPs or priority gives the instance new params (as reload_vips does).
            for inst in (a, b):
                inst.params = make_params(
                    version=3, advert_int=100 * MILLISECOND, priority=x, skip_check_adv_addr=skip_check
                )
        else:
            data = packet(x, ident)
            if kind == "corrupt":
                data = corrupt(data, extra)
            now = Ticks(now + extra * MILLISECOND)
            full(a, data, now)
            short(b, repeats, data, now)
        assert view(a) == view(b)


def test_a_repeat_takes_the_short_way() -> None:
    """The property above would hold with no fast path at all: check it is taken."""
    params = make_params(version=3, advert_int=100 * MILLISECOND)
    inst = VrrpInstance(params)
    inst.handle(Startup(), Ticks(0))
    repeats = RepeatFilter()
    short(inst, repeats, packet(0, 1), Ticks(SECOND))
    assert repeats.match(packet(0, 2)) == params.vrid
    assert inst.repeat_advert(Ticks(SECOND + 100 * MILLISECOND))
    assert inst.stats["advert_rcvd"] == 2
    assert repeats.match(corrupt(packet(0, 3), 10)) is None  # header checksum no longer holds
    assert VIP in params.addresses
