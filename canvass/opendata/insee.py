"""INSEE and IGN data by IRIS and by 200 m grid cell: contours, census tables, Filosofi.

Three kinds of census table share one output (one row per IRIS, ``iris_code``
first, INSEE variable codes as float64 columns, NaN where INSEE gives no value):

* the *base infracommunale* of the census (``base-ic-<theme>-<year>``), as
  .xlsx with title rows above the variable codes or as ``;`` CSV;
* plain RP extracts with an ``IRIS`` column and ``C11_*``/``P21_*`` variables;
* Filosofi by IRIS (``BASE_TD_FILO_DISP_IRIS_2018``, ``BASE_TD_FILO_IRIS_2021_DISP``),
  whose secret cells are blanks or ``s``/``ns``/``nd`` markers.

IRIS codes are 9 characters: the commune (arrondissement for Paris, Lyon,
Marseille) then 4 digits. Communes not split into IRIS appear as
``<commune>0000``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from canvass.crs import METRIC_CRS
from canvass.errors import ImpossibleValueError, InputDataError
from canvass.opendata._geo import check_in_france, clean_polygons, read_vector
from canvass.opendata._io import (
    MISSING_MARKERS,
    first_match,
    optional_text,
    read_excel_table,
    read_text_table,
    to_count,
    to_number,
)
from canvass.opendata.codes import PLM_COMMUNES, normalise_commune
from canvass.opendata.schemas import CENSUS_KEY, IRIS_COLUMNS

# Columns holding the full 9-character IRIS code, by IGN/INSEE vintage (matched case-insensitively).
IRIS_CODE_COLUMNS = ("DCOMIRIS", "CODE_IRIS", "IRIS")
# IGN contours before 2016 also carry the 4-character IRIS number alone, in ``IRIS``.
IRIS_NUMBER_COLUMN = "IRIS"
IRIS_COMMUNE_COLUMNS = ("DEPCOM", "INSEE_COM", "code_insee")
IRIS_NAME_COLUMNS = ("NOM_IRIS", "LIBIRIS", "LIB_IRIS")
IRIS_TYPE_COLUMNS = ("TYP_IRIS",)

# Census key columns naming the commune of an IRIS (base infracommunale ``COM``).
CENSUS_COMMUNE_COLUMNS = ("COM", "DEPCOM", "INSEE_COM", "CODGEO")
# Descriptive columns of the base infracommunale and of IGN layers: labels and
# codes that look like numbers (REG, LAB_IRIS) but are not variables.
DESCRIPTIVE_COLUMNS = frozenset(
    {
        "REG", "DEP", "UU2010", "UU2020", "AAV2020", "ZE2020", "EPCI", "ARR", "COM", "DEPCOM", "INSEE_COM",
        "CODGEO", "LIBCOM", "NOM_COM", "LIBGEO", "TRIRIS", "GRD_QUART", "LIBIRIS", "LIB_IRIS", "NOM_IRIS",
        "TYP_IRIS", "MODIF_IRIS", "LAB_IRIS",
    }
)
FILOSOFI_PATTERN = re.compile(r"^(DISP|DEC)_", re.IGNORECASE)
# Census counts (P21_POP, C11_POP15P_CS1, base infracommunale P/C variables): never negative. Filosofi
# shares may be (DISP_PIMPOT18, taxes as a share of income, is negative).
CENSUS_COUNT_PATTERN = r"^[PC][0-9]{2}_"

# Filosofi grid: counts are ``ind*`` (persons), ``men*`` (households), ``log*``
# (dwellings); ``imputed`` and ``i_est_*`` are 0/1 flags.
GRID_VARIABLE_PATTERN = re.compile(r"^(ind|men|log)(_\w+)?$|^i_est_\w+$|^imputed$")
GRID_ID_PATTERN = r"^CRS3035RES(?P<size>[0-9]+)mN(?P<y>[0-9]+)E(?P<x>[0-9]+)$"
GRID_CRS = "EPSG:3035"
GRID_COMMUNE_COLUMNS = ("lcog_geo", "commune_centroid", "depcom", "codgeo", "code_insee")

_IRIS_CODE = r"^[0-9][0-9AB][0-9]{7}$"
_METRIC_TO_WEB = Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True)
_COMMUNE_CODE = r"[0-9][0-9AB][0-9]{3}"


def read_iris(path: Path, *, communes: Iterable[str] | None = None) -> gpd.GeoDataFrame:
    """Read IGN IRIS contours into :data:`IRIS_COLUMNS`, in Lambert-93.

    Parameters
    ----------
    path
        GeoJSON, GeoPackage or shapefile of CONTOURS-IRIS (any vintage).
    communes
        INSEE codes to keep. An arrondissement (``75116``) keeps its own IRIS;
        Paris, Lyon or Marseille (``75056``) keeps all their arrondissements.

    Returns
    -------
    gpd.GeoDataFrame
        One row per IRIS; invalid geometries repaired, null or empty ones
        dropped (both with a :class:`~canvass.errors.GeometryWarning`).

    Raises
    ------
    InputDataError
        No IRIS code column, malformed or duplicated codes, no IRIS of the
        communes asked for, or no geometry at all.
    """
    path = Path(path)
    raw = read_vector(path)
    code = _iris_codes_of_layer(raw, source=path)
    commune_column = first_match(raw.columns, IRIS_COMMUNE_COLUMNS)
    frame = gpd.GeoDataFrame(
        {
            "iris_code": code,
            "commune": (normalise_commune(raw[commune_column]) if commune_column else code.str.slice(0, 5)).astype(str),
            "iris_name": optional_text(raw, IRIS_NAME_COLUMNS),
            "iris_type": optional_text(raw, IRIS_TYPE_COLUMNS).str.upper(),
        },
        geometry=raw.geometry.values,
        crs=METRIC_CRS,
    )
    _check_unique(frame["iris_code"], source=path)
    frame = _select_communes(frame, communes, source=path)
    frame = clean_polygons(frame, source=path, key="iris_code")
    return frame[list(IRIS_COLUMNS)].reset_index(drop=True)


def read_census(path: Path, *, communes: Iterable[str] | None = None) -> pd.DataFrame:
    """Read an INSEE table by IRIS (base infracommunale, RP extract or Filosofi) into a wide table.

    Parameters
    ----------
    path
        .xlsx (title rows above the codes are skipped), or ``;``/``,`` text,
        optionally gzipped, UTF-8 or Latin-1.
    communes
        INSEE codes to keep, matched on the first 5 characters of the IRIS code
        or on the ``COM`` column; ``75056`` keeps every Paris arrondissement.

    Returns
    -------
    pd.DataFrame
        ``iris_code`` and ``commune`` (str), the descriptive columns of the
        file (``LIBIRIS``, ``TYP_IRIS``…) as str, then every variable as
        float64 with NaN for blank and secret cells. ``attrs["source_kind"]``
        is ``"base_ic"``, ``"rp"`` or ``"filosofi"``; ``attrs["n_missing"]``
        maps each variable to its number of NaN cells.

    Raises
    ------
    InputDataError
        No header row with an IRIS column, rows without IRIS code, malformed
        or duplicated codes, a variable column mixing numbers and text, or no
        IRIS of the communes asked for.
    """
    path = Path(path)
    expected = f"an IRIS code column ({', '.join(IRIS_CODE_COLUMNS)})"

    def is_header(cells: list[str]) -> bool:
        return first_match(cells, IRIS_CODE_COLUMNS) is not None

    is_spreadsheet = path.suffix.lower() in {".xlsx", ".xlsm"}
    if is_spreadsheet:
        raw = read_excel_table(path, header_predicate=is_header, expected=expected)
    else:
        raw = read_text_table(path, header_predicate=is_header, expected=expected)
    raw = raw.dropna(how="all")  # blank rows below a spreadsheet's data
    code_column = first_match(raw.columns, IRIS_CODE_COLUMNS)
    code = _normalise_iris(raw[code_column], source=path, where=f"column {code_column!r}")
    _check_unique(code, source=path)

    commune_column = first_match(raw.columns, CENSUS_COMMUNE_COLUMNS)
    commune = (normalise_commune(raw[commune_column]) if commune_column else code.str.slice(0, 5)).astype(str)
    descriptive = [column for column in raw.columns if column.upper() in DESCRIPTIVE_COLUMNS and column != commune_column]
    candidates = raw.drop(columns=[code_column, *descriptive, *([commune_column] if commune_column else [])])
    numbers, labels = _split_variables(candidates, source=path)

    table = pd.concat(
        [pd.DataFrame({CENSUS_KEY: code, "commune": commune}), raw[descriptive], labels, numbers], axis=1
    )
    table = _select_communes(table, communes, source=path).reset_index(drop=True)
    if any(FILOSOFI_PATTERN.match(column) for column in numbers.columns):
        kind = "filosofi"
    elif is_spreadsheet or descriptive or commune_column:
        kind = "base_ic"
    else:
        kind = "rp"
    table.attrs["source_kind"] = kind
    table.attrs["n_missing"] = {column: int(count) for column, count in table[numbers.columns].isna().sum().items()}
    return table


def read_filosofi_grid(path: Path, *, communes: Iterable[str] | None = None) -> gpd.GeoDataFrame:
    """Read a Filosofi grid CSV (200 m cells) into square cells in Lambert-93.

    The cell id ``CRS3035RES200mN<y>E<x>`` (or the ``x_3035``/``y_3035``
    columns) gives the lower-left corner in ETRS89-LAEA (EPSG:3035); each cell
    is built there as a square, then reprojected.

    Parameters
    ----------
    path
        CSV (``,`` or ``;``, optionally gzipped) with ``idcar_200m`` or
        ``x_3035``/``y_3035`` and count columns ``ind``, ``men``, ``men_*``,
        ``log_*``… (column names are lower-cased).
    communes
        INSEE codes to keep, looked up in ``lcog_geo`` (codes of the communes
        the cell touches) or another commune column of the file.

    Returns
    -------
    gpd.GeoDataFrame
        ``cell_id``, the counts as float64 (imputed cells keep their decimals),
        the other columns of the file as str, and the square geometry.

    Raises
    ------
    InputDataError
        No cell position, malformed cell ids, ids disagreeing with the
        coordinates, non-numeric or negative counts, or a commune filter on a
        file without commune column.
    """
    path = Path(path)
    raw = read_text_table(path)
    raw.columns = [column.lower() for column in raw.columns]
    corner = _grid_corners(raw, source=path)
    variables = [column for column in raw.columns if GRID_VARIABLE_PATTERN.match(column)]
    if not variables:
        raise InputDataError(
            "no count column (ind, men, men_*, log_*) in this grid file",
            source=path,
            where=f"columns: {', '.join(raw.columns)}",
            hint="give a Filosofi carreaux file (households, persons or dwellings theme)",
        )
    counts = pd.DataFrame({column: to_count(raw[column], source=path, column=column) for column in variables})
    others = raw.drop(columns=[*variables, *(c for c in ("idcar_200m", "x_3035", "y_3035") if c in raw.columns)])
    text = corner.astype("int64").astype(str)
    cell_id = "CRS3035RES" + text["size"] + "mN" + text["y"] + "E" + text["x"]
    squares = shapely.box(corner["x"], corner["y"], corner["x"] + corner["size"], corner["y"] + corner["size"])
    grid = gpd.GeoDataFrame(pd.concat([cell_id.rename("cell_id"), counts, others], axis=1), geometry=squares, crs=GRID_CRS)
    if communes is not None:
        commune_column = first_match(raw.columns, GRID_COMMUNE_COLUMNS)
        if commune_column is None:
            raise InputDataError(
                "cannot select communes: the grid file has no commune column",
                source=path,
                where=f"looked for {', '.join(GRID_COMMUNE_COLUMNS)}",
                hint="read the whole file and clip the cells with the commune contours instead",
            )
        chunks = raw[commune_column].str.findall(_COMMUNE_CODE).explode()
        keep = chunks.isin(_commune_set(communes)).groupby(level=0).any()
        if not keep.any():
            raise InputDataError(
                f"no cell of commune {', '.join(sorted(_commune_set(communes)))} in this grid file",
                source=path,
                where=f"column {commune_column!r}",
                codes=sorted(chunks.dropna().unique()),
                hint="check the INSEE codes; the values are the communes the file holds",
            )
        grid = grid.loc[keep.to_numpy()]
    grid = grid.to_crs(METRIC_CRS).reset_index(drop=True)
    corners = shapely.get_coordinates(shapely.centroid(grid.geometry.values))
    lon, lat = _METRIC_TO_WEB.transform(corners[:, 0], corners[:, 1])
    check_in_france(lon, lat, source=path, where="cell centres from idcar_200m or x_3035/y_3035", labels=grid["cell_id"].to_numpy(), prefix="cell ")
    return grid


def _iris_codes_of_layer(raw: pd.DataFrame, *, source: Path) -> pd.Series:
    """Return the 9-character IRIS codes of a contour layer, built from commune + 4-digit IRIS if need be."""
    for candidate in IRIS_CODE_COLUMNS:
        column = first_match(raw.columns, [candidate])
        if column is not None and _code_text(raw[column]).str.len().median() >= 8:
            return _normalise_iris(raw[column], source=source, where=f"column {column!r}")
    number_column = first_match(raw.columns, [IRIS_NUMBER_COLUMN])
    commune_column = first_match(raw.columns, IRIS_COMMUNE_COLUMNS)
    if number_column is not None and commune_column is not None:
        built = normalise_commune(raw[commune_column]) + _code_text(raw[number_column]).str.zfill(4)
        return _normalise_iris(built, source=source, where=f"columns {commune_column!r} + {number_column!r}")
    raise InputDataError(
        "no IRIS code column",
        source=source,
        where=f"columns: {', '.join(c for c in raw.columns if c != raw.geometry.name)}",
        hint=(
            f"the layer needs a 9-character IRIS code in one of {', '.join(IRIS_CODE_COLUMNS)} (any case: code_iris), "
            f"or a 4-character {IRIS_NUMBER_COLUMN} with the commune in {', '.join(IRIS_COMMUNE_COLUMNS)}"
        ),
    )


def _code_text(values: pd.Series) -> pd.Series:
    """Return codes as stripped upper-case strings, without the ``.0`` a spreadsheet may add."""
    return values.astype("string").str.strip().str.upper().str.replace(r"\.0$", "", regex=True)


def _normalise_iris(values: pd.Series, *, source: Path, where: str) -> pd.Series:
    """Return 9-character IRIS codes (a lost leading zero is put back), raising on blank or malformed ones."""
    text = _code_text(values)
    text = text.mask(text.str.fullmatch(r"[0-9]{8}", na=False), "0" + text)
    blank = text.isna()
    if blank.any():
        raise InputDataError(
            f"{int(blank.sum())} rows have no IRIS code",
            source=source,
            where=f"{where}, data rows {', '.join(str(i + 1) for i in blank.to_numpy().nonzero()[0][:5])}",
            hint="remove the notes or totals below the table, or fill the missing codes",
        )
    bad = ~text.str.fullmatch(_IRIS_CODE)
    if bad.any():
        raise InputDataError(
            f"{int(bad.sum())} IRIS codes are not 9 characters (5-character commune + 4 digits)",
            source=source,
            where=where,
            codes=text[bad].unique(),
            hint="read the codes as text so that leading zeros are kept (Excel drops them), and check the column",
        )
    return text.astype(str)


def _check_unique(code: pd.Series, *, source: Path) -> None:
    """Raise if an IRIS code appears on several rows."""
    duplicated = code.duplicated(keep=False)
    if duplicated.any():
        raise InputDataError(
            f"{code[duplicated].nunique()} IRIS codes appear on several rows",
            source=source,
            codes=sorted(code[duplicated].unique()),
            hint="keep one row per IRIS (dissolve split polygons, or remove the repeated lines)",
        )


def _commune_set(communes: Iterable[str]) -> set[str]:
    """Return the communes asked for, with the arrondissements of Paris, Lyon and Marseille added."""
    codes = {communes} if isinstance(communes, str) else set(communes)
    codes = set(normalise_commune(pd.Series(sorted(codes), dtype="string")))
    for parent, arrondissements in PLM_COMMUNES.items():
        if parent in codes:
            codes |= {str(number) for number in arrondissements}
    return codes


def _select_communes(frame: pd.DataFrame, communes: Iterable[str] | None, *, source: Path) -> pd.DataFrame:
    """Keep the IRIS whose code (first 5 characters) or commune column is one of ``communes``."""
    if communes is None:
        return frame
    wanted = _commune_set(communes)
    keep = frame["iris_code"].str.slice(0, 5).isin(wanted) | frame["commune"].isin(wanted)
    if not keep.any():
        raise InputDataError(
            f"no IRIS of commune {', '.join(sorted(wanted & set(communes)) or sorted(wanted))} in this file",
            source=source,
            codes=sorted(frame["commune"].dropna().unique()),
            hint=(
                "check the INSEE codes (the values are the communes the file holds); "
                "Paris IRIS use arrondissement codes (75116), 75056 selects them all"
            ),
        )
    return frame.loc[keep.to_numpy()]


def _split_variables(candidates: pd.DataFrame, *, source: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split columns into numeric variables (float64, markers as NaN) and text labels.

    A column where no cell is a number is a label (kept as str); a column
    mixing numbers and text other than secret markers is an error.
    """
    numbers = candidates.apply(to_number).astype("float64")
    marker = candidates.apply(lambda column: column.str.lower().isin(MISSING_MARKERS))
    unparsed = numbers.isna() & candidates.notna() & ~marker
    is_label = unparsed.any() & numbers.notna().sum().eq(0)
    mixed = unparsed.any() & ~is_label
    if mixed.any():
        column = mixed.index[mixed.to_numpy()][0]
        raise InputDataError(
            f"{int(mixed.sum())} variable columns mix numbers and text",
            source=source,
            where=f"column {column!r} (and {', '.join(mixed.index[mixed.to_numpy()][1:6])})",
            codes=candidates.loc[unparsed[column], column].unique(),
            hint="check the separator and stray quotes (columns may be shifted); secret cells should be blank, s, ns or nd",
        )
    numbers = numbers.loc[:, ~is_label]
    infinite = np.isinf(numbers)
    negative_count = (numbers < 0) & numbers.columns.str.match(CENSUS_COUNT_PATTERN)
    impossible = infinite | negative_count
    if impossible.any(axis=None):
        column = impossible.columns[impossible.any().to_numpy()][0]
        rows = np.flatnonzero(impossible[column].to_numpy())
        raise ImpossibleValueError(
            f"{int(impossible.to_numpy().sum())} values are infinite, or negative counts of people or dwellings",
            source=source,
            where=f"column {column!r}, data rows {', '.join(str(row + 1) for row in rows[:5])}",
            codes=[str(value)[:40] for value in candidates[column].iloc[rows[:5]]],
            hint="census counts (P21_POP, C11_POP15P…) are finite and not negative; check that the columns are not shifted",
        )
    return numbers, candidates.loc[:, is_label]


def _grid_corners(raw: pd.DataFrame, *, source: Path) -> pd.DataFrame:
    """Return the lower-left corner ``x``, ``y`` and ``size`` (m, EPSG:3035) of every grid cell."""
    has_xy = {"x_3035", "y_3035"} <= set(raw.columns)
    xy = raw[["x_3035", "y_3035"]].apply(to_number).set_axis(["x", "y"], axis=1) if has_xy else None
    if "idcar_200m" in raw.columns:
        corner = raw["idcar_200m"].str.extract(GRID_ID_PATTERN).apply(pd.to_numeric).astype("float64")
        bad = corner.isna().any(axis=1)
        if bad.any():
            raise InputDataError(
                f"{int(bad.sum())} cell ids are not of the form CRS3035RES200mN<y>E<x>",
                source=source,
                where="column 'idcar_200m'",
                codes=raw.loc[bad, "idcar_200m"].unique(),
                hint="check that this is an INSEE Filosofi grid file",
            )
        if xy is not None:
            disagree = xy.ne(corner[["x", "y"]]).any(axis=1)
            if disagree.any():
                raise InputDataError(
                    f"{int(disagree.sum())} cells have x_3035/y_3035 different from the corner in their id",
                    source=source,
                    codes=raw.loc[disagree, "idcar_200m"].unique(),
                    hint="the coordinates must be the lower-left corner named in idcar_200m; check the columns",
                )
        return corner
    if xy is None or xy.isna().any(axis=None):
        raise InputDataError(
            "no cell position: the file needs idcar_200m, or x_3035 and y_3035 filled on every row",
            source=source,
            where=f"columns: {', '.join(raw.columns)}",
            hint="give an INSEE Filosofi grid file (carreaux 200 m)",
        )
    return xy.assign(size=200.0)
