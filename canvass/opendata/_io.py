"""Low-level reading shared by the publisher readers: encodings, separators, numbers, columns.

Every table is read as text first (codes keep their leading zeros), then the
reader converts the columns it knows with :func:`to_number`.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from canvass.errors import DataQualityWarning, ImpossibleValueError, InputDataError

# Markers INSEE and the Ministry use for a value that exists but is not given
# (secret statistique, not significant, not available). They stay missing.
MISSING_MARKERS = frozenset({"", "s", "ns", "nd", "nc", "na", "n/a", "-", "x", "secret", "nan", "none", "null"})

_SNIFF_BYTES = 64 * 1024


def open_bytes(path: Path) -> bytes:
    """Return the bytes of ``path``, gunzipped if it ends in ``.gz``.

    Raises
    ------
    InputDataError
        If the file is missing or empty.
    """
    path = Path(path)
    if not path.exists():
        raise InputDataError("file not found", source=path, hint="check the path and the folder given")
    data = path.read_bytes()
    if path.suffix == ".gz":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as error:
            raise InputDataError(f"not a valid gzip file ({error})", source=path, hint="decompress it or download it again") from error
    if not data.strip():
        raise InputDataError("the file is empty", source=path, hint="download the file again; it holds no data")
    return data


def decode_text(data: bytes, *, source: Path, encoding: str | None = None) -> tuple[str, str]:
    """Decode bytes to text and return ``(text, encoding used)``.

    With ``encoding=None`` the encoding is detected: a BOM first (UTF-8, UTF-16),
    then UTF-8, then Windows-1252 (the Ministry's 2022 files are Latin-1, a subset).
    A Windows-1252 read fires a warning, since accents may still come out wrong.

    Raises
    ------
    InputDataError
        If the bytes are not text, or not in the declared encoding; the message
        gives the line and the bad bytes.
    """
    if b"\x00" in data[:_SNIFF_BYTES] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputDataError(
            "this is not a text file (it holds binary data)",
            source=source,
            hint="if it is a spreadsheet, save it with its own extension (.xlsx) or export it as CSV",
        )
    if encoding is not None:
        try:
            return _unify_line_ends(data.decode(encoding)), encoding
        except UnicodeDecodeError as error:
            line = data[: error.start].count(b"\n") + 1
            raise InputDataError(
                f"the file is not in the declared encoding {encoding}",
                source=source,
                where=f"line {line}, byte {error.start}: {data[error.start:error.end + 8]!r}",
                hint="leave the encoding to automatic detection, or declare the right one (Ministry 2022 files are latin-1)",
            ) from error
    for bom, name in ((codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return _unify_line_ends(data.decode(name)), name
            except UnicodeDecodeError as error:
                raise InputDataError(
                    "the file starts with a UTF-16 mark but is not UTF-16 text",
                    source=source,
                    where=f"byte {error.start}",
                    hint="save the file again as UTF-8 (or UTF-16 throughout)",
                ) from error
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]  # a UTF-8 mark before Latin-1 bytes (a file edited twice) is read as below
    try:
        return _unify_line_ends(data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        warnings.warn(
            DataQualityWarning(
                f"{source}: not UTF-8 (first at line {line}: {data[error.start:error.end + 8]!r}), read as Windows-1252 (Latin-1); "
                "check that accents look right"
            ),
            stacklevel=3,
        )
        return _unify_line_ends(data.decode("cp1252", errors="replace")), "cp1252"


def _unify_line_ends(text: str) -> str:
    """Turn Windows (CR LF) and old Mac (bare CR) line ends into LF, so that every reader splits lines alike."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def sniff_separator(header_line: str) -> str:
    """Return the most frequent of ``;``, ``,`` and tab in a header line."""
    counts = {sep: header_line.count(sep) for sep in (";", ",", "\t")}
    return max(counts, key=counts.get)


def read_text_table(
    path: Path,
    *,
    encoding: str | None = None,
    sep: str | None = None,
    header_predicate: Callable[[list[str]], bool] | None = None,
    max_title_rows: int = 12,
    expected: str = "the expected column codes",
) -> pd.DataFrame:
    """Read a delimited text file (optionally gzipped) with every cell as a string.

    ``header_predicate`` finds the header row among the first ``max_title_rows``
    lines, for files with title rows above the column codes (INSEE); without it
    the first line is the header; ``expected`` describes that header in the
    error raised when it is not found. Cells are stripped; empty cells become NA.

    Raises
    ------
    InputDataError
        Empty file, undecodable bytes, no header row found, or rows with more
        cells than the header.
    """
    path = Path(path)
    text, _ = decode_text(open_bytes(path), source=path, encoding=encoding)
    lines = text.splitlines()
    header_index = 0
    if header_predicate is not None:
        separator = sep or sniff_separator(max(lines[:max_title_rows], key=len))
        for index, line in enumerate(lines[:max_title_rows]):
            cells = next(csv.reader([line], delimiter=separator))
            if header_predicate([cell.strip() for cell in cells]):
                header_index = index
                break
        else:
            raise InputDataError(
                f"no header row with {expected} found in the first {max_title_rows} lines",
                source=path,
                hint="check that this is the expected kind of file and that its column codes are on one line",
            )
    separator = sep or sniff_separator(lines[header_index])
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=separator,
            skiprows=header_index,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skipinitialspace=True,
            engine="c",
        )
    except pd.errors.ParserError as error:
        raise InputDataError(
            f"the rows do not line up with the header ({error})",
            source=path,
            hint=f"check the separator (read with {separator!r}) and stray quotes in that line",
        ) from error
    except pd.errors.EmptyDataError as error:
        raise InputDataError("the file has no rows", source=path, hint="download the file again") from error
    frame.columns = [str(column).strip() for column in frame.columns]
    if frame.empty:
        raise InputDataError("the file has a header but no rows", source=path, hint="download the file again")
    return frame.apply(lambda column: column.str.strip())


def read_excel_table(
    path: Path,
    *,
    header_predicate: Callable[[list[str]], bool],
    sheet: str | int | None = None,
    expected: str = "the expected column codes",
) -> pd.DataFrame:
    """Read the first sheet of an .xlsx whose header row is found by ``header_predicate`` (INSEE title rows).

    ``expected`` describes that header in the error raised when it is not found.
    """
    path = Path(path)
    try:
        raw = pd.read_excel(path, sheet_name=sheet or 0, header=None, dtype=str, nrows=15)
    except Exception as error:  # openpyxl raises many types on corrupt files
        raise InputDataError(f"cannot open the spreadsheet ({error})", source=path, hint="open it in a spreadsheet program and save it again as .xlsx") from error
    for index, row in raw.iterrows():
        if header_predicate([str(cell).strip() for cell in row if isinstance(cell, str)]):
            frame = pd.read_excel(path, sheet_name=sheet or 0, skiprows=index, dtype=str)
            frame.columns = [str(column).strip() for column in frame.columns]
            return frame.apply(lambda column: column.str.strip())
    raise InputDataError(f"no header row with {expected} found in the first 15 rows", source=path, hint="check that this is the expected kind of file")


def to_number(values: pd.Series) -> pd.Series:
    """Convert text to floats: decimal commas, ``%``, spaces and non-breaking spaces are handled.

    Secret-statistique and missing markers (``s``, ``ns``, ``nd``, blank…) become NaN,
    never 0.
    """
    text = values.astype("string").str.strip()
    text = text.str.replace(r"[%\s\u00a0\u202f]", "", regex=True).str.replace(",", ".", regex=False)
    text = text.mask(text.str.lower().isin(MISSING_MARKERS))
    return pd.to_numeric(text, errors="coerce").astype("float64")


def to_count(values: pd.Series, *, source: Path | str, column: str) -> pd.Series:
    """Convert text to non-negative counts (float, NaN kept); text that is not a number is an error."""
    numbers = to_number(values)
    bad = numbers.isna() & values.notna() & ~values.astype("string").str.strip().str.lower().isin(MISSING_MARKERS)
    if bad.any():
        first = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputDataError(
            f"{int(bad.sum())} values are not numbers",
            source=source,
            where=f"column {column!r}, first at data row {first + 1}",
            codes=[_short(value) for value in values[bad].unique()[:5]],
            hint="check that the file's columns are not shifted (separator, quotes) and that it is the expected layout",
        )
    impossible = (numbers < 0) | np.isinf(numbers)
    if impossible.any():
        first = int(np.flatnonzero(impossible.to_numpy())[0])
        raise ImpossibleValueError(
            f"{int(impossible.sum())} counts are negative or infinite",
            source=source,
            where=f"column {column!r}, first at data row {first + 1}",
            codes=[_short(value) for value in values[impossible].unique()[:5]],
            hint="counts of voters, votes or people are finite and cannot be negative; check the file",
        )
    return numbers


def _short(value: object, limit: int = 40) -> str:
    """A cell as shown in a message: cut after ``limit`` characters (a 5,000-digit number would fill the screen)."""
    text = str(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


def require_columns(frame: pd.DataFrame, columns: Iterable[str], *, source: Path | str, layout: str) -> None:
    """Raise if ``frame`` lacks any of ``columns``, naming the missing ones and the layout expected."""
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise InputDataError(
            f"missing columns for the {layout} layout: {', '.join(missing)}",
            source=source,
            where=f"header has {len(frame.columns)} columns: {', '.join(map(str, frame.columns[:12]))}"
            + (" …" if len(frame.columns) > 12 else ""),
            hint="check that the file is complete and is the layout named; otherwise name its layout explicitly",
        )


def first_match(columns: Sequence[str], candidates: Iterable[str]) -> str | None:
    """Return the first of ``candidates`` present in ``columns`` (case-insensitive), or None."""
    lowered = {str(column).lower(): column for column in columns}
    for candidate in candidates:
        if candidate.lower() in lowered:
            return lowered[candidate.lower()]
    return None


def optional_text(frame: pd.DataFrame, candidates: Iterable[str]) -> pd.Series:
    """Return the first of ``candidates`` present in ``frame`` as stripped text, or an all-missing column."""
    column = first_match(list(frame.columns), candidates)
    if column is None:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    return frame[column].astype("string").str.strip()
