"""Shared test helpers: where the real open data and benchmark instances live (read in place, never copied)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
REAL = SHARED / "data" / "real"
"""The real open-data folder beside the repository (../shared/data/real)."""
BENCH = SHARED / "bench" / "instances"
"""The arc-routing benchmark instances beside the repository (../shared/bench/instances)."""

DATA = Path(__file__).resolve().parent / "data"
"""Small hand-made bad inputs, each named after its defect."""


def _shared(folder: Path, relative: str) -> Path:
    """A file of a shared folder; skip only when the whole folder is absent (a clone without ../shared)."""
    if not folder.is_dir():
        pytest.skip(f"shared folder {folder} is not available")
    path = folder / relative
    assert path.exists(), f"shared file {path} is missing"
    return path


def real(relative: str) -> Path:
    """Return the path of a real open-data file, read in place."""
    return _shared(REAL, relative)


def bench(relative: str) -> Path:
    """Return the path of a benchmark instance, read in place."""
    return _shared(BENCH, relative)
