"""VRRP router cost: µs per received advert (decode + validation + state machine) and per sent advert.

    .venv/bin/python bench/bench_instance.py [--write-readme]

N BACKUP instances (VRIDs 1..N) are fed adverts from a higher-priority master, round-robin over the
VRIDs, as the VRRP child's dispatcher would (dict by VRID). "instance only" skips decoding. The send
path is a MASTER's TimerFired plus encoding its SendAdvert. timeit-based, best of 5 repeats.
With --write-readme the table replaces the "## VRRP router" section of bench/README.md.
"""

from __future__ import annotations

import argparse
import platform
import sys
import timeit
from collections.abc import Callable
from ipaddress import IPv4Address
from pathlib import Path

from alived.core.vrrp.actions import SendAdvert
from alived.core.vrrp.inputs import AdvertReceived, MasterDownFired, Startup, TimerFired
from alived.core.vrrp.instance import VrrpInstance
from alived.core.vrrp.params import InstanceParams
from alived.core.vrrp.wire import VRRP_GROUP4, Advert, ReceivedPacket, decode_ipv4_packet, encode_ipv4_packet
from alived.units import SECOND, Ticks

README = Path(__file__).parent / "README.md"
HEADING = "## VRRP router"
OURS = IPv4Address("192.0.2.1")
PEER = IPv4Address("192.0.2.2")
VIPS = tuple(IPv4Address(f"192.0.2.{100 + i}") for i in range(3))
T0 = Ticks(SECOND)


def params(vrid: int, priority: int = 100) -> InstanceParams:
    return InstanceParams(
        name=f"VI_{vrid}", vrid=vrid, priority=priority, primary_address=OURS, addresses=VIPS
    )


def backups(n: int) -> dict[int, VrrpInstance]:
    instances = {}
    for vrid in range(1, n + 1):
        inst = VrrpInstance(params(vrid))
        inst.handle(Startup(), T0)
        inst.pop_actions()
        instances[vrid] = inst
    return instances


def peer_packets(n: int) -> list[bytes]:
    return [
        encode_ipv4_packet(
            Advert(version=2, vrid=vrid, priority=150, adver_int=1, addresses=VIPS, auth_data=bytes(8)),
            source=PEER,
            destination=VRRP_GROUP4,
        )
        for vrid in range(1, n + 1)
    ]


def per_call(fn: Callable[[], None], number: int) -> float:
    return min(timeit.repeat(fn, number=number, repeat=5)) / number * 1e6


def receive_cost(n: int, *, decode: bool, number: int = 20_000) -> float:
    instances = backups(n)
    raws = peer_packets(n)
    decoded = [decode_ipv4_packet(raw) for raw in raws]
    state = {"i": 0, "now": int(T0)}

    def one() -> None:
        i = state["i"] = (state["i"] + 1) % n
        state["now"] += 1
        packet: ReceivedPacket = decode_ipv4_packet(raws[i]) if decode else decoded[i]
        inst = instances[packet.advert.vrid]
        inst.handle(AdvertReceived(packet=packet), Ticks(state["now"]))
        inst.pop_actions()

    return per_call(one, number)


def send_cost(*, encode: bool, number: int = 20_000) -> float:
    inst = VrrpInstance(params(1, 200))
    inst.handle(Startup(), T0)
    inst.handle(MasterDownFired(), T0)
    inst.pop_actions()

    def one() -> None:
        deadline = inst.next_deadline()
        assert deadline is not None
        inst.handle(TimerFired(), deadline)
        for action in inst.pop_actions():
            if encode and isinstance(action, SendAdvert):
                encode_ipv4_packet(action.advert, source=OURS, destination=VRRP_GROUP4)

    return per_call(one, number)


def table() -> str:
    rows = [
        "| path | instances | µs per advert |",
        "|---|---:|---:|",
    ]
    for n in (1, 100, 255):
        rows.append(
            f"| receive: decode + validate + BACKUP handler | {n} | {receive_cost(n, decode=True):.2f} |"
        )
    for n in (1, 255):
        cost = receive_cost(n, decode=False)
        rows.append(f"| receive: validate + BACKUP handler (instance only) | {n} | {cost:.2f} |")
    rows.append(f"| send: MASTER TimerFired -> SendAdvert | 1 | {send_cost(encode=False):.2f} |")
    rows.append(f"| send: TimerFired + encode_ipv4_packet | 1 | {send_cost(encode=True):.2f} |")
    return "\n".join(rows)


def section(body: str) -> str:
    return (
        f"{HEADING}\n\n"
        f"`bench/bench_instance.py`: best of 5 x 20000 (timeit); Python {platform.python_version()}, "
        f"{platform.machine()}.\n\n"
        f"{body}\n\n"
        "The per-advert cost does not grow with the number of instances (dispatch is a dict by VRID).\n"
        "At one advert per second per instance, 255 instances cost 255 x (receive or send) µs per second:\n"
        "well under 1% of a core. Failover timing is proven in virtual time by tests/sim and\n"
        "tests/property (takeover within Skew_Time after priority 0, within Master_Down_Interval after\n"
        "a crash), not measured here.\n"
    )


def write_readme(text: str) -> None:
    current = README.read_text() if README.exists() else "# Benchmarks\n"
    start = current.find(HEADING + "\n")
    if start < 0:
        README.write_text(current.rstrip("\n") + "\n\n" + text)
        return
    end = current.find("\n## ", start + len(HEADING))
    tail = "" if end < 0 else current[end + 1 :]
    README.write_text(current[:start] + text + ("\n" + tail if tail else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--write-readme", action="store_true")
    args = parser.parse_args(argv)
    text = section(table())
    print(text)
    if args.write_readme:
        write_readme(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
