"""The impact experiment: a reproducible, hashed hold-back draw; power stated before; effects recovered after."""

import json

import numpy as np
import pandas as pd
import pytest

from canvass.errors import InputDataError
from canvass.scores.camps import Camp
from canvass.scores.experiment import Assignment, assign, detection_probability, evaluate, estimate_effects, minimum_detectable_effect
from tests.scores.conftest import results_rows


def scored(n, seed):
    """``n`` scored bureaux: random scores, pre-election turnout 0.6 ± 0.08 and camp share 0.4 ± 0.05."""
    rng = np.random.default_rng(seed)
    index = pd.Index([f"29999_{i:04d}" for i in range(n)], name="bureau_id")
    return pd.DataFrame({"score": rng.gamma(4, 50, n), "share_abstention": 1 - rng.normal(0.6, 0.08, n),
                         "share_camp": rng.normal(0.4, 0.05, n), "suppressed": False}, index=index)


def test_assignment_is_reproducible_from_seed_and_hash(tmp_path):
    bureaux = scored(120, 1)
    first, again, other = assign(bureaux, seed=7), assign(bureaux, seed=7), assign(bureaux, seed=8)
    assert first.held_back_ids == again.held_back_ids and first.sha256 == again.sha256
    assert first.held_back_ids != other.held_back_ids and first.sha256 != other.sha256
    path = first.write(tmp_path / "experiment.json")
    read = Assignment.read(path)
    assert read.sha256 == first.sha256 and read.held_back_ids == first.held_back_ids
    # Anyone can redraw it from the seed written in the file and get the same hash.
    document = json.loads(path.read_text())
    assert assign(bureaux, seed=document["seed"], share=document["share"], n_strata=document["n_strata"]).sha256 == document["sha256"]
    document["held_back"] = document["held_back"][1:]
    document["bureaux"][0]["held_back"] = not document["bureaux"][0]["held_back"]
    path.write_text(json.dumps(document))
    with pytest.raises(InputDataError, match="does not match its hash"):
        Assignment.read(path)


def test_hold_back_is_stratified_by_priority():
    bureaux = scored(100, 2)
    assignment = assign(bureaux, seed=3, share=0.2, n_strata=4)
    table = assignment.table
    assert table.groupby("stratum").size().tolist() == [25, 25, 25, 25]
    assert table.groupby("stratum")["held_back"].sum().tolist() == [5, 5, 5, 5]
    best = bureaux["score"].sort_values(ascending=False).index[:25]
    assert set(table.index[table["stratum"] == 0]) == set(best)
    assert assignment.power.n_held_back == 20 and assignment.power.n_canvassed == 80


def test_suppressed_bureaux_stay_out_and_bad_share_fails():
    bureaux = scored(40, 4)
    bureaux.loc[bureaux.index[:5], "suppressed"] = True
    assert not set(assign(bureaux, seed=0).table.index) & set(bureaux.index[:5])
    with pytest.raises(InputDataError, match="hold-back share"):
        assign(bureaux, seed=0, share=1.2)
    with pytest.raises(InputDataError, match="too few"):
        assign(bureaux.iloc[:3], seed=0)


def test_power_formula():
    mde = minimum_detectable_effect(0.08, 80, 20)
    assert mde == pytest.approx((1.959964 + 0.841621) * 0.08 * np.sqrt(1 / 80 + 1 / 20), rel=1e-5)
    assert detection_probability(mde, 0.08, 80, 20) == pytest.approx(0.8, abs=1e-3)
    assert minimum_detectable_effect(0.08, 320, 80) == pytest.approx(mde / 2)  # four times the bureaux, half the effect


def test_planted_effect_is_recovered_at_the_stated_power():
    """Outcomes with the spread the power assumed, plus an effect equal to the MDE: detected ~80 % of the time, covered ~95 %."""
    bureaux = scored(200, 5)
    n_sims = 400
    detected = covered = detected_regression = 0
    for sim in range(n_sims):
        assignment = assign(bureaux, seed=sim)
        table = assignment.table
        effect = assignment.power.mde_turnout
        sd = assignment.power.sd_turnout
        rng = np.random.default_rng(10_000 + sim)
        persistent = table["pre_turnout"] - table["pre_turnout"].mean()
        # Half the outcome's spread is the pre-election figure (what the regression removes), half is new.
        outcome = 0.55 + np.sqrt(0.5) * persistent + np.sqrt(0.5) * rng.normal(0, sd, len(table)) + effect * ~table["held_back"]
        frame = table.assign(turnout=outcome)
        dim, reg = estimate_effects(frame, "turnout", "pre_turnout")
        detected += dim.p_value < 0.05
        covered += dim.low <= effect <= dim.high
        detected_regression += reg.p_value < 0.05
    assert 0.72 <= detected / n_sims <= 0.88
    assert covered / n_sims >= 0.92
    assert detected_regression / n_sims > detected / n_sims  # the pre-election figure removes half the noise


def test_evaluate_reads_new_results():
    bureaux = scored(60, 6)
    assignment = assign(bureaux, seed=11)
    rows = []
    for bureau, row in assignment.table.iterrows():
        registered = 1000
        voters = int(round(registered * (row["pre_turnout"] + (0.0 if row["held_back"] else 0.05))))
        camp = int(round(voters * 0.4))
        rows.append((bureau, registered, voters, voters, {"A": ("UG", camp), "B": ("RN", voters - camp)}))
    results = results_rows("2026_muni", rows)
    table = evaluate(assignment, results, election="2026_muni", camp=Camp(("gauche",))).set_index(["outcome", "method"])
    turnout = table.loc["turnout"]
    assert (turnout["low"] <= 0.05).all() and (turnout["high"] >= 0.05).all()
    assert turnout.loc["regression on pre-election figures", "estimate"] == pytest.approx(0.05, abs=0.002)
    assert table.loc["share_camp", "estimate"].abs().max() < 0.01
    assert (table["mde_before"] > 0).all()
    with pytest.raises(InputDataError, match="no result for election 2027_pres"):
        evaluate(assignment, results, election="2027_pres")
