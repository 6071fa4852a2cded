"""Words and places keepalived 2.2.7's `-t` gives, checked against the binary: the loopback
refusal where the interface line is read, a missing VIP interface naming the address as written,
a real server of the other family skipped."""

from __future__ import annotations

from collections.abc import Callable

from alived.config.load import LoadResult

Load = Callable[..., LoadResult]


def _said(result: LoadResult) -> list[tuple[int, str]]:
    return [(d.location.line if d.location else 0, d.message) for d in result.diagnostics]


def test_loopback_refused_where_the_interface_is_read(load: Load) -> None:
    text = """vrrp_instance VI_1 {
  foo_a 1
  interface lo
  virtual_router_id 51
  bar_b 2
  virtual_ipaddress {
    192.0.2.10/24
  }
}
"""
    assert _said(load(text))[:3] == [
        (2, "Unknown keyword 'foo_a'"),
        (3, "(VI_1) cannot use a loopback interface (lo) for vrrp - ignoring"),
        (5, "Unknown keyword 'bar_b'"),
    ]


def test_a_missing_vip_interface_names_the_address_as_written(load: Load) -> None:
    text = """static_ipaddress {
  192.0.2.20 dev eth9
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  virtual_ipaddress {
    192.0.2.10/24 dev eth9
    192.0.2.11 dev eth9
  }
}
"""
    said = [m for _, m in _said(load(text)) if "for ip address" in m]
    assert said == [
        f"WARNING - interface eth9 for ip address {a} doesn't exist"
        for a in ("192.0.2.10/24", "192.0.2.11", "192.0.2.20")
    ]


def test_a_real_server_of_the_other_family_is_skipped(load: Load) -> None:
    text = """virtual_server 2001:db8::10 80 {
  lb_algo rr
  protocol TCP
  real_server 192.0.2.5 80 {
    weight 1
  }
  real_server 2001:db8::5 80 {
  }
}
virtual_server fwmark 2 {
  lb_algo rr
  real_server 2001:db8::8 80 {
  }
  real_server 192.0.2.8 80 {
  }
}
"""
    result = load(text)
    skip = "Address family of virtual server and real server {} don't match - skipping real server."
    assert [(line, m) for line, m in _said(result) if m.startswith("Address family")] == [
        (6, skip.format("192.0.2.5")),
        (15, skip.format("192.0.2.8")),
    ]
    kept = [[str(rs.address) for rs in vs.real_servers] for vs in result.config.virtual_servers]
    assert kept == [["2001:db8::5"], ["2001:db8::8"]]


def test_a_tunnelled_real_server_may_be_of_either_family(load: Load) -> None:
    text = """virtual_server 2001:db8::11 80 {
  lb_algo rr
  lb_kind TUN
  protocol TCP
  real_server 192.0.2.6 80 {
    lvs_method NAT
  }
  real_server 192.0.2.7 80 {
  }
}
virtual_server fwmark 1 {
  lb_algo rr
  real_server 192.0.2.5 80 {
    lvs_method TUN
  }
  real_server 2001:db8::5 80 {
  }
}
"""
    result = load(text)
    assert [(line, m[:40]) for line, m in _said(result) if m.startswith("Address family")] == [
        (7, "Address family of virtual server and rea"),
    ]
    kept = [[str(rs.address) for rs in vs.real_servers] for vs in result.config.virtual_servers]
    assert kept == [["192.0.2.7"], ["192.0.2.5", "2001:db8::5"]]
