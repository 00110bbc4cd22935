"""Address points: the BAN (Base Adresse Nationale) and the REU extract of INSEE.

Both become :data:`ADDRESS_COLUMNS` points in Lambert-93. The REU extract also
tells each address's bureau de vote, which lets bureaux be built where no
polygons are published (:func:`canvass.opendata.bureaux.bureaux_from_reu`).
Only aggregated address points are read: the REU extract published by INSEE
holds no elector.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from canvass.crs import METRIC_CRS, WEB_CRS
from canvass.errors import InputDataError
from canvass.opendata import codes
from canvass.opendata._geo import check_in_france
from canvass.opendata._io import first_match, read_text_table, require_columns, to_count, to_number
from canvass.opendata.schemas import ADDRESS_COLUMNS
from canvass.opendata.sniff import SAMPLE_ROWS, bureau_keys, commune_text, find_bureau_columns, find_commune_columns, find_coordinate_columns

BAN_COLUMNS = ("id", "numero", "nom_voie")
"""Columns of the BAN "adresses-<département>.csv" files read by name; the commune and coordinates are found by value."""
BAL_COLUMNS = ("cle_interop", "numero", "voie_nom")
"""The same for Base Adresse Locale (BAL 1.3/1.4) files."""
COUNT_COLUMNS = ("nb_adresses", "nombre_adresses", "n_adresses")
"""Addresses sharing a REU point (optional: 1 each without it)."""


def read_ban(path: Path, *, communes: Iterable[str] | None = None) -> gpd.GeoDataFrame:
    """Read a BAN (or BAL) address file; one point per address.

    Raises
    ------
    InputDataError
        Missing columns, coordinates that are not numbers, or no address in the communes asked.
    """
    path = Path(path)
    raw = read_text_table(path)
    communes = list(communes or [])
    if "cle_interop" in raw.columns:
        require_columns(raw, BAL_COLUMNS, source=path, layout="Base Adresse Locale")
        raw = raw.rename(columns={"cle_interop": "id", "voie_nom": "nom_voie", "suffixe": "rep"})
    else:
        require_columns(raw, BAN_COLUMNS, source=path, layout="BAN adresses")
    sample = raw.head(SAMPLE_ROWS)
    commune_columns = find_commune_columns(sample, communes)
    if not commune_columns:
        raise InputDataError(
            "no column of INSEE commune codes",
            source=path,
            where=f"columns: {', '.join(map(str, raw.columns[:15]))}",
            hint="an address file needs the 5-character INSEE code of each address's commune (e.g. 29019)",
        )
    lon, lat = _coordinates(sample, path)
    commune = commune_text(raw[commune_columns[0]])
    housenumber = raw["numero"].astype("string")
    if "rep" in raw.columns:
        housenumber = housenumber.str.cat(raw["rep"].astype("string").fillna(""), sep="")
    frame = _points(
        raw,
        lon=lon,
        lat=lat,
        source=path,
        columns={
            "address_id": raw["id"].astype("string"),
            "commune": commune,
            "bureau_id": pd.Series(pd.NA, index=raw.index, dtype="string"),
            "street_name": raw["nom_voie"].astype("string"),
            "housenumber": housenumber,
            "n_addresses": 1.0,
            "source": "BAN",
        },
    )
    return _select(frame, communes, path, by="commune")


def read_reu(path: Path, *, communes: Iterable[str] | None = None) -> gpd.GeoDataFrame:
    """Read INSEE's geolocated REU extract: address points tagged with their bureau de vote.

    The bureau key, commune and coordinate columns are found by their values
    (:mod:`canvass.opendata.sniff`); ``n_addresses`` is the count of addresses
    sharing the point (``nb_adresses``), 1 when the file has no such column.

    Raises
    ------
    InputDataError
        No bureau or coordinate column, bad bureau keys or coordinates (outside France, swapped),
        address counts negative or infinite, or no point in the communes asked.
    """
    path = Path(path)
    raw = read_text_table(path)
    communes = list(communes or [])
    # A spread sample: REU files are sorted by bureau, and their head holds only the first ones.
    sample = raw.sample(n=min(len(raw), SAMPLE_ROWS), random_state=0).sort_index()
    found = find_bureau_columns(sample, communes, one_row_per_bureau=False, source=str(path))
    bureau_id = bureau_keys(raw, found)
    bad = bureau_id.isna() & raw[found.bureau].notna()
    if bad.any():
        raise InputDataError(
            f"{int(bad.sum())} bureau keys are not of a known form",
            source=path,
            where=f"column {found.bureau!r}",
            codes=raw.loc[bad, found.bureau].unique(),
            hint="expected keys such as 29039_1 (INSEE commune code, underscore, bureau number)",
        )
    lon, lat = _coordinates(sample, path)
    commune_columns = [column for column in find_commune_columns(sample, communes) if column != found.bureau]
    count = first_match(list(raw.columns), COUNT_COLUMNS)
    frame = _points(
        raw,
        lon=lon,
        lat=lat,
        source=path,
        columns={
            "address_id": pd.Series(np.arange(len(raw)).astype(str), index=raw.index, dtype="string"),
            "commune": commune_text(raw[commune_columns[0]]) if commune_columns else codes.commune_of_key(bureau_id),
            "bureau_id": bureau_id,
            "street_name": pd.Series(pd.NA, index=raw.index, dtype="string"),
            "housenumber": pd.Series(pd.NA, index=raw.index, dtype="string"),
            "n_addresses": to_count(raw[count], source=path, column=count).fillna(1.0) if count else 1.0,
            "source": "REU",
        },
    )
    return _select(frame, communes, path, by="bureau_id")


def _coordinates(sample: pd.DataFrame, source: Path) -> tuple[str, str]:
    found = find_coordinate_columns(sample)
    if found is None:
        raise InputDataError(
            "no longitude and latitude columns found",
            source=source,
            where=f"columns: {', '.join(map(str, sample.columns[:15]))}",
            hint="address points need WGS84 decimal degrees in two columns (e.g. -4.486 and 48.390)",
        )
    return found


def _points(raw: pd.DataFrame, *, lon: str, lat: str, source: Path, columns: dict) -> gpd.GeoDataFrame:
    """Build Lambert-93 points from WGS84 columns, refusing rows whose coordinates are not numbers."""
    x, y = to_number(raw[lon]), to_number(raw[lat])
    bad = x.isna() | y.isna() | ~x.between(-180, 180) | ~y.between(-90, 90)
    if bad.all():
        raise InputDataError(
            "no row has usable longitude/latitude",
            source=source,
            where=f"columns {lon!r}, {lat!r}",
            hint="coordinates must be WGS84 decimal degrees (e.g. -4.486, 48.390)",
        )
    if bad.any():
        first = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputDataError(
            f"{int(bad.sum())} rows have no usable longitude/latitude",
            source=source,
            where=f"columns {lon!r}, {lat!r}, first at data row {first + 1}",
            codes=raw.loc[bad, lon].astype(str).head(5),
            hint="remove or geocode those rows; coordinates must be WGS84 decimal degrees",
        )
    check_in_france(x.to_numpy(), y.to_numpy(), source=source, where=f"columns {lon!r}, {lat!r}", labels=np.arange(len(x)) + 1, prefix="data row ")
    frame = gpd.GeoDataFrame(columns, index=raw.index, geometry=gpd.points_from_xy(x, y), crs=WEB_CRS).to_crs(METRIC_CRS)
    return frame[list(ADDRESS_COLUMNS)].reset_index(drop=True)


def _select(frame: gpd.GeoDataFrame, communes: Iterable[str] | None, source: Path, *, by: str) -> gpd.GeoDataFrame:
    communes = list(communes or [])
    if not communes:
        return frame
    if by == "bureau_id":
        keep = codes.keys_in_area(frame["bureau_id"], communes)
    else:
        keep = codes.in_area(frame["commune"], communes) | frame["commune"].isin([codes.plm_parent(code) for code in communes])
    if not keep.any():
        raise InputDataError(
            f"no address of commune {', '.join(communes)} in this file",
            source=source,
            codes=sorted(frame["commune"].dropna().unique()),
            hint="check the INSEE code; the values are the communes the file holds",
        )
    return frame.loc[keep].reset_index(drop=True)
