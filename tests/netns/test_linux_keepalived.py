"""The raw sockets against real keepalived 2.2.7: we receive its adverts, it accepts ours."""

from __future__ import annotations

import asyncio
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path

import pytest

from alived.linux.vrrp_socket import VRRP_GROUP4, VRRP_GROUP6, VRRP_PROTO, Vrrp4Socket, Vrrp6Socket
from tests.helpers.inns import inside
from tests.helpers.netns import Lab, wait_for
from tests.helpers.peers import start_keepalived
from tests.netns.test_linux_vrrp_socket import A4, B4, checksum, ipv4, link_local

pytestmark = pytest.mark.netns

CONF = """
global_defs {
    router_id alived_linux_test
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 1
    virtual_ipaddress {
        192.0.2.100/32
    }
}
vrrp_instance VI_6 {
    state MASTER
    interface eth0
    virtual_router_id 52
    priority 100
    advert_int 1
    virtual_ipaddress {
        2001:db8::52/128
    }
}
"""


def advert_v2(vrid: int, priority: int, vip: IPv4Address) -> bytes:
    body = bytes((0x21, vrid, priority, 1, 0, 1, 0, 0)) + vip.packed + bytes(8)
    return body[:6] + checksum(body).to_bytes(2, "big") + body[8:]


def test_keepalived_adverts_arrive_and_ours_make_it_back_off(lab: Lab, tmp_path: Path) -> None:
    a, b = lab.netns("ka"), lab.netns("us")
    lab.lan([a, b])
    a.ip("addr", "add", f"{A4}/24", "dev", "eth0")
    b.ip("addr", "add", f"{B4}/24", "dev", "eth0")
    a_ll, b_ll = link_local(a), link_local(b)
    peer = start_keepalived(a, CONF, tmp_path)

    async def main() -> tuple[bytes, tuple[object, ...]]:
        with inside(b):
            sock4 = Vrrp4Socket.open("eth0")
            sock6 = Vrrp6Socket.open("eth0", source=b_ll)
        got4: asyncio.Queue[bytes] = asyncio.Queue()
        got6: asyncio.Queue[tuple[object, ...]] = asyncio.Queue()
        sock4.set_receiver(got4.put_nowait)
        sock6.set_receiver(lambda *args: got6.put_nowait(args))
        try:
            first4 = await asyncio.wait_for(got4.get(), timeout=40)
            first6 = await asyncio.wait_for(got6.get(), timeout=40)
            sock4.send(ipv4(advert_v2(51, 200, IPv4Address("192.0.2.100")), B4, VRRP_GROUP4), VRRP_GROUP4)
        finally:
            sock4.close()
            sock6.close()
        return first4, first6

    first4, (payload6, source6, destination6, hops6) = asyncio.run(main())
    assert first4[8] == 255
    assert first4[9] == VRRP_PROTO
    assert IPv4Address(first4[12:16]) == A4
    assert IPv4Address(first4[16:20]) == VRRP_GROUP4
    assert first4[20:24] == bytes((0x21, 51, 100, 1))
    assert isinstance(payload6, bytes)
    assert (source6, destination6, hops6) == (a_ll, VRRP_GROUP6, 255)
    assert payload6[:4] == bytes((0x31, 52, 100, 1))
    assert IPv6Address(payload6[8:24]) == IPv6Address("2001:db8::52")
    wanted = f"(VI_1) Master received advert from {B4} with higher priority 200, ours 100"
    wait_for(lambda: wanted in peer.log_text(), timeout=40, what=wanted)
