"""Find the code columns of a layer or table from their values, whatever their names.

Publishers name the same codes differently (``DEPCO``, ``INSEE_COM``,
``code_commune``; ``BVOTE``, ``uniq_bdv``, ``id_bv``, ``CODE_BV``…). Columns are
scored on what they hold: the share of values that read as commune or bureau
codes, their uniqueness, how densely they number each commune's bureaux, and
whether they hold the communes asked. A column name only breaks ties.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from canvass.errors import InputDataError
from canvass.opendata import codes

COMMUNE_PATTERN = r"^(?:0[1-9]|[1-8][0-9]|9[0-5]|2[AB])[0-9]{3}$|^97[1-8][0-9]{2}$"
"""INSEE commune codes: metropolitan départements 01-95 (Corsica 2A/2B) and overseas 971-978."""

MIN_SHARE = 0.9
"""Share of a column's values that must read as commune codes for it to be a commune column."""
MIN_SCORE = 0.5
"""Lowest score of a bureau column (share read × uniqueness × numbering density², see :func:`find_bureau_columns`)."""
SAMPLE_ROWS = 20_000
"""Rows looked at when sniffing a large table (address files); the chosen columns are then read whole."""

_BUREAU_HINT = re.compile(r"bv|bureau|bdv|vote|scrutin", re.IGNORECASE)
_COMMUNE_HINT = re.compile(r"insee|commune|codgeo|depco|^com", re.IGNORECASE)
_LON_HINT = re.compile(r"lon|^x$|_x$", re.IGNORECASE)
_LAT_HINT = re.compile(r"lat|^y$|_y$", re.IGNORECASE)
_PLACEHOLDER_COMMUNE = "00000"  # stands for "the one commune of the file" while sniffing without one


@dataclass(frozen=True)
class BureauColumns:
    """The columns a bureau key is built from, and the keys themselves.

    ``form`` is how the bureau column spells codes (``key`` ``29039_1``,
    ``number`` ``12``/``0054A``/``16-1``, ``label`` ``Bureau n°12 - École``);
    ``commune`` is the column of commune codes, None when the codes carry their
    commune or the single commune asked (``given``) is used (``single``).
    """

    bureau: str
    commune: str | None
    form: str
    single: bool
    score: float
    keys: pd.Series = field(repr=False, compare=False)
    given: str | None = None

    def describe(self) -> str:
        """Say in a few words which columns were read, for reports and error messages."""
        where = f"commune from {self.commune!r}" if self.commune else "commune given" if self.single else "commune in the code"
        return f"bureau codes from {self.bureau!r} ({self.form}, {where})"


def commune_text(values: pd.Series) -> pd.Series:
    """Commune codes as 5-character text; a number column loses its leading zero (``4036`` -> ``04036``)."""
    text = values.astype("string").str.strip().str.upper().str.replace(r"^([0-9]+)\.0+$", r"\1", regex=True)
    if pd.api.types.is_numeric_dtype(values.dtype):
        text = text.str.zfill(5)
    return text


def find_commune_columns(frame: pd.DataFrame, communes: Iterable[str] = ()) -> list[str]:
    """Return the columns holding INSEE commune codes, best first.

    A column qualifies when :data:`MIN_SHARE` of its values are commune codes.
    Columns holding the communes asked come first; postal codes (mostly ending
    in 0) and columns unique per row (identifiers) come after.
    """
    communes = list(communes)
    ranked = []
    for column in _value_columns(frame):
        text = commune_text(frame[column])
        valid = text.str.fullmatch(COMMUNE_PATTERN).fillna(False).astype(bool)
        if not valid.any() or valid.mean() < MIN_SHARE:
            continue
        held = text[valid]
        in_area = float(codes.in_area(held, communes).mean()) if communes else 0.0
        # Counts of 1000-9999 read as numbers look like codes of départements 01-09 once
        # zero-padded: such a column counts as communes only if it holds a commune asked.
        padded = (frame[column].astype("string").str.strip().str.len() < 5).mean() > 0.5
        if padded and in_area == 0:
            continue
        postal_like = float(held.str.endswith("0").mean()) > 0.5
        unique_per_row = held.nunique() == len(held) and len(held) > 20
        rank = (in_area, not postal_like, not unique_per_row, float(valid.mean()), bool(_COMMUNE_HINT.search(str(column))))
        ranked.append((rank, column))
    ranked.sort(key=lambda item: item[0], reverse=True)
    return [column for _, column in ranked]


def find_bureau_columns(
    frame: pd.DataFrame,
    communes: Iterable[str] = (),
    *,
    one_row_per_bureau: bool = True,
    require_commune: bool = True,
    source: str | None = None,
) -> BureauColumns:
    """Find the bureau code column (and the commune column it needs) of ``frame`` from their values.

    Every column is read as bureau codes (:func:`codes.parse_bureau_codes`) and
    paired with a commune: the one inside the codes (``29039_1``), a commune
    column, or the single commune asked. Each pairing is scored by the share of
    values read, the uniqueness of the keys (when ``one_row_per_bureau``: a
    polygon layer, not an address table), the density of the numbering within
    each commune (bureaux are numbered 1, 2, 3… or by hundreds per canton or
    arrondissement, unlike counts or identifiers); the share of keys in the
    communes asked and a bureau word in the column's name only break ties.
    Bare integers with no commune column need either formatting (``0012``) or
    a bureau word in the column's name, since many layers carry a 1..n identifier.

    Raises
    ------
    InputDataError
        No column reads as bureau codes; or the codes carry no commune and no
        single commune was given (``communes`` must name one) while ``require_commune``.
    """
    communes = [str(code).strip() for code in communes]
    parents = {codes.plm_parent(code) for code in communes}
    single = communes[0] if len(communes) == 1 else parents.pop() if len(parents) == 1 else None
    if single is not None and not re.fullmatch(COMMUNE_PATTERN, single):
        single = None  # a département code (04) names no single commune
    commune_columns = find_commune_columns(frame, communes)[:2]
    commune_values = {column: commune_text(frame[column]) for column in commune_columns}
    best: BureauColumns | None = None
    tried: list[tuple[float, str]] = []
    for column in _value_columns(frame):
        if _fractional(frame[column]):
            continue
        parsed = codes.parse_bureau_codes(frame[column])
        share = float(parsed["number"].notna().mean())
        if share < 0.5:
            continue
        form = str(parsed["form"].mode().iloc[0])
        formatted = form != "number" or _written_as_codes(frame[column])
        options: list[tuple[str | None, bool, pd.Series]] = []
        if form == "key":
            options.append((None, False, parsed["commune"]))
        else:
            options += [(name, False, commune_values[name]) for name in commune_columns if name != column]
            options.append((None, True, pd.Series(single or _PLACEHOLDER_COMMUNE, index=frame.index, dtype="string")))
        for commune_column, is_single, commune in options:
            commune = parsed["commune"].fillna(commune)
            keys = _keys(commune, parsed["number"])
            score, detail = _score(keys, column, communes, one_row_per_bureau, share, is_single, form, formatted)
            tried.append((score, f"{column!r}{' with ' + repr(commune_column) if commune_column else ''}: {detail}"))
            if best is None or score > best.score:
                best = BureauColumns(str(column), commune_column, form, is_single, score, keys, single if is_single else None)
    if best is None or best.score < MIN_SCORE:
        raise InputDataError(
            "no bureau code column found",
            source=source,
            where=f"columns: {', '.join(map(str, _value_columns(frame)[:15]))}" + (f"; best tried: {'; '.join(text for _, text in sorted(tried, reverse=True)[:3])}" if tried else ""),
            codes=_sample_values(frame),
            hint="a bureau layer needs a column of bureau codes (29039_1, 12, 0054A, 16-1 or 'Bureau n°12'), "
            "with the commune's INSEE code in the code, in another column, or given with --commune",
        )
    if best.single and single is None and require_commune:
        raise InputDataError(
            f"this layer gives bureau numbers ({best.bureau!r}) but not their commune",
            source=source,
            hint="give the commune's INSEE code (canvass build --commune 31555) so the bureaux can be keyed",
        )
    return best


def bureau_keys(frame: pd.DataFrame, found: BureauColumns) -> pd.Series:
    """Canonical keys of every row of ``frame`` from the columns found on a sample of it."""
    parsed = codes.parse_bureau_codes(frame[found.bureau])
    commune = commune_text(frame[found.commune]) if found.commune else pd.Series(found.given, index=frame.index, dtype="string")
    return _keys(parsed["commune"].fillna(commune), parsed["number"])


def find_coordinate_columns(frame: pd.DataFrame) -> tuple[str, str] | None:
    """Return the (longitude, latitude) columns of a table of WGS84 points in France, or None.

    Longitudes of France lie in [-5.5, 10] (metropolitan) and latitudes in
    [41, 51.5]; overseas points are accepted too (any valid degrees) when no
    metropolitan pair exists. Degrees must carry 3 decimals or more (counts and
    rates carry 2 at most), unless the names say ``lon``/``lat``, which also
    break ties.
    """
    numbers, precise = {}, {}
    for column in _value_columns(frame):
        text = frame[column].astype("string").str.strip().str.replace(",", ".", regex=False)
        value = pd.to_numeric(text, errors="coerce").astype("float64")
        value = value.where(np.isfinite(value))  # inf and 1e400 are no coordinates
        # Half the values suffice: the reader then names the rows whose coordinates are not numbers.
        if value.notna().mean() >= 0.5 and (value.dropna() % 1 != 0).mean() > 0.5:
            numbers[column] = value
            # Geocoded degrees carry 4 to 8 decimals; counts and rates carry 2 at most.
            precise[column] = bool((text.str.extract(r"\.([0-9]+)$")[0].str.len() >= 3).mean() > 0.5)
    for lon_range, lat_range in (((-5.5, 10.0), (41.0, 51.5)), ((-180.0, 180.0), (-90.0, 90.0))):
        lons = [c for c, v in numbers.items() if v.dropna().between(*lon_range).mean() >= MIN_SHARE]
        lats = [c for c, v in numbers.items() if v.dropna().between(*lat_range).mean() >= MIN_SHARE]
        pairs = [
            (lon, lat)
            for lon in lons
            for lat in lats
            if lon != lat and ((precise[lon] and precise[lat]) or (_LON_HINT.search(str(lon)) and _LAT_HINT.search(str(lat))))
        ]
        if pairs:
            pairs.sort(key=lambda pair: (not _LON_HINT.search(str(pair[0])), not _LAT_HINT.search(str(pair[1]))))
            return pairs[0]
    return None


def _value_columns(frame: pd.DataFrame) -> list:
    geometry = getattr(frame, "_geometry_column_name", None)
    return [column for column in frame.columns if column != geometry]


def _keys(commune: pd.Series, number: pd.Series) -> pd.Series:
    """Canonical keys from commune codes (arrondissements folded) and canonical numbers; NA where either is."""
    commune = commune.astype("string").str.upper()
    parent = codes.plm_parents(commune)
    return (parent + "_" + codes.plm_number(commune, number.astype("string"))).astype("string")


def _score(keys, column, communes, one_row_per_bureau, share, is_single, form, formatted) -> tuple[float, str]:
    """Score one reading of a column as bureau codes; return (score, what was measured)."""
    valid = keys.dropna()
    if valid.empty:
        return 0.0, "no key"
    uniqueness = valid.nunique() / len(valid) if one_row_per_bureau else 1.0
    density = _density(valid)
    in_area = float(codes.keys_in_area(valid, communes).mean()) if communes else 1.0
    hinted = bool(_BUREAU_HINT.search(str(column)))
    # A bare 1..n integer with no commune beside it is as likely an identifier as a bureau number.
    evidence = 1.0 if (not is_single or hinted or formatted) else 0.4
    # The communes asked only break ties: a file read right may hold none of them (then the
    # selection says which communes it holds), and the single commune asked matches trivially.
    score = share * uniqueness * density**2 * evidence
    score += 0.02 * hinted + 0.01 * in_area + {"key": 0.03, "number": 0.0, "label": -0.01}.get(form, 0.0) + (0.0 if is_single else 0.02)
    detail = f"{share:.0%} read, {uniqueness:.0%} unique, numbering density {density:.0%}" + (f", {in_area:.0%} in the communes asked" if communes else "")
    return score, detail


def _fractional(values: pd.Series) -> bool:
    """Whether a number column holds mostly non-integers (rates, areas), which no code is."""
    if not pd.api.types.is_float_dtype(values.dtype):
        return False
    numbers = values.dropna()
    return bool(len(numbers)) and bool((numbers % 1 != 0).mean() > 0.5)


def _written_as_codes(values: pd.Series) -> bool:
    """Whether numbers were written as codes (zero-padded, lettered, ``16-1``) rather than bare integers."""
    text = values.dropna().astype("string").str.strip()
    return bool(text.str.contains(r"^0[0-9]|[A-Za-z]|-", regex=True).mean() > 0.2) if len(text) else False


def _density(keys: pd.Series) -> float:
    """How densely keys number each commune's bureaux: 1.0 for 1..n, low for counts or identifiers.

    Numbering by hundreds (canton or arrondissement ``AABB``) is read per hundred;
    the better of the two readings is kept.
    """
    commune = keys.str.slice(0, 5)
    value = pd.to_numeric(keys.str.slice(6).str.extract(r"^([0-9]+)")[0], errors="coerce")
    table = pd.DataFrame({"commune": commune, "value": value}).dropna()
    table = table[table["value"] > 0].drop_duplicates()
    if table.empty:
        return 0.0
    plain = _coverage(table, ["commune"], table["value"])
    table = table.assign(hundred=table["value"] // 100, unit=table["value"] % 100)
    by_hundred = _coverage(table[table["unit"] > 0], ["commune", "hundred"], table.loc[table["unit"] > 0, "unit"])
    return max(plain, by_hundred * len(table[table["unit"] > 0]) / len(table))


def _coverage(table: pd.DataFrame, groups: list[str], value: pd.Series) -> float:
    if table.empty:
        return 0.0
    stats = table.assign(v=value).groupby(groups)["v"].agg(["count", "max"])
    return float((np.minimum(stats["count"] / stats["max"], 1.0) * stats["count"]).sum() / stats["count"].sum())


def _sample_values(frame: pd.DataFrame) -> list[str]:
    values = []
    for column in _value_columns(frame)[:5]:
        values += [f"{column}={value}" for value in frame[column].dropna().astype(str).head(2)]
    return values
