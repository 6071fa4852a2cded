"""MISC_CHECK's `user`: the script runs with that user's uid (needs root, hence this tier)."""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from alived.checkers.base import Target
from alived.checkers.misc import MiscParams, MiscProbe
from alived.config.load import load_text
from alived.daemon.check.probe_params import build_probe

pytestmark = pytest.mark.netns


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A directory any user can enter and write (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="alived-misc-"))
    path.chmod(0o777)
    try:
        yield path
    finally:
        shutil.rmtree(path)


def test_misc_check_runs_as_the_configured_user(open_dir: Path) -> None:
    assert os.geteuid() == 0, "needs root to switch users"
    nobody = pwd.getpwnam("nobody")
    tmp_path = open_dir
    out = tmp_path / "uid"
    script = tmp_path / "check.sh"
    script.write_text(f"#!/bin/sh\nid -u > {out}\nexit 5\n")
    script.chmod(0o755)
    config = load_text(
        f"""
virtual_server 192.0.2.10 80 {{
    lb_algo rr
    lb_kind NAT
    real_server 192.0.2.21 80 {{
        MISC_CHECK {{
            misc_path {script}
            misc_dynamic
            user nobody
        }}
    }}
}}
"""
    ).config
    rs = config.virtual_servers[0].real_servers[0]
    probe = build_probe(rs.checkers[0], Target(address=rs.address, port=80), config=config)
    assert isinstance(probe, MiscProbe)
    assert isinstance(probe.params, MiscParams)
    result = asyncio.run(probe.attempt())
    assert (result.success, result.dynamic_weight) == (True, 3), result
    assert int(out.read_text()) == nobody.pw_uid
