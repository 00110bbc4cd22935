"""Nuances for results rows that lack one, from a candidate -> nuance table.

Présidentielle and européennes files carry no nuance, nor do législatives
results published by cities (Ville de Brest 2022). A table of (election,
surname, optional first name, nuance) fills them: the packaged
``data/candidate_nuances.csv`` (présidentielles 2012-2022, européennes list
heads 2019 and 2024, Brest's législatives 2022), or a Ministry candidate list
read by :func:`canvass.opendata.candidates.read_candidates`.

A row matches an entry of its election when the entry's surname (and first
name, when given) appears as whole words in the row's candidate or list name,
ignoring case and accents. A name that matches entries of different nuances
stays without nuance rather than taking a guess.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import pandas as pd

CANDIDATE_NUANCES = Path(__file__).resolve().parent / "data" / "candidate_nuances.csv"
"""The packaged table; its header comment says where each code comes from."""

TABLE_COLUMNS = ("election", "surname", "first_name", "nuance")
"""Columns every nuance table has (``first_name`` may be empty)."""


def plain(text: pd.Series | str) -> pd.Series | str:
    """Upper case without accents, for matching names typed by hand against published ones."""
    if isinstance(text, str):
        return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).upper().strip()
    text = text.astype("string")
    unique = text.dropna().unique()
    return text.map(dict(zip(unique, (plain(str(value)) for value in unique)))).astype("string")


@lru_cache(maxsize=1)
def packaged_nuances() -> pd.DataFrame:
    """The packaged candidate -> nuance table (read once)."""
    table = pd.read_csv(CANDIDATE_NUANCES, comment="#", dtype="string", keep_default_na=False)
    return table.replace({"": pd.NA})


def _contains_words(name: str, words: str) -> bool:
    """Whether ``words`` appears in ``name`` as whole words (both already :func:`plain`)."""
    return re.search(rf"(?<![A-Z0-9]){re.escape(words)}(?![A-Z0-9])", name) is not None


def _nuance_of(name: str, entries: pd.DataFrame) -> str | None:
    """The one nuance of the entries whose names appear in ``name``, None if none or several."""
    codes = {
        nuance
        for surname, first_name, nuance in zip(entries["surname_plain"], entries["first_plain"], entries["nuance"])
        if _contains_words(name, surname) and (first_name == "" or _contains_words(name, first_name))
    }
    return codes.pop() if len(codes) == 1 else None


def apply_nuances(results: pd.DataFrame, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return ``results`` with missing nuances filled from ``table`` (the packaged one by default).

    Rows that already have a nuance keep it. Work grows with the number of
    distinct candidates, not with the number of bureaux.
    """
    table = packaged_nuances() if table is None else table
    nuance = results["nuance"].astype("string").str.strip().replace({"": pd.NA})
    missing = nuance.isna()
    if not missing.any() or table.empty:
        return results.assign(nuance=nuance) if missing.any() else results
    entries = table.assign(
        surname_plain=plain(table["surname"]).fillna(""),
        first_plain=plain(table["first_name"]).fillna("") if "first_name" in table else "",
    )
    entries = entries[entries["surname_plain"] != ""]
    pairs = results.loc[missing, ["election", "candidate"]].drop_duplicates().dropna()
    found = {}
    for election, group in pairs.groupby("election", sort=False):
        of_election = entries[entries["election"] == election]
        if of_election.empty:
            continue
        for candidate in group["candidate"]:
            code = _nuance_of(plain(str(candidate)), of_election)
            if code is not None:
                found[(election, candidate)] = code
    if not found:
        return results.assign(nuance=nuance)
    keys = pd.MultiIndex.from_frame(results[["election", "candidate"]])
    filled = pd.Series(keys.map(found), index=results.index, dtype="string")
    return results.assign(nuance=nuance.fillna(filled))
