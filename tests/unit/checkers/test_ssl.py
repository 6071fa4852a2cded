"""SSL_GET against real loopback TLS servers with certificates made by the test (trustme)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from alived.checkers.base import REGISTRY
from alived.checkers.http import HttpParams, SslProbe, TlsParams, UrlSpec
from alived.core.check.result import ProbeResult
from tests.unit.checkers.servers import connection, http_response, read_request, target, tcp_server

BODY = b"secure hello\n"


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@contextlib.contextmanager
def tls_server(cert: trustme.LeafCert | None, snis: list[str | None]) -> Iterator[int]:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if cert is None:  # self-signed: a stranger CA's own certificate and key
        _load_self_signed(ctx, trustme.CA())
    else:
        cert.configure_cert(ctx)

    def on_sni(sslobj: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
        del sslobj, _ctx
        snis.append(name)

    ctx.sni_callback = on_sni  # type: ignore[assignment]

    def handle(conn: socket.socket) -> None:
        with ctx.wrap_socket(conn, server_side=True) as tls:
            read_request(tls)
            tls.sendall(http_response(BODY))

    with tcp_server(handle) as port:
        yield port


def _load_self_signed(ctx: ssl.SSLContext, ca: trustme.CA) -> None:
    with ca.cert_pem.tempfile() as cert, ca.private_key_pem.tempfile() as key:
        ctx.load_cert_chain(cert, key)


def _check(port: int, tls: TlsParams, **url: object) -> ProbeResult:
    params = HttpParams(connection=connection(port), urls=(UrlSpec(path="/", **url),), tls=tls)  # type: ignore[arg-type]
    return asyncio.run(SslProbe(params, target(443)).attempt())


def test_registered() -> None:
    assert REGISTRY["SSL_GET"] is SslProbe


def test_valid_certificate_verified(ca: trustme.CA, ca_file: str) -> None:
    snis: list[str | None] = []
    with tls_server(ca.issue_cert("www.example.org"), snis) as port:
        result = _check(port, TlsParams(verify_peer=True, ca=ca_file), virtualhost="www.example.org")
    assert result.success, result
    assert snis == ["www.example.org"]


def test_ip_address_certificate_verified_without_virtualhost(ca: trustme.CA, ca_file: str) -> None:
    with tls_server(ca.issue_cert("127.0.0.1"), []) as port:
        assert _check(port, TlsParams(verify_peer=True, ca=ca_file)).success


@pytest.mark.parametrize("case", ["expired", "wrong host", "self-signed", "unknown CA"])
def test_bad_certificates(case: str, ca: trustme.CA, ca_file: str) -> None:
    past = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    cert: trustme.LeafCert | None
    if case == "expired":
        cert = ca.issue_cert("www.example.org", not_before=past, not_after=past + datetime.timedelta(days=1))
    elif case == "wrong host":
        cert = ca.issue_cert("other.example.org")
    elif case == "unknown CA":
        cert = trustme.CA().issue_cert("www.example.org")
    else:
        cert = None
    with tls_server(cert, []) as port:
        verified = _check(port, TlsParams(verify_peer=True, ca=ca_file), virtualhost="www.example.org")
        unverified = _check(port, TlsParams(), virtualhost="www.example.org")
    assert not verified.success
    assert verified.reason.startswith("certificate verify failed"), verified.reason
    assert verified.log_text == "SSL handshake/communication error connecting to server [127.0.0.1]:tcp:443."
    # keepalived never verifies: without verify_peer the same server is up
    assert unverified.success, unverified


def test_sni_sent_only_when_asked(ca: trustme.CA) -> None:
    snis: list[str | None] = []
    with tls_server(ca.issue_cert("www.example.org"), snis) as port:
        assert _check(port, TlsParams(), virtualhost="www.example.org").success
        assert _check(port, TlsParams(), virtualhost="www.example.org", sni_name="sni.example.org").success
    assert snis == [None, "sni.example.org"]


def test_handshake_that_never_completes_times_out() -> None:
    def silent(conn: socket.socket) -> None:
        conn.recv(65536)
        conn.recv(65536)

    with tcp_server(silent) as port:
        params = HttpParams(connection=connection(port, 300), urls=(UrlSpec(path="/"),), tls=TlsParams())
        result = asyncio.run(SslProbe(params, target(443)).attempt())
    assert (result.success, result.reason) == (False, "TLS handshake timeout")
    assert result.log_text == "Timeout connecting server [127.0.0.1]:tcp:443."


def test_plain_http_server_is_a_tls_failure() -> None:
    with tcp_server(lambda conn: conn.sendall(b"HTTP/1.0 400 Bad\r\n\r\n")) as port:
        result = _check(port, TlsParams())
    assert (result.success, result.reason) == (False, "TLS handshake failed")


def test_missing_ca_file_is_a_clean_down_on_every_attempt(tmp_path: Path) -> None:
    tls = TlsParams(verify_peer=True, ca=str(tmp_path / "absent.pem"))
    params = HttpParams(connection=connection(443), urls=(UrlSpec(path="/"),), tls=tls)
    result = asyncio.run(SslProbe(params, target(443)).attempt())
    assert not result.success
    assert result.reason.startswith("invalid setup")
