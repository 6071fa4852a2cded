"""One HTTP GET the way keepalived's HTTP_GET, SSL_GET and genhash send it, its reply read with bounds.

The request is byte for byte keepalived's (check_http.c request_template): the lines
`GET <path> HTTP/1.<0|1>`, `User-Agent: KeepAliveClient`, `Connection: close` (for
http_protocol 1.0C and 1.1 only) and `Host: <host>`, then an empty line; the host is the
virtualhost or, without one, the connect address and port (`[v6]:port` for IPv6).

The reply is parsed as keepalived's lib/html.c does: the header ends at the first CRLFCRLF, the
status code is the three digits after the first space and must be followed by a space, the
body is what follows the header, cut at Content-Length. Beyond keepalived, a chunked body is
decoded before it is hashed or matched, and every part is bounded: the connect and TLS
handshake must finish within connect_timeout, then the request and the whole reply within
connect_timeout again; the header may not exceed MAX_HEADER bytes nor the body MAX_BODY
bytes, and only the first REGEX_WINDOW body bytes are kept (for the regex), so a server that
sends an endless body costs at most MAX_BODY bytes of reading and no memory growth.
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl
from dataclasses import dataclass, field

from alived.checkers.connect import ConnectFailed, Connection, describe, tcp_connect

MAX_HEADER = 64 * 1024
MAX_BODY = 16 * 1024 * 1024
REGEX_WINDOW = 1024 * 1024
READ_SIZE = 4095  # keepalived's MAX_BUFFER_LENGTH less its terminator: genhash -v dumps per read
FAST_READ_SIZE = 64 * 1024
MAX_CHUNK_LINE = 1024


class FetchFailed(Exception):
    """The GET did not produce a reply to judge.

    `reason` is a few stable words; `message` is keepalived's debug_msg for timeout_epilog
    ("Timeout connecting", "Read error with", ...), which it logs as `<message> server <rs>.`.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message


@dataclass(slots=True)
class Reply:
    """What came back: the raw header, the status code keepalived would read, and the body's digest."""

    header: bytes
    status_code: int
    content_length: int | None
    chunked: bool
    body_bytes: int = 0
    md5: hashlib._Hash = field(default_factory=hashlib.md5)
    regex_subject: bytearray = field(default_factory=bytearray)

    @property
    def digest(self) -> str:
        return self.md5.hexdigest()


class Observer:
    """genhash -v's view of a fetch: the header as read, then each body chunk as read."""

    def header(self, raw: bytes, first_body: bytes) -> None:
        del raw, first_body

    def body(self, chunk: bytes) -> None:
        del chunk


def request_bytes(path: str, http_protocol: str, host: str) -> bytes:
    """keepalived's GET request for `path` (http_protocol is 1.0, 1.0C or 1.1)."""
    minor = 1 if http_protocol == "1.1" else 0
    close = "Connection: close\r\n" if http_protocol in ("1.0C", "1.1") else ""
    return f"GET {path} HTTP/1.{minor}\r\nUser-Agent: KeepAliveClient\r\n{close}Host: {host}\r\n\r\n".encode(
        "latin-1", "replace"
    )


def default_host(conn: Connection) -> str:
    """The Host keepalived names without a virtualhost: the connect address and port."""
    if conn.connect_ip.version == 6:
        return f"[{conn.connect_ip}]:{conn.connect_port}"
    return f"{conn.connect_ip}:{conn.connect_port}"


def status_code(header: bytes) -> int:
    """lib/html.c extract_status_code: the 3 digits between the first space and the next; else 0."""
    end = len(header)
    i = 0
    while i < end and header[i] not in b" \r":
        i += 1
    if i >= end or header[i] != 0x20:
        return 0
    i += 1
    if i + 3 >= end or header[i] == 0x20 or header[i + 3] != 0x20:
        return 0
    digits = header[i : i + 3]
    if not digits.isdigit():
        return 0
    return int(digits)


def _header_fields(header: bytes) -> tuple[int | None, bool]:
    """Content-Length (None if absent or unreadable) and whether the body is chunked."""
    length: int | None = None
    chunked = False
    for line in header.split(b"\r\n")[1:]:
        name, sep, value = line.partition(b":")
        if not sep:
            continue
        key = name.strip().lower()
        if key == b"content-length":
            text = value.strip()
            length = int(text) if text.isdigit() else None
        elif key == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
    return length, chunked


class ChunkedDecoder:
    """Incremental Transfer-Encoding: chunked decoder with a bounded size line; raises ValueError."""

    def __init__(self) -> None:
        self._line = bytearray()
        self._remaining = 0
        self._state = "size"  # size, data, data_crlf, trailer, done
        self.done = False

    def feed(self, data: bytes) -> bytes:
        out = bytearray()
        view = memoryview(data)
        i = 0
        while i < len(view) and not self.done:
            if self._state == "data":
                take = min(self._remaining, len(view) - i)
                out += view[i : i + take]
                i += take
                self._remaining -= take
                if self._remaining == 0:
                    self._state = "data_crlf"
                continue
            newline = data.find(b"\n", i)
            if newline < 0:
                self._line += view[i:]
                i = len(view)
            else:
                self._line += view[i:newline]
                i = newline + 1
                self._line_done()
            if len(self._line) > MAX_CHUNK_LINE:
                raise ValueError("chunk size line too long")
        return bytes(out)

    def _line_done(self) -> None:
        line = bytes(self._line).rstrip(b"\r")
        self._line.clear()
        if self._state == "data_crlf":
            if line:
                raise ValueError("missing CRLF after chunk data")
            self._state = "size"
        elif self._state == "size":
            size_text = line.split(b";", 1)[0].strip()
            try:
                self._remaining = int(size_text, 16)
            except ValueError:
                raise ValueError("bad chunk size") from None
            if self._remaining < 0:
                raise ValueError("bad chunk size")
            self._state = "data" if self._remaining else "trailer"
        elif self._state == "trailer" and not line:
            self._state = "done"
            self.done = True


async def _open(
    conn: Connection, tls: ssl.SSLContext | None, server_hostname: str | None
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    try:
        sock = await tcp_connect(conn)
    except ConnectFailed as err:
        message = "Timeout connecting" if err.timeout else "Connection failed"
        raise FetchFailed(err.reason, message) from err
    try:
        async with asyncio.timeout(conn.timeout):
            return await asyncio.open_connection(
                sock=sock,
                ssl=tls,
                server_hostname=(server_hostname or "") if tls is not None else None,
                ssl_handshake_timeout=conn.timeout if tls is not None else None,
                limit=FAST_READ_SIZE,
            )
    except TimeoutError as err:
        sock.close()
        if tls is not None:
            raise FetchFailed("TLS handshake timeout", "Timeout connecting") from err
        raise FetchFailed("connect timeout", "Timeout connecting") from err
    except ssl.SSLCertVerificationError as err:
        sock.close()
        reason = f"certificate verify failed: {err.verify_message}"
        raise FetchFailed(reason, "SSL handshake/communication error connecting to") from err
    except (ssl.SSLError, OSError, EOFError) as err:
        sock.close()
        reason = describe(err) if tls is None and isinstance(err, OSError) else "TLS handshake failed"
        raise FetchFailed(reason, "SSL handshake/communication error connecting to") from err


async def fetch(
    conn: Connection,
    *,
    path: str,
    host: str,
    http_protocol: str = "1.0",
    tls: ssl.SSLContext | None = None,
    server_hostname: str | None = None,
    want_regex: bool = False,
    observer: Observer | None = None,
    response_timeout: float | None = None,
) -> Reply:
    """GET `path` and read the reply; raises FetchFailed when there is nothing to judge."""
    reader, writer = await _open(conn, tls, server_hostname)
    read_message = "Timeout SSL read" if tls is not None else "Timeout HTTP read"
    try:
        async with asyncio.timeout(conn.timeout if response_timeout is None else response_timeout):
            try:
                writer.write(request_bytes(path, http_protocol, host))
                await writer.drain()
            except (OSError, ssl.SSLError) as err:
                raise FetchFailed("cannot send request", "Cannot send get request to") from err
            return await _read_reply(reader, tls is not None, want_regex, observer)
    except TimeoutError as err:
        raise FetchFailed("read timeout", read_message) from err
    finally:
        writer.transport.abort()


async def _read(reader: asyncio.StreamReader, size: int, is_tls: bool) -> bytes:
    try:
        return await reader.read(size)
    except (OSError, ssl.SSLError) as err:
        message = "SSL read error from" if is_tls else "Read error with"
        reason = describe(err) if isinstance(err, OSError) else "TLS read error"
        raise FetchFailed(reason, message) from err


async def _read_reply(
    reader: asyncio.StreamReader, is_tls: bool, want_regex: bool, observer: Observer | None
) -> Reply:
    size = READ_SIZE if observer is not None else FAST_READ_SIZE
    buffer = bytearray()
    while True:
        data = await _read(reader, size, is_tls)
        if not data:
            raise FetchFailed("no data received", "Read, no data received from ")
        buffer += data
        end = buffer.find(b"\r\n\r\n")
        if end >= 0:
            break
        if len(buffer) > MAX_HEADER:
            raise FetchFailed("response header too large", "Read, no data received from ")
    header = bytes(buffer[: end + 4])
    if len(header) > MAX_HEADER:
        raise FetchFailed("response header too large", "Read, no data received from ")
    length, chunked = _header_fields(header)
    reply = Reply(header=header, status_code=status_code(header), content_length=length, chunked=chunked)
    decoder = ChunkedDecoder() if chunked else None
    first = _take(reply, bytes(buffer[end + 4 :]))
    if observer is not None:
        observer.header(header, first)
    if not _consume(reply, first, decoder, want_regex):
        return reply
    while True:
        data = await _read(reader, size, is_tls)
        if not data:
            return reply
        chunk = _take(reply, data)
        if observer is not None and chunk:
            observer.body(chunk)
        if not _consume(reply, chunk, decoder, want_regex):
            return reply


def _take(reply: Reply, data: bytes) -> bytes:
    """The part of `data` that belongs to the body (Content-Length cuts it, as keepalived does)."""
    if reply.content_length is not None and not reply.chunked:
        data = data[: max(0, reply.content_length - reply.body_bytes)]
    return data


def _consume(reply: Reply, data: bytes, decoder: ChunkedDecoder | None, want_regex: bool) -> bool:
    """Hash (and keep for the regex) a piece of body; False when the body is complete."""
    reply.body_bytes += len(data)
    if reply.body_bytes > MAX_BODY:
        raise FetchFailed("response body too large", "Read error with")
    if decoder is not None:
        try:
            data = decoder.feed(data)
        except ValueError as err:
            raise FetchFailed(f"bad chunked body: {err}", "Read error with") from err
    reply.md5.update(data)
    if want_regex and len(reply.regex_subject) < REGEX_WINDOW:
        reply.regex_subject += data[: REGEX_WINDOW - len(reply.regex_subject)]
    if decoder is not None:
        return not decoder.done
    return reply.content_length is None or reply.body_bytes < reply.content_length
