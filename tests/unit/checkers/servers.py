"""Small real servers on 127.0.0.1 for the probe tests: each one a context manager that stops itself."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from ipaddress import IPv4Address

from alived.checkers.base import Target
from alived.checkers.connect import Connection
from alived.units import MILLISECOND, Ticks

LOOPBACK = IPv4Address("127.0.0.1")


def connection(port: int, timeout_ms: int = 2000) -> Connection:
    return Connection(connect_ip=LOOPBACK, connect_port=port, connect_timeout=Ticks(timeout_ms * MILLISECOND))


def target(port: int, protocol: str = "tcp") -> Target:
    return Target(address=LOOPBACK, port=port, protocol=protocol)


def closed_port(kind: socket.SocketKind = socket.SOCK_STREAM) -> int:
    """A port nothing listens on (bound and released at once)."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@contextlib.contextmanager
def tcp_server(handler: Callable[[socket.socket], None]) -> Iterator[int]:
    """A threaded TCP server calling `handler(conn)` for each connection; yields its port."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def serve(conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            handler(conn)

    def accept_loop() -> None:
        listener.settimeout(0.05)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(10)
            t = threading.Thread(target=serve, args=(conn,), daemon=True)
            t.start()
            threads.append(t)

    acceptor = threading.Thread(target=accept_loop, daemon=True)
    acceptor.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        acceptor.join(5)
        listener.close()
        for t in threads:
            t.join(5)


@contextlib.contextmanager
def full_backlog() -> Iterator[int]:
    """A listener that never accepts, its queue filled: a connect to it never completes (no root)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(4):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                s.connect(("127.0.0.1", port))
            fillers.append(s)
        yield port
    finally:
        for s in fillers:
            s.close()
        listener.close()


def read_request(conn: socket.socket) -> bytes:
    """Everything up to and including the blank line that ends a request's header."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def responder(response: bytes, requests: list[bytes] | None = None) -> Callable[[socket.socket], None]:
    """A handler that reads the request (kept in `requests`), sends `response` in one write, closes."""

    def handle(conn: socket.socket) -> None:
        request = read_request(conn)
        if requests is not None:
            requests.append(request)
        conn.sendall(response)

    return handle


def http_response(body: bytes, status: str = "200 OK", extra: str = "") -> bytes:
    head = f"HTTP/1.0 {status}\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    return head.encode() + body
