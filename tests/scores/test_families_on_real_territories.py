"""Every family preset on every shared territory with results: scores with the elections it has candidates in,
skips the others with a warning naming them, and is a clear error only where it has no candidate at all."""

import warnings

import pytest

from canvass.errors import InputDataError
from canvass.scores.camps import FAMILIES, Camp, CampWarning, candidate_family
from canvass.scores.components import chosen_rounds
from canvass.scores.score import score_territory
from canvass.scores.strategies import ScoreParams
from canvass.territory.build import build_territory
from tests.helpers import real

TERRITORIES = {
    "paris-16e": ("paris-16e", ["75116"]),
    "brest": ("brest", ["29019"]),
    "gouesnou": ("brest", ["29061"]),
    "concarneau-douarnenez": ("concarneau-douarnenez", ["29039", "29046"]),
    "toulouse": ("scale/toulouse", ["31555"]),
    "dep04": ("scale/dep04", ["04"]),
}


@pytest.fixture(scope="module")
def territories():
    """Each shared territory built once for the whole module (builds take seconds)."""
    built = {}

    def get(name):
        if name not in built:
            folder, communes = TERRITORIES[name]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                built[name] = build_territory(real(folder), communes)
        return built[name]

    return get


def elections_with(territory, family):
    """Elections whose scored round has a candidate of ``family`` (from the families, independently of the scoring)."""
    rounds = chosen_rounds(territory.results, None)
    present = rounds[candidate_family(rounds) == family]["election"]
    return set(present), set(rounds["election"])


@pytest.mark.parametrize("name", list(TERRITORIES))
@pytest.mark.parametrize("family", FAMILIES)
def test_family_scores_or_fails_clearly(territories, name, family):
    territory = territories(name)
    present, elections = elections_with(territory, family)
    params = ScoreParams(strategy="mobilisation", camp=Camp((family,)))
    if not present:
        with pytest.raises(InputDataError, match=rf"le camp « {family} » n’a aucun candidat dans les scrutins du territoire") as caught:
            score_territory(territory, params)
        assert all(election in caught.value.where for election in elections)
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CampWarning)
        scores = score_territory(territory, params)
    skipped = elections - present
    assert {item.election for item in scores.skipped_elections} == skipped
    assert len(scores.warnings) == len(skipped) and all(
        any(message.startswith(f"Scrutin {election} ignoré") for message in scores.warnings) for election in skipped)
    assert [str(item.message) for item in caught if item.category is CampWarning] == scores.warnings
    scored = scores.bureaux.dropna(subset=["share_camp"])
    assert len(scored) > 0 and (scored["share_camp"] > 0).any()


def test_brest_left_skips_the_2017_duel_and_scores_the_legislatives(territories):
    """The README's example: 2017's second round has no left candidate; 2022 (nuances from the packaged table) and 2024 count."""
    territory = territories("brest")
    with pytest.warns(CampWarning, match="2017_pres"):
        scores = score_territory(territory, ScoreParams(strategy="mobilisation", camp=Camp(("gauche",))))
    assert [item.election for item in scores.skipped_elections] == ["2017_pres"]
    assert scores.warnings[0].startswith("Scrutin 2017_pres ignoré : le camp « gauche » n’y a aucun candidat (candidats : LE PEN, MACRON")
    assert len(scores.bureaux) == 104 and scores.bureaux["share_camp"].between(0.2, 0.8).all()
