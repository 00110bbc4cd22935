"""Benchmark: building territories from the real folders, against the raw-read floor measured in the same run.

Run from the repository root or from benchmarks/:

    python benchmarks/bench_build.py

For each folder it times ``build_territory`` (best of 3) and, as a baseline,
the plain reading of the same files with geopandas/pandas (no keys, joins or
checks): the ratio says what the validation and joins cost on top of I/O.
Writes ``benchmarks/results/build.csv``.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from canvass.opendata.detect import classify_folder
from canvass.territory.build import build_territory

from _common import QUICK, REAL, best_of, write_rows

CASES = [("scale/paris", "75056"), ("paris-16e", "75116"), ("brest", "29019"), ("concarneau-douarnenez", "29039"), ("scale/toulouse", "31555"), ("scale/dep04", "04")]




def raw_read(folder: Path) -> None:
    """The floor: read every recognised file with the plain library call, nothing else."""
    for item in classify_folder(folder):
        name = item.path.name.lower()
        if item.kind == "ignore" or item.kind == "streets":
            continue
        if name.endswith((".geojson", ".gpkg", ".shp")):
            gpd.read_file(item.path)
        elif name.endswith(".parquet"):
            pd.read_parquet(item.path)
        elif name.endswith(".xlsx"):
            pd.read_excel(item.path)
        else:
            pd.read_csv(item.path, sep=None, engine="python", dtype=str, encoding_errors="replace")


def main() -> None:
    rows = []
    print(f"{'folder':28} {'commune':8} {'build s':>8} {'raw read s':>10} {'ratio':>6}")
    for relative, commune in CASES[:1] if QUICK else CASES:
        folder = REAL / relative
        build = best_of(lambda: build_territory(folder, [commune]))
        floor = best_of(lambda: raw_read(folder))
        rows.append({"folder": relative, "commune": commune, "build_s": round(build, 3), "raw_read_s": round(floor, 3), "ratio": round(build / floor, 2)})
        print(f"{relative:28} {commune:8} {build:8.2f} {floor:10.2f} {build / floor:6.2f}")
    write_rows(rows, "build")


if __name__ == "__main__":
    main()
