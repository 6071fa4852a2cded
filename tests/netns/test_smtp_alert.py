"""smtp_alert end to end: two alived daemons mail every transition to a real SMTP server (aiosmtpd).

The server runs in its own namespace on the LAN and writes each mail it accepts as a JSON line;
a second test points the daemons at an address where nothing listens: each mail costs one log
line and the failover happens as usual.
"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

import pytest

from tests.helpers.netns import Lab, Namespace, wait_for
from tests.netns.test_daemon_vrrp import Node, conf, instance, master_and_backup

pytestmark = pytest.mark.netns

SINK = """
import asyncio, json, sys
from aiosmtpd.controller import Controller

class Sink:
    async def handle_DATA(self, server, session, envelope):
        with open(sys.argv[3], "a") as out:
            out.write(json.dumps({"from": envelope.mail_from, "to": envelope.rcpt_tos,
                                  "helo": session.host_name,
                                  "data": envelope.content.decode()}) + "\\n")
        return "250 OK"

controller = Controller(Sink(), hostname=sys.argv[1], port=int(sys.argv[2]))
controller.start()
print("listening", flush=True)
asyncio.get_event_loop().run_forever()
"""


def mail_conf(node: str, server: str, prio: int) -> str:
    g = f"""  router_id {node}
  notification_email {{
    ops@example.com
    dev@example.com
  }}
  notification_email_from {node}@example.com
  smtp_server {server} 2525
  smtp_helo_name {node}.example.com
  smtp_connect_timeout 5
  smtp_alert
"""
    return conf(instance(prio), global_extra=g)


def nodes_and_server(lab: Lab, tmp_path: Path) -> tuple[Node, Node, Namespace]:
    """Two daemons' hosts and a mail host (192.0.2.25) on one LAN."""
    hosts = [lab.netns(role) for role in ("a", "b", "m")]
    lab.lan(hosts)
    for i, ns in enumerate(hosts[:2]):
        ns.ip("addr", "add", f"192.0.2.{i + 1}/24", "dev", "eth0")
    hosts[2].ip("addr", "add", "192.0.2.25/24", "dev", "eth0")
    a = Node(ns=hosts[0], lab=lab, workdir=tmp_path, name="a")
    b = Node(ns=hosts[1], lab=lab, workdir=tmp_path, name="b")
    return a, b, hosts[2]


def mails(path: Path) -> list[dict[str, object]]:
    """Whole lines only: the sink may be writing the next one while it is read."""
    return [json.loads(line) for line in path.read_text().split("\n")[:-1]] if path.exists() else []


def subjects(path: Path, sender: str) -> list[str]:
    out = []
    for m in mails(path):
        if m["from"] == sender:
            data = str(m["data"])
            out.append(next(line for line in data.splitlines() if line.startswith("Subject: "))[9:])
    return out


def test_each_transition_is_one_mail(lab: Lab, tmp_path: Path) -> None:
    a, b, mail = nodes_and_server(lab, tmp_path)
    script = tmp_path / "sink.py"
    script.write_text(SINK)
    box = tmp_path / "mails.jsonl"
    server_log = tmp_path / "sink.log"
    mail.popen(sys.executable, str(script), "192.0.2.25", "2525", str(box), log=server_log)
    wait_for(lambda: "listening" in server_log.read_text(), what="the SMTP server to listen")
    a.write(mail_conf("node-a", "192.0.2.25", 150))
    b.write(mail_conf("node-b", "192.0.2.25", 100))
    a.start()
    a.wait_log("(VI_1) Entering MASTER STATE")  # b starts under a master: BACKUP is its one state
    b.start()
    master_and_backup(a, b)
    wait_for(lambda: len(subjects(box, "node-a@example.com")) == 2, what="node-a's two mails")
    wait_for(lambda: len(subjects(box, "node-b@example.com")) == 1, what="node-b's mail")
    assert subjects(box, "node-a@example.com") == [
        "[node-a] VRRP Instance VI_1 - Entering BACKUP state",
        "[node-a] VRRP Instance VI_1 - Entering MASTER state",
    ]
    first = next(m for m in mails(box) if m["from"] == "node-b@example.com")
    assert first["to"] == ["ops@example.com", "dev@example.com"]
    assert first["helo"] == "node-b.example.com"
    data = str(first["data"])
    assert "From: node-b@example.com\r\n" in data
    assert "Subject: [node-b] VRRP Instance VI_1 - Entering BACKUP state\r\nX-Mailer: Keepalived\r\n" in data
    assert "To: ops@example.com, dev@example.com\r\n" in data
    assert data.endswith("\r\n\r\n=> VRRP Instance is no longer owning VRRP VIPs <=\r\n\r\n")
    a.stop(signal.SIGTERM)
    wait_for(b.has, what="node-b takes over")
    wait_for(lambda: len(subjects(box, "node-b@example.com")) == 2, what="node-b's master mail")
    assert subjects(box, "node-b@example.com")[1] == "[node-b] VRRP Instance VI_1 - Entering MASTER state"
    body = str(mails(box)[-1]["data"])
    assert body.endswith("\r\n\r\n=> VRRP Instance is now owning VRRP VIPs <=\r\n\r\n")
    assert "e-mail alerts are not supported" not in a.log_text()


def test_a_dead_server_costs_a_log_line(lab: Lab, tmp_path: Path) -> None:
    a, b, _ = nodes_and_server(lab, tmp_path)
    # 192.0.2.25 is up but nothing listens on 2525: every connect is refused at once.
    a.write(mail_conf("node-a", "192.0.2.25", 150))
    b.write(mail_conf("node-b", "192.0.2.25", 100))
    a.start()
    b.start()
    master_and_backup(a, b)
    a.wait_log("returned write error")
    a.stop(signal.SIGTERM)
    wait_for(b.has, what="node-b takes over")
    b.wait_log("(VI_1) Entering MASTER STATE")
    wait_for(lambda: b.log_text().count("returned write error") >= 2, what="node-b's two failed mails")
    assert b.proc is not None and b.proc.poll() is None
