"""`genhash` (and `alivectl genhash`): keepalived's genhash, computing the digest an HTTP_GET url wants.

Same options, messages and output as keepalived 2.2.7's check_genhash.c: usage on stderr and
exit 1 for a bad command line; otherwise exit 0 whatever the server does, with the body's MD5
on stdout, keepalived's failure word ("Connection failed", "Timeout connecting", ...) on
stdout, or "no data received from remote webserver" on stderr. `-v` adds the header and body
hex dumps, the digest dump and the response time. The GET is the HTTP_GET probe's own
(checkers/http_fetch.py), so the digest is the one the checker compares: a chunked body is
decoded before hashing (keepalived's genhash hashes the chunk framing too).
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import ssl
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from alived.checkers.connect import Connection
from alived.checkers.http_fetch import FetchFailed, Observer, default_host, fetch
from alived.units import SECOND, Ticks

_DELIM_BEGIN = "-----------------------["
_DELIM_END = "]-----------------------\n"
HTTP_HEADER_HEXA = f"{_DELIM_BEGIN}    HTTP Header Buffer    {_DELIM_END}"
HTTP_HEADER_ASCII = f"{_DELIM_BEGIN} HTTP Header Ascii Buffer {_DELIM_END}"
HTML_HEADER_HEXA = f"{_DELIM_BEGIN}        HTML Buffer        {_DELIM_END}"
HTML_HASH = f"{_DELIM_BEGIN}    HTML hash resulting    {_DELIM_END}"
HTML_HASH_FINAL = f"{_DELIM_BEGIN} HTML hash final resulting {_DELIM_END}"
NO_TIMEOUT = Ticks(100 * 365 * 86400 * SECOND)  # keepalived's UINT_MAX: wait for ever

_LONG = {
    "help": ("h", False),
    "verbose": ("v", False),
    "use-ssl": ("S", False),
    "use-sni": ("I", False),
    "server": ("s", True),
    "use-virtualhost": ("V", True),
    "port": ("p", True),
    "url": ("u", True),
    "fwmark": ("m", True),
    "protocol": ("P", True),
    "timeout": ("t", True),
}
_SHORT = dict(_LONG.values())


def usage(prog: str, out: TextIO) -> None:
    out.write(
        f"Usage: {prog} COMMAND [OPTIONS]\n"
        "Commands:\n"
        "   -s server-address -p port -u url\n"
        "   -S -s server-address -p port -u url\n"
        "   -h\n\n"
        "Options:\n"
        "Either long or short options are allowed.\n"
        "   --use-ssl         -S       Use SSL connection to remote server.\n"
        "   --use-sni         -I       Use SNI during SSL handshake (uses virtualhost setting; see -V).\n"
        "   --server          -s       Use the specified remote server address.\n"
        "   --port            -p       Use the specified remote server port.\n"
        "   --url             -u       Use the specified remote server url.\n"
        "   --use-virtualhost -V       Use the specified virtualhost in GET query.\n"
        "   --verbose         -v       Use verbose mode output.\n"
        "   --help            -h       Display this short inlined help screen.\n"
        "   --fwmark          -m       Use the specified FW mark.\n"
        "   --protocol        -P       Use the specified HTTP protocol - '1.0', 1.0c', '1.1'.\n"
        "                                1.0c means 1.0 with 'Connection: close'\n"
        "   --timeout         -t       Timeout in seconds\n"
    )


@dataclass(slots=True)
class Request:
    """What the command line asks for."""

    server: ipaddress.IPv4Address | ipaddress.IPv6Address | None = None
    port: int | None = None
    url: str | None = None
    virtualhost: str | None = None
    verbose: bool = False
    use_ssl: bool = False
    use_sni: bool = False
    fwmark: int | None = None
    protocol: str = "1.0"
    timeout: Ticks = NO_TIMEOUT


class _BadLine(Exception):
    """Parsing stops now (keepalived's `return -1`): print usage, exit 1."""


def _options(argv: Sequence[str], err: TextIO) -> tuple[list[tuple[str, str]], list[str], bool]:
    """getopt_long over `argv` (GNU permutation): ([(opt, arg)], operands, bad_option)."""
    found: list[tuple[str, str]] = []
    operands: list[str] = []
    bad = False
    i = 0
    while i < len(argv):
        word = argv[i]
        i += 1
        if word == "--":
            operands.extend(argv[i:])
            break
        if word.startswith("--"):
            name, has_value, value = word[2:].partition("=")
            matches = [n for n in _LONG if n.startswith(name)] if name else []
            exact = [n for n in matches if n == name]
            if exact:
                matches = exact
            if len(matches) != 1:
                err.write(f"Unknown option {word}\n")
                bad = True
                continue
            short, takes = _LONG[matches[0]]
            if takes and not has_value:
                if i >= len(argv):
                    err.write(f"Missing parameter for option --{matches[0]}\n")
                    bad = True
                    continue
                value = argv[i]
                i += 1
            found.append((short, value if takes else ""))
            continue
        if word.startswith("-") and word != "-":
            j = 1
            while j < len(word):
                short = word[j]
                j += 1
                if short not in _SHORT:
                    err.write(f"Unknown option -{short}\n")
                    bad = True
                    continue
                if not _SHORT[short]:
                    found.append((short, ""))
                    continue
                if j < len(word):
                    found.append((short, word[j:]))
                elif i < len(argv):
                    found.append((short, argv[i]))
                    i += 1
                else:
                    err.write(f"Missing parameter for option -{short}\n")
                    bad = True
                break
            continue
        operands.append(word)
    return found, operands, bad


def _strtoul_whole(text: str) -> int | None:
    """strtoul after leading blanks, consuming the whole (non-empty) string, else None."""
    start = text.lstrip(" \t")
    return int(start) if start.isdigit() else None


def parse(argv: Sequence[str], err: TextIO) -> Request:
    """keepalived's check_genhash_parse_cmdline; raises _BadLine after printing any message."""
    if len(argv) < 2:
        raise _BadLine
    found, operands, bad = _options(argv, err)
    req = Request()
    for opt, value in found:
        if opt == "h":
            bad = True
        elif opt == "v":
            req.verbose = True
        elif opt == "S":
            req.use_ssl = True
        elif opt == "I":
            req.use_sni = True
        elif opt == "s":
            try:
                req.server = ipaddress.ip_address(value)
            except ValueError:
                err.write(f"server should be an IP, not {value}\n")
                raise _BadLine from None
        elif opt == "V":
            req.virtualhost = value
        elif opt == "p":
            port = int(value) if re.fullmatch(r"\s*[+-]?\d+", value) else None
            if port is None or not 0 < port <= 65535:
                err.write(f"invalid port number '{value}'\n")
                raise _BadLine
            req.port = port
        elif opt == "u":
            req.url = value
        elif opt == "m":
            start = value.lstrip(" \t")
            mark = int(start) if start.isdigit() else 0 if not start else None
            if mark is None:
                err.write(f"invalid fwmark '{value}'\n")
                raise _BadLine
            req.fwmark = mark
        elif opt == "P":
            protocol = {"1.0": "1.0", "1.0c": "1.0C", "1.0C": "1.0C", "1.1": "1.1"}.get(value)
            if protocol is None:
                err.write(f"invalid HTTP protocol version '{value}'\n")
                raise _BadLine
            req.protocol = protocol
        elif opt == "t":
            seconds = _strtoul_whole(value)
            if seconds is None:
                err.write(f"invalid timeout '{value}'\n")
                raise _BadLine
            req.timeout = Ticks(seconds * SECOND)
    if bad:
        raise _BadLine
    if operands:
        err.write("Unexpected argument(s): " + " ".join(operands) + "\n")
        raise _BadLine
    if req.server is None or req.port is None or req.url is None:
        raise _BadLine
    return req


def dump_buffer(data: bytes) -> str:
    """keepalived's dump_buffer: 16 bytes a line, decimal offsets, hex with a '-' after 8, ASCII."""
    lines = []
    for offset in range(0, len(data), 16):
        row = data[offset : offset + 16]
        cells = "".join(f" {b:02x}" if i < len(row) else "   " for i, b in enumerate(row.ljust(16, b"\0")))
        cells = cells[:24] + " -" + cells[24:]
        text = "".join(chr(b) if 0x20 <= b <= 0x7E else "." for b in row).ljust(16)
        lines.append(f"{offset & 0xFFFF:04d} {cells}   {text}\n")
    return "".join(lines)


class _Verbose(Observer):
    def __init__(self, out: TextIO) -> None:
        self.out = out

    def header(self, raw: bytes, first_body: bytes) -> None:
        self.out.write(HTTP_HEADER_HEXA)
        self.out.write(dump_buffer(raw))
        self.out.write(HTTP_HEADER_ASCII)
        self.out.write(raw.decode("latin-1") + "\n")
        if first_body:
            self.out.write(HTML_HEADER_HEXA)
            self.out.write(dump_buffer(first_body))

    def body(self, chunk: bytes) -> None:
        self.out.write(dump_buffer(chunk))


async def run(req: Request, out: TextIO, err: TextIO) -> None:
    """One GET as genhash does it, printing what genhash prints."""
    assert req.server is not None and req.port is not None and req.url is not None
    conn = Connection(
        connect_ip=req.server, connect_port=req.port, fwmark=req.fwmark, connect_timeout=req.timeout
    )
    tls = None
    if req.use_ssl:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        tls.check_hostname = False
        tls.verify_mode = ssl.CERT_NONE
    try:
        reply = await fetch(
            conn,
            path=req.url,
            host=req.virtualhost or default_host(conn),
            http_protocol=req.protocol,
            tls=tls,
            server_hostname=req.virtualhost if req.use_ssl and req.use_sni else None,
            observer=_Verbose(out) if req.verbose else None,
        )
    except FetchFailed as failed:
        if failed.reason in ("no data received", "response header too large"):
            err.write("no data received from remote webserver\n")
        else:
            out.write(f"{failed.message}\n")
        return
    if req.verbose:
        digest = reply.md5.digest()
        out.write("\n" + HTML_HASH + dump_buffer(digest) + HTML_HASH_FINAL)
    out.write(reply.digest + "\n")


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    """The genhash command; returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    name = prog if prog is not None else sys.argv[0]
    try:
        req = parse(args, sys.stderr)
    except _BadLine:
        usage(name, sys.stderr)
        return 1
    start = time.monotonic()
    asyncio.run(run(req, sys.stdout, sys.stderr))
    if req.verbose:
        elapsed = round((time.monotonic() - start) * 1_000_000)
        sys.stdout.write(f"\nGlobal response time for [{req.url}] = {elapsed} usecs\n")
    sys.stdout.flush()
    return 0


def console() -> None:
    """The `genhash` console script."""
    sys.exit(main())
