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
from canvass.opendata._io import read_text_table, require_columns, to_number
from canvass.opendata.bureaux import communes_mask
from canvass.opendata.schemas import ADDRESS_COLUMNS

BAN_COLUMNS = ("id", "numero", "nom_voie", "code_insee", "lon", "lat")
"""Columns of the BAN "adresses-<département>.csv" files used here."""
BAL_COLUMNS = ("cle_interop", "numero", "voie_nom", "commune_insee", "long", "lat")
"""Columns of the Base Adresse Locale (BAL 1.3/1.4) files used here."""
REU_COLUMNS = ("id_brut_bv_reu", "code_commune_ref", "longitude", "latitude", "nb_adresses")
"""Columns of INSEE's "bureaux de vote et adresses de leurs électeurs" geolocated table."""


def read_ban(path: Path, *, communes: Iterable[str] | None = None) -> gpd.GeoDataFrame:
    """Read a BAN (or BAL) address file; one point per address.

    Raises
    ------
    InputDataError
        Missing columns, coordinates that are not numbers, or no address in the communes asked.
    """
    path = Path(path)
    raw = read_text_table(path)
    if "cle_interop" in raw.columns:
        require_columns(raw, BAL_COLUMNS, source=path, layout="Base Adresse Locale")
        raw = raw.rename(columns={"cle_interop": "id", "voie_nom": "nom_voie", "commune_insee": "code_insee", "long": "lon", "suffixe": "rep"})
    else:
        require_columns(raw, BAN_COLUMNS, source=path, layout="BAN adresses")
    commune = codes.normalise_commune(raw["code_insee"])
    housenumber = raw["numero"].astype("string")
    if "rep" in raw.columns:
        housenumber = housenumber.str.cat(raw["rep"].astype("string").fillna(""), sep="")
    frame = _points(
        raw,
        lon="lon",
        lat="lat",
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

    ``n_addresses`` is ``nb_adresses`` (addresses sharing the point).

    Raises
    ------
    InputDataError
        Missing columns, bad bureau keys or coordinates, or no point in the communes asked.
    """
    path = Path(path)
    raw = read_text_table(path)
    require_columns(raw, REU_COLUMNS, source=path, layout="REU adresses géolocalisées")
    bureau_id = codes.split_bureau_key(raw["id_brut_bv_reu"], source=str(path), column="id_brut_bv_reu")
    frame = _points(
        raw,
        lon="longitude",
        lat="latitude",
        source=path,
        columns={
            "address_id": pd.Series(np.arange(len(raw)).astype(str), index=raw.index, dtype="string"),
            "commune": codes.normalise_commune(raw["code_commune_ref"]),
            "bureau_id": bureau_id,
            "street_name": pd.Series(pd.NA, index=raw.index, dtype="string"),
            "housenumber": pd.Series(pd.NA, index=raw.index, dtype="string"),
            "n_addresses": to_number(raw["nb_adresses"]).fillna(1.0),
            "source": "REU",
        },
    )
    return _select(frame, communes, path, by="bureau_id")


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
    frame = gpd.GeoDataFrame(columns, index=raw.index, geometry=gpd.points_from_xy(x, y), crs=WEB_CRS).to_crs(METRIC_CRS)
    return frame[list(ADDRESS_COLUMNS)].reset_index(drop=True)


def _select(frame: gpd.GeoDataFrame, communes: Iterable[str] | None, source: Path, *, by: str) -> gpd.GeoDataFrame:
    communes = list(communes or [])
    if not communes:
        return frame
    if by == "bureau_id":
        keep = communes_mask(frame["bureau_id"], communes)
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
