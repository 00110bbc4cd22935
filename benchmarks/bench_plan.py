"""Benchmark: canvassing plans against honest yardsticks, all measured in the same run on the same problem.

    python benchmarks/bench_plan.py [--time-limit 60] [--cases demo paris16 curve paris3k] [--seed 0] [--methods ours] [--peer pyvrp]

Cases (teams of two, 2 hours, 1 minute per door, 3.5 km/h, meeting at three polling places):
- ``demo``: the demo commune (1,271 segments), 10 and 30 teams;
- ``paris16``: Paris 16e from the real OSM ways (2,388 segments), 10 and 30 teams, mobilisation
  scores (camp: Macron in 2017, Sebbah in 2020);
- ``paris3k``: all the real OSM ways of the extract within Paris bureaux (5,069 segments, doors
  from registered voters), 30 teams: the size target (≤ 60 s, first plan ≤ 5 s, ≤ 1.5 GB);
- ``curve``: cuts of that extract (the 1,000, 2,000 and 3,000 segments nearest its centre, teams in
  proportion to its 30): with ``paris3k``, the size curve.

Methods, each plan re-checked by the independent checker:
- ``baseline``: equal-door turfs, nearest street next, a street that does not fit skipped
  (:func:`canvass.plan.baseline.baseline_plan`);
- ``organiser``: value per minute, balanced turfs, nearest street next, best of a small grid
  (:func:`canvass.plan.organiser.organiser_plan`);
- ``greedy``: the planner's greedy start alone (:func:`canvass.plan.solve.greedy_plan`);
- ``or-tools``: the planner without its improvement phase (OR-Tools' search alone, the greedy start
  where the instance is too large for OR-Tools);
- ``ours``: the planner with ``--time-limit`` seconds (every method that searches gets the same seconds);
- ``pyvrp`` (``--peer pyvrp``, the ``bench`` extra): PyVRP's hybrid genetic search on the same
  whole-instance model for the same seconds (:func:`pyvrp_plan`).

Each run goes in a fresh forked process: its peak resident memory (MiB, the territory it inherits
included) is printed beside its times.

Yardsticks: the zero-walking and service bounds (:mod:`canvass.plan.bounds`), which no plan can
beat. Prints value (priority-weighted doors) and doors, value ÷ each bound, value and doors ÷
each baseline, walking between units and along units as shares of the volunteer minutes, time
to the first feasible plan; writes ``benchmarks/results/plan.csv``.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from canvass.demo import DEMO_COMMUNE, write_demo
from canvass.plan.baseline import baseline_plan
from canvass.plan.bounds import plan_bounds
from canvass.plan.check import check_plan
from canvass.plan.organiser import organiser_plan
from canvass.plan.problem import build_problem
from canvass.plan.result import Plan
from canvass.plan.solve import _arc_instance, _candidates, _unserved, _walks, _within_reach, greedy_plan, plan_walks
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
        if "paris3k" in cases or "curve" in cases:
            streets = REAL / "paris-16e" / "osm_overpass_raw_ways_paris16e_east_2022-12-22.json.gz"
            territory = build_territory(REAL / "scale" / "paris", ["75056"], forced={streets: "streets"})
            params = ScoreParams(camp=Camp(("MACRON",)), elections=("2017_pres",))
            if "curve" in cases:
                for size in CURVE:
                    part = cut(territory, size)
                    yield f"cut{size}", part, params, (max(3, round(30 * size / len(territory.segments))),)
            if "paris3k" in cases:
                yield "paris3k", territory, params, (30,)


CURVE = (1000, 2000, 3000)
"""Sizes of the curve's cuts of the Paris extract (segments nearest its centre); the whole extract (paris3k) closes the curve."""


def cut(territory, n_segments: int):
    """The ``n_segments`` segments nearest the centre of the territory's streets, with the bureaux they lie in (teams in proportion)."""
    centre = territory.segments.geometry.union_all().centroid
    order = np.argsort(territory.segments.geometry.distance(centre).to_numpy(), kind="stable")[:n_segments]
    segments = territory.segments.iloc[np.sort(order)]
    return replace(territory, segments=segments, bureaux=territory.bureaux[territory.bureaux["bureau_id"].isin(segments["bureau_id"])])


def make_plan(method: str, problem, time_limit: float, seed: int) -> Plan:
    """One method of the comparison on ``problem``."""
    if method == "baseline":
        return baseline_plan(problem, seed=seed)
    if method == "organiser":
        return organiser_plan(problem, seed=seed)
    if method == "greedy":
        return greedy_plan(problem, seed=seed)
    if method == "or-tools":
        return plan_walks(problem, time_limit_s=time_limit, seed=seed, improve_share=0.0)
    if method == "ours":
        return plan_walks(problem, time_limit_s=time_limit, seed=seed)
    if method == "pyvrp":
        return pyvrp_plan(problem, time_limit_s=time_limit, seed=seed)
    raise SystemExit(f"unknown method {method!r}")


METHODS = ("baseline", "organiser", "greedy", "or-tools", "ours")
"""Methods of every run; ``--peer pyvrp`` adds the peer."""


def _measured(method: str, problem, time_limit: float, seed: int) -> tuple[Plan, float]:
    """Run in a forked worker: the plan and the worker's peak resident memory (MiB, the problem it inherited included)."""
    plan = make_plan(method, problem, time_limit, seed)
    return plan, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measured(method: str, problem, time_limit: float, seed: int) -> tuple[Plan, float]:
    """:func:`make_plan` in a fresh forked process, so that each run's peak memory is its own."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("fork")) as pool:
        return pool.submit(_measured, method, problem, time_limit, seed).result()


def pyvrp_plan(problem, *, time_limit_s: float, seed: int) -> Plan:
    """The peer: PyVRP's hybrid genetic search on the planner's own whole-instance model, for the same seconds.

    The model is the engine's instance (:func:`canvass.plan.solve._arc_instance`, every team, every unit
    within reach): two optional clients per unit, one per direction, in a mutually exclusive group with
    the unit's prize; one vehicle type per (meeting place, end) with the teams' time budget as shift
    duration; distance (the cost) in metres, duration in seconds rounded per leg as OR-Tools rounds them.
    Same objective as ours: metres walked plus the prizes of units left out. Model building counts
    against the seconds. Returns a ``Plan`` for the independent checker.
    """
    import pyvrp
    from pyvrp.stop import MaxRuntime

    clock = time.perf_counter()
    candidates, reasons = _candidates(problem)
    everyone = np.arange(len(problem.teams))
    arcs = _within_reach(problem, everyone, candidates)
    instance, _ = _arc_instance(problem, everyone, arcs)
    if len(instance.time_classes) != 1:
        raise SystemExit("the PyVRP peer takes teams of one pace only (one duration profile)")
    _, factor, service = instance.time_classes[0]
    depot_keys = np.unique(np.concatenate([instance.starts, instance.ends]))
    n_depots, n_arcs = len(depot_keys), instance.n_arcs
    # Location i leaves from exit[i] and is reached at entry[i]: depots, then each unit forwards, then backwards.
    entry = np.concatenate([depot_keys, instance.arc_ends[:, 0], instance.arc_ends[:, 1]])
    exit_ = np.concatenate([depot_keys, instance.arc_ends[:, 1], instance.arc_ends[:, 0]])
    distance = instance.deadhead[exit_[:, None], entry[None, :]].astype(np.int64)
    duration = np.rint(distance * factor).astype(np.int64)
    np.fill_diagonal(distance, 0)
    np.fill_diagonal(duration, 0)
    locations = [pyvrp.Location(0.0, 0.0) for _ in range(len(entry))]
    depots = [pyvrp.Depot(i) for i in range(n_depots)]
    clients = [pyvrp.Client(n_depots + direction * n_arcs + arc, service_duration=int(service[arc]), prize=int(instance.prize[arc]),
                            required=False, group=arc) for direction in (0, 1) for arc in range(n_arcs)]
    groups = [pyvrp.ClientGroup([arc, n_arcs + arc], required=False) for arc in range(n_arcs)]
    depot_of = {int(key): i for i, key in enumerate(depot_keys)}
    kinds: dict[tuple, list[int]] = {}
    for vehicle in range(instance.n_vehicles):
        kinds.setdefault((depot_of[int(instance.starts[vehicle])], depot_of[int(instance.ends[vehicle])], int(instance.capacity[vehicle])), []).append(vehicle)
    vehicle_types = [pyvrp.VehicleType(len(vehicles), start_depot=start, end_depot=end, shift_duration=budget)
                     for (start, end, budget), vehicles in kinds.items()]
    data = pyvrp.ProblemData(locations, clients, depots, vehicle_types, [distance], [duration], groups)
    del distance, duration
    result = pyvrp.solve(data, MaxRuntime(max(1.0, time_limit_s - (time.perf_counter() - clock))), seed=seed, collect_stats=False)
    if not result.is_feasible():
        raise SystemExit("PyVRP found no feasible solution in time")
    routes, free = {}, {kind: list(vehicles) for kind, vehicles in enumerate(kinds.values())}
    for route in result.best.routes():
        vehicle = free[route.vehicle_type()].pop(0)
        visits = [int(activity.idx) for activity in route if activity.is_client()]  # client c is unit c mod n, reversed when c ≥ n
        steps = [(int(arcs[client % n_arcs]), client >= n_arcs) for client in visits]
        routes[int(everyone[vehicle])] = steps
    walks = _walks(problem, routes)
    served = {step.segment_id for walk in walks for step in walk.steps}
    seconds = time.perf_counter() - clock
    return Plan(walks, _unserved(problem, reasons, served), "PyVRP (hybrid genetic search, whole instance)", seed, seconds, seconds,
                service_bound=plan_bounds(problem).service)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--cases", nargs="+", default=["demo", "paris16", "paris3k"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS),
                        help="methods to run (baseline and organiser are always run: the ratios need them)")
    parser.add_argument("--peer", choices=["pyvrp"], help="also run a peer solver on the same model for the same seconds "
                        "(pip install -e '.[bench]')")
    args = parser.parse_args()
    chosen = list(dict.fromkeys(["baseline", "organiser", *args.methods])) + ([args.peer] if args.peer else [])
    if QUICK:
        args.cases, args.time_limit = ["demo"], 3.0
    rows = []
    print(f"{'case':8} {'segs':>5} {'teams':>5} {'method':10} {'value':>8} {'doors':>6} {'÷serv':>6} {'÷zero':>6} {'÷base v/d':>10} "
          f"{'÷org v/d':>10} {'betw %':>6} {'along %':>7} {'first s':>7} {'total s':>7} {'MiB':>6}")
    for name, territory, params, team_counts in territories(args.cases):
        scores = score_territory(territory, params)
        for n_teams in team_counts:
            problem = build_problem(territory.segments, scores.segments, teams_at(territory, n_teams))
            bounds = plan_bounds(problem)
            print(f"{name:8} {problem.n_segments:5d} {n_teams:5d} bounds: service {bounds.service:.1f}, zero walking {bounds.zero_walking:.1f}, "
                  f"{bounds.n_units} units some team can do alone (value out of reach {bounds.out_of_reach_value:.1f})")
            runs = {method: measured(method, problem, args.time_limit, args.seed) for method in chosen}
            plans = {method: plan for method, (plan, _) in runs.items()}
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
                    "first_feasible_s": round(plan.seconds_to_first, 2), "seconds": round(plan.seconds, 1), "peak_mib": round(runs[method][1]),
                    "service_bound": round(bounds.service, 1), "zero_walking_bound": round(bounds.zero_walking, 1),
                }
                rows.append(row)
                print(f"{name:8} {problem.n_segments:5d} {n_teams:5d} {method:10} {row['value']:8.1f} {row['doors']:6d} {row['to_service_bound']:6.2f} "
                      f"{row['to_zero_walking_bound']:6.2f} {row['value_to_baseline']:5.2f}/{row['doors_to_baseline']:4.2f} "
                      f"{row['value_to_organiser']:5.2f}/{row['doors_to_organiser']:4.2f} {100 * row['between_share']:6.1f} "
                      f"{100 * row['along_share']:7.1f} {row['first_feasible_s']:7.2f} {row['seconds']:7.1f} {row['peak_mib']:6d}", flush=True)
    write_rows(rows, "plan")


if __name__ == "__main__":
    main()
