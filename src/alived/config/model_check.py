"""The checker blocks of a real_server: one frozen dataclass per checker type, found by keyword.

`Checker` holds what every checker shares (keepalived's checker_t: connection options,
scheduling, and the effective_* values resolve fills in); each type adds its own keywords.
`CHECKER_TYPES` maps the keepalived keyword (TCP_CHECK, HTTP_GET, ...) to its class; the parser
builds from it and the checker child matches on the class. Scheduling values given as None
inherit from the real server, then the virtual server (facts 5.4).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Final

from alived.config.model import IPAddress, Script
from alived.errors import Location
from alived.units import SECOND, Ticks

_5S: Final = Ticks(5 * SECOND)
_60S: Final = Ticks(60 * SECOND)


@dataclass(frozen=True, slots=True, kw_only=True)
class UrlCheck:
    path: str | None = None
    digest: str | None = None
    status_code: tuple[tuple[int, int], ...] = ()
    virtualhost: str | None = None
    regex: str | None = None
    regex_no_match: bool = False
    regex_options: tuple[str, ...] = ()
    regex_min_offset: int | None = None
    regex_max_offset: int | None = None
    regex_stack: tuple[int, ...] = ()
    tls_compliant: bool = False
    location: Location | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectOptions:
    """Where a check connects from and to (keepalived's conn_opts): a checker's, or an SMTP host's."""

    connect_ip: IPAddress | None = None
    connect_port: int | None = None
    bindto: IPAddress | None = None
    bind_port: int | None = None
    bind_if: str | None = None
    connect_timeout: Ticks | None = None
    fwmark: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SmtpHost(ConnectOptions):
    """One `host` block of an SMTP_CHECK."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Checker(ConnectOptions):
    """What every checker block has. `type` is its keyword, fixed by the subclass.

    `default_retry` and `default_delay_before_retry` are keepalived's per-type defaults, taken
    when neither the checker, its real server nor its virtual server sets the value.
    """

    default_retry: ClassVar[int] = 1

    type: str = field(init=False, default="")
    retry: int | None = None
    delay_before_retry: Ticks | None = None
    warmup: Ticks | None = None
    delay_loop: Ticks | None = None
    alpha: bool | None = None
    log_all_failures: bool | None = None
    effective_retry: int = 1
    effective_delay_before_retry: Ticks = SECOND
    effective_connect_timeout: Ticks = _5S
    effective_delay_loop: Ticks = _60S
    effective_warmup: Ticks = _60S
    effective_alpha: bool = False
    location: Location | None = None

    def default_delay_before_retry(self, delay_loop: Ticks) -> Ticks:
        del delay_loop
        return SECOND


@dataclass(frozen=True, slots=True, kw_only=True)
class TcpCheck(Checker):
    type: str = field(init=False, default="TCP_CHECK")


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpGet(Checker):
    type: str = field(init=False, default="HTTP_GET")
    url: tuple[UrlCheck, ...] = ()
    http_protocol: str | None = None
    virtualhost: str | None = None
    fast_recovery: bool = False
    enable_sni: bool = False
    sni_name: str | None = None
    tls_compliant: bool = False
    verify_peer: bool = False  # alived's own: verify the SSL_GET server's certificate and name

    def default_delay_before_retry(self, delay_loop: Ticks) -> Ticks:
        del delay_loop
        return Ticks(3 * SECOND)


@dataclass(frozen=True, slots=True, kw_only=True)
class SslGet(HttpGet):
    type: str = field(init=False, default="SSL_GET")


@dataclass(frozen=True, slots=True, kw_only=True)
class SmtpCheck(Checker):
    type: str = field(init=False, default="SMTP_CHECK")
    helo_name: str | None = None
    host: tuple[SmtpHost, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class DnsCheck(Checker):
    default_retry: ClassVar[int] = 3

    type: str = field(init=False, default="DNS_CHECK")
    dns_type: str | None = None
    dns_name: str | None = None

    def default_delay_before_retry(self, delay_loop: Ticks) -> Ticks:
        return delay_loop


@dataclass(frozen=True, slots=True, kw_only=True)
class MiscCheck(Checker):
    default_retry: ClassVar[int] = 0

    type: str = field(init=False, default="MISC_CHECK")
    misc_path: Script | None = None
    misc_timeout: Ticks | None = None
    misc_dynamic: bool = False
    user: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UdpCheck(Checker):
    type: str = field(init=False, default="UDP_CHECK")
    payload: str | None = None
    require_reply: str | None = None
    min_reply_length: int | None = None
    max_reply_length: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PingCheck(Checker):
    type: str = field(init=False, default="PING_CHECK")


@dataclass(frozen=True, slots=True, kw_only=True)
class FileCheck(Checker):
    type: str = field(init=False, default="FILE_CHECK")
    track_file: str | None = None
    weight: int | None = None
    weight_reverse: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class BfdCheck(Checker):
    type: str = field(init=False, default="BFD_CHECK")
    name: str | None = None


def _keyword(cls: type[Checker]) -> str:
    keyword = cls.__dataclass_fields__["type"].default
    assert isinstance(keyword, str)
    return keyword


CHECKER_TYPES: Final[dict[str, type[Checker]]] = {
    _keyword(cls): cls
    for cls in (
        TcpCheck,
        HttpGet,
        SslGet,
        SmtpCheck,
        DnsCheck,
        MiscCheck,
        UdpCheck,
        PingCheck,
        FileCheck,
        BfdCheck,
    )
}
