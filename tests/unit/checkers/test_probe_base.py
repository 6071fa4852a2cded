"""ProbeBase: the keyword in the class line registers the probe; identity and the net are shared."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from ipaddress import IPv4Address

from alived.checkers import load_all
from alived.checkers.base import REGISTRY, ProbeBase, Target
from alived.config.model_check import CHECKER_TYPES
from alived.core.check.result import ProbeResult


@dataclass(frozen=True)
class _Params:
    n: int


class _Broken(ProbeBase[_Params]):  # no keyword: not registered
    async def _attempt(self) -> ProbeResult:
        raise RuntimeError("bug")


TARGET = Target(address=IPv4Address("192.0.2.21"), port=80)


def test_every_checker_keyword_but_bfd_has_a_registered_probe_of_that_keyword() -> None:
    load_all()
    assert set(REGISTRY) == set(CHECKER_TYPES) - {"BFD_CHECK"}
    for keyword, factory in REGISTRY.items():
        assert isinstance(factory, type) and issubclass(factory, ProbeBase)
        assert factory.keyword == keyword


def test_a_base_without_keyword_is_not_registered() -> None:
    load_all()
    assert _Broken not in REGISTRY.values()


def test_identity_is_keyword_and_params() -> None:
    assert _Broken(_Params(1), TARGET).identity == _Broken(_Params(1), TARGET).identity
    assert _Broken(_Params(1), TARGET).identity != _Broken(_Params(2), TARGET).identity


def test_an_unexpected_exception_is_a_down_not_a_crash() -> None:
    result = asyncio.run(_Broken(_Params(1), TARGET).attempt())
    assert not result.success
    assert result.reason == "internal error: RuntimeError"
