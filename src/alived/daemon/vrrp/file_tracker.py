"""track_file in the VRRP child: read each tracked file's integer, create it (init_file), watch it.

keepalived (trackers/track_file.c) reads at most 127 bytes and takes what C's strtol(…, 0)
makes of them, so " 12abc" is 12, "0x10" is 16, "010" is 8 and garbage or an empty, missing or
unreadable file is 0; a number outside the 32-bit range is logged and ignored (the value
stays). The directory of each file is watched with inotify (close-after-write, delete,
rename in or out), so a file written, replaced by rename, created or deleted is noticed at
once; a deleted or renamed-away file counts as 0. Each change of a file's value goes to a
callback, which feeds a file `TrackerChanged` (with the value) to the instances tracking
it; the weight arithmetic and the FAULT rules live in the core (core/vrrp/priority.py). The
value reader itself is linux/track_value.py, shared with FILE_CHECK.
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from alived.config import model
from alived.linux.inotify import (
    IN_CLOSE_WRITE,
    IN_DELETE,
    IN_ISDIR,
    IN_MOVE,
    IN_MOVED_FROM,
    Inotify,
    InotifyEvent,
)
from alived.linux.track_value import InvalidNumber, parse_value, read_value, strtol

log = logging.getLogger("alived.vrrp")

# The value reader moved to linux/track_value.py (FILE_CHECK shares it); kept importable here.
__all__ = [
    "FileTrackers",
    "InvalidNumber",
    "initial_value",
    "initialise_file",
    "parse_value",
    "read_value",
    "strtol",
]

WATCH_MASK = IN_CLOSE_WRITE | IN_DELETE | IN_MOVE


def _write_safely(path: str, text: str) -> None:
    """Write a new file by rename from a private temporary one (keepalived's fopen_safe "w")."""
    directory, base = os.path.split(path)
    fd, tmp = tempfile.mkstemp(prefix=base, dir=directory or ".")
    try:
        mask = os.umask(0)
        os.umask(mask)
        os.fchmod(fd, 0o666 & ~mask)
        os.write(fd, text.encode())
        os.close(fd)
        fd = -1
        Path(tmp).rename(path)
    except OSError:
        if fd >= 0:
            os.close(fd)
        Path(tmp).unlink(missing_ok=True)
        raise


def initialise_file(track_file: model.TrackFile, *, reload: bool) -> None:
    """init_file [VALUE] [overwrite]: create the file (or, with overwrite, rewrite it, except on reload)."""
    path = track_file.file
    if not track_file.init_file or path is None:
        return
    try:
        st = Path(path).stat()
    except OSError:
        pass
    else:
        if not track_file.init_file_overwrite:
            return
        if not stat.S_ISREG(st.st_mode):
            log.error("Cannot initialise track file %s - it is not a regular file", track_file.name)
            return
        if reload:
            return
    try:
        _write_safely(path, f"{track_file.init_file_value}\n")
    except OSError as err:
        log.error("Unable to initialise track file %s (%s)", track_file.name, err)


_initialised: set[str] = set()


def initial_value(track_file: model.TrackFile) -> int:
    """init_file (the first time in this process; later calls act as keepalived's reload), then the value.

    Called while the instances' parameters are built, so an instance starts with the file's value
    (and in FAULT when it asks for it) instead of learning it a moment after its start.
    """
    if track_file.file is None:
        return 0
    initialise_file(track_file, reload=track_file.name in _initialised)
    _initialised.add(track_file.name)
    try:
        return read_value(track_file.file)
    except InvalidNumber:
        return 0


def watchable(track_file: model.TrackFile) -> bool:
    """False when the file's directory does not exist: keepalived then drops the track_file."""
    return track_file.file is not None and _resolved(track_file.file) is not None


def _resolved(path: str) -> str | None:
    """The absolute path with its directory resolved, or None when the directory does not exist."""
    full = Path(os.path.realpath(path))
    return str(full) if full.parent.is_dir() else None


class FileTrackers:
    """The track_files some instance tracks, watched through one inotify instance.

    `update` sets the tracked files (at start and on reload: a file whose definition is
    unchanged keeps its watch and value); `on_change(name, value)` is called for every change
    of a file's value, and `values` holds the last value of each.
    """

    def __init__(
        self, on_change: Callable[[str, int], None], loop: asyncio.AbstractEventLoop | None = None
    ) -> None:
        self.on_change = on_change
        self.loop = loop
        self.files: dict[str, model.TrackFile] = {}
        self.values: dict[str, int] = {}
        self._paths: dict[str, tuple[str, str]] = {}  # name -> (directory, file name)
        self._wds: dict[str, int] = {}  # directory -> watch descriptor
        self._inotify: Inotify | None = None

    def update(self, files: Iterable[model.TrackFile]) -> None:
        wanted = {f.name: f for f in files if f.file is not None}
        for name in [n for n, f in self.files.items() if wanted.get(n) != f]:
            del self.files[name]
            self.values.pop(name, None)
            self._paths.pop(name, None)
        for name, track_file in wanted.items():
            if name in self.files:
                continue
            assert track_file.file is not None
            path = _resolved(track_file.file)
            if path is None:
                log.error("Track file directory for %s does not exist - removing", name)
                continue
            self.files[name] = track_file
            self._paths[name] = os.path.split(path)
            try:
                self.values[name] = read_value(path)
            except InvalidNumber as err:
                log.info("Invalid number %d read from %s - ignoring", err.number, path)
                self.values[name] = 0
        self._rewatch()

    def _rewatch(self) -> None:
        directories = {d for d, _ in self._paths.values()}
        if directories and self._inotify is None:
            try:
                self._inotify = Inotify(self._on_events, self.loop)
            except OSError as err:
                log.error("Unable to monitor track files (%s)", err)
                return
        if self._inotify is None:
            return
        for directory in set(self._wds) - directories:
            self._inotify.remove_watch(self._wds.pop(directory))
        for directory in sorted(directories - set(self._wds)):
            try:
                self._wds[directory] = self._inotify.add_watch(directory, WATCH_MASK)
            except OSError as err:
                log.error("Unable to watch track file directory %s (%s)", directory, err)
        if not self._wds:
            self.stop()

    def _on_events(self, events: list[InotifyEvent]) -> None:
        by_wd = {wd: directory for directory, wd in self._wds.items()}
        for event in events:
            if event.mask & IN_ISDIR or not event.mask & WATCH_MASK:
                continue
            directory = by_wd.get(event.wd)
            if directory is None:
                continue
            for name, (dirname, base) in list(self._paths.items()):
                if dirname != directory or base != event.name:
                    continue
                if event.mask & (IN_MOVED_FROM | IN_DELETE):
                    self._set(name, 0)
                else:
                    self.reread(name)

    def reread(self, name: str) -> None:
        """Read the file again and report a change (what an inotify event for it triggers)."""
        dirname, base = self._paths[name]
        path = str(Path(dirname) / base)
        try:
            value = read_value(path)
        except InvalidNumber as err:
            log.info("Invalid number %d read from %s - ignoring", err.number, path)
            return
        self._set(name, value)

    def _set(self, name: str, value: int) -> None:
        if self.values.get(name) == value:
            return
        self.values[name] = value
        self.on_change(name, value)

    def stop(self) -> None:
        """Close the inotify instance; idempotent. update() may start watching again."""
        if self._inotify is not None:
            self._inotify.close()
        self._inotify = None
        self._wds.clear()
