"""The seeds' two-node hot standby in namespaces: a web service per node, its check, a polling client.

The configs are the seeds' pair (tests/corpus/seeds/nginx_master.conf and nginx_backup.conf, already
on documentation addresses), edited only where a lab needs it; every edit must match exactly once,
so a change to a seed file fails here instead of silently testing something else:

- `nginx` becomes a per-run process name (the namespaces share the host's PID namespace, so the
  checks `killall -0 NAME` and `ps -C NAME` must only see this run's web service);
- `vrrp_strict` goes from the master: strict mode drops PASS authentication from the master only
  (its backup keeps it, so each refuses the other's adverts and both hold the VIP) and, with its
  implied no_accept, makes keepalived firewall the VIP, so the web service cannot be reached
  through it; operators who copy the pair delete that line;
- the backup's notify scripts append to a file instead of calling `logger` (the host's syslog is
  not the test's).

With `track="process"` the seeds' vrrp_script becomes a vrrp_track_process block of the same name
and weight, and `track_script` becomes `track_process`.

Each node (`a`, the seeds' MASTER at priority 100, and `b`, the BACKUP at 90) runs a small HTTP
server answering its node name, through a symlink named after the tracked process. The client
polls the VIP every `PERIOD_S` and writes one line per request: its CLOCK_MONOTONIC time and the
answer, or `-` for a failed request.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from alived.demo_lb import WEB_SERVER
from tests.helpers.netns import Lab, Namespace, unique, wait_for
from tests.helpers.peers import start_alived, start_keepalived

SEEDS = Path(__file__).resolve().parents[1] / "corpus" / "seeds"
VIP = "192.0.2.100"
ADDRESSES = {"a": "192.0.2.1", "b": "192.0.2.2", "client": "192.0.2.3"}
PERIOD_S = 0.05
REQUEST_TIMEOUT_S = 0.5


POLLER = """
import http.client, sys, time
vip, period, timeout = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
while True:
    started = time.monotonic()
    try:
        c = http.client.HTTPConnection(vip, 80, timeout=timeout)
        c.request("GET", "/", headers={"Connection": "close"})
        answer = c.getresponse().read().decode() or "?"
        c.close()
    except OSError:
        answer = "-"
    print(f"{started:.6f} {answer}", flush=True)
    time.sleep(max(0.0, period - (time.monotonic() - started)))
"""


def _edit(text: str, old: str, new: str) -> str:
    if text.count(old) != 1:
        raise AssertionError(f"the seed config no longer holds {old!r} exactly once")
    return text.replace(old, new)


SCRIPT_BLOCK = re.compile(r"vrrp_script chk_nginx \{.*?\n\}\n", re.DOTALL)


def _track_process(text: str, process: str) -> str:
    if len(SCRIPT_BLOCK.findall(text)) != 1:
        raise AssertionError("the seed config no longer holds one vrrp_script chk_nginx block")
    block = f"vrrp_track_process chk_nginx {{\n    process {process}\n    weight -20\n}}\n"
    return _edit(SCRIPT_BLOCK.sub(block, text), "track_script {", "track_process {")


def seed_configs(names: dict[str, str], notify_log: Path, track: str) -> dict[str, str]:
    """The seeds' master and backup configs for this lab; `names` maps node to process name."""
    master = (SEEDS / "nginx_master.conf").read_text()
    master = _edit(master, "   vrrp_strict\n", "")
    master = _edit(master, '"killall -0 nginx"', f'"killall -0 {names["a"]}"')
    backup = (SEEDS / "nginx_backup.conf").read_text()
    backup = _edit(backup, '"/usr/bin/ps -C nginx --no-header"', f'"/usr/bin/ps -C {names["b"]} --no-header"')
    for state in ("master", "backup"):
        backup = _edit(
            backup,
            f'"/usr/bin/logger -t keepalived {state}"',
            f"\"/bin/sh -c 'echo {state} >> {notify_log}'\"",
        )
    if track == "process":
        master = _track_process(master, names["a"])
        backup = _track_process(backup, names["b"])
    elif track != "script":
        raise ValueError(f"track is 'script' or 'process', not {track!r}")
    return {"a": master, "b": backup}


@dataclass
class Daemon:
    """alived or keepalived (`kind`) in a node's namespace with one config, restartable."""

    kind: str
    ns: Namespace
    workdir: Path
    name: str
    text: str
    proc: subprocess.Popen[bytes] | None = None
    logs: list[Path] = field(default_factory=list)

    def start(self) -> None:
        tag = f"{self.name}{len(self.logs) + 1}"
        launch = start_keepalived if self.kind == "keepalived" else start_alived
        peer = launch(self.ns, self.text, self.workdir, tag)
        self.proc = peer.proc
        self.logs.append(peer.log)

    def stop(self) -> None:
        if self.proc is not None:
            self.ns.lab.kill(self.proc)
            self.proc = None

    def log_text(self) -> str:
        return "".join(p.read_text(errors="replace") for p in self.logs if p.exists())

    def has_vip(self) -> bool:
        return self.ns.has_address("eth0", VIP)


@dataclass
class WebService:
    """The node's HTTP server, run through a symlink so that its process name is `process`."""

    ns: Namespace
    node: str
    program: Path
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert self.proc is None
        self.proc = self.ns.popen(str(self.program), "-c", WEB_SERVER, self.node)

    def stop(self) -> None:
        assert self.proc is not None
        self.ns.lab.kill(self.proc)
        self.proc = None

    def answering(self) -> bool:
        """The server answers on the node's own address (it is up and listening)."""
        out = self.ns.exec(
            "curl", "-s", "--max-time", "1", f"http://{ADDRESSES[self.node]}/", check=False
        ).stdout
        return out == self.node


@dataclass
class Poller:
    """The client's requests to the VIP: (monotonic time, answer or '-') per request."""

    log: Path

    def requests(self, since: float = 0.0, until: float = float("inf")) -> list[tuple[float, str]]:
        out = []
        text = self.log.read_text() if self.log.exists() else ""
        for line in text.splitlines():
            parts = line.split()
            if len(parts) == 2:
                t = float(parts[0])
                if since <= t < until:
                    out.append((t, parts[1]))
        return out

    def first(self, answer: str, since: float) -> float | None:
        return next((t for t, got in self.requests(since) if got == answer), None)

    def failures(self, since: float, until: float = float("inf")) -> int:
        return sum(1 for _, got in self.requests(since, until) if got == "-")

    def last(self) -> str:
        got = self.requests()
        return got[-1][1] if got else ""


@dataclass
class HotStandby:
    """The whole lab: nodes a and b with their web services and daemons, and the polling client."""

    lab: Lab
    workdir: Path
    kind: str
    track: str
    nodes: dict[str, Namespace] = field(default_factory=dict)
    web: dict[str, WebService] = field(default_factory=dict)
    daemons: dict[str, Daemon] = field(default_factory=dict)
    poller: Poller | None = None
    notify_log: Path = Path()

    def build(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.nodes = {name: self.lab.netns(name) for name in ("a", "b")}
        client = self.lab.netns("client")
        self.lab.lan([self.nodes["a"], self.nodes["b"], client])
        for name, ns in [*self.nodes.items(), ("client", client)]:
            ns.ip("addr", "add", f"{ADDRESSES[name]}/24", "dev", "eth0")
        python = os.path.realpath(sys.executable)
        names = {}
        for node, ns in self.nodes.items():
            names[node] = unique("web")
            link = self.workdir / names[node]
            link.symlink_to(python)
            self.web[node] = WebService(ns, node, link)
        self.notify_log = self.workdir / "notify.log"
        texts = seed_configs(names, self.notify_log, self.track)
        for node, ns in self.nodes.items():
            self.daemons[node] = Daemon(self.kind, ns, self.workdir, node, texts[node])
        log = self.workdir / "client.log"
        client.popen(sys.executable, "-c", POLLER, VIP, str(PERIOD_S), str(REQUEST_TIMEOUT_S), log=log)
        self.poller = Poller(log)

    def start(self, timeout: float) -> None:
        for node in ("a", "b"):
            self.web[node].start()
        for node in ("a", "b"):
            wait_for(self.web[node].answering, timeout=40, what=f"{node}'s web service to answer")
        # a first: started together, whichever daemon comes up first may hold the VIP for a moment.
        self.daemons["a"].start()
        self.wait_serving("a", 0.0, timeout, "a (the seeds' MASTER) to serve the VIP")
        self.daemons["b"].start()
        wait_for(
            lambda: "(VI_1) Entering BACKUP STATE" in self.daemons["b"].log_text(),
            timeout=timeout,
            what="b to start as backup",
        )

    def serving(self, node: str, since: float) -> bool:
        """`node` alone holds the VIP and the client got an answer from it after `since`."""
        other = "b" if node == "a" else "a"
        assert self.poller is not None
        return (
            self.daemons[node].has_vip()
            and not self.daemons[other].has_vip()
            and self.poller.first(node, since) is not None
        )

    def wait_serving(self, node: str, since: float, timeout: float, what: str) -> float:
        """Wait until `node` serves the VIP; return the time of the client's first answer from it."""
        wait_for(lambda: self.serving(node, since), timeout=timeout, what=what)
        assert self.poller is not None
        first = self.poller.first(node, since)
        assert first is not None
        return first
