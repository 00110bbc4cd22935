"""The classic capacitated arc routing problem (CARP): reading CARPLIB files, building engine instances, checking solutions.

The CARP sets (gdb, val, egl, kshs, Hefei) measure the search of
:mod:`canvass.plan.engine` against published best-known values. Three pieces:

- :func:`read_carp` reads a CARPLIB file (Spanish keywords, ``( u, v) coste c
  demanda d`` lines) into a :class:`CarpInstance`, detecting whether vertices
  are numbered from 1 (classic sets) or from 0 (Hefei);
- :func:`to_arc_instance` turns it into an :class:`~canvass.plan.engine.ArcInstance`
  (shortest paths between the required edges' ends and the depot);
- :func:`check_carp_solution` re-checks a solution from the file's own edges,
  with its own shortest paths, so that a bug in the instance building or in
  the engine cannot hide behind a matching mistake.

The CARP objective is the total cost: the service cost of every required edge
plus deadheading (travel without service), with unlimited identical vehicles of
capacity ``CAPACIDAD``, every route starting and ending at the depot, and no
fixed cost per vehicle.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from canvass.errors import InputDataError
from canvass.plan.engine import ArcInstance

_KEYWORD = re.compile(r"^\s*([A-Z_]+)\s*:\s*(.*?)\s*$")
_EDGE = re.compile(r"^\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)\s*coste\s+(\d+)(?:\s+demanda\s+(\d+))?\s*$")
_SECTIONS = {"LISTA_ARISTAS_REQ": "required", "LISTA_ARISTAS_NOREQ": "non_required"}


@dataclass(frozen=True)
class CarpInstance:
    """A CARP instance as read from a CARPLIB file, vertices renumbered from 0.

    Attributes
    ----------
    name
        The ``NOMBRE`` of the file (its stem when absent).
    n_vertices
        Number of vertices (``VERTICES``).
    depot
        The depot vertex, numbered from 0.
    capacity
        Load capacity of every vehicle (``CAPACIDAD``).
    required
        (R, 4) required edges, one row per task in file order: u, v, cost, demand.
        Parallel required edges stay separate rows.
    non_required
        (N, 3) edges that may only be deadheaded: u, v, cost.
    base
        How the file numbers its vertices: 1 (classic sets) or 0 (Hefei).
    """

    name: str
    n_vertices: int
    depot: int
    capacity: int
    required: np.ndarray
    non_required: np.ndarray
    base: int

    def __post_init__(self):
        for array in (self.required, self.non_required):
            array.flags.writeable = False

    @property
    def n_required(self) -> int:
        return len(self.required)


@dataclass(frozen=True)
class CarpCheck:
    """Outcome of :func:`check_carp_solution`: the recomputed total cost and what is wrong (empty when valid)."""

    cost: int
    violations: tuple[str, ...]


def read_carp(path: str | Path) -> CarpInstance:
    """Read a CARPLIB file (classic 1-based sets or 0-based Hefei files).

    The vertex numbering is detected from the data: a vertex or depot numbered
    0 means 0-based, otherwise 1-based (the CARPLIB convention).

    Raises
    ------
    InputDataError
        If ``VERTICES``, ``CAPACIDAD`` or ``DEPOSITO`` is missing or not an
        integer, an edge line does not parse, a vertex is out of range, a line
        is not understood, or the edge counts disagree with ``ARISTAS_REQ`` /
        ``ARISTAS_NOREQ`` (a truncated file).
    """
    path = Path(path)
    header: dict[str, tuple[str, int]] = {}
    edges: dict[str, list[tuple[int, tuple[int, ...]]]] = {"required": [], "non_required": []}
    section = None
    with path.open(encoding="ascii", errors="replace") as stream:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            if line.lstrip().startswith("("):
                edge = _EDGE.match(line)
                if section is None or edge is None or (section == "required") != (edge.group(4) is not None):
                    expected = "( u, v) coste c demanda d" if section != "non_required" else "( u, v) coste c"
                    raise InputDataError(
                        "an edge line does not parse",
                        source=path,
                        where=f"line {number}: {line.strip()!r}",
                        hint=f"write edges of this section as '{expected}' with integers"
                        + ("" if section else ", after LISTA_ARISTAS_REQ or LISTA_ARISTAS_NOREQ"),
                    )
                edges[section].append((number, tuple(int(value) for value in edge.groups() if value is not None)))
                continue
            keyword = _KEYWORD.match(line)
            if keyword is None:
                raise InputDataError("a line is not understood", source=path, where=f"line {number}: {line.strip()!r}",
                                     hint="use 'KEYWORD : value' lines and '( u, v) coste c ...' edge lines")
            key, value = keyword.groups()
            section = _SECTIONS.get(key, section)
            header[key] = (value, number)

    def integer(key: str) -> int:
        if key not in header:
            raise InputDataError(f"the {key} line is missing", source=path, hint=f"add a line '{key} : <integer>'")
        value, number = header[key]
        if not re.fullmatch(r"\d+", value):
            raise InputDataError(f"{key} is not a non-negative integer", source=path, where=f"line {number}", codes=[value])
        return int(value)

    n_vertices, capacity, depot = integer("VERTICES"), integer("CAPACIDAD"), integer("DEPOSITO")
    for key, kind in (("ARISTAS_REQ", "required"), ("ARISTAS_NOREQ", "non_required")):
        if key in header and integer(key) != len(edges[kind]):
            raise InputDataError(f"{key} announces {integer(key)} edges but {len(edges[kind])} were read",
                                 source=path, where=f"line {header[key][1]}", hint="the file may be truncated")
    listed = [(number, vertex) for kind in edges.values() for number, row in kind for vertex in row[:2]]
    base = 0 if depot == 0 or any(vertex == 0 for _, vertex in listed) else 1
    for number, vertex in [(header["DEPOSITO"][1], depot), *listed]:
        if not base <= vertex < n_vertices + base:
            raise InputDataError(
                f"vertex {vertex} is out of range for {n_vertices} vertices numbered from {base}",
                source=path, where=f"line {number}", hint="check VERTICES and the vertex numbers",
            )
    if not edges["required"]:
        raise InputDataError("no required edge", source=path, hint="list them after LISTA_ARISTAS_REQ")
    required = np.array([row for _, row in edges["required"]], dtype=np.int64).reshape(-1, 4)
    non_required = np.array([row for _, row in edges["non_required"]], dtype=np.int64).reshape(-1, 3)
    required[:, :2] -= base
    non_required[:, :2] -= base
    name = header["NOMBRE"][0] if header.get("NOMBRE", ("",))[0] else path.stem
    return CarpInstance(name, n_vertices, depot - base, capacity, required, non_required, base)


def to_arc_instance(carp: CarpInstance, *, n_vehicles: int | None = None) -> ArcInstance:
    """The engine's instance of ``carp``: key nodes are the depot and the ends of required edges.

    Deadheading costs are shortest paths over every edge (required or not),
    parallel edges collapsed to the cheapest, computed by Dijkstra from the key
    nodes only. Arc ``i`` of the result is required edge ``i`` of ``carp``.

    Parameters
    ----------
    n_vehicles
        Vehicles offered to the search; by default ``ceil(total demand /
        capacity) + max(2, 10 %)``: the fleet is unlimited in the CARP and an
        empty vehicle costs nothing, but a few spare vehicles let the search
        (and a split start, which packs less tightly than the bound) use more
        routes than the bin-packing bound.

    Raises
    ------
    InputDataError
        If a required edge cannot be reached from the depot, or a required
        edge's demand exceeds the capacity.
    """
    required = carp.required
    too_heavy = np.flatnonzero(required[:, 3] > carp.capacity)
    if too_heavy.size:
        raise InputDataError(f"required edges heavier than the capacity {carp.capacity}", source=carp.name,
                             codes=[f"edge {i} ({required[i, 0]}, {required[i, 1]}) demand {required[i, 3]}" for i in too_heavy])
    keys, inverse = np.unique(np.concatenate([[carp.depot], required[:, 0], required[:, 1]]), return_inverse=True)
    edges = np.concatenate([required[:, :3], carp.non_required])
    rows = np.concatenate([edges[:, 0], edges[:, 1]])
    cols = np.concatenate([edges[:, 1], edges[:, 0]])
    costs = np.concatenate([edges[:, 2], edges[:, 2]])
    order = np.lexsort((costs, cols, rows))  # cheapest first among parallel edges
    rows, cols, costs = rows[order], cols[order], costs[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    graph = sp.csr_matrix((costs[first].astype(float), (rows[first], cols[first])), shape=(carp.n_vertices,) * 2)
    deadhead = dijkstra(graph, directed=True, indices=keys)[:, keys]
    unreachable = np.flatnonzero(~np.isfinite(deadhead[0]))
    if unreachable.size:
        raise InputDataError("required edges cannot be reached from the depot", source=carp.name,
                             codes=[int(keys[k]) + carp.base for k in unreachable], hint="the graph is not connected")
    depot_key = int(inverse[0])
    arc_ends = inverse[1:].reshape(2, -1).T
    if n_vehicles is None:
        bound = math.ceil(required[:, 3].sum() / carp.capacity)
        n_vehicles = bound + max(2, math.ceil(0.1 * bound))
    return ArcInstance(
        deadhead=np.rint(deadhead).astype(np.int64),
        arc_ends=np.ascontiguousarray(arc_ends, dtype=np.int64),
        service=required[:, 2].copy(),
        demand=required[:, 3].copy(),
        prize=None,
        starts=np.full(n_vehicles, depot_key, dtype=np.int64),
        ends=np.full(n_vehicles, depot_key, dtype=np.int64),
        capacity=np.full(n_vehicles, carp.capacity, dtype=np.int64),
        mode="load",
    )


def check_carp_solution(carp: CarpInstance, routes: Sequence[Sequence[tuple[int, bool]]]) -> CarpCheck:
    """Re-check ``routes`` against ``carp`` alone, without the engine's matrices.

    The graph is rebuilt from the instance's edge lists (parallel edges kept at
    their cheapest through a dictionary) and shortest paths are recomputed by
    Dijkstra from every vertex a route deadheads from. Each route is a sequence
    of ``(required edge index, reversed)``; ``reversed`` serves the edge from
    ``v`` to ``u``. Every route starts and ends at the depot; empty routes cost
    nothing.

    Returns
    -------
    CarpCheck
        The total cost (service + deadhead, depot legs included) and the
        violations: unknown edge indices, edges served twice or never, routes
        over capacity, unreachable legs (vertices numbered from 0, as in
        :class:`CarpInstance`).
    """
    violations = []
    n_required = len(carp.required)
    cheapest: dict[tuple[int, int], int] = {}
    for u, v, cost in [*carp.required[:, :3].tolist(), *carp.non_required.tolist()]:
        for pair in ((u, v), (v, u)):
            cheapest[pair] = min(cost, cheapest.get(pair, cost))
    pairs = np.array(list(cheapest), dtype=np.int64).reshape(-1, 2)
    graph = sp.coo_matrix((np.array(list(cheapest.values()), dtype=float), (pairs[:, 0], pairs[:, 1])),
                          shape=(carp.n_vertices,) * 2).tocsr()
    served = np.zeros(n_required, dtype=np.int64)
    legs = []  # (route, from vertex, to vertex) of every deadhead leg
    service = 0
    for index, route in enumerate(routes):
        if not route:
            continue
        position, load = carp.depot, 0
        for edge, reverse in route:
            if not 0 <= edge < n_required:
                violations.append(f"route {index}: edge index {edge} is not a required edge (0..{n_required - 1})")
                continue
            u, v, cost, demand = carp.required[edge].tolist()
            start, end = (v, u) if reverse else (u, v)
            legs.append((index, position, start))
            served[edge] += 1
            service += cost
            load += demand
            position = end
        legs.append((index, position, carp.depot))
        if load > carp.capacity:
            violations.append(f"route {index}: load {load} exceeds the capacity {carp.capacity}")
    for edge in np.flatnonzero(served == 0):
        violations.append(f"required edge {edge} ({carp.required[edge, 0]}, {carp.required[edge, 1]}) is not served")
    for edge in np.flatnonzero(served > 1):
        violations.append(f"required edge {edge} is served {served[edge]} times")
    sources = sorted({leg[1] for leg in legs})
    distance = dijkstra(graph, directed=True, indices=sources) if sources else np.zeros((0, carp.n_vertices))
    row = {vertex: i for i, vertex in enumerate(sources)}
    deadhead = 0.0
    for index, origin, target in legs:
        leg = distance[row[origin], target]
        if not np.isfinite(leg):
            violations.append(f"route {index}: vertex {target} cannot be reached from vertex {origin}")
            continue
        deadhead += leg
    return CarpCheck(int(service + round(deadhead)), tuple(violations))
