"""Acceptance: canvass build --fetch against the replay server gives the territory of canvass build on the shared folder."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from canvass.cli import main
from canvass.territory.build import build_territory
from canvass.territory.io import load_territory
from tests.fetch.conftest import write_catalogue
from tests.helpers import real


def _per_bureau(results: pd.DataFrame) -> pd.DataFrame:
    """Totals and the sorted candidate votes of every (election, round, bureau): candidate labels differ between publishers."""
    grouped = results.groupby(["election", "round", "bureau_id"])
    totals = grouped[["n_registered", "n_voters", "n_expressed"]].first()
    totals["votes"] = grouped["n_votes"].apply(lambda votes: tuple(sorted(votes.fillna(-1))))
    return totals.sort_index()


def _doors(territory) -> float:
    """Doors placed on streets (a territory without streets has no n_doors column)."""
    return float(territory.segments["n_doors"].sum()) if "n_doors" in territory.segments else 0.0


@pytest.mark.parametrize(("folder", "commune", "elections"), [
    ("paris-16e", "75116", ["2017_pres", "2020_muni"]),
    ("brest", "29019", ["2017_pres", "2022_legi", "2024_legi"]),
])
def test_fetch_then_build_matches_the_shared_folder(tmp_path, replay, folder, commune, elections):
    catalogue = write_catalogue(tmp_path / "catalogue.toml", replay)
    out = tmp_path / f"{commune}.gpkg"
    status = main(["-q", "build", "--commune", commune, "--fetch", "--out", str(out), "--catalogue", str(catalogue),
                   "--cache", str(tmp_path / "cache"), "--elections", *elections])
    assert status == 0
    fetched = load_territory(out)
    reference = build_territory(real(folder), [commune])
    assert sorted(fetched.bureaux["bureau_id"]) == sorted(reference.bureaux["bureau_id"])
    pd.testing.assert_frame_equal(_per_bureau(fetched.results), _per_bureau(reference.results), check_dtype=False)
    assert len(fetched.iris) == len(reference.iris) and len(fetched.census) == len(reference.census)
    assert len(fetched.grid) == len(reference.grid)
    assert len(fetched.segments) == len(reference.segments)
    doors, reference_doors = _doors(fetched), _doors(reference)
    assert doors == pytest.approx(reference_doors, rel=0.01)
    unplaced = fetched.meta["doors_source"]["n_unplaced"]
    assert unplaced == pytest.approx(reference.meta["doors_source"]["n_unplaced"], rel=0.01) and unplaced + doors > 0
    assert fetched.meta["doors_source"]["kind"] == reference.meta["doors_source"]["kind"]
    sources = json.loads((tmp_path / "cache" / "communes" / commune / "SOURCES.json").read_text())
    assert sources["commune"]["code"] == commune
    assert sources["odbl"] == (commune == "75116")  # Ville de Paris layer and OSM streets are ODbL
    assert np.isfinite(fetched.bureaux.geometry.area).all()
