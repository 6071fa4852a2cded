"""PING_CHECK across two namespaces: ICMP and ICMPv6 echo over ping sockets and over raw sockets."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from ipaddress import ip_address

import pytest

from alived.checkers.base import REGISTRY, Target
from alived.checkers.connect import Connection
from alived.checkers.ping import PingParams, PingProbe
from alived.core.check.result import ProbeResult
from alived.linux.icmp_socket import open_echo_socket
from alived.units import MILLISECOND, Ticks
from tests.helpers.inns import inside
from tests.helpers.netns import Lab, Namespace

pytestmark = pytest.mark.netns

CHECKER4, SERVER4, NOBODY4 = "192.0.2.1", "192.0.2.2", "192.0.2.99"
CHECKER6, SERVER6 = "2001:db8::1", "2001:db8::2"


@pytest.fixture
def pair(lab: Lab) -> Iterator[tuple[Namespace, Namespace]]:
    checker, server = lab.netns("pc"), lab.netns("ps")
    lab.veth(checker, "eth0", server, "eth0")
    checker.ip("addr", "add", f"{CHECKER4}/24", "dev", "eth0")
    server.ip("addr", "add", f"{SERVER4}/24", "dev", "eth0")
    checker.ip("addr", "add", f"{CHECKER6}/64", "dev", "eth0", "nodad")
    server.ip("addr", "add", f"{SERVER6}/64", "dev", "eth0", "nodad")
    yield checker, server


def _ping(ns: Namespace, address: str, timeout_ms: int = 1000) -> ProbeResult:
    ip = ip_address(address)
    conn = Connection(connect_ip=ip, connect_port=0, connect_timeout=Ticks(timeout_ms * MILLISECOND))
    probe = PingProbe(PingParams(connection=conn), Target(address=ip, port=80))
    with inside(ns):
        return asyncio.run(probe.attempt())


def _raw(ns: Namespace, address: str) -> bool:
    with inside(ns):
        sock, raw = open_echo_socket(ip_address(address))
        sock.close()
    return raw


def test_registered() -> None:
    assert REGISTRY["PING_CHECK"] is PingProbe


@pytest.mark.parametrize("ping_sockets", [False, True], ids=["raw", "ping-socket"])
def test_echo_across_namespaces(pair: tuple[Namespace, Namespace], ping_sockets: bool) -> None:
    checker, _ = pair
    if ping_sockets:
        checker.sysctl("net.ipv4.ping_group_range", "0 2147483647")
    assert _raw(checker, SERVER4) is not ping_sockets
    assert _raw(checker, SERVER6) is not ping_sockets
    up4 = _ping(checker, SERVER4)
    assert up4.success, up4
    assert up4.log_text == f"ICMP connection to [{SERVER4}]:tcp:80 success."
    up6 = _ping(checker, SERVER6)
    assert up6.success, up6


@pytest.mark.parametrize("ping_sockets", [False, True], ids=["raw", "ping-socket"])
def test_no_reply_is_down(pair: tuple[Namespace, Namespace], ping_sockets: bool) -> None:
    checker, server = pair
    if ping_sockets:
        checker.sysctl("net.ipv4.ping_group_range", "0 2147483647")
    server.sysctl("net.ipv4.icmp_echo_ignore_all", "1")
    server.sysctl("net.ipv6.icmp.echo_ignore_all", "1")
    for address in (SERVER4, SERVER6):
        result = _ping(checker, address, timeout_ms=300)
        assert (result.success, result.reason) == (False, "timeout"), address
        assert result.log_text == f"ICMP connection to address [{address}]:tcp:80 timeout."


def test_absent_host_is_down(pair: tuple[Namespace, Namespace]) -> None:
    checker, _ = pair
    assert not _ping(checker, NOBODY4, timeout_ms=300).success
