"""linux/na_watch.py on a real kernel: only other hosts' NAs come through, a DAD probe is answered."""

from __future__ import annotations

import asyncio
from ipaddress import IPv6Address

import pytest

from alived.core.l2.ndisc import dad_probe, na_sender, unsolicited_na
from alived.linux.l2_socket import L2Socket
from alived.linux.na_watch import NaWatch
from tests.helpers.inns import inside
from tests.helpers.netns import Lab
from tests.helpers.split_brain_lab import mac_of

pytestmark = pytest.mark.netns

VIP = IPv6Address("2001:db8::51")
OWN_MAC = bytes.fromhex("020000000a0a")


def test_na_watch_hears_the_answer_to_a_dad_probe_and_nothing_else(lab: Lab) -> None:
    a, b = lab.netns("a"), lab.netns("b")
    lab.lan([a, b])
    a.ip("link", "set", "eth0", "address", "02:00:00:00:0a:0a")
    a.ip("addr", "add", "2001:db8::1/64", "dev", "eth0", "nodad")
    b.ip("addr", "add", "2001:db8::2/64", "dev", "eth0", "nodad")
    b.ip("addr", "add", f"{VIP}/64", "dev", "eth0", "nodad")
    frames: list[bytes] = []

    async def scenario() -> None:
        with inside(a):
            watch = NaWatch.open("eth0", lambda ifname, frame: frames.append(frame))
            l2 = L2Socket.open("eth0")
        try:
            l2.send(unsolicited_na(OWN_MAC, IPv6Address("2001:db8::1"), router=False))  # ours: dropped
            a.exec("ping", "-c", "3", "-i", "0.2", "2001:db8::2")  # echo replies: filtered out
            l2.send(dad_probe(OWN_MAC, VIP))
            for _ in range(100):
                await asyncio.sleep(0.02)
                if any((s := na_sender(f)) is not None and s.address == VIP for f in frames):
                    break
        finally:
            watch.close()
            l2.close()

    asyncio.run(scenario())
    assert frames and all(f[20] == 58 and f[54] == 136 for f in frames)  # NAs only
    senders = [na_sender(f) for f in frames]
    assert all(s is None or s.mac != OWN_MAC for s in senders)
    answer = next(f for f, s in zip(frames, senders, strict=True) if s is not None and s.address == VIP)
    assert answer[:6] == bytes.fromhex("333300000001")  # to all-nodes: Linux's answer to a DAD probe
    assert answer[6:12].hex(":") == mac_of(b)
