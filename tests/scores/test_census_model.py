"""Census rates per bureau and the cross-validated ridge model: synthetic signals, then real figures."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from canvass.demo import DEMO_COMMUNE, write_demo
from canvass.errors import DataQualityWarning, InputDataError
from canvass.scores.census_model import bureau_features, fit_camp_and_turnout, fit_model
from canvass.territory.build import build_territory
from tests.helpers import real


def _synthetic(n: int, seed: int, signal: bool) -> tuple[pd.DataFrame, pd.Series]:
    """``n`` bureaux with three rates; the target is 0.5 + 0.1·a − 0.05·b + small noise, or pure noise."""
    rng = np.random.default_rng(seed)
    ids = [f"99999_{i:04d}" for i in range(n)]
    features = pd.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "c"], index=pd.Index(ids, name="bureau_id"))
    noise = rng.normal(scale=0.01, size=n)
    target = 0.5 + 0.1 * features["a"] - 0.05 * features["b"] + noise if signal else pd.Series(noise, index=features.index)
    return features.assign(coverage=1.0), target.rename("share_camp")


def test_known_linear_signal_is_found():
    features, target = _synthetic(200, seed=42, signal=True)
    fit = fit_model(features, target, seed=0)
    assert fit.r2_cv > 0.95
    assert fit.mae_cv < 0.02
    assert fit.n == 200 and fit.excluded == ()
    assert list(fit.coefficients.index) == ["a", "b", "c"]  # coverage is not a predictor
    assert fit.coefficients["a"] == pytest.approx(0.1, rel=0.05)
    assert fit.coefficients["b"] == pytest.approx(-0.05, rel=0.05)
    assert abs(fit.coefficients["c"]) < 0.005
    pd.testing.assert_series_equal(fit.residual, (target - fit.predicted).rename("residual"))
    assert "out-of-sample R²" in fit.summary()


def test_pure_noise_predicts_nothing():
    features, target = _synthetic(200, seed=7, signal=False)
    assert fit_model(features, target, seed=0).r2_cv < 0.02


def test_same_seed_same_predictions():
    features, target = _synthetic(60, seed=3, signal=True)
    first, again = fit_model(features, target, seed=5), fit_model(features, target, seed=5)
    pd.testing.assert_series_equal(first.predicted, again.predicted)
    assert first.r2_cv == again.r2_cv
    assert not np.allclose(first.predicted, fit_model(features, target, seed=6).predicted)


def test_missing_rows_are_left_out_and_listed():
    features, target = _synthetic(40, seed=1, signal=True)
    features.iloc[0, 0] = np.nan
    target.iloc[1] = np.nan
    fit = fit_model(features, target.drop(target.index[2]))
    assert fit.excluded == tuple(features.index[:3])
    assert fit.n == 37 and len(fit.predicted) == 37


def test_a_bureau_far_below_its_potential_is_flagged():
    features, target = _synthetic(100, seed=2, signal=True)
    target.iloc[10] -= 0.2
    fit = fit_model(features, target)
    assert fit.flags.index[fit.flags].tolist() == [features.index[10]]
    assert fit.flags.index[fit.flags][0] in fit.summary()


def test_too_few_bureaux_or_no_feature():
    features, target = _synthetic(9, seed=1, signal=True)
    with pytest.raises(InputDataError, match="only 9 bureaux .* cross-validation needs at least 10"):
        fit_model(features, target)
    with pytest.raises(InputDataError, match="no census rate to predict share_camp"):
        fit_model(features[["coverage"]], target)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo commune: 12 bureaux, 6 IRIS with base-IC and Filosofi columns, 9,361 BAN addresses."""
    folder = tmp_path_factory.mktemp("demo")
    write_demo(folder, seed=0)
    return build_territory(folder, [DEMO_COMMUNE])


def test_demo_rates_from_counts(demo):
    features = bureau_features(demo)  # addresses present: address weights
    assert features.index.name == "bureau_id" and len(features) == 12
    shares = features.filter(like="share_")
    assert {"share_managers", "share_workers", "share_owners", "share_social_housing", "share_flats"} <= set(shares.columns)
    assert ((shares >= 0) & (shares <= 1)).all().all()
    assert features["median_income"].between(demo.census["DISP_MED21"].min(), demo.census["DISP_MED21"].max()).all()
    np.testing.assert_allclose(features["coverage"], 1.0)
    by_area = bureau_features(demo, weights="area")
    assert not np.allclose(by_area["share_workers"], features["share_workers"])


def test_demo_missing_census_stays_missing_and_warns(demo):
    kept = demo.census.iloc[3:]  # three IRIS of six lose their census row
    with pytest.warns(DataQualityWarning, match="less than 50% backed by census data"):
        features = bureau_features(dataclasses.replace(demo, census=kept))
    alone = features["coverage"] == 0
    assert alone.sum() == 2 and features.loc[alone].drop(columns="coverage").isna().all().all()
    # Partly backed bureaux keep rates from the IRIS left (the poverty rate is secret in one of them).
    assert features.loc[~alone].drop(columns="poverty_rate").notna().all().all()


def test_no_census_at_all(demo):
    bare = dataclasses.replace(demo, census=pd.DataFrame(), grid=demo.grid.iloc[:0])
    with pytest.raises(InputDataError, match="neither IRIS census nor Filosofi grid"):
        bureau_features(bare)


def _targets(results: pd.DataFrame, election: str, round_: int, camp: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Camp share of expressed votes and turnout per bureau, for one election round."""
    rows = results[(results["election"] == election) & (results["round"] == round_)]
    totals = rows.groupby("bureau_id")[["n_registered", "n_voters", "n_expressed"]].first()
    votes = rows[camp.loc[rows.index]].groupby("bureau_id")["n_votes"].sum().reindex(totals.index, fill_value=0)
    return (votes / totals["n_expressed"]).rename("share_camp"), (totals["n_voters"] / totals["n_registered"]).rename("share_turnout")


@pytest.mark.parametrize(
    ("folder", "commune", "election", "round_", "camp"),
    [
        ("paris-16e", "75116", "2017_pres", 2, ("candidate", "MACRON")),
        ("scale/paris", "75056", "2017_pres", 2, ("candidate", "MACRON")),
        ("brest", "29019", "2024_legi", 1, ("nuance", "UG")),
    ],
)
def test_real_out_of_sample_figures(folder, commune, election, round_, camp):
    territory = build_territory(real(folder), [commune])
    share_camp, share_turnout = _targets(territory.results, election, round_, territory.results[camp[0]] == camp[1])
    fits = fit_camp_and_turnout(territory, share_camp=share_camp, share_turnout=share_turnout, seed=0)
    for name, fit in fits.items():
        print(f"\n{folder} {election} T{round_} {name}: n={fit.n}, R²cv={fit.r2_cv:.3f}, MAE={fit.mae_cv:.4f}, "
              f"flagged={int(fit.flags.sum())}")
        assert fit.n == len(territory.bureaux)
        assert fit.r2_cv > 0.1  # demography explains part of the vote; the figures are reported, not pinned
