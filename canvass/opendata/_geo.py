"""Geometry checks shared by the spatial readers: read a vector file, check its coordinates are in France, repair, drop nulls."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from pyproj import Transformer

from canvass.crs import METRIC_CRS, WEB_CRS, to_metric
from canvass.errors import CoordinateError, GeometryWarning, InputDataError

FRANCE_BOXES = (
    (-5.5, 41.2, 10.0, 51.2),     # metropolitan France and Corsica
    (-62.0, 15.8, -60.9, 16.6),   # Guadeloupe
    (-61.3, 14.3, -60.7, 14.95),  # Martinique
    (-54.7, 2.0, -51.5, 6.0),     # Guyane
    (55.1, -21.5, 56.0, -20.8),   # La Réunion
    (44.9, -13.1, 45.4, -12.5),   # Mayotte
    (-56.6, 46.7, -56.0, 47.2),   # Saint-Pierre-et-Miquelon
    (-63.2, 17.8, -62.7, 18.2),   # Saint-Martin, Saint-Barthélemy
    (163.5, -22.9, 168.2, -19.5),  # Nouvelle-Calédonie
    (-155.0, -28.0, -134.0, -7.0),  # Polynésie française
    (-178.3, -14.5, -176.0, -13.1),  # Wallis-et-Futuna
)
"""(lon min, lat min, lon max, lat max) of the parts of France where French elections have bureaux de vote with INSEE codes."""

LAMBERT93_FRANCE = (-400_000.0, 5_900_000.0, 1_400_000.0, 7_200_000.0)
"""Bounds of metropolitan France in Lambert-93 numbers, with a margin: numbers in it are metres, not degrees."""



def in_france(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Mask of the WGS84 points inside one of :data:`FRANCE_BOXES` (NaN and infinite values are outside)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    inside = np.zeros(lon.shape, dtype=bool)
    for x0, y0, x1, y1 in FRANCE_BOXES:
        inside |= (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)
    return inside


def check_in_france(lon, lat, *, source: Path | str, where: str, labels=None, prefix: str = "") -> None:
    """Raise :class:`~canvass.errors.CoordinateError` if a WGS84 point is not a finite point of France.

    ``labels`` name the points (line numbers, ids; ``prefix`` is put before them) in
    the message; the first few bad ones are shown with their values. Swapped longitude and latitude
    are told apart from points merely elsewhere.
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    bad = ~in_france(lon, lat)
    if not bad.any():
        return
    labels = np.arange(1, len(lon) + 1) if labels is None else np.asarray(labels)
    shown = [f"{prefix}{label} ({x!r}, {y!r})" for label, x, y in zip(labels[bad][:5], lon[bad][:5].tolist(), lat[bad][:5].tolist())]
    finite = np.isfinite(lon) & np.isfinite(lat)
    swapped = bad & finite & in_france(lat, lon)
    if not finite[bad].all():
        what, hint = f"{int((bad & ~finite).sum())} coordinates are not finite numbers (NaN or infinite)", \
            "remove or fix those points; every vertex needs two finite coordinates"
    elif swapped[bad].all():
        what, hint = f"longitude and latitude are swapped in {int(bad.sum())} points", \
            "swap the two coordinates back: longitude (x, e.g. -4.49 or 2.27) comes first, latitude (y, e.g. 48.39) second"
    else:
        what, hint = f"{int(bad.sum())} points lie outside France (metropolitan and overseas)", \
            "check the coordinate system of the file (WGS84 degrees expected unless the file declares another) and that the area is French"
    raise CoordinateError(what, source=source, where=f"{where} (longitude, latitude)", codes=shown, hint=hint)


def check_geometries(frame: gpd.GeoDataFrame, *, source: Path | str) -> gpd.GeoDataFrame:
    """Return ``frame`` in its own CRS after checking that every vertex is finite and lies in France.

    A file that says (or, as GeoJSON, is assumed to be) WGS84 while its numbers
    are Lambert-93 metres is read as Lambert-93, with a warning; numbers that
    are neither raise. The check is per vertex, and names the features at fault.
    """
    geometry = frame.geometry.values
    coords, owner = shapely.get_coordinates(geometry, return_index=True)
    if len(coords) == 0:
        return frame
    finite = np.isfinite(coords).all(axis=1)
    if not finite.all():
        bad = np.unique(owner[~finite])
        raise CoordinateError(
            f"{len(bad)} features have vertices that are not finite numbers (NaN or infinite)",
            source=source,
            where="features " + ", ".join(str(int(i) + 1) for i in bad[:5]),
            codes=[repr(tuple(xy)) for xy in coords[~finite][:5].tolist()],
            hint="export the layer again; every vertex needs two finite coordinates",
        )
    is_geographic = frame.crs is None or frame.crs.is_geographic
    if is_geographic:
        outside_degrees = (np.abs(coords[:, 0]) > 180) | (np.abs(coords[:, 1]) > 90)
        if outside_degrees.any():
            x0, y0, x1, y1 = LAMBERT93_FRANCE
            metres = (coords[:, 0] >= x0) & (coords[:, 0] <= x1) & (coords[:, 1] >= y0) & (coords[:, 1] <= y1)
            if metres.all():
                warnings.warn(
                    GeometryWarning(
                        f"{source}: the coordinates are Lambert-93 metres (e.g. {coords[0, 0]:.0f}, {coords[0, 1]:.0f}) although the file "
                        f"{'declares' if frame.crs is not None else 'is assumed to be in'} WGS84 degrees: read as Lambert-93 (EPSG:2154)"
                    ),
                    stacklevel=3,
                )
                return check_geometries(frame.set_crs(METRIC_CRS, allow_override=True), source=source)
            bad = np.unique(owner[outside_degrees])
            raise CoordinateError(
                "the coordinates are not degrees, as the file's coordinate system (WGS84) says, nor Lambert-93 metres",
                source=source,
                where="features " + ", ".join(str(int(i) + 1) for i in bad[:5]),
                codes=[repr(tuple(xy)) for xy in coords[outside_degrees][:5].tolist()],
                hint="declare the file's real coordinate system (a .prj, or a crs member in GeoJSON) or reproject it to WGS84",
            )
        lon, lat = coords[:, 0], coords[:, 1]
    else:
        lon, lat = Transformer.from_crs(frame.crs, WEB_CRS, always_xy=True).transform(coords[:, 0], coords[:, 1])
    inside = in_france(lon, lat)
    if not inside.all():
        first = np.flatnonzero(~inside)
        check_in_france(lon[first], lat[first], source=source, where="vertices", labels=owner[first] + 1, prefix="feature ")
    return frame


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
    return to_metric(check_geometries(frame, source=path))


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
        try:
            repaired = shapely.make_valid(frame.geometry.values[invalid], method="structure", keep_collapsed=False)
        except shapely.errors.GEOSException as error:
            raise InputDataError(
                f"invalid geometries cannot be repaired ({error})",
                source=source,
                codes=frame.loc[invalid, key],
                hint="open the layer in a GIS (QGIS: Vector > Geometry tools > Fix geometries) and export it again",
            ) from error
        frame.loc[invalid, frame.geometry.name] = repaired
        emptied = shapely.is_empty(frame.geometry.values)
        if emptied.all():
            raise InputDataError("no polygon is left after repairing the geometries", source=source,
                                 hint="the polygons are degenerate (flat or with too few distinct points); export the layer again")
        if emptied.any():
            warnings.warn(GeometryWarning(f"{source}: {int(emptied.sum())} degenerate polygons dropped: "
                                          f"{', '.join(map(str, frame.loc[emptied, key].head(5)))}"), stacklevel=3)
            frame = frame.loc[~emptied]
    return frame
