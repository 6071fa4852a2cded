"""Notify scripts and FIFO lines as keepalived builds them (facts §3.5, §3.6)."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

from alived.linux.scripts import ScriptCommand, ScriptRunner
from alived.notify.fifo import NotifyFifo, fifo_line
from alived.notify.scripts import NotifyScripts, commands_for, generic_notify_args

MASTER = ScriptCommand(argv=("/etc/k/master.sh",))
GENERIC = ScriptCommand(argv=("/etc/k/notify.sh", "--tag", "x"))


def test_specific_scripts_get_no_arguments_and_run_first() -> None:
    scripts = NotifyScripts(specific={"MASTER": MASTER}, generic=GENERIC)
    cmds = commands_for(scripts, kind="INSTANCE", name="VI_1", state="MASTER", priority=150)
    assert [c.argv for c in cmds] == [
        ("/etc/k/master.sh",),
        ("/etc/k/notify.sh", "--tag", "x", "INSTANCE", "VI_1", "MASTER", "150"),
    ]


def test_generic_only_and_groups_report_priority_zero() -> None:
    scripts = NotifyScripts(generic=GENERIC)
    (cmd,) = commands_for(scripts, kind="GROUP", name="G1", state="BACKUP", priority=100)
    assert cmd.argv[-4:] == ("GROUP", "G1", "BACKUP", "0")
    assert generic_notify_args("INSTANCE", "VI_1", "STOP", 90) == ("INSTANCE", "VI_1", "STOP", "90")


def test_deleted_is_reported_as_fault_without_notify_deleted() -> None:
    plain = NotifyScripts(generic=GENERIC)
    assert commands_for(plain, kind="INSTANCE", name="V", state="DELETED", priority=1)[0].argv[-2] == "FAULT"
    deleted = NotifyScripts(generic=GENERIC, notify_deleted=True)
    assert (
        commands_for(deleted, kind="INSTANCE", name="V", state="DELETED", priority=1)[0].argv[-2] == "DELETED"
    )


def test_events_that_only_reach_the_fifo() -> None:
    scripts = NotifyScripts(specific={"MASTER_RX_LOWER_PRI": MASTER}, generic=GENERIC)
    assert commands_for(scripts, kind="INSTANCE", name="V", state="MASTER_PRIORITY", priority=90) == []
    rx = commands_for(scripts, kind="INSTANCE", name="V", state="MASTER_RX_LOWER_PRI", priority=90)
    assert [c.argv for c in rx] == [MASTER.argv]


def test_no_scripts_no_commands() -> None:
    assert commands_for(NotifyScripts(), kind="INSTANCE", name="V", state="MASTER", priority=1) == []
    assert NotifyScripts().empty


def test_fifo_line_format() -> None:
    assert fifo_line("INSTANCE", "VI_1", "MASTER", 150) == 'INSTANCE "VI_1" MASTER 150\n'
    assert fifo_line("GROUP", "G", "BACKUP", 150) == 'GROUP "G" BACKUP 0\n'
    assert fifo_line("INSTANCE", "VI_1", "MASTER_PRIORITY", 90) == 'INSTANCE "VI_1" MASTER_PRIORITY 90\n'


def test_fifo_is_created_and_written_without_a_reader(tmp_path: Path) -> None:
    path = tmp_path / "notify.fifo"
    fifo = NotifyFifo(str(path))
    assert fifo.open()
    assert stat.S_ISFIFO(path.lstat().st_mode)
    assert path.lstat().st_mode & 0o777 == 0o644
    fifo.write(fifo_line("INSTANCE", "VI_1", "BACKUP", 100))
    fifo.write(fifo_line("INSTANCE", "VI_1", "MASTER", 100))
    reader = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        assert os.read(reader, 4096) == b'INSTANCE "VI_1" BACKUP 100\nINSTANCE "VI_1" MASTER 100\n'
    finally:
        os.close(reader)
        fifo.close()
    assert not fifo.is_open


def test_fifo_refuses_a_regular_file(tmp_path: Path) -> None:
    path = tmp_path / "plain"
    path.write_text("")
    assert not NotifyFifo(str(path)).open()


def test_fifo_script_gets_the_path_appended(tmp_path: Path) -> None:
    out = tmp_path / "args"
    script = tmp_path / "reader.sh"
    script.write_text(f'#!/bin/sh\necho "$@" > {out}\n')
    script.chmod(0o755)
    path = tmp_path / "n.fifo"

    async def go() -> None:
        runner = ScriptRunner()
        fifo = NotifyFifo(str(path), script=ScriptCommand(argv=(str(script), "a")))
        assert fifo.open(runner)
        await runner.drain(5)
        fifo.close()

    asyncio.run(go())
    assert out.read_text() == f"a {path}\n"
