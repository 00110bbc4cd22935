"""A calendar of sessions: sessions files read by content, sessions planned on what is left, re-planned after the field log."""

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from canvass.errors import InputDataError
from canvass.plan.calendar import TAKEN_REASON, Session, plan_calendar, read_sessions, replan_calendar
from canvass.plan.problem import build_problem
from canvass.plan.teams import Team
from canvass.territory.model import Territory
from tests.plan.test_meeting_places import demo  # noqa: F401  (the demo territory, scores and teams, built once per module)

SATURDAYS = [dt.date(2027, 3, 13), dt.date(2027, 3, 20), dt.date(2027, 3, 27)]


def _teams(n, minutes=120.0, start=(0.0, 0.0)):
    return [Team(f"Équipe {i + 1}", 2, start, minutes, speed_kmh=3.6) for i in range(n)]


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_french_headers_and_dates_team_counts_from_the_team_table(tmp_path):
    path = _write(tmp_path / "seances.csv", "Jour;Début;Équipes\nsamedi 20 mars 2027;14h00;2\n13/03/2027;9h30;3\n2027-03-27;10:00;1\n")
    teams = _teams(3)
    sessions = read_sessions(path, teams=teams)
    assert [s.date for s in sessions] == SATURDAYS
    assert [s.start for s in sessions] == [dt.time(9, 30), dt.time(14, 0), dt.time(10, 0)]
    assert [len(s.teams) for s in sessions] == [3, 2, 1]
    assert sessions[1].teams == tuple(teams[:2])
    assert sessions[0].label() == "samedi 13 mars 2027 à 9h30"


def test_columns_found_by_content_without_header_and_teams_files(tmp_path):
    _write(tmp_path / "samedi.csv", "nom;taille;lat;lon;minutes\nA;4;48.0;-4.1;90\nB;2;48.0;-4.1;90\n")
    path = _write(tmp_path / "seances.csv", "samedi.csv,9h30,13/03/2027\nsamedi.csv,14 h,20/03/27\n")
    sessions = read_sessions(path)
    assert [s.date for s in sessions] == SATURDAYS[:2] and [s.start for s in sessions] == [dt.time(9, 30), dt.time(14, 0)]
    assert [t.name for t in sessions[0].teams] == ["A", "B"] and sessions[0].teams[0].minutes == 90
    # A date and time in one cell, a session length in minutes beside the team count.
    path = _write(tmp_path / "avec_duree.csv", "quand;equipes;minutes\n2027-03-13 09:30;2;150\n")
    (session,) = read_sessions(path, teams=_teams(3))
    assert session.start == dt.time(9, 30) and [t.minutes for t in session.teams] == [150.0, 150.0]


@pytest.mark.parametrize(
    "text, message",
    [
        ("date;heure;equipes\n13/03/2027;9h;1\n13/03/2027;9h;1\n13/03/2027;9h;1\n13/03/2027;9h;1\n32/13/2027;9h;1\n", "line 6"),
        ("date;heure\nbientôt;9h\nplus tard;10h\n", "no column of dates"),
        ("date;heure;equipes\n13/03/2027;9h;5\n", "5 teams asked, 3 in the team table"),
        ("date;heure;equipes\n13/03/2027;9h;absent.csv\n", "teams file 'absent.csv' not found"),
        ("date;heure;a;b\n13/03/2027;9h;2;120\n", "several columns of numbers"),
    ],
)
def test_bad_sessions_files_say_what_and_where(tmp_path, text, message):
    with pytest.raises(InputDataError, match=message):
        read_sessions(_write(tmp_path / "seances.csv", text), teams=_teams(3))


@pytest.fixture
def star_territory(star):
    segments, values = star
    empty = gpd.GeoDataFrame(geometry=[], crs=2154)
    return Territory(("29999",), empty, pd.DataFrame(), empty, pd.DataFrame(), segments, empty, empty), values


def _one_team_sessions():
    """Two sessions of one pair for 1,100 s: time for two of the star's three spokes each (see the ``star`` fixture)."""
    return [Session(day, dt.time(10, 0), tuple(_teams(1, minutes=1100 / 60))) for day in SATURDAYS[1::-1]]


def _served(item):
    return set(item.unit_ids)


def test_first_session_takes_the_best_streets_the_next_one_the_rest(star_territory):
    territory, values = star_territory
    calendar = plan_calendar(territory, values, _one_team_sessions(), time_limit_s=1)
    first, second = calendar.sessions
    assert first.session.date < second.session.date
    assert _served(first) == {1, 2} and _served(second) == {0}  # values 10 + 8, then 5
    reasons = second.plan.unserved.set_index("segment_id")["reason"]
    assert reasons[1] == reasons[2] == TAKEN_REASON
    table = calendar.table()
    assert list(table["Valeur"]) == [18.0, 5.0] and list(table["État"]) == ["prévue", "prévue"]
    assert calendar.session_of_unit() == {1: 0, 2: 0, 0: 1}


def test_field_log_of_the_first_session_changes_the_second(star_territory):
    territory, values = star_territory
    calendar = plan_calendar(territory, values, _one_team_sessions(), time_limit_s=1)
    between = dt.datetime.combine(SATURDAYS[0], dt.time(18, 0))
    again = replan_calendar(calendar, territory, values, {1}, now=between, time_limit_s=1)  # the spoke worth 8 was not done
    first, second = again.sessions
    assert first.held and first.plan is calendar.sessions[0].plan
    assert _served(second) == {2, 0}
    assert list(again.table()["État"]) == ["tenue", "prévue"]
    # Before any session is held, everything is planned again without what is done.
    fresh = replan_calendar(calendar, territory, values, {1}, now=dt.datetime(2027, 1, 1), time_limit_s=1)
    assert _served(fresh.sessions[0]) == {2, 0} and _served(fresh.sessions[1]) == set()


def test_three_sessions_on_the_demo_cover_the_best_units_once(demo):  # noqa: F811
    territory, values, teams = demo
    sessions = [Session(day, dt.time(9, 30), tuple(teams)) for day in SATURDAYS]
    calendar = plan_calendar(territory, values, sessions, meeting_places=3, time_limit_s=2)
    served = [item.unit_ids for item in calendar.sessions]
    assert all(served) and all(not (a & b) for i, a in enumerate(served) for b in served[i + 1:])
    # The units worth most per minute of work are nearly all in the calendar, and the best go first.
    problem = build_problem(territory.segments, values, teams)
    worth = problem.value / problem.service_seconds(teams[0])
    top = problem.segment_id[np.argsort(-worth, kind="stable")[:20]]
    assert np.isin(top, list(set().union(*served))).mean() >= 0.75
    value = [item.plan.totals()["value"] for item in calendar.sessions]
    assert value[0] >= value[-1]
    # Session 1 done by half: what it left goes back to the pool; session 2 changes.
    first = calendar.sessions[0]
    done = {step.segment_id for walk in first.plan.walks for step in walk.steps[: len(walk.steps) // 2]}
    again = replan_calendar(calendar, territory, values, done, now=dt.datetime.combine(SATURDAYS[0], dt.time(20)),
                            meeting_places=3, time_limit_s=2)
    second = again.sessions[1].unit_ids
    assert second != served[1]
    assert not (second & done) and second & (first.unit_ids - done)
    assert not (second & again.sessions[2].unit_ids)
