"""Benchmark: canvassing plans against honest yardsticks, all measured in the same run on the same problem.

    python benchmarks/bench_plan.py [--time-limit 60] [--cases demo paris16 paris3k] [--seed 0]

Cases (teams of two, 2 hours, 1 minute per door, 3.5 km/h, meeting at three polling places):
- ``demo``: the demo commune (1,271 segments), 10 and 30 teams;
- ``paris16``: Paris 16e from the real OSM ways (2,388 segments), 10 and 30 teams, mobilisation
  scores (camp: Macron in 2017, Sebbah in 2020);
- ``paris3k``: all the real OSM ways of the extract within Paris bureaux (5,069 segments, doors
  from registered voters), 30 teams: the size target (≤ 60 s, first plan ≤ 5 s).

Methods, each plan re-checked by the independent checker:
- ``baseline``: equal-door turfs, nearest street next, a street that does not fit skipped
  (:func:`canvass.plan.baseline.baseline_plan`);
- ``organiser``: value per minute, balanced turfs, nearest street next, best of a small grid
  (:func:`canvass.plan.organiser.organiser_plan`);
- ``greedy``: the planner's greedy start alone (:func:`canvass.plan.solve.greedy_plan`);
- ``or-tools``: the planner without its improvement phase (OR-Tools' search alone, the greedy start
  where the instance is too large for OR-Tools);
- ``ours``: the planner with ``--time-limit`` seconds (every method that searches gets the same seconds).

Yardsticks: the zero-walking and service bounds (:mod:`canvass.plan.bounds`), which no plan can
beat. Prints value (priority-weighted doors) and doors, value ÷ each bound, value and doors ÷
each baseline, walking between units and along units as shares of the volunteer minutes, time
to the first feasible plan; writes ``benchmarks/results/plan.csv``.
"""

from __future__ import annotations

import argparse
import tempfile
import warnings
from pathlib import Path

import numpy as np

from canvass.demo import DEMO_COMMUNE, write_demo
from canvass.plan.baseline import baseline_plan
from canvass.plan.bounds import plan_bounds
from canvass.plan.check import check_plan
from canvass.plan.organiser import organiser_plan
from canvass.plan.problem import build_problem
from canvass.plan.solve import greedy_plan, plan_walks
from canvass.plan.teams import Team
from canvass.scores.camps import Camp
from canvass.scores.score import score_territory
from canvass.scores.strategies import ScoreParams
from canvass.territory.build import build_territory

from _common import QUICK, REAL, write_rows


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


def methods(time_limit: float, seed: int) -> dict:
    """Every method of the comparison, as ``problem -> Plan``."""
    return {
        "baseline": lambda problem: baseline_plan(problem, seed=seed),
        "organiser": lambda problem: organiser_plan(problem, seed=seed),
        "greedy": lambda problem: greedy_plan(problem, seed=seed),
        "or-tools": lambda problem: plan_walks(problem, time_limit_s=time_limit, seed=seed, improve_share=0.0),
        "ours": lambda problem: plan_walks(problem, time_limit_s=time_limit, seed=seed),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--cases", nargs="+", default=["demo", "paris16", "paris3k"])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if QUICK:
        args.cases, args.time_limit = ["demo"], 3.0
    rows = []
    print(f"{'case':8} {'segs':>5} {'teams':>5} {'method':10} {'value':>8} {'doors':>6} {'÷serv':>6} {'÷zero':>6} {'÷base v/d':>10} "
          f"{'÷org v/d':>10} {'betw %':>6} {'along %':>7} {'first s':>7} {'total s':>7}")
    for name, territory, params, team_counts in territories(args.cases):
        scores = score_territory(territory, params)
        for n_teams in team_counts:
            problem = build_problem(territory.segments, scores.segments, teams_at(territory, n_teams))
            bounds = plan_bounds(problem)
            print(f"{name:8} {problem.n_segments:5d} {n_teams:5d} bounds: service {bounds.service:.1f}, zero walking {bounds.zero_walking:.1f}, "
                  f"{bounds.n_units} units some team can do alone (value out of reach {bounds.out_of_reach_value:.1f})")
            plans = {method: make(problem) for method, make in methods(args.time_limit, args.seed).items()}
            totals = {method: plan.totals() for method, plan in plans.items()}
            for method, plan in plans.items():
                check = check_plan(problem, plan)
                if not check.ok:
                    raise SystemExit(f"{name} {method}: checker found {check.violations[:3]}")
                mine = totals[method]
                if mine["value"] > bounds.service + 1e-6:
                    raise SystemExit(f"{name} {method}: value {mine['value']:.1f} above the service bound {bounds.service:.1f}")
                row = {
                    "case": name, "n_segments": problem.n_segments, "n_teams": n_teams, "method": method,
                    "value": round(mine["value"], 1), "doors": round(mine["n_doors"]),
                    "to_service_bound": round(mine["value"] / bounds.service, 3), "to_zero_walking_bound": round(mine["value"] / bounds.zero_walking, 3),
                    **{f"{key}_to_{other}": round(mine[total] / totals[other][total], 3)
                       for other in ("baseline", "organiser") for key, total in (("value", "value"), ("doors", "n_doors"))},
                    "between_share": round(mine["between_share"], 3), "along_share": round(mine["along_share"], 3),
                    "walking_share": round(mine["walking_share"], 3),
                    "first_feasible_s": round(plan.seconds_to_first, 2), "seconds": round(plan.seconds, 1),
                    "service_bound": round(bounds.service, 1), "zero_walking_bound": round(bounds.zero_walking, 1),
                }
                rows.append(row)
                print(f"{name:8} {problem.n_segments:5d} {n_teams:5d} {method:10} {row['value']:8.1f} {row['doors']:6d} {row['to_service_bound']:6.2f} "
                      f"{row['to_zero_walking_bound']:6.2f} {row['value_to_baseline']:5.2f}/{row['doors_to_baseline']:4.2f} "
                      f"{row['value_to_organiser']:5.2f}/{row['doors_to_organiser']:4.2f} {100 * row['between_share']:6.1f} "
                      f"{100 * row['along_share']:7.1f} {row['first_feasible_s']:7.2f} {row['seconds']:7.1f}")
    write_rows(rows, "plan")


if __name__ == "__main__":
    main()
