"""CARPLIB reader, engine instance and independent checker of :mod:`canvass.plan.carp`."""

from __future__ import annotations

import pytest

from canvass.errors import InputDataError
from canvass.plan.carp import check_carp_solution, read_carp, to_arc_instance
from canvass.plan.construct import giant_tour_split
from canvass.plan.engine import solve
from tests.helpers import DATA, bench


TRIANGLE = """\
 NOMBRE : triangle
 VERTICES : 3
 ARISTAS_REQ : 3
 ARISTAS_NOREQ : 0
 VEHICULOS : 2
 CAPACIDAD : 2
 LISTA_ARISTAS_REQ :
 ( 1, 2)  coste 4 demanda 1
 ( 2, 3)  coste 3 demanda 1
 ( 1, 3)  coste 5 demanda 1
 DEPOSITO :   1
"""


def solved(carp, seconds: float):
    """Engine solution of ``carp`` from a split start (seeded), for ``seconds``."""
    instance = to_arc_instance(carp)
    start = giant_tour_split(instance, seed=0)
    start += [[] for _ in range(instance.n_vehicles - len(start))]
    return solve(instance, initial=start, time_limit_s=seconds, seed=0, perturb=True)


def test_reads_gdb1():
    carp = read_carp(bench("carp/gdb/gdb1.dat"))
    assert (carp.name, carp.n_vertices, carp.n_required, carp.capacity, carp.base) == ("gdb1", 12, 22, 5, 1)
    assert carp.depot == 0  # DEPOSITO 1 in a 1-based file
    assert carp.required[0].tolist() == [0, 1, 13, 1]  # ( 1, 2) coste 13 demanda 1
    assert carp.required[:, 2].sum() == 252  # COSTE_TOTAL_REQ
    assert carp.non_required.shape == (0, 3)


def test_reads_hefei_as_zero_based():
    carp = read_carp(bench("carp-large/hefei/Hefei-1.txt"))
    assert (carp.n_vertices, carp.n_required, len(carp.non_required), carp.base, carp.depot) == (850, 121, 1091, 0, 0)
    assert carp.required[0].tolist() == [7, 8, 195, 195]  # ( 7, 8) kept as is
    assert carp.required[:, 2].sum() == 54773
    assert to_arc_instance(carp).deadhead.shape[0] <= 2 * 121 + 1


def test_parallel_edges_stay_separate_tasks_and_deadhead_takes_the_cheapest():
    carp = read_carp(DATA / "carp_parallel_edges.dat")
    assert carp.required[:, :3].tolist() == [[0, 1, 10], [0, 1, 4], [1, 2, 2]]
    instance = to_arc_instance(carp)
    assert instance.n_arcs == 3
    depot, two, three = instance.starts[0], instance.arc_ends[2, 0], instance.arc_ends[2, 1]
    assert instance.deadhead[depot, two] == 3  # the non-required (2, 1) of cost 3, not 10 or 4
    assert instance.deadhead[three, depot] == 5  # 3 -> 2 -> 1 (2 + 3) beats the direct 9
    # 1 -> 2 serving edge 0, 2 -> 3 serving edge 2, deadhead 3 -> 2, 2 -> 1 serving edge 1: 16 + 2.
    check = check_carp_solution(carp, [[(0, False), (2, False), (1, True)]])
    assert (check.cost, check.violations) == (18, ())


def test_missing_depot_is_reported():
    with pytest.raises(InputDataError, match="DEPOSITO line is missing"):
        read_carp(DATA / "carp_missing_depot.dat")


def test_bad_edge_line_is_reported_with_its_line():
    with pytest.raises(InputDataError, match=r"edge line does not parse(.|\n)*line 11"):
        read_carp(DATA / "carp_bad_edge_line.dat")


def test_missing_capacity_and_vertex_out_of_range_are_reported(tmp_path):
    no_capacity = tmp_path / "no_capacity.dat"
    no_capacity.write_text(TRIANGLE.replace(" CAPACIDAD : 2\n", ""))
    with pytest.raises(InputDataError, match="CAPACIDAD line is missing"):
        read_carp(no_capacity)
    out_of_range = tmp_path / "out_of_range.dat"
    out_of_range.write_text(TRIANGLE.replace("( 2, 3)", "( 2, 4)"))
    with pytest.raises(InputDataError, match=r"vertex 4 is out of range(.|\n)*line 9"):
        read_carp(out_of_range)


def test_checker_catches_corrupted_solutions():
    carp = read_carp(bench("carp/gdb/gdb1.dat"))
    routes = [list(route) for route in giant_tour_split(to_arc_instance(carp), seed=0)]
    assert check_carp_solution(carp, routes).violations == ()
    twice = [route + [route[0]] if k == 0 else route for k, route in enumerate(routes)]
    assert any("served 2 times" in v for v in check_carp_solution(carp, twice).violations)
    missing_edge = routes[0][-1][0]
    missing = [route[:-1] if k == 0 else route for k, route in enumerate(routes)]
    assert check_carp_solution(carp, missing).violations == (f"required edge {missing_edge} (" + ", ".join(
        map(str, carp.required[missing_edge, :2])) + ") is not served",)
    overloaded = [[step for route in routes[:2] for step in route], *routes[2:]]
    assert any("exceeds the capacity 5" in v for v in check_carp_solution(carp, overloaded).violations)


@pytest.mark.parametrize("relative", ["carp/gdb/gdb1.dat", "carp/val/val1A.dat"])
def test_checker_reproduces_the_engine_objective(relative):
    carp = read_carp(bench(relative))
    solution = solved(carp, 2.0)
    check = check_carp_solution(carp, solution.routes)
    assert check.violations == ()
    assert check.cost == solution.objective


def test_triangle_solved_to_its_known_optimum(tmp_path):
    """Triangle 1-2-3, depot 1, all three edges required with demand 1, capacity 2: optimum 20.

    Edges (1,2) cost 4, (2,3) cost 3, (1,3) cost 5; shortest paths are the
    edges themselves. Capacity 2 needs two routes, a pair and a single:

    - {(1,3), (3,2)} as 1→3→2 then deadhead 2→1: 5+3+4 = 12, plus (1,2) out
      and back: 8 — total **20**;
    - {(1,2), (2,3)} as 1→2→3 then deadhead 3→1: 12, plus (1,3): 10 — 22;
    - {(1,2), (1,3)} as 1→2, deadhead 2→3, 3→1: 4+3+5 = 12, plus (2,3) as
      1→2→3→1: 4+3+5 = 12 — 24;
    - three singles: 8 + 12 + 10 = 30.
    """
    path = tmp_path / "triangle.dat"
    path.write_text(TRIANGLE)
    carp = read_carp(path)
    solution = solved(carp, 1.0)
    assert solution.objective == 20
    check = check_carp_solution(carp, solution.routes)
    assert (check.cost, check.violations) == (20, ())
    served = sorted(sorted(arc for arc, _ in route) for route in solution.routes if route)
    assert served == [[0], [1, 2]]


def tight_fleet():
    """Four arcs of demand 2, 2, 1, 1 (capacity 3) and two vehicles: only a 2 paired with a 1 fits, so a cut of a tour
    with the two 2s side by side needs three routes."""
    import numpy as np

    from canvass.plan.engine import ArcInstance

    deadhead = np.where(np.eye(9, dtype=bool), 0, 1).astype(np.int64)
    return ArcInstance(
        deadhead=deadhead, arc_ends=np.array([[1, 2], [3, 4], [5, 6], [7, 8]]), service=np.full(4, 5), demand=np.array([2, 2, 1, 1]),
        prize=None, starts=np.zeros(2, dtype=np.int64), ends=np.zeros(2, dtype=np.int64), capacity=np.full(2, 3), mode="load",
    )


def test_resplit_never_makes_more_routes_than_vehicles():
    import numpy as np

    from canvass.plan.construct import split
    from canvass.plan.engine import _perturb

    instance = tight_fleet()
    assert len(split(instance, [(0, False), (1, False), (2, False), (3, False)])[0]) == 3  # the case that crashed
    start = [[(0, False), (2, False)], [(1, False), (3, False)]]  # every vehicle used
    for seed in range(40):
        routes = _perturb(instance, [list(route) for route in start], np.random.default_rng(seed))
        assert len(routes) == instance.n_vehicles
        assert sorted(arc for route in routes for arc, _ in route) == [0, 1, 2, 3]
        assert all(sum(int(instance.demand[arc]) for arc, _ in route) <= 3 for route in routes)
    solution = solve(instance, initial=start, time_limit_s=1.0, seed=0, perturb=True)
    assert len(solution.routes) == 2 and sorted(arc for route in solution.routes for arc, _ in route) == [0, 1, 2, 3]
    assert solution.status == "ok" and solution.objective == 4 * 5 + 2 * 3  # service, and out, across and back per route


def test_a_start_with_more_routes_than_vehicles_is_refused():
    from canvass.errors import PlanningError

    with pytest.raises(PlanningError, match="3 routes for 2 vehicles"):
        solve(tight_fleet(), initial=[[(0, False)], [(1, False), (2, False)], [(3, False)]], time_limit_s=0.5)
