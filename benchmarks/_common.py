"""What the benchmarks share: where the real data is, best-of timing, and the CSV they write."""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real"
"""The real open data beside the repository (read in place)."""
QUICK = os.environ.get("CANVASS_BENCH_QUICK") == "1"
"""Run the smallest case only, with short time limits: a smoke run (the README test), not figures to quote."""


def best_of(function, repeat: int = 5) -> float:
    """Best wall time of ``repeat`` calls (one in a quick run), in seconds."""
    times = []
    for _ in range(1 if QUICK else repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def write_rows(rows: list[dict], name: str) -> Path:
    """Write ``rows`` to ``benchmarks/results/<name>.csv`` and say where."""
    out = Path(__file__).resolve().parent / "results" / f"{name}.csv"
    out.parent.mkdir(exist_ok=True)
    with out.open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"written {out}")
    return out
