"""TCP_CHECK's connection options on a real kernel: fwmark steers by policy routing, bindto/bind_port
choose the source, bind_if the device; and HTTP_GET across namespaces."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from ipaddress import ip_address

import pytest

from alived.checkers.base import Target
from alived.checkers.connect import Connection
from alived.checkers.http import HttpParams, HttpProbe, UrlSpec
from alived.checkers.tcp import TcpParams, TcpProbe
from alived.core.check.result import ProbeResult
from alived.units import MILLISECOND, Ticks
from tests.helpers.inns import inside
from tests.helpers.netns import Lab, Namespace, wait_for

pytestmark = pytest.mark.netns

CHECKER, CHECKER2, SERVER = "192.0.2.1", "192.0.2.3", "198.51.100.2"
LINK_SERVER = "192.0.2.2"
PORT = 8080


@pytest.fixture
def pair(lab: Lab) -> Iterator[tuple[Namespace, Namespace]]:
    checker, server = lab.netns("tc"), lab.netns("ts")
    lab.veth(checker, "eth0", server, "eth0")
    checker.ip("addr", "add", f"{CHECKER}/24", "dev", "eth0")
    checker.ip("addr", "add", f"{CHECKER2}/24", "dev", "eth0")
    server.ip("addr", "add", f"{LINK_SERVER}/24", "dev", "eth0")
    server.ip("addr", "add", f"{SERVER}/32", "dev", "lo")
    # the server's address is reachable only through table 100, which fwmark 7 selects
    checker.ip("route", "add", "198.51.100.0/24", "via", LINK_SERVER, "dev", "eth0", "table", "100")
    checker.ip("rule", "add", "fwmark", "7", "lookup", "100")
    yield checker, server


class Listener:
    """An accepting TCP server in a namespace that notes each peer and answers HTTP."""

    def __init__(self, ns: Namespace) -> None:
        with inside(ns):
            self.sock = socket.create_server((SERVER, PORT))
        self.sock.settimeout(0.05)
        self.peers: list[tuple[str, int]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, peer = self.sock.accept()
            except TimeoutError:
                continue
            self.peers.append(peer)
            with conn:
                conn.settimeout(5)
                try:
                    conn.recv(4096)
                    conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n")
                except OSError:
                    pass

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.sock.close()


@pytest.fixture
def listener(pair: tuple[Namespace, Namespace]) -> Iterator[Listener]:
    served = Listener(pair[1])
    try:
        yield served
    finally:
        served.close()


def _conn(**kw: object) -> Connection:
    return Connection(
        connect_ip=ip_address(SERVER),
        connect_port=PORT,
        connect_timeout=Ticks(1000 * MILLISECOND),
        **kw,  # type: ignore[arg-type]
    )


def _tcp(ns: Namespace, conn: Connection) -> ProbeResult:
    probe = TcpProbe(TcpParams(connection=conn), Target(address=ip_address(SERVER), port=PORT))
    with inside(ns):
        return asyncio.run(probe.attempt())


def test_fwmark_selects_the_route(pair: tuple[Namespace, Namespace], listener: Listener) -> None:
    checker, _ = pair
    unmarked = _tcp(checker, _conn())
    assert (unmarked.success, unmarked.reason) == (False, "network is unreachable")
    marked = _tcp(checker, _conn(fwmark=7))
    assert marked.success, marked
    assert marked.log_text == f"TCP connection to [{SERVER}]:tcp:{PORT} success."


def test_bindto_and_bind_port_choose_the_source(
    pair: tuple[Namespace, Namespace], listener: Listener
) -> None:
    checker, _ = pair
    assert _tcp(checker, _conn(fwmark=7, bindto=ip_address(CHECKER2), bind_port=40123)).success
    wait_for(lambda: listener.peers, timeout=40, what="the server to accept")  # accept runs in its thread
    assert listener.peers[-1] == (CHECKER2, 40123)


def test_bind_if_unknown_device_is_a_clean_down(pair: tuple[Namespace, Namespace]) -> None:
    checker, _ = pair
    result = _tcp(checker, _conn(fwmark=7, bind_if="nosuchdev0"))
    assert not result.success
    assert "nosuchdev0" in result.reason


def test_http_get_across_namespaces(pair: tuple[Namespace, Namespace], listener: Listener) -> None:
    checker, _ = pair
    params = HttpParams(connection=_conn(fwmark=7), urls=(UrlSpec(path="/"),))
    probe = HttpProbe(params, Target(address=ip_address(SERVER), port=PORT))
    with inside(checker):
        result = asyncio.run(probe.attempt())
    assert result.success, result
