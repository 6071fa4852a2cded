"""Where the corpus lives: alived's own files here, keepalived's samples in ../shared beside the repository.

keepalived's sample configs are not copied into this repository (GPL test data, see
../shared/corpus/README.md); tests find them through tests/helpers/shared.py, which fails saying so
where that folder is absent.
"""

from __future__ import annotations

from tests.helpers.shared import REPO, SHARED, samples

OWN = REPO / "tests" / "corpus"
SEEDS = OWN / "seeds"
SAMPLES = SHARED / "corpus" / "keepalived-samples"

__all__ = ["OWN", "SAMPLES", "SEEDS", "samples"]
