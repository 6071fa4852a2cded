"""The VRRP sockets' reading: each wake-up drains the socket, at most RECV_BATCH packets at a time.

A datagram socket pair stands in for the raw socket (same recv semantics, no root): the reader
must stop at EAGAIN without raising, stop at the bound so a flood cannot hold the loop (the
next wake-up reads on), and stop when its receiver closed the socket.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterator

import pytest

from alived.linux import vrrp_socket
from alived.linux.vrrp_socket import VRRP_PROTO, Vrrp4Socket, _drain

BATCH = 4  # RECV_BATCH here: a socket pair queues only max_dgram_qlen (10) datagrams


@pytest.fixture(autouse=True)
def small_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vrrp_socket, "RECV_BATCH", BATCH)


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    writer, reader = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    reader.setblocking(False)
    writer.setblocking(False)  # a full queue fails the test instead of hanging it
    try:
        yield writer, reader
    finally:
        writer.close()
        reader.close()


def on_loop(body: Callable[[asyncio.AbstractEventLoop], None]) -> None:
    loop = asyncio.new_event_loop()
    try:
        body(loop)
    finally:
        loop.close()


def test_a_wake_up_reads_until_the_socket_would_block(pair: tuple[socket.socket, socket.socket]) -> None:
    writer, reader = pair

    def body(loop: asyncio.AbstractEventLoop) -> None:
        sock = Vrrp4Socket(ifname="eth0", ifindex=1, group=None, sockets={VRRP_PROTO: reader}, loop=loop)
        got: list[bytes] = []
        sock.set_receiver(got.append)
        for i in range(BATCH - 1):
            writer.send(bytes([i]) * 20)
        sock._readable(reader)
        assert got == [bytes([i]) * 20 for i in range(BATCH - 1)]
        sock._readable(reader)  # nothing queued: EAGAIN ends the batch quietly
        assert len(got) == BATCH - 1
        sock.close()

    on_loop(body)


def test_a_wake_up_reads_at_most_a_batch(pair: tuple[socket.socket, socket.socket]) -> None:
    writer, reader = pair

    def body(loop: asyncio.AbstractEventLoop) -> None:
        sock = Vrrp4Socket(ifname="eth0", ifindex=1, group=None, sockets={VRRP_PROTO: reader}, loop=loop)
        got: list[bytes] = []
        sock.set_receiver(got.append)
        for i in range(BATCH + 3):
            writer.send(i.to_bytes(2, "big"))
        sock._readable(reader)
        assert len(got) == BATCH, "the loop gets its turn after a batch"
        sock._readable(reader)  # level-triggered readiness calls again for the rest
        assert [int.from_bytes(d, "big") for d in got] == list(range(BATCH + 3))
        sock.close()

    on_loop(body)


def test_a_receiver_that_closes_the_socket_ends_the_batch(pair: tuple[socket.socket, socket.socket]) -> None:
    writer, reader = pair

    def body(loop: asyncio.AbstractEventLoop) -> None:
        sock = Vrrp4Socket(ifname="eth0", ifindex=1, group=None, sockets={VRRP_PROTO: reader}, loop=loop)
        got: list[bytes] = []

        def receive(data: bytes) -> None:
            got.append(data)
            sock.close()

        sock.set_receiver(receive)
        for _ in range(3):
            writer.send(b"x" * 20)
        sock._readable(reader)
        assert got == [b"x" * 20]

    on_loop(body)


class FakeReadable:
    """What `_drain` needs of a socket: fileno(), -1 once closed."""

    def __init__(self) -> None:
        self.fd = 3

    def fileno(self) -> int:
        return self.fd


def test_drain_stops_at_the_bound_at_eagain_and_at_an_error() -> None:
    sock = FakeReadable()
    calls: list[int] = []

    def endless() -> None:
        calls.append(1)

    _drain(sock, endless)  # type: ignore[arg-type]
    assert len(calls) == BATCH
    for error in (BlockingIOError, ConnectionRefusedError):
        calls.clear()

        def three(error: type[OSError] = error) -> None:
            calls.append(1)
            if len(calls) == 3:
                raise error()

        _drain(sock, three)  # type: ignore[arg-type]
        assert len(calls) == 3
