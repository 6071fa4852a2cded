"""keepalived's defaults written once (alived/defaults.py): the config model and the core agree.

A vrrp_instance that names no garp keyword runs with keepalived 2.2.7's GARP settings: two
bursts of 5 per address 5 s apart, and the lower-priority repeat taking the master repeat (5),
not a constant of its own (man 5 keepalived.conf: "default: vrrp_garp_master_repeat").
"""

from __future__ import annotations

from alived import defaults
from alived.config.load import load_text
from alived.core.vrrp.params import GarpParams
from alived.daemon.vrrp import dumps
from alived.daemon.vrrp.translate import translate
from alived.units import SECOND

CONF = """
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
  virtual_ipaddress { 192.0.2.100 }
}
"""


def _garp(conf: str) -> GarpParams:
    (plan,) = translate(load_text(conf).config, lambda _if, _fam: None, lambda _n, _r: None)
    return plan.params.garp


def test_an_instance_without_garp_keywords_runs_with_the_cores_defaults() -> None:
    assert _garp(CONF) == GarpParams()


def test_the_defaults_are_keepalived_s() -> None:
    assert GarpParams() == GarpParams(
        master_delay=5 * SECOND,
        master_repeat=5,
        master_refresh=0,
        refresh_repeat=1,
        lower_prio_delay=5 * SECOND,
        lower_prio_repeat=5,
    )
    assert defaults.GARP_LOWER_PRIO_REPEAT == defaults.GARP_MASTER_REPEAT


def test_lower_prio_repeat_follows_the_master_repeat_when_unset() -> None:
    garp = _garp(CONF.replace("priority 100", "priority 100\n  garp_master_repeat 2"))
    assert (garp.master_repeat, garp.lower_prio_repeat) == (2, 2)


def test_the_dumps_show_the_same_defaults_for_an_instance_without_garp_keywords() -> None:
    config = load_text(CONF).config
    inst = config.instance("VI_1")
    assert inst is not None
    assert dumps.config_view(inst, config, "eth0") == dumps.ConfigView()


def test_down_timer_adverts_is_one_number() -> None:
    (plan,) = translate(load_text(CONF).config, lambda _if, _fam: None, lambda _n, _r: None)
    assert (
        plan.params.down_timer_adverts == defaults.DOWN_TIMER_ADVERTS == dumps.ConfigView().down_timer_adverts
    )


def test_virtual_router_macs_are_recognised_in_one_place() -> None:
    from alived.core.vrrp.wire import virtual_mac
    from alived.defaults import is_virtual_router_mac

    assert is_virtual_router_mac(virtual_mac(51, 4)) and is_virtual_router_mac(virtual_mac(51, 6))
    assert not is_virtual_router_mac(bytes.fromhex("00005e000351"))
    assert not is_virtual_router_mac(bytes.fromhex("020000000001"))
