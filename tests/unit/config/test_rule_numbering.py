"""Rules written without a preference: keepalived 2.2.7 numbers them as it reads the file.

Checked against the binary's `-t`: one count per address family, down from 16384, in file order
across static_rules and every instance's virtual_rules; a rule's protocol is a decimal number.
"""

from __future__ import annotations

from collections.abc import Callable

from alived.config.load import LoadResult

Load = Callable[..., LoadResult]

TEXT = """vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  virtual_ipaddress {
    192.0.2.100/24
  }
  virtual_rules {
    from 192.0.2.20 table 100
    from 2001:db8::20 table 100
  }
}
static_rules {
  from 192.0.2.30 table 102
  to 198.51.100.0/24 table 102 preference 50
  to 2001:db8::/64 table 102
  table 103
}
"""


def _prefs(result: LoadResult) -> list[tuple[str, int | None]]:
    inst = result.config.instances[0]
    rules = (*inst.virtual_rules, *result.config.static_rules)
    return [(str(r.from_ or r.to or r.table), r.preference) for r in rules]


def test_rules_are_numbered_in_file_order_per_family(load: Load) -> None:
    result = load(TEXT)
    assert _prefs(result) == [
        ("192.0.2.20/32", 16384),
        ("2001:db8::20/128", 16384),
        ("192.0.2.30/32", 16383),
        ("198.51.100.0/24", 50),
        ("2001:db8::/64", 16383),
        ("103", 16382),
    ]
    notes = [
        (d.location.line, d.message) for d in result.diagnostics if d.location and "preference" in d.message
    ]
    assert notes == [
        (line, f"Rule has no preference specified - setting to {pref}. This is probably not what you want.")
        for line, pref in ((8, 16384), (9, 16384), (13, 16383), (15, 16383), (16, 16382))
    ]


def test_a_rule_protocol_is_a_decimal_number(load: Load) -> None:
    text = """static_rules {
  from 192.0.2.31 table 102 preference 1 protocol keepalived
  from 192.0.2.32 table 102 preference 2 protocol 0x12
  from 192.0.2.33 table 102 preference 3 protocol 300
  from 192.0.2.34 table 102 preference 4 protocol 18
}
"""
    result = load(text)
    assert [(d.location.line if d.location else 0, d.message) for d in result.problems] == [
        (2, "invalid number 'keepalived'"),
        (2, "Invalid protocol keepalived"),
        (3, "invalid number '0x12'"),
        (3, "Invalid protocol 0x12"),
        (4, "number '300' outside range [0, 255]"),
        (4, "Invalid protocol 300"),
    ]
    # the rules are kept, without the protocol keepalived could not read
    assert [dict(r.options).get("protocol") for r in result.config.static_rules] == [None, None, None, "18"]
