"""Rise/fall debounce: a boolean that changes only after `rise` successes or `fall` failures in a row.

Pure and clock-free, shared by the checker core (core/check/verdict.py) and the VRRP child's
vrrp_script trackers. keepalived's checker retry is `fall = retry + 1` with its own timing
(verdict.py). An `undecided` debounce is keepalived's script INIT state: its first result alone
sets the state ("one is enough"), then rise/fall apply.
"""

from __future__ import annotations

from alived.errors import LocalMisuse


class Debounce:
    def __init__(self, *, rise: int, fall: int, up: bool, undecided: bool = False) -> None:
        if rise < 1 or fall < 1:
            raise LocalMisuse(f"rise and fall must be >= 1, got {rise}/{fall}")
        self.rise = rise
        self.fall = fall
        self.up = up
        self.undecided = undecided
        self._run = 0  # consecutive results contradicting the current state

    def feed(self, ok: bool) -> bool:
        """Take one result; return True when the state flipped."""
        if self.undecided:
            self.undecided = False
            flipped, self.up, self._run = ok != self.up, ok, 0
            return flipped
        if ok == self.up:
            self._run = 0
            return False
        self._run += 1
        if self._run >= (self.rise if ok else self.fall):
            self.up = ok
            self._run = 0
            return True
        return False

    @property
    def pending(self) -> int:
        """How many contradicting results were seen since the last flip."""
        return self._run
