"""Backtests against persistence on real Brest, the shrunk model, and persuasion measured within each election."""

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from canvass.errors import InputDataError
from canvass.scores.backtest import NAIVE, PERSISTENCE, SHRUNK, backtest, backtest_territory, compare, long_table
from canvass.scores.camps import Camp
from canvass.scores.score import score_territory
from canvass.scores.shrunk import Ballot, abstention_level, adjacency, forecast, parse_ballot
from canvass.scores.strategies import ScoreParams, score_bureaux
from canvass.territory.build import build_territory
from tests.helpers import real
from tests.scores.conftest import results_rows


@pytest.fixture(scope="module")
def brest():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_territory(real("brest"), ["29019"])


def test_brest_left_backtest_skips_2017_and_compares_with_persistence(brest):
    result = backtest_territory(brest, ScoreParams(strategy="mobilisation", camp=Camp(("gauche",))),
                                source="2022_legi", target="2024_legi", n_boot=200)
    table = result.table
    assert (result.source, result.target, result.n_bureaux) == ("2022_legi_t1", "2024_legi_t1", 104)
    assert list(table["kind"]) == [PERSISTENCE, NAIVE, SHRUNK]  # 2017 skipped: one election left, no decay row
    assert [item.election for item in result.skipped] == ["2017_pres"]
    assert "Scrutin 2017_pres ignoré" in result.summary()
    persistence = table.iloc[0]
    assert persistence["delta_spearman"] == 0 and persistence["delta_capture_top20_lo"] == 0
    assert (table["spearman_lo"] <= table["spearman"]).all() and (table["spearman"] <= table["spearman_hi"]).all()
    assert persistence["spearman"] > table.iloc[1]["spearman"]  # the camp share alone is not the reservoir
    assert (table["capture_top20"] > 0.2).all()


def test_persistence_is_the_source_reservoir_and_the_model_never_sees_the_target(brest):
    params = ScoreParams(strategy="turnout")
    result = backtest(brest.results, params, source="2024_legi_t1", target="2024_legi_t2", bureaux=brest.bureaux, n_boot=50)
    changed = brest.results.copy()
    target = (changed["election"] == "2024_legi") & (changed["round"] == 2)
    rng = np.random.default_rng(0)
    changed.loc[target, "n_abstentions"] = changed.loc[target, "n_registered"] * rng.uniform(0.1, 0.6, target.sum())
    again = backtest(changed, params, source="2024_legi_t1", target="2024_legi_t2", bureaux=brest.bureaux, n_boot=50)
    # Figures move with the target, but nothing scored from the history does: same rankings, other truth.
    assert not np.isclose(result.table["spearman"].iloc[0], again.table["spearman"].iloc[0])
    source_only = score_bureaux(brest.results[(brest.results["election"] == "2024_legi") & (brest.results["round"] == 1)], params)
    top = source_only["score"].sort_values(ascending=False, kind="stable").index[:21]
    assert top.equals(source_only.index[:21])


def test_ballots_and_bad_pairs(brest):
    assert parse_ballot("2026_muni_t2") == Ballot("2026_muni", 2)
    assert parse_ballot("2017_pres", brest.results) == Ballot("2017_pres", 2)  # only round 2 in the file
    with pytest.raises(InputDataError, match="is not before"):
        backtest(brest.results, ScoreParams(strategy="turnout"), source="2024_legi", target="2022_legi")
    with pytest.raises(InputDataError, match="ballot 2027_pres_t1 not in the territory"):
        backtest(brest.results, ScoreParams(strategy="turnout"), source="2024_legi", target="2027_pres")
    with pytest.raises(InputDataError, match="backtest 2017_pres_t2 -> 2022_legi_t1 impossible"):
        backtest(brest.results, ScoreParams(camp=Camp(("gauche",))), source="2017_pres", target="2022_legi")


def test_compare_is_seeded_and_paired():
    rng = np.random.default_rng(1)
    truth = pd.Series(rng.gamma(3, 100, 80))
    rankings = {"a": truth + rng.normal(0, 50, 80), "b": truth + rng.normal(0, 150, 80)}
    first, again = compare(rankings, truth, seed=4, n_boot=300), compare(rankings, truth, seed=4, n_boot=300)
    pd.testing.assert_frame_equal(first, again)
    assert first.loc["a", "spearman"] > first.loc["b", "spearman"]
    assert first.loc["b", "delta_spearman_hi"] < 0  # the noisier ranking is worse, and the paired interval says so


def test_long_table_has_one_row_per_ranking(brest):
    result = backtest_territory(brest, ScoreParams(strategy="turnout"), source="2017_pres", target="2022_legi", n_boot=50)
    table = long_table({"brest": result})
    assert list(table["kind"]) == list(result.table["kind"]) and (table["case"] == "brest").all()
    assert {"capture_top10", "capture_top20", "spearman_lo", "delta_capture_top20_hi"} <= set(table.columns)


def square_grid(n_side):
    """``n_side`` × ``n_side`` touching 100 m squares in Lambert-93, ids in row order."""
    cells = [shapely.box(700000 + 100 * i, 6800000 + 100 * j, 700100 + 100 * i, 6800100 + 100 * j) for j in range(n_side) for i in range(n_side)]
    return gpd.GeoDataFrame({"bureau_id": [f"29999_{k:04d}" for k in range(len(cells))]}, geometry=cells, crs=2154)


def test_adjacency_links_touching_polygons_only():
    grid = square_grid(3)
    matrix = adjacency(grid).toarray()
    assert np.allclose(matrix.sum(axis=1), 1)
    assert (matrix[4] > 0).sum() == 8  # the centre touches all (corners within the gap)
    assert matrix[0, 8] == 0 and matrix[0, 0] == 0


def test_small_outlier_is_shrunk_towards_its_neighbours_more_than_a_large_one():
    grid = square_grid(5)
    rows = []
    for k, bureau in enumerate(grid["bureau_id"]):
        registered = 60 if k == 12 else 1500
        rate = 0.7 if k in (12, 6) else 0.3 + 0.01 * (k % 3)
        voters = int(round(registered * (1 - rate)))
        rows.append((bureau, registered, voters, voters, {"A": ("UG", voters // 2), "B": ("RN", voters - voters // 2)}))
    history = results_rows("2022_legi", rows)
    predicted = forecast(history, None, Ballot("2024_legi", 1), bureaux=grid)
    own = 0.7
    small, large = grid["bureau_id"][12], grid["bureau_id"][6]
    assert predicted.loc[small, "shrinkage_abstention"] > predicted.loc[large, "shrinkage_abstention"]
    assert own - predicted.loc[small, "share_abstention"] > own - predicted.loc[large, "share_abstention"] > -0.01
    alone = forecast(history, None, Ballot("2024_legi", 1))
    assert (alone["share_abstention"] - predicted["share_abstention"]).abs().max() > 0.01  # the neighbours matter


def test_abstention_level_moves_with_the_election_type():
    rows = [(f"29999_{k:04d}", 1000, 750, 740, {"A": ("UG", 370), "B": ("RN", 370)}) for k in range(6)]
    history = results_rows("2022_pres", rows)
    municipal = abstention_level(history, Ballot("2026_muni", 1))
    presidential = abstention_level(history, Ballot("2027_pres", 1))
    assert 1 / (1 + np.exp(-presidential)) == pytest.approx(0.25)
    assert municipal > presidential  # municipales draw fewer voters than a présidentielle


def test_closeness_per_election_and_volatility_within_a_type():
    """2017 duel won 90-10 and a close 2020 race of another camp: closeness averages each election's own, volatility is 0."""
    duel = results_rows("2017_pres", [("29999_0001", 1000, 800, 800, {"MACRON": ("REM", 720), "LE PEN": ("FN", 80)})])
    race = results_rows("2020_muni", [("29999_0001", 1000, 500, 500, {"X": ("LUG", 250), "Y": ("LLR", 250)})])
    params = ScoreParams(strategy="persuasion", camp=Camp.parse(["2017_pres=MACRON", "2020_muni=X"]), decay=0.5)
    table = score_bureaux(pd.concat([duel, race], ignore_index=True), params)
    # weights 1 (2020) and 0.5 (2017): (1 × 1 + 0.5 × 0.2) / 1.5, not the closeness of the mean share 0.633.
    assert table.loc["29999_0001", "closeness"] == pytest.approx((1 + 0.5 * 0.2) / 1.5)
    assert table.loc["29999_0001", "volatility"] == 0


def test_score_territory_with_the_shrunk_model(brest):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = score_territory(brest, ScoreParams(camp=Camp(("gauche",))))
        shrunk = score_territory(brest, ScoreParams(camp=Camp(("gauche",)), model="shrunk"))
    assert [item.election for item in shrunk.skipped_elections] == ["2017_pres"]
    assert shrunk.bureaux["share_abstention"].between(0, 1).all() and shrunk.bureaux["priority"].max() == 1
    abstention = plain.bureaux["share_abstention"].align(shrunk.bureaux["share_abstention"], join="inner")
    assert 0.95 < abstention[0].corr(abstention[1], method="spearman") < 1  # a forecast close to, not equal to, the last rates
    score = plain.bureaux["score"].align(shrunk.bureaux["score"], join="inner")
    assert score[0].corr(score[1], method="spearman") > 0.3  # second rounds (duels) pull the camp share apart
    with pytest.raises(InputDataError, match="unknown model"):
        ScoreParams(model="magic")
