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
# one commune code; bureau numbers there are AABB (arrondissement, number).
PLM_COMMUNES = {"75056": range(75101, 75121), "69123": range(69381, 69390), "13055": range(13201, 13217)}

# Ministry of the Interior letter codes for overseas départements, with the
# first two digits of their INSEE commune codes (commune = prefix + 3 digits).
OVERSEAS_PREFIX = {
    "ZA": "97", "ZB": "97", "ZC": "97", "ZD": "97", "ZM": "97", "ZS": "97", "ZX": "97",
    "ZN": "98", "ZP": "98", "ZW": "98", "ZZ": "99",
}

_BUREAU_PATTERN = r"^0*(?P<number>\d{1,4})(?P<letter>[A-Z]?)$"


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
    for parent, arrondissements in PLM_COMMUNES.items():
        if commune.isdigit() and int(commune) in arrondissements:
            return parent
    return commune


def arrondissement_number(commune: str) -> int | None:
    """Return the arrondissement number of an arrondissement code (``75116 -> 16``), else None."""
    if plm_parent(commune) == commune:
        return None
    return int(commune) - (int(commune) // 100) * 100


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
    paris = text.str.extract(r"^(?P<arr>\d{1,2})-(?P<num>\d{1,2})$")
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
    communes = communes.map(plm_parent, na_action="ignore").astype("string")
    return communes + "_" + normalise_bureau(bureau, source=source, column=column)


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
    digits = number.str.extract(r"^(\d+)([A-Z]?)$")
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
    parents = commune.map(plm_parent, na_action="ignore").astype("string")
    mask = commune.isin(areas) | parents.isin(areas)
    for area in areas:
        if len(area) in (2, 3):
            mask |= commune.str.startswith(area)
    return mask.fillna(False).astype(bool)
