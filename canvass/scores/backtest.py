"""Backtest: score from one election, check against a later one.

The question an organiser asks: had we targeted the top bureaux of the last
election, how much of the next election's reservoir would we have reached?
Each strategy is checked against its own reservoir measured in the later
election (sympathetic abstainers for ``mobilisation``, abstainers for
``turnout``, close-race voters for ``persuasion``), beside the naive baseline
of ranking bureaux by the camp's share in the earlier result.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd
from scipy.stats import spearmanr

from canvass.errors import InputDataError
from canvass.scores.strategies import ScoreParams, score_bureaux

TOP_SHARES = (0.1, 0.2)


@dataclass(frozen=True)
class BacktestResult:
    """Figures of one backtest; ``table`` has one row per ranking (strategy, baseline)."""

    source: str
    target: str
    strategy: str
    n_bureaux: int
    table: pd.DataFrame

    def summary(self) -> str:
        """Text for the terminal."""
        lines = [f"backtest {self.strategy}: {self.source} -> {self.target}, {self.n_bureaux} bureaux in both"]
        for name, row in self.table.iterrows():
            captures = ", ".join(f"top {int(share * 100)} %: {row[f'capture_top{int(share * 100)}']:.1%}" for share in TOP_SHARES)
            lines.append(f"  {name:34} Spearman {row['spearman']:+.3f}; {captures}")
        return "\n".join(lines)


def capture(ranking: pd.Series, target: pd.Series, share: float) -> float:
    """Share of ``target``'s total held by the top ``share`` of bureaux by ``ranking`` (at least one bureau)."""
    n_top = max(1, int(round(share * len(ranking))))
    top = ranking.sort_values(ascending=False, kind="stable").index[:n_top]
    return float(target.loc[top].sum() / target.sum())


def backtest(results: pd.DataFrame, params: ScoreParams, *, source: str, target: str) -> BacktestResult:
    """Score bureaux from ``source`` alone and compare with ``target``'s reservoir of the same strategy.

    Raises
    ------
    InputDataError
        If either election is missing, the camp has no candidate in either of
        them (the message names this pair and the election at fault), or fewer
        than 5 bureaux are in both.
    """
    present = set(results["election"])
    missing = [election for election in (source, target) if election not in present]
    if missing:
        raise InputDataError(
            f"election {', '.join(missing)} not in the territory",
            codes=sorted(present),
            hint="give --from and --to among the elections listed",
        )
    scored = _score_one(results, replace(params, elections=(source,)), source, target)
    truth = _score_one(results, replace(params, elections=(target,), strategy=_reservoir_strategy(params.strategy)), source, target)
    both = scored.index.intersection(truth.index)
    both = both[scored.loc[both, "score"].notna() & truth.loc[both, "score"].notna()]
    if len(both) < 5:
        raise InputDataError(f"only {len(both)} bureaux have scores in both {source} and {target}", hint="check that the two elections share bureau codes")
    reference = truth.loc[both, "score"]
    rankings = {f"{params.strategy} ({source})": scored.loc[both, "score"]}
    if params.strategy != "turnout":
        rankings[f"naive: camp share ({source})"] = scored.loc[both, "share_camp"]
    else:
        rankings[f"naive: abstention rate ({source})"] = scored.loc[both, "share_abstention"]
    rows = {}
    for name, ranking in rankings.items():
        rows[name] = {"spearman": float(spearmanr(ranking, reference).statistic)} | {
            f"capture_top{int(share * 100)}": capture(ranking, reference, share) for share in TOP_SHARES
        }
    return BacktestResult(source, target, params.strategy, len(both), pd.DataFrame(rows).T)


def _score_one(results: pd.DataFrame, params: ScoreParams, source: str, target: str) -> pd.DataFrame:
    """Score one election of the pair; an election without the camp's candidate fails this pair only, saying so."""
    try:
        return score_bureaux(results, params)
    except InputDataError as error:
        raise InputDataError(
            f"backtest {source} -> {target} impossible : {error.what}", source=error.source, where=error.where,
            codes=error.codes, hint=error.hint,
        ) from error


def _reservoir_strategy(strategy: str) -> str:
    """The custom mix is checked against the mobilisation reservoir, its main term."""
    return "mobilisation" if strategy == "custom" else strategy


