"""Progress of the field work, from the field log (:meth:`canvass.campaign.store.Store.field_log`).

Pure functions over DataFrames: the log (one row per session, team and
planning unit with ``doors_knocked``, ``doors_opened`` and outcome counts), the
plan's steps and the territory's segments or planning units. The log's
``segment_id`` column names planning units (:mod:`canvass.plan.units`: a block
of a street, a building, or a whole segment, which keeps the segment's id); a
log written before units existed names segments, and a segment logged as done
counts all its blocks done. Figures returned:

- ``doors_planned`` (or ``doors`` for a bureau: every door of its streets),
  ``doors_knocked``, ``doors_opened``;
- ``contact_rate`` = opened / knocked (NaN when nothing was knocked yet);
- ``coverage`` = knocked / planned (NaN when nothing was planned);
- ``segments_done`` (a unit with any field entry, whoever logged it, or whose
  segment was logged whole) and ``segments_left``;
- the outcome counts summed (:data:`canvass.campaign.store.OUTCOMES`).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable

import numpy as np
import pandas as pd

from canvass.campaign.store import OUTCOMES
from canvass.errors import DataQualityWarning, InputDataError
from canvass.plan.result import Plan
from canvass.plan.units import done_units, parent_segments

LOG_COLUMNS = ("team", "segment_id", "doors_knocked", "doors_opened")
"""Columns a field log needs; outcome columns are optional (0 when absent)."""


def plan_steps(plan: Plan) -> pd.DataFrame:
    """One row per step of the plan: ``team``, ``order``, ``segment_id`` (the unit), ``label``, ``n_doors``."""
    rows = [
        {"team": walk.team, "order": order, "segment_id": step.segment_id, "label": getattr(step, "label", "") or step.street_name,
         "n_doors": step.n_doors}
        for walk in plan.walks
        for order, step in enumerate(walk.steps, start=1)
    ]
    return pd.DataFrame(rows, columns=["team", "order", "segment_id", "label", "n_doors"])


def progress_by_team(log: pd.DataFrame, plan_table: pd.DataFrame | Plan, *, session: str | None = None) -> pd.DataFrame:
    """Per team: segments and doors planned, doors knocked and opened, contact rate, segments done and left.

    Parameters
    ----------
    log
        The field log (``team``, ``segment_id``, ``doors_knocked``, ``doors_opened``,
        optional ``session`` and outcome columns).
    plan_table
        The plan's steps, one row per segment of a walk (``team``, ``segment_id``,
        ``n_doors``): :func:`plan_steps`, or the walks layer of a saved plan; a
        :class:`~canvass.plan.result.Plan` is accepted too.
    session
        Count only this session's entries (the session the plan was made for).

    Returns
    -------
    pandas.DataFrame
        One row per team of the plan (in plan order), then teams that logged
        entries without being in the plan. A planned segment is done when it has
        any entry, even from another team; doors knocked are the team's own.
    """
    steps = plan_steps(plan_table) if isinstance(plan_table, Plan) else plan_table
    _require(steps, ("team", "segment_id", "n_doors"), "plan table")
    log = _prepare(log, session)
    steps = steps.assign(team=steps["team"].astype(str), segment_id=steps["segment_id"].astype("int64"))
    planned = steps.groupby("team", sort=False).agg(segments_planned=("segment_id", "nunique"), doors_planned=("n_doors", "sum"))
    unique = steps.drop_duplicates(["team", "segment_id"])
    planned["segments_done"] = pd.Series(done_units(unique["segment_id"], log["segment_id"]), index=unique.index).groupby(unique["team"]).sum()
    knocked = log.groupby("team", sort=False)[["doors_knocked", "doors_opened", *OUTCOMES]].sum()
    teams = list(planned.index) + [team for team in knocked.index if team not in planned.index]
    table = pd.DataFrame(index=pd.Index(teams, name="team"))
    table = table.join(planned).join(knocked)
    for column in ("segments_planned", "segments_done", "doors_knocked", "doors_opened", *OUTCOMES):
        table[column] = table[column].fillna(0).astype("int64")
    table["doors_planned"] = table["doors_planned"].fillna(0.0).astype("float64")
    table["segments_left"] = table["segments_planned"] - table["segments_done"]
    return _rates(table, "doors_planned").reset_index()[
        ["team", "segments_planned", "segments_done", "segments_left", "doors_planned", "doors_knocked", "doors_opened",
         "contact_rate", "coverage", *OUTCOMES]
    ]


def progress_by_bureau(log: pd.DataFrame, segments: pd.DataFrame, *, session: str | None = None) -> pd.DataFrame:
    """Per bureau: its segments (or units) and doors, how many were done, knocked, opened, contact rate and coverage.

    ``segments`` are the territory's street segments (``segment_id``,
    ``bureau_id``, ``n_doors``), or the planning units
    (:func:`canvass.plan.units.planning_units`, with ``unit_id``): then each
    unit counts, and a segment logged whole marks all its units done. On plain
    segments, entries on a block count for its segment, which is done once any
    of its blocks is. Log entries on segments that are not in ``segments`` are
    left out with a :class:`~canvass.errors.DataQualityWarning` (another
    territory's log?). Segments without a bureau are grouped under a missing
    ``bureau_id``.
    """
    _require(segments, ("segment_id", "bureau_id", "n_doors"), "segments")
    log = _prepare(log, session)
    logged = set(log["segment_id"])
    by_unit = "unit_id" in segments.columns
    frame = pd.DataFrame({
        "segment_id": segments["unit_id" if by_unit else "segment_id"].astype("int64").to_numpy(),
        "bureau_id": segments["bureau_id"].astype("string").to_numpy(),
        "n_doors": segments["n_doors"].astype("float64").to_numpy(),
    })
    if by_unit:
        # An entry on a segment logged whole goes to its first unit; all its units are done.
        first_unit = pd.Series(frame["segment_id"].to_numpy(), index=segments["segment_id"].astype("int64").to_numpy())
        first_unit = first_unit[~first_unit.index.duplicated()]
        whole = ~log["segment_id"].isin(frame["segment_id"]) & log["segment_id"].isin(first_unit.index)
        log = log.assign(segment_id=np.where(whole, first_unit.reindex(log["segment_id"]).to_numpy(), log["segment_id"]))
    else:
        log = log.assign(segment_id=parent_segments(log["segment_id"]))
    unknown = sorted(set(log["segment_id"]) - set(frame["segment_id"]))
    if unknown:
        warnings.warn(
            f"{len(unknown)} segment(s) of the field log are not in this territory and are left out of the progress by bureau: "
            f"{', '.join(map(str, unknown[:5]))}{' …' if len(unknown) > 5 else ''}",
            DataQualityWarning,
            stacklevel=2,
        )
    per_segment = log.groupby("segment_id")[["doors_knocked", "doors_opened", *OUTCOMES]].sum()
    frame = frame.join(per_segment, on="segment_id")
    frame["done"] = done_units(segments["unit_id"], logged) if by_unit else frame["segment_id"].isin(per_segment.index)
    table = frame.groupby("bureau_id", dropna=False, sort=True).agg(
        segments=("segment_id", "nunique"),
        segments_done=("done", "sum"),
        doors=("n_doors", "sum"),
        **{column: (column, "sum") for column in ("doors_knocked", "doors_opened", *OUTCOMES)},
    )
    for column in ("segments", "segments_done", "doors_knocked", "doors_opened", *OUTCOMES):
        table[column] = table[column].fillna(0).astype("int64")
    table["segments_left"] = table["segments"] - table["segments_done"]
    return _rates(table, "doors").reset_index()[
        ["bureau_id", "segments", "segments_done", "segments_left", "doors", "doors_knocked", "doors_opened",
         "contact_rate", "coverage", *OUTCOMES]
    ]


def remaining_segments(segments: pd.DataFrame, log: pd.DataFrame | Iterable[int]) -> pd.DataFrame:
    """The segments or units with no field entry yet (same type and columns as ``segments``): what the next session can plan.

    ``log`` is the field log, or the done ids
    (:meth:`~canvass.campaign.store.Store.done_segments`). On planning units
    (with ``unit_id``), a unit is left out when it, or its whole segment, was
    logged; a plain segment is left out only when logged whole (a segment with
    some blocks done still has work).
    """
    _require(segments, ("segment_id",), "segments")
    if isinstance(log, pd.DataFrame):
        _require(log, ("segment_id",), "field log")
        done = set(log["segment_id"].astype("int64"))
    else:
        done = {int(segment) for segment in log}
    if "unit_id" in segments.columns:
        return segments[~done_units(segments["unit_id"], done)]
    return segments[~segments["segment_id"].astype("int64").isin(done)]


def _prepare(log: pd.DataFrame, session: str | None) -> pd.DataFrame:
    """The log's columns used here, typed, outcome columns added as 0 when absent, restricted to ``session``."""
    _require(log, LOG_COLUMNS, "field log")
    if session is not None:
        _require(log, ("session",), "field log")
        log = log[log["session"] == session]
    out = pd.DataFrame({
        "team": log["team"].astype(str).to_numpy(),
        "segment_id": log["segment_id"].astype("int64").to_numpy(),
        "doors_knocked": log["doors_knocked"].astype("int64").to_numpy(),
        "doors_opened": log["doors_opened"].astype("int64").to_numpy(),
    })
    for outcome in OUTCOMES:
        out[outcome] = log[outcome].fillna(0).astype("int64").to_numpy() if outcome in log.columns else 0
    return out


def _rates(table: pd.DataFrame, planned: str) -> pd.DataFrame:
    knocked = table["doors_knocked"].astype("float64")
    table["contact_rate"] = np.where(knocked > 0, table["doors_opened"] / knocked.where(knocked > 0, 1.0), np.nan)
    base = table[planned].astype("float64")
    table["coverage"] = np.where(base > 0, knocked / base.where(base > 0, 1.0), np.nan)
    return table


def _require(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise InputDataError(f"the {what} lacks columns {', '.join(missing)}", where=f"columns: {', '.join(map(str, frame.columns))}",
                             hint="pass the table made by canvass (Store.field_log, plan_steps, territory.segments)")


PROGRESS_HEADERS = {
    "team": "Équipe", "bureau_id": "Bureau", "segments_planned": "Étapes prévues", "segments": "Étapes", "segments_done": "Étapes faites",
    "segments_left": "Étapes restantes", "doors_planned": "Portes prévues", "doors": "Portes", "doors_knocked": "Portes frappées",
    "doors_opened": "Portes ouvertes", "contact_rate": "Taux d’ouverture", "coverage": "Couverture", "soutien": "Soutien",
    "indecis": "Indécis", "opposant": "Opposant", "absent": "Absent", "refus": "Refus",
}
"""French headers of :func:`progress_by_team` and :func:`progress_by_bureau`, for the app."""


def french_progress(table: pd.DataFrame) -> pd.DataFrame:
    """A progress table as an organiser reads it: French headers, counts as '1 234', rates as '35,6 %', '—' when not known yet."""
    from canvass.outputs._common import french_number

    def count(value) -> str:
        return "—" if pd.isna(value) else french_number(float(value))

    def share(value) -> str:
        return "—" if pd.isna(value) else f"{french_number(100 * float(value), 1)}\u202f%"

    shown = pd.DataFrame(index=table.index)
    for column in table.columns:
        if column in ("contact_rate", "coverage"):
            shown[column] = table[column].map(share)
        elif pd.api.types.is_numeric_dtype(table[column]):
            shown[column] = table[column].map(count)
        else:
            shown[column] = table[column].astype("string").fillna("sans bureau")
    return shown.rename(columns=PROGRESS_HEADERS)
