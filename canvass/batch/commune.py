"""One commune of a batch: territory → scores → teams → plan, written to its own folder, a done marker last."""

from __future__ import annotations

import json
import os
import resource
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from canvass.batch.groups import GroupBuild, describe, registered_per_bureau, split_territory
from canvass.batch.teams import TeamsRule, write_teams
from canvass.scores.strategies import ScoreParams

DONE = "done.json"
"""Written last in a commune's folder: the commune is finished and its summary row is inside."""
NO_STREETS = "pas de rues : plan impossible"
COLUMNS = ("commune", "bureaux", "inscrits", "équipes", "portes", "valeur", "part de la borne", "erreurs")
"""The summary table's columns (French: the organisers read it)."""


@dataclass(frozen=True)
class BatchSettings:
    """What every commune shares: scoring, teams (a rule, or tables per commune from a file), plan search, seed."""

    score: ScoreParams
    rule: TeamsRule | None = TeamsRule()
    teams: dict[str, pd.DataFrame] | None = None
    time_limit_s: float = 10.0
    seed: int = 0


@dataclass(frozen=True)
class CommuneOutcome:
    """A commune's summary row, whether it is finished, and what it cost on which worker process."""

    row: dict
    done: bool
    seconds: float = 0.0
    pid: int = 0
    peak_rss_mb: float = 0.0
    stages: dict = field(default_factory=dict)


def commune_folder(out: Path, code: str) -> Path:
    """Where a commune's files go."""
    return Path(out) / code


def finished(out: Path, code: str) -> dict | None:
    """The summary row of a commune finished by an earlier run, else None (no marker, or an unreadable one)."""
    marker = commune_folder(out, code) / DONE
    try:
        return json.loads(marker.read_text(encoding="utf-8"))["row"]
    except (OSError, ValueError, KeyError):
        return None


def run_commune(build: GroupBuild, code: str, out: Path, settings: BatchSettings) -> CommuneOutcome:
    """Build (or cut from the group), score and plan commune ``code`` into ``out/code``; never raises.

    Every stage that succeeds leaves its file; the first failure is the row's
    error and the commune stays unfinished (a rerun tries it again). A commune
    without streets is finished with ``pas de rues : plan impossible``.
    """
    clock = time.perf_counter()
    folder = commune_folder(out, code)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / DONE).unlink(missing_ok=True)
    row = dict.fromkeys(COLUMNS, None) | {"commune": code, "erreurs": ""}
    stages: dict[str, float] = {}
    done = False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            done = _chain(build, code, folder, settings, row, stages)
        except _Stop as stop:
            row["erreurs"] = stop.message
    seconds = time.perf_counter() - clock
    outcome = CommuneOutcome(row, done, seconds, os.getpid(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, stages)
    if done:
        _write_atomically(folder / DONE, json.dumps({"row": row, "stages": stages}, ensure_ascii=False, indent=1, default=float))
    return outcome


class _Stop(Exception):
    """A stage failed: ``message`` is the summary row's error (French stage name, then the cause)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _stage(name: str, stages: dict, failure: str, function, *args, **kwargs):
    """Run one stage, time it, and turn any error into :class:`_Stop` with ``failure`` in front."""
    start = time.perf_counter()
    try:
        return function(*args, **kwargs)
    except Exception as error:  # noqa: BLE001 - one commune's failure is its own row, never the batch's
        raise _Stop(f"{failure} : {describe(error)}") from error
    finally:
        stages[name] = round(time.perf_counter() - start, 3)


def _chain(build: GroupBuild, code: str, folder: Path, settings: BatchSettings, row: dict, stages: dict) -> bool:
    from canvass.scores.score import score_territory, write_scores
    from canvass.territory.build import build_territory
    from canvass.territory.io import save_territory
    from canvass.territory.report import format_report, territory_report

    if build.territory is not None:
        territory = _stage("territoire", stages, "découpage impossible", split_territory, build.territory, code)
    else:
        territory = _stage("territoire", stages, "construction impossible", build_territory, build.group.source, [code])
    _stage("écriture", stages, "écriture du territoire impossible", save_territory, territory, folder / "territory.gpkg")
    report = territory_report(territory)
    (folder / "rapport.txt").write_text(format_report(report) + "\n", encoding="utf-8")
    (folder / "rapport.json").write_text(json.dumps(report, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    registered = registered_per_bureau(territory.bureaux, territory.results)
    row["bureaux"] = int(len(territory.bureaux))
    row["inscrits"] = int(registered.sum()) if registered.notna().any() else None
    scores = _stage("scores", stages, "scores impossibles", score_territory, territory, settings.score, seed=settings.seed)
    _stage("écriture", stages, "écriture des scores impossible", write_scores, scores, territory, folder / "scores.gpkg")
    teams = _stage("équipes", stages, "équipes impossibles", _teams, territory, code, float(registered.fillna(0).sum()), settings,
                   folder / "equipes.csv")
    row["équipes"] = len(teams)
    if len(territory.segments) == 0:
        row["erreurs"] = NO_STREETS
        return True
    plan, ok = _stage("plan", stages, "plan impossible", _plan, territory, scores, teams, folder, settings)
    totals = plan.totals()
    row["portes"] = round(totals["n_doors"], 1)
    row["valeur"] = round(totals["value"], 2)
    row["part de la borne"] = None if totals["share_of_bound"] is None else round(totals["share_of_bound"], 4)
    if not ok:
        raise _Stop("plan refusé par la vérification indépendante (voir plan.gpkg)")
    return True


def _teams(territory, code: str, registered: float, settings: BatchSettings, path: Path) -> list:
    """The commune's teams (its rows of the teams file, else the rule), also written to ``path`` as ``canvass plan`` reads them."""
    from canvass.errors import InputDataError
    from canvass.plan.teams import read_teams

    if settings.teams is None:
        teams = settings.rule.teams(territory, registered)
        write_teams(teams, path)
        return teams
    rows = settings.teams.get(code)
    if rows is None or rows.empty:
        raise InputDataError(f"no team for commune {code} in the teams file", hint="add rows for this commune, or use --teams-rule")
    rows.to_csv(path, sep=";", index=False, encoding="utf-8")
    return read_teams(path, addresses=territory.addresses)


def _plan(territory, scores, teams, folder: Path, settings: BatchSettings):
    """Plan the walks (greedy start alone when the time limit is 0: exactly reproducible), check, write."""
    from canvass.plan.check import check_plan
    from canvass.plan.io import save_plan
    from canvass.plan.problem import build_problem
    from canvass.plan.solve import greedy_plan, plan_walks

    problem = build_problem(territory.segments, scores.segments, teams, addresses=territory.addresses)  # blocks by side and number, as canvass plan
    if settings.time_limit_s > 0:
        plan = plan_walks(problem, time_limit_s=settings.time_limit_s, seed=settings.seed)
    else:
        plan = greedy_plan(problem, seed=settings.seed)
    check = check_plan(problem, plan)
    save_plan(plan, teams, territory, folder / "plan.gpkg", units=problem.units)
    return plan, check.ok


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename: a marker is whole or absent."""
    temporary = path.with_suffix(".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)
