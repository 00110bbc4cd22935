"""The walking network: street segments as edges of a graph, and shortest walking distances.

Distances are computed with :func:`scipy.sparse.csgraph.dijkstra` from the few
nodes that matter (segment ends, meeting places) and never all-pairs on the
whole graph.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, dijkstra


@dataclass(frozen=True)
class WalkingNetwork:
    """An undirected graph: ``n_nodes`` nodes, edges ``(tail, head)`` with ``length_m``.

    ``node_xy`` holds node coordinates (Lambert-93) to snap meeting places.
    Parallel edges are collapsed to the shortest in the sparse matrix (a plain
    conversion would sum them).
    """

    n_nodes: int
    tail: np.ndarray
    head: np.ndarray
    length_m: np.ndarray
    node_xy: np.ndarray

    @classmethod
    def from_edges(cls, tail, head, length_m, node_xy) -> WalkingNetwork:
        arrays = [np.asarray(tail, dtype=np.int64), np.asarray(head, dtype=np.int64), np.asarray(length_m, dtype=float), np.asarray(node_xy, dtype=float)]
        for array in arrays:
            array.flags.writeable = False
        return cls(len(arrays[3]), *arrays)

    def matrix(self) -> sp.csr_matrix:
        """Symmetric CSR adjacency with the shortest of parallel edges (zero-length edges kept as tiny)."""
        lengths = np.maximum(self.length_m, 1e-6)
        rows = np.concatenate([self.tail, self.head])
        cols = np.concatenate([self.head, self.tail])
        values = np.concatenate([lengths, lengths])
        order = np.lexsort((values, cols, rows))
        rows, cols, values = rows[order], cols[order], values[order]
        first = np.ones(len(rows), dtype=bool)
        first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
        return sp.csr_matrix((values[first], (rows[first], cols[first])), shape=(self.n_nodes, self.n_nodes))

    def distances(self, sources: np.ndarray, *, limit: float = np.inf) -> np.ndarray:
        """Shortest walking distances (m) from ``sources`` to every node; ``inf`` where unreachable."""
        return dijkstra(self.matrix(), directed=False, indices=np.asarray(sources, dtype=np.int64), limit=limit)

    def components(self) -> np.ndarray:
        """Connected component label of every node."""
        return connected_components(self.matrix(), directed=False)[1]

    def nearest_node(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nearest network node to each point (Lambert-93) and the straight-line distance to it (m)."""
        from scipy.spatial import cKDTree

        distance, index = cKDTree(self.node_xy).query(np.atleast_2d(xy))
        return index, distance
