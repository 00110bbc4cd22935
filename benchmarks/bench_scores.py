"""Benchmark: scoring speed, against the cost of the plainest aggregation of the same results in the same run.

    python benchmarks/bench_scores.py

Cases: Paris 16e (territory loaded first, as the app does), and the 69,242
bureaux of France (P2017 round 2, results only). Baseline: one pandas groupby
summing the camp's votes per bureau, with no camp matching, weighting or
checks. Best of 5. Writes ``benchmarks/results/scores.csv``.
"""

from __future__ import annotations

import warnings

from canvass.opendata.results import read_results
from canvass.scores.camps import Camp
from canvass.scores.score import score_territory
from canvass.scores.strategies import ScoreParams, score_bureaux
from canvass.territory.build import build_territory

from _common import QUICK, REAL, best_of, write_rows





def plain_groupby(results) -> None:
    camp = results[results["candidate"] == "MACRON"]
    camp.groupby("bureau_id")["n_votes"].sum() / results.drop_duplicates("bureau_id").set_index("bureau_id")["n_expressed"]


def main() -> None:
    rows = []
    paris16 = build_territory(REAL / "paris-16e", ["75116"])
    params16 = ScoreParams(strategy="mobilisation", camp=Camp.parse(["2017_pres=MACRON", "2020_muni=SEBBAH"]))
    ours = best_of(lambda: score_territory(paris16, params16))
    floor = best_of(lambda: plain_groupby(paris16.results))
    rows.append({"case": "paris-16e territory (68 bureaux, 2,388 segments)", "score_s": ours, "baseline_s": floor, "target_s": 1.0})
    if not QUICK:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            france = read_results(REAL / "scale/france/2017-presidentielle-2_par_bureau_large.csv.gz")
        params = ScoreParams(strategy="mobilisation", camp=Camp(("MACRON",)))
        ours = best_of(lambda: score_bureaux(france, params))
        floor = best_of(lambda: plain_groupby(france))
        rows.append({"case": "France P2017 T2 results (69,242 bureaux)", "score_s": ours, "baseline_s": floor, "target_s": 10.0})
    print(f"{'case':50} {'score s':>8} {'baseline s':>10} {'ratio':>6} {'target s':>8}")
    for row in rows:
        print(f"{row['case']:50} {row['score_s']:8.3f} {row['baseline_s']:10.3f} {row['score_s'] / row['baseline_s']:6.1f} {row['target_s']:8.1f}")
    write_rows(rows, "scores")


if __name__ == "__main__":
    main()
