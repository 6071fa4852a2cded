"""The dependency rule of DESIGN.md, enforced: each layer imports only the layers beneath it.

units, errors <- core <- linux <- notify, checkers, lb <- daemon <- cli/ctl; config sees only
units and errors (config and linux also share the script-security leaf, config and core the
defaults leaf, config and the daemon the gc-pause leaf). pyroute2 is imported by
the netlink shims only, nftables by its backend only.
Imports inside functions count too: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"

BASE = {"alived.units", "alived.errors"}
# keepalived's script-security verdict: a stdlib-only leaf shared by the config checks (-t) and the
# script runner, so that both refuse exactly the same scripts. core does not need it.
SCRIPT_SECURITY = "alived.script_security"
# keepalived's defaults that the config model and the core both carry: a leaf over units, so
# each is written once.
DEFAULTS = "alived.defaults"
# Pausing the cyclic GC around bulk work (a config load, a child's imports, a reload): a
# stdlib-only leaf, so the loader and the daemon share one helper.
GC_PAUSE = "alived.gc_pause"
ALLOWED: dict[str, set[str]] = {
    "alived.units": set(),
    "alived.errors": set(),
    SCRIPT_SECURITY: set(),
    DEFAULTS: {"alived.units"},
    GC_PAUSE: set(),
    "alived.core": BASE | {"alived.core", DEFAULTS},
    "alived.config": BASE | {"alived.config", SCRIPT_SECURITY, DEFAULTS, GC_PAUSE},
    "alived.linux": BASE | {"alived.core", "alived.linux", SCRIPT_SECURITY},
    "alived.notify": BASE | {"alived.core", "alived.linux", "alived.notify"},
    "alived.checkers": BASE | {"alived.core", "alived.linux", "alived.checkers"},
    "alived.lb": BASE | {"alived.core", "alived.linux", "alived.lb"},
}
# The entry points and the daemon compose everything; only these may import the third-party
# kernel libraries.
THIRD_PARTY_HOMES = {
    "pyroute2": {"alived.linux.netlink", "alived.linux.ipvs_netlink"},
    "nftables": {"alived.lb.nftables"},
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports_of(path: Path) -> set[str]:
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    return _imports(path.read_text(encoding="utf-8"), package)


def _imports(source: str, package: str) -> set[str]:
    tree = ast.parse(source)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                found.add(".".join([*base, node.module] if node.module else base))
            elif node.module:
                found.add(node.module)
    return found


def _layer(name: str) -> str:
    return ".".join(name.split(".")[:2])


def _modules() -> list[Path]:
    return sorted((SRC / "alived").rglob("*.py"))


def test_the_source_tree_is_found() -> None:
    assert len(_modules()) > 50


@pytest.mark.parametrize("path", _modules(), ids=_module_name)
def test_layer_imports_only_what_beneath_it(path: Path) -> None:
    module = _module_name(path)
    allowed = ALLOWED.get(_layer(module))
    if allowed is None:  # daemon, cli, ctl, demo: the composition roots
        return
    wrong = sorted(
        name for name in _imports_of(path) if name.startswith("alived") and _layer(name) not in allowed
    )
    assert not wrong, f"{module} imports {wrong}, outside its layer's rule"


@pytest.mark.parametrize("path", _modules(), ids=_module_name)
def test_third_party_kernel_libraries_stay_in_their_shim(path: Path) -> None:
    module = _module_name(path)
    for library, homes in THIRD_PARTY_HOMES.items():
        uses = {n for n in _imports_of(path) if n == library or n.startswith(library + ".")}
        assert not uses or module in homes, f"{module} imports {library}; only {sorted(homes)} may"


def test_the_rule_sees_absolute_relative_and_lazy_imports() -> None:
    source = "import alived.daemon.supervisor\nfrom ..linux import netlink\ndef f():\n    import pyroute2\n"
    found = _imports(source, "alived.core.vrrp")
    assert {"alived.daemon.supervisor", "alived.core.linux", "pyroute2"} <= found
    assert _layer("alived.daemon.supervisor") not in ALLOWED["alived.core"]


def test_the_parent_and_alivectl_do_not_load_pyroute2() -> None:
    """pyroute2 is the VRRP child's (and the LB's): the supervisor, the status client and the
    metrics exporter import the dump formats, which must not drag the netlink shim in."""
    code = (
        "import sys\n"
        "import alived.ctl, alived.daemon.supervisor, alived.daemon.status, alived.daemon.metrics_server\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pyroute2'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
