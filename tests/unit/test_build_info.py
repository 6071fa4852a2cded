"""`alived --version`: keepalived 2.2.7's shape (stderr, exit 0) with alived's build information."""

from __future__ import annotations

import logging
import sys
import types
from pathlib import Path

import pytest

from alived import KEEPALIVED_COMPAT, __version__, build_info, cli


def test_version_goes_to_stderr_exit_0_shaped_as_keepalived(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--version"]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.split("\n")
    # keepalived: headline, blank, copyright, blank, build/running/distro, blank, ..., options last.
    # scripts read the keepalived version as the second word, or after "Keepalived v"
    assert lines[0].split()[1] == f"v{KEEPALIVED_COMPAT}"
    assert lines[0].startswith(
        f"Keepalived v{KEEPALIVED_COMPAT} (01/16,2022) compatible: alived v{__version__}, git commit "
    )
    assert lines[1] == "" and lines[2].startswith("Copyright(C)") and lines[3] == ""
    assert lines[4].startswith("Built on ") and lines[5].startswith("Running on Linux ")
    assert lines[6].startswith("Distro: ")
    assert lines[-2].startswith("Config options:  VRRP") and lines[-1] == ""


def test_source_tree_without_generated_module_says_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "alived._build", None)  # import raises ImportError
    assert build_info.git_commit() == "unknown" and build_info.build_date() == "unknown"
    assert build_info.headline().endswith("git commit unknown")


def test_generated_module_gives_commit_and_date(monkeypatch: pytest.MonkeyPatch) -> None:
    generated = types.ModuleType("alived._build")
    generated.GIT_COMMIT = "0123456789ab-dirty"  # type: ignore[attr-defined]
    generated.BUILD_DATE = "2026-12-02 09:00:00 UTC"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "alived._build", generated)
    text = build_info.version_text()
    assert text.startswith(
        f"Keepalived v{KEEPALIVED_COMPAT} (01/16,2022) compatible: alived v{__version__}, "
        "git commit 0123456789ab-dirty\n"
    )
    assert "Built on 2026-12-02 09:00:00 UTC\n" in text


def test_distro_is_pretty_name_of_os_release(tmp_path: Path) -> None:
    os_release = tmp_path / "os-release"
    os_release.write_text('NAME="Debian GNU/Linux"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n')
    assert build_info.distro(os_release) == "Debian GNU/Linux 12 (bookworm)"
    assert build_info.distro(tmp_path / "missing") == "unknown"


@pytest.mark.parametrize(("commit", "expected"), [("0123456789ab", ", git commit 0123456789ab"), (None, "")])
def test_startup_line_names_the_commit_only_when_the_build_knew_it(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, commit: str | None, expected: str
) -> None:
    from alived.daemon import supervisor
    from alived.daemon.options import Options

    generated = None
    if commit is not None:
        generated = types.ModuleType("alived._build")
        generated.GIT_COMMIT = commit  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "alived._build", generated)
    monkeypatch.setattr(logging.getLogger("alived"), "propagate", True)  # a daemon test may have cut it
    with caplog.at_level("INFO", logger="alived"):
        supervisor._log_startup(Options(), "alived", [])
    assert caplog.messages[0] == f"Starting {supervisor.banner()}{expected}"
