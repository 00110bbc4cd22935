"""The Territory: every layer of one or more communes, keyed and in Lambert-93."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd


@dataclass(frozen=True)
class Territory:
    """Bureaux, results, IRIS, census, streets and doors of the communes asked.

    Attributes
    ----------
    communes
        INSEE codes asked for (arrondissement codes kept as given).
    bureaux
        Bureau polygons (``bureau_id`` canonical key), Lambert-93.
    results
        Long results table (:data:`canvass.opendata.schemas.RESULTS_COLUMNS`) for these bureaux.
    iris
        IRIS contours intersecting the territory.
    census
        One row per IRIS, one column per census variable (NaN kept).
    segments
        Walkable street segments with ``bureau_id``, ``n_doors`` (``_left``/``_right``).
    addresses
        Address points (BAN or REU), if any.
    grid
        Filosofi 200 m cells, if any.
    meta
        Provenance: input files, ignored files, door source, bureaux source, warnings.
    """

    communes: tuple[str, ...]
    bureaux: gpd.GeoDataFrame
    results: pd.DataFrame
    iris: gpd.GeoDataFrame
    census: pd.DataFrame
    segments: gpd.GeoDataFrame
    addresses: gpd.GeoDataFrame
    grid: gpd.GeoDataFrame
    meta: dict = field(default_factory=dict)

    @property
    def warnings(self) -> list[str]:
        """Every warning raised while building, in order."""
        return list(self.meta.get("warnings", []))
