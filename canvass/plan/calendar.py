"""A calendar of canvassing sessions planned at once: the best streets go to the first session, no street to two.

Sessions (a date, a start time, the teams out that day) come from a CSV
(``date;heure;equipes``, the teams as a number taken from the team table or
as the path of a teams file) or from the app's table. They are planned in
date order on what is left: session 1 on every open unit, session 2 on what
session 1 does not serve, and so on. Once the field log says which units were
done, :func:`replan_calendar` plans the sessions not yet held again: units a
past session planned but did not finish go back into the pool.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from canvass.errors import InputDataError
from canvass.opendata._io import read_text_table
from canvass.plan.meeting_places import suggest_meeting_places
from canvass.plan.problem import build_problem
from canvass.plan.result import Plan
from canvass.plan.solve import plan_walks
from canvass.plan.teams import Team, read_teams
from canvass.scores.camps import plain
from canvass.territory.model import Territory

ProgressCallback = Callable[[float, str], None]

TAKEN_REASON = "other session"
"""Reason given in a session's unserved table for units another session of the calendar serves."""
HEADERS = {
    "date": ("date", "jour", "day"),
    "time": ("heure", "debut", "horaire", "time", "start", "heure_debut"),
    "teams": ("equipes", "nb_equipes", "teams", "fichier_equipes", "fichier", "n_teams"),
    "minutes": ("minutes", "duree", "duree_min", "duration"),
}
"""Header names (accents and case ignored) that settle which column is which when the content leaves a doubt."""
MONTHS = {"JANVIER": 1, "JANV": 1, "FEVRIER": 2, "FEVR": 2, "FEV": 2, "MARS": 3, "AVRIL": 4, "AVR": 4, "MAI": 5, "JUIN": 6,
          "JUILLET": 7, "JUIL": 7, "AOUT": 8, "SEPTEMBRE": 9, "SEPT": 9, "OCTOBRE": 10, "OCT": 10, "NOVEMBRE": 11, "NOV": 11,
          "DECEMBRE": 12, "DEC": 12}
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTH_NAMES = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre")
CONTENT_SHARE = 0.8
"""Share of a column's cells that must read as dates (times, counts, files) for the column to be taken as such."""

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T\s]+(.*))?$")
_NUMERIC = re.compile(r"^(?:[A-Z]+\.?,?\s+)?(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})(?:\s+(?:A\s+)?(.*))?$")
_WORDS = re.compile(r"^(?:[A-Z]+\.?,?\s+)?(\d{1,2})(?:ER)?\s+([A-Z]+)\.?\s+(\d{4})(?:\s*,?\s+(?:A\s+)?(.*))?$")
_TIME = re.compile(r"^(\d{1,2})\s*(?:H|:)\s*(\d{2})?(?::\d{2})?\s*(?:MIN)?\s*(?:$|[-–/]|A\s)")


@dataclass(frozen=True)
class Session:
    """One canvassing session: when, and the teams out (with their meeting places and budgets)."""

    date: dt.date
    start: dt.time | None
    teams: tuple[Team, ...]

    @property
    def when(self) -> dt.datetime:
        return dt.datetime.combine(self.date, self.start or dt.time(0, 0))

    def label(self) -> str:
        """'samedi 14 mars 2027 à 9h30', for people."""
        day = f"{WEEKDAYS[self.date.weekday()]} {self.date.day} {MONTH_NAMES[self.date.month - 1]} {self.date.year}"
        return f"{day} à {self.start.hour}h{self.start.minute:02d}" if self.start else day


@dataclass(frozen=True)
class PlannedSession:
    """A session and its plan; ``held`` once its date has passed at the last re-plan (its plan is then kept as it was)."""

    session: Session
    plan: Plan
    held: bool = False

    @property
    def unit_ids(self) -> frozenset[int]:
        return frozenset(step.segment_id for walk in self.plan.walks for step in walk.steps)


@dataclass(frozen=True)
class Calendar:
    """Sessions in date order, each with its plan."""

    sessions: tuple[PlannedSession, ...]

    def table(self) -> pd.DataFrame:
        """One row per session, French headers, for the app and the terminal."""
        rows = []
        for number, item in enumerate(self.sessions, start=1):
            totals = item.plan.totals()
            rows.append({
                "Séance": number, "Date": item.session.date.strftime("%d/%m/%Y"),
                "Heure": f"{item.session.start.hour}h{item.session.start.minute:02d}" if item.session.start else "",
                "Jour": item.session.label(), "Équipes": len(item.session.teams), "Rues": totals["n_segments"],
                "Portes": int(round(totals["n_doors"])), "Valeur": round(totals["value"], 1),
                "Marche (%)": round(100 * totals["walking_share"]), "État": "tenue" if item.held else "prévue",
            })
        return pd.DataFrame(rows, columns=["Séance", "Date", "Heure", "Jour", "Équipes", "Rues", "Portes", "Valeur", "Marche (%)", "État"])

    def session_of_unit(self) -> dict[int, int]:
        """``{unit id: index of the session that serves it}``."""
        return {unit: index for index, item in enumerate(self.sessions) for unit in item.unit_ids}


def read_sessions(path: Path, *, teams: list[Team] | None = None, addresses: pd.DataFrame | None = None) -> list[Session]:
    """Read a sessions CSV: one row per session, a date, a start time, and the teams (a number, or a teams file).

    Columns are found by content (dates such as ``14/03/2027``, ``2027-03-14``
    or ``samedi 14 mars 2027``; times such as ``9h30`` or ``09:30``; counts;
    file paths), headers (``date``, ``heure``, ``equipes``…) settling doubts.
    A number of teams takes the first teams of ``teams``; a teams file path is
    read relative to the sessions file.

    Raises
    ------
    InputDataError
        No date column, a cell that is not a date, a session with more teams
        than the team table, a teams file missing.
    """
    path = Path(path)
    frame = read_text_table(path)
    first_line = 2
    if any(_parse_date(str(column))[0] is not None for column in frame.columns):  # no header line: the first line is a session
        frame = pd.concat([pd.DataFrame([list(frame.columns)], columns=frame.columns), frame], ignore_index=True)
        frame.columns = [f"colonne {i + 1}" for i in range(frame.shape[1])]
        first_line = 1
    return sessions_from_table(frame, teams=teams, addresses=addresses, folder=path.parent, source=path, first_line=first_line)


def sessions_from_table(frame: pd.DataFrame, *, teams: list[Team] | None = None, addresses: pd.DataFrame | None = None,
                        folder: Path | None = None, source: str | Path = "séances", first_line: int = 2) -> list[Session]:
    """Sessions from a table of text cells (a CSV read as text, or the app's table), in date order; see :func:`read_sessions`.

    ``first_line`` numbers the table's first row in error messages (2: below a header line).
    """
    frame = frame.astype("string").apply(lambda column: column.str.strip()).replace("", pd.NA).dropna(how="all").reset_index(drop=True)
    columns = _columns(frame, folder, source)
    sessions = []
    for line, row in enumerate(frame.astype(object).where(frame.notna(), None).to_dict("records"), start=first_line):
        where = f"line {line}"
        date, rest = _parse_date(row[columns["date"]] or "")
        if date is None:
            raise InputDataError(f"{row[columns['date']]!r} is not a date", source=source, where=f"{where}, column {columns['date']!r}",
                                 hint="write dates as 14/03/2027 or 2027-03-14")
        start = _parse_time(row[columns["time"]] or "") if columns["time"] else _parse_time(rest or "")
        session_teams = _session_teams(row.get(columns["teams"]) if columns["teams"] else None, teams, addresses, folder, source, where)
        if columns["minutes"] and row[columns["minutes"]] is not None:
            session_teams = [replace(team, minutes=float(row[columns["minutes"]].replace(",", "."))) for team in session_teams]
        sessions.append(Session(date, start, tuple(session_teams)))
    if not sessions:
        raise InputDataError("no session in the table", source=source, hint="one line per session: date;heure;equipes")
    return sorted(sessions, key=lambda session: session.when)


def plan_calendar(
    territory: Territory,
    segment_values: pd.DataFrame,
    sessions: Iterable[Session],
    *,
    done: set | frozenset = frozenset(),
    forbidden: set | frozenset = frozenset(),
    meeting_places: int | None = None,
    problem_options: dict | None = None,
    time_limit_s: float = 30.0,
    seed: int = 0,
    on_progress: ProgressCallback | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Calendar:
    """Plan every session in date order on what the earlier ones leave; ``time_limit_s`` is per session.

    ``done`` and ``forbidden`` are unit (or segment) ids, as for
    :func:`~canvass.plan.problem.build_problem`; ``problem_options`` are its
    other keyword arguments (``addresses``, ``unit_minutes``…). With
    ``meeting_places=N``, each session's teams are sent to the N places
    :func:`~canvass.plan.meeting_places.suggest_meeting_places` suggests for
    what is left (at most one per team), instead of their own. Session ``k``
    is searched with seed ``seed + k``.
    """
    return _plan(territory, segment_values, sorted(sessions, key=lambda s: s.when), {}, done=done, forbidden=forbidden,
                 meeting_places=meeting_places, problem_options=problem_options, time_limit_s=time_limit_s, seed=seed,
                 on_progress=on_progress, should_stop=should_stop)


def replan_calendar(
    calendar: Calendar,
    territory: Territory,
    segment_values: pd.DataFrame,
    done: set | frozenset,
    *,
    now: dt.datetime | None = None,
    forbidden: set | frozenset = frozenset(),
    meeting_places: int | None = None,
    problem_options: dict | None = None,
    time_limit_s: float = 30.0,
    seed: int = 0,
    on_progress: ProgressCallback | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Calendar:
    """Plan again the sessions not yet held at ``now`` (default: the current time), after the field log marked ``done``.

    Held sessions keep their plans (marked ``held``); what they planned but
    did not get done goes back into the pool for the sessions to come.
    """
    now = now or dt.datetime.now()
    held = {index: item.plan for index, item in enumerate(calendar.sessions) if item.session.when <= now}
    return _plan(territory, segment_values, [item.session for item in calendar.sessions], held, done=done, forbidden=forbidden,
                 meeting_places=meeting_places, problem_options=problem_options, time_limit_s=time_limit_s, seed=seed,
                 on_progress=on_progress, should_stop=should_stop)


def _plan(territory, segment_values, sessions: list[Session], held: dict[int, Plan], *, done, forbidden, meeting_places, problem_options,
          time_limit_s, seed, on_progress, should_stop) -> Calendar:
    """Plan the sessions not ``held``, in order, each on what neither ``done`` nor an earlier session planned here takes."""
    progress = on_progress or (lambda fraction, message: None)
    to_plan = [index for index in range(len(sessions)) if index not in held]
    taken: set[int] = set()
    result = []
    for index, session in enumerate(sessions):
        if index in held:
            result.append(PlannedSession(session, held[index], held=True))
            continue
        rank = to_plan.index(index)
        prefix = f"séance {rank + 1}/{len(to_plan)} ({session.label()})"
        if meeting_places:
            teams = suggest_meeting_places(territory, segment_values, list(session.teams), min(meeting_places, len(session.teams)),
                                           done=set(done) | set(forbidden) | taken, problem_options=problem_options, seed=seed + index).teams
            session = replace(session, teams=teams)
        problem = build_problem(territory.segments, segment_values, list(session.teams), done=set(done), forbidden=set(forbidden) | taken,
                                **(problem_options or {}))
        report = lambda fraction, message, rank=rank, prefix=prefix: progress((rank + fraction) / len(to_plan), f"{prefix} : {message}")  # noqa: E731
        plan = plan_walks(problem, time_limit_s=time_limit_s, seed=seed + index, should_stop=should_stop, on_progress=report)
        reasons = plan.unserved["reason"].where(~plan.unserved["segment_id"].isin(taken), TAKEN_REASON)
        result.append(PlannedSession(session, replace(plan, unserved=plan.unserved.assign(reason=reasons))))
        taken |= result[-1].unit_ids
    progress(1.0, "calendrier prêt")
    return Calendar(tuple(result))


def _columns(frame: pd.DataFrame, folder: Path | None, source) -> dict[str, str | None]:
    """Which column holds the dates, start times, teams (count or file) and, optionally, minutes: by content, then by header."""
    def share(column: str, test) -> float:
        cells = frame[column].dropna()
        return float(cells.map(test).mean()) if len(cells) else 0.0

    def header_is(column: str, kind: str) -> bool:
        return plain(column).lower().replace(" ", "_").replace("'", "_") in HEADERS[kind]

    def pick(kind: str, test, among: list[str]) -> str | None:
        fits = [c for c in among if share(c, test) >= CONTENT_SHARE]
        named = [c for c in fits if header_is(c, kind)]
        return (named or fits or [None])[0]

    remaining = list(frame.columns)
    date = pick("date", lambda cell: _parse_date(cell)[0] is not None, remaining)
    if date is None:
        raise InputDataError("no column of dates", source=source, where=f"columns: {', '.join(map(str, frame.columns))}",
                             hint="one line per session: date (14/03/2027), start time (9h30), number of teams or a teams file")
    remaining.remove(date)
    time = pick("time", lambda cell: _parse_time(cell) is not None, remaining)
    if time:
        remaining.remove(time)
    counts = [c for c in remaining if share(c, lambda cell: re.fullmatch(r"\d+", cell) is not None) >= CONTENT_SHARE]
    minutes = next((c for c in counts if header_is(c, "minutes")), None)
    counts = [c for c in counts if c != minutes]
    files = [c for c in remaining if share(c, lambda cell: _looks_like_file(cell, folder)) >= CONTENT_SHARE]
    teams = next((c for c in counts + files if header_is(c, "teams")), None) or (counts + files or [None])[0]
    if len(counts) > 1 and not any(header_is(c, "teams") for c in counts):
        raise InputDataError("several columns of numbers: which one is the number of teams?", source=source, where=f"columns: {', '.join(counts)}",
                             hint="name the column of team counts 'equipes' (and a session length 'minutes')")
    return {"date": date, "time": time, "teams": teams, "minutes": minutes}


def _session_teams(cell, teams: list[Team] | None, addresses, folder: Path | None, source, where: str) -> list[Team]:
    if cell is None or pd.isna(cell):
        if not teams:
            raise InputDataError("no teams for this session", source=source, where=where, hint="give a number of teams or a teams file per session")
        return list(teams)
    if re.fullmatch(r"\d+", cell):
        count = int(cell)
        if not teams or not 1 <= count <= len(teams):
            raise InputDataError(f"{count} teams asked, {len(teams or [])} in the team table", source=source, where=where,
                                 hint="add teams to the team table, or give this session its own teams file")
        return list(teams[:count])
    path = Path(cell) if Path(cell).is_absolute() or folder is None else folder / cell
    if not path.exists():
        raise InputDataError(f"teams file {cell!r} not found", source=source, where=where, hint="give its path relative to the sessions file")
    return read_teams(path, addresses=addresses)


def _looks_like_file(cell: str, folder: Path | None) -> bool:
    return cell.lower().endswith((".csv", ".txt", ".tsv")) or (folder is not None and (folder / cell).is_file())


def _parse_date(text: str) -> tuple[dt.date | None, str | None]:
    """A French or ISO date at the start of ``text``, and what follows it (a time, perhaps)."""
    words = plain(text).replace("'", " ")
    for pattern, order in ((_ISO, "ymd"), (_NUMERIC, "dmy"), (_WORDS, "dmy")):
        match = pattern.match(words)
        if not match:
            continue
        parts = dict(zip(order, match.groups()[:3]))
        month = MONTHS.get(parts["m"]) if not parts["m"].isdigit() else int(parts["m"])
        year = int(parts["y"]) + (2000 if len(parts["y"]) == 2 else 0)
        try:
            return dt.date(year, month or 0, int(parts["d"])), match.group(4)
        except ValueError:
            return None, None
    return None, None


def _parse_time(text: str) -> dt.time | None:
    """'9h30', '9 h', '09:30', '14h00-17h00' (its start)."""
    match = _TIME.match(plain(text) + " ")
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    return dt.time(hour, minute) if hour < 24 and minute < 60 else None
