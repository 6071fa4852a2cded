"""keepalived 2.2.7's defaults that more than one layer carries, each written once.

A stdlib-only leaf (besides units): the config model fills its fields from it and the core's
parameter objects take it as their own defaults, so the two cannot drift apart again. Values
as keepalived's vrrp.h / global_data.c and `man 5 keepalived.conf`.
"""

from __future__ import annotations

from typing import Final

from alived.units import SECOND, Ticks

# Gratuitous ARP / unsolicited NA (vrrp_garp_* in global_defs, garp_* in a vrrp_instance).
GARP_MASTER_DELAY: Final = Ticks(5 * SECOND)  # second burst after becoming master
GARP_MASTER_REPEAT: Final = 5  # messages per address per burst
GARP_MASTER_REFRESH: Final = Ticks(0)  # periodic refresh while master: off
GARP_MASTER_REFRESH_REPEAT: Final = 1
# A master hearing a lower-priority advert: unset, these take the master_delay / master_repeat
# in force (not a constant of their own); strict mode sets the repeat to 0.
GARP_LOWER_PRIO_DELAY: Final = GARP_MASTER_DELAY
GARP_LOWER_PRIO_REPEAT: Final = GARP_MASTER_REPEAT

# Adverts a backup misses before it takes over (RFC 9568's 3; vrrp_down_timer_adverts).
DOWN_TIMER_ADVERTS: Final = 3

# RFC 5798 section 7.3: the virtual router MACs 00:00:5e:00:01:VRID (IPv4) and 00:00:5e:00:02:VRID
# (IPv6). The core builds them; the config check refuses them as a configured use_vmac MAC.
VMAC_OUI: Final = b"\x00\x00\x5e\x00"
VMAC_FAMILY_OCTET: Final = {4: 1, 6: 2}


def is_virtual_router_mac(mac: bytes) -> bool:
    """Whether `mac` is one of RFC 5798's virtual router MACs (either family)."""
    return mac[:4] == VMAC_OUI and mac[4:5] in (b"\x01", b"\x02")
