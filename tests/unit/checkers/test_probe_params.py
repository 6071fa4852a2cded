"""build_probe: keepalived.conf checker blocks become probes with keepalived's per-type defaults."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest

from alived.checkers.base import Target
from alived.checkers.dns import DnsProbe
from alived.checkers.file import FileProbe
from alived.checkers.http import HttpProbe, SslProbe
from alived.checkers.misc import MiscProbe
from alived.checkers.ping import PingProbe
from alived.checkers.smtp import SmtpProbe
from alived.checkers.tcp import TcpProbe
from alived.checkers.udp import DEFAULT_PAYLOAD, UdpProbe
from alived.config import model
from alived.config.load import load_text
from alived.daemon.check.probe_params import UnsupportedChecker, build_probe
from alived.units import SECOND
from tests.unit.checkers.servers import http_response, responder, tcp_server

BODY = b"ok\n"


def _config(checkers: str, extra: str = "", vs_extra: str = "") -> model.Config:
    text = f"""
{extra}
virtual_server 192.0.2.10 80 {{
    delay_loop 10
    lb_algo rr
    lb_kind NAT
    protocol TCP
    {vs_extra}
    real_server 127.0.0.1 8080 {{
{checkers}
    }}
}}
"""
    result = load_text(text)
    assert not [d for d in result.problems if "script_security" not in d.message], result.problems
    return result.config


def _probes(config: model.Config) -> list[object]:
    vs = config.virtual_servers[0]
    rs = vs.real_servers[0]
    target = Target(address=rs.address, port=rs.effective_port, virtualhost=rs.virtualhost or vs.virtualhost)
    return [build_probe(c, target, config=config, vs_virtualhost=vs.virtualhost) for c in rs.checkers]


def test_every_probe_type_with_keepalived_defaults(tmp_path: Path) -> None:
    (tmp_path / "w").write_text("3\n")
    config = _config(
        """
        TCP_CHECK { connect_timeout 3 }
        HTTP_GET { url { path /health } }
        SSL_GET {
            url { path / }
            verify_peer
            enable_sni
            virtualhost www.example.org
        }
        SMTP_CHECK { }
        DNS_CHECK { }
        UDP_CHECK { require_reply 4X 4F }
        PING_CHECK { }
        MISC_CHECK {
            misc_path "/bin/true"
            misc_dynamic
        }
        FILE_CHECK {
            track_file tf
            weight 2 reverse
        }
""",
        extra=f"SSL {{ ca {tmp_path}/ca.pem }}\ntrack_file tf {{ file {tmp_path}/w }}",
    )
    tcp, http, ssl_get, smtp, dns, udp, ping, misc, file = _probes(config)
    assert isinstance(tcp, TcpProbe)
    assert tcp.params.connection.connect_timeout == 3 * SECOND
    assert str(tcp.params.connection) == "[127.0.0.1]:8080"
    assert isinstance(http, HttpProbe)
    (url,) = http.params.urls
    assert (url.path, url.status_code, url.virtualhost, http.params.http_protocol) == (
        "/health",
        ((200, 299),),
        None,
        "1.0",
    )
    assert http.params.connection.connect_timeout == 5 * SECOND
    assert isinstance(ssl_get, SslProbe)
    assert ssl_get.params.tls is not None
    assert (ssl_get.params.tls.verify_peer, ssl_get.params.tls.ca) == (True, f"{tmp_path}/ca.pem")
    assert ssl_get.params.urls[0].sni_name == "www.example.org"
    assert isinstance(smtp, SmtpProbe)
    assert smtp.params.helo_name == "smtpchecker.keepalived.org"
    assert isinstance(dns, DnsProbe)
    assert (dns.params.type, dns.params.name) == ("SOA", ".")
    assert isinstance(udp, UdpProbe)
    assert udp.params.payload == DEFAULT_PAYLOAD
    assert (udp.params.require_reply, udp.params.reply_data, udp.params.reply_mask) == (
        True,
        b"\x40\x4f",
        b"\x0f\x00",
    )
    assert isinstance(ping, PingProbe)
    assert isinstance(misc, MiscProbe)
    assert misc.params.command.argv == ("/bin/true",)
    assert (misc.params.misc_timeout, misc.params.misc_dynamic) == (10 * SECOND, True)
    assert isinstance(file, FileProbe)
    assert (file.params.path, file.params.weight, file.params.reverse) == (f"{tmp_path}/w", 2, True)
    assert asyncio.run(file.attempt()).weight_offset == -6


def test_virtualhost_chain_for_host_and_sni() -> None:
    config = _config(
        """
        virtualhost rs.example.org
        SSL_GET {
            enable_sni
            url { path /a }
            url {
                path /b
                virtualhost url.example.org
            }
        }
""",
        vs_extra="virtualhost vs.example.org",
    )
    (ssl_get,) = _probes(config)
    assert isinstance(ssl_get, SslProbe)
    a, b = ssl_get.params.urls
    assert (a.virtualhost, a.sni_name) == (
        "rs.example.org",
        "vs.example.org",
    )  # keepalived skips the RS for SNI
    assert (b.virtualhost, b.sni_name) == ("url.example.org", "url.example.org")


def test_bare_require_reply_and_spaced_payload() -> None:
    config = _config("UDP_CHECK { payload 01 02 0a\n require_reply }")
    (udp,) = _probes(config)
    assert isinstance(udp, UdpProbe)
    assert (udp.params.payload, udp.params.require_reply, udp.params.reply_data) == (
        b"\x01\x02\x0a",
        True,
        None,
    )


def test_bfd_check_has_no_probe() -> None:
    config = _config("BFD_CHECK { name b1 }")
    with pytest.raises(UnsupportedChecker):
        _probes(config)


def test_file_check_without_the_config_is_refused(tmp_path: Path) -> None:
    config = _config("FILE_CHECK { track_file tf }", extra=f"track_file tf {{ file {tmp_path}/w }}")
    rs = config.virtual_servers[0].real_servers[0]
    with pytest.raises(UnsupportedChecker):
        build_probe(rs.checkers[0], Target(address=rs.address, port=8080))


def test_http_get_from_config_against_a_real_server() -> None:
    digest = hashlib.md5(BODY).hexdigest()
    with tcp_server(responder(http_response(BODY))) as port:
        config = _config(
            f"""
        HTTP_GET {{
            connect_port {port}
            connect_timeout 30
            url {{ path /index.html digest {digest} status_code 200 }}
        }}
"""
        )
        (probe,) = _probes(config)
        assert isinstance(probe, HttpProbe)
        assert asyncio.run(probe.attempt()).success


def test_misc_check_whose_user_does_not_exist_is_refused_not_run_as_root() -> None:
    config = _config('MISC_CHECK {\n misc_path "/bin/true"\n user nosuchuser-alived\n}')
    with pytest.raises(UnsupportedChecker, match="refused"):
        _probes(config)
