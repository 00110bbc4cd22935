"""Carry bureau priorities down to street segments: each segment is worth doors × priority.

A segment's doors stay where the territory put them (so doors per bureau are
unchanged); a segment that crosses a bureau boundary takes the length-weighted
mean of the priorities of the bureaux it runs through.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely


def segment_priorities(segments: gpd.GeoDataFrame, bureaux: gpd.GeoDataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """Return, per segment, ``priority`` and ``value`` = ``n_doors`` × ``priority``.

    Suppressed bureaux (too few registered voters to show) and bureaux without
    a score take the median priority, so that their streets are neither
    favoured nor hidden, and nothing about them can be read back.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``segments``: ``segment_id``, ``bureau_id``, ``n_doors``,
        ``priority``, ``value``.
    """
    priority_of = scores["priority"].reindex(bureaux["bureau_id"])
    neutral = float(np.nanmedian(scores["priority"])) if scores["priority"].notna().any() else 0.0
    bureau_priority = priority_of.fillna(neutral).to_numpy(dtype=float)
    lines = segments.geometry.values
    segment_index, bureau_index = shapely.STRtree(bureaux.geometry.values).query(lines, predicate="intersects")
    pieces = shapely.length(shapely.intersection(lines[segment_index], bureaux.geometry.values[bureau_index]))
    weighted = np.bincount(segment_index, weights=pieces * bureau_priority[bureau_index], minlength=len(segments))
    inside = np.bincount(segment_index, weights=pieces, minlength=len(segments))
    # A segment only touching a boundary (zero length inside) keeps its own bureau's priority.
    own = pd.Series(bureau_priority, index=bureaux["bureau_id"].to_numpy()).reindex(segments["bureau_id"]).fillna(neutral).to_numpy()
    priority = np.where(inside > 0, weighted / np.where(inside > 0, inside, 1.0), own)
    doors = segments["n_doors"].to_numpy(dtype=float)
    return pd.DataFrame(
        {
            "segment_id": segments["segment_id"].to_numpy(),
            "bureau_id": segments["bureau_id"].to_numpy(),
            "n_doors": doors,
            "priority": priority,
            "value": doors * priority,
        },
        index=segments.index,
    )
