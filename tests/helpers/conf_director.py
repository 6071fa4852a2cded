"""One alived director run from a keepalived.conf text, for tests of operator-written configs.

`ConfDirector` writes the text, starts `alived -n -l -D` in the namespace (the lab kills it on
close), reads its log and tells whether the director's nftables tables send to an address.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.helpers.netns import Namespace, wait_for


@dataclass
class ConfDirector:
    ns: Namespace
    workdir: Path
    name: str = "d1"

    def start(self, text: str) -> None:
        w, n = self.workdir, self.name
        conf = w / f"{n}.conf"
        conf.write_text(text)
        self.ns.popen(
            sys.executable, "-m", "alived", "-n", "-l", "-D",
            "-f", str(conf), "-p", str(w / f"{n}.pid"), "-r", str(w / f"{n}_vrrp.pid"),
            "-c", str(w / f"{n}_checkers.pid"),
            log=w / f"{n}.log",
            env={**os.environ, "PYTHONUNBUFFERED": "1", "TMPDIR": str(w)},
        )  # fmt: skip

    def log_text(self) -> str:
        path = self.workdir / f"{self.name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def rules_name(self, address: str, family: str = "inet") -> bool:
        """The director's `family alived` table sends traffic to `address`."""
        out = self.ns.exec("nft", "list", "table", family, "alived", check=False).stdout
        return address in out  # the tests' real-server addresses are no prefix of one another

    def wait_log(self, text: str, timeout: float = 30) -> None:
        wait_for(lambda: text in self.log_text(), timeout=timeout, what=repr(text))
