"""Differential check against the real keepalived 2.2.7 (`keepalived -t`, installed on CI).

Netns tier: keepalived runs in private network and mount namespaces (`unshare -n -m`, root).

At the top level every line whose first word is not a root keyword gives
`(Line N) Unknown keyword 'WORD'`, so a config made only of such lines makes keepalived print
the first word and line number of every logical line it produced. Together with the lexical
messages (quotes, ~SEQ, ~LST, includes) that is compared with our Lines and diagnostics.

Known, deliberate differences are not checked here (see the unit tests): alived keeps `${_HASH}` /
`\\#` literal after substitution, expands `$X=@id` conditionals as man5 documents (2.2.7 does not),
and reports over-long lines and NULs (2.4 behaviour).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from alived.config.preprocess import preprocess_text

pytestmark = pytest.mark.netns

_PARENT_LINE = re.compile(r"^\(Line (\d+)\) (.*)$")

CASES = [
    "aa 1\n bb 2 # c\ncc\\#d ! e\n",
    "$A=1\naa$A $A\nbb ${A}x\n",
    "$A=x # y\n$A q\n",
    "@nodeA aa\n@^nodeA bb\n@nodeB cc\n@^nodeB dd\n@nodeA\n",
    "~SEQ(N,1,3) aa$N\n",
    "~SEQ(N, 3) aa$N\n~SEQ(N,-2) bb$N\n~SEQ(N,5,3) cc$N\n~SEQ(N,010,011) dd$N\n~SEQ(N,0) ee$N\n",
    "~SEQx(N,0x90,0x10,0xc0) aa$N\n~SEQx(AD2, 0x90, 0x10, 0xa0) ~SEQx(AD1, 0x12, -1, 0x10) f${AD2}:${AD1}\n",
    "~LST({A,B},{1,2},{3,4}) aa${A}.${B}\n~LST({A,B},{1},{3,4}) bb${A}.${B}\n",
    "~LST(A,1,2) ~LST(B,x,y) a${A}${B}\n",
    "~LST({IP,IP1},{10,1},{20,4}) ~SEQ(IP2,168,2,170) x${IP2}.${IP}.${IP1}\n",
    "~SEQ N,1,2) v\n~SEQ(N) v\n~SEQ(N,1,-1,3) v\n~SEQx(N,-1,3) v\n~SEQ(N,1;2) v\n",
    "~LST A,1) v\n~LST(A) v\n~LST({A,B},{1,2,3}) v\n",
    "$M= \\\naa 1 \\\nbb 2\n$M\nxx $M\n$M yy\n",
    "$M= \\\naa 1 \\\n# c\nbb 2 \\\n\ncc 3\n$M\n",
    "$INST= \\\nvi_${N} 1 \\\n@nodeA pa 1 \\\n@nodeB pb 1 \\\nend_${N}\n~SEQ(N,1,2) $INST\n",
    "$BASE=10.${SUB}\n$SUB=7\n~SEQ(N,1,2) a${BASE}.${N}\n",
    "$PRIO=1\n@nodeA $PRIO=201\n@nodeB $PRIO=202\naa$PRIO\n",
    'aa "b c" d"e f"\n"gg hh" ii\nmm "unterminated\n',
    "aa 'b c'\n  \t bb\r\ncc\r\n",
    "aa ${_INSTANCE}\na${_INSTANCE}\na${_RANDOM 5 5}\n$_INSTANCE=zz\nb${_INSTANCE}\n",
    "$A= \\\n\na${A}b\n$B=\nc${B}d\n$D =2\n$1X=3\n~FOO $A\n",
    "$S=~SEQ(N,1,2)\n$S aa$N\n",
    "aa${UNDEF}bb\n",
    "includer nothere/*.conf\nincludew none/*.conf\nincludem gone.conf\ninclude gone2.conf\naa\n",
]


def _keepalived(text: str, directory: Path) -> list[tuple[int, str]]:
    conf = directory / "k.conf"
    conf.write_text(text)
    # Private namespaces, so the config test cannot touch the host's network or mounts.
    command = ["unshare", "-n", "-m", "keepalived", "-t", "-f", str(conf), "-i", "nodeA"]
    run = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    found: list[tuple[int, str]] = []
    for line in run.stderr.splitlines():
        m = _PARENT_LINE.match(line)
        if m is not None:
            found.append((int(m.group(1)), m.group(2)))
        elif line.startswith("(/"):
            break  # the children repeat the parent's messages with the file name
    return found


def _ours(text: str, directory: Path) -> list[tuple[int, str]]:
    result = preprocess_text(text, name="k.conf", base_dir=str(directory), config_id="nodeA", random_seed=1)
    found = [
        (
            line.location.line,
            "Unexpected '{' - ignoring" if line.tokens == ("{",) else f"Unknown keyword '{line.tokens[0]}'",
        )
        for line in result.lines
    ]
    found += [(d.location.line, d.message) for d in result.diagnostics if d.location is not None]
    return found


@pytest.mark.parametrize("text", CASES)
def test_same_lines_and_messages_as_keepalived(text: str, tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.fail("netns tests need root (CI runs as root)")
    assert shutil.which("keepalived"), "keepalived 2.2.7 is part of the test environment"
    assert sorted(_ours(text, tmp_path)) == sorted(_keepalived(text, tmp_path))
