"""The interop peers themselves run here: keepalived and FRR vrrpd each become master alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.netns import Lab, wait_for
from tests.helpers.peers import frr_vmac, start_frr_vrrpd, start_keepalived


@pytest.mark.netns
def test_keepalived_alone_becomes_master(lab: Lab, tmp_path: Path) -> None:
    (a,) = [lab.netns("ka")]
    lab.lan([a])
    a.ip("addr", "add", "192.0.2.1/24", "dev", "eth0")
    peer = start_keepalived(
        a,
        """
global_defs { enable_script_security }
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 150
    advert_int 1
    virtual_ipaddress { 192.0.2.100/24 }
}
""",
        tmp_path,
    )
    wait_for(lambda: a.has_address("eth0", "192.0.2.100"), timeout=40, what="keepalived VIP")
    assert "(VI_1) Entering MASTER STATE" in peer.log_text()


@pytest.mark.netns
def test_frr_alone_becomes_master(lab: Lab, tmp_path: Path) -> None:
    a = lab.netns("fr")
    lab.lan([a])
    a.ip("addr", "add", "192.0.2.1/24", "dev", "eth0")
    frr_vmac(a, "eth0", 5, "192.0.2.100/24")
    peer = start_frr_vrrpd(
        a,
        "interface eth0\n vrrp 5 version 3\n vrrp 5 priority 200\n"
        " vrrp 5 advertisement-interval 1000\n vrrp 5 ip 192.0.2.100\n!\n",
        tmp_path,
    )
    wait_for(lambda: peer.status(5) == "Master", timeout=40, what="FRR master")
