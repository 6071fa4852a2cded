"""keepalived 2.2.7's e-mail alerts, side by side with alived's: the same mails, the same error lines.

One SMTP host (aiosmtpd, as tests/netns/test_smtp_alert.py runs it) sits on a LAN with every
daemon's namespace; it writes each session it accepts as a JSON line: who connected, HELO or
EHLO and its name, the envelope and the DATA text. keepalived and alived run the same config,
each in its own namespace, in lockstep: they start, then the links under VI_1 and under the
sync group's VI_3 go down, then up again, then they get SIGTERM. Each phase's mails must be
keepalived's, mail by mail, with only the Date header's value masked (its format is checked).

The error cases run both daemons against a server that refuses the recipient (550), a port
where nothing listens, a port whose SYNs are dropped (connect timeout), a server that never
says hello (read timeout), one that hangs up at once, one that greets with 554, an address
with no route, and a good server with more recipients than keepalived's buffers hold: the
lines each logs about SMTP must be keepalived's, fd numbers aside.

keepalived's checker child needs IPVS, absent here, so only its VRRP child's mails are compared;
`keepalived -t` with a virtual server and smtp_alert parses the config and sends nothing.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers.netns import Lab, Namespace, wait_for
from tests.helpers.peers import KeepalivedPeer, start_alived, start_keepalived

pytestmark = pytest.mark.netns

MAIL_HOST = "198.51.100.25"

SINK = """
import asyncio, json, socket, sys
from aiosmtpd.controller import Controller

host, box = sys.argv[1], sys.argv[2]

def record(**fields):
    with open(box, "a") as out:
        out.write(json.dumps(fields) + "\\n")

class Sink:
    def __init__(self, port, refuse):
        self.port, self.refuse = port, refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            record(port=self.port, peer=session.peer[0], refused=address)
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        record(port=self.port, peer=session.peer[0], from_=envelope.mail_from, to=envelope.rcpt_tos,
               verb="EHLO" if session.extended_smtp else "HELO", helo=session.host_name,
               data=envelope.content.decode())
        return "250 OK"

async def hang_up(reader, writer):
    writer.close()

async def unwelcome(reader, writer):
    writer.write(b"554 5.3.2 not now\\r\\n")
    if (await reader.readline()).startswith(b"QUIT"):
        writer.write(b"221 bye\\r\\n")
    writer.close()

async def raw():
    for port, serve in ((2530, hang_up), (2531, unwelcome)):
        await asyncio.start_server(serve, host, port)

servers = [Controller(Sink(port, port == 2526), hostname=host, port=port) for port in (25, 2525, 2526)]
for server in servers:
    server.start()
# 2529 completes the TCP handshake (the backlog) but never says hello.
silent = socket.socket()
silent.bind((host, 2529))
silent.listen(8)
loop = asyncio.new_event_loop()
loop.run_until_complete(raw())
print("listening", flush=True)
loop.run_forever()
"""


def global_defs(router_id: str, server: str, helo: str | None, alert: bool, timeout: int) -> str:
    lines = [
        f"  router_id {router_id}",
        "  notification_email {",
        "    ops@example.com",
        "    dev@example.com",
        "  }",
        f"  smtp_server {server}",
        f"  smtp_connect_timeout {timeout}",
    ]
    if helo is not None:
        lines.append(f"  smtp_helo_name {helo}")
    if alert:
        lines += ["  notification_email_from alerts@example.com", "  smtp_alert"]
    return "global_defs {\n" + "\n".join(lines) + "\n}\n"


def vrrp(name: str, dev: str, vrid: int, *, state: str, prio: int, advert: int, alert: str | None) -> str:
    extra = f"  smtp_alert {alert}\n" if alert is not None else ""
    return f"""vrrp_instance {name} {{
  state {state}
  interface {dev}
  virtual_router_id {vrid}
  priority {prio}
  advert_int {advert}
{extra}  virtual_ipaddress {{
    192.0.2.{vrid}/24
  }}
}}
"""


def transitions_conf(variant: str) -> str:
    """Variant "a": port 2525, a HELO name, global smtp_alert (VI_5 opts out); "b": none of them.

    VI_1 starts master on eth0; VI_2 stays backup on eth2 (its master-down timer is a minute);
    VI_3 (eth1) and VI_4 (eth2) form sync group G1, which mails; VI_5 is a master that never mails.
    """
    if variant == "a":
        head = global_defs("rtr-a", f"{MAIL_HOST} 2525", "helo-a.example.com", True, 5)
        alerts = {"VI_1": None, "VI_2": None, "VI_5": "false"}
    else:
        head = global_defs("rtr-b", MAIL_HOST, None, False, 5)
        alerts = {"VI_1": "true", "VI_2": "", "VI_5": None}
    return (
        head
        + "vrrp_sync_group G1 {\n  group {\n    VI_3\n    VI_4\n  }\n  smtp_alert\n}\n"
        + vrrp("VI_1", "eth0", 51, state="MASTER", prio=150, advert=1, alert=alerts["VI_1"])
        + vrrp("VI_2", "eth2", 52, state="BACKUP", prio=100, advert=20, alert=alerts["VI_2"])
        + vrrp("VI_3", "eth1", 53, state="MASTER", prio=150, advert=1, alert=None)
        + vrrp("VI_4", "eth2", 54, state="MASTER", prio=150, advert=1, alert=None)
        + vrrp("VI_5", "eth2", 55, state="MASTER", prio=150, advert=1, alert=alerts["VI_5"])
    )


def mail_host(lab: Lab, tmp_path: Path, count: int) -> tuple[list[Namespace], Path]:
    """`count` daemon namespaces (mail0 = 198.51.100.N) on a LAN with the SMTP host; its mailbox."""
    hosts = [lab.netns(f"d{i}") for i in range(count)]
    server = lab.netns("mx")
    lab.lan([*hosts, server], dev="mail0")
    for i, ns in enumerate(hosts):
        ns.ip("addr", "add", f"198.51.100.{i + 1}/24", "dev", "mail0")
    server.ip("addr", "add", f"{MAIL_HOST}/24", "dev", "mail0")
    # 2528's SYNs vanish: the connect can only time out.
    server.exec("nft", "add table inet smtp")
    server.exec("nft", "add chain inet smtp in { type filter hook input priority 0 ; }")
    server.exec("nft", "add rule inet smtp in tcp dport 2528 drop")
    script = tmp_path / "sink.py"
    script.write_text(SINK)
    box = tmp_path / "mails.jsonl"
    log = tmp_path / "sink.log"
    server.popen(sys.executable, str(script), MAIL_HOST, str(box), log=log)
    wait_for(lambda: "listening" in log.read_text(), what="the SMTP host to listen")
    return hosts, box


def sessions(box: Path, peer: str) -> list[dict[str, object]]:
    if not box.exists():
        return []
    # Whole lines only: the sink may be writing the next one while it is read.
    found = [json.loads(line) for line in box.read_text().split("\n")[:-1]]
    return [m for m in found if m["peer"] == peer]


def subject(mail: dict[str, object]) -> str:
    return next(x for x in str(mail["data"]).split("\r\n") if x.startswith("Subject: "))[9:]


DATE = re.compile(r"^Date: [A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d [+-]\d{4}\r\n", re.M)


def masked(mail: dict[str, object]) -> dict[str, object]:
    """The mail as compared: everything but the peer and the Date's value (its format is checked)."""
    data = str(mail["data"])
    assert DATE.search(data), data
    return {**{k: v for k, v in mail.items() if k != "peer"}, "data": DATE.sub("Date: DATE\r\n", data)}


@dataclass
class Side:
    ns: Namespace
    peer_ip: str
    daemon: KeepalivedPeer | None = None

    def mails(self, box: Path) -> list[dict[str, object]]:
        return sessions(box, self.peer_ip)


def start(ns: Namespace, conf: str, workdir: Path, *, keepalived: bool) -> KeepalivedPeer:
    run = start_keepalived if keepalived else start_alived
    return run(ns, conf, workdir, env={**os.environ, "TMPDIR": str(workdir)})


def links(lab: Lab, ns: Namespace) -> None:
    """eth0, eth1 and eth2, each the end of a veth whose other end (eth9, eth8, eth7) can go down."""
    for dev, other in (("eth0", "eth9"), ("eth1", "eth8"), ("eth2", "eth7")):
        lab.veth(ns, dev, ns, other)
    ns.ip("addr", "add", "192.0.2.1/24", "dev", "eth0")
    ns.ip("addr", "add", "192.0.2.2/24", "dev", "eth1")
    ns.ip("addr", "add", "192.0.2.3/24", "dev", "eth2")


def subjects(router_id: str, phase: str, variant: str) -> Counter[str]:
    """keepalived's subjects in each phase (the oracle is checked against these first)."""
    kinds = ["Group G1", "Instance VI_1"]
    if variant == "a":  # the sync group's members mail as well, under the global smtp_alert
        kinds += ["Instance VI_3", "Instance VI_4"]
    states = {"start": ["BACKUP", "MASTER"], "links down": ["FAULT"], "links up": ["BACKUP", "MASTER"]}[phase]
    found = [f"[{router_id}] VRRP {kind} - Entering {state} state" for kind in kinds for state in states]
    if phase == "start":  # VI_2 stays backup for the whole test, VI_5 never mails
        found.append(f"[{router_id}] VRRP Instance VI_2 - Entering BACKUP state")
    return Counter(found)


PHASES = ("start", "links down", "links up")


def run_transitions(lab: Lab, tmp_path: Path, variant: str) -> list[list[list[dict[str, object]]]]:
    """Per phase, per side (keepalived, alived): the mails that side sent, sorted by subject."""
    hosts, box = mail_host(lab, tmp_path, 2)
    conf = transitions_conf(variant)
    sides = []
    for i, ns in enumerate(hosts):
        links(lab, ns)
        sides.append(Side(ns, f"198.51.100.{i + 1}"))
    for i, side in enumerate(sides):
        side.daemon = start(side.ns, conf, tmp_path / f"{variant}{i}", keepalived=i == 0)
    router_id = f"rtr-{variant}"
    done = 0
    found = []
    for phase in PHASES:
        if phase != "start":
            for side in sides:
                for dev in ("eth9", "eth8"):
                    side.ns.ip("link", "set", dev, "down" if phase == "links down" else "up")
        expected = subjects(router_id, phase, variant)
        done += sum(expected.values())
        for i, side in enumerate(sides):
            wait_for(
                lambda side=side, done=done: len(side.mails(box)) >= done,
                timeout=40,
                what=f"{phase}: {done} mails from {'keepalived' if i == 0 else 'alived'}",
            )
        batch = []
        for side in sides:
            mails = side.mails(box)[done - sum(expected.values()) : done]
            batch.append(sorted((masked(m) for m in mails), key=lambda m: (subject(m), str(m))))
        found.append(batch)
        theirs = Counter(subject(m) for m in batch[0])
        assert theirs == expected, (phase, theirs)
    # SIGTERM: neither mails "Stopping" (keepalived exits before any such mail could go out).
    for side in sides:
        assert side.daemon is not None
        assert lab.kill(side.daemon.proc) == 0
        assert len(side.mails(box)) == done, [subject(m) for m in side.mails(box)[done:]]
    return found


@pytest.mark.parametrize("variant", ["a", "b"])
def test_mails_of_each_transition_are_keepalived_s(lab: Lab, tmp_path: Path, variant: str) -> None:
    """a: port 2525, smtp_helo_name, notification_email_from, global smtp_alert; b: port 25, defaults."""
    for phase, (theirs, ours) in zip(PHASES, run_transitions(lab, tmp_path, variant), strict=True):
        assert ours == theirs, phase


ERROR_CASES = {
    "refused": f"{MAIL_HOST} 2526",  # 550 to RCPT TO
    "closed": f"{MAIL_HOST} 2527",  # nothing listens: RST
    "dropped": f"{MAIL_HOST} 2528",  # the SYN is dropped: the connect times out
    "silent": f"{MAIL_HOST} 2529",  # connected, never a greeting: the read times out
    "no route": "203.0.113.25 2525",  # no route to the host at all
    "hang up": f"{MAIL_HOST} 2530",  # accepted, then closed at once
    "554": f"{MAIL_HOST} 2531",  # greets with 554, answers QUIT
    # a good server, but 60 recipients: keepalived's 1024-byte buffer cuts the DATA text before
    # its final dot, so the server waits for more and the reply never comes
    "cut": f"{MAIL_HOST} 2525",
}
MANY = "".join(f"    user-{i:02d}@example.com\n" for i in range(60))


def error_lines(case: str) -> list[str]:
    """What keepalived logs for one mail (with -D), checked against keepalived itself first."""
    host = f"[{ERROR_CASES[case].replace(' ', ']:')}"
    connected = f"Remote SMTP server {host} connected."
    return {
        "refused": [connected, f"Error processing RCPT cmd on SMTP server {host}. SMTP status code = 550"],
        "closed": ["smtp fd N returned write error"],
        "dropped": [f"Timeout opening connection to remote SMTP server {host}."],
        # the first timeout is answered with QUIT, whose reply times out as well
        "silent": [connected] + [f"Timeout reading data to remote SMTP server {host}."] * 2,
        "no route": [],  # connect() fails at once: keepalived closes the socket without a word
        "hang up": [connected, f"Remote SMTP server {host} has closed the connection."],
        "554": [connected, f"Error processing (E)SMTP cmd on SMTP server {host}. SMTP status code = 554"],
        "cut": [connected] + [f"Timeout reading data to remote SMTP server {host}."] * 2,
    }[case]


LONE_MASTER = vrrp("VI_1", "eth0", 51, state="MASTER", prio=150, advert=1, alert=None)
SMTP_LINE = re.compile(r".*(?:SMTP|smtp|socket connect error).*$")


def smtp_lines(peer: KeepalivedPeer) -> list[str]:
    found = []
    for line in peer.log_text().splitlines():
        if m := SMTP_LINE.search(line.split(": ", 1)[-1]):
            found.append(re.sub(r"fd \d+", "fd N", m.group(0)))
    return found


def test_errors_are_logged_as_keepalived_logs_them(lab: Lab, tmp_path: Path) -> None:
    """VI_1 starts as master: two mails (BACKUP, then MASTER), so each case's lines come twice."""
    hosts, box = mail_host(lab, tmp_path, 2 * len(ERROR_CASES))
    peers: dict[tuple[str, bool], KeepalivedPeer] = {}
    for i, (case, server) in enumerate(ERROR_CASES.items()):
        conf = global_defs("rtr-e", server, None, True, 1) + LONE_MASTER
        if case == "cut":
            conf = conf.replace("    ops@example.com\n", MANY)
        for keepalived in (True, False):
            ns = hosts[2 * i + (0 if keepalived else 1)]
            lab.veth(ns, "eth0", ns, "eth9")
            ns.ip("addr", "add", "192.0.2.1/24", "dev", "eth0")
            workdir = tmp_path / f"e{2 * i + int(keepalived)}"
            peers[case, keepalived] = start(ns, conf, workdir, keepalived=keepalived)
    # The last line of a case's second mail, or, where nothing is logged, its MASTER state line.
    for (case, keepalived), peer in peers.items():
        lines = error_lines(case)
        wanted = 2 * len(lines)

        def done(peer: KeepalivedPeer = peer, lines: list[str] = lines, wanted: int = wanted) -> bool:
            got = smtp_lines(peer)
            return len(got) >= wanted and (not lines or got[-1] == lines[-1])

        who = "keepalived" if keepalived else "alived"
        wait_for(lambda peer=peer: "(VI_1) Entering MASTER STATE" in peer.log_text(), timeout=40, what=who)
        wait_for(done, timeout=40, what=f"{case}: {who}'s {wanted} lines")
    for case in ERROR_CASES:
        theirs = smtp_lines(peers[case, True])
        assert theirs == error_lines(case) * 2, (case, theirs)
        assert smtp_lines(peers[case, False]) == theirs, case
    assert [m["refused"] for m in sessions(box, "198.51.100.1")] == ["ops@example.com"] * 2
    assert [m["refused"] for m in sessions(box, "198.51.100.2")] == ["ops@example.com"] * 2


CHECKER_CONF = (
    global_defs("rtr-t", f"{MAIL_HOST} 2525", None, True, 1)
    + LONE_MASTER
    + """virtual_server 192.0.2.10 80 {
  lb_algo rr
  lb_kind DR
  protocol TCP
  smtp_alert
  real_server 192.0.2.20 80 {
    smtp_alert
    TCP_CHECK {
      connect_timeout 1
    }
  }
}
"""
)


def test_a_config_test_sends_no_mail(lab: Lab, tmp_path: Path) -> None:
    """keepalived -t parses a config whose VRRP instance and real server mail, and mails nothing.

    (keepalived's checker child needs IPVS, which this kernel lacks, so its own UP/DOWN mails
    cannot be compared here: `-t` is all of the checker side there is to compare.)
    """
    hosts, box = mail_host(lab, tmp_path, 2)
    conf = tmp_path / "checker.conf"
    conf.write_text(CHECKER_CONF)
    for ns in hosts:
        lab.veth(ns, "eth0", ns, "eth9")
    theirs = hosts[0].exec("keepalived", "-t", "-f", str(conf), check=False)
    ours = hosts[1].exec(sys.executable, "-m", "alived", "-t", "-f", str(conf), check=False)
    assert (ours.returncode, theirs.returncode) == (0, 0), (ours.stderr, theirs.stderr)
    assert sessions(box, "198.51.100.1") == sessions(box, "198.51.100.2") == []
