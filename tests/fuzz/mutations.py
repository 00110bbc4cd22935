"""Seeded mutations of input files: bytes, encodings, line ends, table cells and columns, JSON and XML structure, coordinates.

Every mutation is a function ``(data, rng) -> (data, label)``; ``data`` is the
file's bytes (or a DataFrame for parquet). The label says what was done, so a
failing case can be reproduced and read.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable

import numpy as np
import pandas as pd
from pyproj import Transformer

from tests.fuzz.seeds import csv_dialect, read_rows, write_rows

# Values a number can be turned into: non-finite, negative, huge, badly written.
NUMBERS = ("inf", "-inf", "nan", "NaN", "1e400", "-1e400", "-1", "-250", "1e12", "999999999999999999999", "9" * 5000,
           "1e308", "0", "-0", "12,5", "1 234", "0x1F", "∞", "1.5e3", "", "abc", "+7", "1_000", "٣")

_TO_L93 = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)

Mutation = Callable[[bytes, np.random.Generator], tuple[bytes, str]]


def _pick(rng: np.random.Generator, items):
    return items[int(rng.integers(len(items)))]


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="surrogateescape")


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", errors="surrogateescape")


# --------------------------------------------------------------------------- bytes, encodings, line ends


def flip_bytes(data: bytes, rng) -> tuple[bytes, str]:
    buffer = bytearray(data)
    positions = rng.integers(0, len(buffer), size=int(rng.integers(1, 6)))
    for position in positions:
        buffer[position] = int(rng.integers(0, 256))
    return bytes(buffer), f"flip bytes at {sorted(positions.tolist())}"


def truncate(data: bytes, rng) -> tuple[bytes, str]:
    cut = int(rng.integers(0, len(data)))
    return data[:cut], f"truncate at byte {cut}"


def change_encoding(data: bytes, rng) -> tuple[bytes, str]:
    text = _text(data)
    kind = _pick(rng, ("latin-1", "cp1252", "utf-16", "utf-8-bom", "bom+latin-1", "utf-16-no-bom", "mac-roman"))
    if kind == "utf-8-bom":
        return b"\xef\xbb\xbf" + data, kind
    if kind == "bom+latin-1":
        return b"\xef\xbb\xbf" + text.encode("latin-1", errors="replace"), kind
    if kind == "utf-16-no-bom":
        return text.encode("utf-16-le", errors="replace"), kind
    if kind == "mac-roman":
        return text.encode("mac_roman", errors="replace"), kind
    return text.encode(kind, errors="replace"), kind


def change_line_ends(data: bytes, rng) -> tuple[bytes, str]:
    kind = _pick(rng, ("crlf", "cr", "mixed", "lf-cr"))
    body = data.replace(b"\r\n", b"\n")
    if kind == "crlf":
        return body.replace(b"\n", b"\r\n"), kind
    if kind == "cr":
        return body.replace(b"\n", b"\r"), kind
    if kind == "lf-cr":
        return body.replace(b"\n", b"\n\r"), kind
    lines = body.split(b"\n")
    ends = [_pick(rng, (b"\n", b"\r\n", b"\r")) for _ in lines]
    return b"".join(line + end for line, end in zip(lines, ends)), kind


def insert_bytes(data: bytes, rng) -> tuple[bytes, str]:
    junk = _pick(rng, (b"\x00", b"\x00\x00\x00", b'"', b"\xff\xfe", b"\t", b";", b",", b"\n", b"<", b"{", b"]", b"\\"))
    position = int(rng.integers(0, len(data) + 1))
    return data[:position] + junk + data[position:], f"insert {junk!r} at byte {position}"


def edit_lines(data: bytes, rng) -> tuple[bytes, str]:
    lines = data.split(b"\n")
    index = int(rng.integers(0, len(lines)))
    kind = _pick(rng, ("drop", "duplicate", "blank", "garbage"))
    if kind == "drop":
        del lines[index]
    elif kind == "duplicate":
        lines.insert(index, lines[index])
    elif kind == "blank":
        lines.insert(index, b"")
    else:
        lines.insert(index, b"TOTAL;;;;;;")
    return b"\n".join(lines), f"{kind} line {index}"


BYTE_MUTATIONS: tuple[Mutation, ...] = (flip_bytes, truncate, change_encoding, change_line_ends, insert_bytes, edit_lines)


# --------------------------------------------------------------------------- tables


def _numeric_cells(rows: list[list[str]]) -> list[tuple[int, int]]:
    found = []
    for r, row in enumerate(rows[1:], start=1):
        for c, cell in enumerate(row):
            if re.fullmatch(r"-?\d+([.,]\d+)?", cell.strip()):
                found.append((r, c))
    return found


def _table_edit(rows: list[list[str]], rng) -> str:
    header = rows[0]
    kind = _pick(rng, ("drop_column", "rename_column", "number", "number", "number", "swap_columns", "swap_cells", "blank_cell",
                       "text_cell", "shift_row", "huge_code", "scale_column", "negate_column"))
    numeric = _numeric_cells(rows)
    if kind == "drop_column" and header:
        c = int(rng.integers(len(header)))
        for row in rows:
            if c < len(row):
                del row[c]
        return f"drop column {c}"
    if kind == "rename_column" and header:
        c = int(rng.integers(len(header)))
        header[c] = _pick(rng, ("", header[c].upper(), header[c].lower(), header[c] + " ", "x" + header[c], header[0], "Unnamed"))
        return f"rename column {c} to {header[c]!r}"
    if kind in ("number", "huge_code") and numeric:
        r, c = _pick(rng, numeric)
        rows[r][c] = _pick(rng, NUMBERS) if kind == "number" else "1" * int(_pick(rng, (12, 400, 5000)))
        return f"{kind} row {r} column {c} = {rows[r][c][:20]!r}"
    if kind == "swap_columns" and len(header) > 1:
        a, b = rng.choice(len(header), size=2, replace=False)
        for row in rows[1:]:
            if max(a, b) < len(row):
                row[a], row[b] = row[b], row[a]
        return f"swap values of columns {a} and {b}"
    if kind == "swap_cells" and len(numeric) > 1:
        r = _pick(rng, numeric)[0]
        in_row = [c for rr, c in numeric if rr == r]
        if len(in_row) > 1:
            a, b = rng.choice(in_row, size=2, replace=False)
            rows[r][a], rows[r][b] = rows[r][b], rows[r][a]
            return f"swap cells {a} and {b} of row {r}"
    if kind in ("scale_column", "negate_column") and numeric:
        c = _pick(rng, numeric)[1]
        factor = -1.0 if kind == "negate_column" else float(_pick(rng, (10.0, 1000.0, 0.001)))
        for row in rows[1:]:
            if c < len(row) and re.fullmatch(r"-?\d+(\.\d+)?", row[c].strip()):
                row[c] = repr(float(row[c]) * factor)
        return f"{kind} {c} x{factor}"
    if len(rows) > 1:
        r = int(rng.integers(1, len(rows)))
        if not rows[r]:
            return "noop"
        c = int(rng.integers(len(rows[r])))
        if kind == "shift_row":
            del rows[r][c]
            return f"drop cell {c} of row {r}"
        rows[r][c] = "" if kind == "blank_cell" else _pick(rng, ("n/a", "s", "secret", "?", "N.C.", "12abc", "—", "None"))
        return f"set row {r} column {c} to {rows[r][c]!r}"
    return "noop"


def table_cells(data: bytes, rng) -> tuple[bytes, str]:
    text = _text(data)
    separator = csv_dialect(text)
    rows = read_rows(text, separator)
    label = _table_edit(rows, rng)
    return _bytes(write_rows(rows, separator)), label


def mutate_frame(frame: pd.DataFrame, rng) -> tuple[pd.DataFrame, str]:
    """The table mutations on a DataFrame (parquet files), every cell as text."""
    text = frame.astype("string").fillna("")
    rows = [list(map(str, text.columns)), *text.values.tolist()]
    label = _table_edit(rows, rng)
    width = len(rows[0])
    body = [row + [""] * (width - len(row)) if len(row) < width else row[:width] for row in rows[1:]]
    columns = [name if name else f"unnamed_{index}" for index, name in enumerate(rows[0])]
    columns = [f"{name}_{index}" if columns.count(name) > 1 else name for index, name in enumerate(columns)]
    return pd.DataFrame(body, columns=columns).replace("", None), label


# --------------------------------------------------------------------------- JSON


def _paths(node, prefix=()):
    """Every (path, value) of a JSON document."""
    yield prefix, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


def _set(document, path, value):
    node = document
    for key in path[:-1]:
        node = node[key]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value


_DELETE = object()
_HUGE = (2**70, -(2**63) - 1, 10**400, 1e308, float("inf"), float("nan"), -1, 0, 1.5, "12", "", None, [], {}, [[1, 2]], True)


def json_structure(data: bytes, rng) -> tuple[bytes, str]:
    try:
        document = json.loads(data)
    except ValueError:
        return data, "noop (not JSON)"
    paths = [path for path, _ in _paths(document) if path]
    if not paths:
        return data, "noop"
    path = _pick(rng, paths)
    kind = _pick(rng, ("delete", "null", "replace", "replace", "nest", "empty"))
    node = document
    for key in path:
        node = node[key]
    if kind == "delete":
        _set(document, path, _DELETE)
    elif kind == "null":
        _set(document, path, None)
    elif kind == "nest":
        _set(document, path, [node])
    elif kind == "empty":
        _set(document, path, type(node)() if isinstance(node, (list, dict, str)) else 0)
    else:
        _set(document, path, _pick(rng, _HUGE))
    return _bytes(json.dumps(document, allow_nan=True)), f"{kind} {'/'.join(map(str, path))[:80]}"


def _coordinate_arrays(document):
    """The [x, y] pairs of a GeoJSON document, as mutable lists."""
    return [value for _, value in _paths(document)
            if isinstance(value, list) and len(value) in (2, 3) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)]


def geojson_coordinates(data: bytes, rng) -> tuple[bytes, str]:
    try:
        document = json.loads(data)
    except ValueError:
        return data, "noop (not JSON)"
    kind = _pick(rng, ("strip_crs", "lambert93_no_crs", "lambert93_declared_wgs84", "swap_all", "nan_vertex", "huge_vertex",
                       "shift_far", "null_geometry"))
    pairs = _coordinate_arrays(document)
    if kind == "strip_crs":
        document.pop("crs", None)
    elif kind.startswith("lambert93") and pairs:
        x, y = _TO_L93.transform([p[0] for p in pairs], [p[1] for p in pairs])
        for pair, px, py in zip(pairs, x, y):
            pair[0], pair[1] = round(px, 2), round(py, 2)
        if kind == "lambert93_no_crs":
            document.pop("crs", None)
    elif kind == "swap_all":
        for pair in pairs:
            pair[0], pair[1] = pair[1], pair[0]
    elif kind in ("nan_vertex", "huge_vertex") and pairs:
        pair = _pick(rng, pairs)
        pair[int(rng.integers(2))] = float("nan") if kind == "nan_vertex" else _pick(rng, (1e300, 1000.0, -91.0, float("inf")))
    elif kind == "shift_far" and pairs:
        for pair in pairs:
            pair[0] += 60.0
    elif kind == "null_geometry" and document.get("features"):
        _pick(rng, document["features"])["geometry"] = None
    return _bytes(json.dumps(document, allow_nan=True)), kind


def overpass_nodes(data: bytes, rng) -> tuple[bytes, str]:
    try:
        document = json.loads(data)
        elements = document["elements"]
    except (ValueError, KeyError, TypeError):
        return data, "noop"
    nodes = [e for e in elements if isinstance(e, dict) and e.get("type") == "node"]
    ways = [e for e in elements if isinstance(e, dict) and e.get("type") == "way"]
    kind = _pick(rng, ("swap_latlon", "lat", "lon", "drop_lat", "empty_lat", "string_ref", "nested_nodes", "no_nodes",
                       "null_tags", "huge_id", "lambert93", "duplicate_way", "one_node"))
    if not nodes or not ways:
        return data, "noop"
    node, way = _pick(rng, nodes), _pick(rng, ways)
    if kind == "swap_latlon":
        for item in nodes:
            item["lat"], item["lon"] = item["lon"], item["lat"]
    elif kind in ("lat", "lon"):
        node[kind] = _pick(rng, (1000.0, -1000.0, 1e400, float("nan"), "48.8", None, True, [48.8], 0.0))
    elif kind == "drop_lat":
        del node["lat"]
    elif kind == "empty_lat":
        node["lat"] = ""
    elif kind == "string_ref" and way.get("nodes"):
        way["nodes"][0] = _pick(rng, (str(way["nodes"][0]), "n1", 1.5, None, 2**70, -1))
    elif kind == "nested_nodes":
        way["nodes"] = [way["nodes"]]
    elif kind == "no_nodes":
        way.pop("nodes", None)
    elif kind == "null_tags":
        way["tags"] = _pick(rng, (None, [], "highway=residential", {"highway": None}, {"highway": 3}))
    elif kind == "huge_id":
        _pick(rng, (node, way))["id"] = _pick(rng, (2**70, -5, "12", 1.5, None))
    elif kind == "lambert93":
        for item in nodes:
            if all(type(item.get(key)) in (int, float) for key in ("lon", "lat")):
                item["lon"], item["lat"] = _TO_L93.transform(item["lon"], item["lat"])
    elif kind == "duplicate_way":
        elements.append(dict(way, nodes=list(reversed(way.get("nodes", [])))))
    elif kind == "one_node" and way.get("nodes"):
        way["nodes"] = way["nodes"][:1]
    return _bytes(json.dumps(document, allow_nan=True)), kind


# --------------------------------------------------------------------------- XML


_ATTRIBUTE = re.compile(rb'(\b(?:lat|lon|ref|id|v|source|target)=")([^"]*)(")')
_DATA = re.compile(rb'(<data key="[^"]+">)([^<]*)(</data>)')


def xml_values(data: bytes, rng) -> tuple[bytes, str]:
    spots = [m for m in _ATTRIBUTE.finditer(data)] + [m for m in _DATA.finditer(data)]
    if not spots:
        return data, "noop"
    match = _pick(rng, spots)
    value = _pick(rng, (*NUMBERS, "LINESTRING (2.3 48.8, nan nan)", "LINESTRING (0 0", "['residential', 5", "1000.0", "-91", "POINT EMPTY"))
    new = match.group(1) + value.encode() + match.group(3)
    return data[:match.start()] + new + data[match.end():], f"{match.group(1)[:20]!r} = {value[:20]!r}"


def xml_elements(data: bytes, rng) -> tuple[bytes, str]:
    elements = list(re.finditer(rb"<(node|way|nd|tag|edge|data|key)\b[^>]*?(/>|>.*?</\1>)", data, flags=re.S))
    if not elements:
        return data, "noop"
    match = _pick(rng, elements)
    kind = _pick(rng, ("drop", "duplicate"))
    replacement = b"" if kind == "drop" else match.group(0) * 2
    return data[:match.start()] + replacement + data[match.end():], f"{kind} {match.group(0)[:40]!r}"


def xml_swap_latlon(data: bytes, rng) -> tuple[bytes, str]:
    swapped = re.sub(rb'lat="([^"]*)" lon="([^"]*)"', rb'lat="\2" lon="\1"', data)
    if swapped == data:  # GraphML: swap the x and y keys
        keys = dict(re.findall(rb'<key id="(d\d+)" for="node" attr.name="([xy])"', data))
        if len(keys) == 2:
            inverse = {name: key for key, name in keys.items()}
            swapped = data.replace(b'key="' + inverse[b"x"] + b'"', b'key="@X"').replace(b'key="' + inverse[b"y"] + b'"', b'key="' + inverse[b"x"] + b'"')
            swapped = swapped.replace(b'key="@X"', b'key="' + inverse[b"y"] + b'"')
    return swapped, "swap lat/lon"


# --------------------------------------------------------------------------- by format


FORMAT_MUTATIONS: dict[str, tuple[tuple[Mutation, float], ...]] = {
    "table": ((table_cells, 6.0), *((m, 1.0) for m in BYTE_MUTATIONS)),
    "geojson": ((geojson_coordinates, 4.0), (json_structure, 3.0), *((m, 0.5) for m in BYTE_MUTATIONS)),
    "overpass": ((overpass_nodes, 4.0), (json_structure, 3.0), *((m, 0.5) for m in BYTE_MUTATIONS)),
    "xml": ((xml_values, 4.0), (xml_elements, 2.0), (xml_swap_latlon, 1.0), *((m, 0.5) for m in BYTE_MUTATIONS)),
}


def file_format(name: str) -> str:
    """The mutation family of a file, from its name."""
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith((".geojson",)):
        return "geojson"
    if name.endswith(".json"):
        return "overpass"
    if name.endswith((".osm", ".graphml")):
        return "xml"
    return "table"


def mutate_bytes(data: bytes, kind: str, rng: np.random.Generator) -> tuple[bytes, list[str]]:
    """Apply one to three mutations of the family ``kind``; return the bytes and what was done."""
    choices = FORMAT_MUTATIONS[kind]
    weights = np.array([weight for _, weight in choices])
    labels = []
    for _ in range(int(rng.choice([1, 1, 1, 2, 3]))):
        mutation = choices[int(rng.choice(len(choices), p=weights / weights.sum()))][0]
        try:
            data, label = mutation(data, rng)
        except Exception as error:  # noqa: BLE001 - an earlier mutation broke the structure this one expects: skip it
            label = f"skipped ({type(error).__name__})"
        labels.append(f"{mutation.__name__}: {label}")
    return data, labels


def mutate_parquet(frame: pd.DataFrame, rng: np.random.Generator) -> tuple[bytes, list[str]]:
    """Table mutations on a parquet file's frame, or byte mutations on its file (one in five)."""
    if rng.random() < 0.2:
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        data, label = _pick(rng, (flip_bytes, truncate))(buffer.getvalue(), rng)
        return data, [label]
    labels = []
    for _ in range(int(rng.choice([1, 1, 2]))):
        frame, label = mutate_frame(frame, rng)
        labels.append(f"table: {label}")
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue(), labels
