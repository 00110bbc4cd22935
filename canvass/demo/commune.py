"""A plausible, entirely fictitious French commune, generated deterministically from a seed.

Plouvenec (INSEE code 29999, which no real commune has) has a dense centre and
sparse outskirts, ≈ 12 bureaux de vote, ≈ 6 IRIS, ≈ 1,000 street segments,
BAN-like addresses, census and income tables, and two elections. Everything
is derived from one seeded generator so that the same seed gives the same
commune, byte for byte. The figures are made up and say so in the files.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import Delaunay, cKDTree

from canvass.crs import METRIC_CRS

COMMUNE = "29999"
COMMUNE_NAME = "Plouvenec"
DEPARTEMENT = "29"
CENTRE = np.array([171_500.0, 6_789_500.0])  # Lambert-93, Finistère
RADIUS_M = 2_300.0
CORE_RADIUS_M = 820.0
N_BUREAUX = 12
N_IRIS = 6

STREET_NAMES = (
    "Rue Jean Jaurès", "Rue Victor Hugo", "Avenue de la République", "Rue de la Gare", "Rue Pasteur",
    "Rue de Brest", "Rue du Général de Gaulle", "Place de l’Église", "Rue de l’Œuvre", "Rue des Écoles",
    "Rue Émile Zola", "Rue Jules Ferry", "Rue de la Mairie", "Rue du Port", "Quai de l’Odet",
    "Rue Anatole France", "Rue Gambetta", "Rue Carnot", "Rue de Verdun", "Rue Louis Pasteur",
    "Rue Saint-Michel", "Rue Sainte-Anne", "Rue des Lilas", "Rue des Roses", "Rue des Tilleuls",
    "Allée des Chênes", "Allée des Hêtres", "Rue des Mimosas", "Rue des Camélias", "Rue des Hortensias",
    "Rue de Kerbrat", "Rue de Kerangall", "Rue de Lannion", "Rue de Quimper", "Rue de Morlaix",
    "Rue Paul Éluard", "Rue Marie Curie", "Rue Simone Veil", "Rue Lucie Aubrac", "Rue Jean Moulin",
    "Rue Aristide Briand", "Rue Voltaire", "Rue Molière", "Rue Racine", "Rue La Fontaine",
    "Rue du Stade", "Rue du Moulin", "Rue de la Fontaine", "Rue du Château d’Eau", "Rue des Peupliers",
    "Rue Théodore Botrel", "Rue Anne de Bretagne", "Rue Per Jakez Hélias", "Rue Max Jacob", "Rue Laënnec",
    "Rue des Ajoncs", "Rue des Bruyères", "Rue des Goélands", "Rue des Mouettes", "Rue des Cormorans",
    "Rue de Penhars", "Rue de Kerfeunteun", "Rue de Ty Glaz", "Rue de Pen ar Stang", "Rue de Ker Ys",
    "Rue Surcouf", "Rue Duguay-Trouin", "Rue Jacques Cartier", "Rue de la Tour d’Auvergne", "Rue Bisson",
    "Rue du 8 Mai 1945", "Rue du 11 Novembre", "Rue du 19 Mars 1962", "Rue de la Libération", "Rue de la Paix",
    "Chemin de Kervern", "Chemin du Lavoir", "Chemin des Dames", "Chemin de Traon", "Chemin du Menhir",
    "Route de Pont-l’Abbé", "Route de Bénodet", "Route de Concarneau", "Route de Douarnenez", "Route de Châteaulin",
    "Rue Jean Macé", "Rue Condorcet", "Rue Denis Diderot", "Rue Rouget de Lisle", "Rue Édouard Vaillant",
)
POLLING_PLACES = (
    "Mairie", "École Jules Ferry", "École Paul Bert", "Salle polyvalente", "Gymnase du Stade",
    "Maison des associations", "École de Kerbrat", "Espace Ty Glaz", "Salle des fêtes", "Médiathèque",
    "École Sainte-Anne", "Centre social de Penhars",
)


@dataclass(frozen=True)
class DemoCommune:
    """The demo commune as tidy frames (Lambert-93), before they are written in official formats."""

    contour: shapely.Polygon
    nodes: pd.DataFrame        # id, x, y
    ways: pd.DataFrame         # id, node_ids, tags
    addresses: gpd.GeoDataFrame
    bureaux: gpd.GeoDataFrame
    iris: gpd.GeoDataFrame
    iris_profile: pd.DataFrame  # per IRIS: share of managers, workers, retired, median income, poverty


def generate_commune(seed: int = 0) -> DemoCommune:
    """Generate the demo commune's geography and population from ``seed``."""
    rng = np.random.default_rng(seed)
    contour = _contour(rng)
    points = _street_nodes(rng, contour)
    edges = _relative_neighbourhood_edges(points)
    nodes, ways = _ways(rng, points, edges)
    addresses = _addresses(rng, nodes, ways)
    bureaux = _zones(rng, addresses, contour, N_BUREAUX, "bureau")
    iris = _zones(rng, addresses, contour, N_IRIS, "iris")
    profile = _iris_profile(rng, iris)
    return DemoCommune(contour, nodes, ways, addresses, bureaux, iris, profile)


def _contour(rng: np.random.Generator) -> shapely.Polygon:
    angles = np.linspace(0, 2 * np.pi, 96, endpoint=False)
    phases = rng.uniform(0, 2 * np.pi, 3)
    radius = RADIUS_M * (1 + 0.12 * np.sin(2 * angles + phases[0]) + 0.08 * np.sin(3 * angles + phases[1]) + 0.04 * np.sin(5 * angles + phases[2]))
    return shapely.Polygon(np.column_stack([CENTRE[0] + radius * np.cos(angles), CENTRE[1] + radius * np.sin(angles)]))


def _street_nodes(rng: np.random.Generator, contour: shapely.Polygon) -> np.ndarray:
    """Intersections: a slightly rotated, jittered grid in the centre; dart throwing outside it."""
    spacing, angle = 78.0, np.deg2rad(12)
    ticks = np.arange(-CORE_RADIUS_M, CORE_RADIUS_M + spacing, spacing)
    gx, gy = np.meshgrid(ticks, ticks)
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    grid = grid[np.hypot(grid[:, 0], grid[:, 1]) <= CORE_RADIUS_M]
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    core = grid @ rotation.T + rng.normal(0, 6, grid.shape) + CENTRE
    # Outskirts: candidates accepted when far enough from every node so far (spacing grows outwards).
    candidates = CENTRE + rng.uniform(-RADIUS_M * 1.25, RADIUS_M * 1.25, (9000, 2))
    inside = shapely.contains_xy(contour.buffer(-40), candidates[:, 0], candidates[:, 1])
    candidates = candidates[inside & (np.hypot(*(candidates - CENTRE).T) > CORE_RADIUS_M + 40)]
    kept = list(core)
    tree_points = core
    tree = cKDTree(tree_points)
    pending = []
    for point in candidates:
        distance = np.hypot(*(point - CENTRE))
        minimum = 95 + 75 * (distance - CORE_RADIUS_M) / (RADIUS_M - CORE_RADIUS_M)
        if tree.query(point)[0] < minimum:
            continue
        if pending and np.min(np.hypot(*(np.asarray(pending) - point).T)) < minimum:
            continue
        pending.append(point)
        if len(pending) == 64:  # rebuild the tree in batches, not at every point
            kept.extend(pending)
            tree = cKDTree(np.asarray(kept))
            pending = []
    kept.extend(pending)
    return np.asarray(kept)


def _relative_neighbourhood_edges(points: np.ndarray) -> np.ndarray:
    """Edges of the relative neighbourhood graph: planar, connected, street-like (no grid diagonals)."""
    triangles = Delaunay(points).simplices
    pairs = np.sort(np.vstack([triangles[:, [0, 1]], triangles[:, [1, 2]], triangles[:, [0, 2]]]), axis=1)
    pairs = np.unique(pairs, axis=0)
    tree = cKDTree(points)
    lengths = np.hypot(*(points[pairs[:, 0]] - points[pairs[:, 1]]).T)
    keep = np.ones(len(pairs), dtype=bool)
    for index, ((u, v), length) in enumerate(zip(pairs, lengths)):
        near = np.asarray(tree.query_ball_point(points[u], length * 0.999))
        near = near[(near != u) & (near != v)]
        if near.size and np.any(np.hypot(*(points[near] - points[v]).T) < length * 0.999):
            keep[index] = False
    return pairs[keep]


def _ways(rng: np.random.Generator, points: np.ndarray, edges: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Chain edges into named streets (straightest continuation first) and give each a highway class."""
    adjacency: dict[int, list[int]] = {}
    for index, (u, v) in enumerate(edges):
        adjacency.setdefault(int(u), []).append(index)
        adjacency.setdefault(int(v), []).append(index)
    used = np.zeros(len(edges), dtype=bool)
    order = np.argsort(-np.hypot(*(points[edges[:, 0]] - points[edges[:, 1]]).T))  # long edges seed long streets
    chains = []
    for start in order:
        if used[start]:
            continue
        used[start] = True
        chain = [int(edges[start, 0]), int(edges[start, 1])]
        for forward in (True, False):
            while len(chain) < 14:
                tail, previous = (chain[-1], chain[-2]) if forward else (chain[0], chain[1])
                heading = points[tail] - points[previous]
                best, best_cos = None, np.cos(np.deg2rad(32))
                for edge in adjacency[tail]:
                    if used[edge]:
                        continue
                    other = int(edges[edge, 1] if edges[edge, 0] == tail else edges[edge, 0])
                    step = points[other] - points[tail]
                    cos = heading @ step / (np.linalg.norm(heading) * np.linalg.norm(step))
                    if cos > best_cos:
                        best, best_cos = (edge, other), cos
                if best is None:
                    break
                used[best[0]] = True
                chain.append(best[1]) if forward else chain.insert(0, best[1])
        chains.append(chain)
    node_ids = np.arange(1, len(points) + 1, dtype=np.int64) * 10
    names = list(STREET_NAMES)
    rng.shuffle(names)
    lengths = np.array([np.hypot(*np.diff(points[chain], axis=0).T).sum() for chain in chains])
    distance = np.array([np.hypot(*(points[chain].mean(axis=0) - CENTRE)) for chain in chains])
    rank = np.argsort(-lengths)
    highway = np.full(len(chains), "residential", dtype=object)
    highway[rank[:3]] = "secondary"
    highway[rank[3:9]] = "tertiary"
    core_streets = np.flatnonzero((highway == "residential") & (distance < 300))
    highway[core_streets[-4:]] = "pedestrian"  # the shortest streets of the old town
    short_out = np.flatnonzero((lengths < 160) & (distance > 1500))
    highway[short_out[::3]] = "track"
    highway[short_out[1::3]] = "service"
    highway[short_out[2::7]] = "footway"
    rows, extra_nodes = [], []
    next_node = int(node_ids[-1]) + 10
    name_index = 0
    for index, chain in enumerate(chains):
        ids = [int(node_ids[node]) for node in chain]
        # Curvy outskirts: a shape point (not an intersection) in the middle of some edges.
        if distance[index] > CORE_RADIUS_M and highway[index] in ("residential", "tertiary"):
            shaped = [ids[0]]
            for a, b in zip(chain[:-1], chain[1:]):
                middle = (points[a] + points[b]) / 2 + rng.normal(0, 9, 2)
                extra_nodes.append((next_node, *middle))
                shaped += [next_node, int(node_ids[b])]
                next_node += 10
            ids = shaped
        tags = {"highway": highway[index]}
        if highway[index] not in ("footway", "track"):
            base = names[name_index % len(names)]
            suffix = "" if name_index < len(names) else f" {['Prolongée', 'Nord', 'Sud', 'Est', 'Ouest'][(name_index // len(names) - 1) % 5]}"
            tags["name"] = ("Impasse" + base[base.index(" "):] if lengths[index] < 110 and highway[index] == "residential" else base) + suffix
            name_index += 1
        rows.append({"id": 1000 + index, "node_ids": ids, "tags": tags})
    # A bypass that walkers may not use: the reader must leave it out.
    rows.append({"id": 999, "node_ids": [int(node_ids[rank[0]]), next_node], "tags": {"highway": "motorway", "name": "Voie express"}})
    extra_nodes.append((next_node, *(CENTRE + [RADIUS_M * 1.3, 0])))
    nodes = pd.DataFrame({"id": node_ids, "x": points[:, 0], "y": points[:, 1]})
    nodes = pd.concat([nodes, pd.DataFrame(extra_nodes, columns=["id", "x", "y"])], ignore_index=True)
    return nodes, pd.DataFrame(rows)


def _addresses(rng: np.random.Generator, nodes: pd.DataFrame, ways: pd.DataFrame) -> gpd.GeoDataFrame:
    """House numbers on both sides of every street (odd on the left), denser in the centre."""
    xy = nodes.set_index("id")[["x", "y"]]
    records = []
    for way in ways.itertuples():
        if way.tags["highway"] in ("footway", "track", "motorway") or "name" not in way.tags:
            continue
        line = shapely.LineString(xy.loc[way.node_ids].to_numpy())
        distance = shapely.distance(line.centroid, shapely.Point(CENTRE))
        spacing = 17 + 30 * min(1.0, distance / RADIUS_M) + (10 if way.tags["highway"] == "secondary" else 0)
        positions = np.arange(spacing / 2, line.length - 5, spacing)
        for side, sign in (("left", 1), ("right", -1)):
            offset = line.offset_curve(sign * 9)
            if offset.is_empty:
                continue
            keep = rng.random(len(positions)) > 0.08
            for number, position in enumerate(positions[keep]):
                point = offset.interpolate(position / line.length, normalized=True)
                records.append((way.tags["name"], 2 * number + (1 if side == "left" else 2), point))
    frame = gpd.GeoDataFrame(records, columns=["street_name", "housenumber", "geometry"], geometry="geometry", crs=METRIC_CRS)
    return frame.drop_duplicates(["street_name", "housenumber"]).reset_index(drop=True)


def _zones(rng: np.random.Generator, addresses: gpd.GeoDataFrame, contour: shapely.Polygon, k: int, kind: str) -> gpd.GeoDataFrame:
    """Partition the commune into ``k`` zones of similar address counts.

    Addresses are split at the median along the longer axis, recursively, into
    ``k`` groups of equal size; the zones are the Voronoi cells of the groups'
    centroids, clipped to the commune, so that boundaries do not follow the
    streets exactly (as real bureaux and IRIS do not).
    """
    xy = shapely.get_coordinates(addresses.geometry.values) + rng.normal(0, 1.0, (len(addresses), 2))
    centres = np.array([group.mean(axis=0) for group in _bisect(xy, k)])
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(centres), extend_to=contour, ordered=True))
    cells = shapely.intersection(cells, contour)
    # Number zones from the centre outwards, as communes usually do.
    order = np.argsort(np.hypot(*(centres - CENTRE).T))
    frame = gpd.GeoDataFrame({"number": np.arange(1, k + 1)}, geometry=cells[order], crs=METRIC_CRS)
    if kind == "bureau":
        frame["name"] = [POLLING_PLACES[i % len(POLLING_PLACES)] for i in range(k)]
    return frame


def _bisect(xy: np.ndarray, k: int) -> list[np.ndarray]:
    """Split points into ``k`` groups of (nearly) equal size by recursive splits along the longer axis."""
    if k == 1:
        return [xy]
    left_k = k // 2
    axis = int(np.ptp(xy[:, 1]) > np.ptp(xy[:, 0]))
    order = np.argsort(xy[:, axis])
    cut = round(len(xy) * left_k / k)
    return _bisect(xy[order[:cut]], left_k) + _bisect(xy[order[cut:]], k - left_k)


def _iris_profile(rng: np.random.Generator, iris: gpd.GeoDataFrame) -> pd.DataFrame:
    """Social profile per IRIS: the centre is richer and older; one outer IRIS is a social-housing estate."""
    distance = np.hypot(*(shapely.get_coordinates(iris.geometry.centroid.values) - CENTRE).T) / RADIUS_M
    estate = int(np.argmax(distance * rng.uniform(0.8, 1.2, len(distance))))
    managers = np.clip(0.22 - 0.12 * distance + rng.normal(0, 0.02, len(iris)), 0.03, 0.4)
    workers = np.clip(0.12 + 0.12 * distance + rng.normal(0, 0.02, len(iris)), 0.05, 0.45)
    retired = np.clip(0.30 - 0.05 * distance + rng.normal(0, 0.03, len(iris)), 0.1, 0.45)
    managers[estate], workers[estate] = 0.04, 0.38
    income = 21_500 + 14_000 * managers - 9_000 * workers + rng.normal(0, 600, len(iris))
    poverty = np.clip(24 - 40 * managers + 25 * workers + rng.normal(0, 1.5, len(iris)), 4, 40)
    return pd.DataFrame({"managers": managers, "workers": workers, "retired": retired, "income": income, "poverty": poverty, "estate": np.arange(len(iris)) == estate})
