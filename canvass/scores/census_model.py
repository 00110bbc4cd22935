"""What a bureau's demography predicts of its vote, and which bureaux fall short of it.

Census counts are carried from IRIS (or the Filosofi 200 m grid) to bureaux as
counts, then divided into rates per bureau (:func:`bureau_features`). A ridge
regression on those rates predicts a bureau's camp share or turnout, judged by
K-fold cross-validation (:func:`fit_model`): a bureau whose result is well
below what its demography predicts is flagged as under-performing, a place
where canvassing may mobilise voters the camp should already have.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from canvass.errors import DataQualityWarning, InputDataError
from canvass.scores.areal import interpolate
from canvass.territory.model import Territory

IRIS_RATES = {
    "share_artisans": ("C{yy}_POP15P_CS2", "C{yy}_POP15P"),
    "share_managers": ("C{yy}_POP15P_CS3", "C{yy}_POP15P"),
    "share_intermediate": ("C{yy}_POP15P_CS4", "C{yy}_POP15P"),
    "share_employees": ("C{yy}_POP15P_CS5", "C{yy}_POP15P"),
    "share_workers": ("C{yy}_POP15P_CS6", "C{yy}_POP15P"),
    "share_retired": ("C{yy}_POP15P_CS7", "C{yy}_POP15P"),
    "share_other_inactive": ("C{yy}_POP15P_CS8", "C{yy}_POP15P"),
    "share_aged_15_29": ("P{yy}_POP1529", "P{yy}_POP"),
    "share_aged_65_plus": ("P{yy}_POP65P", "P{yy}_POP"),
    "share_owners": ("P{yy}_RP_PROP", "P{yy}_RP"),
    "share_social_housing": ("P{yy}_RP_LOCHLMV", "P{yy}_RP"),
    "share_flats": ("P{yy}_APPART", "P{yy}_LOG"),
    "share_vacant": ("P{yy}_LOGVAC", "P{yy}_LOG"),
}
"""Rates built from IRIS census counts: name -> (numerator, denominator), ``{yy}`` the two-digit vintage.

Farmers (CS1) are left out: next to none in towns, and the eight groups sum to one."""

IRIS_LEVELS = {"median_income": "DISP_MED{yy}", "poverty_rate": "DISP_TP60{yy}"}
"""Filosofi IRIS indicators that are not counts (a median, a rate): averaged, weighted by households."""

LEVEL_WEIGHTS = ("P{yy}_RP", "P{yy}_POP", "C{yy}_POP15P")
"""Counts that weight the IRIS levels, first present wins (households, then people)."""

GRID_RATES = {
    "share_poor": ("men_pauv", "men"),
    "share_owners": ("men_prop", "men"),
    "share_flats": ("men_coll", "men"),
    "share_single_person": ("men_1ind", "men"),
    "share_five_plus": ("men_5ind", "men"),
    "share_single_parent": ("men_fmp", "men"),
    "persons_per_household": ("ind", "men"),
    "floor_m2_per_household": ("men_surf", "men"),
}
"""Rates built from Filosofi 200 m cells (households theme): name -> (numerator, denominator)."""

BUREAU_GAP_M = 10.0
"""Streets up to 20 m wide between bureau polygons count as inside them (see :func:`~canvass.scores.areal.overlap_weights`)."""

MIN_COVERAGE = 0.5
"""Below this share of a bureau backed by census data, :func:`bureau_features` warns."""

FLAG_SD = 1.5
"""A bureau is flagged when its residual is below ``-FLAG_SD`` residual standard deviations."""

NOT_FEATURES = ("coverage",)
"""Columns of :func:`bureau_features` that :func:`fit_model` does not use as predictors."""


def _vintages(template: str, columns: pd.Index) -> set[str]:
    """Two-digit vintages for which ``template`` names a column (``{""}`` for a template without ``{yy}`` present)."""
    pattern = re.compile(re.escape(template).replace(re.escape("{yy}"), r"(?P<yy>\d\d)"))
    return {match.groupdict().get("yy", "") for match in map(pattern.fullmatch, columns.astype(str)) if match}


def _resolve_rates(rates: Mapping[str, tuple[str, str]], columns: pd.Index) -> dict[str, tuple[str, str]]:
    """Keep the rates whose numerator and denominator exist, at the latest vintage having both."""
    resolved = {}
    for name, (numerator, denominator) in rates.items():
        years = _vintages(numerator, columns) & _vintages(denominator, columns)
        if years:
            resolved[name] = (numerator.format(yy=max(years)), denominator.format(yy=max(years)))
    return resolved


def _iris_ratios(census: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """Ratios for IRIS census: the rates, then each level as (level × weight) / weight."""
    ratios = _resolve_rates(IRIS_RATES, census.columns)
    weights = [template.format(yy=max(years)) for template in LEVEL_WEIGHTS if (years := _vintages(template, census.columns))]
    for name, template in IRIS_LEVELS.items():
        years = _vintages(template, census.columns)
        if years and weights:
            ratios[name] = (f"{template.format(yy=max(years))}*{weights[0]}", weights[0])
    return ratios


def _ratio_source(source: gpd.GeoDataFrame, ratios: Mapping[str, tuple[str, str]]) -> gpd.GeoDataFrame:
    """One numerator and one denominator column per ratio, each kept only where both are known."""
    columns = {}
    for name, (numerator, denominator) in ratios.items():
        top = np.prod([source[part].to_numpy(dtype=float, na_value=np.nan) for part in numerator.split("*")], axis=0)
        bottom = source[denominator].to_numpy(dtype=float, na_value=np.nan)
        both = ~np.isnan(top) & ~np.isnan(bottom)
        columns[f"{name}/num"] = np.where(both, top, np.nan)
        columns[f"{name}/den"] = np.where(both, bottom, np.nan)
    return gpd.GeoDataFrame(columns, geometry=source.geometry.values, crs=source.crs)


def bureau_features(territory: Territory, *, weights: str = "auto") -> pd.DataFrame:
    r"""Census indicators per bureau, as rates, carried from IRIS or from the Filosofi 200 m grid.

    Parameters
    ----------
    territory
        A built territory. IRIS census is used when there is any, else the
        Filosofi grid (Brest has no IRIS contours in the shared data).
    weights
        ``"area"``, ``"addresses"`` or ``"auto"`` (addresses when the territory
        has address points, else area); see :func:`~canvass.scores.areal.overlap_weights`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``bureau_id``: one column per rate whose INSEE columns are
        present (:data:`IRIS_RATES`, :data:`IRIS_LEVELS` or :data:`GRID_RATES`),
        NaN where no data backs the bureau, and ``coverage``, the share (0–1)
        of the bureau backed by census data.

    Raises
    ------
    InputDataError
        If the territory has neither IRIS census nor grid cells, or none of the
        known INSEE columns.

    Warns
    -----
    DataQualityWarning
        When some bureaux are less than :data:`MIN_COVERAGE` backed by census data.

    Notes
    -----
    Counts are carried as extensive variables, then divided per bureau:
    :math:`r_j = \hat a_j / \hat b_j` with :math:`\hat a, \hat b` the
    interpolated numerator and denominator, both summed over the sources where
    both are known (so a secret cell drops out of both). A median or a poverty
    rate is carried as a household-weighted mean, :math:`\widehat{(h m)}_j /
    \hat h_j`, a proxy since medians are not additive. Filosofi publishes only
    inhabited cells, so an absent cell inside the grid means no household:
    for the grid, ``coverage`` is the share of the bureau inside the convex
    hull of the cells.
    """
    if weights == "auto":
        weights = "addresses" if len(territory.addresses) else "area"
    bureaux = territory.bureaux.set_index("bureau_id")
    options = {"weights": weights, "points": territory.addresses if weights == "addresses" else None, "gap_m": BUREAU_GAP_M}
    if len(territory.census) and len(territory.iris):
        census = territory.census.drop(columns=["commune"], errors="ignore")
        source = territory.iris.merge(census, on="iris_code", how="left")
        ratios = _iris_ratios(census)
        known = source[sorted({part for pair in ratios.values() for column in pair for part in column.split("*")})].notna().any(axis=1)
        extent = gpd.GeoDataFrame({"data": np.where(known, 1.0, np.nan)}, geometry=source.geometry.values, crs=source.crs)
        where = "census table (IRIS)"
    elif len(territory.grid):
        source = territory.grid
        ratios = _resolve_rates(GRID_RATES, source.columns)
        extent = gpd.GeoDataFrame({"data": [1.0]}, geometry=[shapely.convex_hull(shapely.union_all(source.geometry.values))], crs=source.crs)
        where = "grid layer (Filosofi 200 m)"
    else:
        raise InputDataError("no census data: the territory has neither IRIS census nor Filosofi grid cells", where="territory",
                             hint="add INSEE base infracommunale / Filosofi files, or the Filosofi 200 m grid, and build again")
    if not ratios:
        raise InputDataError("no known INSEE column to build rates from", where=where,
                             hint="expected e.g. C21_POP15P_CS3 and C21_POP15P, P21_RP_PROP and P21_RP, or men_pauv and men")
    counts = interpolate(_ratio_source(source, ratios), bureaux, extensive=[f"{name}/{part}" for name in ratios for part in ("num", "den")], **options)
    features = pd.DataFrame(
        {name: counts[f"{name}/num"] / counts[f"{name}/den"].where(counts[f"{name}/den"] > 0) for name in ratios},
        index=bureaux.index,
    )
    features["coverage"] = interpolate(extent, bureaux, intensive=["data"], **options)["coverage_data"].fillna(0.0)
    thin = features.index[features["coverage"] < MIN_COVERAGE]
    if len(thin):
        warnings.warn(
            f"{len(thin)} bureaux are less than {MIN_COVERAGE:.0%} backed by census data ({where}): "
            f"{', '.join(thin[:5])}{' …' if len(thin) > 5 else ''}; their rates rest on little data",
            DataQualityWarning,
            stacklevel=2,
        )
    return features


@dataclass(frozen=True)
class ModelFit:
    """A cross-validated ridge regression of one bureau-level target on census rates.

    Attributes
    ----------
    target_name
        Name of the target Series.
    predicted
        Out-of-fold predictions, by ``bureau_id`` (each bureau predicted by a
        model that did not see it).
    residual
        Observed minus out-of-fold predicted.
    flags
        True for bureaux whose residual is below ``-FLAG_SD`` residual standard
        deviations: under-performing their demographic potential.
    r2_cv, mae_cv
        Out-of-fold R² (1 − SSE / SST around the mean) and mean absolute error.
    n
        Bureaux used.
    coefficients
        Standardised coefficients of the model fitted on all ``n`` bureaux
        (change of the target per standard deviation of each rate).
    intercept
        Mean of the target over the ``n`` bureaux.
    excluded
        Bureaux left out because their target or a feature is missing.
    alpha, n_splits, seed
        Ridge penalty, number of folds and seed of the fold permutation.
    """

    target_name: str
    predicted: pd.Series
    residual: pd.Series
    flags: pd.Series
    r2_cv: float
    mae_cv: float
    n: int
    coefficients: pd.Series
    intercept: float
    excluded: tuple[str, ...]
    alpha: float
    n_splits: int
    seed: int

    def summary(self, *, n_coefficients: int = 5) -> str:
        """A few lines for humans: fit quality, strongest rates, flagged bureaux."""
        strongest = self.coefficients.reindex(self.coefficients.abs().sort_values(ascending=False).index)[:n_coefficients]
        flagged = self.flags.index[self.flags]
        lines = [
            f"{self.target_name}: ridge on {len(self.coefficients)} census rates, {self.n} bureaux, "
            f"{self.n_splits}-fold cross-validation (seed {self.seed}, alpha {self.alpha:g})",
            f"  out-of-sample R² {self.r2_cv:.3f}, mean absolute error {self.mae_cv:.4f} (target mean {self.intercept:.4f})",
            "  strongest rates (per standard deviation): " + ", ".join(f"{name} {value:+.4f}" for name, value in strongest.items()),
            f"  {len(flagged)} bureaux under their demographic potential (residual < -{FLAG_SD:g} sd)"
            + (f": {', '.join(flagged[:8])}{' …' if len(flagged) > 8 else ''}" if len(flagged) else ""),
        ]
        if self.excluded:
            lines.append(f"  {len(self.excluded)} bureaux left out (missing target or rate): {', '.join(self.excluded[:5])}")
        return "\n".join(lines)


def _ridge(x: np.ndarray, y: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Fit ridge on standardised columns; return (column means, column scales, coefficients, intercept)."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0  # a rate constant within a training fold carries no information there
    z = (x - mean) / scale
    coefficients = np.linalg.solve(z.T @ z + alpha * np.eye(x.shape[1]), z.T @ (y - y.mean()))
    return mean, scale, coefficients, float(y.mean())


def fit_model(features: pd.DataFrame, target: pd.Series, *, seed: int = 0, n_splits: int = 5, alpha: float = 1.0) -> ModelFit:
    r"""Predict ``target`` from census rates by ridge regression, judged out of sample.

    Parameters
    ----------
    features
        Rates by ``bureau_id``, e.g. from :func:`bureau_features`; the columns
        of :data:`NOT_FEATURES`, columns missing everywhere and constant columns
        are not used.
    target
        One value per ``bureau_id`` (a camp share, a turnout); bureaux of
        ``features`` absent from it count as missing.
    seed
        Seed of the permutation that deals bureaux into folds.
    n_splits
        Number of cross-validation folds.
    alpha
        Ridge penalty on the standardised coefficients (the intercept is not penalised).

    Returns
    -------
    ModelFit

    Raises
    ------
    InputDataError
        If no feature is usable, or fewer than ``2 * n_splits`` bureaux have a
        target and every feature.

    Notes
    -----
    Each column is standardised, :math:`z = (x - \bar x) / s_x`, with the
    mean and standard deviation of the training folds, and

    .. math:: \hat\beta = (Z^\top Z + \alpha I)^{-1} Z^\top (y - \bar y), \qquad
              \hat y = \bar y + z \hat\beta .

    Bureaux are dealt into ``n_splits`` folds by a permutation drawn with
    ``numpy.random.default_rng(seed)``; each fold is predicted by the model
    fitted on the others. :math:`R^2_{cv} = 1 - \sum (y - \hat y)^2 / \sum (y - \bar y)^2`
    is below 0 when the model predicts worse than the mean.
    """
    columns = [c for c in features.columns if c not in NOT_FEATURES and features[c].notna().any()]
    data = features[columns].assign(_target=target.reindex(features.index))
    usable = data.notna().all(axis=1)
    data = data[usable]
    columns = [c for c in columns if data[c].nunique() > 1]
    target_name = str(target.name or "target")
    if not columns:
        raise InputDataError(f"no census rate to predict {target_name} from", where="features",
                             hint="build features with bureau_features(territory) on a territory with census or grid data")
    if len(data) < 2 * n_splits:
        raise InputDataError(
            f"only {len(data)} bureaux have {target_name} and every census rate; cross-validation needs at least {2 * n_splits}",
            where="features and target", codes=features.index[~usable],
            hint="use a larger territory, or fewer folds (n_splits)",
        )
    x = data[columns].to_numpy(dtype=float)
    y = data["_target"].to_numpy(dtype=float)
    folds = np.array_split(np.random.default_rng(seed).permutation(len(y)), n_splits)
    predicted = np.empty_like(y)
    for fold in folds:
        train = np.setdiff1d(np.arange(len(y)), fold)
        mean, scale, coefficients, intercept = _ridge(x[train], y[train], alpha)
        predicted[fold] = intercept + ((x[fold] - mean) / scale) @ coefficients
    residual = pd.Series(y - predicted, index=data.index, name="residual")
    _, _, coefficients, intercept = _ridge(x, y, alpha)
    return ModelFit(
        target_name=target_name,
        predicted=pd.Series(predicted, index=data.index, name=target_name),
        residual=residual,
        flags=(residual < -FLAG_SD * residual.std()).rename("under_potential"),
        r2_cv=float(1 - np.sum((y - predicted) ** 2) / np.sum((y - y.mean()) ** 2)),
        mae_cv=float(np.mean(np.abs(y - predicted))),
        n=len(y),
        coefficients=pd.Series(coefficients, index=columns, name="coefficient"),
        intercept=intercept,
        excluded=tuple(map(str, features.index[~usable])),
        alpha=alpha,
        n_splits=n_splits,
        seed=seed,
    )


def fit_camp_and_turnout(territory: Territory, *, share_camp: pd.Series, share_turnout: pd.Series, seed: int = 0) -> dict[str, ModelFit]:
    """Fit the camp-share and turnout models on the territory's census rates.

    Parameters
    ----------
    territory
        A built territory with census or grid data.
    share_camp
        Camp share of expressed votes, by ``bureau_id``.
    share_turnout
        Voters over registered, by ``bureau_id``.
    seed
        Seed of the cross-validation folds.

    Returns
    -------
    dict
        ``{"camp": ModelFit, "turnout": ModelFit}``.

    Raises
    ------
    InputDataError
        As :func:`bureau_features` and :func:`fit_model`.
    """
    features = bureau_features(territory)
    return {
        "camp": fit_model(features, share_camp.rename(share_camp.name or "share_camp"), seed=seed),
        "turnout": fit_model(features, share_turnout.rename(share_turnout.name or "share_turnout"), seed=seed),
    }
