"""HTTP_GET and SSL_GET: every url block must answer with an accepted status, digest and regex.

One attempt fetches the url blocks in order and stops at the first that fails (keepalived
walks them one per connection too, and all must pass). Each url is judged as keepalived's
http_handle_response does: a reply with no complete header is "no data", then the status code
must be in `status_code` (default 200-299), then the MD5 of the body must equal `digest`, then
`regex` must match (start offset within [regex_min_offset, regex_max_offset]) or, with
`regex_no_match`, must not. Python's `re` stands in for PCRE2: `regex_options` caseless,
dotall, extended and multiline map to their flags, the others are accepted and ignored.

SSL_GET sends SNI when `enable_sni` is set (sni_name, else the virtualhost). Like keepalived
it does not verify the server's certificate by default; `verify_peer` (alived's own keyword)
turns on certificate and hostname verification against the SSL block's `ca` (or the system's
CAs without one), the hostname being the SNI name, else the virtualhost, else the connect IP.
"""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass

from alived.checkers.base import ProbeBase, Target
from alived.checkers.connect import Connection
from alived.checkers.http_fetch import FetchFailed, Reply, default_host, fetch
from alived.core.check.result import ProbeResult

DEFAULT_STATUS = ((200, 299),)
_REGEX_FLAGS = {
    "caseless": re.IGNORECASE,
    "dotall": re.DOTALL,
    "extended": re.VERBOSE,
    "multiline": re.MULTILINE,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class UrlSpec:
    """One url block, its virtualhost and SNI name already chosen along keepalived's chain."""

    path: str
    digest: str | None = None  # lower-case hex MD5
    status_code: tuple[tuple[int, int], ...] = DEFAULT_STATUS
    virtualhost: str | None = None
    sni_name: str | None = None
    regex: str | None = None
    regex_no_match: bool = False
    regex_options: tuple[str, ...] = ()
    regex_min_offset: int = 0
    regex_max_offset: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TlsParams:
    """SSL_GET's TLS side: keepalived's SSL block, plus alived's verify_peer."""

    verify_peer: bool = False
    ca: str | None = None
    certificate: str | None = None
    key: str | None = None
    password: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpParams:
    connection: Connection
    urls: tuple[UrlSpec, ...]
    http_protocol: str = "1.0"  # 1.0, 1.0C or 1.1
    tls: TlsParams | None = None  # set for SSL_GET


def make_tls_context(params: TlsParams) -> ssl.SSLContext:
    """The client context: no verification unless verify_peer, the client certificate if given."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if params.verify_peer:
        ctx.check_hostname = True
        ctx.verify_mode = ssl.CERT_REQUIRED
        if params.ca:
            ctx.load_verify_locations(cafile=params.ca)
        else:
            ctx.load_default_certs()
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if params.certificate:
        ctx.load_cert_chain(params.certificate, params.key, params.password)
    return ctx


def status_accepted(code: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(lo <= code <= hi for lo, hi in ranges)


def compile_regex(url: UrlSpec) -> re.Pattern[bytes] | None:
    if url.regex is None:
        return None
    flags = 0
    for option in url.regex_options:
        flags |= _REGEX_FLAGS.get(option, 0)
    return re.compile(url.regex.encode(), flags)


def regex_matched(pattern: re.Pattern[bytes], url: UrlSpec, body: bytes) -> bool:
    """A match starting at or after regex_min_offset and at or before regex_max_offset."""
    found = pattern.search(body, url.regex_min_offset)
    return found is not None and (url.regex_max_offset is None or found.start() <= url.regex_max_offset)


class _Http(ProbeBase[HttpParams]):
    """HTTP_GET and SSL_GET share everything but the TLS layer."""

    def __init__(self, params: HttpParams, target: Target) -> None:
        super().__init__(params, target)
        self._setup_error: str | None = None
        self._tls: ssl.SSLContext | None = None
        self._patterns: list[re.Pattern[bytes] | None] = []
        try:
            if params.tls is not None:
                self._tls = make_tls_context(params.tls)
            self._patterns = [compile_regex(url) for url in params.urls]
        except (OSError, ssl.SSLError, re.error) as err:
            self._setup_error = f"invalid setup: {err}"

    def _fail(self, reason: str, message: str) -> ProbeResult:
        return ProbeResult(success=False, reason=reason, log_text=f"{message} server {self.target}.")

    async def _attempt(self) -> ProbeResult:
        if self._setup_error is not None:
            return ProbeResult(success=False, reason=self._setup_error)
        conn = self.params.connection
        for url, pattern in zip(self.params.urls, self._patterns, strict=True):
            try:
                reply = await fetch(
                    conn,
                    path=url.path,
                    host=url.virtualhost or default_host(conn),
                    http_protocol=self.params.http_protocol,
                    tls=self._tls,
                    server_hostname=self._server_hostname(url),
                    want_regex=pattern is not None,
                )
            except FetchFailed as err:
                return self._fail(err.reason, err.message)
            failure = self._judge(url, pattern, reply)
            if failure is not None:
                return failure
        text = f"Remote Web server {self.target} succeed on service."
        return ProbeResult(success=True, reason="ok", log_text=text)

    def _server_hostname(self, url: UrlSpec) -> str | None:
        if url.sni_name:
            return url.sni_name
        if self.params.tls is not None and self.params.tls.verify_peer:
            return url.virtualhost or str(self.params.connection.connect_ip)
        return None

    def _judge(self, url: UrlSpec, pattern: re.Pattern[bytes] | None, reply: Reply) -> ProbeResult | None:
        if not status_accepted(reply.status_code, url.status_code):
            reason = f"status code {reply.status_code}" if reply.status_code else "invalid status line"
            return self._fail(reason, "HTTP status code error to")
        if url.digest is not None and reply.digest != url.digest:
            return self._fail("digest mismatch", "MD5 digest error to")
        if (
            pattern is not None
            and regex_matched(pattern, url, bytes(reply.regex_subject)) == url.regex_no_match
        ):
            return self._fail("regex mismatch", "Regex match failed")
        return None


class HttpProbe(_Http, keyword="HTTP_GET"):
    pass


class SslProbe(_Http, keyword="SSL_GET"):
    pass
