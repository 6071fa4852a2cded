"""tests/helpers/dumpdiff.py's reading of keepalived.data: entries keyed by name or rank, values by shape."""

from __future__ import annotations

from tests.helpers.dumpdiff import data_paths

KEEPALIVED = """------< VRRP Sockpool >------
 fd_in 12 fd_out = 13
   Interface = eth0
   VRRP instances
     VI_1 vrid 51
------< VRRP Scripts >------
 VRRP Script = chk
   Result = 1
   VRRP instances :
   Tracking instances :
     VI_1, weight 0
   State = idle
------< Interfaces >------
 Name = lo
   State = UP, RUNNING, no broadcast, loopback, no multicast
 Name = eth0
   IPv6 address = fe80::d828:bcff:fe81:cb28
   MAC = da:28:bc:81:cb:28
   State = UP, RUNNING
   Tracking VRRP instances :
     VI_1, weight 0
"""


def test_section_entries_are_keyed_by_name_or_rank() -> None:
    paths = data_paths(KEEPALIVED)
    assert paths["data:VRRP Sockpool/socket 1/fd_in N fd_out"] == "N"
    assert paths["data:VRRP Sockpool/socket 1/Interface"] == "ethN"
    assert paths["data:VRRP Sockpool/socket 1/VI_N vrid N"] == ""
    assert paths["data:VRRP Scripts/chk/Tracking instances"] == "list"
    assert paths["data:VRRP Scripts/chk/State"] == "flag"  # idle or running: when the dump came
    # Each interface keeps its own State: lo's is not overwritten by eth0's.
    assert paths["data:Interfaces/lo/State"] == "UP, RUNNING, no broadcast, loopback, no multicast"
    assert paths["data:Interfaces/eth0/State"] == "UP, RUNNING"
    assert paths["data:Interfaces/eth0/Tracking VRRP instances"] == "list"


def test_mac_and_ipv6_addresses_have_one_shape_whatever_their_digits() -> None:
    other = KEEPALIVED.replace("fe80::d828:bcff:fe81:cb28", "fe80::1").replace("da:28:bc", "02:00:00")
    mine, theirs = data_paths(KEEPALIVED), data_paths(other)
    for key in ("data:Interfaces/eth0/IPv6 address", "data:Interfaces/eth0/MAC"):
        assert mine[key] == theirs[key] == "X"
