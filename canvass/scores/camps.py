"""Which candidates or lists make up "our camp", election by election.

A camp is a list of selectors, the same for every election or given per
election. A selector is a nuance family preset (``gauche``, ``centre``,
``droite``, ``extreme_droite``, ``ecologistes``, ``divers``), a Ministry nuance
code (``UG``, ``RN``; municipal ``L``-prefixed codes such as ``LUG`` count as
``UG``), or part of a candidate's or list's name (``MACRON``, ``Sebbah``),
matched without regard to case or accents.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from canvass.errors import InputDataError

FAMILIES = ("gauche", "ecologistes", "centre", "droite", "extreme_droite", "divers")
"""Nuance families the presets know, from left to right."""

NUANCE_FAMILY = {
    # Ministry nuances 2017-2024 (législatives, départementales, municipales without the L prefix).
    **dict.fromkeys(("EXG", "DXG", "COM", "FI", "SOC", "RDG", "PRG", "DVG", "UG", "NUP", "FG", "UGE", "GAU"), "gauche"),
    **dict.fromkeys(("ECO", "VEC", "EELV", "DVE"), "ecologistes"),
    **dict.fromkeys(("ENS", "REN", "REM", "MDM", "MODEM", "HOR", "UDI", "DVC", "UC", "UCD", "CEN"), "centre"),
    **dict.fromkeys(("LR", "DVD", "UD", "UMP", "DLF", "DSV", "UDR", "DRO"), "droite"),
    **dict.fromkeys(("RN", "FN", "REC", "EXD", "UXD"), "extreme_droite"),
    **dict.fromkeys(("DIV", "REG", "DVR", "AUT"), "divers"),
}
"""Ministry nuance code -> family. Souverainist right (DLF, DSV) and UDR (Ciotti's 2024 allies) count as ``droite``."""

PRESIDENTIAL_FAMILY = {
    # 2017 and 2022 candidates; présidentielle files carry no nuance.
    "ARTHAUD": "gauche", "POUTOU": "gauche", "ROUSSEL": "gauche", "MELENCHON": "gauche", "HAMON": "gauche",
    "HIDALGO": "gauche", "JADOT": "ecologistes", "MACRON": "centre", "FILLON": "droite", "PECRESSE": "droite",
    "DUPONT-AIGNAN": "droite", "LE PEN": "extreme_droite", "ZEMMOUR": "extreme_droite", "LASSALLE": "divers",
    "ASSELINEAU": "divers", "CHEMINADE": "divers",
}
"""Présidentielle candidate surname (upper case, no accents) -> family."""


def plain(text: pd.Series | str) -> pd.Series | str:
    """Upper case without accents, for matching names typed by hand against published ones."""
    if isinstance(text, str):
        return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).upper().strip()
    text = text.astype("string")
    unique = text.dropna().unique()
    return text.map(dict(zip(unique, (plain(str(value)) for value in unique)))).astype("string")


def nuance_family(nuance: pd.Series) -> pd.Series:
    """Family of each Ministry nuance code (municipal ``LXXX`` codes fall back to ``XXX``)."""
    code = nuance.astype("string").str.strip().str.upper()
    family = code.map(NUANCE_FAMILY)
    unprefixed = code.str.replace(r"^L(?=[A-Z]{2,})", "", regex=True).map(NUANCE_FAMILY)
    return family.fillna(unprefixed).astype("string")


def candidate_family(results: pd.DataFrame) -> pd.Series:
    """Family of each results row: from its nuance, else (présidentielle) from the candidate's name."""
    family = nuance_family(results["nuance"])
    names = plain(results["candidate"]).fillna("")
    by_name = pd.Series(pd.NA, index=results.index, dtype="string")
    for surname, preset in PRESIDENTIAL_FAMILY.items():
        by_name = by_name.mask(by_name.isna() & names.str.startswith(surname), preset)
    presidential = results["election"].astype("string").str.endswith("_pres")
    return family.fillna(by_name.where(presidential))


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


def camp_mask(results: pd.DataFrame, camp: Camp) -> pd.Series:
    """Tell which results rows belong to the camp.

    Raises
    ------
    InputDataError
        If an election has no selector, or a selector matches no candidate of
        an election it applies to (the message lists that election's candidates
        and nuances).
    """
    family = candidate_family(results)
    nuance = results["nuance"].astype("string").str.strip().str.upper()
    unprefixed = nuance.str.replace(r"^L(?=[A-Z]{2,})", "", regex=True)
    names = plain(results["candidate"]).fillna("")
    mask = pd.Series(False, index=results.index)
    for election, rows in results.groupby("election", sort=True).groups.items():
        selectors = camp.selectors(str(election))
        if not selectors:
            raise InputDataError(
                f"no camp given for election {election}",
                hint=f"add a default camp (e.g. --camp gauche) or one for this election (--camp {election}=NAME)",
            )
        for selector in selectors:
            key = plain(selector)
            if key.lower() in FAMILIES:
                hit = family.loc[rows] == key.lower()
            elif key in NUANCE_FAMILY:
                hit = (nuance.loc[rows] == key) | (unprefixed.loc[rows] == key)
            else:
                hit = names.loc[rows].str.contains(key, regex=False)
            hit = hit.fillna(False).astype(bool)
            if not hit.any():
                subset = results.loc[rows]
                raise InputDataError(
                    f"camp selector {selector!r} matches no candidate of {election}",
                    where=f"nuances in {election}: {', '.join(sorted(subset['nuance'].dropna().unique())) or 'none in the file'}",
                    codes=sorted(subset["candidate"].dropna().unique()),
                    hint=f"choose a family ({', '.join(FAMILIES)}), a nuance code, or part of a candidate's name from the values listed",
                )
            mask.loc[hit.index[hit]] = True
    return mask
