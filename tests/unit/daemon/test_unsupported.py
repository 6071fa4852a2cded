"""Features the daemon does not run yet are named at startup, not silently dropped."""

from __future__ import annotations

from alived.config.load import load_text
from alived.daemon.vrrp.unsupported import unsupported_notices

CONF = """
global_defs {
  notification_email { ops@example.com }
  enable_snmp_vrrp
}
track_file READY { file /tmp/ready weight 10 }
vrrp_track_process NGINX { process nginx }
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
  track_file { READY }
  track_process { NGINX }
  virtual_ipaddress { 192.0.2.100/24 }
}
virtual_server 192.0.2.100 80 {
  real_server 192.0.2.10 80 { TCP_CHECK { connect_timeout 3 } }
}
"""


def test_each_unsupported_feature_is_named() -> None:
    notices = unsupported_notices(load_text(CONF).config)
    text = "\n".join(notices)
    assert not any("track_file" in line for line in notices)  # track_file runs now
    assert not any("track_process" in line for line in notices)  # and track_process
    assert "e-mail" not in text  # smtp alerts are sent now
    assert "SNMP is not supported yet" in text
    assert "virtual_server" not in text  # the checker child runs them now


def test_a_plain_vrrp_config_has_no_notices() -> None:
    conf = "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n"
    conf += " virtual_ipaddress { 192.0.2.1 }\n}\n"
    assert unsupported_notices(load_text(conf).config) == []
