"""Benchmark: canvassing plans against the equal-door baseline, measured in the same run.

    python benchmarks/bench_plan.py [--time-limit 60] [--cases demo paris16 paris3k]

Cases (teams of two, 2 hours, 1 minute per door, 3.5 km/h, meeting at three polling places):
- ``demo``: the demo commune (1,271 segments), 10 and 30 teams;
- ``paris16``: Paris 16e from the real OSM ways (2,388 segments), 10 and 30 teams, mobilisation
  scores (camp: Macron in 2017, Sebbah in 2020);
- ``paris3k``: all the real OSM ways of the extract within Paris bureaux (5,069 segments, doors
  from registered voters), 30 teams: the size target (≤ 60 s, first plan ≤ 5 s).
Every plan is re-checked by the independent checker. Prints priority-weighted doors (value),
doors, walking share, time to first feasible plan, the ratio to the baseline; writes
``benchmarks/results/plan.csv``.
"""

from __future__ import annotations

import argparse
import tempfile
import warnings
from pathlib import Path

import numpy as np

from canvass.demo import DEMO_COMMUNE, write_demo
from canvass.plan.baseline import baseline_plan
from canvass.plan.check import check_plan
from canvass.plan.problem import build_problem
from canvass.plan.solve import plan_walks
from canvass.plan.teams import Team
from canvass.scores.camps import Camp
from canvass.scores.score import score_territory
from canvass.scores.strategies import ScoreParams
from canvass.territory.build import build_territory

from _common import REAL, write_rows



def teams_at(territory, n_teams: int) -> list[Team]:
    """Teams of two meeting at three polling places spread over the streets' area (bureau points)."""
    with_streets = territory.bureaux[territory.bureaux["bureau_id"].isin(territory.segments["bureau_id"])]
    points = with_streets.geometry.representative_point()
    order = np.argsort(points.x.to_numpy())
    hubs = [points.iloc[order[int(q * (len(order) - 1))]] for q in (0.15, 0.5, 0.85)]
    return [Team(f"Équipe {i + 1}", 2, (hubs[i % 3].x, hubs[i % 3].y), 120, speed_kmh=3.5, minutes_per_door=1.0) for i in range(n_teams)]


def territories(cases: list[str]):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if "demo" in cases:
            folder = Path(tempfile.mkdtemp()) / "demo"
            write_demo(folder)
            territory = build_territory(folder, [DEMO_COMMUNE])
            yield "demo", territory, ScoreParams(camp=Camp(("gauche",))), (10, 30)
        if "paris16" in cases:
            territory = build_territory(REAL / "paris-16e", ["75116"])
            yield "paris16", territory, ScoreParams(camp=Camp.parse(["2017_pres=MACRON", "2020_muni=SEBBAH"])), (10, 30)
        if "paris3k" in cases:
            streets = REAL / "paris-16e" / "osm_overpass_raw_ways_paris16e_east_2022-12-22.json.gz"
            territory = build_territory(REAL / "scale" / "paris", ["75056"], forced={streets: "streets"})
            yield "paris3k", territory, ScoreParams(camp=Camp(("MACRON",)), elections=("2017_pres",)), (30,)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--cases", nargs="+", default=["demo", "paris16", "paris3k"])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows = []
    header = f"{'case':9} {'segs':>5} {'teams':>5} {'method':9} {'value':>8} {'doors':>7} {'walk %':>6} {'first s':>7} {'total s':>7} {'ratio':>6} check"
    print(header)
    for name, territory, params, team_counts in territories(args.cases):
        scores = score_territory(territory, params)
        for n_teams in team_counts:
            problem = build_problem(territory.segments, scores.segments, teams_at(territory, n_teams))
            baseline = baseline_plan(problem, seed=args.seed)
            ours = plan_walks(problem, time_limit_s=args.time_limit, seed=args.seed)
            for method, plan in (("baseline", baseline), ("ours", ours)):
                check = check_plan(problem, plan)
                if not check.ok:
                    raise SystemExit(f"{name} {method}: checker found {check.violations[:3]}")
                totals = plan.totals()
                row = {
                    "case": name, "n_segments": problem.n_segments, "n_teams": n_teams, "method": method,
                    "value": round(totals["value"], 1), "doors": round(totals["n_doors"]), "walking_share": round(totals["walking_share"], 3),
                    "first_feasible_s": round(plan.seconds_to_first, 2), "seconds": round(plan.seconds, 1),
                    "ratio_to_baseline": round(totals["value"] / baseline.totals()["value"], 3),
                }
                rows.append(row)
                print(f"{name:9} {row['n_segments']:5d} {n_teams:5d} {method:9} {row['value']:8.1f} {row['doors']:7d} {100 * row['walking_share']:6.1f} "
                      f"{row['first_feasible_s']:7.2f} {row['seconds']:7.1f} {row['ratio_to_baseline']:6.2f} ok")
    write_rows(rows, "plan")


if __name__ == "__main__":
    main()
