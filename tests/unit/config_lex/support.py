"""Helpers for the lexical-layer tests: run the preprocessor and look at (line, tokens) pairs."""

from __future__ import annotations

from typing import Any

from alived.config.diagnostics import Diagnostic
from alived.config.preprocess import Preprocessed, preprocess_text


def pp(text: str, **kwargs: Any) -> Preprocessed:
    kwargs.setdefault("config_id", "nodeA")
    kwargs.setdefault("random_seed", 1)
    return preprocess_text(text, **kwargs)


def toks(result: Preprocessed) -> list[tuple[str, ...]]:
    return [line.tokens for line in result.lines]


def numbered(result: Preprocessed) -> list[tuple[int, tuple[str, ...]]]:
    return [(line.location.line, line.tokens) for line in result.lines]


def messages(result: Preprocessed) -> list[str]:
    return [d.message for d in result.diagnostics]


def only(result: Preprocessed) -> Diagnostic:
    assert len(result.diagnostics) == 1, result.diagnostics
    return result.diagnostics[0]
