"""Run a batch: every commune asked, over Dask distributed (a LocalCluster by default) or serially, with a summary table.

Groups (a source folder × a département, see :mod:`canvass.batch.groups`) are
built in a window of a few at a time; each commune then runs as its own task
next to its group's territory, which Dask hands to each worker once. A group's
territory is released as soon as its last commune is done, so memory per
worker stays bounded by a few départements whatever the number of communes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from canvass.batch.commune import COLUMNS, BatchSettings, CommuneOutcome, finished, run_commune
from canvass.batch.groups import Group, GroupBuild, build_group, find_sources, plan_groups
from canvass.errors import InputDataError

ProgressCallback = Callable[[float, str], None]
SUMMARY = "synthese.csv"
"""The summary table in the output folder (``;``, UTF-8, French headers)."""


@dataclass(frozen=True)
class GroupInfo:
    """What the client keeps of a group build: its communes and error (never the territory)."""

    key: str
    communes: tuple[str, ...]
    error: str | None
    seconds: float


@dataclass(frozen=True)
class BatchResult:
    """A batch's summary (one row per commune, sorted), this run's outcomes, communes skipped as finished, groups, timing."""

    summary: pd.DataFrame
    outcomes: dict[str, CommuneOutcome]
    skipped: tuple[str, ...]
    groups: tuple[GroupInfo, ...]
    seconds: float
    summary_path: Path
    workers: int = 0

    def peak_rss_mb(self) -> dict[int, float]:
        """Peak resident memory of each process that ran communes (MB, by process id)."""
        peaks: dict[int, float] = {}
        for outcome in self.outcomes.values():
            peaks[outcome.pid] = max(peaks.get(outcome.pid, 0.0), outcome.peak_rss_mb)
        return peaks


def run_batch(
    data: Path,
    communes: list[str],
    out: Path,
    settings: BatchSettings,
    *,
    workers: int = 2,
    scheduler: str | None = None,
    client=None,
    on_progress: ProgressCallback | None = None,
) -> BatchResult:
    """Build, score and plan every commune of ``communes`` found in ``data`` into ``out/<code>/``; write ``out/synthese.csv``.

    Parameters
    ----------
    data
        A folder of official files (read whole), or a folder of such folders (one per commune or département).
    communes
        INSEE commune, arrondissement or département codes.
    workers
        Dask worker processes of the LocalCluster (one thread each); 0 runs serially in this process.
    scheduler, client
        A Dask scheduler address, or a connected ``distributed.Client``, instead of a LocalCluster.
    on_progress
        Called with (fraction of the communes known so far that are done, message).

    Raises
    ------
    InputDataError
        If ``data`` is not a folder or no commune is given.
    """
    data, out = Path(data), Path(out)
    if not data.is_dir():
        raise InputDataError("data folder not found", source=data, hint="give the folder of official files (or a folder of such folders)")
    if not communes:
        raise InputDataError("no commune given", hint="give INSEE commune or département codes, e.g. --commune 04")
    out.mkdir(parents=True, exist_ok=True)
    groups = plan_groups(find_sources(data), communes)
    clock = time.perf_counter()
    progress = _Progress(on_progress)
    if workers == 0 and client is None and scheduler is None:
        infos, outcomes, skipped, rows = _run_serial(groups, out, settings, progress)
        n_workers = 0
    else:
        infos, outcomes, skipped, rows, n_workers = _run_dask(groups, out, settings, progress, workers=workers, scheduler=scheduler, client=client)
    summary = _summary(rows, communes, infos)
    path = out / SUMMARY
    summary.to_csv(path, sep=";", index=False, encoding="utf-8")
    return BatchResult(summary, outcomes, tuple(sorted(skipped)), tuple(infos), time.perf_counter() - clock, path, n_workers)


class _Progress:
    """Counts communes known and done, and reports them through the callback."""

    def __init__(self, callback: ProgressCallback | None):
        self.callback = callback or (lambda fraction, message: None)
        self.known = 0
        self.done = 0

    def add(self, n: int) -> None:
        self.known += n

    def step(self, message: str) -> None:
        self.done += 1
        self.callback(self.done / max(1, self.known), f"{self.done}/{self.known} communes : {message}")


def _info(build: GroupBuild) -> GroupInfo:
    return GroupInfo(build.group.key, build.communes, build.error, build.seconds)


def _todo(info: GroupInfo, out: Path, rows: dict, skipped: set) -> list[str]:
    """Communes of a group still to run; finished ones go straight to the summary."""
    todo = []
    for code in info.communes:
        if code in rows:
            continue  # the same commune in two sources: the first one found is kept
        row = finished(out, code)
        if row is None:
            todo.append(code)
        else:
            rows[code] = row
            skipped.add(code)
    return todo


def _label(outcome: CommuneOutcome) -> str:
    return f"{outcome.row['commune']} {outcome.row['erreurs'] or 'ok'}"


def _run_serial(groups: list[Group], out: Path, settings: BatchSettings, progress: _Progress):
    infos, outcomes, skipped, rows = [], {}, set(), {}
    for group in groups:
        build = build_group(group)
        info = _info(build)
        infos.append(info)
        todo = _todo(info, out, rows, skipped)
        progress.add(len(info.communes))
        for _ in range(len(info.communes) - len(todo)):
            progress.step("déjà faite")
        for code in todo:
            outcome = run_commune(build, code, out, settings)
            outcomes[code], rows[code] = outcome, outcome.row
            progress.step(_label(outcome))
    return infos, outcomes, skipped, rows


def _run_dask(groups: list[Group], out: Path, settings: BatchSettings, progress: _Progress, *, workers: int, scheduler: str | None, client):
    from distributed import Client, LocalCluster, as_completed

    own = []
    quiet = logging.getLogger("distributed")
    level = quiet.level
    quiet.setLevel(max(level, logging.WARNING))  # the cluster's start and stop are not the organiser's business
    if client is None:
        if scheduler:
            client = Client(scheduler)
        else:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR)
            own.append(cluster)
            client = Client(cluster)
        own.insert(0, client)
    try:
        n_workers = len(client.scheduler_info().get("workers", {})) or workers
        window = max(2, n_workers)
        pending = list(enumerate(groups))
        infos, outcomes, skipped, rows = [None] * len(groups), {}, set(), {}
        builds, remaining, commune_of, group_of = {}, {}, {}, {}
        flow = as_completed()

        def launch() -> None:
            # A few groups at a time: their territories are what fills the workers' memory.
            while pending and len(builds) < window:
                index, group = pending.pop(0)
                build = client.submit(build_group, group, key=f"group-{index}-{group.key}", priority=-index)
                builds[index] = build
                info = client.submit(_info, build, key=f"info-{index}-{group.key}", priority=-index)
                group_of[info] = index
                flow.add(info)

        launch()
        for future in flow:
            if future in group_of:
                index = group_of.pop(future)
                info = future.result()
                infos[index] = info
                todo = _todo(info, out, rows, skipped)
                progress.add(len(info.communes))
                for _ in range(len(info.communes) - len(todo)):
                    progress.step("déjà faite")
                remaining[index] = len(todo)
                for code in todo:
                    task = client.submit(run_commune, builds[index], code, out, settings, key=f"commune-{code}-{index}", priority=-index)
                    commune_of[task] = (code, index)
                    flow.add(task)
            else:
                code, index = commune_of.pop(future)
                if future.status == "finished":
                    outcome = future.result()
                else:  # the worker died (memory, crash): this commune's problem only
                    outcome = CommuneOutcome({**dict.fromkeys(COLUMNS), "commune": code, "erreurs": f"calcul interrompu : {future.exception()}"}, False)
                outcomes[code], rows[code] = outcome, outcome.row
                remaining[index] -= 1
                progress.step(_label(outcome))
            for index in [index for index, left in remaining.items() if left == 0]:
                del remaining[index]
                builds.pop(index).release()  # the group's territory leaves the workers
            launch()
        return infos, outcomes, skipped, rows, n_workers
    finally:
        for item in own:
            item.close()
        quiet.setLevel(level)


def _summary(rows: dict, communes: list[str], infos: list[GroupInfo]) -> pd.DataFrame:
    """One row per commune, sorted by code; a code asked that matched no bureau anywhere gets a row saying why."""
    table = pd.DataFrame([rows[code] for code in sorted(rows)], columns=list(COLUMNS))
    found = set(rows)
    missing = []
    for code in dict.fromkeys(str(code).strip().upper() for code in communes):
        if any(item == code or (len(code) < 5 and item.startswith(code)) for item in found):
            continue
        errors = sorted({info.error for info in infos if info.error and code in info.key.split(":", 1)[1].split("+")})
        reason = "aucun bureau de vote trouvé" + (f" : {' | '.join(errors)}" if errors else " dans les fichiers")
        missing.append(dict.fromkeys(COLUMNS) | {"commune": code, "erreurs": reason})
    if missing:
        table = pd.concat([table, pd.DataFrame(missing, columns=list(COLUMNS))], ignore_index=True)
    for column in ("bureaux", "inscrits", "équipes"):
        table[column] = table[column].astype("Int64")
    return table
