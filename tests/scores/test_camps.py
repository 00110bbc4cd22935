"""Camp selection: presets by nuance family against real 2024 nuances, names, errors."""

import pandas as pd
import pytest

from canvass.errors import InputDataError
from canvass.opendata.results import read_results
from canvass.scores.camps import Camp, camp_mask, candidate_family, select_camp
from canvass.scores.nuances import apply_nuances
from tests.helpers import real

L2024 = "brest/legislatives2024_t1_resultats-definitifs-par-bureau-de-vote_circ29-02-03.csv"


@pytest.fixture(scope="module")
def brest2024():
    return read_results(real(L2024))


def test_every_real_2024_nuance_has_a_family(brest2024):
    families = candidate_family(brest2024)
    assert families.notna().all(), brest2024.loc[families.isna(), "nuance"].unique()


@pytest.mark.parametrize(
    ("family", "nuances"),
    [
        ("gauche", {"UG", "EXG"}),
        ("centre", {"ENS", "DVC"}),
        ("droite", {"LR", "DSV"}),
        ("extreme_droite", {"RN", "REC", "EXD"}),
        ("ecologistes", {"ECO"}),
        ("divers", {"DIV", "REG"}),
    ],
)
def test_family_presets_on_real_nuances(brest2024, family, nuances):
    selected = brest2024[camp_mask(brest2024, Camp((family,)))]
    assert set(selected["nuance"]) == nuances


def test_names_match_without_accents_or_case(brest2024):
    selected = brest2024[camp_mask(brest2024, Camp(("brehier",)))]
    assert set(selected["candidate"]) == {"BRÉHIER Tristan"}


def test_presidential_presets_by_name():
    results = read_results(real("paris-16e/2017-presidentielle-2_par_bureau_large_paris16.csv"))
    assert set(results[camp_mask(results, Camp(("centre",)))]["candidate"]) == {"MACRON"}
    assert set(results[camp_mask(results, Camp(("extreme_droite",)))]["candidate"]) == {"LE PEN"}


def test_per_election_camps_and_municipal_prefix():
    camp = Camp.parse(["gauche", "2017_pres=MACRON"])
    assert camp.selectors("2017_pres") == ("MACRON",) and camp.selectors("2024_legi") == ("gauche",)
    assert camp.describe() == "gauche; 2017_pres: MACRON"


def test_camp_without_candidate_anywhere_lists_the_choices(brest2024):
    with pytest.raises(InputDataError, match=r"le camp « MACRON » n’a aucun candidat(.|\n)*2024_legi : BRÉHIER Tristan(.|\n)*nuances : DIV, DSV"):
        camp_mask(brest2024, Camp(("MACRON",)))


def test_election_without_camp_or_candidate_is_skipped(brest2024, two_elections):
    selection = select_camp(two_elections, Camp.parse(["2022_legi=NUP"]))
    assert selection.skipped_elections == ("2024_legi",)
    assert "aucun camp n’est donné" in selection.skipped[0].message
    assert not selection.mask[two_elections["election"] == "2024_legi"].any()
    selection = select_camp(two_elections, Camp(("RN",)))
    assert selection.skipped_elections == ("2022_legi",)
    assert selection.skipped[0].message.startswith("Scrutin 2022_legi ignoré : le camp « RN » n’y a aucun candidat (candidats : C, D")
    with pytest.raises(InputDataError, match="aucun candidat"):
        camp_mask(brest2024, Camp.parse(["2022_legi=UG"]))


def test_nuances_filled_from_the_packaged_table():
    results = read_results(real("brest/legislatives2022_t1_ville-de-brest_circ29-02.csv"))
    assert results["nuance"].isna().all()  # the city's file carries none
    filled = apply_nuances(results)
    by_name = filled.drop_duplicates("candidate").set_index("candidate")["nuance"]
    assert by_name["M. CADALEN Pierre-Yves"] == "NUP" and by_name["Mme GELEBART Anne"] == "UDI"
    assert filled["nuance"].notna().all()
    assert set(results[camp_mask(results, Camp(("gauche",)))]["candidate"]) == {
        "M. CADALEN Pierre-Yves", "M. COLLARD Rémy", "M. HITA Melvyn", "M. PELLICANO Fortuné", "M. SALAMI Réza", "Mme VASSEUR Alice"}


def test_a_name_matching_entries_of_two_nuances_stays_without_nuance():
    table = pd.DataFrame({"election": ["2022_legi"] * 2, "surname": ["HÉNAFF"] * 2, "first_name": ["Christel", pd.NA], "nuance": ["RN", "LR"]})
    results = pd.DataFrame({"election": ["2022_legi"] * 3, "candidate": ["Mme HENAFF Christel", "Mme HÉNAFF Marie-Claire", "M. HENAFFO Jean"],
                            "nuance": [pd.NA] * 3})
    # The first name decides only when the surname-only entry does not also match.
    assert apply_nuances(results, table)["nuance"].tolist() == [pd.NA, "LR", pd.NA]
