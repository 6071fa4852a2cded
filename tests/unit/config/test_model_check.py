"""The checker model: one frozen class per checker keyword, found in a registry, built by the parser."""

from __future__ import annotations

import dataclasses

import pytest

from alived.config import keywords, model_check
from alived.config.load import load_text
from alived.units import SECOND

BLOCKS = {
    "TCP_CHECK": "",
    "HTTP_GET": "url {\n path /\n }",
    "SSL_GET": "url {\n path /\n }",
    "SMTP_CHECK": "helo_name h",
    "DNS_CHECK": "type A",
    "MISC_CHECK": "misc_path /bin/true",
    "UDP_CHECK": "",
    "PING_CHECK": "",
    "BFD_CHECK": "name b",
}


def _checker(keyword: str, body: str) -> model_check.Checker:
    text = f"""
virtual_server 192.0.2.1 80 {{
  protocol TCP
  real_server 192.0.2.2 80 {{
    {keyword} {{
      {body}
    }}
  }}
}}
"""
    (vs,) = load_text(text).config.virtual_servers
    (rs,) = vs.real_servers
    (checker,) = rs.checkers
    return checker


def test_the_registry_holds_every_checker_keyword_the_parser_knows() -> None:
    assert set(model_check.CHECKER_TYPES) == set(keywords.CHECKERS)
    for keyword, cls in model_check.CHECKER_TYPES.items():
        assert cls().type == keyword
        assert dataclasses.is_dataclass(cls)
        assert cls.__dataclass_params__.frozen  # type: ignore[attr-defined]


@pytest.mark.parametrize("keyword", sorted(BLOCKS))
def test_the_parser_builds_the_keywords_own_class(keyword: str) -> None:
    checker = _checker(keyword, BLOCKS[keyword])
    assert type(checker) is model_check.CHECKER_TYPES[keyword]
    assert checker.type == keyword


def test_type_specific_keywords_land_on_their_class() -> None:
    dns = _checker("DNS_CHECK", "type MX\n name example.com")
    assert isinstance(dns, model_check.DnsCheck)
    assert (dns.dns_type, dns.dns_name) == ("MX", "example.com")
    ssl = _checker("SSL_GET", "url {\n path /x\n }\n enable_sni true")
    assert isinstance(ssl, model_check.HttpGet)  # SSL_GET is an HTTP_GET over TLS
    assert ssl.enable_sni and ssl.url[0].path == "/x"
    assert not hasattr(_checker("TCP_CHECK", ""), "url")


@pytest.mark.parametrize(
    ("keyword", "retry", "delay_before_retry"),
    [
        ("TCP_CHECK", 1, SECOND),
        ("HTTP_GET", 1, 3 * SECOND),
        ("SSL_GET", 1, 3 * SECOND),
        ("DNS_CHECK", 3, 7 * SECOND),  # the delay_loop
        ("MISC_CHECK", 0, SECOND),
    ],
)
def test_each_type_carries_keepalived_s_retry_defaults(
    keyword: str, retry: int, delay_before_retry: int
) -> None:
    checker = _checker(keyword, BLOCKS[keyword] + "\n      delay_loop 7")
    assert (checker.effective_retry, checker.effective_delay_before_retry) == (retry, delay_before_retry)
