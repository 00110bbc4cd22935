"""The arc-routing engine on OR-Tools: vehicles serve required arcs, each once and in either direction.

One engine serves both problems of the project:

- canvassing: teams (vehicles) with a time budget collect the value of the
  street segments they walk (prize-collecting; a dropped segment costs its
  value), walking between segments costs time;
- the classic capacitated arc routing problem (CARP), used to measure the
  search: every arc must be served, vehicles carry a load capacity, the
  objective is total cost.

Each required arc becomes two routing nodes, one per direction, joined in one
disjunction (serve it one way, the other, or — when it has a prize — not at
all). Costs are precomputed as a matrix handed to OR-Tools' C++ side (no Python
callback in the search). The search starts from a constructive solution (see
:mod:`canvass.plan.construct`), runs OR-Tools' guided local search, then
iterates: perturb the solution, search again for a short slice, accept with an
annealing rule. Plain guided local search for the whole time stays available
(``perturb=False``) as the baseline. Measured on the classic CARP sets (see
``benchmarks/bench_carp.py``), the outer loop is on a par with plain guided
local search (within ±1 %), not better: both stall a few per cent above the
best-known values on val, egl and Hefei. (OR-Tools 9.15's own
``use_iterated_local_search`` flag was tried too and changed nothing from a
given start.)
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from canvass.errors import PlanningError

ProgressCallback = Callable[[float, str], None]
RESPLIT_ATTEMPTS = 5
"""Shuffles tried by a re-split perturbation before it keeps the solution as it is."""


@dataclass(frozen=True)
class ArcInstance:
    """An arc-routing instance over ``K`` key nodes (arc ends and depots), all integers.

    Attributes
    ----------
    deadhead
        (K, K) cost of going from one key node to another without serving (shortest path).
    arc_ends
        (A, 2) key nodes of each required arc.
    service
        (A,) cost of serving each arc (walking it while working it); counted in the objective
        only when ``cost_includes_service`` (CARP), and always in the ``time`` capacity.
    demand
        (A,) load of each arc on the ``load`` capacity.
    prize
        (A,) penalty for leaving an arc unserved, or None when every arc is mandatory.
    starts, ends
        (V,) key node where each vehicle starts and ends.
    capacity
        (V,) per-vehicle limit: load (``mode="load"``) or time (``mode="time"``).
    allowed
        Optional list, one entry per arc: the vehicles allowed to serve it (None = any).
    time_classes
        For ``mode="time"`` with vehicles that walk or work at different paces:
        one ``(vehicle_ids, travel_factor, service)`` per class, where the
        class's time is ``travel_factor`` × deadhead + its own ``service`` (A,).
        Vehicles of no class use ``deadhead`` and ``service`` as they are.
    """

    deadhead: np.ndarray
    arc_ends: np.ndarray
    service: np.ndarray
    demand: np.ndarray
    prize: np.ndarray | None
    starts: np.ndarray
    ends: np.ndarray
    capacity: np.ndarray
    mode: str = "load"
    cost_includes_service: bool = True
    allowed: tuple | None = None
    time_classes: tuple | None = None

    def __post_init__(self):
        n_keys = len(self.deadhead)
        if self.deadhead.shape != (n_keys, n_keys):
            raise PlanningError(f"deadhead matrix must be square, got {self.deadhead.shape}")
        if self.arc_ends.ndim != 2 or self.arc_ends.shape[1] != 2:
            raise PlanningError("arc_ends must have two columns")
        n_arcs = len(self.arc_ends)
        for name in ("service", "demand"):
            if len(getattr(self, name)) != n_arcs:
                raise PlanningError(f"{name} has {len(getattr(self, name))} values for {n_arcs} arcs")
        if self.prize is not None and len(self.prize) != n_arcs:
            raise PlanningError(f"prize has {len(self.prize)} values for {n_arcs} arcs")
        if not (len(self.starts) == len(self.ends) == len(self.capacity)) or len(self.starts) == 0:
            raise PlanningError("starts, ends and capacity must describe the same vehicles, at least one")
        if self.mode not in ("load", "time"):
            raise PlanningError(f"mode {self.mode!r} not understood; use 'load' or 'time'")
        keys = np.concatenate([self.arc_ends.ravel(), self.starts, self.ends])
        if keys.size and (keys.min() < 0 or keys.max() >= n_keys):
            raise PlanningError("an arc end or depot is not a key node of the deadhead matrix")
        if not np.isfinite(self.deadhead).all():
            raise PlanningError("the deadhead matrix has unreachable pairs; drop what cannot be reached first")
        for array in (self.deadhead, self.arc_ends, self.service, self.demand, self.prize, self.starts, self.ends, self.capacity):
            if array is not None:
                array.flags.writeable = False

    @property
    def n_arcs(self) -> int:
        return len(self.arc_ends)

    def time_model(self, vehicle: int) -> tuple[float, np.ndarray]:
        """``(travel factor, service)`` giving a vehicle's time: factor × deadhead + service (``time`` mode)."""
        for vehicles, factor, service in self.time_classes or ():
            if vehicle in set(map(int, vehicles)):
                return float(factor), np.asarray(service)
        return 1.0, self.service

    @property
    def n_vehicles(self) -> int:
        return len(self.starts)


@dataclass(frozen=True)
class ArcSolution:
    """Routes as lists of ``(arc, reversed)``; ``objective`` as OR-Tools counts it."""

    routes: tuple[tuple[tuple[int, bool], ...], ...]
    objective: int
    first_objective: int
    seconds_to_first: float
    seconds: float
    history: tuple[tuple[float, int], ...] = field(default_factory=tuple)
    status: str = "ok"
    """``ok`` when OR-Tools answered at least once; ``start kept`` when it returned nothing in time and the start stands."""

    def served(self, n_arcs: int) -> np.ndarray:
        """Boolean mask of served arcs."""
        mask = np.zeros(n_arcs, dtype=bool)
        for route in self.routes:
            for arc, _ in route:
                mask[arc] = True
        return mask


def route_cost(instance: ArcInstance, route) -> tuple[int, int, int]:
    """(deadhead, service, load) of one route, recomputed from the instance (for checkers and moves)."""
    deadhead, service, load = 0, 0, 0
    position = None
    for arc, reverse in route:
        start, end = instance.arc_ends[arc][::-1] if reverse else instance.arc_ends[arc]
        deadhead += int(instance.deadhead[position, start]) if position is not None else 0
        service += int(instance.service[arc])
        load += int(instance.demand[arc])
        position = end
    return deadhead, service, load


class _Search:
    """The OR-Tools model of one instance, built once and searched many times from different starts."""

    def __init__(self, instance: ArcInstance, *, neighbours: int | None):
        self.instance = instance
        self.answered = 0  # searches that returned a solution
        n_vehicles, n_arcs = instance.n_vehicles, instance.n_arcs
        depot_keys = np.unique(np.concatenate([instance.starts, instance.ends]))
        self.n_depots = n_depots = len(depot_keys)
        depot_node = {int(key): index for index, key in enumerate(depot_keys)}
        # Routing nodes: depots, then each arc forwards, then each arc backwards.
        first_key = np.concatenate([depot_keys, instance.arc_ends[:, 0], instance.arc_ends[:, 1]])
        last_key = np.concatenate([depot_keys, instance.arc_ends[:, 1], instance.arc_ends[:, 0]])
        service = np.concatenate([np.zeros(n_depots), instance.service, instance.service]).astype(np.int64)
        demand = np.concatenate([np.zeros(n_depots), instance.demand, instance.demand]).astype(np.int64)
        travel = instance.deadhead.astype(np.int64)[np.ix_(last_key, first_key)]  # end of one node to start of the next
        transit = travel + service[None, :]
        np.fill_diagonal(transit, 0)
        cost = transit if instance.cost_includes_service else travel
        np.fill_diagonal(cost, 0)
        self.cost = cost
        self.start_node = [depot_node[int(k)] for k in instance.starts]
        self.end_node = [depot_node[int(k)] for k in instance.ends]
        self.manager = manager = pywrapcp.RoutingIndexManager(
            len(first_key), n_vehicles, [depot_node[int(k)] for k in instance.starts], [depot_node[int(k)] for k in instance.ends]
        )
        self.routing = routing = pywrapcp.RoutingModel(manager)
        cost_index = routing.RegisterTransitMatrix(cost.tolist())
        routing.SetArcCostEvaluatorOfAllVehicles(cost_index)
        capacities = [int(c) for c in instance.capacity]
        if instance.mode == "load":
            capacity_index = routing.RegisterUnaryTransitVector(demand.tolist())
            routing.AddDimensionWithVehicleCapacity(capacity_index, 0, capacities, True, "capacity")
        elif instance.time_classes is None:
            capacity_index = cost_index if instance.cost_includes_service else routing.RegisterTransitMatrix(transit.tolist())
            routing.AddDimensionWithVehicleCapacity(capacity_index, 0, capacities, True, "capacity")
        else:
            default = routing.RegisterTransitMatrix(transit.tolist())
            per_vehicle = [default] * n_vehicles
            for vehicles, factor, class_service in instance.time_classes:
                node_service = np.concatenate([np.zeros(n_depots), class_service, class_service]).astype(np.int64)
                class_transit = np.rint(travel * factor).astype(np.int64) + node_service[None, :]
                np.fill_diagonal(class_transit, 0)
                index = routing.RegisterTransitMatrix(class_transit.tolist())
                for vehicle in vehicles:
                    per_vehicle[int(vehicle)] = index
            routing.AddDimensionWithVehicleTransitAndCapacity(per_vehicle, 0, capacities, True, "capacity")
        for arc in range(n_arcs):
            nodes = [manager.NodeToIndex(n_depots + arc), manager.NodeToIndex(n_depots + n_arcs + arc)]
            if instance.prize is None:
                routing.AddDisjunction(nodes)
            else:
                routing.AddDisjunction(nodes, int(instance.prize[arc]))

        self.params = pywrapcp.DefaultRoutingSearchParameters()
        self.params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
        self.params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
        self.params.log_search = bool(os.environ.get("CANVASS_LOG_SEARCH"))
        self.params.time_limit.FromSeconds(1)  # replaced at each run; OR-Tools wants one before closing
        if neighbours is not None:
            self.params.ls_operator_neighbors_ratio = min(1.0, neighbours / max(1, len(first_key)))
            self.params.ls_operator_min_neighbors = neighbours

    def close(self) -> None:
        """Close the model once every callback is registered, then restrict arcs to their allowed vehicles.

        Vehicle variables exist only in a closed model (reaching them earlier closes it with
        default parameters), and ``SetAllowedVehiclesForIndex`` does not take a Python list
        in OR-Tools 9.15's bindings: hence domains set here.
        """
        self.routing.CloseModelWithParameters(self.params)
        instance, n_arcs = self.instance, self.instance.n_arcs
        if instance.allowed is None:
            return
        for arc, vehicles in enumerate(instance.allowed):
            if vehicles is None:
                continue
            for node in (self.n_depots + arc, self.n_depots + n_arcs + arc):  # -1 keeps "unperformed" possible
                self.routing.VehicleVar(self.manager.NodeToIndex(node)).SetValues([-1] + [int(v) for v in vehicles])

    def objective(self, routes) -> int:
        """The objective of ``routes`` as OR-Tools counts it: arc costs plus the prizes of arcs left out."""
        n_arcs, total = self.instance.n_arcs, 0
        served = set()
        for vehicle, route in enumerate(routes):
            nodes = [self.start_node[vehicle]] + [self.n_depots + arc + (n_arcs if reverse else 0) for arc, reverse in route] + [self.end_node[vehicle]]
            total += int(sum(self.cost[a, b] for a, b in zip(nodes[:-1], nodes[1:])))
            served.update(arc for arc, _ in route)
        if self.instance.prize is not None:
            total += int(sum(int(self.instance.prize[arc]) for arc in range(n_arcs) if arc not in served))
        return total

    def stop_when(self, should_stop: Callable[[], bool]) -> None:
        """Finish the current search at its next solution once ``should_stop()`` is true."""
        solver = self.routing.solver()
        self.routing.AddAtSolutionCallback(lambda: solver.FinishCurrentSearch() if should_stop() else None)

    def run(self, routes: list | None, time_limit_s: float) -> tuple[list[tuple[tuple[int, bool], ...]], int] | None:
        """Guided local search from ``routes`` (or from OR-Tools' own insertion) for ``time_limit_s``."""
        routing, manager, n_arcs = self.routing, self.manager, self.instance.n_arcs
        self.params.time_limit.FromMilliseconds(max(50, int(time_limit_s * 1000)))
        assignment = start = None
        if routes is not None:
            if len(routes) > self.instance.n_vehicles:
                raise PlanningError(f"a start of {len(routes)} routes for {self.instance.n_vehicles} vehicles")
            routes = [list(route) for route in routes] + [[] for _ in range(self.instance.n_vehicles - len(routes))]
            indices = [[manager.NodeToIndex(self.n_depots + arc + (n_arcs if reverse else 0)) for arc, reverse in route] for route in routes]
            start = routing.ReadAssignmentFromRoutes(indices, True)
            if start is not None:
                assignment = routing.SolveFromAssignmentWithParameters(start, self.params)
                if assignment is None:  # out of time before the search could even restore the start: keep the start
                    return [tuple(route) for route in routes], self.objective(routes)
        if assignment is None:
            assignment = routing.SolveWithParameters(self.params)
        self.answered += assignment is not None
        if assignment is None:
            # OR-Tools found nothing in time (or could not read the start): the start, feasible by construction, stands.
            return ([tuple(route) for route in routes], self.objective(routes)) if routes is not None else None
        result = []
        for vehicle in range(self.instance.n_vehicles):
            index, route = routing.Start(vehicle), []
            while not routing.IsEnd(index):
                node = manager.IndexToNode(index)
                if node >= self.n_depots:
                    arc = node - self.n_depots
                    route.append((arc % n_arcs, arc >= n_arcs))
                index = assignment.Value(routing.NextVar(index))
            result.append(tuple(route))
        return result, int(assignment.ObjectiveValue())


def solve(
    instance: ArcInstance,
    *,
    initial: list[list[tuple[int, bool]]] | None = None,
    time_limit_s: float = 10.0,
    seed: int = 0,
    perturb: bool = True,
    neighbours: int | None = None,
    on_progress: ProgressCallback | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> ArcSolution:
    """Solve ``instance`` within ``time_limit_s``: guided local search from ``initial``, then perturb and repeat.

    The outer loop is an iterated local search built around OR-Tools: the best
    solution found is perturbed (:func:`_perturb`: routes concatenated in a
    random order and re-split at least cost when every arc is mandatory; a
    compact group of served arcs removed when arcs carry prizes), then OR-Tools'
    guided local search runs again from it for a short slice; the result
    replaces the current solution when better, or now and then when slightly
    worse (annealing acceptance).

    Parameters
    ----------
    seed
        Seeds the perturbations (OR-Tools' own search is deterministic).
    perturb
        False runs one guided local search for the whole time (the plain
        OR-Tools baseline of the benchmarks).
    neighbours
        Restrict local-search moves to each node's ``neighbours`` closest nodes.
    should_stop
        Polled at each solution: when it returns True the search stops and
        the best solution so far is returned (the app's stop button).

    Raises
    ------
    PlanningError
        If OR-Tools finds no solution (a mandatory arc no vehicle can serve).
    """
    progress = on_progress or (lambda fraction, message: None)
    rng = np.random.default_rng(seed)
    clock = time.perf_counter()
    search = _Search(instance, neighbours=neighbours)
    stop = should_stop or (lambda: False)
    search.stop_when(stop)
    search.close()
    history: list[tuple[float, int]] = []
    elapsed = lambda: time.perf_counter() - clock  # noqa: E731
    # Both modes count building the model against the same clock: plain GLS gets what is left, not the full limit.
    # Half the time in one guided local search, then perturbation rounds of slices as long as the instance is big.
    slice_s = float(np.clip(instance.n_arcs / 40, 1.0, 5.0))
    left = max(0.05, time_limit_s - elapsed())
    found = search.run(initial, left if not perturb else left / 2)
    if found is None:
        raise PlanningError("no solution found: some mandatory arc cannot be served within any vehicle's capacity")
    best = current = found
    history.append((elapsed(), best[1]))
    progress(min(0.99, elapsed() / time_limit_s), f"coût {best[1]}")
    temperature = 0.01
    while perturb and elapsed() < time_limit_s - 0.05 and not stop():
        start = _perturb(instance, [list(route) for route in current[0]], rng)
        candidate = search.run(start, min(slice_s, time_limit_s - elapsed()))
        if candidate is None:
            continue
        if candidate[1] < best[1]:
            best = candidate
            history.append((elapsed(), best[1]))
            progress(min(0.99, elapsed() / time_limit_s), f"coût {best[1]}")
        worse = (candidate[1] - current[1]) / max(1, abs(current[1]))
        if worse < 0 or rng.random() < np.exp(-worse / temperature):
            current = candidate
        temperature = max(1e-4, temperature * 0.95)
    progress(1.0, f"coût {best[1]}")
    return ArcSolution(tuple(tuple(route) for route in best[0]), best[1], history[0][1], history[0][0], elapsed(), tuple(history),
                       "ok" if search.answered else "start kept")


def _perturb(instance: ArcInstance, routes: list[list[tuple[int, bool]]], rng: np.random.Generator) -> list[list[tuple[int, bool]]]:
    """A new start near ``routes``: re-split of shuffled routes (mandatory arcs) or removal of a compact group (prizes)."""
    from canvass.plan.construct import split

    if instance.prize is None and instance.mode == "load" and len(set(map(int, instance.starts))) == 1:
        for _ in range(RESPLIT_ATTEMPTS):
            order = [route for route in routes if route]
            rng.shuffle(order)
            tour = [step for route in order for step in (route if rng.random() < 0.5 else [(arc, not rev) for arc, rev in reversed(route)])]
            if len(tour) > 3:  # and one random segment reversed, so that the split sees new neighbours
                i, j = sorted(rng.choice(len(tour), 2, replace=False))
                tour[i:j] = [(arc, not rev) for arc, rev in reversed(tour[i:j])]
            new_routes, _ = split(instance, tour)
            # A cut into more routes than vehicles (every vehicle used, tightly packed) cannot be a start: shuffle again.
            if len(new_routes) <= instance.n_vehicles:
                return new_routes + [[] for _ in range(instance.n_vehicles - len(new_routes))]
        return routes
    served = [(v, k, arc) for v, route in enumerate(routes) for k, (arc, _) in enumerate(route)]
    if not served:
        return routes
    _, _, seed_arc = served[rng.integers(len(served))]
    key = instance.arc_ends[seed_arc, 0]
    distance = np.minimum(instance.deadhead[key, instance.arc_ends[:, 0]], instance.deadhead[key, instance.arc_ends[:, 1]])
    n_remove = max(2, min(len(served) // 4, int(rng.integers(3, 16))))
    removed = set(np.argsort(distance)[: n_remove].tolist())
    return [[step for step in route if step[0] not in removed] for route in routes]
