"""vrrp_track_process as pure code: which processes match, how many there are, quorum and delays.

keepalived (core/track_process.c) counts, per vrrp_track_process, the processes whose name
matches: `/proc/PID/comm` by default, argv[0] of `/proc/PID/cmdline` with `full_command` (or
when the `process` line gives arguments, or `param_match` is set). The arguments are then
compared as keepalived does (`check_params`): `exact` (the default once arguments are given)
wants the same arguments; `partial` wants the given ones first; `initial` also lets the last
one given be a prefix of the real one.

The tracker has quorum while `quorum <= count <= quorum_max`. Crossing a bound on a fork
waits `fork_delay`, on an exit `terminate_delay` (`delay` sets both); a crossing back before
the deadline cancels it, so a process restarted within the delay never drops the quorum.
An exec or a comm change is checked at once (keepalived only delays forks and exits).

The table is fed kernel process events (fork, exec, comm, exit) and a /proc scan; time is
passed in and delays are deadlines read through `next_deadline` and `expire`. Every method
returns the quorum changes it caused, `(name, have_quorum)`, which the caller logs as
"Quorum gained/lost for tracked process NAME" and turns into tracker changes.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from alived.units import Ticks

QUORUM_MAX_UNSET = 2**32 - 1  # keepalived's UINT_MAX: no upper bound
NO_DELAY = Ticks(0)


class ParamMatch(enum.Enum):
    NONE = "none"
    EXACT = "exact"
    PARTIAL = "partial"
    INITIAL = "initial"


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcessSpec:
    """One vrrp_track_process as it matches and counts (the weight is the instances' business)."""

    name: str
    process: str
    params: bytes | None = None  # each argument followed by a NUL, as in /proc/PID/cmdline
    param_match: ParamMatch = ParamMatch.NONE
    full_command: bool = False
    quorum: int = 1
    quorum_max: int = QUORUM_MAX_UNSET
    fork_delay: Ticks = NO_DELAY
    terminate_delay: Ticks = NO_DELAY

    def in_quorum(self, count: int) -> bool:
        return self.quorum <= count <= self.quorum_max


@dataclass(frozen=True, slots=True)
class ProcInfo:
    """What /proc says of one process: its comm and its raw cmdline (NUL after each argument)."""

    comm: str
    cmdline: bytes = b""


def check_params(spec: ProcessSpec, params: bytes) -> bool:
    """keepalived's check_params: the real arguments against the configured ones."""
    want = spec.params
    want_len = len(want) if want else 0
    if spec.param_match is ParamMatch.EXACT and not want and not params:
        return True
    if len(params) < want_len:
        return False
    if spec.param_match is ParamMatch.EXACT:
        return len(params) == want_len and (not want or params == want)
    if not want:
        return True
    if spec.param_match is ParamMatch.PARTIAL:
        return params[:want_len] == want
    return want_len == 1 or params[: want_len - 1] == want[:-1]


def matches(spec: ProcessSpec, info: ProcInfo) -> bool:
    """Does this process count for the tracker?"""
    if spec.full_command:
        argv0, _, params = info.cmdline.partition(b"\0")
        if argv0.decode(errors="surrogateescape") != spec.process:
            return False
        if spec.param_match is ParamMatch.NONE:
            return True
        return check_params(spec, params)
    return info.comm == spec.process


@dataclass
class _State:
    spec: ProcessSpec
    count: int = 0
    have_quorum: bool = False
    fork_deadline: Ticks | None = None
    terminate_deadline: Ticks | None = None


@dataclass
class ProcessTable:
    """The tracked processes and the pids counted for each, fed events, answering quorum changes."""

    specs: Iterable[ProcessSpec] = ()
    _states: dict[str, _State] = field(default_factory=dict, init=False)
    _pids: dict[int, set[str]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self._states = {s.name: _State(s) for s in self.specs}

    @property
    def needs_cmdline(self) -> bool:
        """True when some tracker looks at the command line (the adapter then reads it)."""
        return any(st.spec.full_command for st in self._states.values())

    def have_quorum(self, name: str) -> bool:
        return self._states[name].have_quorum

    def count(self, name: str) -> int:
        return self._states[name].count

    def spec(self, name: str) -> ProcessSpec | None:
        st = self._states.get(name)
        return st.spec if st is not None else None

    def delays_running(self, name: str) -> tuple[bool, bool]:
        """Whether the tracker's fork delay and terminate delay are counting down now."""
        st = self._states[name]
        return st.fork_deadline is not None, st.terminate_deadline is not None

    def counted(self, pid: int) -> frozenset[str]:
        """The trackers this pid counts for (empty: untracked)."""
        return frozenset(self._pids.get(pid, ()))

    @property
    def quorums(self) -> dict[str, bool]:
        return {name: st.have_quorum for name, st in self._states.items()}

    # ---- start ------------------------------------------------------------------------------

    def scan(self, processes: Mapping[int, ProcInfo]) -> None:
        """Count from a whole /proc scan and set each quorum without delay (keepalived's start)."""
        self._pids.clear()
        for st in self._states.values():
            st.count = 0
            st.fork_deadline = st.terminate_deadline = None
        for pid, info in processes.items():
            for st in self._states.values():
                if matches(st.spec, info):
                    self._pids.setdefault(pid, set()).add(st.spec.name)
                    st.count += 1
        for st in self._states.values():
            st.have_quorum = st.spec.in_quorum(st.count)

    def rescan(self, processes: Mapping[int, ProcInfo], now: Ticks) -> list[tuple[str, bool]]:
        """A later scan (events were lost): recount, and move each quorum through its delays."""
        before = {name: st.count for name, st in self._states.items()}
        self._pids.clear()
        for st in self._states.values():
            st.count = 0
        for pid, info in processes.items():
            for st in self._states.values():
                if matches(st.spec, info):
                    self._pids.setdefault(pid, set()).add(st.spec.name)
                    st.count += 1
        out: list[tuple[str, bool]] = []
        for name, st in self._states.items():
            if st.count == before[name]:
                continue
            up = st.spec.in_quorum(st.count)
            if up == st.have_quorum:
                st.fork_deadline = st.terminate_deadline = None
                continue
            delay = st.spec.fork_delay if up else st.spec.terminate_delay
            if delay:
                if up:
                    st.fork_deadline, st.terminate_deadline = Ticks(now + delay), None
                else:
                    st.terminate_deadline, st.fork_deadline = Ticks(now + delay), None
            else:
                self._set(st, up, out)
        return out

    # ---- kernel events ----------------------------------------------------------------------

    def fork(self, parent: int, child: int, now: Ticks) -> list[tuple[str, bool]]:
        """A new process: it counts for whatever its parent counts for (same comm and cmdline)."""
        names = self._pids.get(parent)
        out: list[tuple[str, bool]] = []
        if not names:
            return out
        self._pids[child] = set(names)
        for name in sorted(names):
            self._added(self._states[name], now, out, delayed=True)
        return out

    def exec(self, pid: int, info: ProcInfo | None, now: Ticks) -> list[tuple[str, bool]]:
        """A process ran a new program (info None: it is already gone): re-match it."""
        return self._recheck(pid, info, now, comm_only=False)

    def comm(self, pid: int, comm: str, now: Ticks) -> list[tuple[str, bool]]:
        """A process renamed itself (prctl PR_SET_NAME): only comm matchers are re-checked."""
        return self._recheck(pid, ProcInfo(comm=comm), now, comm_only=True)

    def exit(self, pid: int, now: Ticks) -> list[tuple[str, bool]]:
        names = self._pids.pop(pid, None)
        out: list[tuple[str, bool]] = []
        for name in sorted(names or ()):
            self._removed(self._states[name], now, out, delayed=True)
        return out

    # ---- delays -----------------------------------------------------------------------------

    def next_deadline(self) -> Ticks | None:
        deadlines = [
            d
            for st in self._states.values()
            for d in (st.fork_deadline, st.terminate_deadline)
            if d is not None
        ]
        return min(deadlines) if deadlines else None

    def expire(self, now: Ticks) -> list[tuple[str, bool]]:
        """Settle every delay due by `now` on the count as it is then."""
        out: list[tuple[str, bool]] = []
        for st in self._states.values():
            due = False
            if st.fork_deadline is not None and st.fork_deadline <= now:
                st.fork_deadline, due = None, True
            if st.terminate_deadline is not None and st.terminate_deadline <= now:
                st.terminate_deadline, due = None, True
            if due:
                self._set(st, st.spec.in_quorum(st.count), out)
        return out

    # ---- internals --------------------------------------------------------------------------

    def _recheck(
        self, pid: int, info: ProcInfo | None, now: Ticks, *, comm_only: bool
    ) -> list[tuple[str, bool]]:
        out: list[tuple[str, bool]] = []
        had = self._pids.get(pid, set())
        now_in: set[str] = set()
        for name, st in self._states.items():
            if comm_only and st.spec.full_command:
                if name in had:
                    now_in.add(name)
                continue
            if info is not None and matches(st.spec, info):
                now_in.add(name)
                if name not in had:
                    self._added(st, now, out, delayed=False)
            elif name in had:
                self._removed(st, now, out, delayed=False)
        if now_in:
            self._pids[pid] = now_in
        else:
            self._pids.pop(pid, None)
        return out

    def _added(self, st: _State, now: Ticks, out: list[tuple[str, bool]], *, delayed: bool) -> None:
        st.count += 1
        if st.count not in (st.spec.quorum, st.spec.quorum_max + 1):
            return
        if st.terminate_deadline is not None:
            # Back across the bound it had just left: the pending loss is forgotten.
            st.terminate_deadline = None
            return
        if delayed and st.spec.fork_delay:
            st.fork_deadline = Ticks(now + st.spec.fork_delay)
            return
        self._set(st, st.spec.in_quorum(st.count), out)

    def _removed(self, st: _State, now: Ticks, out: list[tuple[str, bool]], *, delayed: bool) -> None:
        st.count -= 1
        if st.count not in (st.spec.quorum - 1, st.spec.quorum_max):
            return
        if st.fork_deadline is not None:
            st.fork_deadline = None
            return
        if delayed and st.spec.terminate_delay:
            st.terminate_deadline = Ticks(now + st.spec.terminate_delay)
            return
        self._set(st, st.spec.in_quorum(st.count), out)

    @staticmethod
    def _set(st: _State, up: bool, out: list[tuple[str, bool]]) -> None:
        if up != st.have_quorum:
            st.have_quorum = up
            out.append((st.spec.name, up))
