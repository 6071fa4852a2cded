"""The VRRP child's tracker watch: the vrrp_scripts, track_files and track_processes instances track.

One watcher per kind: daemon/vrrp/trackers.py runs scripts, daemon/vrrp/file_tracker.py watches
files, daemon/vrrp/process_tracker.py follows processes (interfaces come from the link watch). Each
change goes out as one core `TrackerChanged`, which the child hands to every instance tracking
it. On (re)load, a watcher whose definition is unchanged keeps running.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from alived.config import model
from alived.core.vrrp.inputs import TrackerChanged
from alived.daemon.vrrp.file_tracker import FileTrackers
from alived.daemon.vrrp.process_tracker import ProcessTrackers
from alived.daemon.vrrp.trackers import ScriptTracker
from alived.daemon.vrrp.translate import InstancePlan
from alived.linux.scripts import ScriptRunner

SCRIPT, FILE, PROCESS = (
    "script:",
    "file:",
    "process:",
)  # the core's tracker names: kind prefix, then the config name


class TrackerWatch:
    """Runs the script trackers and file watches the plans name; reports changes as core inputs."""

    def __init__(self, runner: ScriptRunner, changed: Callable[[TrackerChanged], None]) -> None:
        self._runner = runner
        self._changed = changed
        self.scripts: dict[str, ScriptTracker] = {}
        self.files = FileTrackers(self.on_file)
        self.processes = ProcessTrackers(self.on_process)  # track_process (issue 12)

    def update(self, config: model.Config, plans: Mapping[str, InstancePlan]) -> None:
        """Run what `plans` track under `config`; keep running ones whose definition is unchanged."""
        wanted = {
            t.name.removeprefix(SCRIPT)
            for plan in plans.values()
            for t in plan.params.trackers
            if t.name.startswith(SCRIPT)
        }
        for name, tracker in list(self.scripts.items()):
            new = config.script(name)
            if name not in wanted or new is None or new != tracker.script:
                tracker.stop()
                del self.scripts[name]
        for name in sorted(wanted - set(self.scripts)):
            script = config.script(name)
            if script is None:
                continue
            tracker = ScriptTracker(script, config.global_defs, self._runner, self.on_script)
            self.scripts[name] = tracker
            tracker.start()
        # track_files: an unchanged one keeps its watch; every tracking instance learns the value now.
        files = {t.name for plan in plans.values() for t in plan.params.trackers if t.file}
        self.files.update(f for f in config.track_files if f"{FILE}{f.name}" in files)
        for name, value in self.files.values.items():
            self.on_file(name, value)
        # track_process (issue 12): tracked blocks follow kernel process events; instances learn the quorum.
        tracked = [t.name for pl in plans.values() for t in pl.params.trackers]
        procs = {n.removeprefix(PROCESS) for n in tracked if n.startswith(PROCESS)}
        self.processes.update(p for p in config.track_processes if p.name in procs)
        for name, up in self.processes.quorums.items():
            self.on_process(name, up)

    def on_script(self, script: str, ok: bool) -> None:
        self._changed(TrackerChanged(name=f"{SCRIPT}{script}", ok=ok))

    def on_file(self, track_file: str, value: int) -> None:
        self._changed(TrackerChanged(name=f"{FILE}{track_file}", ok=value == 0, value=value))

    def on_process(self, process: str, up: bool) -> None:
        self._changed(TrackerChanged(name=f"{PROCESS}{process}", ok=up))

    def stop(self) -> None:
        for tracker in self.scripts.values():
            tracker.stop()
        self.files.stop()
        self.processes.stop()
