"""SIGHUP in the VRRP child without a kernel: what is refused, what is kept, what is changed in place.

The child is built by hand (plans, instances, a fake netlink) as the other daemon unit tests do;
the kernel side of a reload is covered by tests/netns/test_daemon_reload.py.
"""

from __future__ import annotations

import logging
from ipaddress import IPv4Address
from pathlib import Path

import pytest

from alived.config.load import load_text
from alived.core.vrrp.actions import SendGratuitous
from alived.core.vrrp.states import State
from alived.daemon.options import Options
from alived.daemon.vrrp import reload as reload_module
from alived.daemon.vrrp.child import VrrpChild
from alived.daemon.vrrp.reload import reload
from alived.daemon.vrrp.translate import translate
from alived.linux.netlink import AddressSpec
from tests.helpers.fake_linux import FakeNetlink

SRC = IPv4Address("192.0.2.1")


def conf(*vips: str, keyword: str = "vrrp_instance", global_extra: str = "", extra: str = "") -> str:
    lines = "".join(f"    {v}\n" for v in vips)
    return f"""global_defs {{
  router_id r1
{global_extra}}}
{keyword} VI_1 {{
  state MASTER
  interface eth0
  virtual_router_id 51
  priority 150
  advert_int 1
{extra}  virtual_ipaddress {{
{lines}  }}
}}
"""


def running_child(tmp_path: Path, text: str) -> VrrpChild:
    """A child running `text` (already written to its config file), its instance MASTER."""
    path = tmp_path / "keepalived.conf"
    path.write_text(text)
    child = VrrpChild(Options(config_file=str(path)))
    netlink = FakeNetlink()
    netlink.add_link("eth0")
    netlink.add_fake_address(AddressSpec(address=SRC, prefixlen=24, dev="eth0"))
    child.netlink = netlink  # type: ignore[assignment]
    config = load_text(text, interfaces={"eth0"}).config
    child.config = config
    child.plans = {p.name: p for p in translate(config, child.primary_address)}
    child.build_units(config, set(child.plans))
    child.instances["VI_1"].state = State.MASTER
    return child


def fail(*args: object, **kwargs: object) -> object:
    raise RuntimeError("injected fault")


def test_an_exception_in_translate_keeps_the_running_config_and_logs_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    child = running_child(tmp_path, conf("192.0.2.100/24"))
    config, plans, instance = child.config, dict(child.plans), child.instances["VI_1"]
    (tmp_path / "keepalived.conf").write_text(conf("192.0.2.100/24", "192.0.2.101/24"))
    monkeypatch.setattr(reload_module, "translate", fail)
    with caplog.at_level(logging.INFO):
        assert reload(child) is False
    assert child.config is config and child.plans == plans and child.instances["VI_1"] is instance
    assert "Reload failed (RuntimeError: injected fault): keeping the running configuration" in caplog.text
    assert "Reload complete" not in caplog.text


def test_an_exception_while_applying_is_logged_and_the_child_carries_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    child = running_child(tmp_path, conf("192.0.2.100/24"))
    (tmp_path / "keepalived.conf").write_text(conf("192.0.2.100/24").replace("priority 150", "priority 140"))
    monkeypatch.setattr(child.actions, "open_fifos", fail)
    with caplog.at_level(logging.INFO):
        assert reload(child) is False
    assert "Reload failed while applying the new configuration" in caplog.text
    assert child.actions.handover == {} and child.actions.quiet == set() and child.actions.deleting == set()


def test_reload_check_config_refuses_a_file_with_errors(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    check_log = tmp_path / "check.log"
    g = f"  reload_check_config {check_log}\n"
    child = running_child(tmp_path, conf("192.0.2.100/24", global_extra=g))
    config = child.config
    (tmp_path / "keepalived.conf").write_text(conf("192.0.2.100/24", keyword="vrrp_instanc", global_extra=g))
    with caplog.at_level(logging.INFO):
        assert reload(child) is False
    assert child.config is config and set(child.instances) == {"VI_1"}
    assert "validate conf before Reload" in caplog.text
    assert f"New config failed validation, see {check_log} for details" in caplog.text
    assert "Unknown keyword 'vrrp_instanc'" in check_log.read_text()


def test_bare_reload_check_config_reports_dev_null(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    g = "  reload_check_config\n"
    child = running_child(tmp_path, conf("192.0.2.100/24", global_extra=g))
    (tmp_path / "keepalived.conf").write_text(conf("192.0.2.100/24", keyword="vrrp_instanc", global_extra=g))
    with caplog.at_level(logging.INFO):
        assert reload(child) is False
    assert "New config failed validation, see /dev/null for details" in caplog.text


def test_vip_change_is_applied_in_place_on_a_master(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    child = running_child(tmp_path, conf("192.0.2.100/24", "192.0.2.101/24"))
    instance = child.instances["VI_1"]
    garps: list[SendGratuitous] = []
    monkeypatch.setattr(child.actions.announcer, "send_gratuitous", lambda name, action: garps.append(action))
    (tmp_path / "keepalived.conf").write_text(conf("192.0.2.100/24", "192.0.2.102/24"))
    with caplog.at_level(logging.DEBUG):
        assert reload(child) is True
    assert child.instances["VI_1"] is instance and instance.state is State.MASTER
    assert instance.params.addresses == (IPv4Address("192.0.2.100"), IPv4Address("192.0.2.102"))
    netlink = child.netlink
    assert isinstance(netlink, FakeNetlink)
    changed = [(op, arg.address) for op, arg in netlink.ops if isinstance(arg, AddressSpec)]
    assert changed == [("addr_del", IPv4Address("192.0.2.101")), ("addr_add", IPv4Address("192.0.2.102"))]
    assert "(VI_1) ip address 192.0.2.101/24 dev eth0, no longer exist" in caplog.text
    assert "(VI_1) setting VIPs." in caplog.text
    for transition in ("sent 0 priority", "removing VIPs", "Entering BACKUP", "Entering MASTER"):
        assert transition not in caplog.text
    # keepalived sends one round of GARPs for every VIP once one was added.
    assert [(g.addresses, g.repeat) for g in garps] == [
        ((IPv4Address("192.0.2.100"), IPv4Address("192.0.2.102")), 5)
    ]


def test_unsupported_features_are_noticed_on_reload(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    child = running_child(tmp_path, conf("192.0.2.100/24"))
    (tmp_path / "keepalived.conf").write_text(conf("192.0.2.100/24", global_extra="  enable_dbus\n"))
    with caplog.at_level(logging.INFO):
        assert reload(child) is True
    assert "DBus is not supported yet: enable_dbus ignored" in caplog.text


def test_what_a_socket_must_receive_is_in_its_key() -> None:
    """AH vs VRRP and the multicast group pick the socket, as keepalived's socket pool."""

    def key(extra: str) -> object:
        config = load_text(conf("192.0.2.100/24", extra=extra), interfaces={"eth0"}).config
        (plan,) = translate(config, lambda ifname, family: SRC)
        return plan.socket_key

    plain = key("")
    assert plain == ("eth0", 4, False, IPv4Address("224.0.0.18"), "vrrp")
    assert key("  authentication {\n    auth_type AH\n    auth_pass k\n  }\n")[4] == "ah"  # type: ignore[index]
    assert key("  mcast_dst_ip 224.0.0.19\n")[3] == IPv4Address("224.0.0.19")  # type: ignore[index]
    assert key("  unicast_peer {\n    192.0.2.2\n  }\n")[2:4] == (True, None)  # type: ignore[index]
