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


def test_bureau_without_results_is_unplaced_with_its_reason_not_a_silent_zero(street):
    """Three bureaux: A has results, B has only the polygon layer's count, C has neither; D has results but no street."""
    import pandas as pd

    from canvass.territory.doors import ELECTORS_PER_DWELLING, doors_from_registered, registered_per_bureau

    bureaux = gpd.GeoDataFrame(
        {"bureau_id": ["A", "B", "C", "D"], "n_registered": [np.nan, 32.0, np.nan, np.nan]},
        geometry=[shapely.box(-10, -50, 60, 50), shapely.box(60, -50, 150, 150), shapely.box(-10, 150, 50, 250), shapely.box(500, 500, 600, 600)],
        crs=2154,
    )
    results = pd.DataFrame({"election": ["2024_legi", "2024_legi"], "round": [1, 1], "bureau_id": ["A", "D"], "n_registered": [80.0, 16.0]})
    registered = registered_per_bureau(bureaux, results)
    assert registered["A"] == 80.0 and registered["B"] == 32.0 and np.isnan(registered["C"]) and registered["D"] == 16.0
    allocation = doors_from_registered(street, bureaux, registered)
    # The residential street (midpoint in A) takes all of A's doors; B's only street is a footway.
    assert allocation.n_doors.sum() == pytest.approx(80.0 / ELECTORS_PER_DWELLING)
    assert set(allocation.unplaced_bureaux) == {"B", "C", "D"}
    assert allocation.unplaced_bureaux["C"].startswith("ni résultats ni nombre d’inscrits")
    assert allocation.unplaced_bureaux["D"] == "aucune rue résidentielle dans ce bureau : 10 portes estimées non placées"
    assert allocation.n_unplaced == pytest.approx((32.0 + 16.0) / ELECTORS_PER_DWELLING)
