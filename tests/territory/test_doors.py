"""Door placement on a hand-made street: sides, snapping distance, conservation."""

import geopandas as gpd
import numpy as np
import pytest
import shapely

from canvass.territory.doors import doors_from_addresses, doors_from_area_counts


@pytest.fixture
def street():
    """Two segments: an east-west residential street (0,0)-(100,0) and a footway (100,0)-(100,100)."""
    return gpd.GeoDataFrame(
        {"highway": ["residential", "footway"], "length_m": [100.0, 100.0]},
        geometry=[shapely.LineString([(0, 0), (100, 0)]), shapely.LineString([(100, 0), (100, 100)])],
        crs=2154,
    )


def test_addresses_snap_to_nearest_segment_and_side(street):
    addresses = gpd.GeoDataFrame(
        {"n_addresses": [1.0, 3.0, 2.0, 5.0]},
        # north of the street (left when walking east), south, east of the footway, far away
        geometry=[shapely.Point(20, 8), shapely.Point(50, -8), shapely.Point(108, 60), shapely.Point(500, 500)],
        crs=2154,
    )
    allocation = doors_from_addresses(street, addresses)
    assert allocation.n_doors.tolist() == [4.0, 2.0]
    assert allocation.n_doors_left.tolist() == [1.0, 0.0]  # walking north on the footway, x=108 is on the right
    assert allocation.n_doors_right.tolist() == [3.0, 2.0]
    assert allocation.n_unplaced == 5.0  # further than the snapping distance from every street


def test_area_counts_go_to_residential_length_only(street):
    zones = gpd.GeoDataFrame(geometry=[shapely.box(-10, -50, 150, 150), shapely.box(500, 500, 600, 600)], crs=2154)
    allocation = doors_from_area_counts(street, zones, np.array([40.0, 7.0]), source="test")
    assert allocation.n_doors.tolist() == [40.0, 0.0]
    assert allocation.n_doors_left.tolist() == [20.0, 0.0]
    assert allocation.n_unplaced == 7.0  # a zone without street keeps its count as unplaced
