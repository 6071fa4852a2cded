"""An ICMP or ICMPv6 echo socket: an unprivileged ping socket where allowed, a raw socket otherwise.

A ping socket (SOCK_DGRAM, IPPROTO_ICMP/ICMPV6) is what keepalived's PING_CHECK uses; the
kernel allows it when the process's group is within net.ipv4.ping_group_range, fills in the
echo identifier and checksum and delivers only the replies to it. Without that permission (the
default range "1 0" allows nobody) a raw socket is the fallback for a privileged process: it
sees every ICMP message, so the caller must match the identifier and sequence itself. Unlike
keepalived, ping_group_range is never widened.
"""

from __future__ import annotations

import errno
import socket

from alived.linux.probe_socket import IPAddress, open_socket

IPPROTO_ICMPV6 = getattr(socket, "IPPROTO_ICMPV6", 58)


def open_echo_socket(
    address: IPAddress,
    *,
    fwmark: int | None = None,
    bind_if: str | None = None,
    bindto: IPAddress | None = None,
) -> tuple[socket.socket, bool]:
    """A non-blocking echo socket for `address`'s family and whether it is raw (caller filters)."""
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    proto = IPPROTO_ICMPV6 if address.version == 6 else socket.IPPROTO_ICMP
    options = {"fwmark": fwmark, "bind_if": bind_if, "bindto": bindto}
    try:
        return open_socket(family, socket.SOCK_DGRAM, proto, **options), False  # type: ignore[arg-type]
    except OSError as err:
        if err.errno not in (errno.EACCES, errno.EPERM, errno.EPROTONOSUPPORT):
            raise
    return open_socket(family, socket.SOCK_RAW, proto, **options), True  # type: ignore[arg-type]
