"""Save a plan as one GeoPackage (walks drawn in walking order, teams, unserved streets), and read it back."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from canvass.errors import InputDataError
from canvass.plan.result import Plan, Step, TeamWalk
from canvass.plan.teams import DEFAULT_MINUTES_PER_BUILDING, Team
from canvass.territory.model import Territory


def walks_frame(plan: Plan, segments: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One row per step, geometry oriented in the walking direction (Lambert-93), in walk order.

    ``segments`` are the planning units (``problem.units``, keyed by ``unit_id``) or the territory's segments.
    """
    geometry = segments.set_index("unit_id" if "unit_id" in segments.columns else "segment_id").geometry
    rows = []
    for walk in plan.walks:
        for order, step in enumerate(walk.steps, start=1):
            rows.append({"team": walk.team, "order": order} | asdict(step))
    frame = pd.DataFrame(rows, columns=["team", "order", *Step.__dataclass_fields__])
    lines = geometry.reindex(frame["segment_id"]).values
    lines = gpd.GeoSeries(lines).where(~frame["reverse"].to_numpy(), shapely.reverse(lines)).values
    return gpd.GeoDataFrame(frame, geometry=lines, crs=segments.crs)


def save_plan(plan: Plan, teams: list[Team], territory: Territory, path: Path, *, units: gpd.GeoDataFrame | None = None) -> Path:
    """Write the plan to the GeoPackage ``path`` (replaced if it exists); ``units`` (``problem.units``) give the blocks' lines."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    walks = walks_frame(plan, territory.segments if units is None else units)
    if len(walks):
        walks.to_file(path, layer="walks", driver="GPKG")
    team_rows = pd.DataFrame([asdict(team) | {"start_x": team.start_xy[0], "start_y": team.start_xy[1]} for team in teams])
    team_rows = team_rows.drop(columns=["start_xy", "minutes"]).rename(columns={"name": "team"})
    returns = pd.DataFrame({"team": [walk.team for walk in plan.walks], "return_m": [walk.return_m for walk in plan.walks]})
    table = plan.table().merge(team_rows, on="team").merge(returns, on="team")
    points = gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table["start_x"], table["start_y"]), crs=territory.segments.crs)
    points.to_file(path, layer="teams", driver="GPKG")
    if len(plan.unserved):
        pyogrio.write_dataframe(plan.unserved, path, layer="unserved", driver="GPKG")
    meta = {"method": plan.method, "seed": plan.seed, "seconds": plan.seconds, "seconds_to_first": plan.seconds_to_first,
            "params": plan.params, "totals": plan.totals(), "service_bound": plan.service_bound, "communes": list(territory.communes)}
    pyogrio.write_dataframe(pd.DataFrame({"key": ["plan"], "value": [json.dumps(meta, ensure_ascii=False)]}), path, layer="metadata", driver="GPKG")
    return path


def load_plan(path: Path) -> tuple[Plan, list[Team], gpd.GeoDataFrame]:
    """Read a plan written by :func:`save_plan`: the plan, its teams, and the walks with their geometry.

    Raises
    ------
    InputDataError
        If the file is missing or is not a canvass plan.
    """
    path = Path(path)
    if not path.exists():
        raise InputDataError("plan file not found", source=path, hint="make it first: canvass plan TERRITORY --scores FILE --teams teams.csv --out FILE")
    layers = {str(name) for name, _ in pyogrio.list_layers(path)}
    if not {"teams", "metadata"} <= layers:
        raise InputDataError("not a canvass plan (no teams or metadata layer)", source=path, hint="give a file written by canvass plan")
    meta = json.loads(pyogrio.read_dataframe(path, layer="metadata")["value"].iloc[0])
    team_table = pyogrio.read_dataframe(path, layer="teams")
    walks = pyogrio.read_dataframe(path, layer="walks") if "walks" in layers else gpd.GeoDataFrame({"team": [], "order": []}, geometry=[], crs=team_table.crs)
    unserved = pyogrio.read_dataframe(path, layer="unserved") if "unserved" in layers else pd.DataFrame(columns=["segment_id", "reason", "street_name", "n_doors", "value"])
    teams, team_walks = [], []
    for row in team_table.itertuples():
        teams.append(Team(row.team, int(row.size), (row.start_x, row.start_y), float(row.budget_minutes),
                          float(row.speed_kmh), float(row.minutes_per_door), bool(row.return_to_start),
                          float(getattr(row, "minutes_per_building", DEFAULT_MINUTES_PER_BUILDING)),
                          place_name="" if pd.isna(getattr(row, "place_name", "")) else str(getattr(row, "place_name", "") or "")))
        mine = walks[walks["team"] == row.team].sort_values("order")
        steps = tuple(Step(int(r.segment_id), bool(r.reverse), str(r.street_name), float(r.n_doors), float(r.value), float(r.approach_m),
                           float(r.length_m), float(r.minutes_walking), float(r.minutes_knocking), str(getattr(r, "label", "") or ""))
                      for r in mine.itertuples())
        team_walks.append(TeamWalk(row.team, steps, float(row.return_m), float(row.budget_minutes)))
    plan = Plan(tuple(team_walks), pd.DataFrame(unserved.drop(columns="geometry", errors="ignore")), meta["method"], meta["seed"],
                meta["seconds"], meta["seconds_to_first"], meta["params"], meta.get("service_bound"))
    return plan, teams, walks
