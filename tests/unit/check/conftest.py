"""The config tests' `load` fixture, for building checker parameters from config text."""

from __future__ import annotations

from tests.unit.config.conftest import load

__all__ = ["load"]
