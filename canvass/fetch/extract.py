"""Keep one commune's rows of a national file while streaming it: GeoJSON features, CSV rows, parquet row groups.

National files run to hundreds of megabytes; none is held whole in memory. GeoJSON
is parsed feature by feature (ijson), CSV line by line (plain, gzip or a zip member),
and parquet is read by row group over HTTP Range requests, skipping the groups whose
statistics exclude the commune.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import ijson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from canvass.errors import InputDataError


def same_value(value: object, wanted: set[str]) -> bool:
    """Equality on codes written either way (``16`` and ``"16"``, ``"0016"`` and ``"16"``)."""
    text = str(value).strip()
    if text in wanted:
        return True
    return text.isdigit() and any(item.isdigit() and int(item) == int(text) for item in wanted)


def filter_geojson(source: Path, target: Path, field: str, wanted: set[str]) -> int:
    """Write the features of ``source`` whose property ``field`` is one of ``wanted``; return how many."""
    count = 0
    with open(source, "rb") as stream, open(target, "w", encoding="utf-8") as out:
        out.write('{"type": "FeatureCollection", "features": [\n')
        for feature in ijson.items(stream, "features.item", use_float=True):
            if same_value((feature.get("properties") or {}).get(field), wanted):
                out.write((",\n" if count else "") + json.dumps(feature, ensure_ascii=False))
                count += 1
        out.write("\n]}\n")
    return count


@contextmanager
def open_text(path: Path, encoding: str = "utf-8", member: Callable[[list[str]], str] | None = None) -> Iterator[io.TextIOBase]:
    """Open a plain, gzipped or zipped text file for streaming; ``member`` picks the file inside a zip."""
    with open(path, "rb") as raw:
        head = raw.read(4)
    if head.startswith(b"PK"):
        with zipfile.ZipFile(path) as archive:
            names = [name for name in archive.namelist() if not name.endswith("/")]
            name = member(names) if member else max(names, key=lambda item: archive.getinfo(item).file_size)
            with archive.open(name) as binary:
                yield io.TextIOWrapper(binary, encoding=encoding, errors="replace", newline="")
    elif head.startswith(b"\x1f\x8b"):
        with gzip.open(path, "rt", encoding=encoding, errors="replace", newline="") as text:
            yield text
    else:
        with open(path, encoding=encoding, errors="replace", newline="") as text:
            yield text


def largest_table(names: list[str]) -> str:
    """The data table of an INSEE zip: the CSV whose name does not say ``meta``/``doc``."""
    tables = [name for name in names if name.lower().endswith(".csv") and not any(word in name.lower() for word in ("meta", "doc"))]
    if not tables:
        raise InputDataError("the zip holds no data CSV", codes=names, hint="download the file by hand and check its content")
    return sorted(tables, key=lambda name: ("_met" not in name.lower(), name))[0]


def filter_csv(
    source: Path,
    target: Path,
    keep: Callable[[dict[str, int], list[str]], bool],
    *,
    encoding: str = "utf-8",
    header_has: str | None = None,
    member: Callable[[list[str]], str] | None = None,
) -> int:
    """Copy the header and the rows ``keep(columns, row)`` accepts, in UTF-8 with the source's separator.

    ``header_has`` names a cell of the header row (title rows above it are skipped).
    Returns the number of rows kept.
    """
    count = 0
    with open_text(source, encoding, member) as text, open(target, "w", encoding="utf-8", newline="") as out:
        lines = iter(text)
        header_line = next(lines, "")
        for _ in range(12):
            if header_has is None or header_has in header_line:
                break
            header_line = next(lines, "")
        separator = max(";,\t", key=header_line.count)
        header = next(csv.reader([header_line], delimiter=separator))
        columns = {name.strip().strip('"'): index for index, name in enumerate(header)}
        if header_has is not None and header_has not in columns:
            raise InputDataError(f"no {header_has} column in the first lines", source=source,
                                 hint="the publisher's layout changed; download the file by hand")
        writer = csv.writer(out, delimiter=separator, lineterminator="\n")
        writer.writerow(header)
        for row in csv.reader(lines, delimiter=separator):
            if row and keep(columns, row):
                writer.writerow(row)
                count += 1
    return count


def extract_parquet(reader, columns_required: list[str], wanted: dict[str, set[str]], *, source: str) -> pa.Table:
    """Rows of a remote parquet file (``reader``: a seekable file object) whose columns hold wanted values.

    ``wanted`` maps column names to accepted values; the first one is matched against the
    row-group statistics to skip groups without the commune.

    Raises
    ------
    InputDataError
        A required column is missing (the publisher changed the schema).
    """
    parquet = pq.ParquetFile(reader)
    names = parquet.schema_arrow.names
    missing = [column for column in columns_required + list(wanted) if column not in names]
    if missing:
        raise InputDataError("the parquet file lacks expected columns (the schema may have changed)", source=source,
                             codes=missing, hint="update the catalogue's columns, or download an older vintage by hand")
    key = next(iter(wanted))
    key_index = names.index(key)
    pieces = []
    for group in range(parquet.num_row_groups):
        statistics = parquet.metadata.row_group(group).column(key_index).statistics
        if statistics is not None and statistics.has_min_max:
            low, high = str(statistics.min), str(statistics.max)
            if not any(low <= value <= high for value in wanted[key]):
                continue
        keys = parquet.read_row_group(group, columns=list(wanted))
        mask = None
        for column, values in wanted.items():
            hit = pc.is_in(keys[column].cast(pa.string()), value_set=pa.array(sorted(values), pa.string()))
            mask = hit if mask is None else pc.and_(mask, hit)
        if pc.any(mask).as_py():
            pieces.append(parquet.read_row_group(group).filter(mask))
    if not pieces:
        return parquet.schema_arrow.empty_table()
    return pa.concat_tables(pieces)
