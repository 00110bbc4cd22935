"""Per-bureau indicators from election results, one small function each, combined over elections.

All functions work on whole tables (one row per election and bureau) with
vectorised pandas: scoring the 69,242 bureaux of France takes a second or two.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

VOLATILITY_GAIN = 10.0
"""Persuasion multiplier per unit of camp-share swing: a bureau whose camp share moves by 5 points between elections weighs 1.5×."""


def chosen_rounds(results: pd.DataFrame, round_: int | None) -> pd.DataFrame:
    """The rows of one round per election: ``round_``, or (None) each election's first round present.

    The first round shows every camp's own strength; some files only hold a second round.
    """
    if round_ is None:
        first = results.groupby("election")["round"].transform("min")
        return results[results["round"] == first]
    return results[results["round"] == round_]


def election_table(chosen: pd.DataFrame, in_camp: pd.Series | None) -> pd.DataFrame:
    """One row per (election, bureau): turnout counts and the camp's votes.

    ``chosen`` holds one round per election (:func:`chosen_rounds`);
    ``in_camp`` tells which of its rows are the camp's (None: no camp, then
    ``n_camp`` and ``share_camp`` are NaN).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``election`` and ``bureau_id``: ``round``, ``n_registered``,
        ``n_voters``, ``n_abstentions``, ``n_expressed``, ``n_camp``,
        ``share_abstention`` (of registered), ``share_camp`` (of expressed).
    """
    chosen = chosen.assign(n_camp=np.where(in_camp, chosen["n_votes"], 0.0) if in_camp is not None else np.nan)
    key = ["election", "bureau_id"]
    totals = chosen.groupby(key, sort=True).agg(
        round=("round", "first"),
        n_registered=("n_registered", "first"),
        n_voters=("n_voters", "first"),
        n_abstentions=("n_abstentions", "first"),
        n_expressed=("n_expressed", "first"),
    )
    totals["n_camp"] = chosen.groupby(key, sort=True)["n_camp"].sum(min_count=1)
    totals["share_abstention"] = share(totals["n_abstentions"], totals["n_registered"])
    totals["share_camp"] = share(totals["n_camp"], totals["n_expressed"])
    return totals


def share(part: pd.Series, whole: pd.Series) -> pd.Series:
    """``part / whole``, NaN where ``whole`` is 0 or missing."""
    return (part / whole.where(whole > 0)).astype("float64")


def recency_weights(elections: pd.Index, *, decay: float) -> pd.Series:
    """Weight of each election: 1 for the most recent, ``decay`` for the one before, ``decay²``…

    Election ids start with their year (``2024_legi``), so sorting them sorts by date.
    """
    ordered = sorted(set(elections), reverse=True)
    return pd.Series(decay ** np.arange(len(ordered)), index=ordered, name="weight")


def closeness(share_camp: pd.Series, target_share: float) -> pd.Series:
    """1 at the tipping point ``target_share``, falling linearly to 0 at the far end: :math:`\\max(0, 1 - |s - \\tau| / \\max(\\tau, 1 - \\tau))`."""
    width = max(target_share, 1 - target_share)
    return (1 - (share_camp - target_share).abs() / width).clip(lower=0)


def combine(table: pd.DataFrame, *, decay: float, target_share: float) -> pd.DataFrame:
    """Combine the per-election rows into one row per bureau.

    Notes
    -----
    With weights :math:`w_e` (:func:`recency_weights`, renormalised over the
    elections a bureau has), shares are weighted means:
    :math:`a = \\sum_e w_e a_e`, :math:`s = \\sum_e w_e s_e`. Counts
    (``n_registered``, ``n_voters``) are the latest election's. Then

    - closeness :math:`c = \\sum_e w_e c_e`, each election's closeness
      (:func:`closeness`) measured on its own camp share, so that a duel won
      90-10 by one camp's candidate and a close race of another camp
      definition are not averaged into a false tipping point;
    - volatility :math:`v` = weighted standard deviation of :math:`s_e` between
      elections of the same type only (législatives with législatives), where
      the camp means the same thing; the types' variances are pooled by their
      weights, and a bureau with no type held twice has 0.
    """
    weights = recency_weights(table.index.get_level_values("election"), decay=decay)
    frame = table.reset_index()
    frame["weight"] = frame["election"].map(weights)
    frame["closeness"] = closeness(frame["share_camp"], target_share)
    frame["kind"] = frame["election"].astype(str).str.replace(r"^\d{4}_", "", regex=True)
    bureau = frame["bureau_id"]

    def weighted(column: str, by: list[pd.Series] | pd.Series = bureau) -> pd.Series:
        """Weighted mean of ``column`` per group over the elections where it is known."""
        known = frame[column].notna()
        weight = frame["weight"].where(known, 0.0)
        total = weight.groupby(by).sum()
        return (frame[column].fillna(0) * weight).groupby(by).sum() / total.where(total > 0)

    combined = pd.DataFrame({"share_abstention": weighted("share_abstention"), "share_camp": weighted("share_camp")})
    by_kind = [bureau, frame["kind"]]
    kind_mean = weighted("share_camp", by_kind)
    frame["deviation"] = (frame["share_camp"] - kind_mean.reindex(pd.MultiIndex.from_arrays(by_kind)).to_numpy()) ** 2
    known = frame["share_camp"].notna()
    repeated = known.groupby(by_kind).transform("sum") > 1
    frame["deviation"] = frame["deviation"].where(repeated)
    variance = weighted("deviation")
    combined["volatility"] = np.sqrt(variance.reindex(combined.index).fillna(0.0)).where(combined["share_camp"].notna())
    latest = frame.sort_values("election").groupby("bureau_id").last()
    combined["n_registered"] = latest["n_registered"]
    combined["n_voters"] = latest["n_voters"]
    combined["n_elections"] = frame["share_abstention"].notna().groupby(bureau).sum()
    combined["closeness"] = weighted("closeness")
    return combined


def mobilisation_reservoir(combined: pd.DataFrame) -> pd.Series:
    """Sympathetic abstainers (LMP's potential): registered × abstention × camp share."""
    return combined["n_registered"] * combined["share_abstention"] * combined["share_camp"]


def turnout_reservoir(combined: pd.DataFrame) -> pd.Series:
    """Abstainers regardless of camp: registered × abstention."""
    return combined["n_registered"] * combined["share_abstention"]


def persuasion_reservoir(combined: pd.DataFrame) -> pd.Series:
    """Voters in close, moving bureaux: voters × closeness × (1 + gain × volatility)."""
    return combined["n_voters"] * combined["closeness"] * (1 + VOLATILITY_GAIN * combined["volatility"])
