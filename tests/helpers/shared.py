"""The project's shared folder, `../shared` beside the repository: keepalived's public samples and facts.

Found from this file's place in the repository, never from a machine path. A clone without it
(outside CI) makes the tests that need it fail at collection with one plain sentence.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
MISSING = "../shared/corpus not found beside the repository"


def shared(*parts: str) -> Path:
    """A path under ../shared; a test run without that folder fails here, saying so."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"{MISSING} (looked for {path})", pytrace=False)
    return path


def samples() -> Path:
    """keepalived's public keepalived.conf samples."""
    return shared("corpus", "keepalived-samples")
