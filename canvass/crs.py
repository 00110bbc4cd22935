"""Coordinate reference systems: metric work in Lambert-93, WGS84 only for web maps."""

from __future__ import annotations

import geopandas as gpd

METRIC_CRS = "EPSG:2154"
"""Lambert-93, the official projection of metropolitan France: every length and area is in metres."""

WEB_CRS = "EPSG:4326"
"""WGS84 longitude/latitude, used by GeoJSON files and web maps only."""


def to_metric(frame: gpd.GeoDataFrame, *, assume: str = WEB_CRS) -> gpd.GeoDataFrame:
    """Return ``frame`` in Lambert-93; a frame without CRS is taken to be in ``assume``.

    GeoJSON files without a ``crs`` member are WGS84 by RFC 7946, hence the default.
    """
    if frame.crs is None:
        frame = frame.set_crs(assume)
    return frame.to_crs(METRIC_CRS)


def to_web(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return ``frame`` in WGS84 for a web map."""
    return frame.to_crs(WEB_CRS)
