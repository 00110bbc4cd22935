"""Ministry législatives candidate lists (2022 TAB/Latin-1 and 2024 ';'/UTF-8), written here in those formats."""

import pandas as pd
import pytest

from canvass.errors import InputDataError
from canvass.opendata.candidates import looks_like_candidate_list, read_candidates
from canvass.opendata.results import read_results
from canvass.scores.camps import Camp, camp_mask
from canvass.scores.nuances import apply_nuances
from tests.helpers import real

HEADER_2022 = ["Code du département", "Libellé du département", "Code circonscription", "Libellé circonscription", "N° panneau",
               "Sexe du candidat", "Nom du candidat", "Prénom du candidat", "Date de naissance", "Code Nuance", "Nuance candidat",
               "Profession", "Sortant", "Sexe remplaçant", "Nom remplaçant", "Prénom remplaçant"]
ROWS_2022 = [
    ["29", "Finistère", "2", "2ème circonscription", "11", "M", "CADALEN", "Pierre-Yves", "01/01/1990", "NUP", "Nouvelle union populaire",
     "Enseignant", "Non", "F", "DUPONT", "Anne"],
    ["29", "Finistère", "2", "2ème circonscription", "13", "M", "COATANÉA", "Marc", "01/01/1970", "ENS", "Ensemble", "Cadre", "Non", "M",
     "MARTIN", "Paul"],
    ["29", "Finistère", "3", "3ème circonscription", "5", "M", "LE GAC", "Didier", "01/01/1965", "ENS", "Ensemble", "Cadre", "Oui", "F",
     "LE GALL", "Marie"],
]
HEADER_2024 = ["Code circonscription", "Libellé circonscription", "Numéro de panneau", "Sexe", "Nom", "Prénom", "Date de naissance",
               "Code nuance", "Libellé nuance", "Profession", "Sortant"]
ROWS_2024 = [
    ["2902", "Finistère - 2e circonscription", "4", "MASCULIN", "CADALEN", "Pierre-Yves", "01/01/1990", "UG", "Union de la gauche", "", "Non"],
    ["2902", "Finistère - 2e circonscription", "7", "FEMININ", "HENRY", "Geneviève", "01/01/1960", "ECO", "Écologistes", "", "Non"],
]


pytestmark = pytest.mark.filterwarnings("ignore:.*not UTF-8, read as Windows-1252")


@pytest.fixture
def list_2022(tmp_path):
    path = tmp_path / "candidats-legislatives-2022-t1.txt"
    path.write_bytes("\n".join("\t".join(row) for row in [HEADER_2022, *ROWS_2022]).encode("latin-1"))
    return path


@pytest.fixture
def list_2024(tmp_path):
    path = tmp_path / "lg2024_candidatures_t1.csv"
    path.write_text("\n".join(";".join(row) for row in [HEADER_2024, *ROWS_2024]), encoding="utf-8")
    return path


def test_reads_the_2022_layout(list_2022):
    table = read_candidates(list_2022)
    assert table["election"].unique().tolist() == ["2022_legi"]
    assert table[["departement", "circonscription", "panel", "surname", "first_name", "nuance"]].values.tolist() == [
        ["29", "02", 11, "CADALEN", "Pierre-Yves", "NUP"], ["29", "02", 13, "COATANÉA", "Marc", "ENS"], ["29", "03", 5, "LE GAC", "Didier", "ENS"]]
    assert table["nuance_label"].iloc[0] == "Nouvelle union populaire"


def test_reads_the_2024_layout(list_2024):
    table = read_candidates(list_2024)
    assert table[["election", "departement", "circonscription", "panel", "surname", "nuance"]].values.tolist() == [
        ["2024_legi", "29", "02", 4, "CADALEN", "UG"], ["2024_legi", "29", "02", 7, "HENRY", "ECO"]]


def test_detector_tells_candidate_lists_from_results():
    assert looks_like_candidate_list(HEADER_2022) and looks_like_candidate_list(HEADER_2024)
    results_2024 = pd.read_csv(real("brest/legislatives2024_t1_resultats-definitifs-par-bureau-de-vote_circ29-02-03.csv"), sep=";", nrows=0)
    assert not looks_like_candidate_list(list(results_2024.columns))
    assert not looks_like_candidate_list(["Code circonscription", "Nom", "Prénom", "Code nuance"])  # no panel number


def test_candidate_list_fills_the_city_results(list_2022):
    header = pd.read_csv(real("brest/legislatives2022_t1_ville-de-brest_circ29-02.csv"), sep=";", nrows=0)
    assert not looks_like_candidate_list(list(header.columns))
    brest = read_results(real("brest/legislatives2022_t1_ville-de-brest_circ29-02.csv"))
    filled = apply_nuances(brest, read_candidates(list_2022))
    by_name = filled.drop_duplicates("candidate").set_index("candidate")["nuance"]
    assert by_name["M. COATANEA Marc"] == "ENS" and by_name["M. CADALEN Pierre-Yves"] == "NUP"
    assert by_name.drop(["M. COATANEA Marc", "M. CADALEN Pierre-Yves"]).isna().all()  # not in this small list
    # Rows the list leaves without nuance still take the packaged table's when a camp is selected.
    assert set(filled[camp_mask(filled, Camp(("centre",)))]["candidate"]) == {
        "M. COATANEA Marc", "M. LARSONNEUR Jean-Charles", "M. CABON Mikaël", "Mme GELEBART Anne"}


def test_errors_say_what_is_missing(tmp_path, list_2024):
    wrong = tmp_path / "liste.csv"
    wrong.write_text("Nom;Prénom;Voix\nA;B;3\n", encoding="utf-8")
    with pytest.raises(InputDataError, match="not a candidate list"):
        read_candidates(wrong)
    undated = tmp_path / "candidats.csv"
    undated.write_bytes(list_2024.read_bytes())
    with pytest.raises(InputDataError, match="election='2022_legi'"):
        read_candidates(undated)
    assert read_candidates(undated, election="2024_legi")["election"].eq("2024_legi").all()
