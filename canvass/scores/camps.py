"""Which candidates or lists make up "our camp", election by election.

A camp is a list of selectors, the same for every election or given per
election. A selector is a nuance family preset (``gauche``, ``centre``,
``droite``, ``extreme_droite``, ``ecologistes``, ``divers``), a Ministry nuance
code (``UG``, ``RN``; municipal ``L``-prefixed codes such as ``LUG`` count as
``UG``), or part of a candidate's or list's name (``MACRON``, ``Sebbah``),
matched without regard to case or accents. Rows without a nuance take one
from the packaged candidate table (:mod:`canvass.scores.nuances`).

An election where the camp has no candidate is skipped with a message for the
organiser; only a camp with no candidate in any election is an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from canvass.errors import CanvassWarning, InputDataError
from canvass.scores.nuances import apply_nuances, plain

__all__ = ["FAMILIES", "NUANCE_FAMILY", "Camp", "CampSelection", "CampWarning", "SkippedElection", "camp_mask", "candidate_family",
           "nuance_family", "plain", "select_camp"]

FAMILIES = ("gauche", "ecologistes", "centre", "droite", "extreme_droite", "divers")
"""Nuance families the presets know, from left to right."""

NUANCE_FAMILY = {
    # Ministry nuances 2012-2024 (législatives, départementales, municipales without the L prefix).
    **dict.fromkeys(("EXG", "DXG", "COM", "FI", "SOC", "RDG", "PRG", "DVG", "UG", "NUP", "NFP", "FG", "UGE", "GAU"), "gauche"),
    **dict.fromkeys(("ECO", "VEC", "EELV", "DVE"), "ecologistes"),
    **dict.fromkeys(("ENS", "REN", "REM", "MDM", "MODEM", "HOR", "UDI", "DVC", "UC", "UCD", "CEN"), "centre"),
    **dict.fromkeys(("LR", "DVD", "UD", "UMP", "DLF", "DSV", "UDR", "DRO"), "droite"),
    **dict.fromkeys(("RN", "FN", "REC", "EXD", "DXD", "UXD"), "extreme_droite"),
    **dict.fromkeys(("DIV", "REG", "DVR", "AUT"), "divers"),
}
"""Ministry nuance code -> family. Souverainist right (DLF, DSV) and UDR (Ciotti's 2024 allies) count as ``droite``."""


def nuance_family(nuance: pd.Series) -> pd.Series:
    """Family of each Ministry nuance code (municipal ``LXXX`` codes fall back to ``XXX``)."""
    code = nuance.astype("string").str.strip().str.upper()
    family = code.map(NUANCE_FAMILY)
    unprefixed = code.str.replace(r"^L(?=[A-Z]{2,})", "", regex=True).map(NUANCE_FAMILY)
    return family.fillna(unprefixed).astype("string")


def candidate_family(results: pd.DataFrame) -> pd.Series:
    """Family of each results row, from its nuance or, where the file has none, the packaged candidate table."""
    return nuance_family(apply_nuances(results)["nuance"])


@dataclass(frozen=True)
class Camp:
    """Selectors of "our camp": ``default`` for every election, ``by_election`` to override one.

    Examples
    --------
    >>> Camp.parse(["gauche"])
    Camp(default=('gauche',), by_election={})
    >>> Camp.parse(["2017_pres=MACRON", "2020_muni=Sebbah"]).selectors("2020_muni")
    ('Sebbah',)
    """

    default: tuple[str, ...] = ()
    by_election: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def parse(cls, specs: Iterable[str]) -> Camp:
        """Read ``["gauche"]`` or ``["2022_legi=CADALEN,SMOLARZ", "2024_legi=UG"]`` (CLI ``--camp``)."""
        default: list[str] = []
        by_election: dict[str, tuple[str, ...]] = {}
        for spec in specs:
            election, separator, selectors = spec.partition("=")
            items = tuple(item.strip() for item in (selectors if separator else election).split(",") if item.strip())
            if not items:
                raise InputDataError(f"empty camp {spec!r}", hint="give e.g. --camp gauche or --camp 2024_legi=UG,DVG")
            if separator:
                by_election[election.strip()] = items
            else:
                default.extend(items)
        return cls(tuple(default), by_election)

    def selectors(self, election: str) -> tuple[str, ...]:
        """The selectors that apply to ``election``."""
        return tuple(self.by_election.get(election, self.default))

    def describe(self) -> str:
        """One line for reports: ``gauche; 2017_pres: MACRON``."""
        parts = [", ".join(self.default)] if self.default else []
        parts += [f"{election}: {', '.join(items)}" for election, items in self.by_election.items()]
        return "; ".join(parts)


class CampWarning(CanvassWarning):
    """Fires when an election is left out of a score because the camp has no candidate there."""


@dataclass(frozen=True)
class SkippedElection:
    """An election left out of the score because the camp has no candidate there (or no camp was given for it)."""

    election: str
    selectors: tuple[str, ...]
    candidates: tuple[str, ...]
    nuances: tuple[str, ...]
    families: tuple[str, ...]

    @property
    def message(self) -> str:
        """What the organiser reads (French), in the app and on the command line."""
        if not self.selectors:
            return (f"Scrutin {self.election} ignoré : aucun camp n’est donné pour ce scrutin "
                    f"(ajoutez un camp par défaut ou {self.election}=NOM).")
        present = f" ; familles présentes : {', '.join(self.families)}" if self.families else ""
        return (f"Scrutin {self.election} ignoré : le camp « {', '.join(self.selectors)} » n’y a aucun candidat "
                f"(candidats : {', '.join(self.candidates) or 'aucun'}{present}).")


@dataclass(frozen=True)
class CampSelection:
    """Which results rows belong to the camp, and which elections were skipped for lack of a candidate."""

    mask: pd.Series
    skipped: tuple[SkippedElection, ...] = ()

    @property
    def skipped_elections(self) -> tuple[str, ...]:
        return tuple(item.election for item in self.skipped)


def select_camp(results: pd.DataFrame, camp: Camp) -> CampSelection:
    """Tell which results rows belong to the camp; skip the elections where none does.

    Within an election, a row belongs to the camp when any selector matches
    it. An election where no selector matches any candidate (or that has no
    selector) is skipped and reported in :attr:`CampSelection.skipped`.

    Raises
    ------
    InputDataError
        If the camp has a candidate in no election at all: the message (French,
        shown by the app) lists each election's candidates and their families.
    """
    results = apply_nuances(results)
    family = nuance_family(results["nuance"])
    nuance = results["nuance"].astype("string").str.strip().str.upper()
    unprefixed = nuance.str.replace(r"^L(?=[A-Z]{2,})", "", regex=True)
    names = plain(results["candidate"]).fillna("")
    mask = pd.Series(False, index=results.index)
    skipped = []
    for election, rows in results.groupby("election", sort=True).groups.items():
        selectors = camp.selectors(str(election))
        hit = pd.Series(False, index=rows)
        for selector in selectors:
            key = plain(selector)
            if key.lower() in FAMILIES:
                hit |= (family.loc[rows] == key.lower()).fillna(False).astype(bool)
            elif key in NUANCE_FAMILY:
                hit |= ((nuance.loc[rows] == key) | (unprefixed.loc[rows] == key)).fillna(False).astype(bool)
            else:
                hit |= names.loc[rows].str.contains(key, regex=False).fillna(False).astype(bool)
        if hit.any():
            mask.loc[hit.index[hit]] = True
        else:
            subset = results.loc[rows]
            skipped.append(SkippedElection(
                str(election), tuple(selectors),
                tuple(sorted(subset["candidate"].dropna().astype(str).unique())),
                tuple(sorted(nuance.loc[rows].dropna().unique())),
                tuple(f for f in FAMILIES if f in set(family.loc[rows].dropna())),
            ))
    if skipped and len(skipped) == results["election"].nunique():
        raise InputDataError(
            f"le camp « {camp.describe() or 'aucun'} » n’a aucun candidat dans les scrutins du territoire",
            where="; ".join(
                f"{item.election} : {', '.join(item.candidates) or 'aucun candidat'}"
                + (f" (nuances : {', '.join(item.nuances)} ; familles : {', '.join(item.families)})" if item.nuances else " (sans nuance)")
                for item in skipped
            ),
            hint=("choisissez une famille présente, un code de nuance, une partie du nom d’un candidat listé, "
                  "ou un camp par scrutin (ex. 2017_pres=MACRON)"),
        )
    return CampSelection(mask, tuple(skipped))


def camp_mask(results: pd.DataFrame, camp: Camp) -> pd.Series:
    """Rows of ``results`` that belong to the camp (see :func:`select_camp`, which also says what was skipped)."""
    return select_camp(results, camp).mask
