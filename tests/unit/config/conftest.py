"""Shared helpers for config tests: load text through the stand-in lexer with fake probes."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from alived.config.load import LoadResult, load_lines
from alived.config.resolve import ScriptFile, probe_files, probe_users
from tests.unit.config.textlines import lines_from_text

ETH = frozenset({"lo", "eth0", "eth1", "eth2", "eth3"})


@pytest.fixture
def load() -> Callable[..., LoadResult]:
    """load(text, interfaces=ETH, scripts={path: ScriptFile}, users={...}) -> LoadResult."""

    def run(
        text: str,
        *,
        interfaces: frozenset[str] | None = ETH,
        scripts: dict[str, ScriptFile] | None = None,
        users: frozenset[str] = frozenset(),
    ) -> LoadResult:
        table = scripts or {}
        return load_lines(
            lines_from_text(text, "t.conf"),
            interfaces=interfaces,
            script_probe=probe_files(table),
            user_exists=probe_users(users),
        )

    return run
