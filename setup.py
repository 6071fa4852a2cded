"""Build hook: writes alived/_build.py (git commit, build time) into the built package.

Only the build tree gets the file, never src/, so a checkout stays clean and an editable
install reports "unknown" (alived.build_info). Packagers building from a tarball without
.git set ALIVED_GIT_COMMIT; SOURCE_DATE_EPOCH fixes the build time for reproducible builds.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


def git_commit() -> str:
    if os.environ.get("ALIVED_GIT_COMMIT"):
        return os.environ["ALIVED_GIT_COMMIT"]
    try:
        out = subprocess.run(
            ["git", "-C", str(HERE), "describe", "--always", "--dirty", "--abbrev=12"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def build_date() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    stamp = time.gmtime(int(epoch)) if epoch and epoch.isdigit() else time.gmtime()
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", stamp)


class BuildPyWithBuildInfo(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install runs from src/: no generated module there
        target = Path(self.build_lib) / "alived" / "_build.py"
        target.write_text(
            '"""Generated at build time by setup.py; see alived.build_info."""\n\n'
            f"GIT_COMMIT = {git_commit()!r}\nBUILD_DATE = {build_date()!r}\n",
            encoding="utf-8",
        )


setup(cmdclass={"build_py": BuildPyWithBuildInfo})
