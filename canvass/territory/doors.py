"""Door counts on street segments: from address points, or spread from area counts.

A door is a dwelling's letterbox or entrance: what a volunteer knocks on.
Address points are the best source (each is snapped to its nearest segment and
to a side of the street). Without them, a count per area (census dwellings per
IRIS, households per 200 m cell, or registered voters per bureau) is spread over
the residential street length of that area. Either way the total is conserved
and what could not be placed is counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

RESIDENTIAL_HIGHWAYS = frozenset(
    {"residential", "living_street", "unclassified", "tertiary", "tertiary_link", "secondary", "secondary_link",
     "primary", "primary_link", "pedestrian", "road"}
)
"""Street kinds that front dwellings; footways, steps, service and tracks get no spread doors."""

ELECTORS_PER_DWELLING = 1.6
"""Registered voters per main residence in France (≈ 49 M inscrits / 30 M résidences principales)."""

MAX_SNAP_DISTANCE_M = 80.0
"""An address further than this from every segment is not placed (its street is missing from the data)."""


@dataclass(frozen=True)
class DoorAllocation:
    """Doors per segment, plus what could not be placed."""

    n_doors: np.ndarray
    n_doors_left: np.ndarray
    n_doors_right: np.ndarray
    n_unplaced: float
    source: str
    unplaced_bureaux: Mapping[str, str] = field(default_factory=dict)
    """Bureaux whose doors could not be placed or counted, with the reason (French, for the report)."""


def doors_from_addresses(segments: gpd.GeoDataFrame, addresses: gpd.GeoDataFrame, *, max_distance_m: float = MAX_SNAP_DISTANCE_M) -> DoorAllocation:
    """Snap each address to its nearest segment and side; ``n_addresses`` doors per point.

    The side is the sign of the cross product between the segment direction at
    the snapped point and the vector to the address (left = positive).
    """
    n = len(segments)
    weights = addresses["n_addresses"].fillna(1.0).to_numpy(dtype=float)
    if n == 0 or len(addresses) == 0:
        return DoorAllocation(np.zeros(n), np.zeros(n), np.zeros(n), float(weights.sum()), "addresses")
    lines = segments.geometry.values
    points = addresses.geometry.values
    point_index, segment_index = shapely.STRtree(lines).query_nearest(points, max_distance=max_distance_m, all_matches=False)
    matched_lines = lines[segment_index]
    matched_points = points[point_index]
    along = shapely.line_locate_point(matched_lines, matched_points)
    lengths = shapely.length(matched_lines)
    step = np.minimum(1.0, lengths / 2)
    before = shapely.line_interpolate_point(matched_lines, np.clip(along - step, 0, lengths))
    after = shapely.line_interpolate_point(matched_lines, np.clip(along + step, 0, lengths))
    direction = shapely.get_coordinates(after) - shapely.get_coordinates(before)
    offset = shapely.get_coordinates(matched_points) - shapely.get_coordinates(before)
    cross = direction[:, 0] * offset[:, 1] - direction[:, 1] * offset[:, 0]
    w = weights[point_index]
    left = np.bincount(segment_index, weights=np.where(cross > 0, w, 0.0), minlength=n)
    right = np.bincount(segment_index, weights=np.where(cross > 0, 0.0, w), minlength=n)
    return DoorAllocation(left + right, left, right, float(weights.sum() - w.sum()), "addresses")


def doors_from_area_counts(segments: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, counts: np.ndarray, *, source: str) -> DoorAllocation:
    """Spread one count per zone over the residential street length whose midpoint lies in the zone.

    Doors are split evenly between the two sides. A zone without residential
    street keeps its count as unplaced.
    """
    counts = np.nan_to_num(np.asarray(counts, dtype=float))
    doors, zone_length = _spread(segments, zones, counts)
    unplaced = float(counts[zone_length == 0].sum())
    return DoorAllocation(doors, doors / 2, doors / 2, unplaced, source)


def _spread(segments: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Doors per segment from counts per zone, and the residential street length (m) of each zone."""
    n = len(segments)
    if n == 0:
        return np.zeros(0), np.zeros(len(zones))
    midpoints = shapely.line_interpolate_point(segments.geometry.values, 0.5, normalized=True)
    residential = segments["highway"].isin(RESIDENTIAL_HIGHWAYS).to_numpy()
    length = np.where(residential, segments["length_m"].to_numpy(dtype=float), 0.0)
    segment_index, zone_index = shapely.STRtree(zones.geometry.values).query(midpoints, predicate="within")
    # A midpoint on a shared edge may fall in two zones: keep the first.
    first = np.unique(segment_index, return_index=True)[1]
    segment_index, zone_index = segment_index[first], zone_index[first]
    zone_length = np.bincount(zone_index, weights=length[segment_index], minlength=len(zones))
    share = np.divide(length[segment_index], zone_length[zone_index], out=np.zeros(len(segment_index)), where=zone_length[zone_index] > 0)
    doors = np.zeros(n)
    np.add.at(doors, segment_index, share * counts[zone_index])
    return doors, zone_length


def registered_per_bureau(bureaux: gpd.GeoDataFrame, results: pd.DataFrame) -> pd.Series:
    """Registered voters per bureau: the latest election's results, else the polygon layer's own count.

    A bureau with neither stays NaN (never 0): its doors are unknown, not absent.
    """
    registered = pd.Series(bureaux["n_registered"].to_numpy(dtype=float), index=bureaux["bureau_id"].to_numpy())
    if len(results):
        latest = results.sort_values(["election", "round"]).drop_duplicates("bureau_id", keep="last").set_index("bureau_id")["n_registered"]
        registered = latest.reindex(registered.index).astype(float).fillna(registered)
    return registered


def doors_from_registered(segments: gpd.GeoDataFrame, bureaux: gpd.GeoDataFrame, registered: pd.Series) -> DoorAllocation:
    """Spread registered voters ÷ :data:`ELECTORS_PER_DWELLING` per bureau over its residential streets.

    Bureaux whose count is unknown (no results, no count in the polygon layer)
    or that have no residential street are listed in ``unplaced_bureaux`` with
    the reason, so that the report shows them instead of a silent zero.
    """
    ids = bureaux["bureau_id"].to_numpy()
    dwellings = registered.reindex(ids).to_numpy(dtype=float) / ELECTORS_PER_DWELLING
    known = ~np.isnan(dwellings)
    counts = np.where(known, dwellings, 0.0)
    doors, zone_length = _spread(segments, bureaux, counts)
    no_street = known & (zone_length == 0) & (counts > 0)
    reasons = dict.fromkeys(ids[~known], "ni résultats ni nombre d’inscrits pour ce bureau : ses portes ne peuvent pas être estimées")
    reasons |= {bureau: f"aucune rue résidentielle dans ce bureau : {count:.0f} portes estimées non placées"
                for bureau, count in zip(ids[no_street], counts[no_street])}
    return DoorAllocation(doors, doors / 2, doors / 2, float(counts[no_street].sum()), "registered_voters", reasons)


def dwelling_column(census: pd.DataFrame) -> str | None:
    """Return the census column counting dwellings: main residences (``P21_RP``) first, then all (``P21_LOG``)."""
    for pattern in (r"^P\d{2}_RP$", r"^P\d{2}_LOG$"):
        found = sorted(column for column in census.columns if pd.Series([column]).str.match(pattern).iloc[0])
        if found:
            return found[-1]  # the latest vintage
    return None
