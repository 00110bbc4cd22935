"""Tell what each file of a commune folder is, from its name and its header.

A field organiser drops the files of a commune into one folder; this module
sorts them into kinds (bureaux, results, IRIS, census, streets, addresses…)
without reading them whole. Vector layers are told by the values of their
attributes (bureau codes, commune codes), whatever their column names. Files it does not recognise are listed with the
reason, never silently used. Any file's kind can be forced by the caller.
"""

from __future__ import annotations

import bz2
import gzip
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import pyogrio.errors

from canvass.errors import InputDataError
from canvass.opendata import codes, sniff
from canvass.opendata._io import sniff_separator

KINDS = ("bureaux", "contours", "results", "iris", "census", "grid", "reu", "ban", "streets", "teams")
"""Kinds of input a territory is built from (``teams`` files are for the planner); ``ignore`` may also be forced."""

SOURCES_FILE = "SOURCES.json"
"""Licences, vintages and attributions of the files a folder got from ``canvass fetch``."""

VECTOR_SUFFIXES = (".geojson", ".gpkg", ".shp", ".topojson", ".fgb")
TABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".parquet")
STREET_SUFFIXES = (".osm", ".pbf", ".graphml", ".gml", ".o5m")
IRIS_CODE_COLUMNS = ("DCOMIRIS", "CODE_IRIS", "code_iris", "iris_code")


@dataclass(frozen=True)
class InputFile:
    """One file of a commune folder and what it is.

    ``layout`` refines the kind where several publisher layouts exist (results
    layouts, street formats); ``reason`` says why a file is ignored.
    """

    path: Path
    kind: str
    layout: str | None = None
    reason: str | None = None


def classify_folder(folder: Path, *, forced: dict[Path, str] | None = None) -> list[InputFile]:
    """Classify every file under ``folder`` (recursively), in name order.

    ``forced`` maps paths to a kind (``results``, or ``results:mi2022`` to force a
    layout too, or ``ignore``); forced files may lie outside the folder.

    Raises
    ------
    InputDataError
        If the folder does not exist or a forced kind is unknown.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputDataError("folder not found", source=folder, hint="give the folder that holds the commune's files")
    forced = {Path(path).resolve(): kind for path, kind in (forced or {}).items()}
    paths = sorted(path for path in folder.rglob("*") if path.is_file() and not path.name.startswith("."))
    paths += [path for path in forced if path not in {p.resolve() for p in paths}]
    files = []
    for path in paths:
        kind = forced.get(path.resolve())
        if kind is not None:
            files.append(_forced(path, kind))
        elif _is_sidecar(path):
            continue
        else:
            files.append(classify_file(path))
    return files


def classify_file(path: Path) -> InputFile:
    """Classify one file from its suffix and header; unreadable files are ``ignored`` with a reason."""
    path = Path(path)
    suffixes = "".join(path.suffixes).lower()
    base = suffixes.removesuffix(".gz").removesuffix(".bz2")
    try:
        if any(base.endswith(suffix) for suffix in STREET_SUFFIXES):
            return InputFile(path, "streets")
        if base.endswith(".json"):
            return _classify_json(path)
        if any(base.endswith(suffix) for suffix in VECTOR_SUFFIXES):
            return _classify_vector(path)
        if any(base.endswith(suffix) for suffix in TABLE_SUFFIXES):
            return _classify_columns(path, _table_columns(path))
    except InputDataError as error:
        return InputFile(path, "ignore", reason=error.what)
    except _UNREADABLE as error:  # a damaged file: GDAL, Arrow or the decompressor cannot open it
        return InputFile(path, "ignore", reason=f"the file cannot be read ({type(error).__name__}: {str(error)[:160]})")
    return InputFile(path, "ignore", reason=f"unknown file type {suffixes or '(no extension)'}")


_UNREADABLE = (
    pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, pyogrio.errors.FieldError, pyogrio.errors.GeometryError,
    pyogrio.errors.CRSError, pa.ArrowException, OSError, EOFError, ValueError,
)
"""What reading the head of a damaged file raises (ValueError covers pandas and Arrow parse errors)."""


def _forced(path: Path, kind: str) -> InputFile:
    base, _, layout = kind.partition(":")
    if base not in KINDS + ("ignore",):
        raise InputDataError(
            f"unknown kind {kind!r}",
            source=path,
            hint=f"kinds are {', '.join(KINDS)} or ignore; a layout may follow, e.g. results:mi2022",
        )
    return InputFile(path, base, layout or None, reason="forced" if base == "ignore" else None)


def _is_sidecar(path: Path) -> bool:
    """Shapefile companions and metadata are read with their main file; the sources record of ``canvass fetch`` travels as metadata."""
    return path.name == SOURCES_FILE or path.suffix.lower() in {".shx", ".dbf", ".prj", ".cpg", ".qmd", ".md", ".xml", ".sbn", ".sbx"}


def _classify_vector(path: Path) -> InputFile:
    """Tell a vector layer's kind from its geometry and the values of its attributes.

    IRIS layers are told by their code column; a layer of areas whose values
    hold bureau codes (:func:`sniff.find_bureau_columns`) is a bureau layer; one
    whose values hold INSEE commune codes is a layer of commune contours.
    """
    info = pyogrio.read_info(path)
    fields = [str(field) for field in info["fields"]]
    geometry = str(info.get("geometry_type") or "")
    lowered = {field.lower() for field in fields}
    if any(column.lower() in lowered for column in IRIS_CODE_COLUMNS):
        return InputFile(path, "iris")
    areas = "Polygon" in geometry or geometry in ("Unknown", "")
    attributes = pyogrio.read_dataframe(path, read_geometry=False, max_features=sniff.SAMPLE_ROWS)
    try:
        found = sniff.find_bureau_columns(attributes, require_commune=False)
    except InputDataError as error:
        why_not = f"no column reads as bureau codes ({error.where})"
    else:
        if areas:
            return InputFile(path, "bureaux")
        why_not = f"{found.describe()}, but its features are {geometry} (polling places?), not areas"
    if areas and sniff.find_commune_columns(attributes):
        return InputFile(path, "contours")
    return InputFile(path, "ignore", reason=f"a {geometry or 'vector'} layer without IRIS or commune codes: {why_not}")


def _classify_json(path: Path) -> InputFile:
    head = _head_text(path, 4096).lstrip()
    if '"elements"' in head or '"osm3s"' in head:
        return InputFile(path, "streets", "overpass_json")
    if '"FeatureCollection"' in head or '"Topology"' in head:
        return _classify_vector(path)
    return InputFile(path, "ignore", reason="JSON that is neither GeoJSON nor an Overpass extract")


def _table_columns(path: Path) -> list[str]:
    """Return the column names of a table without reading it whole (title rows skipped)."""
    suffix = path.name.lower().removesuffix(".gz")
    if suffix.endswith(".parquet"):
        return list(pq.read_schema(path).names)
    if suffix.endswith(".xlsx"):
        from canvass.opendata._io import read_excel_table

        try:
            return list(read_excel_table(path, header_predicate=lambda cells: "IRIS" in cells).columns)
        except InputDataError:
            return []
    lines = _head_text(path, 64 * 1024).splitlines()[:12]
    if not lines:
        raise InputDataError("the file is empty", source=path)
    for line in lines:
        cells = [cell.strip().strip('"') for cell in line.split(sniff_separator(line))]
        if "IRIS" in cells:
            return cells
    return [cell.strip().strip('"') for cell in lines[0].split(sniff_separator(lines[0]))]


def _classify_columns(path: Path, columns: list[str]) -> InputFile:
    from canvass.opendata.results import detect_results_layout

    layout = detect_results_layout(columns)
    if layout is not None:
        return InputFile(path, "results", layout)
    names = set(columns)
    if "idcar_200m" in names:
        return InputFile(path, "grid")
    if "IRIS" in names:
        return InputFile(path, "census")
    lowered = {name.lower() for name in names}
    if "minutes" in lowered and lowered & {"nom", "name"}:
        return InputFile(path, "teams")
    return _classify_points(path, columns)


def _classify_points(path: Path, columns: list[str]) -> InputFile:
    """Tell address tables by their values: WGS84 coordinates plus bureau keys (REU) or commune codes (BAN, BAL)."""
    sample = _table_sample(path, columns)
    coordinates = None if sample is None else sniff.find_coordinate_columns(sample)
    if coordinates is None:
        return InputFile(path, "ignore", reason="a table whose columns match no known layout (and no longitude/latitude columns)")
    # Only keys that carry their commune (29039_1) tell REU points from house numbers beside a
    # commune code; the head of a file sorted by bureau holds too few bureaux to judge more.
    for column in sample.columns:
        if codes.parse_bureau_codes(sample[column])["form"].eq("key").fillna(False).mean() >= sniff.MIN_SHARE and not _is_id_prefix(sample, column):
            return InputFile(path, "reu")
    if sniff.find_commune_columns(sample):
        return InputFile(path, "ban")
    return InputFile(
        path,
        "ignore",
        reason=f"a table whose columns match no known layout (nor address points: {coordinates[0]!r}/{coordinates[1]!r} "
        "could be coordinates, but no column holds bureau keys such as 29039_1 or INSEE commune codes)",
    )


def _is_id_prefix(sample: pd.DataFrame, column: str) -> bool:
    """Whether ``column`` begins another column's values: a BAN street code (``29019_0336``, FANTOIR) that reads like a
    bureau key, inside the address id ``29019_0336_00012``; REU bureau keys begin nothing."""
    prefixes = (sample[column].fillna("").astype(str) + "_").tolist()
    return any(np.mean([text.startswith(prefix) for text, prefix in zip(sample[other].fillna("").astype(str), prefixes)]) >= sniff.MIN_SHARE
               for other in sample.columns if other != column)


def _table_sample(path: Path, columns: list[str], rows: int = 2000) -> pd.DataFrame | None:
    """Read the first rows of a text or Parquet table as strings, or None for other tables."""
    name = path.name.lower().removesuffix(".gz").removesuffix(".bz2")
    if name.endswith(".parquet"):
        batch = next(pq.ParquetFile(path).iter_batches(batch_size=rows), None)
        if batch is None:
            return None
        frame = batch.to_pandas()
        text = [column for column in frame.columns if not frame[column].map(lambda value: isinstance(value, bytes)).any()]
        return frame[text].astype("string")
    if not name.endswith((".csv", ".txt", ".tsv")):
        return None
    lines = _head_text(path, 512 * 1024).splitlines()
    header = next((index for index, line in enumerate(lines[:12]) if columns and columns[0] in line), 0)
    text = "\n".join(lines[header : header + rows + 1][:-1] if len(lines) > header + rows + 1 else lines[header:-1] or lines[header:])
    try:
        return pd.read_csv(io.StringIO(text), sep=sniff_separator(lines[header]), dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, pd.errors.EmptyDataError):
        return None


def _head_text(path: Path, size: int) -> str:
    """Decode the first ``size`` bytes of a (possibly compressed) file."""
    opener = gzip.open if path.suffix == ".gz" else bz2.open if path.suffix == ".bz2" else open
    with opener(path, "rb") as stream:
        data = stream.read(size)
    if not data.strip():
        raise InputDataError("the file is empty", source=path)
    if b"\x00" in data:
        raise InputDataError("binary content", source=path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        return data[: error.start].decode("utf-8") if error.start > size - 8 else data.decode("cp1252", errors="replace")
