"""From the config model's checker blocks (model_check) to a probe: keepalived's per-type defaults.

The checker child calls `build_probe` once per checker block of a real server. Connection
fields the checker leaves out come from the real server (`target`), the timeout is the
checker's effective connect_timeout (facts 5.4), and each type's own defaults are filled in
here: HTTP status 200-299, SMTP helo smtpchecker.keepalived.org, DNS SOA for ".", UDP
keepalived's filler payload, MISC misc_timeout = delay_loop, FILE the track_file's weight.

The Host header of HTTP_GET/SSL_GET is the url's virtualhost, else the checker's, else the real
server's, else the virtual server's (`target.virtualhost` carries the real server's, falling back
to the virtual server's); SNI follows keepalived's own chain (sni_name, url, checker, virtual
server: the real server's virtualhost is not used for SNI).
"""

from __future__ import annotations

from alived.checkers import load_all
from alived.checkers.base import REGISTRY, Probe, Target
from alived.checkers.connect import DEFAULT_CONNECT_TIMEOUT, Connection
from alived.checkers.dns import DnsParams
from alived.checkers.file import FileParams
from alived.checkers.http import DEFAULT_STATUS, HttpParams, TlsParams, UrlSpec
from alived.checkers.misc import MiscParams
from alived.checkers.ping import PingParams
from alived.checkers.smtp import DEFAULT_HELO, SmtpParams
from alived.checkers.tcp import TcpParams
from alived.checkers.udp import DEFAULT_PAYLOAD, UdpParams, parse_hex
from alived.config import model
from alived.config.model_check import (
    Checker,
    ConnectOptions,
    DnsCheck,
    FileCheck,
    HttpGet,
    MiscCheck,
    PingCheck,
    SmtpCheck,
    SslGet,
    TcpCheck,
    UdpCheck,
)
from alived.daemon.script_command import script_command
from alived.units import Ticks


class UnsupportedChecker(ValueError):
    """A checker type with no probe (BFD_CHECK runs in the BFD process, not as a probe)."""


def _connection(checker: ConnectOptions, target: Target, timeout: Ticks | None = None) -> Connection:
    return Connection(
        connect_ip=checker.connect_ip or target.address,
        connect_port=checker.connect_port if checker.connect_port else (target.port or 0),
        bindto=checker.bindto,
        bind_port=checker.bind_port,
        bind_if=checker.bind_if,
        fwmark=checker.fwmark,
        connect_timeout=timeout if timeout is not None else DEFAULT_CONNECT_TIMEOUT,
    )


def _urls(checker: HttpGet, target: Target, vs_virtualhost: str | None) -> tuple[UrlSpec, ...]:
    urls = []
    for url in checker.url:
        host = url.virtualhost or checker.virtualhost or target.virtualhost
        sni = None
        if checker.enable_sni:
            sni = checker.sni_name or url.virtualhost or checker.virtualhost or vs_virtualhost
        urls.append(
            UrlSpec(
                path=url.path or "/",
                digest=url.digest.lower() if url.digest else None,
                status_code=url.status_code or DEFAULT_STATUS,
                virtualhost=host,
                sni_name=sni,
                regex=url.regex,
                regex_no_match=url.regex_no_match,
                regex_options=url.regex_options,
                regex_min_offset=url.regex_min_offset or 0,
                regex_max_offset=url.regex_max_offset,
            )
        )
    return tuple(urls)


def _tls(checker: HttpGet, ssl: model.SslConfig | None) -> TlsParams:
    ssl = ssl or model.SslConfig()
    return TlsParams(
        verify_peer=checker.verify_peer,
        ca=ssl.ca,
        certificate=ssl.certificate,
        key=ssl.key,
        password=ssl.password,
    )


def _misc(checker: MiscCheck, config: model.Config | None) -> MiscParams:
    script = checker.misc_path
    assert script is not None  # resolve drops a MISC_CHECK without misc_path
    if checker.user:
        words = checker.user.split()
        group = words[1] if len(words) > 1 else None
        script = model.Script(argv=script.argv, user=words[0], group=group)
    defaults = config.global_defs if config is not None else model.GlobalDefs()
    command = script_command(script, defaults)
    if command is None:
        # Its user (or the default script user) does not exist: never run it as root instead.
        raise UnsupportedChecker(f"MISC_CHECK: script {script.path} refused: its user cannot be set")
    timeout = checker.misc_timeout or checker.effective_delay_loop
    return MiscParams(command=command, misc_timeout=timeout, misc_dynamic=checker.misc_dynamic)


def _udp(checker: UdpCheck, conn: Connection) -> UdpParams:
    payload = DEFAULT_PAYLOAD
    if checker.payload:
        parsed = parse_hex(checker.payload)
        if parsed is not None:
            payload = parsed[0]
    data = mask = None
    if checker.require_reply:
        reply = parse_hex(checker.require_reply, wildcards=True)
        if reply is not None:
            data, mask = reply
    return UdpParams(
        connection=conn,
        payload=payload,
        require_reply=checker.require_reply is not None,
        reply_data=data,
        reply_mask=mask,
        min_reply_length=checker.min_reply_length or 0,
        max_reply_length=checker.max_reply_length if checker.max_reply_length is not None else 255,
    )


def _file(checker: FileCheck, config: model.Config | None) -> FileParams:
    name = checker.track_file or ""
    track = next((t for t in (config.track_files if config else ()) if t.name == name), None)
    if track is None or not track.file:
        raise UnsupportedChecker(f"FILE_CHECK: track_file {name} not found (build_probe needs the config)")
    path = track.file
    if checker.weight is not None:
        weight, reverse = checker.weight, checker.weight_reverse
    else:
        weight, reverse = track.weight, track.weight_reverse
    return FileParams(name=name, path=path, weight=weight, reverse=reverse)


def params_for(
    checker: Checker,
    target: Target,
    *,
    config: model.Config | None = None,
    vs_virtualhost: str | None = None,
) -> object:
    """The probe's own parameter object for `checker` (UnsupportedChecker for BFD_CHECK)."""
    conn = _connection(checker, target, checker.effective_connect_timeout)
    match checker:
        case TcpCheck():
            return TcpParams(connection=conn)
        case HttpGet():  # and SSL_GET, its subclass
            return HttpParams(
                connection=conn,
                urls=_urls(checker, target, vs_virtualhost),
                http_protocol=checker.http_protocol or "1.0",
                tls=_tls(checker, config.ssl if config else None) if isinstance(checker, SslGet) else None,
            )
        case SmtpCheck():
            hosts = [conn] if not checker.host or _has_connection(checker) else []
            hosts += [
                _connection(host, target, host.connect_timeout or conn.connect_timeout)
                for host in checker.host
            ]
            return SmtpParams(hosts=tuple(hosts), helo_name=checker.helo_name or DEFAULT_HELO)
        case DnsCheck():
            return DnsParams(connection=conn, type=checker.dns_type or "SOA", name=checker.dns_name or ".")
        case UdpCheck():
            return _udp(checker, conn)
        case PingCheck():
            return PingParams(connection=conn)
        case MiscCheck():
            return _misc(checker, config)
        case FileCheck():
            return _file(checker, config)
        case _:
            raise UnsupportedChecker(f"{checker.type} has no probe")


def _has_connection(checker: ConnectOptions) -> bool:
    """keepalived keeps the SMTP_CHECK's own connection when any connection keyword is set."""
    return any(
        value is not None
        for value in (checker.connect_ip, checker.connect_port, checker.bindto, checker.bind_port)
    ) or bool(checker.bind_if or checker.fwmark)


def build_probe(
    checker: Checker,
    target: Target,
    *,
    config: model.Config | None = None,
    vs_virtualhost: str | None = None,
) -> Probe:
    """The probe for one checker block of the real server `target`, found in the registry by type."""
    load_all()
    factory = REGISTRY.get(checker.type)
    if factory is None:
        raise UnsupportedChecker(f"{checker.type} has no probe")
    params = params_for(checker, target, config=config, vs_virtualhost=vs_virtualhost)
    return factory(params, target)
