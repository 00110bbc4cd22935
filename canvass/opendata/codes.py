"""Canonical codes for communes and bureaux de vote.

Every real file spells bureau codes its own way: Paris ``16-1`` / ``1601`` /
``75056_1601``, Brest ``1`` / ``001`` / ``0001``, Toulouse ``0054A`` / ``054A``,
the REU extract ``29039_1``. All of them map to one key,
``<INSEE commune>_<4-digit number><optional letter>``: ``75056_1601``,
``29019_0001``, ``31555_0054A``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from canvass.errors import InputDataError

# Paris, Lyon and Marseille vote per arrondissement but publish results under
# one commune code (Paris 75101-75120 -> 75056, Lyon 69381-69389 -> 69123,
# Marseille 13201-13216 -> 13055). Their bureau numbers are AABB: the first two
# digits give the arrondissement, the last two the bureau within it, in the
# Ministry results and in the data.gouv REU-derived contours alike (Paris 16e
# bureau 1 = 1601, Lyon 5e = 05xx, Marseille 16e = 16xx). Source: the real Paris
# files in ../shared (75056_1601 = 16-1) and public reuses of the Ministry files
# that group PLM bureaux by their first two digits ("0436 is a bureau of the
# 4th"); since 2024 the Ministry numbers bureaux continuously within a secteur
# (Paris Centre: the 4e holds 0436-0449), still under the arrondissement's digits.
PLM_COMMUNES = {"75056": range(75101, 75121), "69123": range(69381, 69390), "13055": range(13201, 13217)}

# Ministry of the Interior letter codes for overseas départements, with the
# first two digits of their INSEE commune codes (commune = prefix + 3 digits).
OVERSEAS_PREFIX = {
    "ZA": "97", "ZB": "97", "ZC": "97", "ZD": "97", "ZM": "97", "ZS": "97", "ZX": "97",
    "ZN": "98", "ZP": "98", "ZW": "98", "ZZ": "99",
}

_BUREAU_PATTERN = r"^0*(?P<number>[0-9]{1,4})(?P<letter>[A-Z]?)$"
_PARIS_PATTERN = r"^(?P<arr>[0-9]{1,2})-(?P<num>[0-9]{1,2})$"
_KEY_PATTERN = r"^(?P<commune>(?:[0-9]{2}|2[AB])[0-9]{3})[_\-/ ](?P<rest>\S+)$"
# "Bureau n°12 - École", "BV 12", "B.V. 12", "Bureau de vote 0012", "BdV 54A": the
# number follows a bureau word; a letter suffix must be upper case (not "12e").
_LABEL_PATTERN = (
    r"(?:(?i:\bbureau(?:\s+de\s+vote)?)|(?i:\bb\.?\s?v\.?)|(?i:\bbdv))(?![a-zA-Z])\s*[:\-]?\s*"
    r"(?:(?i:n\s*[°ºo]\.?|num(?:[ée]ro)?\.?|#)\s*)?0*(?P<number>[0-9]{1,4})(?P<letter>[A-Z]?)(?!\w)"
)


def commune_from_parts(departement: pd.Series, commune: pd.Series) -> pd.Series:
    """Build 5-character INSEE commune codes from a département code and a 3-digit code within it.

    ``('75', '056') -> '75056'``, ``('2A', '004') -> '2A004'``,
    ``('ZA', '101') -> '97101'`` (Ministry letter codes for overseas).
    """
    dep = departement.astype("string").str.strip().str.upper()
    com = commune.astype("string").str.strip().str.zfill(3)
    overseas = dep.map(OVERSEAS_PREFIX)
    metropolitan = dep.str.zfill(2) + com
    return overseas.astype("string").str.cat(com).where(overseas.notna(), metropolitan)


def normalise_commune(code: pd.Series) -> pd.Series:
    """Return INSEE commune codes as 5-character strings (``4036`` read as a number -> ``04036``)."""
    return code.astype("string").str.strip().str.upper().str.zfill(5)


def plm_parent(commune: str) -> str:
    """Return the commune of an arrondissement (``75116 -> 75056``), or the code itself."""
    if _is_five_digits(commune):
        for parent, arrondissements in PLM_COMMUNES.items():
            if int(commune) in arrondissements:
                return parent
    return commune


def _is_five_digits(code: str) -> bool:
    """True for five ASCII digits (``int`` would also take other scripts' digits, and choke on huge strings)."""
    return len(code) == 5 and code.isascii() and code.isdigit()


def plm_parents(communes: pd.Series) -> pd.Series:
    """:func:`plm_parent` of every code of a Series (each distinct code looked up once)."""
    communes = communes.astype("string")
    return communes.map({code: plm_parent(code) for code in communes.dropna().unique()}).astype("string")


def arrondissement_number(commune: str) -> int | None:
    """Return the arrondissement number of an arrondissement code, else None.

    ``75116 -> 16``, ``69385 -> 5``, ``13216 -> 16``: the position of the code in
    its city's range, since Lyon's codes (69381-69389) do not end in the number.
    """
    if _is_five_digits(commune):
        for arrondissements in PLM_COMMUNES.values():
            if int(commune) in arrondissements:
                return int(commune) - arrondissements.start + 1
    return None


def arrondissements_of_keys(keys: pd.Series) -> pd.Series:
    """Return the arrondissement code of PLM bureau keys (``69123_0512 -> 69385``), NA elsewhere."""
    keys = keys.astype("string")
    commune = commune_of_key(keys)
    number = pd.to_numeric(keys.str.slice(6, 10), errors="coerce") // 100
    result = pd.Series(pd.NA, index=keys.index, dtype="string")
    for parent, arrondissements in PLM_COMMUNES.items():
        inside = (commune == parent) & number.between(1, len(arrondissements))
        result = result.mask(inside.fillna(False), (number + arrondissements.start - 1).astype("Int64").astype("string"))
    return result


def normalise_bureau(raw: pd.Series, *, source: str | None = None, column: str | None = None) -> pd.Series:
    """Normalise bureau numbers to 4 digits plus an optional letter.

    Accepts ``1``, ``001``, ``0001``, ``54A``, ``054A``, ``0054A`` and the Paris
    form ``16-1`` (arrondissement 16, bureau 1 -> ``1601``). A commune prefix
    (``29039_1``) must be split off before; see :func:`split_bureau_key`.

    Raises
    ------
    InputDataError
        If some value matches none of these forms.
    """
    text = raw.astype("string").str.strip().str.upper()
    text = text.str.replace(r"\.0$", "", regex=True)  # 12.0 from a spreadsheet
    paris = text.str.extract(r"^(?P<arr>[0-9]{1,2})-(?P<num>[0-9]{1,2})$")
    is_paris = paris["arr"].notna()
    if is_paris.any():
        paris_number = paris["arr"].astype("Int64") * 100 + paris["num"].astype("Int64")
        text = text.where(~is_paris, paris_number.astype("string"))
    parts = text.str.extract(_BUREAU_PATTERN)
    bad = parts["number"].isna() & raw.notna()
    if bad.any():
        raise InputDataError(
            f"{int(bad.sum())} bureau codes are not of a known form",
            source=source,
            where=f"column {column!r}" if column else None,
            codes=raw[bad].astype(str).unique(),
            hint="bureau codes look like 1, 0001, 54A, 16-1 or 29039_1; check the column chosen for bureau codes",
        )
    number = parts["number"].str.zfill(4)
    return (number + parts["letter"].fillna("")).where(parts["number"].notna())


def bureau_key(commune: pd.Series, bureau: pd.Series, *, source: str | None = None, column: str | None = None) -> pd.Series:
    """Return canonical bureau keys ``<commune>_<bureau>`` (``29019_0001``).

    Arrondissement codes are folded into their commune (``75116`` + ``1601`` -> ``75056_1601``).
    """
    communes = normalise_commune(commune)
    number = normalise_bureau(bureau, source=source, column=column)
    return plm_parents(communes) + "_" + plm_number(communes, number)


def plm_number(communes: pd.Series, number: pd.Series) -> pd.Series:
    """Prefix the arrondissement to bureau numbers below 100 given with an arrondissement code.

    A layer of Lyon 5e keyed ``69385`` may number its bureaux ``1``, ``2``…:
    within Lyon they are ``0501``, ``0502``… (see :data:`PLM_COMMUNES`).
    Numbers of 100 and more already carry their arrondissement and are kept.
    """
    arrondissement = communes.map({code: arrondissement_number(code) or 0 for code in communes.dropna().unique()}).astype("Int64")
    digits = number.str.extract(r"^([0-9]{4})([A-Z]?)$")
    value = digits[0].astype("Int64")
    prefixed = (arrondissement * 100 + value).astype("string").str.zfill(4) + digits[1].fillna("")
    return number.where(~((arrondissement > 0) & (value < 100)).fillna(False), prefixed).astype("string")


def parse_bureau_codes(raw: pd.Series) -> pd.DataFrame:
    """Read bureau codes of any spelling; return ``commune`` (NA unless the code holds one), ``number``, ``form``.

    Forms, tried in this order: ``key`` (``29039_1``, ``75056_1601``), ``number``
    (``12``, ``12.0``, ``0012``, ``0054A``, Paris ``16-1`` -> ``1601``) and
    ``label`` (``Bureau n°12 - École Jules Ferry``, ``BV 12``, ``Bureau 0012``),
    where the number follows the word *bureau*, *BV* or *BdV*. ``number`` is
    canonical (4 digits and an optional letter); values of no form give NA.
    Each distinct value is read once.
    """
    text = raw.astype("string")
    distinct = pd.Series(text.dropna().unique(), dtype="string")
    parsed = _parse_distinct(distinct)
    position = pd.Index(distinct).get_indexer(text) if len(distinct) else np.full(len(raw), -1)
    taken = parsed.reindex(position)
    taken.index = raw.index
    return taken.astype("string")


def _parse_distinct(raw: pd.Series) -> pd.DataFrame:
    text = _code_text(raw)
    key = text.str.upper().str.extract(_KEY_PATTERN)
    key_number = _number_of(key["rest"])
    number = _number_of(text.str.upper())
    label = text.str.extract(_LABEL_PATTERN)
    label_number = label["number"].str.zfill(4) + label["letter"].fillna("")
    is_key = key_number.notna()
    is_number = ~is_key & number.notna()
    is_label = ~is_key & ~is_number & label_number.notna()
    form = pd.Series(pd.NA, index=raw.index, dtype="string")
    form = form.mask(is_key, "key").mask(is_number, "number").mask(is_label, "label")
    return pd.DataFrame(
        {
            "commune": key["commune"].where(is_key).astype("string"),
            "number": key_number.where(is_key, number.where(is_number, label_number.where(is_label))).astype("string"),
            "form": form,
        },
        index=raw.index,
    )


def _code_text(raw: pd.Series) -> pd.Series:
    """Codes as stripped text; floats from a spreadsheet or a GIS layer (``12.0``) lose their ``.0``."""
    text = raw.astype("string").str.strip()
    return text.str.replace(r"^([0-9]+)\.0+$", r"\1", regex=True).mask(text == "")


def _number_of(text: pd.Series) -> pd.Series:
    """Canonical bureau numbers of ``12``, ``0054A`` or Paris ``16-1`` text; NA for anything else."""
    paris = text.str.extract(_PARIS_PATTERN)
    paris_number = (paris["arr"].astype("Int64") * 100 + paris["num"].astype("Int64")).astype("string").str.zfill(4)
    plain = text.str.extract(_BUREAU_PATTERN)
    plain_number = plain["number"].str.zfill(4) + plain["letter"].fillna("")
    return paris_number.where(paris["arr"].notna(), plain_number).astype("string")


def split_bureau_key(raw: pd.Series, *, source: str | None = None, column: str | None = None) -> pd.Series:
    """Normalise keys that already carry their commune (``29039_1``, ``04036_2``, ``75056_1601``)."""
    parts = raw.astype("string").str.strip().str.extract(r"^(?P<commune>[0-9AB]{5})[_-](?P<bureau>.+)$")
    bad = parts["commune"].isna() & raw.notna()
    if bad.any():
        raise InputDataError(
            f"{int(bad.sum())} bureau keys are not of the form <commune>_<bureau>",
            source=source,
            where=f"column {column!r}" if column else None,
            codes=raw[bad].astype(str).unique(),
            hint="expected keys such as 29039_1 or 04036_2 (INSEE commune code, underscore, bureau number)",
        )
    return bureau_key(parts["commune"], parts["bureau"], source=source, column=column)


def commune_of_key(key: pd.Series) -> pd.Series:
    """Return the commune part of canonical bureau keys."""
    return key.str.slice(0, 5)


def bureau_label(key: pd.Series) -> pd.Series:
    """Return a short human label for a canonical key (``29019_0001 -> '1'``, ``75056_1601 -> '16-1'``)."""
    commune = commune_of_key(key)
    number = key.str.slice(6)
    digits = number.str.extract(r"^([0-9]+)([A-Z]?)$")
    plain = digits[0].astype("Int64").astype("string") + digits[1].fillna("")
    is_plm = commune.isin(list(PLM_COMMUNES))
    value = digits[0].astype("Int64")
    plm = (value // 100).astype("string") + "-" + (value % 100).astype("string")
    return pd.Series(np.where(is_plm, plm, plain), index=key.index, dtype="string")


def in_area(commune: pd.Series, areas: list[str]) -> pd.Series:
    """Tell which commune codes lie in ``areas``: communes, PLM arrondissements or départements.

    ``75056`` matches every Paris arrondissement code (``75116``) as well as
    itself; ``75116`` matches only itself; a 2- or 3-character département code
    (``04``, ``2A``, ``971``) matches every commune of the département.
    """
    commune = commune.astype("string")
    parents = plm_parents(commune)
    mask = commune.isin(areas) | parents.isin(areas)
    for area in areas:
        if len(area) in (2, 3):
            mask |= commune.str.startswith(area)
    return mask.fillna(False).astype(bool)


def keys_in_area(keys: pd.Series, areas: list[str]) -> pd.Series:
    """Tell which canonical bureau keys lie in ``areas`` (communes, départements, PLM arrondissements).

    An arrondissement code (``75116``, ``69385``) keeps the bureaux numbered
    ``AAxx`` of its city, ``AA`` being the arrondissement (see :data:`PLM_COMMUNES`).
    """
    keys = keys.astype("string")
    commune = commune_of_key(keys)
    plain = [code for code in areas if arrondissement_number(code) is None]
    mask = in_area(commune, plain) if plain else pd.Series(False, index=keys.index)
    number = pd.to_numeric(keys.str.slice(6, 10), errors="coerce")
    for code in areas:
        arrondissement = arrondissement_number(code)
        if arrondissement is not None:
            mask |= (commune == plm_parent(code)) & (number // 100 == arrondissement)
    return mask.fillna(False).astype(bool)
