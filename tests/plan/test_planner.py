"""The planner on small networks: known optimum, checker, budgets, locks, exclusions, bad inputs."""

import itertools
from dataclasses import replace

import numpy as np
import pytest

from canvass.errors import PlanningError
from canvass.plan.baseline import baseline_plan
from canvass.plan.check import check_plan
from canvass.plan.construct import greedy_orienteering
from canvass.plan.problem import build_problem
from canvass.plan.result import Plan
from canvass.plan.solve import _arc_instance, _candidates, _unserved, _walks, plan_walks
from canvass.plan.teams import Team


def team(name="A", xy=(0.0, 0.0), minutes=1100 / 60, size=2, speed=3.6, **kwargs):
    return Team(name, size, xy, minutes, speed_kmh=speed, minutes_per_door=1.0, **kwargs)


def test_star_optimum(star):
    segments, values = star
    problem = build_problem(segments, values, [team()])
    plan = plan_walks(problem, time_limit_s=1, seed=0)
    served = {step.segment_id for step in plan.walks[0].steps}
    assert served == {1, 2}
    assert plan.totals()["value"] == pytest.approx(18)
    # Brute force over every ordered subset confirms 18 is the best that fits 1,100 s.
    best = 0
    for k in range(4):
        for subset in itertools.permutations(range(3), k):
            seconds = 500 * len(subset)
            if seconds <= 1100:
                best = max(best, sum(values["value"].iloc[list(subset)]))
    assert best == 18
    check = check_plan(problem, plan)
    assert check.ok, check.violations
    assert check.minutes["A"] == pytest.approx(1000 / 60)
    assert plan.unserved.set_index("segment_id").loc[0, "reason"] == "budget"


def test_open_walk_saves_the_way_back(star):
    segments, values = star
    # Without coming back, 1,100 s fit spoke, back, spoke, back, spoke minus the last return: 1,400 s needed for three.
    problem = build_problem(segments, values, [team(minutes=1400 / 60, return_to_start=False)])
    plan = plan_walks(problem, time_limit_s=1, seed=0)
    assert len(plan.walks[0].steps) == 3 and plan.walks[0].return_m == 0
    assert check_plan(problem, plan).ok


def test_checker_catches_a_corrupted_plan(grid):
    segments, values = grid
    teams = [team("A", (0, 0), 40), team("B", (480, 480), 40)]
    problem = build_problem(segments, values, teams)
    plan = plan_walks(problem, time_limit_s=2, seed=0)
    assert check_plan(problem, plan).ok
    a, b = plan.walks
    stolen = replace(b, steps=b.steps + (a.steps[0],))
    assert any("already walked by A" in v for v in check_plan(problem, replace(plan, walks=(a, stolen))).violations)
    bent = replace(a, steps=(replace(a.steps[0], approach_m=a.steps[0].approach_m + 250),) + a.steps[1:])
    assert any("approach" in v for v in check_plan(problem, replace(plan, walks=(bent, b))).violations)
    long = replace(a, steps=a.steps + tuple(s for s in b.steps))
    violations = check_plan(problem, replace(plan, walks=(long, replace(b, steps=()))))
    assert any("minutes for a budget of 40" in v for v in violations.violations)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_instances_respect_every_rule(grid, seed):
    segments, values = grid
    rng = np.random.default_rng(seed)
    ids = segments["segment_id"].to_numpy()
    done = set(rng.choice(ids, 8, replace=False).tolist())
    forbidden = set(rng.choice(sorted(set(ids) - done), 5, replace=False).tolist())
    near_b = int(np.argmin(segments.geometry.distance(segments.geometry.iloc[0].__class__([(480, 480), (400, 480)]))))
    locked = {near_b: "B"} if near_b not in done | forbidden else {}
    teams = [team("A", (0, 0), 45), team("B", (480, 480), 45), team("C", (240, 0), 30, size=4)]
    problem = build_problem(segments, values, teams, done=done, forbidden=forbidden, locked=locked)
    plan = plan_walks(problem, time_limit_s=2, seed=seed)
    check = check_plan(problem, plan)
    assert check.ok, check.violations
    walked = [step.segment_id for walk in plan.walks for step in walk.steps]
    assert len(walked) == len(set(walked))
    assert not (set(walked) & (done | forbidden))
    for segment in locked:
        assert segment in {step.segment_id for step in plan.walks[1].steps}
    reasons = plan.unserved.set_index("segment_id")["reason"]
    assert set(reasons.loc[list(done)]) == {"done"} and set(reasons.loc[list(forbidden)]) == {"forbidden"}
    for walk in plan.walks:
        assert walk.minutes <= walk.budget_minutes + 1.0


def test_planner_beats_the_baseline_on_value(grid):
    segments, values = grid
    teams = [team("A", (240, 240), 40), team("B", (240, 240), 40)]
    problem = build_problem(segments, values, teams)
    ours, baseline = plan_walks(problem, time_limit_s=2, seed=0), baseline_plan(problem, seed=0)
    assert check_plan(problem, baseline).ok
    assert ours.totals()["value"] >= baseline.totals()["value"]


def test_nearest_first_walks_on_until_nothing_fits(grid):
    """A unit that does not fit the time left is skipped, not the end of the walk: when the walk ends, no unit left would fit."""
    from canvass.plan.baseline import nearest_first

    segments, values = grid
    problem = build_problem(segments, values, [team("A", (240, 240), 25)])
    candidates, _ = _candidates(problem)
    route = nearest_first(problem, 0, candidates)
    plan = replace(baseline_plan(problem), walks=_walks(problem, {0: route}), unserved=_unserved(problem, {}, {int(problem.segment_id[s]) for s, _ in route}))
    assert check_plan(problem, plan).ok
    walk = plan.walks[0]
    last = int(problem.head[route[-1][0]] if not route[-1][1] else problem.tail[route[-1][0]])
    left = sorted(set(candidates.tolist()) - {s for s, _ in route})
    distance = problem.network.distances([last, int(problem.start_node[0])])
    speed = problem.teams[0].metres_per_second
    ends = np.column_stack([problem.tail[left], problem.head[left]])
    # Cheapest way to add each unit left at the end: reach one end, walk it, come back from the other.
    extra = np.minimum(distance[0, ends[:, 0]] + distance[1, ends[:, 1]], distance[0, ends[:, 1]] + distance[1, ends[:, 0]]) / speed
    extra += problem.service_seconds(problem.teams[0])[left] - distance[1, last] / speed
    assert (walk.minutes * 60 + extra > 25 * 60).all()
    assert len(route) < len(candidates)


def test_organiser_plan_is_sound_and_puts_value_first(grid):
    from canvass.plan.organiser import organiser_plan

    segments, values = grid
    problem = build_problem(segments, values, [team("A", (0, 0), 40), team("B", (480, 480), 40), team("C", (0, 480), 25)])
    organiser, baseline = organiser_plan(problem, seed=0), baseline_plan(problem, seed=0)
    assert check_plan(problem, organiser).ok
    assert organiser.params["variant"]["fill"] in organiser.params["fills"]
    density = [plan.totals()["value"] / plan.totals()["n_doors"] for plan in (organiser, baseline)]
    assert density[0] > density[1]  # ranked by value per minute, it knocks at doors worth more


def test_same_seed_same_start(grid):
    segments, values = grid
    problem = build_problem(segments, values, [team("A", (0, 0), 40), team("B", (480, 0), 40)])
    candidates, _ = _candidates(problem)
    instance, _ = _arc_instance(problem, np.arange(2), candidates)
    assert greedy_orienteering(instance, seed=3) == greedy_orienteering(instance, seed=3)
    assert baseline_plan(problem, seed=3).walks == baseline_plan(problem, seed=3).walks


def test_meeting_place_off_the_network(star):
    segments, values = star
    with pytest.raises(PlanningError, match=r"meeting place too far from every street of the territory: A \(1900 m\)"):
        build_problem(segments, values, [team(xy=(2000, 0))])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [(dict(minutes=0), "0 minutes"), (dict(size=0), "size 0"), (dict(speed=0), "speed 0")],
)
def test_impossible_teams(kwargs, message):
    with pytest.raises(PlanningError, match=message):
        team(**kwargs)


def test_no_team_and_duplicate_names(star):
    segments, values = star
    with pytest.raises(PlanningError, match="no team"):
        build_problem(segments, values, [])
    with pytest.raises(PlanningError, match="team names must be unique: A"):
        build_problem(segments, values, [team(), team()])


def test_nothing_to_canvass_gives_an_empty_plan(star):
    segments, values = star
    problem = build_problem(segments, values.assign(value=0.0, n_doors=0.0), [team()])
    plan = plan_walks(problem, time_limit_s=1)
    assert plan.walks[0].steps == () and set(plan.unserved["reason"]) == {"no doors"}
    assert check_plan(problem, plan).ok


def test_unreachable_streets_are_said_so(star):
    segments, values = star
    island, island_values = star
    island = island.assign(segment_id=island["segment_id"] + 10, node_from=island["node_from"] + 50, node_to=island["node_to"] + 50)
    island["geometry"] = island.geometry.translate(5000, 0)
    both = island.__class__(__import__("pandas").concat([segments, island], ignore_index=True), crs=2154)
    problem = build_problem(both, __import__("pandas").concat([values, island_values.assign(segment_id=island_values["segment_id"] + 10)]), [team()])
    plan = plan_walks(problem, time_limit_s=1)
    reasons = plan.unserved.set_index("segment_id")["reason"]
    assert set(reasons.loc[[10, 11, 12]]) == {"unreachable"}
    assert isinstance(plan, Plan) and check_plan(problem, plan).ok


def test_stop_keeps_the_best_plan_so_far(grid):
    from canvass.plan.job import PlanJob

    segments, values = grid
    problem = build_problem(segments, values, [team("A", (0, 0), 40), team("B", (480, 480), 40)])
    job = PlanJob(problem, time_limit_s=60).start()
    job.stop()
    job.join(timeout=20)
    assert job.done and job.error is None
    assert job.plan.seconds < 20 and check_plan(problem, job.plan).ok
    assert job.plan.totals()["n_segments"] > 0


def test_engine_objective_recomputed_equals_or_tools(grid):
    from canvass.plan import engine

    segments, values = grid
    problem = build_problem(segments, values, [team("A", (0, 0), 40), team("B", (480, 480), 40)])
    candidates, _ = _candidates(problem)
    instance, _ = _arc_instance(problem, np.arange(2), candidates)
    solution = engine.solve(instance, initial=greedy_orienteering(instance), time_limit_s=1, perturb=False)
    search = engine._Search(instance, neighbours=None)
    assert search.objective(solution.routes) == solution.objective


def test_teams_from_the_app_table(star):
    from canvass.errors import InputDataError
    from canvass.plan.teams import teams_from_rows

    places = {"Bureau 1 – Mairie": (0.0, 0.0)}
    rows = [{"nom": "Équipe A", "taille": 4, "rendez_vous": "Bureau 1 – Mairie", "adresse": "", "minutes": 90, "vitesse_kmh": 3.5, "minutes_par_porte": 1.0}]
    (only,) = teams_from_rows(rows, places, None)
    assert only.start_xy == (0.0, 0.0) and only.n_pairs == 2 and only.minutes == 90
    with pytest.raises(InputDataError, match="cannot be looked up: the territory has no address points"):
        teams_from_rows([rows[0] | {"adresse": "12 rue Victor Hugo"}], places, None)
    with pytest.raises(InputDataError, match="has no meeting place"):
        teams_from_rows([rows[0] | {"rendez_vous": "ailleurs"}], places, None)


def test_plan_on_the_real_paris_streets():
    """Paris 16e, real OSM ways (2,388 segments), doors from registered voters: a checked plan beating the baseline."""
    from canvass.scores.camps import Camp
    from canvass.scores.score import score_territory
    from canvass.scores.strategies import ScoreParams
    from canvass.territory.build import build_territory
    from tests.helpers import real

    territory = build_territory(real("paris-16e"), ["75116"])
    scores = score_territory(territory, ScoreParams(camp=Camp.parse(["2017_pres=MACRON", "2020_muni=SEBBAH"])))
    place = territory.bureaux.set_index("bureau_id").geometry.representative_point()["75056_1604"]
    teams = [team(f"Équipe {i}", (place.x, place.y), 60, speed=3.5) for i in range(3)]
    problem = build_problem(territory.segments, scores.segments, teams)
    plan, baseline = plan_walks(problem, time_limit_s=4, seed=0), baseline_plan(problem, seed=0)
    assert check_plan(problem, plan).ok and check_plan(problem, baseline).ok
    assert plan.totals()["value"] > baseline.totals()["value"]
    assert plan.totals()["walking_share"] < 0.5


def test_plan_says_how_good_it_is_and_keeps_it_on_disk(grid, tmp_path):
    from types import SimpleNamespace

    from canvass.plan.bounds import plan_bounds
    from canvass.plan.io import load_plan, save_plan

    segments, values = grid
    teams = [team("A", (0, 0), 40), team("B", (480, 480), 40)]
    problem = build_problem(segments, values, teams)
    plan = plan_walks(problem, time_limit_s=1, seed=0)
    bound = plan_bounds(problem).service
    share = sum(walk.value for walk in plan.walks) / bound
    assert plan.service_bound == pytest.approx(bound) and 0 < share <= 1
    assert f"ce plan atteint {round(100 * share)} % du maximum théorique" in plan.summary()
    assert baseline_plan(problem).share_of_bound < share
    save_plan(plan, teams, SimpleNamespace(segments=segments, communes=("29999",)), tmp_path / "plan.gpkg")
    loaded, _, _ = load_plan(tmp_path / "plan.gpkg")
    assert loaded.service_bound == pytest.approx(bound) and loaded.totals()["share_of_bound"] == pytest.approx(share)


def test_regions_keep_meeting_places_whole_and_size_by_team_time(grid):
    """Above the size limit, each meeting place's teams plan one region together, sized by their minutes, not one turf per team."""
    from canvass.plan.solve import regions

    segments, values = grid
    teams = [team("A", (0, 0), 20), team("B", (0, 0), 20), team("C", (480, 480), 20), team("D", (480, 480), 20)]
    problem = build_problem(segments, values, teams)
    candidates, _ = _candidates(problem)
    groups = regions(problem, candidates, np.random.default_rng(0), max_units=len(candidates), fill=1.5)
    assert sorted(tuple(ids) for ids, _ in groups) == [(0, 1), (2, 3)]
    drawn = np.concatenate([units for _, units in groups])
    assert len(drawn) == len(set(drawn.tolist())) and set(drawn.tolist()) <= set(candidates.tolist())
    for ids, units in groups:
        work = problem.service_seconds(teams[ids[0]])[units].sum()
        assert 0 < work <= 1.5 * sum(teams[t].minutes * 60 for t in ids)
        # The region's units lie around its own meeting place.
        xy = problem.network.node_xy[problem.tail[units]]
        assert np.linalg.norm(xy - np.array(teams[ids[0]].start_xy), axis=1).mean() < 340
    # A meeting place whose area is over the limit is cut into sectors, each with its share of the teams.
    split = regions(problem, candidates, np.random.default_rng(0), max_units=5, fill=1.5)
    assert sorted(tuple(ids) for ids, _ in split) == [(0,), (1,), (2,), (3,)]
    plan = plan_walks(problem, time_limit_s=2, seed=0, decompose_above=10)
    assert plan.method.endswith("(regions first)") and check_plan(problem, plan).ok
    assert plan.totals()["value"] >= baseline_plan(problem, seed=0).totals()["value"]
