"""What an instance tracks, typed: a tracker kind and the config name within it.

keepalived's kinds (track_interface, track_script, track_file, track_process; BFD next) share
one namespace per kind only: a vrrp_script and a track_file may both be called `chk`. A
`TrackerKey` names one tracked object without string prefixes; its text form
(`script:chk`) is only for reasons and logs.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class TrackerKind(enum.StrEnum):
    INTERFACE = "interface"
    SCRIPT = "script"
    FILE = "file"
    PROCESS = "process"
    BFD = "bfd"


@dataclass(frozen=True, slots=True, order=True)
class TrackerKey:
    """One tracked object: its kind and its name in the config."""

    kind: TrackerKind
    name: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"
