"""Each strategy on hand-computed cases; suppression; election weighting; errors."""

import math

import pytest

from canvass.errors import InputDataError
from canvass.scores.camps import Camp
from canvass.scores.score import SUPPRESSED, displayed
from canvass.scores.strategies import ScoreParams, score_bureaux

LEFT = Camp.parse(["gauche"])


def test_mobilisation_is_registered_times_abstention_times_share(three_bureaux):
    table = score_bureaux(three_bureaux, ScoreParams(strategy="mobilisation", camp=LEFT))
    assert table.loc["29999_0001", "score"] == pytest.approx(100 * 0.4 * 0.6)   # 24
    assert table.loc["29999_0002", "score"] == pytest.approx(200 * 0.5 * 0.25)  # 25
    assert table.index[0] == "29999_0002" and table.loc["29999_0002", "rank"] == 1
    # Per registered voter (no doors given), bureau 1 is worth more: 0.24 vs 0.125.
    assert table.loc["29999_0001", "priority"] == 1.0
    assert table.loc["29999_0002", "priority"] == pytest.approx(0.125 / 0.24)


def test_turnout_needs_no_camp(three_bureaux):
    table = score_bureaux(three_bureaux, ScoreParams(strategy="turnout"))
    assert table.loc["29999_0001", "score"] == 40 and table.loc["29999_0002", "score"] == 100
    assert math.isnan(table.loc["29999_0001", "share_camp"])


def test_persuasion_closeness(three_bureaux):
    table = score_bureaux(three_bureaux, ScoreParams(strategy="persuasion", camp=LEFT))
    assert table.loc["29999_0001", "closeness"] == pytest.approx(0.8)  # 1 - |0.6 - 0.5| / 0.5
    assert table.loc["29999_0001", "score"] == pytest.approx(60 * 0.8)
    assert table.loc["29999_0002", "score"] == pytest.approx(100 * 0.5)


def test_custom_mix_of_normalised_reservoirs(three_bureaux):
    table = score_bureaux(three_bureaux, ScoreParams(strategy="custom", camp=LEFT, weights={"mobilisation": 1, "turnout": 1}))
    # Means over every bureau of the commune, the small one included: mobilisation (24 + 25 + 10) / 3,
    # turnout (40 + 100 + 20) / 3.
    assert table.loc["29999_0001", "score"] == pytest.approx(24 / (59 / 3) + 40 / (160 / 3))


def test_recent_elections_weigh_most(two_elections):
    table = score_bureaux(two_elections, ScoreParams(strategy="mobilisation", camp=LEFT, decay=0.5))
    share = 2 / 3 * 0.6 + 1 / 3 * 0.4
    abstention = 2 / 3 * 0.4 + 1 / 3 * 0.5
    assert table.loc["29999_0001", "share_camp"] == pytest.approx(share)
    assert table.loc["29999_0001", "score"] == pytest.approx(100 * abstention * share)
    volatility = math.sqrt(2 / 3 * (0.6 - share) ** 2 + 1 / 3 * (0.4 - share) ** 2)
    assert table.loc["29999_0001", "volatility"] == pytest.approx(volatility)
    assert table.loc["29999_0002", "volatility"] == 0  # one election only


def test_small_bureaux_are_suppressed(three_bureaux):
    table = score_bureaux(three_bureaux, ScoreParams(strategy="mobilisation", camp=LEFT))
    small = table.loc["29999_0003"]
    assert bool(small["suppressed"]) and math.isnan(small["score"]) and math.isnan(small["n_registered"])
    assert table.index[-1] == "29999_0003"  # no rank, listed last
    shown = displayed(table)
    assert (shown.loc["29999_0003", ["score", "rank", "n_registered", "share_camp"]] == SUPPRESSED).all()
    assert shown.loc["29999_0001", "score"] == pytest.approx(24)


def test_threshold_is_a_parameter(three_bureaux):
    table = score_bureaux(three_bureaux, ScoreParams(strategy="turnout", min_registered=10))
    assert not table["suppressed"].any()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (dict(strategy="lmp"), "unknown strategy 'lmp'"),
        (dict(decay=0), "decay=0 not understood"),
        (dict(weights={"mobilisation": -1}), "custom weights"),
        (dict(census_weight=2), "census_weight=2 not understood"),
    ],
)
def test_bad_parameters(params, message):
    with pytest.raises(InputDataError, match=message):
        ScoreParams(**params)


def test_camp_required_for_mobilisation(three_bureaux):
    with pytest.raises(InputDataError, match="the mobilisation strategy needs a camp"):
        score_bureaux(three_bureaux, ScoreParams(strategy="mobilisation"))


def test_unknown_election(three_bureaux):
    with pytest.raises(InputDataError, match="no result to score"):
        score_bureaux(three_bureaux, ScoreParams(strategy="turnout", elections=("2027_pres",)))
