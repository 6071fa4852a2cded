"""Rules written without a preference, installed by alived and by keepalived 2.2.7 side by side.

Each daemon runs alone as master in its own namespace with the same config; virtual_rules are
written before static_rules, IPv4 and IPv6 mixed, so the preferences the kernel shows prove the
numbering: in file order, one count per family, down from 16384.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.netns import Lab, Namespace, wait_for
from tests.helpers.peers import start_alived, start_keepalived

pytestmark = pytest.mark.netns

CONF = """vrrp_instance VI_1 {
  state MASTER
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress {
    192.0.2.100/24
  }
  virtual_rules {
    from 192.0.2.20 table 100
    from 2001:db8::20 table 100
    from 192.0.2.21 table 101 preference 50
  }
}
static_rules {
  from 192.0.2.30 table 102
  to 2001:db8:1::/64 table 102
  to 198.51.100.0/24 table 102
}
"""

# what both must show once master: (family, preference, selector)
WANTED = {
    ("4", "16384", "from 192.0.2.20 lookup 100"),
    ("6", "16384", "from 2001:db8::20 lookup 100"),
    ("4", "50", "from 192.0.2.21 lookup 101"),
    ("4", "16383", "from 192.0.2.30 lookup 102"),
    ("6", "16383", "from all to 2001:db8:1::/64 lookup 102"),
    ("4", "16382", "from all to 198.51.100.0/24 lookup 102"),
}


def _host(lab: Lab, role: str) -> Namespace:
    ns = lab.netns(role)
    lab.veth(ns, "eth0", ns, "eth1")
    ns.ip("addr", "add", "192.0.2.1/24", "dev", "eth0")
    return ns


def _rules(ns: Namespace) -> set[tuple[str, str, str]]:
    """The rules the daemon added (the kernel's own are at 0, 32766 and 32767)."""
    found = set()
    for family in ("4", "6"):
        for line in ns.ip(f"-{family}", "rule", "show").stdout.splitlines():
            pref, _, selector = line.partition(":")
            if pref not in ("0", "32766", "32767"):
                found.add((family, pref, " ".join(selector.split()).replace(" proto keepalived", "")))
    return found


def test_rules_numbered_as_keepalived_numbers_them(lab: Lab, tmp_path: Path) -> None:
    theirs_ns, ours_ns = _host(lab, "rka"), _host(lab, "ral")
    theirs = start_keepalived(theirs_ns, CONF, tmp_path / "ka")
    ours = start_alived(ours_ns, CONF, tmp_path / "al")
    try:
        for ns, what in ((theirs_ns, "keepalived"), (ours_ns, "alived")):
            wait_for(lambda ns=ns: _rules(ns) >= WANTED, timeout=40, what=f"{what}'s rules")
        assert _rules(ours_ns) == _rules(theirs_ns) == WANTED
    finally:
        lab.kill(theirs.proc)
        lab.kill(ours.proc)
