"""Scoring strategies: each turns per-bureau components into one score, explained component by component.

- ``mobilisation`` (Liegey-Muller-Pons): sympathetic abstainers, registered ×
  abstention × camp share; optionally with the camp share shrunk towards what
  the census predicts (``census_weight``).
- ``persuasion``: voters in bureaux close to the tipping point and moving
  between elections (the 2012 evaluation found persuasion mattered most).
- ``turnout``: abstainers, whatever their camp.
- ``custom``: a weighted mix of the three, each first divided by its mean.

Two models feed them: ``plain`` (each election's rates, combined with a
recency decay) and ``shrunk`` (:mod:`canvass.scores.shrunk`: a forecast of the
upcoming ballot pooled over rounds and towards neighbouring bureaux).

When ``persuasion`` does not fit the data: it needs a camp whose share means
the same race from one election to the next. Closeness is measured within
each election (its own camp, its own tipping point) and volatility only
between elections of the same type, but a history made of one lopsided
second-round duel (Macron 90 % in Paris 16e in 2017) says nothing about a
municipal race with another camp: there the persuasion score ranks bureaux by
the wrong race, and the backtest shows it (negative Spearman). Use it with a
camp present in at least one earlier election of the type being fought.

The score is a number of people (or, for ``custom``, a relative index);
``priority`` is the score per door, scaled so that the best bureau is 1: it is
what a door of that bureau is worth to the planner.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from canvass.errors import InputDataError
from canvass.scores import components
from canvass.scores.camps import Camp, select_camp

MIN_REGISTERED = 50
"""Bureaux with fewer registered voters are shown as suppressed (statistical secrecy), not as numbers."""

COMPONENT_COLUMNS = ("n_registered", "n_voters", "share_abstention", "share_camp", "volatility", "closeness",
                     "reservoir_mobilisation", "reservoir_turnout", "reservoir_persuasion")
"""Components reported for every strategy, so that any score can be explained."""


@dataclass(frozen=True)
class ScoreParams:
    """How to score: strategy, camp, and the knobs of each strategy.

    Parameters
    ----------
    strategy
        ``mobilisation``, ``persuasion``, ``turnout`` or ``custom``.
    camp
        Our camp, election by election (not needed for ``turnout``).
    decay
        Weight of each older election relative to the next (1 = all equal).
    round
        Round to read in every election; None takes each election's first round present.
    target_share
        Camp share at the tipping point, for ``persuasion`` (0.5 in a duel).
    weights
        ``custom`` weights of ``mobilisation``, ``persuasion`` and ``turnout``.
    census_weight
        ``mobilisation`` only: share λ of the census-predicted camp share in
        the camp share used (0 = results only).
    elections
        Elections to use (all by default).
    min_registered
        Suppression threshold on registered voters.
    model
        ``plain`` (rates of the elections as they were) or ``shrunk``
        (forecast of the upcoming ballot, :func:`canvass.scores.shrunk.forecast`).
    upcoming
        ``shrunk`` only: the ballot to forecast, e.g. ``2026_muni_t1`` or
        ``legi`` (its type and round set the turnout level); None: the type
        of the latest election, round ``round`` or 1.
    """

    strategy: str = "mobilisation"
    camp: Camp = field(default_factory=Camp)
    decay: float = 0.5
    round: int | None = None
    target_share: float = 0.5
    weights: Mapping[str, float] = field(default_factory=lambda: {"mobilisation": 1.0, "persuasion": 1.0, "turnout": 0.0})
    census_weight: float = 0.0
    elections: tuple[str, ...] | None = None
    min_registered: int = MIN_REGISTERED
    model: str = "plain"
    upcoming: str | None = None

    def __post_init__(self):
        if self.model not in MODELS:
            raise InputDataError(f"unknown model {self.model!r}", hint=f"choose one of {', '.join(MODELS)}")
        if self.strategy not in STRATEGIES:
            raise InputDataError(f"unknown strategy {self.strategy!r}", hint=f"choose one of {', '.join(STRATEGIES)}")
        if not 0 < self.decay <= 1:
            raise InputDataError(f"decay={self.decay} not understood", hint="give a weight in (0, 1]: 0.5 halves each older election")
        if not 0 < self.target_share < 1:
            raise InputDataError(f"target_share={self.target_share} not understood", hint="give a share between 0 and 1, e.g. 0.5")
        if not 0 <= self.census_weight <= 1:
            raise InputDataError(f"census_weight={self.census_weight} not understood", hint="give a share between 0 and 1")
        unknown = set(self.weights) - {"mobilisation", "persuasion", "turnout"}
        if unknown or any(value < 0 for value in self.weights.values()) or not any(self.weights.values()):
            raise InputDataError(
                f"custom weights {dict(self.weights)} not understood",
                hint="give non-negative weights of mobilisation, persuasion and turnout, at least one positive",
            )


def _mobilisation(combined: pd.DataFrame, params: ScoreParams) -> pd.Series:
    return combined["reservoir_mobilisation"]


def _persuasion(combined: pd.DataFrame, params: ScoreParams) -> pd.Series:
    return combined["reservoir_persuasion"]


def _turnout(combined: pd.DataFrame, params: ScoreParams) -> pd.Series:
    return combined["reservoir_turnout"]


def _custom(combined: pd.DataFrame, params: ScoreParams) -> pd.Series:
    total = pd.Series(0.0, index=combined.index)
    for name, weight in params.weights.items():
        reservoir = combined[f"reservoir_{name}"]
        total = total + weight * reservoir / reservoir.mean()
    return total


MODELS = ("plain", "shrunk")
"""Models of the rates behind the strategies."""

STRATEGIES: dict[str, Callable[[pd.DataFrame, ScoreParams], pd.Series]] = {
    "mobilisation": _mobilisation,
    "persuasion": _persuasion,
    "turnout": _turnout,
    "custom": _custom,
}


def _shrunk(combined: pd.DataFrame, chosen: pd.DataFrame, params: ScoreParams, bureaux, features, seed: int) -> pd.DataFrame:
    """Replace the rates by the ``shrunk`` forecast of the upcoming ballot (every round of the chosen elections feeds it)."""
    from canvass.scores.shrunk import forecast, upcoming_ballot

    has_camp = bool(params.camp.default or params.camp.by_election)
    target = upcoming_ballot(params.upcoming, chosen, default_round=params.round or 1)
    predicted = forecast(chosen, params.camp if has_camp else None, target, bureaux=bureaux, features=features,
                         decay=params.decay, seed=seed).reindex(combined.index)
    combined = combined.copy()
    combined["share_abstention"] = predicted["share_abstention"]
    if has_camp:
        combined["share_camp"] = predicted["share_camp"]
        combined["closeness"] = components.closeness(combined["share_camp"], params.target_share)
    combined["n_voters"] = combined["n_registered"] * (1 - combined["share_abstention"])
    return combined


def score_bureaux(
    results: pd.DataFrame,
    params: ScoreParams,
    *,
    n_doors: pd.Series | None = None,
    predicted_share_camp: pd.Series | None = None,
    bureaux: gpd.GeoDataFrame | None = None,
    features: pd.DataFrame | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Score every bureau of ``results``: score, rank, priority and the components behind them.

    Parameters
    ----------
    results
        Long results table (:data:`canvass.opendata.schemas.RESULTS_COLUMNS`).
    params
        Strategy and camp.
    n_doors
        Doors per bureau (from the territory's segments); without it, priority
        is per registered voter.
    predicted_share_camp
        Census-model camp share per bureau, used when ``params.census_weight`` > 0.
    bureaux, features, seed
        ``shrunk`` model only: bureau polygons (neighbours), census rates by
        ``bureau_id`` and the seed of its cross-validation; all optional.

    Returns
    -------
    pandas.DataFrame
        One row per bureau (index ``bureau_id``), best first: ``score``,
        ``rank`` (1 = best), ``priority`` (score per door, best = 1),
        ``n_doors``, the :data:`COMPONENT_COLUMNS`, ``suppressed``. Suppressed
        bureaux have NaN score and components and no rank.
        ``attrs["skipped_elections"]`` holds the
        :class:`~canvass.scores.camps.SkippedElection` left out because the
        camp has no candidate there.

    Raises
    ------
    InputDataError
        No result for the elections asked, camp matching no candidate in any
        election, or census weight without predictions.
    """
    chosen = results if params.elections is None else results[results["election"].isin(params.elections)]
    if chosen.empty:
        raise InputDataError(
            "no result to score",
            where=f"elections asked: {', '.join(params.elections or ())}; present: {', '.join(sorted(results['election'].unique()))}",
            hint="build the territory with results files, or ask for elections it holds",
        )
    has_camp = bool(params.camp.default or params.camp.by_election)
    if not has_camp and params.strategy != "turnout":
        raise InputDataError(f"the {params.strategy} strategy needs a camp", hint="give --camp (a family such as gauche, a nuance code or a candidate name)")
    rounds = components.chosen_rounds(chosen, params.round)
    skipped = ()
    in_camp = None
    if has_camp:
        selection = select_camp(rounds, params.camp)
        skipped = selection.skipped
        kept = ~rounds["election"].isin(selection.skipped_elections)
        rounds, in_camp = rounds[kept], selection.mask[kept]
    table = components.election_table(rounds, in_camp)
    combined = components.combine(table, decay=params.decay, target_share=params.target_share)
    if params.model == "shrunk":
        combined = _shrunk(combined, chosen, params, bureaux, features, seed)
    if params.census_weight > 0:
        if predicted_share_camp is None:
            raise InputDataError("census_weight > 0 needs the census model's predicted camp share", hint="fit the census model first, or set census_weight to 0")
        predicted = predicted_share_camp.reindex(combined.index)
        blended = (1 - params.census_weight) * combined["share_camp"] + params.census_weight * predicted
        combined["share_camp"] = blended.fillna(combined["share_camp"])
    combined["reservoir_mobilisation"] = components.mobilisation_reservoir(combined)
    combined["reservoir_turnout"] = components.turnout_reservoir(combined)
    combined["reservoir_persuasion"] = components.persuasion_reservoir(combined)
    score = STRATEGIES[params.strategy](combined, params)
    frame = combined[list(COMPONENT_COLUMNS)].copy()
    frame.insert(0, "score", score)
    frame["n_doors"] = n_doors.reindex(frame.index).fillna(0.0) if n_doors is not None else np.nan
    frame["suppressed"] = ~(frame["n_registered"] >= params.min_registered)
    numbers = ["score", *COMPONENT_COLUMNS]
    frame[numbers] = frame[numbers].astype("float64").mask(frame["suppressed"], np.nan, axis=0)
    per_unit = frame["score"] / (frame["n_doors"].where(frame["n_doors"] > 0) if n_doors is not None else frame["n_registered"])
    frame["priority"] = per_unit / per_unit.max()
    frame["rank"] = frame["score"].rank(ascending=False, method="min").astype("Int64")
    frame = frame.sort_values(["rank", "priority"], ascending=[True, False], na_position="last")
    ordered = ["score", "rank", "priority", "n_doors", *COMPONENT_COLUMNS, "suppressed"]
    frame = frame[ordered]
    frame.attrs["skipped_elections"] = skipped
    return frame
