"""Which children the parent starts: keepalived's have_vrrp_config and the -P/-C/--all flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from alived.config.load import load_config
from alived.daemon.loader import has_vrrp_config
from alived.daemon.options import Options
from alived.daemon.supervisor import Supervisor

INSTANCE = """vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
  virtual_ipaddress {
    192.0.2.100/24
  }
}
"""


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("", False),
        ("global_defs {\n  router_id r1\n}\n", False),
        ("vrrp_script chk {\n  script /bin/true\n}\n", False),
        (INSTANCE, True),
        ("static_ipaddress {\n  192.0.2.5/24 dev eth0\n}\n", True),
        ("static_routes {\n  198.51.100.0/24 via 192.0.2.254\n}\n", True),
    ],
)
def test_vrrp_config_is_an_instance_or_a_static_address_route_or_rule(
    text: str, wanted: bool, tmp_path: Path
) -> None:
    (tmp_path / "k.conf").write_text(text)
    assert has_vrrp_config(load_config(tmp_path / "k.conf", interfaces={"eth0"}).config) is wanted


def test_the_vrrp_child_only_when_there_is_vrrp_config() -> None:
    def wants(has_vrrp: bool, **flags: bool) -> bool:
        return Supervisor(Options(**flags), has_vrrp=has_vrrp).wants_vrrp()  # type: ignore[arg-type]

    assert wants(True)
    assert not wants(False)
    assert not wants(True, check_only=True)
    assert wants(True, vrrp_only=True)
    assert wants(False, all_children=True)
