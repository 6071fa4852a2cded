"""One small config per keyword alived knows, with the keyword given bare (no parameter).

keepalived 2.2.7 reads most parameters without checking that they are there, and then gives up
(`*** Configuration line starting ... is missing a parameter`, exit 2, even for the daemon); some of
its handlers check and only report. expected.json holds keepalived's verdict for each case (recorded
by `python -m tests.corpus.bare.record`, root, in a namespace with eth0..eth3), so the fast tier
can check alived's verdict for every keyword.

Each keyword is placed inside the smallest valid context for its block; a block keyword is given
with an empty `{ }` instead.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from alived.config import keywords
from alived.config.sections.common import Kw

EXPECTED = Path(__file__).resolve().parent / "expected.json"

_CHECKERS = ("TCP_CHECK", "SMTP_CHECK", "DNS_CHECK", "UDP_CHECK", "PING_CHECK", "FILE_CHECK", "BFD_CHECK")

# How each block is opened (and closed) around the keyword under test.
OPEN: dict[str, tuple[str, str]] = {
    "global_defs": ("global_defs {\n", "}\n"),
    "track_group": ("track_group tg {\n", "}\n"),
    "garp_group": ("garp_group {\n interface eth0\n", "}\n"),
    "vrrp_sync_group": ("vrrp_sync_group G {\n group {\n  VI_1\n }\n", "}\n"),
    "vrrp_instance": (
        "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n"
        " virtual_ipaddress {\n  192.0.2.1\n }\n",
        "}\n",
    ),
    "authentication": (" authentication {\n", " }\n"),
    "auth_hmac": (" auth_hmac {\n", " }\n"),
    "vrrp_script": ('vrrp_script chk {\n script "/bin/true"\n', "}\n"),
    "track_file": ("track_file tf {\n file /tmp/alived-bare-tf\n", "}\n"),
    "vrrp_track_file": ("vrrp_track_file tf {\n file /tmp/alived-bare-tf\n", "}\n"),
    "vrrp_track_process": ("vrrp_track_process p {\n process foo\n", "}\n"),
    "bfd_instance": ("bfd_instance b {\n neighbor_ip 192.0.2.5\n", "}\n"),
    "SSL": ("SSL {\n", "}\n"),
    "virtual_server": (
        "virtual_server 192.0.2.10 80 {\n lb_kind DR\n protocol TCP\n real_server 192.0.2.21 80 {\n }\n",
        "}\n",
    ),
    "real_server": (" real_server 192.0.2.20 80 {\n", " }\n"),
    "url": ("  url {\n path /\n status_code 200\n", "  }\n"),
    "host": ("  host {\n", "  }\n"),
    "HTTP_GET": ("  HTTP_GET {\n url {\n path /x\n status_code 200\n }\n", "  }\n"),
    "SSL_GET": ("  SSL_GET {\n url {\n path /x\n status_code 200\n }\n", "  }\n"),
    "MISC_CHECK": ("  MISC_CHECK {\n misc_path /bin/true\n", "  }\n"),
    **{name: (f"  {name} {{\n", "  }\n") for name in _CHECKERS},
}
# A sync group needs its instance.
_INSTANCE = (
    "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n virtual_ipaddress {\n  192.0.2.1\n }\n}\n"
)


def _wrap(path: list[str], inner: str) -> str:
    text = inner
    for name in reversed(path):
        opening, closing = OPEN[name]
        text = opening + text + closing
    if "vrrp_sync_group" in path:
        text += _INSTANCE
    return text


def cases() -> Iterator[tuple[str, str]]:
    """(case id, config text) for every keyword of the tree, each block visited once per context."""
    seen: set[str] = set()

    def walk(table: Mapping[str, Kw], path: list[str]) -> Iterator[tuple[str, str]]:
        for name, kw in table.items():
            where = "/".join([*path, name])
            if kw.block is not None:
                context = f"{kw.block.name}@{'/'.join(path)}"
                if context in seen:
                    continue
                seen.add(context)
                yield f"{where} {{}}", _wrap(path, f"{name} {{\n}}\n")
                inner = kw.block.name if kw.block.name in OPEN else name
                yield from walk(kw.block.keywords, [*path, inner])
            elif kw.takes_block:
                yield where, _wrap(path, f"{name} {{\n}}\n")
            else:
                yield where, _wrap(path, f" {name}\n")

    yield from walk(keywords.ROOT, [])
