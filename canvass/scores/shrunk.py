r"""The ``shrunk`` model: a forecast of the next election's rates, pooled across ballots and towards neighbours.

Persistence (last election's reservoir) is hard to beat: a bureau's vote is
its best predictor. This model keeps it at its core and only corrects what is
noise or known in advance:

- every round of every earlier election is used (the target's round weighs 1,
  the other round :data:`OTHER_ROUND_WEIGHT`, older elections ``decay`` per
  election), each as a deviation from its own territory mean in logit space,
  so that elections of different types and different camp definitions are
  comparable;
- a bureau's combined deviation is shrunk (empirical Bayes) towards a prior:
  the mean of its neighbours (bureaux whose polygons touch), refined by the
  census rates when the territory has them; a small bureau, or a noisy
  history, is shrunk more;
- the level is the last same-type ballot's (législatives for législatives),
  else the last ballot's moved by the typical turnout swing between election
  types (:data:`TYPICAL_TURNOUT`).

Nothing of the target election is used: in a backtest the model only sees the
ballots before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from canvass.scores.camps import Camp, select_camp

OTHER_ROUND_WEIGHT = 0.5
"""Weight of an election's other round relative to the round the forecast is for."""

NEIGHBOUR_GAP_M = 20.0
"""Bureau polygons closer than this (a street between them) are neighbours."""

TYPICAL_TURNOUT = {
    ("pres", 1): 0.77, ("pres", 2): 0.76,
    ("legi", 1): 0.55, ("legi", 2): 0.53,
    ("muni", 1): 0.60, ("muni", 2): 0.60,
    ("euro", 1): 0.48,
    ("regi", 1): 0.45, ("regi", 2): 0.45,
    ("dep", 1): 0.45, ("dep", 2): 0.45,
}
"""Rounded national turnout of each election type and round in metropolitan France, 2012-2024.

Known before any campaign: it moves the abstention level when the history holds
no election of the target's type (a présidentielle before municipales)."""


@dataclass(frozen=True)
class Ballot:
    """One round of one election, e.g. ``Ballot("2024_legi", 1)``."""

    election: str
    round: int

    @property
    def kind(self) -> str:
        """Election type: the id without its year (``legi`` for ``2024_legi``)."""
        return election_kind(self.election)

    def __str__(self) -> str:
        return f"{self.election}_t{self.round}"


def parse_ballot(spec: str, results: pd.DataFrame | None = None, *, default_round: int | None = None) -> Ballot:
    """Read ``2024_legi_t2`` (round 2) or ``2024_legi`` (``default_round``, else the first round ``results`` hold)."""
    match = re.fullmatch(r"(.+?)(?:_t(\d))?", str(spec).strip())
    election, round_ = match.group(1), match.group(2)
    if round_ is not None:
        return Ballot(election, int(round_))
    if default_round is not None:
        return Ballot(election, default_round)
    rounds = results.loc[results["election"] == election, "round"] if results is not None else pd.Series(dtype=int)
    return Ballot(election, int(rounds.min()) if len(rounds) else 1)


def upcoming_ballot(spec: str | None, history: pd.DataFrame, *, default_round: int = 1) -> Ballot:
    """The ballot a score is for: ``spec`` (``2027_pres_t1``, ``legi``), else the next election of the latest one's type, round ``default_round``.

    That next election is named a year after the latest (``2024_legi`` -> ``2025_legi``): only its type, its
    round and its coming after every ballot of the history matter to the forecast.
    """
    if spec:
        return parse_ballot(spec, default_round=default_round)
    latest = str(history["election"].max())
    year = re.match(r"(\d{4})_", latest)
    following = f"{int(year.group(1)) + 1}_{election_kind(latest)}" if year else f"next_{latest}"
    return Ballot(following, default_round)


def election_kind(election: str) -> str:
    """``2024_legi`` -> ``legi``; an id without a year prefix is its own kind."""
    return re.sub(r"^\d{4}_", "", str(election))


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p / (1 - p))


def _expit(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def adjacency(bureaux: gpd.GeoDataFrame, *, gap_m: float = NEIGHBOUR_GAP_M) -> sparse.csr_matrix:
    """Row-normalised neighbour matrix of the bureau polygons (Lambert-93), in the order of ``bureaux``.

    Two bureaux are neighbours when their polygons come within ``gap_m``
    metres (streets often separate bureau polygons); a bureau without
    neighbours has an empty row.
    """
    geometries = bureaux.geometry.values
    left, right = shapely.STRtree(geometries).query(geometries, predicate="dwithin", distance=gap_m)
    keep = left != right
    n = len(geometries)
    matrix = sparse.csr_matrix((np.ones(keep.sum()), (left[keep], right[keep])), shape=(n, n))
    degree = np.asarray(matrix.sum(axis=1)).ravel()
    return sparse.diags(np.where(degree > 0, 1 / np.where(degree > 0, degree, 1), 0.0)) @ matrix


def ballot_table(results: pd.DataFrame, camp: Camp | None) -> pd.DataFrame:
    """Counts per (election, round, bureau): registered, voters, abstentions, expressed and the camp's votes.

    ``n_camp`` is NaN for the ballots where the camp has no vote anywhere (no
    candidate in that round), or when no camp is given.
    """
    key = ["election", "round", "bureau_id"]
    if camp is not None and (camp.default or camp.by_election):
        selection = select_camp(results, camp)
        results = results.assign(n_camp=np.where(selection.mask, results["n_votes"], 0.0))
    else:
        results = results.assign(n_camp=np.nan)
    table = results.groupby(key, sort=True).agg(
        n_registered=("n_registered", "first"), n_voters=("n_voters", "first"), n_abstentions=("n_abstentions", "first"),
        n_expressed=("n_expressed", "first"), n_camp=("n_camp", "sum"),
    )
    if camp is None or not (camp.default or camp.by_election):
        table["n_camp"] = np.nan
    present = table.groupby(level=["election", "round"])["n_camp"].transform("sum") > 0
    table["n_camp"] = table["n_camp"].where(present)
    return table


@dataclass(frozen=True)
class RateForecast:
    """Forecast of one rate per bureau, with what went into it."""

    rate: pd.Series
    raw: pd.Series
    prior: pd.Series
    shrinkage: pd.Series
    transient_variance: float
    signal_variance: float


def _forecast_rate(
    table: pd.DataFrame, part: str, whole: str, weights: pd.Series, level: float, neighbours: sparse.csr_matrix,
    bureau_ids: pd.Index, features: pd.DataFrame | None, seed: int,
) -> RateForecast | None:
    """Shrunk forecast of ``part / whole`` per bureau; None when no ballot has the rate."""
    known = table[part].notna() & (table[whole] > 0)
    if not known.any():
        return None
    k = table.loc[known, part].to_numpy(float)
    n = table.loc[known, whole].to_numpy(float)
    p = (k + 0.5) / (n + 1)
    frame = pd.DataFrame({"x": _logit(p), "binomial": 1 / ((n + 1) * p * (1 - p))}, index=table.index[known])
    ballot = frame.index.droplevel("bureau_id")
    frame["dev"] = frame["x"] - frame["x"].groupby(ballot).transform("mean")
    frame["w"] = weights.reindex(ballot).to_numpy()
    deviations = frame["dev"].unstack(["election", "round"])
    transient = _transient_variance(deviations, frame["binomial"].unstack(["election", "round"]))
    bureau = frame.index.get_level_values("bureau_id")
    total = frame["w"].groupby(bureau).sum()
    raw = (frame["w"] * frame["dev"]).groupby(bureau).sum() / total
    noise = (frame["w"] ** 2 * (frame["binomial"] + transient)).groupby(bureau).sum() / total**2
    raw = raw.reindex(bureau_ids)
    noise = noise.reindex(bureau_ids)
    filled = raw.fillna(0.0).to_numpy()
    has = raw.notna().to_numpy().astype(float)
    sums = neighbours @ (filled * has)
    counts = neighbours @ has
    prior = pd.Series(np.where(counts > 0, sums / np.where(counts > 0, counts, 1), 0.0), index=bureau_ids)
    if features is not None:
        prior = _census_prior(raw, prior, features, seed)
    gap = (raw - prior).dropna()
    signal = max(float(gap.var() - noise.reindex(gap.index).mean()), 0.1 * float(gap.var()), 1e-6)
    shrinkage = noise / (noise + signal)
    shrunk = raw - shrinkage * (raw - prior)
    rate = pd.Series(_expit(level + shrunk.to_numpy()), index=bureau_ids)
    return RateForecast(rate, raw, prior, shrinkage, transient, signal)


def _transient_variance(deviations: pd.DataFrame, binomial: pd.DataFrame) -> float:
    """Variance of a ballot's own noise beyond sampling, from consecutive ballots (0 with one ballot).

    Half the variance of the difference of two ballots' deviations, less their
    mean sampling variance, is the variance each ballot adds on its own; the
    median over consecutive pairs resists one odd ballot.
    """
    columns = list(deviations.columns)
    estimates = []
    for first, second in zip(columns, columns[1:]):
        both = deviations[[first, second]].dropna().index
        if len(both) < 5:
            continue
        difference = deviations.loc[both, first] - deviations.loc[both, second]
        sampling = (binomial.loc[both, first] + binomial.loc[both, second]).mean() / 2
        estimates.append(max(float(difference.var()) / 2 - float(sampling), 0.0))
    return float(np.median(estimates)) if estimates else 0.0


def _census_prior(raw: pd.Series, neighbour_prior: pd.Series, features: pd.DataFrame, seed: int) -> pd.Series:
    """Out-of-fold ridge of the deviation on the census rates and the neighbours' mean; the neighbours' mean where it cannot fit."""
    from canvass.errors import InputDataError
    from canvass.scores.census_model import fit_model

    design = features.reindex(raw.index).assign(neighbour_mean=neighbour_prior)
    try:
        fit = fit_model(design, raw.rename("deviation"), seed=seed)
    except InputDataError:
        return neighbour_prior
    return fit.predicted.reindex(raw.index).fillna(neighbour_prior)


def ballot_weights(ballots: pd.MultiIndex, *, decay: float, target: Ballot) -> pd.Series:
    """Weight of each (election, round): ``decay`` per election back from the target's, :data:`OTHER_ROUND_WEIGHT` for the other round.

    A round of the target's own election (round 1 before round 2) weighs 1: it is the same race.
    """
    elections = sorted(set(ballots.get_level_values("election")) | {target.election}, reverse=True)
    elections = [e for e in elections if e <= target.election]
    age = {election: i for i, election in enumerate(elections)}
    newest = min(age[e] for e in ballots.get_level_values("election"))
    values = [decay ** (age[e] - newest) * (1.0 if r == target.round or e == target.election else OTHER_ROUND_WEIGHT)
              for e, r in ballots]
    return pd.Series(values, index=ballots)


def abstention_level(history: pd.DataFrame, target: Ballot) -> float:
    """Logit of the territory's expected abstention for ``target``, from the history only.

    The target election's own earlier round (round 1 before round 2), else
    the last ballot of the target's type and round if the history has one;
    else the last ballot, moved by the typical national swing between its
    type and the target's (:data:`TYPICAL_TURNOUT`; none when a type is unknown).
    """
    totals = history.groupby(["election", "round"])[["n_abstentions", "n_registered"]].sum()
    totals = totals[totals["n_registered"] > 0]
    rate = totals["n_abstentions"] / totals["n_registered"]
    own = [b for b in rate.index if b[0] == target.election]
    same = [b for b in rate.index if election_kind(b[0]) == target.kind and b[1] == target.round]
    if own or same:
        return float(_logit(np.array(rate.loc[max(own or same)])))
    last = max(rate.index)
    typical_from = TYPICAL_TURNOUT.get((election_kind(last[0]), last[1]))
    typical_to = TYPICAL_TURNOUT.get((target.kind, target.round))
    swing = 0.0 if typical_from is None or typical_to is None else float(_logit(np.array(1 - typical_to)) - _logit(np.array(1 - typical_from)))
    return float(_logit(np.array(rate.loc[last]))) + swing


def forecast(
    history: pd.DataFrame,
    camp: Camp | None,
    target: Ballot,
    *,
    bureaux: gpd.GeoDataFrame | None = None,
    features: pd.DataFrame | None = None,
    decay: float = 0.5,
    seed: int = 0,
) -> pd.DataFrame:
    """Forecast abstention and camp share of every bureau at ``target`` from the ``history`` ballots alone.

    Parameters
    ----------
    history
        Long results table of the ballots before the target (every round).
    camp
        Our camp (None: abstention only).
    target
        The ballot forecast (its type and round set the level and the round weights).
    bureaux
        Bureau polygons (Lambert-93) for the neighbour prior; without them
        the prior is the territory mean.
    features
        Census rates by ``bureau_id`` (:func:`~canvass.scores.census_model.bureau_features`), optional.
    decay
        Weight of each older election relative to the next.
    seed
        Seed of the census prior's cross-validation folds.

    Returns
    -------
    pandas.DataFrame
        By ``bureau_id``: ``n_registered`` (last ballot), ``share_abstention``,
        ``share_camp`` (NaN without a camp), ``shrinkage_abstention``,
        ``shrinkage_camp`` (0 = own history, 1 = prior). ``attrs`` holds the
        transient and signal variances.
    """
    table = ballot_table(history, camp)
    bureau_ids = pd.Index(sorted(table.index.get_level_values("bureau_id").unique()), name="bureau_id")
    if bureaux is not None:
        polygons = bureaux.set_index("bureau_id")
        in_both = bureau_ids.intersection(polygons.index)
        neighbours_full = adjacency(polygons.loc[in_both].reset_index())
        order = pd.Series(np.arange(len(in_both)), index=in_both).reindex(bureau_ids)
        rows = np.where(order.notna(), order.fillna(0).astype(int), -1)
        mapping = sparse.csr_matrix((np.ones((rows >= 0).sum()), (np.flatnonzero(rows >= 0), rows[rows >= 0])), shape=(len(bureau_ids), len(in_both)))
        neighbours = mapping @ neighbours_full @ mapping.T
    else:
        neighbours = sparse.csr_matrix((len(bureau_ids), len(bureau_ids)))
    ballots = table.index.droplevel("bureau_id").unique()
    weights = ballot_weights(ballots, decay=decay, target=target)
    if features is not None:
        features = features.drop(columns=[c for c in ("coverage",) if c in features.columns])
    abstention = _forecast_rate(table, "n_abstentions", "n_registered", weights, abstention_level(history, target),
                                neighbours, bureau_ids, features, seed)
    camp_rows = table[table["n_camp"].notna()]
    camp_level = 0.0
    if len(camp_rows):
        last = max(camp_rows.index.droplevel("bureau_id").unique(), key=lambda b: (b[0], b[1] == target.round))
        totals = camp_rows.xs(last, level=("election", "round"))[["n_camp", "n_expressed"]].sum()
        camp_level = float(_logit(np.array((totals["n_camp"] + 0.5) / (totals["n_expressed"] + 1))))
    share_camp = _forecast_rate(table, "n_camp", "n_expressed", weights, camp_level, neighbours, bureau_ids, features, seed)
    latest = table.reset_index().sort_values(["election", "round"]).groupby("bureau_id").last()
    out = pd.DataFrame({
        "n_registered": latest["n_registered"].reindex(bureau_ids),
        "share_abstention": abstention.rate,
        "share_camp": share_camp.rate if share_camp is not None else np.nan,
        "shrinkage_abstention": abstention.shrinkage,
        "shrinkage_camp": share_camp.shrinkage if share_camp is not None else np.nan,
    }, index=bureau_ids)
    out.attrs = {"transient_variance_abstention": abstention.transient_variance,
                 "transient_variance_camp": share_camp.transient_variance if share_camp is not None else np.nan}
    return out
