"""The VRRP child's tracker watch: the vrrp_scripts, track_files and track_processes instances track.

One watcher per tracker kind, all behind one protocol (`TrackerWatcher`): `ScriptWatcher` runs
scripts (daemon/vrrp/trackers.py), `FileWatcher` watches files (daemon/vrrp/file_tracker.py),
`ProcessWatcher` follows processes (daemon/vrrp/process_tracker.py); interfaces come from the
link watch, BFD is next. Each change goes out as one core `TrackerChanged` naming its kind, which
the child hands to every instance tracking it. On (re)load, a watcher keeps running what is
unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Set
from typing import ClassVar, Protocol

from alived.config import model
from alived.core.vrrp.inputs import TrackerChanged
from alived.core.vrrp.tracker import TrackerKind
from alived.daemon.vrrp.file_tracker import FileTrackers
from alived.daemon.vrrp.process_tracker import ProcessTrackers
from alived.daemon.vrrp.trackers import ScriptTracker
from alived.daemon.vrrp.translate import InstancePlan
from alived.linux.scripts import ScriptRunner

Changed = Callable[[TrackerChanged], None]


class TrackerWatcher(Protocol):
    """What the child runs for one kind of tracked object."""

    kind: ClassVar[TrackerKind]

    def update(self, config: model.Config, names: Set[str]) -> None:
        """Watch the objects of this kind named `names` under `config`; report their state now."""
        ...

    def stop(self) -> None: ...


class ScriptWatcher:
    """vrrp_script: one periodic ScriptTracker per tracked script."""

    kind: ClassVar[TrackerKind] = TrackerKind.SCRIPT

    def __init__(self, runner: ScriptRunner, changed: Changed) -> None:
        self._runner = runner
        self._changed = changed
        self.scripts: dict[str, ScriptTracker] = {}
        self._carried: dict[str, ScriptTracker] = {}  # taken over by a reload, not started yet

    def carry(self, config: model.Config) -> None:
        """A reload: keepalived carries every script the new file still defines over, its result
        logged as `considered ... on reload`; a changed one then runs with its new settings."""
        for name, tracker in sorted(self.scripts.items()):
            new = config.script(name)
            if new is not None:
                replacement = ScriptTracker(new, config.global_defs, self._runner, self.on_script)
                replacement.carry(tracker)
                self._carried[name] = replacement
            tracker.stop()
            del self.scripts[name]

    def update(self, config: model.Config, names: Set[str]) -> None:
        if self.scripts:
            self.carry(config)
        carried, self._carried = self._carried, {}
        for name in sorted(names):
            script = config.script(name)
            if script is None:
                continue
            tracker = carried.get(name) or ScriptTracker(
                script, config.global_defs, self._runner, self.on_script
            )
            self.scripts[name] = tracker
            tracker.start()
            if tracker.decided:
                self.on_script(name, tracker.filter.up)

    def on_script(self, script: str, ok: bool) -> None:
        self._changed(TrackerChanged(kind=self.kind, name=script, ok=ok))

    def stop(self) -> None:
        for tracker in self.scripts.values():
            tracker.stop()


class FileWatcher:
    """track_file: the files' values through one inotify watch; every tracking instance learns them."""

    kind: ClassVar[TrackerKind] = TrackerKind.FILE

    def __init__(self, changed: Changed) -> None:
        self._changed = changed
        self.files = FileTrackers(self.on_file)

    def update(self, config: model.Config, names: Set[str]) -> None:
        self.files.update(f for f in config.track_files if f.name in names)
        for name, value in self.files.values.items():
            self.on_file(name, value)

    def on_file(self, track_file: str, value: int) -> None:
        self._changed(TrackerChanged(kind=self.kind, name=track_file, ok=value == 0, value=value))

    def stop(self) -> None:
        self.files.stop()


class ProcessWatcher:
    """vrrp_track_process (issue 12): kernel process events; instances learn each quorum."""

    kind: ClassVar[TrackerKind] = TrackerKind.PROCESS

    def __init__(self, changed: Changed) -> None:
        self._changed = changed
        self.processes = ProcessTrackers(self.on_process)

    def update(self, config: model.Config, names: Set[str]) -> None:
        self.processes.update(p for p in config.track_processes if p.name in names)
        for name, up in self.processes.quorums.items():
            self.on_process(name, up)

    def on_process(self, process: str, up: bool) -> None:
        self._changed(TrackerChanged(kind=self.kind, name=process, ok=up))

    def stop(self) -> None:
        self.processes.stop()


class TrackerWatch:
    """Runs one watcher per tracker kind for what the plans track; reports changes as core inputs."""

    def __init__(self, runner: ScriptRunner, changed: Changed) -> None:
        self.scripts = ScriptWatcher(runner, changed)
        self.files = FileWatcher(changed)
        self.processes = ProcessWatcher(changed)
        self.watchers: tuple[TrackerWatcher, ...] = (self.scripts, self.files, self.processes)

    def carry(self, config: model.Config) -> None:
        """A reload's first step: the scripts' results carried over (logged), before any start."""
        for watcher in self.watchers:
            if isinstance(watcher, ScriptWatcher):
                watcher.carry(config)

    def update(self, config: model.Config, plans: Mapping[str, InstancePlan]) -> None:
        """Run what `plans` track under `config`; keep running what is unchanged."""
        for watcher in self.watchers:
            names = {
                t.name for plan in plans.values() for t in plan.params.trackers if t.kind is watcher.kind
            }
            watcher.update(config, names)

    def stop(self) -> None:
        for watcher in self.watchers:
            watcher.stop()
