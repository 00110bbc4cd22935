"""National-scale area joins (bureaux × IRIS, bureaux × Filosofi cells) over dask-geopandas partitions.

A national bureau layer (69,242 polygons) against the IRIS of France (about
49,000) or the 200 m grid (over two million cells) does not fit one join in a
small worker. Both sides are read in chunks, sorted along a Hilbert curve into
spatially compact partitions (``spatial_shuffle``), and only partition pairs
whose extents meet are joined, each pair in its own task: a worker holds two
partitions at a time, whatever the size of France. Each (left, right) overlap
shows up in exactly one pair, since every feature belongs to one partition.

The table is the areal-weights table of :mod:`canvass.scores.areal` and
:mod:`canvass.territory.doors` (extensive counts split by overlap area).
"""

from __future__ import annotations

from pathlib import Path

import dask
import dask.dataframe as dd
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from canvass.crs import METRIC_CRS

OVERLAP_COLUMNS = ("left", "right", "area_m2")


def partitioned(layer: gpd.GeoDataFrame | str | Path, key: str, *, npartitions: int):
    """A layer (in memory, or a file read in ``npartitions`` chunks) as spatially compact dask-geopandas partitions in Lambert-93."""
    import dask_geopandas

    if isinstance(layer, (str, Path)):
        frame = dask_geopandas.read_file(str(layer), npartitions=npartitions)[[key, "geometry"]]  # columns= would drop the geometry
    else:
        frame = dask_geopandas.from_geopandas(layer[[key, "geometry"]], npartitions=npartitions)
    if frame.crs is not None and not frame.crs.equals(METRIC_CRS):
        frame = frame.to_crs(METRIC_CRS)
    # Task-based shuffle: runs on any scheduler (p2p needs a distributed worker to run on).
    return frame.spatial_shuffle(by="hilbert", npartitions=npartitions, shuffle_method="tasks")


def overlap_table(left, right, *, left_key: str, right_key: str, npartitions: int = 8) -> dd.DataFrame:
    """The area (m², Lambert-93) of every overlap of a ``left`` and a ``right`` feature, as a lazy dask DataFrame.

    ``left``/``right`` are GeoDataFrames, file paths, or frames from :func:`partitioned`.
    Columns: ``left`` (``left_key``), ``right`` (``right_key``), ``area_m2``; overlaps of zero area are left out.
    """
    left = left if hasattr(left, "spatial_partitions") else partitioned(left, left_key, npartitions=npartitions)
    right = right if hasattr(right, "spatial_partitions") else partitioned(right, right_key, npartitions=npartitions)
    left_hulls, right_hulls = left.spatial_partitions, right.spatial_partitions
    i, j = shapely.STRtree(right_hulls.values).query(left_hulls.values, predicate="intersects")
    meta = pd.DataFrame({"left": pd.Series(dtype="string"), "right": pd.Series(dtype="string"), "area_m2": pd.Series(dtype=float)})
    pieces = [dask.delayed(_overlaps)(left.partitions[int(a)], right.partitions[int(b)], left_key, right_key) for a, b in zip(i, j)]
    if not pieces:
        return dd.from_pandas(meta, npartitions=1)
    return dd.from_delayed(pieces, meta=meta, verify_meta=False)


def _overlaps(left: gpd.GeoDataFrame, right: gpd.GeoDataFrame, left_key: str, right_key: str) -> pd.DataFrame:
    """Overlap areas of one pair of partitions (one STRtree query, one vectorised intersection)."""
    a, b = shapely.STRtree(right.geometry.values).query(left.geometry.values, predicate="intersects")
    area = shapely.area(shapely.intersection(left.geometry.values[a], right.geometry.values[b])) if len(a) else np.array([])
    keep = area > 0
    return pd.DataFrame({
        "left": pd.Series(left[left_key].to_numpy()[a][keep], dtype="string"),
        "right": pd.Series(right[right_key].to_numpy()[b][keep], dtype="string"),
        "area_m2": area[keep],
    })
