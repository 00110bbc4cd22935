"""Progress figures on a small hand-made field log, worked out by hand."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from canvass.errors import DataQualityWarning, InputDataError
from canvass.field.log import done_units, plan_steps, progress_by_bureau, progress_by_team, remaining_segments
from canvass.plan.result import Plan, Step, TeamWalk
from canvass.plan.units import unit_ids


@pytest.fixture
def segments():
    """Six segments in two bureaux: 0001 has segments 1-3 (10+20+30 doors), 0002 has 4-6 (5+5+10)."""
    return gpd.GeoDataFrame(
        {
            "segment_id": np.arange(1, 7, dtype=np.int64),
            "bureau_id": ["29232_0001"] * 3 + ["29232_0002"] * 3,
            "n_doors": [10.0, 20.0, 30.0, 5.0, 5.0, 10.0],
        },
        geometry=[shapely.LineString([(i, 0), (i + 1, 0)]) for i in range(6)],
        crs=2154,
    )


@pytest.fixture
def plan():
    """Team Nord walks 1, 2, 3; team Sud walks 4, 5."""
    def step(segment_id, doors):
        return Step(segment_id, False, f"Rue {segment_id}", doors, doors, 0.0, 100.0, 2.0, doors)

    walks = (
        TeamWalk("Nord", (step(1, 10.0), step(2, 20.0), step(3, 30.0)), 0.0, 120.0),
        TeamWalk("Sud", (step(4, 5.0), step(5, 5.0)), 0.0, 120.0),
    )
    return Plan(walks, pd.DataFrame(), "test", 0, 0.0, 0.0)


@pytest.fixture
def log():
    """Nord did 1 and 2 (knocking fewer doors than planned), Sud did 4 and also segment 6 (not in its walk); one old session."""
    return pd.DataFrame(
        {
            "session": ["s1", "s1", "s1", "s1", "s0"],
            "team": ["Nord", "Nord", "Sud", "Sud", "Sud"],
            "segment_id": [1, 2, 4, 6, 5],
            "doors_knocked": [10, 15, 5, 10, 4],
            "doors_opened": [4, 5, 0, 3, 2],
            "soutien": [2, 1, 0, 1, 1],
            "absent": [6, 10, 5, 7, 2],
        }
    )


def test_plan_steps(plan):
    steps = plan_steps(plan)
    assert steps.to_dict("list") == {"team": ["Nord"] * 3 + ["Sud"] * 2, "order": [1, 2, 3, 1, 2], "segment_id": [1, 2, 3, 4, 5],
                                     "label": ["Rue 1", "Rue 2", "Rue 3", "Rue 4", "Rue 5"], "n_doors": [10.0, 20.0, 30.0, 5.0, 5.0]}


def test_progress_by_team(log, plan):
    table = progress_by_team(log, plan_steps(plan), session="s1").set_index("team")
    assert list(table.index) == ["Nord", "Sud"]
    nord, sud = table.loc["Nord"], table.loc["Sud"]
    assert (nord.segments_planned, nord.segments_done, nord.segments_left) == (3, 2, 1)
    assert (nord.doors_planned, nord.doors_knocked, nord.doors_opened) == (60.0, 25, 9)
    assert nord.contact_rate == pytest.approx(9 / 25) and nord.coverage == pytest.approx(25 / 60)
    assert (nord.soutien, nord.absent, nord.indecis) == (3, 16, 0)
    # Sud planned 4 and 5, did 4 (and 6, off plan): 5 was done in the old session only, not counted for s1
    assert (sud.segments_planned, sud.segments_done, sud.segments_left) == (2, 1, 1)
    assert (sud.doors_planned, sud.doors_knocked, sud.doors_opened) == (10.0, 15, 3)
    assert sud.contact_rate == pytest.approx(0.2) and sud.coverage == pytest.approx(1.5)
    # every session: segment 5 is done too; a Plan object is accepted as well
    everything = progress_by_team(log, plan).set_index("team")
    assert everything.loc["Sud", "segments_done"] == 2 and everything.loc["Sud", "doors_knocked"] == 19


def test_progress_by_team_lists_teams_off_plan_and_empty_logs(log, plan):
    extra = pd.concat([log, pd.DataFrame({"session": ["s1"], "team": ["Renfort"], "segment_id": [3], "doors_knocked": [0], "doors_opened": [0]})])
    table = progress_by_team(extra, plan, session="s1").set_index("team")
    assert list(table.index) == ["Nord", "Sud", "Renfort"]
    renfort = table.loc["Renfort"]
    assert (renfort.segments_planned, renfort.doors_planned, renfort.doors_knocked) == (0, 0.0, 0)
    assert np.isnan(renfort.contact_rate) and np.isnan(renfort.coverage)
    assert table.loc["Nord", "segments_done"] == 3  # segment 3 was logged (by Renfort): done for Nord's walk
    empty = progress_by_team(log.iloc[:0], plan).set_index("team")
    assert empty["doors_knocked"].tolist() == [0, 0] and empty["segments_left"].tolist() == [3, 2]
    assert empty["contact_rate"].isna().all() and (empty["coverage"] == 0).all()


def test_progress_by_bureau(log, segments):
    table = progress_by_bureau(log, segments).set_index("bureau_id")
    first, second = table.loc["29232_0001"], table.loc["29232_0002"]
    assert (first.segments, first.segments_done, first.segments_left) == (3, 2, 1)
    assert (first.doors, first.doors_knocked, first.doors_opened) == (60.0, 25, 9)
    assert first.contact_rate == pytest.approx(9 / 25) and first.coverage == pytest.approx(25 / 60)
    assert (second.segments, second.segments_done, second.segments_left) == (3, 3, 0)
    assert (second.doors, second.doors_knocked, second.doors_opened, second.soutien) == (20.0, 19, 5, 2)
    only_s0 = progress_by_bureau(log, segments, session="s0").set_index("bureau_id")
    assert only_s0["segments_done"].tolist() == [0, 1] and np.isnan(only_s0.loc["29232_0001", "contact_rate"])


def test_progress_by_bureau_warns_on_segments_of_another_territory(log, segments):
    stray = pd.concat([log, pd.DataFrame({"team": ["Nord"], "segment_id": [999], "doors_knocked": [3], "doors_opened": [1]})])
    with pytest.warns(DataQualityWarning, match="1 segment\\(s\\) of the field log are not in this territory .*: 999"):
        table = progress_by_bureau(stray, segments)
    assert table["doors_knocked"].sum() == log["doors_knocked"].sum()


def test_remaining_segments(log, segments):
    left = remaining_segments(segments, log)
    assert isinstance(left, gpd.GeoDataFrame) and left["segment_id"].tolist() == [3]
    assert remaining_segments(segments, {1, 2})["segment_id"].tolist() == [3, 4, 5, 6]
    assert remaining_segments(segments, log.iloc[:0]).equals(segments)


def test_missing_columns_are_named(plan):
    with pytest.raises(InputDataError, match="the field log lacks columns doors_opened"):
        progress_by_team(pd.DataFrame({"team": [], "segment_id": [], "doors_knocked": []}), plan)


@pytest.fixture
def units(segments):
    """Segment 1 left whole; segment 2 cut into blocks 0 and 1 (10 doors each); segment 3 into three blocks of 10 doors."""
    parent = np.array([1, 2, 2, 3, 3, 3])
    block = np.array([0, 0, 1, 0, 1, 2])
    return gpd.GeoDataFrame(
        {"unit_id": unit_ids(parent, block, np.array([1, 2, 2, 3, 3, 3])), "segment_id": parent, "bureau_id": "29232_0001",
         "n_doors": [10.0] * 6},
        geometry=[shapely.LineString([(i, 0), (i + 1, 0)]) for i in range(6)],
        crs=2154,
    )


def test_blocks_and_an_old_log_naming_segments(units, segments):
    ids = units["unit_id"].tolist()
    # Block 0 of segment 2 done this session; segment 3 logged whole by a log written before blocks existed.
    log = pd.DataFrame({"team": ["Nord", "Nord"], "segment_id": [ids[1], 3], "doors_knocked": [8, 25], "doors_opened": [3, 9]})
    assert done_units(ids, log["segment_id"]).tolist() == [False, True, False, True, True, True]
    assert remaining_segments(units, log)["unit_id"].tolist() == [ids[0], ids[2]]
    # On plain segments, segment 2 still has a block to do: it stays.
    assert remaining_segments(segments, log)["segment_id"].tolist() == [1, 2, 4, 5, 6]
    table = progress_by_bureau(log, units).set_index("bureau_id").loc["29232_0001"]
    assert (table.segments, table.segments_done, table.doors, table.doors_knocked) == (6, 4, 60.0, 33)
    by_segment = progress_by_bureau(log, segments).set_index("bureau_id").loc["29232_0001"]
    assert (by_segment.segments_done, by_segment.doors_knocked) == (2, 33)  # a block's entries count for its segment
    steps = pd.DataFrame({"team": "Nord", "segment_id": ids[1:4], "n_doors": 10.0})
    nord = progress_by_team(log, steps).set_index("team").loc["Nord"]
    assert (nord.segments_planned, nord.segments_done, nord.segments_left) == (3, 2, 1)


def test_french_progress_headers_and_formats(log, plan):
    from canvass.field.log import PROGRESS_HEADERS, french_progress

    table = progress_by_team(log.iloc[:0], plan)
    shown = french_progress(progress_by_team(log, plan, session="s1"))
    assert list(shown.columns) == [PROGRESS_HEADERS[column] for column in progress_by_team(log, plan).columns]
    nord = shown.set_index("Équipe").loc["Nord"]
    assert nord["Taux d’ouverture"] == "36,0\u202f%" and nord["Couverture"] == "41,7\u202f%"  # 9/25 and 25/60
    assert nord["Portes prévues"] == "60" and nord["Soutien"] == "3"
    empty = french_progress(table)
    assert (empty["Taux d’ouverture"] == "—").all() and not empty.isin(["nan", "None"]).any().any()
    big = french_progress(pd.DataFrame({"team": ["A"], "doors_planned": [12345.0]}))
    assert big.loc[0, "Portes prévues"] == "12\u202f345"
