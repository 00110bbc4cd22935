"""Election results per bureau de vote, from every publisher's layout to one tidy long table.

:func:`read_results` reads one file and returns :data:`~canvass.opendata.schemas.RESULTS_COLUMNS`:
one row per election, round, bureau and candidate, the bureau totals repeated on each row.
The layout is found from the header (:func:`detect_results_layout`):

``mi2024``
    Ministry of the Interior 2024 (législatives, européennes),
    ``resultats-definitifs-par-bureau-de-vote.csv``: numbered candidate blocks (``Voix N``…).
``mi2022``
    Ministry 2022, ``resultats-par-niveau-burvot-t1-france-entiere.txt``: Latin-1, one header
    for the first candidate block, further blocks without header (rows longer than the header).
``wide2017``
    aktiur's one-row-per-bureau P2017 file (``departement,commune,bureau,…,<CANDIDATE>…``);
    it has no nuls column, so ``n_null = votants − blancs − exprimés``.
``paris_muni``
    Ville de Paris municipales (``ID_BVOTE`` = ``16-1``, one column per head of list); commune 75056.
``brest2022``
    Ville de Brest 2022 (``Numéro``, ``<name> - votes``); the file does not name its commune, which
    is Brest, :data:`BREST_COMMUNE`.
``toulouse_headerless``
    Toulouse Métropole parquet with columns ``column_1``…; lists are (list number, votes) pairs and
    the candidate is the list number as written (``003``).
``datagouv``
    data.gouv harmonised ``general_results`` and ``candidats_results`` files; reading either finds
    and joins the other in the same folder.

The election (``2024_legi``) and round come from the file where it says so, else from its name
(:func:`election_from_filename`), else from the ``election=``/``round=`` arguments. An argument that
contradicts the file selects its rows (files holding several elections) or is an error.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from canvass.errors import DataQualityWarning, ImpossibleValueError, InputDataError
from canvass.opendata._io import decode_text, first_match, open_bytes, require_columns, sniff_separator, to_count
from canvass.opendata.codes import (
    arrondissement_number,
    bureau_key,
    commune_from_parts,
    normalise_commune,
    plm_parent,
)
from canvass.opendata.schemas import ELECTION_KINDS, RESULTS_COLUMNS

LAYOUTS = ("mi2024", "mi2022", "wide2017", "paris_muni", "brest2022", "toulouse_headerless", "datagouv")
"""Layout names accepted by ``read_results(layout=...)``."""

BREST_COMMUNE = "29019"
"""INSEE code of Brest: the ``brest2022`` files hold Brest's bureaux only and never say so."""

PARIS_COMMUNE = "75056"
"""INSEE code of Paris: the ``paris_muni`` files number bureaux ``<arrondissement>-<number>``."""

TOTAL_COLUMNS = ("n_registered", "n_voters", "n_abstentions", "n_expressed", "n_blank", "n_null")

_KIND_WORDS = {
    "presidentielle": "pres",
    "legislative": "legi",
    "europeenne": "euro",
    "municipale": "muni",
    "regionale": "regi",
    "departementale": "dept",
}
# Two-letter election codes of the Ministry's own files (Toulouse column 2).
_MINISTRY_KIND_CODES = {"PR": "pres", "LG": "legi", "ER": "euro", "EU": "euro", "MN": "muni", "RG": "regi", "DP": "dept"}

_KIND_PATTERN = "(" + "|".join(_KIND_WORDS) + ")"
_YEAR_PATTERN = r"(?<![0-9])((?:19|20)[0-9]{2})(?![0-9])"
# t1, tour1, tour_1, 1er_tour, 2nd_tour, and aktiur's <kind>-2_ (separators normalised to "_").
_ROUND_PATTERN = r"(?:^|_)t(?:our)?_?([12])(?:_|$)|(?:^|_)([12])(?:er|nd|e|eme)?_tour(?:_|$)|(?:ielle|ive|enne|ale)s?_([12])(?:_|$)"
# Bureau codes that opendata.codes canonicalises; others (Caen 01.1, Montbéliard 0A11) are kept as written.
_REGULAR_BUREAU = r"[0-9]{1,4}[A-Z]?|[0-9]{1,2}-[0-9]{1,2}"
_COMMUNE_CODE = r"[0-9][0-9AB][0-9]{3}"

_MI2022_BLOCK_START = "N°Panneau"
_MI2022_BLOCK_END = "% Voix/Exp"
_WIDE2017_TOTALS = ("departement", "commune", "bureau", "circonscription", "commune_libelle",
                    "inscrits", "votants", "abstentions", "blancs", "nuls", "exprimes")
_DATAGOUV_GENERAL = "general_results"
_DATAGOUV_CANDIDATES = "candidats_results"


# --------------------------------------------------------------------------- layout and election


def detect_results_layout(columns: Sequence[str]) -> str | None:
    """Return the layout name of a results table from its column names, or None if unknown.

    Parameters
    ----------
    columns
        The header of the file (parquet column names for parquet files).

    Returns
    -------
    str or None
        One of :data:`LAYOUTS`.
    """
    names = {str(column).strip() for column in columns}
    if {"Code commune", "Code BV", "Voix 1"} <= names:
        return "mi2024"
    if {"Code du b.vote", "Code de la commune", _MI2022_BLOCK_START} <= names:
        return "mi2022"
    if {"departement", "commune", "bureau", "inscrits", "votants", "exprimes"} <= names:
        return "wide2017"
    if {"ID_BVOTE", "NB_INSCR", "NB_VOTANT", "NB_EXPRIM"} <= names:
        return "paris_muni"
    if {"Numéro", "Scrutin", "Inscrits", "Votants"} <= names and any(name.endswith(" - votes") for name in names):
        return "brest2022"
    if len(names) >= 18 and names == {f"column_{index}" for index in range(1, len(names) + 1)}:
        return "toulouse_headerless"
    if "id_election" in names and ({"inscrits", "votants"} <= names or "voix" in names):
        return "datagouv"
    return None


def _plain_text(values: pd.Series) -> pd.Series:
    """Lower-case, accent-free text with separators ``- . space`` turned to ``_``."""
    text = values.astype("string").str.normalize("NFKD").str.encode("ascii", "ignore").str.decode("ascii")
    return text.str.lower().str.replace(r"[\s.\-]+", "_", regex=True)


def _election_parts_from_text(values: pd.Series) -> pd.DataFrame:
    """Year, kind and round said by free text (file names, Brest ``Scrutin``); NA where not said."""
    text = _plain_text(values)
    rounds = text.str.extract(_ROUND_PATTERN).bfill(axis=1).iloc[:, 0]
    return pd.DataFrame(
        {
            "year": text.str.extract(_YEAR_PATTERN)[0].astype("string"),
            "kind": text.str.extract(_KIND_PATTERN)[0].map(_KIND_WORDS).astype("string"),
            "round": pd.to_numeric(rounds).astype("Int64"),
        },
        index=values.index,
    )


def election_from_filename(name: str) -> tuple[str, int] | None:
    """Return ``(election, round)`` said by a file name, or None if it does not say both.

    ``legislatives2024_t1_…`` -> ``('2024_legi', 1)``; ``2017-presidentielle-2_par_bureau_large…``
    -> ``('2017_pres', 2)``; ``ddct_berp_municipales_2020_tour1_…`` -> ``('2020_muni', 1)``;
    ``resultats-elections-municipales-2026-1er-tour.parquet`` -> ``('2026_muni', 1)``.
    ``resultats-par-niveau-burvot-t1-france-entiere.txt`` says the round only: None.
    """
    parts = _election_parts_from_text(pd.Series([Path(name).name.split(".")[0]])).iloc[0]
    if parts.isna().any():
        return None
    return f"{parts['year']}_{parts['kind']}", int(parts["round"])


def _parse_election_argument(election: str | None, source: Path) -> tuple[str | None, str | None]:
    """Split ``election='2024_legi'`` into year and kind, checking its form."""
    if election is None:
        return None, None
    match = re.fullmatch(r"((?:19|20)[0-9]{2})_([a-z]+)", str(election).strip())
    if match is None or match.group(2) not in ELECTION_KINDS:
        raise InputDataError(
            f"election={election!r} is not of the form <year>_<kind>",
            source=source,
            hint=f"write it like '2024_legi'; kinds are {', '.join(ELECTION_KINDS)}",
        )
    return match.group(1), match.group(2)


def _resolve_election(bureaux: pd.DataFrame, source: Path, election: str | None, round: int | None) -> pd.DataFrame:
    """Fill ``year``/``kind``/``round`` from the file name then the arguments; keep the rows the arguments ask for."""
    from_name = _election_parts_from_text(pd.Series([source.name.split(".")[0]])).iloc[0]
    arg_year, arg_kind = _parse_election_argument(election, source)
    asked = {"year": arg_year, "kind": arg_kind, "round": None if round is None else int(round)}
    for part in ("year", "kind", "round"):
        said = bureaux[part].fillna(from_name[part]) if pd.notna(from_name[part]) else bureaux[part]
        if asked[part] is not None:
            agrees = said.isna() | (said == asked[part])
            if not agrees.any():
                raise InputDataError(
                    f"the file holds election {part} {', '.join(map(str, said.dropna().unique()))}, not {asked[part]}",
                    source=source,
                    where="file content or file name",
                    hint=f"leave out the {'round' if part == 'round' else 'election'}= argument, or read the right file",
                )
            bureaux, said = bureaux[agrees], said[agrees].fillna(asked[part])
        if said.isna().any():
            raise InputDataError(
                f"the election {part} is not said by the file nor by its name",
                source=source,
                hint="pass election='<year>_<kind>' (e.g. election='2022_pres') and round=1 or 2 to read_results",
            )
        bureaux = bureaux.assign(**{part: said})
    return bureaux


# --------------------------------------------------------------------------- reading the raw table


def _latin1_ministry_header(data: bytes) -> bool:
    """True when the first line is the Ministry 2022 header in its Latin-1 bytes (not UTF-8)."""
    first_line = data.split(b"\n", 1)[0]
    if b"Code du b.vote" not in first_line:
        return False
    try:
        first_line.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _read_raw(path: Path, encoding: str | None) -> pd.DataFrame:
    """Read a results file with every cell as stripped text (NA when empty).

    Text rows may be longer than the header (Ministry 2022): the extra cells get the
    columns ``#<position>``. Ministry 2022 files in Latin-1 are read as such without the
    encoding-fallback warning; parquet files ignore ``encoding``.
    """
    if path.suffix == ".parquet":
        if not path.exists():
            raise InputDataError("file not found", source=path, hint="check the path and the folder given")
        try:
            frame = pd.read_parquet(path)
        except Exception as error:  # pyarrow raises many types on corrupt files
            raise InputDataError(f"cannot read the parquet file ({error})", source=path, hint="download the file again") from error
        if frame.empty:
            raise InputDataError("the file has no rows", source=path, hint="download the file again")
        frame.columns = [str(column).strip() for column in frame.columns]
        return frame.astype("string").apply(lambda column: column.str.strip())
    data = open_bytes(path)
    if encoding is None and _latin1_ministry_header(data):
        encoding = "latin-1"
    text, _ = decode_text(data, source=path, encoding=encoding)
    header_line = text.split("\n", 1)[0].rstrip("\r")
    separator = sniff_separator(header_line)
    try:
        header = [cell.strip() for cell in next(csv.reader([header_line], delimiter=separator))]
    except csv.Error as error:
        raise InputDataError(f"the header line cannot be split into cells ({error})", source=path, where="line 1",
                             hint="check the file is a plain text table (no binary data, quotes closed)") from error
    duplicated = pd.Series(header)[pd.Series(header).duplicated()]
    if not duplicated.empty:
        raise InputDataError(
            "the header names some columns twice",
            source=path,
            where="line 1",
            codes=duplicated.unique(),
            hint="rename the duplicated columns; each column of a results file must have its own name",
        )
    # Upper bound of the cells per row (quoted separators only add empty columns, dropped below).
    width = int(pd.Series(text.splitlines()).str.count(re.escape(separator)).max()) + 1
    names = header + [f"#{position}" for position in range(len(header), width)]
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=separator, header=None, skiprows=1, names=names, dtype=str,
            keep_default_na=False, na_values=[""], skipinitialspace=True, engine="c",
        )
    except pd.errors.ParserError as error:
        raise InputDataError(
            f"the rows cannot be split into cells ({error})",
            source=path,
            hint=f"check the separator (read with {separator!r}) and stray quotes in that line",
        ) from error
    if frame.empty:
        raise InputDataError("the file has a header but no rows", source=path, hint="download the file again")
    # Drop the trailing extra columns that hold nothing (empty columns inside blocks stay in place).
    extras = frame.columns[len(header):]
    trailing_empty = ~frame[extras].notna().any()[::-1].cummax()[::-1]
    frame = frame.drop(columns=extras[trailing_empty.to_numpy()])
    return frame.apply(lambda column: column.str.strip())


# (smaller, larger): pairs of totals of one bureau where the first can never exceed the second.
_TOTAL_ORDER = (
    ("n_expressed", "n_voters", "more votes cast (exprimés) than voters (votants)"),
    ("n_voters", "n_registered", "more voters (votants) than registered voters (inscrits)"),
    ("n_abstentions", "n_registered", "more abstentions than registered voters (inscrits)"),
    ("n_blank", "n_voters", "more blank ballots than voters"),
    ("n_null", "n_voters", "more null ballots than voters"),
)


def _line_of(rows: np.ndarray, path: Path) -> list[str]:
    """File positions of data rows (0-based): ``line N`` of a text file (header on line 1), ``row N`` of a parquet file."""
    return [f"row {row + 1}" if path.suffix == ".parquet" else f"line {row + 2}" for row in rows]


def check_impossible_totals(bureaux: pd.DataFrame, votes: pd.DataFrame, source: Path) -> None:
    """Raise on totals no election can give: exprimés ≤ votants ≤ inscrits, blancs, nuls ≤ votants, voix ≤ exprimés, derived nuls ≥ 0.

    Votes are checked one candidate at a time: in municipales with panachage (communes under
    1,000 inhabitants) the sum of the votes exceeds exprimés, but no candidate gets more votes
    than there are valid ballots. ``bureaux`` is indexed by data row; ``votes`` refers to it by ``row``.

    Raises
    ------
    ImpossibleValueError
        Naming the file, the line, the bureau and the values.
    """
    def fail(what: str, rows: np.ndarray, values: list[str]) -> None:
        raise ImpossibleValueError(
            f"{what} in {len(rows)} rows",
            source=source,
            where=", ".join(_line_of(rows[:5], source)) + (" …" if len(rows) > 5 else ""),
            codes=values,
            hint="the columns may be shifted or swapped, or a number mistyped; fix those rows or take the file again from its publisher",
        )

    for small, large, what in _TOTAL_ORDER:
        bad = (bureaux[small] > bureaux[large]).to_numpy()
        if bad.any():
            shown = bureaux[bad].head(5)
            fail(what, bureaux.index[bad].to_numpy(),
                 [f"{key}: {small}={a:g} > {large}={b:g}" for key, a, b in zip(shown["bureau_id"], shown[small], shown[large])])
    if "n_null" in bureaux:
        negative = (bureaux["n_null"] < 0).to_numpy()
        if negative.any():
            shown = bureaux[negative].head(5)
            fail("blank ballots plus votes cast exceed the voters (nuls would be negative)", bureaux.index[negative].to_numpy(),
                 [f"{key}: votants={v:g}, blancs={b:g}, exprimés={e:g}" for key, v, b, e in
                  zip(shown["bureau_id"], shown["n_voters"], shown["n_blank"], shown["n_expressed"])])
    present = votes[votes["present"].to_numpy() & votes["row"].notna().to_numpy()]
    expressed = bureaux["n_expressed"].reindex(present["row"].to_numpy()).to_numpy()
    over = present["n_votes"].to_numpy() > expressed
    if over.any():
        rows = present["row"].to_numpy()[over].astype("int64")
        keys = bureaux["bureau_id"].reindex(rows).to_numpy()
        fail("a candidate has more votes (voix) than votes cast (exprimés)", np.unique(rows),
             [f"{key}: {name} voix={v:g} > exprimés={e:g}" for key, name, v, e in
              zip(keys[:5], present["candidate"].to_numpy()[over][:5], present["n_votes"].to_numpy()[over][:5], expressed[over][:5])])


def _reject_long_rows(raw: pd.DataFrame, source: Path, layout: str) -> None:
    """Raise if rows have more cells than the header, which only the ``mi2022`` layout allows."""
    extras = [column for column in raw.columns if column.startswith("#")]
    if extras:
        first = int(np.flatnonzero(raw[extras].notna().any(axis=1).to_numpy())[0])
        raise InputDataError(
            f"some rows have more cells than the header ({len(raw.columns) - len(extras)} columns)",
            source=source,
            where=f"first at line {first + 2}",
            hint=f"check the separator and quotes; the {layout} layout has one header cell per column",
        )


# --------------------------------------------------------------------------- shared conversions


def _bureau_ids(commune: pd.Series, bureau: pd.Series, *, source: Path, column: str) -> pd.Series:
    """Canonical bureau keys; codes of no usual form are kept as written after the commune, with a warning."""
    text = bureau.astype("string").str.strip().str.upper()
    missing = text.isna() | commune.isna()
    if missing.any():
        raise InputDataError(
            f"{int(missing.sum())} rows have no commune or bureau code",
            source=source,
            where=f"column {column!r}, first at data row {int(np.flatnonzero(missing.to_numpy())[0]) + 1}",
            hint="every row of a results file must name its bureau; remove total or blank rows",
        )
    malformed = ~commune.astype("string").str.fullmatch(_COMMUNE_CODE).fillna(False).astype(bool)
    if malformed.any():
        rows = np.flatnonzero(malformed.to_numpy())
        raise InputDataError(
            f"{len(rows)} commune codes are not INSEE codes (5 characters: 29019, 2A004, 97101)",
            source=source,
            where=", ".join(_line_of(rows[:5], source)),
            codes=[str(code)[:20] + ("…" if len(str(code)) > 20 else "") for code in commune[malformed].unique()[:5]],
            hint="check that the commune (and département) columns are not shifted and hold codes, not names",
        )
    regular = text.str.fullmatch(_REGULAR_BUREAU).fillna(False).astype(bool)
    ids = (commune.map(plm_parent).astype("string") + "_" + text).astype("string")
    ids[regular] = bureau_key(commune[regular], text[regular], source=str(source), column=column)
    if not regular.all():
        warnings.warn(
            DataQualityWarning(
                f"{source}: {int((~regular).sum())} bureau codes in column {column!r} are not of a usual form "
                f"(1, 0001, 54A, 16-1) and are kept as written, e.g. {', '.join(ids[~regular].unique()[:5])}"
            ),
            stacklevel=4,
        )
    return ids


def _counts(raw: pd.DataFrame, columns: dict[str, str | None], source: Path) -> pd.DataFrame:
    """Convert the total columns to float counts; a total the file lacks is NaN, abstentions are derived."""
    counts = pd.DataFrame(
        {name: to_count(raw[column], source=source, column=column) if column else np.nan for name, column in columns.items()},
        index=raw.index,
    )
    if columns.get("n_abstentions") is None:
        counts["n_abstentions"] = counts["n_registered"] - counts["n_voters"]
    return counts.reindex(columns=TOTAL_COLUMNS)


def _bureaux(commune: pd.Series, bureau_ids: pd.Series, counts: pd.DataFrame, *, source: Path, year=pd.NA, kind=pd.NA,
             round=pd.NA) -> pd.DataFrame:
    """Bureau-level frame (index = file row) with the election parts the file says (NA where not).

    Raises
    ------
    InputDataError
        If the file gives a round that is not 1 or 2.
    """
    frame = pd.DataFrame({"commune": commune.map(plm_parent).astype("string"), "bureau_id": bureau_ids}, index=counts.index)
    frame["year"] = pd.Series(year, index=frame.index).astype("string")
    frame["kind"] = pd.Series(kind, index=frame.index).astype("string")
    said = pd.Series(round, index=frame.index).astype("string").str.strip()
    number = pd.to_numeric(said, errors="coerce")
    bad = (said.notna() & ~number.isin([1, 2])).to_numpy()
    if bad.any():
        raise InputDataError(
            f"{int(bad.sum())} rows give a round (tour) that is not 1 or 2",
            source=source,
            where=", ".join(_line_of(np.flatnonzero(bad)[:5], source)),
            codes=said[bad].str.slice(0, 30).unique(),
            hint="check that the columns are not shifted; French elections have a first and a second round only",
        )
    frame["round"] = number.astype("Int64")
    return pd.concat([frame, counts], axis=1)


def _block(raw: pd.DataFrame, order: int, *, candidate: pd.Series, votes: str | pd.Series, source: Path,
           column: str, nuance: pd.Series | None = None) -> pd.DataFrame:
    """One candidate block as long rows ``row, order, candidate, nuance, n_votes, present``."""
    vote_text = raw[votes] if isinstance(votes, str) else votes
    candidate = candidate.astype("string").str.strip().replace("", pd.NA)
    return pd.DataFrame(
        {
            "row": raw.index,
            "order": order,
            "candidate": candidate,
            "nuance": pd.Series(pd.NA, index=raw.index, dtype="string") if nuance is None else nuance.astype("string"),
            "n_votes": to_count(vote_text, source=source, column=column),
            "present": candidate.notna() | vote_text.notna(),
        }
    )


def _column_or_na(raw: pd.DataFrame, column: str) -> pd.Series:
    """The column, or an all-NA text column when the file lacks it."""
    return raw[column] if column in raw.columns else pd.Series(pd.NA, index=raw.index, dtype="string")


def _name(raw: pd.DataFrame, surname: str, first_name: str) -> pd.Series:
    """``'<Nom> <Prénom>'`` as the candidate label, NA when both are empty."""
    name = _column_or_na(raw, surname).fillna("") + " " + _column_or_na(raw, first_name).fillna("")
    return name.str.strip().replace("", pd.NA)


def _commune(departement: pd.Series | None, commune: pd.Series) -> pd.Series:
    """INSEE codes from a full commune code, or from département + 3-digit code when that is all there is."""
    code = commune.astype("string").str.strip().str.upper()
    overseas = code.str.fullmatch(r"Z[A-Z][0-9]{3}").fillna(False).astype(bool)
    short = code.str.len() <= 3
    full = normalise_commune(code)
    if departement is not None:
        full = full.mask(short, commune_from_parts(departement, code))
    return full.mask(overseas, commune_from_parts(code.str.slice(0, 2), code.str.slice(2)))


# --------------------------------------------------------------------------- the layouts


def _read_mi2024(raw: pd.DataFrame, source: Path, encoding: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ministry 2024: fixed totals then numbered blocks ``Numéro de panneau N``, ``Voix N``…"""
    require_columns(raw, ("Code commune", "Code BV", "Inscrits", "Votants", "Exprimés", "Blancs", "Nuls", "Voix 1"),
                    source=source, layout="mi2024")
    commune = _commune(raw.get("Code département"), raw["Code commune"])
    counts = _counts(raw, {"n_registered": "Inscrits", "n_voters": "Votants", "n_abstentions": first_match(raw.columns, ["Abstentions"]),
                           "n_expressed": "Exprimés", "n_blank": "Blancs", "n_null": "Nuls"}, source)
    bureaux = _bureaux(commune, _bureau_ids(commune, raw["Code BV"], source=source, column="Code BV"), counts, source=source)
    numbers = sorted(int(match.group(1)) for column in raw.columns if (match := re.fullmatch(r"Voix ([0-9]+)", column)))
    blocks = []
    for number in numbers:
        label = first_match(raw.columns, [f"Libellé abrégé de liste {number}", f"Libellé de liste {number}"])
        candidate = raw[label] if label else _name(raw, f"Nom candidat {number}", f"Prénom candidat {number}")
        nuance = first_match(raw.columns, [f"Nuance candidat {number}", f"Nuance liste {number}"])
        blocks.append(_block(raw, number, candidate=candidate, votes=f"Voix {number}", source=source,
                             column=f"Voix {number}", nuance=raw[nuance] if nuance else None))
    return bureaux, pd.concat(blocks, ignore_index=True)


def _read_mi2022(raw: pd.DataFrame, source: Path, encoding: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ministry 2022: fixed totals, one headed candidate block, then blocks without header."""
    require_columns(raw, ("Code du département", "Code de la commune", "Code du b.vote", "Inscrits", "Abstentions",
                          "Votants", "Blancs", "Nuls", "Exprimés", _MI2022_BLOCK_START, "Nom", "Voix", _MI2022_BLOCK_END),
                    source=source, layout="mi2022")
    header = [column for column in raw.columns if not column.startswith("#")]
    start, end = header.index(_MI2022_BLOCK_START), header.index(_MI2022_BLOCK_END)
    block_header = header[start:end + 1]
    width = len(block_header)
    n_blocks = -(-(raw.shape[1] - start) // width)
    cells = raw.set_axis(range(raw.shape[1]), axis=1).reindex(columns=range(start + n_blocks * width))
    commune = commune_from_parts(raw["Code du département"], raw["Code de la commune"])
    counts = _counts(raw, {"n_registered": "Inscrits", "n_voters": "Votants", "n_abstentions": "Abstentions",
                           "n_expressed": "Exprimés", "n_blank": "Blancs", "n_null": "Nuls"}, source)
    bureaux = _bureaux(commune, _bureau_ids(commune, raw["Code du b.vote"], source=source, column="Code du b.vote"), counts, source=source)
    offset = {name: block_header.index(name) for name in ("Nom", "Prénom", "Voix", "Nuance") if name in block_header}
    blocks = []
    for number in range(n_blocks):
        first = start + number * width
        block = cells.iloc[:, first:first + width].set_axis(block_header, axis=1)
        blocks.append(_block(block, number + 1, candidate=_name(block, "Nom", "Prénom"), votes="Voix", source=source,
                             column=f"Voix of candidate block {number + 1} (column {first + offset['Voix'] + 1})",
                             nuance=block["Nuance"] if "Nuance" in offset else None))
    return bureaux, pd.concat(blocks, ignore_index=True)


def _melt_columns(raw: pd.DataFrame, columns: Sequence[str], source: Path) -> pd.DataFrame:
    """Long rows from one vote column per candidate (the column name is the candidate)."""
    return pd.concat(
        [_block(raw, order, candidate=pd.Series(column, index=raw.index), votes=column, source=source, column=column)
         for order, column in enumerate(columns, start=1)],
        ignore_index=True,
    )


def _read_wide2017(raw: pd.DataFrame, source: Path, encoding: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """aktiur wide file: one row per bureau, one column per candidate, no nuls (derived)."""
    require_columns(raw, ("departement", "commune", "bureau", "inscrits", "votants", "blancs", "exprimes"),
                    source=source, layout="wide2017")
    commune = commune_from_parts(raw["departement"], raw["commune"])
    nuls = first_match(raw.columns, ["nuls"])
    counts = _counts(raw, {"n_registered": "inscrits", "n_voters": "votants", "n_abstentions": first_match(raw.columns, ["abstentions"]),
                           "n_expressed": "exprimes", "n_blank": "blancs", "n_null": nuls}, source)
    if nuls is None:
        counts["n_null"] = counts["n_voters"] - counts["n_blank"] - counts["n_expressed"]
    bureaux = _bureaux(commune, _bureau_ids(commune, raw["bureau"], source=source, column="bureau"), counts, source=source)
    candidates = [column for column in raw.columns if column not in _WIDE2017_TOTALS]
    return bureaux, _melt_columns(raw, candidates, source)


def _read_paris_muni(raw: pd.DataFrame, source: Path, encoding: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ville de Paris municipales: ``ID_BVOTE`` ``16-1``, one column per head of list after ``NB_EXPRIM``."""
    require_columns(raw, ("ID_BVOTE", "NB_INSCR", "NB_VOTANT", "NB_BLANC", "NB_NUL", "NB_EXPRIM"), source=source, layout="paris_muni")
    commune = pd.Series(PARIS_COMMUNE, index=raw.index, dtype="string")
    counts = _counts(raw, {"n_registered": "NB_INSCR", "n_voters": "NB_VOTANT", "n_abstentions": None,
                           "n_expressed": "NB_EXPRIM", "n_blank": "NB_BLANC", "n_null": "NB_NUL"}, source)
    said = _election_parts_from_text(raw.get("SCRUTIN", pd.Series(pd.NA, index=raw.index)))
    bureaux = _bureaux(commune, _bureau_ids(commune, raw["ID_BVOTE"], source=source, column="ID_BVOTE"), counts, source=source,
                       year=raw.get("ANNEE", pd.NA), kind=said["kind"], round=raw.get("TOUR", pd.NA))
    candidates = list(raw.columns[list(raw.columns).index("NB_EXPRIM") + 1:])
    return bureaux, _melt_columns(raw, candidates, source)


def _read_brest2022(raw: pd.DataFrame, source: Path, encoding: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ville de Brest 2022: ``Numéro`` (3 digits), ``Scrutin`` text, ``<name> - votes`` columns; commune Brest."""
    require_columns(raw, ("Numéro", "Scrutin", "Inscrits", "Votants", "Blancs", "Nuls", "Exprimés"), source=source, layout="brest2022")
    commune = pd.Series(BREST_COMMUNE, index=raw.index, dtype="string")
    counts = _counts(raw, {"n_registered": "Inscrits", "n_voters": "Votants", "n_abstentions": None,
                           "n_expressed": "Exprimés", "n_blank": "Blancs", "n_null": "Nuls"}, source)
    said = _election_parts_from_text(raw["Scrutin"])
    bureaux = _bureaux(commune, _bureau_ids(commune, raw["Numéro"], source=source, column="Numéro"), counts, source=source,
                       year=said["year"], kind=said["kind"], round=said["round"])
    columns = [column for column in raw.columns if column.endswith(" - votes")]
    votes = _melt_columns(raw, columns, source)
    votes["candidate"] = votes["candidate"].str.removesuffix(" - votes")
    return bureaux, votes


def _read_toulouse(raw: pd.DataFrame, source: Path, encoding: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Toulouse Métropole headerless parquet: fixed positions, then (list number, votes) pairs."""
    require_columns(raw, [f"column_{index}" for index in range(1, 19)], source=source, layout="toulouse_headerless")
    commune = commune_from_parts(raw["column_5"], raw["column_6"])
    counts = _counts(raw, {"n_registered": "column_9", "n_voters": "column_11", "n_abstentions": "column_10",
                           "n_expressed": "column_15", "n_blank": "column_13", "n_null": "column_14"}, source)
    bureaux = _bureaux(commune, _bureau_ids(commune, raw["column_7"], source=source, column="column_7"), counts, source=source,
                       year=raw["column_3"], kind=raw["column_2"].str.upper().map(_MINISTRY_KIND_CODES), round=raw["column_4"])
    n_lists = to_count(raw["column_16"], source=source, column="column_16")
    blocks = []
    for order, first in enumerate(range(17, raw.shape[1], 2), start=1):
        block = _block(raw, order, candidate=raw[f"column_{first}"], votes=f"column_{first + 1}", source=source,
                       column=f"column_{first + 1}")
        block["present"] &= (order <= n_lists).to_numpy()
        blocks.append(block)
    return bureaux, pd.concat(blocks, ignore_index=True)


def _datagouv_sibling(source: Path) -> tuple[Path, Path]:
    """Return ``(general_results, candidats_results)`` paths for either file of the pair."""
    is_general = source.name.startswith(_DATAGOUV_GENERAL)
    if not is_general and not source.name.startswith(_DATAGOUV_CANDIDATES):
        raise InputDataError(
            "a data.gouv results file must be named general_results… or candidats_results…",
            source=source,
            hint="keep the names of the downloaded files so that the pair can be found",
        )
    wanted = _DATAGOUV_CANDIDATES if is_general else _DATAGOUV_GENERAL
    siblings = sorted(source.parent.glob(f"{wanted}*"))
    same_kind = [sibling for sibling in siblings if sibling.suffixes == source.suffixes]
    if len(same_kind) == 1 or len(siblings) == 1:
        sibling = same_kind[0] if len(same_kind) == 1 else siblings[0]
        return (source, sibling) if is_general else (sibling, source)
    raise InputDataError(
        f"the {wanted} file that goes with this one is {'missing' if not siblings else 'ambiguous'}",
        source=source,
        where=f"folder {source.parent}",
        codes=[sibling.name for sibling in siblings],
        hint=f"put exactly one {wanted}.csv (or .parquet) file next to it; both files of the pair are needed",
    )


def _datagouv_parts(id_election: pd.Series) -> pd.DataFrame:
    """Year, kind and round from ``id_election`` (``2022_pres_t1``)."""
    parts = id_election.str.extract(r"^(?P<year>[0-9]{4})_(?P<kind>[a-z]+)_t(?P<round>[12])$")
    return parts.assign(round=pd.to_numeric(parts["round"]).astype("Int64"))


def _read_datagouv(raw: pd.DataFrame, source: Path, encoding: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """data.gouv harmonised pair: totals in ``general_results``, candidates in ``candidats_results``."""
    general_path, candidates_path = _datagouv_sibling(source)
    general = raw if general_path == source else _read_raw(general_path, encoding)
    candidates = raw if candidates_path == source else _read_raw(candidates_path, encoding)
    require_columns(general, ("id_election", "code_commune", "code_bv", "inscrits", "votants", "exprimes"),
                    source=general_path, layout="datagouv")
    require_columns(candidates, ("id_election", "code_commune", "code_bv", "voix"), source=candidates_path, layout="datagouv")
    commune = _commune(None, general["code_commune"])
    counts = _counts(general, {"n_registered": "inscrits", "n_voters": "votants",
                               "n_abstentions": first_match(general.columns, ["abstentions"]), "n_expressed": "exprimes",
                               "n_blank": first_match(general.columns, ["blancs"]), "n_null": first_match(general.columns, ["nuls"])},
                     general_path)
    said = _datagouv_parts(general["id_election"])
    bureau_ids = _bureau_ids(commune, general["code_bv"], source=general_path, column="code_bv")
    keys = pd.DataFrame({"id_election": general["id_election"], "bureau_id": bureau_ids})
    twice = keys.duplicated(keep="first").to_numpy()
    if twice.any():
        raise InputDataError(
            f"{int(twice.sum())} bureaux appear more than once for the same election",
            source=general_path,
            where=", ".join(_line_of(np.flatnonzero(twice)[:5], general_path)),
            codes=keys["bureau_id"][twice].unique(),
            hint="the file may hold the same rows twice, or two bureaux share a code; fix or split the file",
        )
    bureaux = _bureaux(commune, bureau_ids, counts, source=general_path,
                       year=said["year"], kind=said["kind"], round=said["round"])
    candidate_commune = _commune(None, candidates["code_commune"])
    candidate_keys = pd.DataFrame({
        "id_election": candidates["id_election"],
        "bureau_id": _bureau_ids(candidate_commune, candidates["code_bv"], source=candidates_path, column="code_bv"),
    })
    rows = candidate_keys.merge(
        pd.DataFrame({"id_election": general["id_election"], "bureau_id": bureaux["bureau_id"], "row": general.index}),
        how="left", on=["id_election", "bureau_id"], validate="many_to_one",
    )["row"]
    orphan = rows.isna().to_numpy()
    if orphan.any():
        warnings.warn(
            DataQualityWarning(f"{candidates_path}: {int(orphan.sum())} candidate rows have no bureau in {general_path.name}; they are left out"),
            stacklevel=3,
        )
    label = (_column_or_na(candidates, "libelle_abrege_liste").fillna(_column_or_na(candidates, "liste"))
             .fillna(_name(candidates, "nom", "prenom")))
    votes = _block(candidates, 0, candidate=label, votes="voix", source=candidates_path, column="voix",
                   nuance=candidates.get("nuance"))
    # Candidates keep the panel order; the stable sort in _assemble keeps file order where it is missing.
    votes = votes.assign(row=rows.to_numpy(), order=pd.to_numeric(_column_or_na(candidates, "no_panneau"), errors="coerce").to_numpy())
    return bureaux, votes[~orphan]


_READERS: dict[str, Callable[[pd.DataFrame, Path, str | None], tuple[pd.DataFrame, pd.DataFrame]]] = {
    "mi2024": _read_mi2024,
    "mi2022": _read_mi2022,
    "wide2017": _read_wide2017,
    "paris_muni": _read_paris_muni,
    "brest2022": _read_brest2022,
    "toulouse_headerless": _read_toulouse,
    "datagouv": _read_datagouv,
}


# --------------------------------------------------------------------------- assembling


def _filter_communes(bureaux: pd.DataFrame, communes: Iterable[str], source: Path) -> pd.DataFrame:
    """Keep the bureaux of the given communes; an arrondissement code keeps its ``AAxx`` bureaux."""
    wanted = [str(code).strip().upper().zfill(5) for code in communes]
    arrondissement = pd.to_numeric(bureaux["bureau_id"].str.slice(6, 10), errors="coerce") // 100
    keep = bureaux["commune"].isin([code for code in wanted if arrondissement_number(code) is None])
    for code in (code for code in wanted if arrondissement_number(code) is not None):
        keep |= (bureaux["commune"] == plm_parent(code)) & (arrondissement == arrondissement_number(code))
    if not keep.any():
        raise InputDataError(
            "none of the communes asked for has a bureau in this file",
            source=source,
            codes=wanted,
            hint=f"check the INSEE codes; the file holds communes such as {', '.join(bureaux['commune'].unique()[:5])}",
        )
    return bureaux[keep.to_numpy()]


def _assemble(bureaux: pd.DataFrame, votes: pd.DataFrame, source: Path) -> pd.DataFrame:
    """Join bureaux and candidate rows into the tidy RESULTS_COLUMNS table, in file order."""
    duplicated = bureaux.duplicated(["year", "kind", "round", "bureau_id"])
    if duplicated.any():
        raise InputDataError(
            f"{int(duplicated.sum())} bureaux appear more than once for the same election and round",
            source=source,
            codes=bureaux.loc[duplicated, "bureau_id"].unique(),
            hint="the file may hold the same rows twice, or two bureaux share a code; fix or split the file",
        )
    table = votes[votes["present"]].merge(bureaux, left_on="row", right_index=True).sort_values(["row", "order"], kind="stable")
    table["election"] = (table["year"] + "_" + table["kind"]).astype("string")
    table["round"] = table["round"].astype("int64")
    return table.loc[:, list(RESULTS_COLUMNS)].reset_index(drop=True)


def check_result_totals(results: pd.DataFrame) -> pd.DataFrame:
    """List the bureaux whose totals do not add up.

    A bureau is listed when ``sum(votes) + blank + null != voters`` or
    ``voters + abstentions != registered``. Checks with a missing term are skipped.

    Parameters
    ----------
    results
        A table with :data:`~canvass.opendata.schemas.RESULTS_COLUMNS`.

    Returns
    -------
    pandas.DataFrame
        One row per failing bureau: ``election``, ``round``, ``bureau_id``, the totals,
        ``votes_sum``, ``votes_gap`` (votes + blank + null − voters) and
        ``registered_gap`` (voters + abstentions − registered).
    """
    grouped = results.groupby(["election", "round", "bureau_id"], sort=False)
    bureaux = grouped[list(TOTAL_COLUMNS)].first()
    bureaux["votes_sum"] = grouped["n_votes"].sum(min_count=1)
    bureaux["votes_gap"] = bureaux["votes_sum"] + bureaux["n_blank"] + bureaux["n_null"] - bureaux["n_voters"]
    bureaux["registered_gap"] = bureaux["n_voters"] + bureaux["n_abstentions"] - bureaux["n_registered"]
    failing = (bureaux["votes_gap"].fillna(0) != 0) | (bureaux["registered_gap"].fillna(0) != 0)
    return bureaux[failing].reset_index()


def read_results(
    path: str | Path,
    *,
    layout: str | None = None,
    election: str | None = None,
    round: int | None = None,
    encoding: str | None = None,
    communes: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Read a file of results per bureau de vote into the tidy long table.

    Parameters
    ----------
    path
        The results file: ``.csv``/``.txt`` (optionally ``.gz``) or ``.parquet``.
    layout
        One of :data:`LAYOUTS`; detected from the header when None.
    election
        ``'<year>_<kind>'`` (``'2022_pres'``) when neither the file nor its name says it; when the
        file holds several elections, the one to keep.
    round
        1 or 2, as ``election``.
    encoding
        The text encoding; detected when None (Ministry 2022 files are read as Latin-1).
    communes
        INSEE commune codes to keep; arrondissement codes (``75116``) keep that arrondissement's
        bureaux of their commune (``75056_16xx``).

    Returns
    -------
    pandas.DataFrame
        :data:`~canvass.opendata.schemas.RESULTS_COLUMNS`, in file order; counts are float64 and
        NaN where the file gives no value.

    Raises
    ------
    InputDataError
        Unreadable or empty file, unknown layout, missing columns, counts that are not numbers,
        election or round unknown, a data.gouv file without its sibling; an
        :class:`~canvass.errors.ImpossibleValueError` for counts that are negative or infinite and
        totals that cannot hold (:func:`check_impossible_totals`), naming the line.

    Warns
    -----
    DataQualityWarning
        Bureaux whose totals do not add up (see :func:`check_result_totals`), bureau codes of an
        unusual form.
    """
    path = Path(path)
    if layout is not None and layout not in LAYOUTS:
        raise InputDataError(f"unknown results layout {layout!r}", source=path, hint=f"use one of {', '.join(LAYOUTS)}, or None to detect it")
    raw = _read_raw(path, encoding)
    layout = layout or detect_results_layout(raw.columns)
    if layout is None:
        raise InputDataError(
            "the results layout is not recognised from the header",
            source=path,
            where=f"header: {', '.join(map(str, raw.columns[:10]))}" + (" …" if len(raw.columns) > 10 else ""),
            hint=f"known layouts are {', '.join(LAYOUTS)}; pass layout= if the file is one of them with renamed columns",
        )
    if layout != "mi2022":
        _reject_long_rows(raw, path, layout)
    bureaux, votes = _READERS[layout](raw, path, encoding)
    check_impossible_totals(bureaux, votes, path)
    bureaux = _resolve_election(bureaux, path, election, round)
    if communes is not None:
        bureaux = _filter_communes(bureaux, communes, path)
    results = _assemble(bureaux, votes, path)
    failing = check_result_totals(results)
    if not failing.empty:
        warnings.warn(
            DataQualityWarning(
                f"{path}: totals do not add up in {len(failing)} bureaux (votes + blank + null vs voters, or voters + "
                f"abstentions vs registered), e.g. {', '.join(failing['bureau_id'].head(5))}; see check_result_totals"
            ),
            stacklevel=2,
        )
    return results
