"""daemon/lb_params.py: config -> ServiceParams, the backend choice and the config test's report."""

from __future__ import annotations

from pathlib import Path

import pytest

from alived import cli
from alived.config.load import load_config
from alived.config.model import Config
from alived.core.lb.granularity import Netmask
from alived.core.lb.model import Forwarding, RealServerHealth, ServiceKey, Tunnel, build_service
from alived.daemon.check.lb_sink import params_by_name
from alived.daemon.lb_params import backend_report, choose_backend, service_params

CONF = """
global_defs {
  lvs_backend nftables
}
virtual_server_group WEB {
  203.0.113.10-11 8080
  fwmark 7
}
virtual_server 203.0.113.10 80 {
  lb_algo wlc
  lb_kind NAT
  protocol TCP
  persistence_timeout 60
  persistence_granularity 255.255.255.0
  quorum 2
  hysteresis 1
  sorry_server 198.51.100.99 80
  real_server 198.51.100.11 80 { weight 2 }
  real_server 198.51.100.12 { weight 1
    inhibit_on_failure }
  real_server 198.51.100.11 80 { weight 9 }
}
virtual_server fwmark 5 {
  lb_algo sh
  sh-port
  lb_kind DR
  real_server 198.51.100.11 80 { }
}
virtual_server group WEB {
  protocol TCP
  lb_algo mh
  mh-fallback
  lb_kind TUN type gue port 6080
  real_server 198.51.100.13 8080 { }
}
"""


def load(tmp_path: Path, text: str = CONF) -> Config:
    path = tmp_path / "k.conf"
    path.write_text(text)
    return load_config(path).config


def test_translation_follows_keepalived_port_and_weight_rules(tmp_path: Path) -> None:
    params = {p.key: p for p in service_params(load(tmp_path))}
    web = params[ServiceKey(protocol="TCP", address="203.0.113.10", port=80)]
    assert (web.lb_algo, web.persistence_timeout, web.persistence_granularity) == ("wlc", 60, 24)
    assert (web.quorum, web.hysteresis) == (2, 1)
    # The duplicate real server is dropped; a NAT real server without a port takes the VS's.
    assert [(r.address, r.port, r.weight, r.inhibit_on_failure) for r in web.real_servers] == [
        ("198.51.100.11", 80, 2, False),
        ("198.51.100.12", 80, 1, True),
    ]
    assert web.sorry_server is not None and web.sorry_server.port == 80
    fw = params[ServiceKey(fwmark=5)]
    assert fw.flags == frozenset({"sh-port"})
    assert [(r.port, r.forwarding) for r in fw.real_servers] == [(0, Forwarding.DR)]


def test_a_group_expands_to_each_address_and_fwmark(tmp_path: Path) -> None:
    keys = [p.key for p in service_params(load(tmp_path))]
    assert ServiceKey(protocol="TCP", address="203.0.113.11", port=8080) in keys
    assert ServiceKey(fwmark=7) in keys
    group = next(p for p in service_params(load(tmp_path)) if p.key.port == 8080)
    assert group.flags == frozenset({"mh-fallback"})
    rs = group.real_servers[0]
    assert rs.forwarding == Forwarding.TUN and rs.tunnel is not None
    assert (rs.tunnel.type, rs.tunnel.port) == ("gue", 6080)


def test_params_build_a_service_with_health(tmp_path: Path) -> None:
    web = service_params(load(tmp_path))[0]
    vs = build_service(web, {("198.51.100.11", 80): RealServerHealth(alive=True)})
    assert [(r.address, r.weight) for r in vs.real_servers] == [("198.51.100.11", 2), ("198.51.100.12", 0)]


@pytest.mark.parametrize(
    ("setting", "override", "has_ipvs", "expected"),
    [
        ("auto", None, False, "nftables"),
        ("auto", None, True, "ipvs"),
        ("ipvs", None, False, "ipvs"),
        ("ipvs", "nftables", True, "nftables"),
        ("nftables", "auto", True, "ipvs"),
    ],
)
def test_backend_choice(setting: str, override: str | None, has_ipvs: bool, expected: str) -> None:
    assert choose_backend(setting, override, kernel_has_ipvs=has_ipvs).name == expected


def test_config_test_names_the_backend_and_warns_what_nftables_cannot_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "k.conf"
    path.write_text(CONF)
    # 5: the duplicated real server (keepalived's verdict); the report adds no problem of its own.
    assert cli.main(["-t", "-f", str(path)]) == 5
    err = capsys.readouterr().err
    assert "Load balancer backend: nftables (lvs_backend nftables)" in err
    assert "lb_algo wlc needs live connection counts; nftables has none: runs as wrr" in err
    assert "FWM 5: lb_kind DR by fwmark is not available" in err
    assert "[203.0.113.11]:tcp:8080: lb_kind TUN is not available" in err
    assert cli.main(["-t", "-f", str(path), "--lvs-backend", "ipvs"]) == 5
    err = capsys.readouterr().err
    assert "Load balancer backend: ipvs (--lvs-backend ipvs)" in err
    # IPVS does all of it: none of the nftables warnings (keepalived's own config warnings remain).
    assert "is not available" not in err and "runs as" not in err and "nftables" not in err
    assert (
        backend_report(load(tmp_path, "vrrp_sync_group G { group { } }\n"), choose_backend("auto", None))
        == []
    )


def test_dr_on_nftables_is_said_to_be_stateless(tmp_path: Path) -> None:
    text = (
        "virtual_server 203.0.113.10 80 {\n lb_algo rr\n lb_kind DR\n real_server 198.51.100.11 80 { }\n}\n"
    )
    report = backend_report(load(tmp_path, text), choose_backend("nftables", None))
    assert any("lb_kind DR on nftables forwards at ingress" in line for line in report), report


def test_bad_lvs_backend_value_is_a_diagnostic(tmp_path: Path) -> None:
    path = tmp_path / "k.conf"
    path.write_text("global_defs {\n  lvs_backend bpf\n}\n")
    result = load_config(path)
    assert result.exit_code == 5
    assert any("lvs_backend" in str(d) for d in result.diagnostics)
    assert result.config.global_defs.lvs_backend == "auto"


SIP_CONF = """
virtual_server 203.0.113.10 5060 {
  lb_algo rr
  lb_kind NAT
  protocol UDP
  persistence_timeout 60
  persistence_engine sip
  real_server 198.51.100.11 5060 { }
}
"""


def test_persistence_engine_is_carried_and_warned_on_nftables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (p,) = service_params(load(tmp_path, SIP_CONF))
    assert p.persistence_engine == "sip"
    health = {rs.key: RealServerHealth(alive=True) for rs in p.real_servers}
    assert build_service(p, health).persistence_engine == "sip"  # what IPVS is given
    path = tmp_path / "sip.conf"
    path.write_text(SIP_CONF)
    assert cli.main(["-t", "-f", str(path), "--lvs-backend", "nftables"]) == 0
    err = capsys.readouterr().err
    assert (
        "WARNING - [203.0.113.10]:udp:5060: persistence_engine sip has no nftables equivalent (nftables "
        "cannot match a SIP Call-ID in the payload): it is ignored, persistence stays by the client "
        "address (masked by persistence_granularity)"
    ) in err
    assert cli.main(["-t", "-f", str(path), "--lvs-backend", "ipvs"]) == 0
    assert "persistence_engine" not in capsys.readouterr().err


TUN_CONF = """virtual_server 203.0.113.10 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 198.51.100.11 80 { }
  real_server 198.51.100.12 80 {
    lvs_method TUN type gue port 6080
  }
}
virtual_server 203.0.113.11 80 {
  lb_algo rr
  lb_kind TUN
  protocol TCP
  real_server 198.51.100.13 80 { }
}
"""


def test_tun_on_nftables_is_an_error_naming_the_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "tun.conf"
    path.write_text(TUN_CONF)
    # keepalived's verdict on this file is clean (IPVS runs TUN); the report says what nftables cannot.
    assert cli.main(["-t", "-f", str(path), "--lvs-backend", "nftables"]) == 0
    err = capsys.readouterr().err
    # The real server that asks for TUN, and the virtual server whose lb_kind is TUN.
    assert (
        f"({path}: Line 6) ERROR - [203.0.113.10]:tcp:80: lb_kind TUN is not available with the nftables"
        in err
    )
    assert f"({path}: Line 10) ERROR - [203.0.113.11]:tcp:80: lb_kind TUN is not available" in err
    assert "use lvs_backend ipvs on a kernel with ip_vs" in err
    assert err.count("ERROR - ") == 2
    assert cli.main(["-t", "-f", str(path), "--lvs-backend", "ipvs"]) == 0
    assert "TUN" not in capsys.readouterr().err


def test_each_real_server_keeps_its_own_forwarding(tmp_path: Path) -> None:
    # The forwarding is worked out once per lvs_method object and reused: a real server with
    # its own lvs_method must not take its virtual server's, nor the other way round.
    config = load(tmp_path, TUN_CONF + TUN_CONF.replace("203.0.113.1", "203.0.113.2"))
    for services in (service_params(config), [p for ps in params_by_name(config).values() for p in ps]):
        assert [[(rs.address, rs.forwarding, rs.tunnel) for rs in p.real_servers] for p in services] == 2 * [
            [
                ("198.51.100.11", Forwarding.NAT, None),
                ("198.51.100.12", Forwarding.TUN, Tunnel(type="gue", port=6080, csum="nocsum")),
            ],
            [("198.51.100.13", Forwarding.TUN, Tunnel(type="ipip", port=0, csum="nocsum"))],
        ]


GRANULARITY_CONF = """
virtual_server 203.0.113.10 80 {
  protocol TCP
  persistence_granularity 255.0.255.0
  real_server 198.51.100.11 80 { }
}
virtual_server 203.0.113.10 81 {
  protocol TCP
  persistence_granularity 255.255.255
  real_server 198.51.100.11 81 { }
}
virtual_server fwmark 1 {
  ip_family inet
  persistence_granularity 0xffff0000
  real_server 198.51.100.11 80 { }
}
virtual_server fwmark 2 {
  ip_family inet
  persistence_granularity 24
  real_server 198.51.100.11 80 { }
}
virtual_server 2001:db8::10 80 {
  protocol TCP
  persistence_granularity 64
  real_server 2001:db8::11 80 { }
}
"""


def test_any_ipv4_netmask_is_carried_as_keepalived_reads_it(tmp_path: Path) -> None:
    """keepalived 2.2.7 takes any mask inet_aton reads, solid or not, and passes it to IPVS."""
    path = tmp_path / "k.conf"
    path.write_text(GRANULARITY_CONF)
    loaded = load_config(path)
    assert [d.message for d in loaded.diagnostics if "granularity" in d.message] == []
    got = {p.key: p.persistence_granularity for p in service_params(loaded.config)}
    assert got == {
        ServiceKey(protocol="TCP", address="203.0.113.10", port=80): Netmask(0xFF00FF00),
        ServiceKey(protocol="TCP", address="203.0.113.10", port=81): Netmask(0xFFFF00FF),  # 255.255.0.255
        ServiceKey(fwmark=1): 16,  # solid: its prefix length
        ServiceKey(fwmark=2): Netmask(24),  # 0.0.0.24 in an IPv4 service, as inet_aton reads it
        ServiceKey(family=6, protocol="TCP", address="2001:db8::10", port=80): 64,
    }
