"""Write demo tables in the layouts INSEE and IGN publish, so that the demo goes through the real readers.

The files look like the official ones (title rows, code columns, separators,
encodings, secret markers) but hold made-up figures; every spreadsheet says so
in its title rows.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from openpyxl import Workbook

from canvass.crs import WEB_CRS

BASE_IC_KEYS = ("IRIS", "REG", "DEP", "UU2020", "COM", "LIBCOM", "TRIRIS", "GRD_QUART", "LIBIRIS", "TYP_IRIS", "MODIF_IRIS", "LAB_IRIS")
"""Key columns of the base infracommunale, in INSEE's order, before the variables."""

TABLE_NAMES = ("iris_code", "commune", "commune_name", "iris_name", "iris_type")
"""Columns of the input tables that name an IRIS; every other column is a variable."""

FILOSOFI_COMMA_FROM = 2019
"""First Filosofi vintage written with decimal commas and ``s``/``ns`` markers; earlier ones use points and blanks."""


def write_base_ic_xlsx(table: pd.DataFrame, path: Path, *, theme: str, year: int) -> Path:
    """Write a base infracommunale spreadsheet: 5 title rows, the codes on row 6, one row per IRIS.

    Parameters
    ----------
    table
        ``iris_code`` and optionally ``commune``, ``commune_name``,
        ``iris_name``, ``iris_type`` and any of :data:`BASE_IC_KEYS`; every
        other column is a numeric variable named with its INSEE code
        (``P21_POP``). NaN is written as an empty cell.
    path
        The .xlsx to write.
    theme
        Theme in the title, e.g. ``"Logement"``.
    year
        Census year (geography of ``year + 2``, as INSEE does).

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    frame = _base_ic_frame(table)
    titles = (
        f"Base infracommunale (IRIS) - {theme} en {year}",
        f"Recensement de la population {year}, exploitation principale et complémentaire",
        f"Géographie au 01/01/{year + 2}",
        "Source : Insee, RP - fichier de démonstration généré par canvass",
        "Avertissement : chiffres fictifs, à ne pas utiliser pour une analyse",
    )
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("IRIS")
    for title in titles:
        sheet.append([title])
    sheet.append(list(frame.columns))
    cells = frame.astype(object).where(frame.notna(), None)
    for row in cells.itertuples(index=False):
        sheet.append(list(row))
    workbook.save(path)
    return path


def write_base_ic_csv(table: pd.DataFrame, path: Path) -> Path:
    """Write a base infracommunale CSV as older INSEE ones: ``;``, Windows-1252 (Latin-1), codes as text.

    ``table`` is laid out as for :func:`write_base_ic_xlsx`; NaN is written as
    an empty cell.
    """
    path = Path(path)
    _base_ic_frame(table).to_csv(path, sep=";", index=False, encoding="cp1252", na_rep="")
    return path


def write_filosofi_iris_csv(table: pd.DataFrame, path: Path, *, year: int) -> Path:
    """Write a Filosofi-by-IRIS CSV (``BASE_TD_FILO_DISP_IRIS_<year>``): ``IRIS`` then the indicators.

    Parameters
    ----------
    table
        ``iris_code`` and indicators named by their INSEE stem without the
        year (``DISP_MED``, ``DISP_TP60``, ``DISP_D1``…); ``year`` appends the
        2-digit suffix (``DISP_MED21``).
    path
        The .csv to write (UTF-8, ``;``).
    year
        Income year. Up to 2018, secret cells are blank and decimals use a
        point (as in the 2018 file); from :data:`FILOSOFI_COMMA_FROM` on,
        decimals use a comma and secret cells are ``ns`` when the whole IRIS
        is not significant, ``s`` otherwise.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    suffix = f"{year % 100:02d}"
    values = table.drop(columns=["iris_code"]).astype("float64")
    text = values.astype(str).apply(lambda column: column.str.removesuffix(".0"))
    secret = values.isna()
    if year >= FILOSOFI_COMMA_FROM:
        whole_row = secret & secret.all(axis=1).to_numpy()[:, None]
        text = text.apply(lambda column: column.str.replace(".", ",", regex=False)).mask(secret, "s").mask(whole_row, "ns")
    else:
        text = text.mask(secret, "")
    text.columns = [f"{column}{suffix}" for column in values.columns]
    text.insert(0, "IRIS", table["iris_code"].astype(str))
    text.to_csv(path, sep=";", index=False, encoding="utf-8")
    return path


def write_iris_contours(gdf: gpd.GeoDataFrame, path: Path) -> Path:
    """Write IRIS contours as IGN CONTOURS-IRIS GeoJSON (EPSG:4326).

    ``gdf`` has the :data:`~canvass.opendata.schemas.IRIS_COLUMNS` and
    optionally ``commune_name``; the file gets IGN's ``INSEE_COM``,
    ``NOM_COM``, ``IRIS`` (4 digits), ``CODE_IRIS``, ``NOM_IRIS``, ``TYP_IRIS``.
    """
    path = Path(path)
    code = gdf["iris_code"].astype(str)
    layer = gpd.GeoDataFrame(
        {
            "INSEE_COM": gdf["commune"].astype(str),
            "NOM_COM": gdf["commune_name"] if "commune_name" in gdf.columns else pd.Series(None, index=gdf.index, dtype=str),
            "IRIS": code.str.slice(5),
            "CODE_IRIS": code,
            "NOM_IRIS": gdf["iris_name"],
            "TYP_IRIS": gdf["iris_type"],
        },
        geometry=gdf.geometry.values,
        crs=gdf.crs,
    ).to_crs(WEB_CRS)
    path.unlink(missing_ok=True)
    layer.to_file(path, driver="GeoJSON")
    return path


def _base_ic_frame(table: pd.DataFrame) -> pd.DataFrame:
    """Return ``table`` with the base infracommunale key columns first, then its variables as floats."""
    code = table["iris_code"].astype(str)
    commune = table["commune"].astype(str) if "commune" in table.columns else code.str.slice(0, 5)
    blank = pd.Series("", index=table.index)
    derived = {
        "IRIS": code,
        "REG": blank,
        "DEP": commune.str.slice(0, 2).where(~commune.str.startswith("97"), commune.str.slice(0, 3)),
        "UU2020": blank,
        "COM": commune,
        "LIBCOM": table.get("commune_name", blank),
        "TRIRIS": blank,
        "GRD_QUART": commune + code.str.slice(5, 7),
        "LIBIRIS": table.get("iris_name", blank),
        # A commune not split into IRIS is one pseudo-IRIS <commune>0000 of type Z.
        "TYP_IRIS": table.get("iris_type", pd.Series(np.where(code.str.endswith("0000"), "Z", "H"), index=table.index)),
        "MODIF_IRIS": pd.Series("00", index=table.index),
        "LAB_IRIS": pd.Series("1", index=table.index),
    }
    keys = pd.DataFrame({key: table[key].astype(str) if key in table.columns else derived[key] for key in BASE_IC_KEYS})
    variables = table.drop(columns=[c for c in table.columns if c in TABLE_NAMES or c in BASE_IC_KEYS]).astype("float64")
    return pd.concat([keys, variables], axis=1)
