"""A health check's socket: non-blocking, close-on-exec, with keepalived's connection options.

keepalived's checkers (core/layer4.c) set SO_MARK for `fwmark`, SO_BINDTODEVICE for `bind_if`
and bind to `bindto`/`bind_port` before connecting. Each step that fails raises OSError naming
the option, which the probe turns into a clean "down". keepalived also sets SO_LINGER 5 s on
TCP sockets; not here: Linux honours a linger time in close() even on a non-blocking socket, so
a peer that vanished after the handshake could stall the whole event loop for 5 s.
"""

from __future__ import annotations

import socket
from ipaddress import IPv4Address, IPv6Address

IPAddress = IPv4Address | IPv6Address
SO_MARK = getattr(socket, "SO_MARK", 36)
SO_BINDTODEVICE = getattr(socket, "SO_BINDTODEVICE", 25)


class SocketOptionError(OSError):
    """A connection option (fwmark, bind_if, bindto) could not be applied."""


def sockaddr(address: IPAddress, port: int) -> tuple[str, int] | tuple[str, int, int, int]:
    """The address tuple the socket module wants for `address` and `port`."""
    if address.version == 6:
        return (str(address), port, 0, 0)
    return (str(address), port)


def family_of(address: IPAddress) -> socket.AddressFamily:
    return socket.AF_INET6 if address.version == 6 else socket.AF_INET


def open_socket(
    family: socket.AddressFamily,
    kind: socket.SocketKind,
    proto: int = 0,
    *,
    fwmark: int | None = None,
    bind_if: str | None = None,
    bindto: IPAddress | None = None,
    bind_port: int | None = None,
) -> socket.socket:
    """A non-blocking socket with the options applied; closed again if any option fails."""
    sock = socket.socket(family, kind | socket.SOCK_CLOEXEC, proto)
    try:
        sock.setblocking(False)
        if fwmark:
            try:
                sock.setsockopt(socket.SOL_SOCKET, SO_MARK, fwmark)
            except OSError as err:
                raise SocketOptionError(err.errno, f"Error setting fwmark {fwmark} to socket") from err
        if bind_if:
            try:
                sock.setsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, bind_if.encode() + b"\0")
            except OSError as err:
                raise SocketOptionError(err.errno, f"Checker can't bind to device {bind_if}") from err
        if bindto is not None or bind_port:
            host = str(bindto) if bindto is not None else ("::" if family == socket.AF_INET6 else "")
            try:
                sock.bind((host, bind_port or 0))
            except OSError as err:
                raise SocketOptionError(err.errno, f"Checker bind failed: {err.strerror}") from err
    except BaseException:
        sock.close()
        raise
    return sock
