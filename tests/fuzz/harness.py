"""Run the opendata readers on mutated cuts of real files and sort each outcome.

Outcomes:

``ok``
    the reader returned, and nothing impossible is in what it returned;
``error``
    the reader raised a :class:`~canvass.errors.CanvassError` (a clear message);
``raw``
    the reader raised anything else (a crash the user cannot act on);
``impossible``
    the reader returned an impossible value: a non-finite or negative count,
    totals that cannot hold, coordinates outside France, NaN vertices.

The oracles (:func:`impossible_values`) are written here, apart from the
readers' own checks, so that they test them.
"""

from __future__ import annotations

import shutil
import tempfile
import traceback
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from canvass.errors import CanvassError
from canvass.opendata.addresses import read_ban, read_reu
from canvass.opendata.bureaux import read_bureaux
from canvass.opendata.candidates import read_candidates
from canvass.opendata.insee import read_census, read_filosofi_grid, read_iris
from canvass.opendata.osm import read_streets
from canvass.opendata.results import read_results
from tests.fuzz.mutations import file_format, mutate_bytes, mutate_parquet
from tests.fuzz.seeds import TERRITORY_COMMUNES, make_seeds

OUTCOMES = ("ok", "error", "raw", "impossible")

# Bounding boxes (lon_min, lat_min, lon_max, lat_max) of France: metropolitan with Corsica, then overseas.
FRANCE_BOXES = (
    (-5.5, 41.2, 10.0, 51.2),
    (-62.0, 15.8, -60.9, 16.6), (-61.3, 14.3, -60.7, 14.95), (-54.7, 2.0, -51.5, 6.0), (55.1, -21.5, 56.0, -20.8),
    (44.9, -13.1, 45.4, -12.5), (-56.6, 46.7, -56.0, 47.2), (-63.2, 17.8, -62.7, 18.2),
    (163.5, -22.9, 168.2, -19.5), (-155.0, -28.0, -134.0, -7.0), (-178.3, -14.5, -176.0, -13.1),
)
_TO_WGS84 = Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True)


# --------------------------------------------------------------------------- oracles


def _outside_france(frame: gpd.GeoDataFrame) -> list[str]:
    """Problems of the geometries of ``frame``: non-finite vertices, vertices outside every box of France."""
    coords = shapely.get_coordinates(frame.geometry.values)
    if len(coords) == 0:
        return []
    if not np.isfinite(coords).all():
        return ["non-finite vertex"]
    if frame.crs is not None and frame.crs.to_epsg() == 2154:
        lon, lat = _TO_WGS84.transform(coords[:, 0], coords[:, 1])
    else:
        lon, lat = coords[:, 0], coords[:, 1]
    inside = np.zeros(len(coords), dtype=bool)
    for x0, y0, x1, y1 in FRANCE_BOXES:
        inside |= (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)
    if not inside.all():
        first = int(np.flatnonzero(~inside)[0])
        return [f"vertex outside France at lon {lon[first]:.4f}, lat {lat[first]:.4f}"]
    return []


def _count_problems(frame: pd.DataFrame, column: str) -> list[str]:
    values = frame[column].to_numpy(dtype=float)
    return [f"{column} negative or infinite"] if (np.isinf(values) | (values < 0)).any() else []


def _bureaux_problems(bureaux: gpd.GeoDataFrame) -> list[str]:
    return _outside_france(bureaux) + _count_problems(bureaux, "n_registered")


def _address_problems(addresses: gpd.GeoDataFrame) -> list[str]:
    return _outside_france(addresses) + _count_problems(addresses, "n_addresses")


def _result_problems(results: pd.DataFrame) -> list[str]:
    problems = []
    counts = results[["n_registered", "n_voters", "n_abstentions", "n_expressed", "n_blank", "n_null", "n_votes"]]
    values = counts.to_numpy(dtype=float)
    if np.isinf(values).any():
        problems.append("infinite count")
    if (values < 0).any():
        problems.append(f"negative count in {', '.join(counts.columns[(counts < 0).any()])}")
    for low, high in (("n_expressed", "n_voters"), ("n_voters", "n_registered"), ("n_votes", "n_expressed"),
                      ("n_blank", "n_voters"), ("n_null", "n_voters")):
        if (results[low] > results[high]).any():
            problems.append(f"{low} > {high}")
    return problems


def _census_problems(table: pd.DataFrame) -> list[str]:
    numbers = table.select_dtypes("number")
    if np.isinf(numbers.to_numpy(dtype=float)).any():
        return ["infinite census value"]
    counts = [column for column in numbers.columns if pd.Series([column]).str.match(r"^[A-Z]\d{2}_").iloc[0]]
    if (numbers[counts] < 0).any().any():
        return ["negative census count"]
    return []


def _grid_problems(grid: gpd.GeoDataFrame) -> list[str]:
    numbers = grid.select_dtypes("number").to_numpy(dtype=float)
    problems = ["non-finite or negative grid count"] if (~np.isfinite(numbers[~np.isnan(numbers)]) | (numbers[~np.isnan(numbers)] < 0)).any() else []
    return problems + _outside_france(grid)


def _segment_problems(segments: gpd.GeoDataFrame) -> list[str]:
    problems = _outside_france(segments)
    if not np.isfinite(segments["length_m"].to_numpy(dtype=float)).all():
        problems.append("non-finite segment length")
    return problems


def _territory_problems(territory) -> list[str]:
    problems = _bureaux_problems(territory.bureaux) + _outside_france(territory.segments) + _result_problems(territory.results)
    if len(territory.addresses):
        problems += _address_problems(territory.addresses)
    return problems


# --------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class Target:
    """One reader entry point: how to call it on a (mutated) path, and what it must never return."""

    name: str
    call: Callable[[Path], object]
    check: Callable[[object], list[str]]


def _build(folder: Path):
    from canvass.territory.build import build_territory

    return build_territory(folder, TERRITORY_COMMUNES[folder.name])


def _no_check(_: object) -> list[str]:
    return []


TARGETS = {
    target.name: target
    for target in (
        Target("bureaux", read_bureaux, _bureaux_problems),
        *(Target(f"results_{layout}", read_results, _result_problems)
          for layout in ("mi2024", "mi2022", "wide2017", "paris_muni", "brest2022", "toulouse", "datagouv")),
        Target("iris", read_iris, _outside_france),
        Target("census", read_census, _census_problems),
        Target("grid", read_filosofi_grid, _grid_problems),
        Target("osm_xml", read_streets, _segment_problems),
        Target("overpass_json", read_streets, _segment_problems),
        Target("graphml", read_streets, _segment_problems),
        Target("ban", read_ban, _address_problems),
        Target("reu", read_reu, _address_problems),
        Target("candidates", read_candidates, _no_check),
        Target("build_territory", _build, _territory_problems),
    )
}
"""Every reader entry point of ``canvass.opendata`` (results once per layout), and ``build_territory`` on small folders."""


# --------------------------------------------------------------------------- running


@dataclass
class Outcome:
    reader: str
    case: int
    outcome: str
    detail: str
    mutations: list[str] = field(default_factory=list)


def classify(target: Target, path: Path) -> tuple[str, str]:
    """Call the reader on ``path`` and return (outcome, detail)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = target.call(path)
        except CanvassError as error:
            return "error", f"{type(error).__name__}: {str(error).splitlines()[0][:160]}"
        except Exception as error:  # noqa: BLE001 - sorting every other exception is the point
            frame = traceback.extract_tb(error.__traceback__)
            where = next((f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frame) if "/canvass/" in f.filename), "?")
            return "raw", f"{type(error).__name__} in {where}: {str(error)[:160]}"
    problems = target.check(result)
    if problems:
        return "impossible", "; ".join(problems)
    return "ok", ""


class Fuzzer:
    """Cuts the seeds once into a scratch folder, then runs numbered cases for each reader."""

    def __init__(self, seed: int = 0, scratch: Path | None = None):
        self.seed = seed
        self._own = scratch is None
        self.scratch = Path(scratch or tempfile.mkdtemp(prefix="canvass-fuzz-"))
        self.seeds = make_seeds(self.scratch / "seeds")

    def close(self) -> None:
        if self._own:
            shutil.rmtree(self.scratch, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _case_path(self, reader: str, case: int, rng: np.random.Generator) -> tuple[Path, list[str]]:
        """Write case ``case`` of ``reader``: a copy of one seed (file or folder) with one file mutated."""
        seed = self.seeds[reader][int(rng.integers(len(self.seeds[reader])))]
        work = self.scratch / "cases" / reader
        if work.exists():
            shutil.rmtree(work)
        if seed.is_dir():
            target_dir = work / seed.name
            shutil.copytree(seed, target_dir)
            files = sorted(target_dir.iterdir())
            victim = files[int(rng.integers(len(files)))]
            result = target_dir
        else:
            work.mkdir(parents=True)
            for sibling in seed.parent.iterdir():  # data.gouv pairs read their sibling
                shutil.copy(sibling, work / sibling.name)
            victim = result = work / seed.name
        kind = file_format(victim.name)
        if kind == "parquet":
            data, labels = mutate_parquet(pd.read_parquet(victim), rng)
        else:
            data, labels = mutate_bytes(victim.read_bytes(), kind, rng)
        victim.write_bytes(data)
        return result, [f"{victim.name}: {label}" for label in labels]

    def run(self, reader: str, case: int) -> Outcome:
        """Run case number ``case`` of ``reader`` (reproducible from ``seed``, reader and case)."""
        rng = np.random.default_rng([self.seed, list(TARGETS).index(reader), case])
        path, labels = self._case_path(reader, case, rng)
        outcome, detail = classify(TARGETS[reader], path)
        return Outcome(reader, case, outcome, detail, labels)

    def run_unmutated(self, reader: str) -> list[tuple[str, str]]:
        """Outcomes of the reader on its seeds as cut (must all be ``ok``)."""
        return [classify(TARGETS[reader], seed) for seed in self.seeds[reader]]


def summarise(outcomes: list[Outcome]) -> pd.DataFrame:
    """Counts per reader and outcome."""
    counts = Counter((item.reader, item.outcome) for item in outcomes)
    readers = list(dict.fromkeys(item.reader for item in outcomes))
    table = pd.DataFrame([[counts[(reader, outcome)] for outcome in OUTCOMES] for reader in readers], index=readers, columns=list(OUTCOMES))
    table.insert(0, "cases", table.sum(axis=1))
    return table
