"""Geometry checks shared by the spatial readers: read a vector file, repair, drop nulls."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely

from canvass.crs import to_metric
from canvass.errors import GeometryWarning, InputDataError


def read_vector(path: Path, *, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a GeoJSON / GeoPackage / shapefile with every attribute kept as read, in Lambert-93.

    Raises
    ------
    InputDataError
        If the file is missing, empty, or not a vector file GDAL can open.
    """
    path = Path(path)
    if not path.exists():
        raise InputDataError("file not found", source=path, hint="check the path and the folder given")
    if path.stat().st_size == 0:
        raise InputDataError("the file is empty", source=path, hint="download the file again; it holds no data")
    try:
        frame = pyogrio.read_dataframe(path, layer=layer)
    except Exception as error:  # pyogrio raises DataSourceError, DataLayerError, ...
        raise InputDataError(
            f"cannot read this file as GeoJSON, GeoPackage or shapefile ({error})",
            source=path,
            hint="check the file is complete (a shapefile needs its .shp, .shx, .dbf and .prj together)",
        ) from error
    if frame.empty:
        raise InputDataError("the file has no features", source=path, hint="download the file again; it holds no data")
    return to_metric(frame)


def clean_polygons(frame: gpd.GeoDataFrame, *, source: Path | str, key: str) -> gpd.GeoDataFrame:
    """Drop null or empty geometries and repair invalid ones, with a warning naming the codes.

    Raises
    ------
    InputDataError
        If no polygon is left, or a geometry is not a polygon.
    """
    geometry = frame.geometry.values
    missing = shapely.is_missing(geometry) | shapely.is_empty(geometry)
    if missing.all():
        raise InputDataError(
            "every geometry is null or empty",
            source=source,
            hint="the file carries attributes only; export it again with its geometries",
        )
    if missing.any():
        warnings.warn(
            GeometryWarning(f"{source}: {int(missing.sum())} features without geometry dropped: {', '.join(map(str, frame.loc[missing, key].head(5)))}"),
            stacklevel=3,
        )
        frame = frame.loc[~missing].copy()
    kinds = set(frame.geom_type.unique())
    if not kinds <= {"Polygon", "MultiPolygon"}:
        raise InputDataError(
            f"expected polygons, found {', '.join(sorted(kinds))}",
            source=source,
            hint="this file is not a layer of areas; check that the right file was given",
        )
    invalid = ~shapely.is_valid(frame.geometry.values)
    if invalid.any():
        warnings.warn(
            GeometryWarning(
                f"{source}: {int(invalid.sum())} invalid geometries repaired: {', '.join(map(str, frame.loc[invalid, key].head(5)))}"
            ),
            stacklevel=3,
        )
        frame = frame.copy()
        # "structure" keeps areas as areas (no stray lines from collapsed rings).
        frame.loc[invalid, frame.geometry.name] = shapely.make_valid(
            frame.geometry.values[invalid], method="structure", keep_collapsed=False
        )
    return frame
