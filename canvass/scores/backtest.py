"""Backtest: score from the ballots before an election, check against that election.

The question an organiser asks: had we targeted the top bureaux of the last
election, how much of the next election's reservoir would we have reached?
Each strategy is checked against its own reservoir measured at the target
ballot (sympathetic abstainers for ``mobilisation``, abstainers for
``turnout``, close-race voters for ``persuasion``).

The comparator that matters is **persistence**: the same reservoir at the last
ballot before the target. A score computed from that ballot alone *is*
persistence, so beating the camp-share ranking (the naive row) proves nothing;
a model is useful only if it beats persistence. Every ranking gets Spearman's
correlation with the target reservoir, the share of it captured by the top
10 % and 20 % of bureaux, a seeded bootstrap interval over bureaux, and the
paired bootstrap interval of its difference with persistence.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.stats import rankdata, spearmanr

from canvass.errors import InputDataError
from canvass.scores.camps import SkippedElection
from canvass.scores.shrunk import Ballot, parse_ballot
from canvass.scores.strategies import ScoreParams, score_bureaux

TOP_SHARES = (0.1, 0.2)
N_BOOT = 1000
LEVEL = 0.9
"""Bootstrap resamples and the two-sided level of the intervals."""

PERSISTENCE = "persistence"
NAIVE = "naive"
DECAY = "decay"
SHRUNK = "shrunk"


@dataclass(frozen=True)
class BacktestResult:
    """Figures of one backtest; ``table`` has one row per ranking, persistence first, then the naive ranking."""

    source: str
    target: str
    strategy: str
    n_bureaux: int
    table: pd.DataFrame
    skipped: tuple[SkippedElection, ...] = field(default_factory=tuple)

    def summary(self) -> str:
        """Text for the terminal."""
        lines = [f"backtest {self.strategy}: {self.source} -> {self.target}, {self.n_bureaux} bureaux in both "
                 f"({int(LEVEL * 100)} % bootstrap intervals; Δ = difference with persistence)"]
        for name, row in self.table.iterrows():
            captures = ", ".join(
                f"top {int(share * 100)} %: {row[f'capture_top{int(share * 100)}']:.1%}" for share in TOP_SHARES)
            line = (f"  {name:44} Spearman {row['spearman']:+.3f} [{row['spearman_lo']:+.3f}, {row['spearman_hi']:+.3f}]; "
                    f"{captures} [{row['capture_top20_lo']:.1%}, {row['capture_top20_hi']:.1%}]")
            if not row["kind"] == PERSISTENCE:
                line += (f"; Δ Spearman {row['delta_spearman']:+.3f} [{row['delta_spearman_lo']:+.3f}, {row['delta_spearman_hi']:+.3f}],"
                         f" Δ top 20 % {row['delta_capture_top20']:+.1%}")
            lines.append(line)
        for item in self.skipped:
            lines.append(f"  warning: {item.message}")
        return "\n".join(lines)


def capture(ranking: pd.Series, target: pd.Series, share: float) -> float:
    """Share of ``target``'s total held by the top ``share`` of bureaux by ``ranking`` (at least one bureau)."""
    n_top = max(1, int(round(share * len(ranking))))
    top = ranking.sort_values(ascending=False, kind="stable").index[:n_top]
    return float(target.loc[top].sum() / target.sum())


def _boot_spearman(rankings: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Spearman of each bootstrap row (rows of resampled values, ties averaged)."""
    a = rankdata(rankings, axis=1)
    b = rankdata(reference, axis=1)
    a -= a.mean(axis=1, keepdims=True)
    b -= b.mean(axis=1, keepdims=True)
    return (a * b).sum(axis=1) / np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))


def _boot_capture(rankings: np.ndarray, reference: np.ndarray, share: float) -> np.ndarray:
    """Capture of each bootstrap row (as :func:`capture`, ties broken by position)."""
    n_top = max(1, int(round(share * rankings.shape[1])))
    order = np.argsort(-rankings, axis=1, kind="stable")[:, :n_top]
    return np.take_along_axis(reference, order, axis=1).sum(axis=1) / reference.sum(axis=1)


def compare(rankings: dict[str, pd.Series], reference: pd.Series, *, seed: int = 0, n_boot: int = N_BOOT) -> pd.DataFrame:
    """Spearman and captures of each ranking against ``reference``, with bootstrap intervals over bureaux.

    The first ranking is the comparator: every other row also gets its paired
    difference with it (same resamples), and the interval of that difference.
    """
    index = reference.index
    y = reference.to_numpy(float)
    draws = np.random.default_rng(seed).integers(0, len(y), size=(n_boot, len(y)))
    low, high = (1 - LEVEL) / 2, 1 - (1 - LEVEL) / 2
    boot = {}
    rows = {}
    for name, ranking in rankings.items():
        x = ranking.reindex(index).to_numpy(float)
        stats = {"spearman": _boot_spearman(x[draws], y[draws])}
        for share in TOP_SHARES:
            stats[f"capture_top{int(share * 100)}"] = _boot_capture(x[draws], y[draws], share)
        boot[name] = stats
        row = {"spearman": float(spearmanr(x, y).statistic)}
        row |= {f"capture_top{int(share * 100)}": capture(pd.Series(x, index=index), reference, share) for share in TOP_SHARES}
        for key, values in stats.items():
            row[f"{key}_lo"], row[f"{key}_hi"] = np.nanquantile(values, [low, high])
        rows[name] = row
    first = next(iter(rankings))
    for name, row in rows.items():
        for key in boot[name]:
            difference = boot[name][key] - boot[first][key]
            row[f"delta_{key}"] = row[key] - rows[first][key]
            row[f"delta_{key}_lo"], row[f"delta_{key}_hi"] = np.nanquantile(difference, [low, high])
    return pd.DataFrame(rows).T


def _before(results: pd.DataFrame, source: Ballot, target: Ballot) -> pd.DataFrame:
    """Rows of every ballot of the elections up to ``source``'s, strictly before ``target`` (what a forecast may see)."""
    before_target = (results["election"] < target.election) | (
        (results["election"] == target.election) & (results["round"] < target.round))
    return results[(results["election"] <= source.election) & before_target]


def backtest(
    results: pd.DataFrame,
    params: ScoreParams,
    *,
    source: str,
    target: str,
    bureaux: gpd.GeoDataFrame | None = None,
    features: pd.DataFrame | None = None,
    seed: int = 0,
    n_boot: int = N_BOOT,
) -> BacktestResult:
    """Rank bureaux from the ballots up to ``source`` and compare with ``target``'s reservoir of the same strategy.

    Parameters
    ----------
    results
        Long results table of the territory.
    params
        Strategy, camp and decay; ``params.model`` is ignored (every model is a row).
    source, target
        Ballots, ``2022_legi`` (first round present, or ``params.round``) or
        ``2026_muni_t1``. The source may be the first round of the target's
        election (``2026_muni_t1`` -> ``2026_muni_t2``).
    bureaux, features
        Polygons and census rates for the ``shrunk`` model (optional).
    seed, n_boot
        Bootstrap seed and resamples (also the census prior's folds).

    Returns
    -------
    BacktestResult
        Rows: ``persistence`` (the strategy's reservoir at the source ballot),
        ``naive`` (camp share, or abstention rate for ``turnout``), ``decay``
        (the strategy over every earlier election, only when there are
        several), ``shrunk`` (:mod:`canvass.scores.shrunk`, fitted on the
        history only). ``skipped`` lists the earlier elections left out
        because the camp has no candidate there.

    Raises
    ------
    InputDataError
        If either ballot is missing or the source is not before the target,
        the camp has no candidate at the source or the target (the message
        names the pair), or fewer than 5 bureaux are in both.
    """
    round_default = params.round
    source_ballot = parse_ballot(source, results, default_round=round_default)
    target_ballot = parse_ballot(target, results, default_round=round_default)
    present = set(zip(results["election"], results["round"]))
    missing = [str(b) for b in (source_ballot, target_ballot) if (b.election, b.round) not in present]
    if missing:
        raise InputDataError(
            f"ballot {', '.join(missing)} not in the territory",
            codes=sorted(f"{e}_t{r}" for e, r in present),
            hint="give --from and --to among the ballots listed (ELECTION or ELECTION_tROUND)",
        )
    if (source_ballot.election, source_ballot.round) >= (target_ballot.election, target_ballot.round):
        raise InputDataError(f"{source_ballot} is not before {target_ballot}", hint="--from must be an earlier ballot than --to")
    label = f"{source_ballot} -> {target_ballot}"

    def ballot_rows(ballot: Ballot) -> pd.DataFrame:
        return results[(results["election"] == ballot.election) & (results["round"] == ballot.round)]

    base = replace(params, model="plain", elections=None)
    persistence = _score(ballot_rows(source_ballot), replace(base, round=source_ballot.round), label)
    truth = _score(ballot_rows(target_ballot), replace(base, round=target_ballot.round, strategy=_reservoir_strategy(params.strategy)), label)
    history = _before(results, source_ballot, target_ballot)
    rankings = {f"{PERSISTENCE}: {params.strategy} reservoir ({source_ballot})": persistence["score"]}
    kinds = [PERSISTENCE]
    naive_column = "share_abstention" if params.strategy == "turnout" else "share_camp"
    naive_label = "abstention rate" if params.strategy == "turnout" else "camp share"
    rankings[f"{NAIVE}: {naive_label} ({source_ballot})"] = persistence[naive_column]
    kinds.append(NAIVE)
    skipped: tuple = ()
    if history["election"].nunique() > 1:
        decayed = _score(history, replace(base, round=round_default), label)
        skipped = tuple(decayed.attrs.get("skipped_elections", ()))
        used = history["election"].nunique() - len(skipped)
        if used > 1:
            rankings[f"{DECAY}: {params.strategy}, {used} elections, decay {params.decay:g}"] = decayed["score"]
            kinds.append(DECAY)
    shrunk = _score(history, replace(base, model="shrunk", upcoming=str(target_ballot), round=round_default), label,
                    bureaux=bureaux, features=features, seed=seed)
    skipped = skipped or tuple(shrunk.attrs.get("skipped_elections", ()))
    parts = ["both rounds" if history.groupby("election")["round"].nunique().max() > 1 else "one round",
             "neighbours" if bureaux is not None else "no neighbours", "census" if features is not None else "no census"]
    rankings[f"{SHRUNK}: {history['election'].nunique()} elections, {', '.join(parts)}"] = shrunk["score"]
    kinds.append(SHRUNK)
    reference = truth["score"].dropna()
    both = reference.index
    for ranking in rankings.values():
        both = both.intersection(ranking.dropna().index)
    if len(both) < 5:
        raise InputDataError(f"only {len(both)} bureaux have scores in both {source_ballot} and {target_ballot}",
                             hint="check that the two elections share bureau codes")
    table = compare({name: ranking.loc[both] for name, ranking in rankings.items()}, reference.loc[both], seed=seed, n_boot=n_boot)
    table.insert(0, "kind", kinds)
    return BacktestResult(str(source_ballot), str(target_ballot), params.strategy, len(both), table, skipped)


def _score(results: pd.DataFrame, params: ScoreParams, label: str, **kwargs) -> pd.DataFrame:
    """Score one side of the pair; an election without the camp's candidate fails this pair only, saying so."""
    try:
        return score_bureaux(results, params, **kwargs)
    except InputDataError as error:
        raise InputDataError(
            f"backtest {label} impossible : {error.what}", source=error.source, where=error.where,
            codes=error.codes, hint=error.hint,
        ) from error


def _reservoir_strategy(strategy: str) -> str:
    """The custom mix is checked against the mobilisation reservoir, its main term."""
    return "mobilisation" if strategy == "custom" else strategy


def backtest_territory(territory, params: ScoreParams, *, source: str, target: str, seed: int = 0, n_boot: int = N_BOOT) -> BacktestResult:
    """:func:`backtest` on a built :class:`~canvass.territory.model.Territory`: its polygons and census rates feed the ``shrunk`` row."""
    from canvass.scores.score import census_rates

    return backtest(territory.results, params, source=source, target=target, bureaux=territory.bureaux,
                    features=census_rates(territory), seed=seed, n_boot=n_boot)


def long_table(results: dict[str, BacktestResult]) -> pd.DataFrame:
    """One row per (case, ranking): the case label, its ballots and strategy, then every figure of :func:`compare`."""
    frames = []
    for case, result in results.items():
        frame = result.table.reset_index(names="ranking")
        frame.insert(0, "case", case)
        frame.insert(1, "source", result.source)
        frame.insert(2, "target", result.target)
        frame.insert(3, "strategy", result.strategy)
        frame.insert(4, "n_bureaux", result.n_bureaux)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
