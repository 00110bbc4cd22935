"""Write a tidy results table in the official layouts, so that demo data goes through the real readers.

Each writer takes :data:`~canvass.opendata.schemas.RESULTS_COLUMNS` and writes one election and
round; :func:`canvass.opendata.results.read_results` gives the same table back. The Ministry
layouts do not say the election inside the file: name the file so that
:func:`~canvass.opendata.results.election_from_filename` finds it
(``legislatives2024_t1_resultats-definitifs-par-bureau-de-vote.csv``), or pass ``election=`` and
``round=`` when reading.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from canvass.errors import InputDataError
from canvass.opendata.schemas import RESULTS_COLUMNS

# List elections label a block with the list name; the others with the candidate's name.
_LIST_KINDS = ("euro", "muni", "regi")
# INSEE département prefix -> Ministry letter code (2022 files), for overseas communes.
_MINISTRY_OVERSEAS = {
    "971": "ZA", "972": "ZB", "973": "ZC", "974": "ZD", "975": "ZS", "976": "ZM", "977": "ZX", "978": "ZX",
    "986": "ZW", "987": "ZP", "988": "ZN",
}
_NAME_PATTERN = r"^(?P<nom>[^a-zà-ÿ]+?)\s+(?P<prenom>\S*[a-zà-ÿ].*)$"


def _one_election(results: pd.DataFrame) -> tuple[str, int]:
    """Check the table holds RESULTS_COLUMNS for exactly one election and round; return them."""
    missing = [column for column in RESULTS_COLUMNS if column not in results.columns]
    if missing:
        raise InputDataError(f"the results table lacks columns {', '.join(missing)}", hint="pass a table from read_results")
    pairs = results[["election", "round"]].drop_duplicates()
    if len(pairs) != 1:
        raise InputDataError(
            f"an official results file holds one election and round; this table holds {len(pairs)}",
            codes=(pairs["election"] + " round " + pairs["round"].astype(str)).tolist(),
            hint="write each election and round to its own file",
        )
    return str(pairs["election"].iloc[0]), int(pairs["round"].iloc[0])


def _integers(values: pd.Series) -> pd.Series:
    """Counts as integer text, empty where missing."""
    return values.round().astype("Int64").astype("string")


def _decimal_comma(part: pd.Series, whole: pd.Series) -> pd.Series:
    """``part / whole`` in percent with two decimals and a decimal comma (``21,06``); empty where undefined."""
    cents = (part / whole.where(whole > 0) * 10000).round().astype("Int64")
    return (cents // 100).astype("string") + "," + (cents % 100).astype("string").str.zfill(2)


def _percent(part: pd.Series, whole: pd.Series) -> pd.Series:
    """``part / whole`` as the 2024 files write it: ``"78,94%"``; empty where undefined."""
    return _decimal_comma(part, whole) + "%"


def _name_parts(candidate: pd.Series) -> pd.DataFrame:
    """Split ``'LE GAC Didier'`` into ``nom``/``prenom`` (upper-case surname first); unsplittable names go to ``nom``."""
    parts = candidate.astype("string").str.extract(_NAME_PATTERN)
    return pd.DataFrame({"nom": parts["nom"].fillna(candidate), "prenom": parts["prenom"]}, index=candidate.index)


def _ministry_codes(commune: pd.Series) -> pd.DataFrame:
    """Département and 3-digit commune codes of the Ministry 2022 files (``97101`` -> ``ZA``, ``101``)."""
    overseas = commune.str.slice(0, 3).map(_MINISTRY_OVERSEAS)
    return pd.DataFrame(
        {"departement": overseas.fillna(commune.str.slice(0, 2)).astype("string"), "commune": commune.str.slice(2)},
        index=commune.index,
    )


def _bureaux_and_blocks(results: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per bureau (first-appearance order) and the candidate rows numbered 1.. within their bureau."""
    results = results.reset_index(drop=True)
    bureaux = results.drop_duplicates("bureau_id").set_index("bureau_id")
    blocks = results.assign(block=results.groupby("bureau_id", sort=False).cumcount() + 1)
    return bureaux, blocks


def _spread(blocks: pd.DataFrame, fields: dict[str, pd.Series], index: pd.Index) -> pd.DataFrame:
    """Wide candidate columns ``block -> field`` for each bureau, blocks in order, fields in the order given."""
    long = pd.DataFrame(fields, index=blocks.index).assign(bureau_id=blocks["bureau_id"], block=blocks["block"])
    wide = long.set_index(["bureau_id", "block"]).unstack("block")
    order = pd.MultiIndex.from_product([sorted(blocks["block"].unique()), list(fields)]).swaplevel()
    return wide.reindex(columns=order, index=index).swaplevel(axis=1)


def write_mi2024(results: pd.DataFrame, path: str | Path) -> Path:
    """Write results in the Ministry 2024 layout ``resultats-definitifs-par-bureau-de-vote.csv``.

    UTF-8, ``;``, percentages as ``"78,94%"``; one numbered block per candidate
    (list elections: ``Nuance liste N``, ``Libellé abrégé de liste N``).

    Parameters
    ----------
    results
        One election and round, :data:`~canvass.opendata.schemas.RESULTS_COLUMNS`.
    path
        The file to write.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    election, _ = _one_election(results)
    bureaux, blocks = _bureaux_and_blocks(results)
    commune = bureaux["commune"]
    head = pd.DataFrame(
        {
            "Code département": commune.str.slice(0, 3).where(commune.str.startswith("97"), commune.str.slice(0, 2)),
            "Libellé département": "",
            "Code commune": commune,
            "Libellé commune": "",
            "Code BV": bureaux.index.str.slice(6),
            "Inscrits": _integers(bureaux["n_registered"]),
            "Votants": _integers(bureaux["n_voters"]),
            "% Votants": _percent(bureaux["n_voters"], bureaux["n_registered"]),
            "Abstentions": _integers(bureaux["n_abstentions"]),
            "% Abstentions": _percent(bureaux["n_abstentions"], bureaux["n_registered"]),
            "Exprimés": _integers(bureaux["n_expressed"]),
            "% Exprimés/inscrits": _percent(bureaux["n_expressed"], bureaux["n_registered"]),
            "% Exprimés/votants": _percent(bureaux["n_expressed"], bureaux["n_voters"]),
            "Blancs": _integers(bureaux["n_blank"]),
            "% Blancs/inscrits": _percent(bureaux["n_blank"], bureaux["n_registered"]),
            "% Blancs/votants": _percent(bureaux["n_blank"], bureaux["n_voters"]),
            "Nuls": _integers(bureaux["n_null"]),
            "% Nuls/inscrits": _percent(bureaux["n_null"], bureaux["n_registered"]),
            "% Nuls/votants": _percent(bureaux["n_null"], bureaux["n_voters"]),
        },
        index=bureaux.index,
    )
    totals = bureaux.loc[blocks["bureau_id"]].reset_index(drop=True).set_axis(blocks.index)
    fields = {"Numéro de panneau": blocks["block"].astype("string")}
    if election.split("_")[1] in _LIST_KINDS:
        fields |= {"Nuance liste": blocks["nuance"], "Libellé abrégé de liste": blocks["candidate"], "Libellé de liste": blocks["candidate"]}
    else:
        names = _name_parts(blocks["candidate"])
        fields |= {"Nuance candidat": blocks["nuance"], "Nom candidat": names["nom"], "Prénom candidat": names["prenom"],
                   "Sexe candidat": pd.Series(pd.NA, index=blocks.index, dtype="string")}
    fields |= {
        "Voix": _integers(blocks["n_votes"]),
        "% Voix/inscrits": _percent(blocks["n_votes"], totals["n_registered"]),
        "% Voix/exprimés": _percent(blocks["n_votes"], totals["n_expressed"]),
        "Elu": pd.Series(pd.NA, index=blocks.index, dtype="string"),
    }
    wide = _spread(blocks, fields, bureaux.index)
    wide.columns = [f"{field} {block}" for block, field in wide.columns]
    path = Path(path)
    pd.concat([head, wide], axis=1).to_csv(path, sep=";", index=False, encoding="utf-8")
    return path


def write_mi2022(results: pd.DataFrame, path: str | Path) -> Path:
    """Write results in the Ministry 2022 layout ``resultats-par-niveau-burvot-t1-france-entiere.txt``.

    Latin-1 bytes, ``;``, percentages as decimal-comma numbers; the header names the first
    candidate block only and each further block follows without header: 7 cells per block for
    présidentielle (``N°Panneau, Sexe, Nom, Prénom, Voix, % Voix/Ins, % Voix/Exp``), 8 with
    ``Nuance`` (after ``Prénom``) for the other elections. Rows end after their last candidate.

    Parameters
    ----------
    results
        One election and round, :data:`~canvass.opendata.schemas.RESULTS_COLUMNS`.
    path
        The file to write.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    InputDataError
        If a name has characters Latin-1 cannot hold.
    """
    election, _ = _one_election(results)
    bureaux, blocks = _bureaux_and_blocks(results)
    codes = _ministry_codes(bureaux["commune"])
    registered, voters = bureaux["n_registered"], bureaux["n_voters"]
    head = pd.DataFrame(
        {
            "Code du département": codes["departement"],
            "Libellé du département": "",
            "Code de la circonscription": "",
            "Libellé de la circonscription": "",
            "Code de la commune": codes["commune"],
            "Libellé de la commune": "",
            "Code du b.vote": bureaux.index.str.slice(6),
            "Inscrits": _integers(registered),
            "Abstentions": _integers(bureaux["n_abstentions"]),
            "% Abs/Ins": _decimal_comma(bureaux["n_abstentions"], registered),
            "Votants": _integers(voters),
            "% Vot/Ins": _decimal_comma(voters, registered),
            "Blancs": _integers(bureaux["n_blank"]),
            "% Blancs/Ins": _decimal_comma(bureaux["n_blank"], registered),
            "% Blancs/Vot": _decimal_comma(bureaux["n_blank"], voters),
            "Nuls": _integers(bureaux["n_null"]),
            "% Nuls/Ins": _decimal_comma(bureaux["n_null"], registered),
            "% Nuls/Vot": _decimal_comma(bureaux["n_null"], voters),
            "Exprimés": _integers(bureaux["n_expressed"]),
            "% Exp/Ins": _decimal_comma(bureaux["n_expressed"], registered),
            "% Exp/Vot": _decimal_comma(bureaux["n_expressed"], voters),
        },
        index=bureaux.index,
    )
    totals = bureaux.loc[blocks["bureau_id"]].reset_index(drop=True).set_axis(blocks.index)
    names = _name_parts(blocks["candidate"])
    fields = {"N°Panneau": blocks["block"].astype("string"), "Sexe": pd.Series(pd.NA, index=blocks.index, dtype="string"),
              "Nom": names["nom"], "Prénom": names["prenom"]}
    if election.split("_")[1] != "pres":
        fields["Nuance"] = blocks["nuance"]
    fields |= {"Voix": _integers(blocks["n_votes"]), "% Voix/Ins": _decimal_comma(blocks["n_votes"], totals["n_registered"]),
               "% Voix/Exp": _decimal_comma(blocks["n_votes"], totals["n_expressed"])}
    wide = _spread(blocks, fields, bureaux.index)
    header = ";".join([*head.columns, *fields])
    rows = pd.concat([head, wide.set_axis(range(wide.shape[1]), axis=1)], axis=1).to_csv(sep=";", header=False, index=False)
    lines = pd.Series(rows.splitlines()).str.rstrip(";")
    text = "\n".join([header, *lines]) + "\n"
    try:
        data = text.encode("latin-1")
    except UnicodeEncodeError as error:
        raise InputDataError(
            f"a name holds {text[error.start:error.end]!r}, which Latin-1 cannot write",
            hint="the Ministry 2022 layout is Latin-1: use names with Latin-1 characters, or write the 2024 layout",
        ) from error
    path = Path(path)
    path.write_bytes(data)
    return path


def write_datagouv(results: pd.DataFrame, folder: str | Path) -> tuple[Path, Path]:
    """Write results as the data.gouv harmonised pair ``general_results.csv`` and ``candidats_results.csv``.

    ``;``-separated UTF-8; ``id_election`` is ``<election>_t<round>`` (``2022_pres_t1``), so several
    elections and rounds may be written together. List elections fill ``liste``/``libelle_abrege_liste``,
    the others ``nom``/``prenom``.

    Parameters
    ----------
    results
        :data:`~canvass.opendata.schemas.RESULTS_COLUMNS`.
    folder
        The folder to write both files into (created if missing).

    Returns
    -------
    tuple of pathlib.Path
        The general and candidates files.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    results = results.reset_index(drop=True)
    id_election = results["election"] + "_t" + results["round"].astype("string")
    commune = results["commune"]
    places = pd.DataFrame(
        {
            "id_election": id_election,
            "id_brut_miom": results["bureau_id"],
            "code_departement": commune.str.slice(0, 3).where(commune.str.startswith("97"), commune.str.slice(0, 2)),
            "code_commune": commune,
            "code_bv": results["bureau_id"].str.slice(6),
        }
    )
    first = ~results.duplicated(["election", "round", "bureau_id"])
    general = places[first].assign(
        inscrits=_integers(results["n_registered"]), votants=_integers(results["n_voters"]),
        abstentions=_integers(results["n_abstentions"]), blancs=_integers(results["n_blank"]),
        nuls=_integers(results["n_null"]), exprimes=_integers(results["n_expressed"]),
    )
    is_list = results["election"].str.split("_").str[1].isin(_LIST_KINDS)
    names = _name_parts(results["candidate"])
    candidates = places.assign(
        no_panneau=(results.groupby(["election", "round", "bureau_id"], sort=False).cumcount() + 1).astype("string"),
        voix=_integers(results["n_votes"]), nuance=results["nuance"],
        nom=names["nom"].where(~is_list), prenom=names["prenom"].where(~is_list),
        liste=results["candidate"].where(is_list), libelle_abrege_liste=results["candidate"].where(is_list),
    )
    general_path, candidates_path = folder / "general_results.csv", folder / "candidats_results.csv"
    general.to_csv(general_path, sep=";", index=False, encoding="utf-8")
    candidates.to_csv(candidates_path, sep=";", index=False, encoding="utf-8")
    return general_path, candidates_path
