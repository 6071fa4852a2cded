"""What a child process says about itself on its status socket (`process-json`).

Both children answer it the same way: their pid, their reloads (count, failures, the last one's
result and duration, from the signal being handled to the new config applied) and the kernel
operations they made (linux/kernel_ops.py). A test or a bench reads it to know that a reload is
done and what it cost the kernel: after a reload with an unchanged file, `kernel_ops.total` has
not moved.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from alived.linux import kernel_ops


@dataclass(slots=True)
class Reloads:
    """This process's reloads (SIGHUP handled)."""

    count: int = 0
    failed: int = 0
    last_ok: bool | None = None
    last_seconds: float | None = None

    def done(self, ok: bool, seconds: float) -> None:
        self.count += 1
        self.failed += 0 if ok else 1
        self.last_ok = ok
        self.last_seconds = seconds

    def document(self) -> dict[str, object]:
        return {
            "count": self.count,
            "failed": self.failed,
            "last_ok": self.last_ok,
            "last_seconds": None if self.last_seconds is None else round(self.last_seconds, 6),
        }


RELOADS = Reloads()


def document() -> dict[str, object]:
    """The `process-json` answer: {"pid", "reloads": {...}, "kernel_ops": {...}}."""
    return {"pid": os.getpid(), "reloads": RELOADS.document(), "kernel_ops": kernel_ops.snapshot()}
