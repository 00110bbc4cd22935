"""Camp selection: presets by nuance family against real 2024 nuances, names, errors."""

import pytest

from canvass.errors import InputDataError
from canvass.opendata.results import read_results
from canvass.scores.camps import Camp, camp_mask, candidate_family
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


def test_selector_matching_nothing_lists_the_choices(brest2024):
    with pytest.raises(InputDataError, match=r"camp selector 'MACRON' matches no candidate of 2024_legi(.|\n)*nuances in 2024_legi: DIV, DSV"):
        camp_mask(brest2024, Camp(("MACRON",)))


def test_election_without_camp(brest2024):
    with pytest.raises(InputDataError, match="no camp given for election 2024_legi"):
        camp_mask(brest2024, Camp.parse(["2022_legi=UG"]))
