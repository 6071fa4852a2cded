"""The advert source on a real interface where a VIP was left behind and sorts first."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import pytest

from tests.helpers.netns import Lab, wait_for
from tests.helpers.peers import start_alived

pytestmark = pytest.mark.netns

CONF = """
global_defs {
    enable_script_security
}
vrrp_instance VI_1 {
    interface eth0
    version 3
    virtual_router_id 81
    priority 100
    advert_int 0.2
    virtual_ipaddress {
        203.0.113.10/24
    }
}
"""


def test_a_leftover_vip_listed_first_is_not_the_advert_source(lab: Lab, tmp_path: Path) -> None:
    sender, listener = lab.netns("s"), lab.netns("l")
    lab.lan([sender, listener])
    # The VIP came first (a killed run left it, then the address was re-added): both are primary.
    sender.ip("addr", "add", "203.0.113.10/24", "dev", "eth0")
    sender.ip("addr", "add", "192.0.2.1/24", "dev", "eth0")
    listener.ip("addr", "add", "192.0.2.2/24", "dev", "eth0")
    capture = tmp_path / "capture"
    tcpdump = listener.popen("tcpdump", "-l", "-nn", "-i", "eth0", "ip proto 112", log=capture)
    wait_for(lambda: "listening on" in capture.read_text(errors="replace"), what="tcpdump to listen")
    daemon = start_alived(sender, CONF, tmp_path, "alived")

    def sources() -> list[str]:
        return re.findall(r"IP ([\d.]+) > 224\.0\.0\.18: VRRPv3", capture.read_text(errors="replace"))

    wait_for(lambda: len(sources()) >= 3, what="three adverts")
    assert set(sources()) == {"192.0.2.1"}
    assert sender.has_address("eth0", "203.0.113.10")  # the master holds its VIP
    lab.kill(daemon.proc, signal.SIGTERM)
    lab.kill(tcpdump, signal.SIGTERM)
