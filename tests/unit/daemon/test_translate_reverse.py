"""A track entry without reverse/noreverse keeps the tracked object's own sense, as keepalived does.

keepalived's alloc_track_script/alloc_track_file start from the object's weight and reverse and
change the reverse only when the entry names `reverse` or `noreverse` after its weight.
"""

from __future__ import annotations

from alived.config.load import load_text
from alived.daemon.vrrp.translate import translate

CONF = """
vrrp_script chk {
  script "/bin/true"
  weight -20 reverse
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
  track_script {
    chk weight 30
  }
  virtual_ipaddress { 192.0.2.100 }
}
"""


def _spec(entry: str) -> tuple[int, bool]:
    config = load_text(CONF.replace("chk weight 30", entry)).config
    (plan,) = translate(config, lambda _if, _fam: None, lambda _n, _r: None)
    (spec,) = [t for t in plan.params.trackers if str(t.key) == "script:chk"]
    return spec.weight, spec.reverse


def test_weight_without_a_word_keeps_the_scripts_reverse() -> None:
    assert _spec("chk weight 30") == (30, True)


def test_noreverse_and_reverse_words_win() -> None:
    assert _spec("chk weight 30 noreverse") == (30, False)
    assert _spec("chk weight 30 reverse") == (30, True)


def test_no_weight_takes_the_scripts_weight_and_sense() -> None:
    assert _spec("chk") == (-20, True)
