"""Start-up cost (issue #9): the config read once for the parent and its first children, and
each process importing only what it uses."""

from __future__ import annotations

import asyncio
import gc
import subprocess
import sys
from pathlib import Path

import pytest

from alived.cli import refuse_fatal_config
from alived.config.model import GlobalDefs, Script
from alived.daemon import loader, spawn
from alived.daemon.options import Options
from alived.daemon.spawn import spawn_child
from alived.daemon.supervisor import Supervisor

CONF = """\
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 7
    priority 100
    virtual_ipaddress {
        192.0.2.7/24
    }
}
"""


@pytest.fixture
def conf(tmp_path: Path) -> Path:
    path = tmp_path / "keepalived.conf"
    path.write_text(CONF)
    return path


@pytest.fixture(autouse=True)
def _links(monkeypatch: pytest.MonkeyPatch) -> None:
    # keepalived refuses a loopback interface for VRRP: the host's links are replaced by a fixed set.
    monkeypatch.setattr(loader, "local_interfaces", lambda: frozenset({"lo", "eth0"}))


@pytest.fixture(autouse=True)
def _no_preload() -> object:
    yield
    loader.preload(None)


def test_the_command_line_read_is_handed_on(conf: Path) -> None:
    code, result = refuse_fatal_config(Options(config_file=str(conf)))
    assert code is None
    assert result is not None
    assert [i.name for i in result.config.instances] == ["VI_1"]


def test_a_child_starts_on_the_parents_read_once_then_reads_the_file(conf: Path) -> None:
    options = Options(config_file=str(conf))
    _, result = refuse_fatal_config(options)
    loader.preload(result)
    conf.write_text(CONF.replace("VI_1", "VI_2"))  # what a respawn or a reload must see
    assert result is not None
    first = loader.load(options, start=True)
    assert first is result.config
    again = loader.load(options, start=True)
    assert again is not None
    assert [i.name for i in again.instances] == ["VI_2"]


def test_a_reload_never_takes_the_parents_start_read(conf: Path) -> None:
    options = Options(config_file=str(conf))
    _, result = refuse_fatal_config(options)
    loader.preload(result)
    conf.write_text(CONF.replace("VI_1", "VI_2"))
    reloaded = loader.load(options)
    assert reloaded is not None
    assert [i.name for i in reloaded.instances] == ["VI_2"]


def test_without_a_preload_a_child_reads_the_file(conf: Path) -> None:
    loader.preload(None)
    config = loader.load(Options(config_file=str(conf)), start=True)
    assert config is not None
    assert [i.name for i in config.instances] == ["VI_1"]


# Modules only a child or an optional feature uses; the parent must not pay for them.
NOT_IN_PARENT = (
    "pyroute2",
    "prometheus_client",
    "aiosmtplib",
    "alived.daemon.vrrp.child",
    "alived.daemon.vrrp.dumps",
    "alived.daemon.check.child",
    "alived.linux.netlink",
)


def test_the_parent_imports_nothing_only_a_child_or_an_option_needs() -> None:
    code = (
        "import sys\n"
        "import alived.cli, alived.daemon.loader, alived.daemon.supervisor, alived.daemon.control\n"
        "from alived.daemon.spawn import lazy_entry\n"
        "lazy_entry('vrrp'); lazy_entry('check')\n"
        f"print([m for m in {NOT_IN_PARENT!r} if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_command_line_takes_dataclass_methods_from_the_cache() -> None:
    code = (
        "import dataclasses\n"
        "from alived import cli\n"
        "from alived.daemon import method_cache\n"
        "cli.main(['--version'])\n"
        "print(dataclasses.__dict__.get('exec') is method_cache._exec)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_a_child_starts_on_the_parents_frozen_heap(tmp_path: Path) -> None:
    out = tmp_path / "frozen"

    def entry(options: Options) -> int:
        out.write_text(str(gc.get_freeze_count()))
        return 0

    async def main() -> int:
        child = spawn_child(entry, Options(), env={})
        return await asyncio.wait_for(child.wait(), 20)

    try:
        assert asyncio.run(main()) == 0
    finally:
        gc.unfreeze()
    assert int(out.read_text()) > 0  # the collector never writes to the pages it shares


def test_the_parents_endpoints_are_imported_after_its_children_are_forked() -> None:
    code = (
        "import sys\n"
        "import alived.cli, alived.daemon.loader, alived.daemon.supervisor\n"
        "print([m for m in ('alived.daemon.control', 'alived.core.check.params') if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_child_imports_its_modules_without_collector_passes_then_collects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "probe_child_entry.py").write_text(
        "import gc\nAT_IMPORT = gc.isenabled()\n\ndef run(options):\n    return (AT_IMPORT, gc.isenabled())\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(spawn.CHILD_ENTRIES, "probe", "probe_child_entry:run")
    try:
        assert spawn.lazy_entry("probe")(Options()) == (False, True)  # type: ignore[comparison-overlap]
    finally:
        sys.modules.pop("probe_child_entry", None)


def _start_order(tmp_path: Path, defaults: GlobalDefs) -> list[str]:
    """What the supervisor starts, in order, until its first child is started (then it stops)."""
    options = Options(pid_file=str(tmp_path / "a.pid"), vrrp_pid_file=str(tmp_path / "v.pid"))
    supervisor = Supervisor(options, defaults)
    order: list[str] = []

    async def start_child(slot: object, *, respawn: bool = False) -> None:
        order.append("child")
        supervisor.stopping = True  # nothing to wait for: run() returns

    async def start_control() -> None:
        order.append("control")

    def start_metrics() -> None:
        order.append("metrics")

    async def run_hook(what: str, script: object, timeout: object) -> None:
        if script is not None:
            order.append(what)

    supervisor.start_child = start_child  # type: ignore[method-assign]
    supervisor._start_control = start_control  # type: ignore[method-assign]
    supervisor._start_metrics = start_metrics  # type: ignore[method-assign]
    supervisor.run_hook = run_hook  # type: ignore[method-assign]
    asyncio.run(supervisor.run())
    return order


def test_the_parents_endpoints_start_after_its_children_are_forked(tmp_path: Path) -> None:
    assert _start_order(tmp_path, GlobalDefs()) == ["child", "metrics", "control"]


def test_with_a_startup_script_the_endpoints_answer_while_it_runs(tmp_path: Path) -> None:
    defaults = GlobalDefs(startup_script=Script(argv=("/bin/true",)))
    order = _start_order(tmp_path, defaults)
    assert order == ["metrics", "control", "startup_script", "child"]
