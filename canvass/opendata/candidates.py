"""The Ministry's législatives candidate lists: who stood where, under which nuance.

Results published by cities (Ville de Brest 2022) name the candidates but carry
no nuance; the Ministry's candidate list of the same election gives it. Two
layouts are known, told apart by content, not by name:

- 2022: TAB-separated, Latin-1; département and circonscription codes, panel
  number, name, first name, nuance code (and a nuance label, birth date…).
- 2024: ``;``-separated, UTF-8; ``Code circonscription`` (département and
  number in one code, ``2902`` or ``29-02``), panel, name, first name, nuance.

Columns are found by what their headers say (``panneau``, ``nuance``,
``prénom``…), so other vintages and publishers' renamings still read. The
table returned feeds :func:`canvass.scores.nuances.apply_nuances`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from canvass.errors import InputDataError
from canvass.opendata._io import read_text_table

CANDIDATE_COLUMNS = ("election", "departement", "circonscription", "panel", "surname", "first_name", "nuance", "nuance_label")
"""One row per candidate; ``election`` is ``<year>_legi``."""

_VOTE_WORDS = ("VOIX", "INSCRITS", "VOTANTS", "EXPRIMES")
"""Words of a results header: a table with them is a results file, not a candidate list."""


def _key(column: str) -> str:
    """Header in upper case without accents, punctuation as spaces: ``N° panneau`` -> ``N PANNEAU``."""
    text = "".join(c for c in unicodedata.normalize("NFKD", str(column)) if not unicodedata.combining(c)).upper()
    return " ".join(re.sub(r"[^A-Z0-9]+", " ", text).split())


def _is_substitute(key: str) -> bool:
    return "REMPLACANT" in key or "SUPPLEANT" in key


def _find_columns(columns: Sequence[str]) -> dict[str, str | None]:
    """Map each field this reader needs to the header that holds it (None when absent)."""
    keys = {column: _key(column) for column in columns}
    own = {column: key for column, key in keys.items() if not _is_substitute(key)}

    def first(test) -> str | None:
        return next((column for column, key in own.items() if test(key)), None)

    words = lambda key: key.split()  # noqa: E731 - a one-word helper reads better inline
    nuance = first(lambda k: "NUANCE" in words(k) and ("CODE" in words(k) or "CODNUA" in k)) or first(
        lambda k: "NUANCE" in words(k) and "LIBELLE" not in words(k)
    )
    return {
        "departement": first(lambda k: ("DEPARTEMENT" in words(k) and "LIBELLE" not in words(k)) or k in {"DEP", "CODE DEP"}),
        "circonscription": first(lambda k: ("CIRCONSCRIPTION" in words(k) or "CIRCO" in words(k)) and "LIBELLE" not in words(k)),
        "panel": first(lambda k: "PANNEAU" in words(k)),
        "surname": first(lambda k: words(k)[:1] == ["NOM"] or k in {"NOM DU CANDIDAT", "NOM CANDIDAT"}),
        "first_name": first(lambda k: "PRENOM" in words(k)),
        "nuance": nuance,
        "nuance_label": first(lambda k: "NUANCE" in words(k) and "LIBELLE" in words(k))
        or first(lambda k: "NUANCE" in words(k) and k != _key(nuance or "")),
    }


def looks_like_candidate_list(columns: Sequence[str]) -> bool:
    """Whether a table with these headers is a candidate list: circonscription, panel, name, first name and nuance, no votes.

    >>> looks_like_candidate_list(["Code circonscription", "Numéro de panneau", "Nom", "Prénom", "Code nuance"])
    True
    >>> looks_like_candidate_list(["Code BV", "Numéro de panneau 1", "Nom candidat 1", "Prénom candidat 1", "Nuance candidat 1", "Voix 1"])
    False
    """
    if any(word in _key(column).split() for column in columns for word in _VOTE_WORDS):
        return False
    found = _find_columns(columns)
    return all(found[field] is not None for field in ("circonscription", "panel", "surname", "first_name", "nuance"))


def read_candidates(path: Path, *, election: str | None = None, encoding: str | None = None) -> pd.DataFrame:
    """Read a Ministry législatives candidate list into :data:`CANDIDATE_COLUMNS`.

    Parameters
    ----------
    path
        The list (TAB or ``;`` separated, UTF-8 or Latin-1, optionally gzipped).
    election
        ``2022_legi``…; by default the year in the file name (``…legislatives-2022…``) with ``_legi``.
    encoding
        Forced encoding; detected by default.

    Raises
    ------
    InputDataError
        If the headers are not those of a candidate list, or the election is
        said neither by the argument nor by the file name.
    """
    path = Path(path)
    frame = read_text_table(path, encoding=encoding)
    columns = list(frame.columns)
    if not looks_like_candidate_list(columns):
        raise InputDataError(
            "not a candidate list: circonscription, panel number, name, first name and nuance columns are needed (and no votes)",
            source=path,
            where=f"header: {', '.join(columns[:12])}" + (" …" if len(columns) > 12 else ""),
            hint="give the Ministry's 'liste des candidats' file of the législatives",
        )
    if election is None:
        year = re.search(r"(?<![0-9])(20[0-9]{2})(?![0-9])", path.name)
        if year is None:
            raise InputDataError(
                "the election of this candidate list is not said by its name",
                source=path,
                hint="pass election='2022_legi' (or rename the file with its year)",
            )
        election = f"{year.group(1)}_legi"
    found = _find_columns(columns)
    text = {field: (frame[column].astype("string").str.strip() if column else pd.Series(pd.NA, index=frame.index, dtype="string"))
            for field, column in found.items()}
    circonscription = text["circonscription"]
    departement = text["departement"]
    if found["departement"] is None:
        # 2024: one code for both, "2902" or "29-02" (département first, then a 2-digit number).
        parts = circonscription.str.extract(r"^(?P<dep>[0-9AB]{2,3}|Z[A-Z])-?(?P<num>[0-9]{2})$")
        departement, circonscription = parts["dep"].astype("string"), parts["num"].astype("string").fillna(circonscription)
    else:
        circonscription = circonscription.str.extract(r"([0-9]+)$")[0].astype("string").str.zfill(2).fillna(circonscription)
    table = pd.DataFrame({
        "election": election,
        "departement": departement.str.zfill(2),
        "circonscription": circonscription,
        "panel": pd.to_numeric(text["panel"], errors="coerce").astype("Int64"),
        "surname": text["surname"],
        "first_name": text["first_name"],
        "nuance": text["nuance"].str.upper(),
        "nuance_label": text["nuance_label"],
    })
    return table[table["surname"].notna()].reset_index(drop=True)[list(CANDIDATE_COLUMNS)]
