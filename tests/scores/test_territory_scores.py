"""Scores on real and demo territories: doors and people conserved down to the streets, backtests, CLI."""

import geopandas as gpd
import pandas as pd
import pytest

from canvass.cli import main
from canvass.demo import DEMO_COMMUNE, write_demo
from canvass.scores.backtest import backtest, capture
from canvass.scores.camps import Camp
from canvass.scores.score import score_territory
from canvass.scores.strategies import ScoreParams
from canvass.territory.build import build_territory
from canvass.territory.io import save_territory
from tests.helpers import real


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    write_demo(folder, seed=0)
    territory = build_territory(folder, [DEMO_COMMUNE])
    save_territory(territory, folder / "territory.gpkg")
    return folder, territory


@pytest.fixture(scope="module")
def paris16():
    return build_territory(real("paris-16e"), ["75116"])


@pytest.mark.parametrize("strategy", ["mobilisation", "persuasion", "turnout", "custom"])
def test_doors_and_people_conserved(demo, strategy):
    _, territory = demo
    scores = score_territory(territory, ScoreParams(strategy=strategy, camp=Camp(("gauche",))))
    doors_before = territory.segments.groupby("bureau_id")["n_doors"].sum()
    doors_after = scores.segments.groupby("bureau_id")["n_doors"].sum()
    pd.testing.assert_series_equal(doors_before, doors_after, check_names=False)
    assert scores.bureaux["n_doors"].sum() == pytest.approx(territory.segments["n_doors"].sum())
    registered = territory.results[territory.results["election"] == "2024_legi"].drop_duplicates("bureau_id")["n_registered"].sum()
    assert scores.bureaux["n_registered"].sum() == pytest.approx(registered)
    assert (scores.segments["value"] == scores.segments["n_doors"] * scores.segments["priority"]).all()
    assert scores.segments["priority"].between(0, 1).all() and scores.bureaux["priority"].max() == 1


def test_segment_crossing_a_boundary_takes_length_weighted_priority(paris16):
    scores = score_territory(paris16, ScoreParams(strategy="turnout"))
    segments = paris16.segments
    own = scores.bureaux["priority"].reindex(segments["bureau_id"]).to_numpy()
    crossing = ~segments.geometry.within(paris16.bureaux.set_index("bureau_id").geometry.reindex(segments["bureau_id"]).buffer(0.01), align=False)
    # Inside one bureau: its priority; across a boundary: a mean that differs from its own bureau's.
    assert (abs(scores.segments["priority"].to_numpy()[~crossing.to_numpy()] - own[~crossing.to_numpy()]) < 1e-9).all()
    assert crossing.sum() > 0 and (abs(scores.segments["priority"].to_numpy()[crossing.to_numpy()] - own[crossing.to_numpy()]) > 1e-9).any()


BACKTESTS = [
    ("brest", "29019", "2022_legi", "2024_legi", ["2022_legi=CADALEN,SMOLARZ", "2024_legi=UG"]),
    ("paris-16e", "75116", "2017_pres", "2020_muni", ["2017_pres=MACRON", "2020_muni=SEBBAH"]),
]


@pytest.mark.parametrize(("folder", "commune", "source", "target", "camp"), BACKTESTS)
def test_mobilisation_backtest_beats_naive_baseline(folder, commune, source, target, camp):
    territory = build_territory(real(folder), [commune])
    result = backtest(territory.results, ScoreParams(strategy="mobilisation", camp=Camp.parse(camp)), source=source, target=target)
    ours, naive = result.table.iloc[0], result.table.iloc[1]
    assert ours["capture_top20"] >= naive["capture_top20"]
    assert ours["spearman"] > naive["spearman"] and ours["spearman"] > 0.4
    # Capturing the top 20 % of bureaux is worth more than 20 % of the reservoir.
    assert ours["capture_top20"] > 0.2


def test_capture_counts_the_top_bureaux():
    ranking = pd.Series([5, 4, 3, 2, 1], index=list("abcde"), dtype=float)
    target = pd.Series([10, 0, 0, 0, 10], index=list("abcde"), dtype=float)
    assert capture(ranking, target, 0.2) == 0.5 and capture(ranking, target, 0.1) == 0.5  # at least one bureau


def test_cli_score_exports(demo, tmp_path, capsys):
    folder, _ = demo
    territory = str(folder / "territory.gpkg")
    assert main(["-q", "score", territory, "--camp", "gauche", "--out", str(tmp_path / "s.csv"), "--min-registered", "1000"]) == 0
    table = pd.read_csv(tmp_path / "s.csv", dtype=str)
    small = table["n_registered"] == "secret"
    assert small.any() and (table.loc[small, "score"] == "secret").all()
    assert main(["-q", "score", territory, "--camp", "gauche", "--out", str(tmp_path / "s.geojson")]) == 0
    geo = gpd.read_file(tmp_path / "s.geojson")
    assert geo.crs.to_epsg() == 4326 and len(geo) == 12
    assert main(["-q", "score", territory, "--strategy", "turnout", "--out", str(tmp_path / "s.gpkg")]) == 0
    segments = gpd.read_file(tmp_path / "s.gpkg", layer="segment_scores")
    assert segments.crs.to_epsg() == 2154 and segments["value"].sum() > 0
    assert "turnout" in capsys.readouterr().out


def test_cli_backtest(demo, capsys):
    folder, _ = demo
    assert main(["backtest", str(folder / "territory.gpkg"), "--from", "2022_pres", "--to", "2024_legi", "--camp", "gauche"]) == 0
    assert "Spearman" in capsys.readouterr().out
    assert main(["backtest", str(folder / "territory.gpkg"), "--from", "2017_pres", "--to", "2024_legi", "--camp", "gauche"]) == 2


def test_census_model_flags_under_performing_bureaux(paris16):
    scores = score_territory(paris16, ScoreParams(camp=Camp.parse(["2017_pres=MACRON", "2020_muni=SEBBAH"]), census_weight=0.5))
    model = scores.models["share_camp"]
    assert model.n == 68 and -1 < model.r2_cv <= 1
    assert scores.bureaux["under_performing"].sum() == model.flags.sum()
    # Half of the camp share now comes from the census prediction.
    plain = score_territory(paris16, ScoreParams(camp=Camp.parse(["2017_pres=MACRON", "2020_muni=SEBBAH"])))
    assert not (scores.bureaux["share_camp"].sort_index() == plain.bureaux["share_camp"].sort_index()).all()
