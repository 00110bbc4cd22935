"""Bureau de vote polygons: published contours, or cells built from the REU address extract.

Published layers name and spell their codes differently (Paris ``id_bv``
``16-1``, Brest ``DEPCO``/``BVOTE``, REU-derived Voronoi files ``CODE_BV``
``04036_2``, Toulouse ``uniq_bdv`` ``0054A``, labels ``Bureau n°12 - École``).
The code columns are found from their values (:mod:`canvass.opendata.sniff`)
and mapped to the canonical ``bureau_id`` of :mod:`canvass.opendata.codes`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from canvass.crs import METRIC_CRS
from canvass.errors import GeometryWarning, ImpossibleValueError, InputDataError
from canvass.opendata import codes
from canvass.opendata._geo import clean_polygons, read_vector
from canvass.opendata._io import first_match, optional_text
from canvass.opendata.schemas import BUREAUX_COLUMNS
from canvass.opendata.sniff import BureauColumns, find_bureau_columns

# Optional attributes, read when present under one of these names.
NAME_COLUMNS = ("LLIEU", "nom", "lieu_vote", "nomBureauVote", "TITRE", "COMMUNE")
REGISTERED_COLUMNS = ("nbr_elect_f", "inscrits", "nb_inscrits")


def read_bureaux(path: Path, *, communes: Iterable[str] | None = None, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read bureau de vote polygons into :data:`BUREAUX_COLUMNS`, in Lambert-93.

    Parameters
    ----------
    path
        GeoJSON, GeoPackage or shapefile.
    communes
        INSEE codes to keep. Paris, Lyon and Marseille arrondissement codes
        (``75116``, ``69385``, ``13216``) keep that arrondissement's bureaux. A
        file that does not name its commune (Toulouse ``uniq_bdv``) needs
        exactly one commune here.
    layer
        Layer of a multi-layer GeoPackage.

    Raises
    ------
    InputDataError
        No bureau code column, codes of an unknown form, a file without commune
        and no single commune given, or no bureau left for the communes asked;
        vertices not finite or outside France (:class:`~canvass.errors.CoordinateError`),
        registered-voter counts negative or infinite.

    Warns
    -----
    GeometryWarning
        Lambert-93 numbers in a file said (or assumed) to be WGS84, read as Lambert-93;
        geometries repaired or dropped.
    """
    path = Path(path)
    raw = read_vector(path, layer=layer)
    communes = list(communes or [])
    found = _bureau_columns(raw, path, communes)
    bureau_id = found.keys
    name = optional_text(raw, NAME_COLUMNS)
    if found.form == "label":
        name = name.fillna(raw[found.bureau].astype("string").str.strip())
    frame = gpd.GeoDataFrame(
        {
            "bureau_id": bureau_id,
            "commune": codes.commune_of_key(bureau_id),
            "label": codes.bureau_label(bureau_id),
            "name": name,
            "n_registered": _optional_count(raw, REGISTERED_COLUMNS, source=path),
        },
        geometry=raw.geometry.values,
        crs=METRIC_CRS,
    )
    frame = select_communes(frame, communes, source=path)
    frame = clean_polygons(frame, source=path, key="bureau_id")
    frame = _merge_duplicates(frame, source=path)
    frame.attrs["columns"] = found.describe()
    return frame


def select_communes(frame: pd.DataFrame, communes: list[str], *, source: Path | str, column: str = "bureau_id") -> pd.DataFrame:
    """Keep the rows of ``frame`` whose bureau key belongs to ``communes`` (arrondissement codes allowed).

    Raises
    ------
    InputDataError
        If nothing is left: the message lists the communes the file does hold.
    """
    if not communes:
        return frame
    keep = codes.keys_in_area(frame[column], communes)
    if not keep.any():
        keys = frame[column].astype("string")
        held = set(codes.commune_of_key(keys).dropna()) | set(codes.arrondissements_of_keys(keys).dropna())
        raise InputDataError(
            f"no bureau of commune {', '.join(communes)} in this file",
            source=source,
            codes=sorted(held),
            hint="check the INSEE code (5 characters, e.g. 29019 for Brest; 75116, 69385 or 13216 for an arrondissement "
            "of Paris, Lyon or Marseille); the values are the communes and arrondissements the file holds",
        )
    return frame.loc[keep].copy()


def bureaux_from_reu(
    addresses: gpd.GeoDataFrame,
    contours: gpd.GeoDataFrame,
    *,
    source: str = "REU",
) -> gpd.GeoDataFrame:
    """Build bureau polygons from REU address points: Voronoi cells, merged per bureau, clipped to the commune.

    This is the method of INSEE's mapvotr and of the data.gouv contours. Points
    sharing a location but tagged with different bureaux (street-level
    geocoding) give their cell to the bureau with most addresses there; the
    count of points whose location went to another bureau is kept in
    ``frame.attrs["n_points_shared"]``.

    Parameters
    ----------
    addresses
        REU points (``bureau_id``, ``commune``, ``n_addresses``), Lambert-93.
    contours
        Commune contours with a ``commune`` column, Lambert-93.

    Raises
    ------
    InputDataError
        If a commune of the points has no contour.
    """
    missing = sorted(set(addresses["commune"].dropna()) - set(contours["commune"]))
    if missing:
        raise InputDataError(
            f"{len(missing)} communes of the REU points have no contour",
            source=source,
            codes=missing,
            hint="add the commune contours (IGN ADMIN EXPRESS or BD TOPO) to the folder",
        )
    # One site per distinct location; its bureau is the one with most addresses there.
    points = pd.DataFrame(
        {
            "commune": addresses["commune"].to_numpy(),
            "bureau_id": addresses["bureau_id"].to_numpy(),
            "x": np.round(addresses.geometry.x.to_numpy(), 2),
            "y": np.round(addresses.geometry.y.to_numpy(), 2),
            "n_addresses": addresses["n_addresses"].fillna(1).to_numpy(),
        }
    )
    weights = points.groupby(["commune", "x", "y", "bureau_id"], as_index=False)["n_addresses"].sum()
    weights = weights.sort_values("n_addresses", ascending=False, kind="stable")
    sites = weights.drop_duplicates(["commune", "x", "y"])
    winner = points.merge(sites.rename(columns={"bureau_id": "winner"}), on=["commune", "x", "y"], how="left")["winner"]
    shared = int((winner.to_numpy() != points["bureau_id"].to_numpy()).sum())
    contour_of = contours.dissolve("commune").geometry
    cells = []
    for commune, group in sites.groupby("commune", sort=True):
        multipoint = shapely.multipoints(np.column_stack([group["x"], group["y"]]))
        voronoi = shapely.voronoi_polygons(multipoint, extend_to=contour_of[commune], ordered=True)
        cells.append(gpd.GeoDataFrame({"bureau_id": group["bureau_id"].to_numpy(), "commune": commune}, geometry=shapely.get_parts(voronoi), crs=METRIC_CRS))
    # Merge the cells per bureau first, then clip: a dozen intersections with the
    # (often coastal, detailed) commune outline instead of one per address.
    merged = pd.concat(cells).dissolve("bureau_id", as_index=False, sort=True)
    merged["geometry"] = shapely.intersection(merged.geometry.values, contour_of.loc[merged["commune"]].values)
    registered = addresses.groupby("bureau_id")["n_addresses"].sum()
    frame = gpd.GeoDataFrame(
        {
            "bureau_id": merged["bureau_id"].astype("string"),
            "commune": merged["commune"].astype("string"),
            "label": codes.bureau_label(merged["bureau_id"].astype("string")),
            "name": pd.Series(pd.NA, index=merged.index, dtype="string"),
            "n_registered": np.nan,
        },
        geometry=shapely.make_valid(merged.geometry.values),
        crs=METRIC_CRS,
    )
    frame.attrs["n_points_shared"] = shared
    frame.attrs["n_addresses_per_bureau"] = registered.to_dict()
    return frame[list(BUREAUX_COLUMNS)]


def _bureau_columns(raw: gpd.GeoDataFrame, path: Path, communes: list[str]) -> BureauColumns:
    """Find the bureau code columns of a published layer from their values; every code must read."""
    found = find_bureau_columns(raw, communes, source=str(path))
    values = raw[found.bureau]
    bad = found.keys.isna() & values.notna()
    if bad.any():
        raise InputDataError(
            f"{int(bad.sum())} bureau codes are not of a known form",
            source=path,
            where=f"column {found.bureau!r}" + (f" with communes from {found.commune!r}" if found.commune else ""),
            codes=values[bad].astype(str).unique(),
            hint="bureau codes look like 1, 0001, 54A, 16-1, 29039_1 or 'Bureau n°12'; fix or remove those rows",
        )
    return found


def _optional_count(raw: pd.DataFrame, candidates: Iterable[str], *, source: Path) -> pd.Series:
    """The first of ``candidates`` as float counts (text that is not a number is NaN); negative or infinite counts raise."""
    column = first_match(list(raw.columns), candidates)
    if column is None:
        return pd.Series(np.nan, index=raw.index)
    values = pd.to_numeric(raw[column], errors="coerce").astype("float64")
    impossible = (values < 0) | np.isinf(values)
    if impossible.any():
        features = np.flatnonzero(impossible.to_numpy())
        raise ImpossibleValueError(
            f"{len(features)} registered-voter counts are negative or infinite",
            source=source,
            where=f"column {column!r}, features {', '.join(str(i + 1) for i in features[:5])}",
            codes=[str(value)[:40] for value in raw[column].iloc[features[:5]]],
            hint="a count of registered voters is a whole number, 0 or more; fix those features or remove the column",
        )
    return values


def _merge_duplicates(frame: gpd.GeoDataFrame, *, source: Path | str) -> gpd.GeoDataFrame:
    """Merge rows that share a bureau key (a bureau published in several pieces), with a warning."""
    duplicated = frame["bureau_id"].duplicated(keep=False)
    if not duplicated.any():
        return frame[list(BUREAUX_COLUMNS)].reset_index(drop=True)
    warnings.warn(
        GeometryWarning(
            f"{source}: {frame.loc[duplicated, 'bureau_id'].nunique()} bureaux come in several pieces and were merged: "
            + ", ".join(frame.loc[duplicated, "bureau_id"].unique()[:5])
        ),
        stacklevel=3,
    )
    merged = frame.dissolve("bureau_id", as_index=False, sort=False, aggfunc={"commune": "first", "label": "first", "name": "first", "n_registered": "sum"})
    return merged[list(BUREAUX_COLUMNS)].reset_index(drop=True)
