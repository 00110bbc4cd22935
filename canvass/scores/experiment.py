r"""An impact experiment: hold back some target bureaux at random, then measure what canvassing changed.

The only honest way to know whether the canvassing moved turnout or the
camp's share is to compare canvassed bureaux with comparable bureaux left
alone (LMP evaluated its 2012 campaign this way). Before the campaign:

1. :func:`assign` draws, among the target bureaux, a share to hold back,
   stratified by priority (bureaux of similar priority are compared with each
   other), from an explicit seed; :func:`power` says, from the number of
   bureaux, the smallest effect the experiment can detect;
2. the assignment is written down with the SHA-256 hash of its canonical form
   (:meth:`Assignment.write`), so that nobody can move a bureau afterwards;
   the planner forbids the held-back bureaux' segments
   (:meth:`Assignment.held_back_ids`, ``build_problem(..., forbidden=...)``).

After the election, :func:`evaluate` reads the new results and reports the
effect on turnout and on the camp's share: a stratified difference in means
and a regression on the pre-election figures, each with its confidence
interval.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from canvass.errors import InputDataError
from canvass.scores.camps import Camp, select_camp

HOLD_BACK_SHARE = 0.2
N_STRATA = 4
ALPHA = 0.05
POWER = 0.8
"""Defaults: a fifth of the target bureaux held back, four priority strata, 5 % two-sided tests, 80 % power."""

FORMAT = "canvass-experiment/1"


@dataclass(frozen=True)
class Power:
    """What the experiment can detect: minimum detectable effects at ``power`` (two-sided test at ``alpha``)."""

    n_canvassed: int
    n_held_back: int
    sd_turnout: float
    sd_share_camp: float
    alpha: float = ALPHA
    power: float = POWER

    @property
    def mde_turnout(self) -> float:
        """Smallest turnout effect (share of registered) detected with probability ``power``."""
        return minimum_detectable_effect(self.sd_turnout, self.n_canvassed, self.n_held_back, alpha=self.alpha, power=self.power)

    @property
    def mde_share_camp(self) -> float:
        """Smallest camp-share effect (share of expressed votes) detected with probability ``power``."""
        return minimum_detectable_effect(self.sd_share_camp, self.n_canvassed, self.n_held_back, alpha=self.alpha, power=self.power)


def minimum_detectable_effect(sd: float, n_treated: int, n_control: int, *, alpha: float = ALPHA, power: float = POWER) -> float:
    r"""Smallest true difference in means a two-sided test at ``alpha`` detects with probability ``power``.

    :math:`\mathrm{MDE} = (z_{1-\alpha/2} + z_{power})\,\sigma\,\sqrt{1/n_t + 1/n_c}`, with
    :math:`\sigma` the standard deviation of the outcome left once the
    pre-election covariates are accounted for.
    """
    if n_treated < 1 or n_control < 1:
        return float("nan")
    return float((stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) * sd * np.sqrt(1 / n_treated + 1 / n_control))


def detection_probability(effect: float, sd: float, n_treated: int, n_control: int, *, alpha: float = ALPHA) -> float:
    """Probability that a two-sided test at ``alpha`` detects a true ``effect`` (normal approximation)."""
    se = sd * np.sqrt(1 / n_treated + 1 / n_control)
    z = stats.norm.ppf(1 - alpha / 2)
    return float(stats.norm.cdf(effect / se - z) + stats.norm.cdf(-effect / se - z))


@dataclass(frozen=True)
class Assignment:
    """Which target bureaux are held back, how they were drawn, and what the experiment can detect.

    ``table`` is indexed by ``bureau_id``: ``stratum`` (0 = highest
    priority), ``score``, ``held_back``, and the pre-election covariates
    ``pre_turnout`` and ``pre_share_camp``.
    """

    table: pd.DataFrame
    seed: int
    share: float
    n_strata: int
    camp: str
    power: Power

    @property
    def held_back_ids(self) -> list[str]:
        """Bureaux not to canvass (give their segments to the planner as forbidden)."""
        return sorted(self.table.index[self.table["held_back"]])

    @property
    def canvassed_ids(self) -> list[str]:
        return sorted(self.table.index[~self.table["held_back"]])

    def canonical(self) -> str:
        """The assignment as canonical JSON: what the hash covers (seed, share, strata, every bureau's group)."""
        rows = [[bureau, int(row.stratum), bool(row.held_back)] for bureau, row in self.table.sort_index().iterrows()]
        return json.dumps({"format": FORMAT, "seed": self.seed, "share": self.share, "n_strata": self.n_strata, "camp": self.camp,
                           "bureaux": rows}, sort_keys=True, separators=(",", ":"))

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.canonical().encode()).hexdigest()

    def document(self) -> dict:
        """Everything written down before the campaign (JSON-ready)."""
        power = self.power
        return {
            "format": FORMAT, "sha256": self.sha256, "seed": self.seed, "share": self.share, "n_strata": self.n_strata,
            "camp": self.camp, "held_back": self.held_back_ids,
            "power": {"n_canvassed": power.n_canvassed, "n_held_back": power.n_held_back, "alpha": power.alpha, "power": power.power,
                      "sd_turnout": power.sd_turnout, "sd_share_camp": power.sd_share_camp,
                      "mde_turnout": power.mde_turnout, "mde_share_camp": power.mde_share_camp},
            "bureaux": self.table.reset_index().to_dict("records"),
        }

    def write(self, path: Path) -> Path:
        """Write :meth:`document` as JSON; the file name can then be shared with its hash as a commitment."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.document(), ensure_ascii=False, indent=1, default=_plain))
        return path

    @classmethod
    def read(cls, path: Path) -> Assignment:
        """Read an assignment written by :meth:`write` and check its hash.

        Raises
        ------
        InputDataError
            If the file is not an assignment, or its content no longer matches its hash.
        """
        path = Path(path)
        try:
            document = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as error:
            raise InputDataError(f"cannot read the experiment file: {error}", source=path, hint="give the JSON written by canvass experiment") from error
        if document.get("format") != FORMAT:
            raise InputDataError("not an experiment assignment", source=path, where="format", hint="give the JSON written by canvass experiment")
        table = pd.DataFrame(document["bureaux"]).set_index("bureau_id")
        table["held_back"] = table["held_back"].astype(bool)
        p = document["power"]
        assignment = cls(table, int(document["seed"]), float(document["share"]), int(document["n_strata"]), str(document["camp"]),
                         Power(p["n_canvassed"], p["n_held_back"], p["sd_turnout"], p["sd_share_camp"], p["alpha"], p["power"]))
        if assignment.sha256 != document["sha256"]:
            raise InputDataError("the experiment file was changed after it was written: its content does not match its hash",
                                 source=path, where=f"sha256 {document['sha256']}", hint="use the file written before the campaign")
        return assignment


def _plain(value):
    """JSON for numpy scalars."""
    return value.item() if hasattr(value, "item") else str(value)


def strata(score: pd.Series, n_strata: int) -> pd.Series:
    """Priority stratum of each bureau: 0 for the best ``1 / n_strata`` of them by score, and so on (ties by id)."""
    ordered = score.sort_index().sort_values(ascending=False, kind="stable")
    labels = np.arange(len(ordered)) * n_strata // max(len(ordered), 1)
    return pd.Series(labels, index=ordered.index, name="stratum")


def draw(stratum: pd.Series, *, share: float, seed: int) -> pd.Series:
    """Hold back ``round(share × size)`` bureaux of each stratum (at least one of any stratum of two or more, never all), at random from ``seed``.

    Bureaux are taken in ``bureau_id`` order and strata in increasing order,
    so the draw depends on the seed and the bureaux only.
    """
    rng = np.random.default_rng(seed)
    ordered = stratum.sort_index()
    labels = ordered.to_numpy()
    held = np.zeros(len(labels), dtype=bool)
    for level in np.unique(labels):
        members = np.flatnonzero(labels == level)
        n = len(members)
        n_back = min(max(int(round(share * n)), 1), n - 1) if n >= 2 else 0
        held[rng.permutation(members)[:n_back]] = True
    return pd.Series(held, index=ordered.index, name="held_back").reindex(stratum.index)


def assign(
    bureaux: pd.DataFrame,
    *,
    share: float = HOLD_BACK_SHARE,
    n_strata: int = N_STRATA,
    seed: int,
    camp: Camp | None = None,
    alpha: float = ALPHA,
    power: float = POWER,
) -> Assignment:
    """Hold back a random share of the target bureaux, stratified by priority, and say what the experiment can detect.

    Parameters
    ----------
    bureaux
        The target bureaux, scored (``canvass score`` table: ``score``,
        ``share_abstention``, ``share_camp``, ``suppressed``); suppressed
        bureaux and bureaux without a score are left out of the experiment.
    share
        Share of each stratum held back.
    n_strata
        Priority strata (consecutive ranks).
    seed
        Seed of the draw: the same seed and bureaux give the same assignment.
    camp
        The camp the share refers to (written down with the assignment).

    Raises
    ------
    InputDataError
        If ``share`` is not in (0, 1) or fewer than 4 bureaux have a score.

    Notes
    -----
    Power uses the outcome's spread *within* strata, after the pre-election
    figure: the residual standard deviation of the last election's turnout
    (camp share) regressed on stratum dummies. It is an assumption (the next
    election's residual spread is similar), stated in the document.
    """
    if not 0 < share < 1:
        raise InputDataError(f"hold-back share {share} not understood", hint="give a share between 0 and 1, e.g. 0.2")
    usable = bureaux[~bureaux.get("suppressed", pd.Series(False, index=bureaux.index)).astype(bool) & bureaux["score"].notna()]
    if len(usable) < 4:
        raise InputDataError(f"only {len(usable)} target bureaux have a score: too few for an experiment",
                             hint="score a territory with more bureaux, or skip the experiment")
    stratum = strata(usable["score"], n_strata)
    held = draw(stratum, share=share, seed=seed)
    table = pd.DataFrame({
        "stratum": stratum, "score": usable["score"], "held_back": held,
        "pre_turnout": 1 - usable["share_abstention"], "pre_share_camp": usable["share_camp"],
    }).sort_index()
    table.index.name = "bureau_id"
    n_back = int(table["held_back"].sum())
    estimate = Power(len(table) - n_back, n_back, _within_sd(table["pre_turnout"], table["stratum"]),
                     _within_sd(table["pre_share_camp"], table["stratum"]), alpha, power)
    return Assignment(table, seed, share, n_strata, camp.describe() if camp else "", estimate)


def _within_sd(values: pd.Series, stratum: pd.Series) -> float:
    """Standard deviation of ``values`` around their stratum means (NaN when unknown)."""
    known = values.notna().to_numpy()
    y = values.to_numpy(float)[known]
    _, group = np.unique(stratum.to_numpy()[known], return_inverse=True)
    n_groups = group.max() + 1 if len(group) else 0
    if len(y) <= n_groups:
        return float("nan")
    means = np.bincount(group, weights=y) / np.bincount(group)
    return float(np.sqrt(((y - means[group]) ** 2).sum() / (len(y) - n_groups)))


@dataclass(frozen=True)
class Effect:
    """One estimate of the effect of canvassing on an outcome, with its interval."""

    outcome: str
    method: str
    estimate: float
    se: float
    low: float
    high: float
    p_value: float
    n_canvassed: int
    n_held_back: int


def outcomes(results: pd.DataFrame, camp: Camp | None, *, election: str, round_: int | None = None) -> pd.DataFrame:
    """Turnout and camp share per bureau at one ballot of ``results`` (first round present by default)."""
    rows = results[results["election"] == election]
    if rows.empty:
        raise InputDataError(f"no result for election {election}", codes=sorted(results["election"].unique()),
                             hint="give the election held after the campaign, among those listed")
    rows = rows[rows["round"] == (round_ if round_ is not None else rows["round"].min())]
    key = rows.groupby("bureau_id")
    out = pd.DataFrame({"turnout": key["n_voters"].first() / key["n_registered"].first().where(key["n_registered"].first() > 0)})
    if camp is not None and (camp.default or camp.by_election):
        mask = select_camp(rows, camp).mask
        camp_votes = rows["n_votes"].where(mask, 0.0).groupby(rows["bureau_id"]).sum()
        out["share_camp"] = camp_votes / key["n_expressed"].first().where(key["n_expressed"].first() > 0)
    return out


def difference_in_means(y: pd.Series, treated: pd.Series, stratum: pd.Series) -> tuple[float, float]:
    """Stratified difference in means (canvassed − held back), weighted by stratum size, with its Neyman standard error.

    Strata lacking either group are left out.
    """
    values, is_treated = y.to_numpy(float), treated.to_numpy(bool)
    _, group = np.unique(stratum.to_numpy(), return_inverse=True)
    estimate, variance, total = 0.0, 0.0, 0
    for level in range(group.max() + 1):
        a = values[(group == level) & is_treated]
        b = values[(group == level) & ~is_treated]
        if len(a) < 1 or len(b) < 1:
            continue
        n = len(a) + len(b)
        estimate += n * (a.mean() - b.mean())
        variance += n**2 * ((a.var(ddof=1) if len(a) > 1 else 0.0) / len(a) + (b.var(ddof=1) if len(b) > 1 else 0.0) / len(b))
        total += n
    return estimate / total, float(np.sqrt(variance)) / total


def regression(y: pd.Series, treated: pd.Series, stratum: pd.Series, covariate: pd.Series | None) -> tuple[float, float, int]:
    """OLS of the outcome on treatment, stratum dummies and the pre-election covariate; HC2 standard error of the treatment.

    Returns (estimate, standard error, residual degrees of freedom).
    """
    columns = [np.ones(len(y)), treated.to_numpy(float)]
    columns += [(stratum == level).to_numpy(float) for level in sorted(stratum.unique())[1:]]
    if covariate is not None:
        columns.append(covariate.to_numpy(float) - covariate.mean())
    x = np.column_stack(columns)
    values = y.to_numpy(float)
    inverse = np.linalg.pinv(x.T @ x)
    beta = inverse @ x.T @ values
    residual = values - x @ beta
    leverage = np.einsum("ij,jk,ik->i", x, inverse, x)
    meat = x.T @ (x * (residual**2 / np.clip(1 - leverage, 1e-9, None))[:, None])
    covariance = inverse @ meat @ inverse
    return float(beta[1]), float(np.sqrt(covariance[1, 1])), len(values) - x.shape[1]


def estimate_effects(frame: pd.DataFrame, outcome: str, covariate: str, *, alpha: float = ALPHA) -> list[Effect]:
    """Both estimators on one outcome; ``frame`` has the outcome, ``held_back``, ``stratum`` and the covariate."""
    data = frame.dropna(subset=[outcome])
    treated = ~data["held_back"].astype(bool)
    n_t, n_c = int(treated.sum()), int((~treated).sum())
    if n_t < 2 or n_c < 2:
        raise InputDataError(f"{outcome}: {n_t} canvassed and {n_c} held-back bureaux have a result; at least 2 of each are needed",
                             hint="check that the new results cover the experiment's bureaux")
    found = []
    dim, dim_se = difference_in_means(data[outcome], treated, data["stratum"])
    covariate_values = data[covariate] if data[covariate].notna().all() else None
    reg, reg_se, dof = regression(data[outcome], treated, data["stratum"], covariate_values)
    for method, estimate, se, df in (("difference in means (stratified)", dim, dim_se, n_t + n_c - 2),
                                     ("regression on pre-election figures", reg, reg_se, max(dof, 1))):
        t = stats.t.ppf(1 - alpha / 2, df)
        p_value = float(2 * stats.t.sf(abs(estimate / se), df)) if se > 0 else float("nan")
        found.append(Effect(outcome, method, estimate, se, estimate - t * se, estimate + t * se, p_value, n_t, n_c))
    return found


def evaluate(assignment: Assignment, results: pd.DataFrame, *, election: str, camp: Camp | None = None,
             round_: int | None = None, alpha: float = ALPHA) -> pd.DataFrame:
    """Effect of canvassing on turnout (and on the camp's share when a camp is given) at ``election``.

    Returns
    -------
    pandas.DataFrame
        One row per (outcome, method): ``estimate`` (canvassed − held back,
        in shares: 0.02 = 2 points), ``se``, ``low``/``high`` (confidence
        interval at 1 − ``alpha``), ``p_value``, bureau counts, and the
        minimum detectable effect written down before the campaign.
    """
    observed = outcomes(results, camp, election=election, round_=round_)
    frame = assignment.table.join(observed, how="left")
    effects = estimate_effects(frame, "turnout", "pre_turnout", alpha=alpha)
    mde = {"turnout": assignment.power.mde_turnout}
    if "share_camp" in observed:
        effects += estimate_effects(frame, "share_camp", "pre_share_camp", alpha=alpha)
        mde["share_camp"] = assignment.power.mde_share_camp
    table = pd.DataFrame([vars(effect) for effect in effects])
    table["mde_before"] = table["outcome"].map(mde)
    return table
