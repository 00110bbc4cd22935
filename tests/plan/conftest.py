"""Small street networks whose best plans can be worked out by hand or by brute force."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely


def street_network(edges, xy, doors, values=None, names=None):
    """Segments table (as a territory has) and segment values (as scoring gives) from an edge list on node coordinates."""
    lines = [shapely.LineString([xy[u], xy[v]]) for u, v in edges]
    segments = gpd.GeoDataFrame(
        {
            "segment_id": np.arange(len(edges), dtype=np.int64),
            "node_from": np.array([u for u, _ in edges], dtype=np.int64) + 1000,
            "node_to": np.array([v for _, v in edges], dtype=np.int64) + 1000,
            "street_name": names or [f"Rue {i}" for i in range(len(edges))],
            "length_m": [line.length for line in lines],
            "bureau_id": "29999_0001",
            "n_doors": np.asarray(doors, dtype=float),
        },
        geometry=lines,
        crs=2154,
    )
    values = np.asarray(doors, dtype=float) if values is None else np.asarray(values, dtype=float)
    segment_values = pd.DataFrame({"segment_id": segments["segment_id"], "n_doors": segments["n_doors"], "value": values})
    return segments, segment_values


@pytest.fixture
def star():
    """Three 100 m spokes from a square at (0, 0): values 5, 10 and 8, five doors each.

    At 3.6 km/h (1 m/s) and one minute per door for a pair, a spoke costs 100 s
    walking it, 300 s knocking and 100 s back: 500 s. A budget of 1,100 s fits
    two spokes, so the best plan takes the spokes worth 10 and 8 (value 18).
    """
    xy = {0: (0, 0), 1: (100, 0), 2: (0, 100), 3: (-100, 0)}
    return street_network([(0, 1), (0, 2), (0, 3)], xy, doors=[5, 5, 5], values=[5, 10, 8])


@pytest.fixture
def grid():
    """A 7 × 7 grid of 80 m blocks (84 segments) with seeded random doors and priorities."""
    rng = np.random.default_rng(42)
    size = 7
    xy = {r * size + c: (c * 80.0, r * 80.0) for r in range(size) for c in range(size)}
    edges = [(r * size + c, r * size + c + 1) for r in range(size) for c in range(size - 1)]
    edges += [(r * size + c, (r + 1) * size + c) for r in range(size - 1) for c in range(size)]
    doors = rng.integers(0, 25, len(edges))
    values = doors * rng.uniform(0.2, 1.0, len(edges))
    return street_network(edges, xy, doors=doors, values=values)
