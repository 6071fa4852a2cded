"""The wheel: built offline from a copy of the tree, installed into a fresh venv, run from there.

The copy is made a git repository with one commit so that the test knows the commit the build
must write into the package (setup.py -> alived/_build.py) and `alived --version` must print.
The fresh venv sees python3-nftables through --system-site-packages and the pinned dependencies
through a .pth naming this venv's site-packages; pip runs with --no-index, so nothing is fetched.
packaging/install.sh is run with DESTDIR to check the Debian-style layout it makes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.helpers.shared import REPO

TREE = ("src", "packaging", "docs", "README.md", "pyproject.toml", "setup.py")
LAYOUT_LINKS = {
    "usr/sbin/alived": "opt/alived/bin/alived",
    "usr/sbin/alivectl": "opt/alived/bin/alivectl",
    "usr/lib/alived/keepalived": "opt/alived/bin/keepalived",
}
# keepalived 2.2.7's `-t` exits 0 on this file and 5 with `lb_algo bogus` (checked by hand).
SAMPLE = """\
global_defs {
    router_id wheel_test
}
virtual_server 192.0.2.10 80 {
    delay_loop 5
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 198.51.100.11 80 {
        weight 1
        TCP_CHECK {
            connect_timeout 3
        }
    }
}
"""


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def copy_tree(dest: Path) -> str:
    """The working tree's build inputs in DEST, committed there; returns the short commit."""
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "_build.py")
    for name in TREE:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore)
        else:
            shutil.copy2(src, dest / name)
    git = ("git", "-C", dest, "-c", "user.name=t", "-c", "user.email=t@example.invalid")
    for args in (("init", "-q"), ("add", "-A"), ("commit", "-q", "-m", "wheel test")):
        assert run(*git, *args).returncode == 0
    return run(*git, "rev-parse", "--short=12", "HEAD").stdout.strip()


def wheel_deps_through(python: Path) -> None:
    """Let the venv of PYTHON import the pinned dependencies from this test run's venv (offline)."""
    purelib = "import sysconfig; print(sysconfig.get_path('purelib'))"
    site = Path(run(python, "-c", purelib).stdout.strip())
    (site / "alived-test-deps.pth").write_text(sysconfig.get_path("purelib") + "\n")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """(the wheel, the commit it was built from)."""
    base = tmp_path_factory.mktemp("wheel")
    tree, dist = base / "tree", base / "dist"
    tree.mkdir()
    commit = copy_tree(tree)
    out = run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
        "-w", dist, tree,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    (wheel,) = dist.glob("alived-*.whl")
    return wheel, commit


@pytest.fixture(scope="module")
def installed(built: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """(a fresh venv with the wheel installed, the commit the wheel was built from)."""
    wheel, commit = built
    venv = tmp_path_factory.mktemp("venv") / "venv"
    assert run(sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", venv).returncode == 0
    wheel_deps_through(venv / "bin/python")
    pip_install = (sys.executable, "-m", "pip", "--python", venv / "bin/python", "install")
    pip = run(*pip_install, "--no-index", "--no-deps", wheel)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    return venv, commit


def test_version_names_the_build_commit_on_stderr(installed: tuple[Path, str]) -> None:
    venv, commit = installed
    for program in ("alived", "keepalived"):
        out = run(venv / "bin" / program, "--version")
        assert out.returncode == 0 and out.stdout == ""
        first = out.stderr.splitlines()[0]
        assert first == f"Keepalived v2.2.7 (01/16,2022) compatible: alived v0.1.0, git commit {commit}"
        assert f"package in {venv}" in out.stderr  # the wheel's copy, not the source tree
        assert "Built on unknown" not in out.stderr


def test_config_test_and_alivectl_run_from_the_wheel(installed: tuple[Path, str], tmp_path: Path) -> None:
    venv, _ = installed
    conf = tmp_path / "keepalived.conf"
    conf.write_text(SAMPLE)
    assert run(venv / "bin/alived", "-t", "-f", conf).returncode == 0
    checked = run(venv / "bin/alivectl", "check-config", conf)
    assert checked.returncode == 0 and "192.0.2.10" in checked.stdout + checked.stderr
    conf.write_text(SAMPLE.replace("lb_algo rr", "lb_algo bogus"))
    bad = run(venv / "bin/alived", "-t", "-f", conf)
    assert bad.returncode == 5 and "Line 6) Invalid lvs_scheduler 'bogus'" in bad.stderr


def test_unit_default_file_and_docs_are_installed_as_data(installed: tuple[Path, str]) -> None:
    venv, _ = installed
    share = venv / "share"
    unit = share / "alived/systemd/alived.service"
    assert unit.read_text() == (REPO / "packaging/systemd/alived.service").read_text()
    default = share / "alived/default/keepalived"
    assert default.read_text() == (REPO / "packaging/default/keepalived").read_text()
    for doc in ("README.md", "packaging.md", "architecture.md"):
        assert (share / "doc/alived" / doc).is_file()


def test_install_script_lays_out_the_debian_style_tree(built: tuple[Path, str], tmp_path: Path) -> None:
    wheel, commit = built
    root = tmp_path / "root"
    kept = root / "etc/default/keepalived"
    kept.parent.mkdir(parents=True)
    kept.write_text('DAEMON_ARGS="-D"\n')  # the operator's keepalived options stay as they are
    env = {**os.environ, "DESTDIR": str(root)}
    script = [str(REPO / "packaging/install.sh"), str(wheel), "--no-index", "--no-deps"]
    out = subprocess.run(script, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    wheel_deps_through(root / "opt/alived/bin/python")
    for link, target in LAYOUT_LINKS.items():
        assert (root / link).resolve() == (root / target).resolve(), link
    assert kept.read_text() == 'DAEMON_ARGS="-D"\n'
    unit = root / "lib/systemd/system/alived.service"
    assert unit.read_text() == (REPO / "packaging/systemd/alived.service").read_text()
    assert (root / "usr/share/doc/alived/packaging.md").is_file()
    version = run(root / "usr/sbin/alived", "--version")
    assert version.returncode == 0 and f"git commit {commit}" in version.stderr.splitlines()[0]
    conf = tmp_path / "keepalived.conf"
    conf.write_text(SAMPLE)
    assert run(root / "usr/lib/alived/keepalived", "-t", "-f", conf).returncode == 0
