"""Score a whole territory: bureaux, then streets; and write the scores for people and for the planner."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from canvass.crs import WEB_CRS
from canvass.errors import InputDataError
from canvass.scores.camps import CampWarning, SkippedElection
from canvass.scores.strategies import COMPONENT_COLUMNS, ScoreParams, score_bureaux
from canvass.scores.to_segments import segment_priorities
from canvass.territory.model import Territory

SUPPRESSED = "secret"
"""What is shown instead of a figure computed on too few registered voters."""


@dataclass(frozen=True)
class TerritoryScores:
    """Scores of one territory: per bureau (best first), per segment, the parameters used, and what was left out."""

    params: ScoreParams
    bureaux: pd.DataFrame
    segments: pd.DataFrame
    models: dict = field(default_factory=dict)
    skipped_elections: tuple[SkippedElection, ...] = ()

    @property
    def warnings(self) -> list[str]:
        """What the organiser must know about these scores (French), e.g. elections skipped for lack of a candidate."""
        return [item.message for item in self.skipped_elections]


def score_territory(
    territory: Territory,
    params: ScoreParams,
    *,
    seed: int = 0,
    on_progress: Callable[[float, str], None] | None = None,
) -> TerritoryScores:
    """Score the bureaux of ``territory`` and carry the priorities down to its street segments.

    With ``params.census_weight`` > 0 the census model is fitted first
    (cross-validated, seeded) and its out-of-fold camp share is blended in.
    With ``params.model == "shrunk"`` the rates are the forecast of
    :mod:`canvass.scores.shrunk`, with the bureau polygons as neighbours and
    the census rates (when the territory has them) in the prior.
    An election where the camp has no candidate is left out, listed in
    :attr:`TerritoryScores.skipped_elections` and raised as a
    :class:`~canvass.scores.camps.CampWarning`.
    """
    progress = on_progress or (lambda fraction, message: None)
    if territory.results.empty:
        raise InputDataError("the territory has no election results", hint="add results files to the folder and build again")
    segments = territory.segments
    n_doors = segments.groupby("bureau_id")["n_doors"].sum() if len(segments) else None
    models = {}
    predicted = None
    if params.census_weight > 0:
        from canvass.scores.census_model import bureau_features, fit_model

        progress(0.2, "modèle de recensement")
        plain = score_bureaux(territory.results, ScoreParams(strategy="mobilisation", camp=params.camp, decay=params.decay, round=params.round, elections=params.elections, min_registered=0))
        models["share_camp"] = fit_model(bureau_features(territory), plain["share_camp"], seed=seed)
        predicted = models["share_camp"].predicted
    shrunk_inputs = {}
    if params.model == "shrunk":
        progress(0.4, "modèle lissé (voisins, recensement)")
        shrunk_inputs = {"bureaux": territory.bureaux, "features": census_rates(territory), "seed": seed}
    progress(0.6, "scores par bureau")
    bureaux = score_bureaux(territory.results, params, n_doors=n_doors, predicted_share_camp=predicted, **shrunk_inputs)
    skipped = tuple(bureaux.attrs.get("skipped_elections", ()))
    known = bureaux.index.isin(territory.bureaux["bureau_id"])
    bureaux = bureaux[known]
    bureaux.attrs = {}  # what was skipped is kept on TerritoryScores, not carried along by every copy of the table
    if "share_camp" in models:
        # Bureaux voting for the camp well below what their census profile predicts: worth a visit to understand.
        flags = models["share_camp"].flags.reindex(bureaux.index).fillna(False).astype(bool)
        bureaux = bureaux.assign(under_performing=flags & ~bureaux["suppressed"])
    progress(0.8, "priorités par rue")
    if len(segments):
        segment_table = segment_priorities(segments, territory.bureaux, bureaux)
    else:
        segment_table = pd.DataFrame(columns=["segment_id", "bureau_id", "n_doors", "priority", "value"])
    for item in skipped:
        warnings.warn(CampWarning(item.message), stacklevel=2)
    progress(1.0, "scores prêts")
    return TerritoryScores(params, bureaux, segment_table, models, skipped)


def census_rates(territory: Territory) -> pd.DataFrame | None:
    """Census rates by bureau for the ``shrunk`` model, or None when the territory has no census or grid data."""
    from canvass.scores.census_model import bureau_features

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a thin census coverage only weakens the prior, the build report already says so
            return bureau_features(territory)
    except InputDataError:
        return None


def displayed(table: pd.DataFrame) -> pd.DataFrame:
    """The bureau table as people see it: suppressed bureaux show ``secret`` instead of any figure."""
    shown = table.copy()
    numbers = ["score", "priority", *COMPONENT_COLUMNS]
    shown[numbers] = shown[numbers].astype(object).mask(shown["suppressed"], SUPPRESSED, axis=0)
    shown["rank"] = shown["rank"].astype(object).mask(shown["suppressed"], SUPPRESSED)
    return shown.drop(columns="suppressed")


def write_scores(scores: TerritoryScores, territory: Territory, path: Path) -> Path:
    """Write the scores as CSV (bureau table), GeoJSON (bureaux, WGS84) or GeoPackage (bureaux and segments, Lambert-93).

    Suppressed bureaux carry no figure in CSV and GeoJSON; the GeoPackage is
    the planner's input and keeps their (neutral) segment priorities only.

    Raises
    ------
    InputDataError
        If the file extension is none of .csv, .geojson, .gpkg.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    table = displayed(scores.bureaux).reset_index()
    if suffix == ".csv":
        table.to_csv(path, index=False)
        return path
    polygons = territory.bureaux[["bureau_id", "label", "name", "geometry"]].merge(table, on="bureau_id", how="inner")
    if suffix == ".geojson":
        path.unlink(missing_ok=True)
        text_columns = [c for c in table.columns if table[c].dtype == object]
        polygons[text_columns] = polygons[text_columns].astype("string")
        polygons.to_crs(WEB_CRS).to_file(path, driver="GeoJSON")
        return path
    if suffix == ".gpkg":
        path.unlink(missing_ok=True)
        bureaux = territory.bureaux[["bureau_id", "label", "name", "geometry"]].merge(scores.bureaux.reset_index(), on="bureau_id")
        numbers = ["score", "priority", *COMPONENT_COLUMNS]
        bureaux[numbers] = bureaux[numbers].where(~bureaux["suppressed"], np.nan, axis=0)
        bureaux.to_file(path, layer="bureau_scores", driver="GPKG")
        if len(scores.segments):
            segments = gpd.GeoDataFrame(scores.segments, geometry=territory.segments.geometry.values, crs=territory.segments.crs)
            segments.to_file(path, layer="segment_scores", driver="GPKG")
        return path
    raise InputDataError(f"unknown score file type {suffix!r}", source=path, hint="write .csv, .geojson or .gpkg")
