"""The netns helper itself: a LAN of namespaces passes traffic and is fully removed."""

from __future__ import annotations

import pytest

from tests.helpers.netns import Lab, run


@pytest.mark.netns
def test_lan_pings_and_cleans_up() -> None:
    lab = Lab()
    try:
        a, b = lab.netns("a"), lab.netns("b")
        lab.lan([a, b])
        a.ip("addr", "add", "192.0.2.1/24", "dev", "eth0")
        b.ip("addr", "add", "192.0.2.2/24", "dev", "eth0")
        assert a.exec("ping", "-c1", "-W2", "192.0.2.2", check=False).returncode == 0
        names = [ns.name for ns in lab.namespaces]
    finally:
        lab.close()
    listed = run(["ip", "netns", "list"]).stdout
    assert not any(n in listed for n in names)
