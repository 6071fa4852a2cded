"""Guards for tests that stand on their own: no machine paths, and a fast tier without root or namespaces."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.helpers.shared import REPO, SHARED

TESTS = REPO / "tests"
FAST_TIERS = ("unit", "property", "sim")
# Helpers that create namespaces or start daemons in them: the netns tier's alone.
NETNS_HELPERS = frozenset(f"tests.helpers.{name}" for name in ("netns", "cluster", "peers", "inns"))
NETNS_COMMANDS = frozenset({"unshare", "netns", "nsenter"})
# Home and work folders of a particular machine (pieces joined so that this file does not match).
MACHINE_PATH = re.compile("/" + "(?:work|home|root|Users)" + r"/[\w.-]")


def python_files(*tiers: str) -> list[Path]:
    """The tiers' modules, this guard excepted (it has to name what it looks for)."""
    here = Path(__file__).resolve()
    return sorted(p for tier in tiers for p in (TESTS / tier).rglob("*.py") if p.resolve() != here)


def imported_modules(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_no_test_names_a_machine_path() -> None:
    offenders = [
        f"{path.relative_to(REPO)}:{number}"
        for path in sorted(TESTS.rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if MACHINE_PATH.search(line)
    ]
    assert offenders == []


def test_fast_tier_never_imports_the_netns_helpers() -> None:
    offenders = []
    for path in python_files(*FAST_TIERS):
        imported = imported_modules(ast.parse(path.read_text()))
        offenders += [f"{path.relative_to(REPO)}: {name}" for name in sorted(imported & NETNS_HELPERS)]
    assert offenders == []


def test_fast_tier_runs_no_namespace_commands() -> None:
    offenders = []
    for path in python_files(*FAST_TIERS):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and node.value in NETNS_COMMANDS:
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno}: {node.value!r}")
    assert offenders == []


def test_shared_folder_is_found_beside_the_repository() -> None:
    # CI lays ../shared beside its clone; without it the corpus tests fail at collection, saying so.
    assert REPO.parent / "shared" == SHARED
    assert (SHARED / "corpus" / "keepalived-samples").is_dir(), (
        "../shared/corpus not found beside the repository"
    )
