"""Shared test helpers: where the real open data lives (read in place, never copied)."""

from __future__ import annotations

from pathlib import Path

import pytest

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real"
"""The real open-data folder beside the repository (../shared/data/real)."""

DATA = Path(__file__).resolve().parent / "data"
"""Small hand-made bad inputs, each named after its defect."""


def real(relative: str) -> Path:
    """Return the path of a real file; skip only when the whole shared folder is absent."""
    if not REAL.is_dir():
        pytest.skip(f"real data folder {REAL} is not available")
    path = REAL / relative
    assert path.exists(), f"real file {path} is missing"
    return path
