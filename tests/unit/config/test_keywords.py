"""The keyword tree covers keepalived's whole vocabulary and agrees with the model's fields."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping

from alived.config import model, model_check
from alived.config.keywords import ROOT, ROOT_GLOBALS, all_keywords
from alived.config.sections.common import Kw
from tests.helpers.shared import shared

FACTS = shared("reference", "keepalived-facts.md")


def appendix_a_keywords() -> set[str]:
    text = FACTS.read_text()
    appendix = text[text.index("## Appendix A") :]
    words: set[str] = set()
    for line in appendix.splitlines():
        if line.startswith("* `"):
            words |= set(re.findall(r"[A-Za-z_][A-Za-z0-9_\-]*", line.split(":", 1)[1]))
    words.discard("checkers")  # "+ checkers" in the prose, not a keyword
    return words


def test_every_keepalived_keyword_is_known() -> None:
    missing = appendix_a_keywords() - all_keywords()
    assert not missing


def _fields(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


def test_root_keywords_land_in_model_fields() -> None:
    config_fields = _fields(model.Config)
    global_fields = _fields(model.GlobalDefs)
    for name, kw in ROOT.items():
        if name in ROOT_GLOBALS:
            assert kw.target in global_fields, name
        else:
            assert kw.target in config_fields, name


def test_block_keywords_land_in_model_fields() -> None:
    from alived.config import keywords as k

    pairs: list[tuple[Mapping[str, Kw], type]] = [
        (k.GLOBAL_DEFS.keywords, model.GlobalDefs),
        (k.VRRP_INSTANCE.keywords, model.VrrpInstance),
        (k.SYNC_GROUP.keywords, model.VrrpSyncGroup),
        (k.VRRP_SCRIPT.keywords, model.VrrpScript),
        (k.TRACK_FILE.keywords, model.TrackFile),
        (k.TRACK_PROCESS.keywords, model.TrackProcess),
        (k.BFD_INSTANCE.keywords, model.BfdInstance),
        (k.VIRTUAL_SERVER.keywords, model.VirtualServer),
        (k.REAL_SERVER.keywords, model.RealServer),
        (k.URL.keywords, model_check.UrlCheck),
        (k.SSL.keywords, model.SslConfig),
        (k.AUTHENTICATION.keywords, model.Authentication),
        *((spec.keywords, model_check.CHECKER_TYPES[name]) for name, spec in k.CHECKERS.items()),
    ]
    for table, cls in pairs:
        names = _fields(cls)
        for name, kw in table.items():
            assert kw.target in names or name in _SETS_OTHER_FIELDS, (cls.__name__, name)


# Keywords whose parser sets differently named fields (Set results).
_SETS_OTHER_FIELDS = {
    "weight",
    "user",
    "garp_extra_if",
    "vmac_garp_intvl",
    "vrrp_garp_extra_if",
    "vrrp_vmac_garp_intvl",
    "smtp_server",
    "script_user",
    "dynamic_interfaces",
    "vrrp_min_garp",
    "init_file",
    "notify_deleted",
    "protocol",
}


def test_deprecated_aliases_share_their_field() -> None:
    from alived.config import keywords as k

    vs = k.VIRTUAL_SERVER.keywords
    assert vs["lvs_sched"].target == vs["lb_algo"].target
    assert vs["lb_kind"].target == vs["lvs_method"].target
    assert ROOT["vrrp_track_file"].target == ROOT["track_file"].target
    http = k.CHECKERS["HTTP_GET"].keywords
    assert http["nb_get_retry"].target == "retry"
    assert http["nb_get_retry"].deprecated
