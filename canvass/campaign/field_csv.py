"""Field entries: checking one entry, and reading a field sheet (CSV) into entries.

A field entry is what a team did on one street segment during a session: doors
knocked and opened, and outcome counts. Counts only: no name, no address, no
individual voter. The store saves entries; this module only checks them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from canvass.errors import InputDataError
from canvass.opendata._io import read_text_table, to_number

OUTCOMES = ("soutien", "indecis", "opposant", "absent", "refus")
"""Outcome counts of the field log, in display order: supporter, undecided, opponent, nobody home, refused to talk."""

_OUTCOME_ALIASES = {
    "soutien": ("soutien", "soutiens", "support", "supporter", "supporters", "pour"),
    "indecis": ("indecis", "undecided", "hesitant", "hesitants"),
    "opposant": ("opposant", "opposants", "opponent", "opponents", "opposed", "contre"),
    "absent": ("absent", "absents", "not_home", "nobody_home", "absence", "absences"),
    "refus": ("refus", "refuse", "refused", "refusal", "refusals"),
}

_COLUMNS = {
    "team": ("equipe", "team", "nom_equipe", "team_name"),
    "segment_id": ("segment_id", "segment", "id_segment", "troncon", "troncon_id"),
    "doors_knocked": ("portes_frappees", "doors_knocked", "frappees", "knocked"),
    "doors_opened": ("portes_ouvertes", "doors_opened", "ouvertes", "opened"),
}


@dataclass(frozen=True)
class FieldEntry:
    """One checked field entry; ``outcomes`` holds only the outcomes given (keys from :data:`OUTCOMES`)."""

    session: str
    team: str
    segment_id: int
    doors_knocked: int
    doors_opened: int
    outcomes: Mapping[str, int] = field(default_factory=dict)


def field_entry(*, session: str, team: str, segment_id: int, doors_knocked: int, doors_opened: int,
                outcomes: Mapping[str, Any] | None = None) -> FieldEntry:
    """Check one entry typed in the app; outcome names may be French or English (``{"indécis": 2, "absent": 10}``).

    Raises
    ------
    InputDataError
        Negative or non-whole counts, more doors opened than knocked, an unknown outcome.
    """
    problems: list[str] = []
    entry = _entry(problems, session=session, team=team, segment_id=segment_id, knocked=doors_knocked, opened=doors_opened,
                   outcomes=_outcome_counts(problems, outcomes or {}))
    if problems:
        raise InputDataError("this field entry cannot be saved: " + "; ".join(problems),
                             hint="counts are whole numbers ≥ 0 and no more doors are opened than knocked")
    return entry


def read_field_csv(path: str | Path, *, session: str, teams: Iterable[str] | None = None,
                   segments: Iterable[int] | None = None) -> list[FieldEntry]:
    """Read and check a field sheet: every line, or an error naming the bad lines.

    Columns (French or English, accents and case ignored): ``equipe``/``team``,
    ``segment_id``, ``portes_frappees``/``doors_knocked``,
    ``portes_ouvertes``/``doors_opened``, and optional outcome columns
    ``soutien``, ``indecis``, ``opposant``, ``absent``, ``refus`` (blank = 0).
    Any other column is refused: the log keeps counts only, never names or comments.
    ``teams`` and ``segments``, when given, are the only team names and segment ids accepted.

    Raises
    ------
    InputDataError
        Missing or unknown columns, or bad lines (each named with its line number and column).
    """
    path = Path(path)
    raw = read_text_table(path)
    columns = _columns(raw.columns, path)
    known_teams = {str(team).strip() for team in teams} if teams is not None else None
    known_segments = {int(segment) for segment in segments} if segments is not None else None
    entries, problems = [], []
    for index, record in enumerate(raw.to_dict("records")):
        line_problems: list[str] = []
        counts = {outcome: _count(line_problems, record.get(columns[outcome]), columns[outcome], blank=0) for outcome in OUTCOMES if outcome in columns}
        entry = _entry(line_problems, session=session, team=record.get(columns["team"]), segment_id=record.get(columns["segment_id"]),
                       knocked=record.get(columns["doors_knocked"]), opened=record.get(columns["doors_opened"]), outcomes=counts, names=columns)
        if not line_problems:
            if known_teams is not None and entry.team not in known_teams:
                line_problems.append(f"column {columns['team']}: team {entry.team!r} is not one of the session's teams ({', '.join(sorted(known_teams))})")
            if known_segments is not None and entry.segment_id not in known_segments:
                line_problems.append(f"column {columns['segment_id']}: segment {entry.segment_id} is not in the territory")
        if line_problems:
            problems.append(f"line {index + 2}: " + ", ".join(line_problems))
        else:
            entries.append(entry)
    if problems:
        shown = "; ".join(problems[:5]) + (f" … ({len(problems)} bad lines in all)" if len(problems) > 5 else "")
        raise InputDataError(
            f"{len(problems)} line(s) cannot be imported; nothing was imported",
            source=path,
            where=shown,
            hint="fix these lines (whole counts ≥ 0, doors opened ≤ doors knocked) and import the file again",
        )
    return entries


def _columns(header: Iterable[object], path: Path) -> dict[str, str]:
    """Map each role (team, segment_id, counts, outcomes) to its column of the sheet."""
    header = list(header)
    columns: dict[str, str] = {}
    unknown, duplicated = [], []
    for column in header:
        name = _normalise(column)
        role = next((role for role, names in _COLUMNS.items() if name in names), None)
        role = role or next((outcome for outcome, names in _OUTCOME_ALIASES.items() if name in names), None)
        if role is None:
            unknown.append(column)
        elif role in columns:
            duplicated.append(column)
        else:
            columns[role] = column
    missing = [_COLUMNS[role][0] for role in _COLUMNS if role not in columns]
    if missing or unknown or duplicated:
        what = "; ".join(filter(None, [
            f"missing columns: {', '.join(missing)}" if missing else "",
            f"unknown columns: {', '.join(map(str, unknown))}" if unknown else "",
            f"columns given twice: {', '.join(map(str, duplicated))}" if duplicated else "",
        ]))
        raise InputDataError(
            what + "; nothing was imported",
            source=path,
            where=f"header: {', '.join(map(str, header))}",
            hint="the field sheet has the columns equipe, segment_id, portes_frappees, portes_ouvertes and optionally "
                 f"{', '.join(OUTCOMES)}; remove other columns (no names or comments: counts only)",
        )
    return columns


def _normalise(name: object) -> str:
    text = "".join(c for c in unicodedata.normalize("NFKD", str(name)) if not unicodedata.combining(c)).lower().strip()
    return re.sub(r"[\s\-'’.]+", "_", text)


def _count(problems: list[str], value: object, column: str, *, blank: int | None = None) -> int:
    """A whole count ≥ 0 from a cell (text or number); a problem is appended when it is not one."""
    if value is None or (not isinstance(value, str) and pd.isna(value)) or (isinstance(value, str) and not value.strip()):
        if blank is None:
            problems.append(f"column {column}: empty")
            return 0
        return blank
    if isinstance(value, bool):
        number = float("nan")
    elif isinstance(value, str):
        number = float(to_number(pd.Series([value], dtype="string")).iloc[0])
    else:
        number = float(value)
    if not np.isfinite(number) or not number.is_integer():
        problems.append(f"column {column}: {value!r} is not a whole number")
        return 0
    if number < 0:
        problems.append(f"column {column}: {value!r} is negative")
        return 0
    return int(number)


def _outcome_counts(problems: list[str], outcomes: Mapping[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name, value in outcomes.items():
        outcome = next((key for key, names in _OUTCOME_ALIASES.items() if _normalise(name) in names), None)
        if outcome is None:
            problems.append(f"unknown outcome {name!r} (one of {', '.join(OUTCOMES)})")
        elif outcome in counts:
            problems.append(f"outcome {outcome!r} given twice")
        else:
            counts[outcome] = _count(problems, value, outcome)
    return counts


def _entry(problems: list[str], *, session: object, team: object, segment_id: object, knocked: object, opened: object,
           outcomes: dict[str, int], names: Mapping[str, str] | None = None) -> FieldEntry:
    """Check one field entry; problems are appended to ``problems``."""
    names = names or {}
    team_text = "" if team is None or (not isinstance(team, str) and pd.isna(team)) else str(team).strip()
    if not team_text:
        problems.append(f"column {names.get('team', 'team')}: no team")
    segment = _count(problems, segment_id, names.get("segment_id", "segment_id"))
    doors_knocked = _count(problems, knocked, names.get("doors_knocked", "doors_knocked"))
    doors_opened = _count(problems, opened, names.get("doors_opened", "doors_opened"))
    if doors_opened > doors_knocked:
        problems.append(f"column {names.get('doors_opened', 'doors_opened')}: {doors_opened} doors opened but only {doors_knocked} knocked")
    return FieldEntry(str(session), team_text, segment, doors_knocked, doors_opened, dict(outcomes))
