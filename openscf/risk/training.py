"""Training the champion (a weight-of-evidence scorecard) and the challenger (LightGBM).

Both take a plain frame (one row per supplier and as-of date, one column per feature), the
two-class target as 0/1 (1: the event, a default) and the `FeatureSet` naming the columns
to read; both return a `Model` whose artefact is scored by `openscf.risk.models` alone.

- **Scorecard**: optbinning's optimal binning per feature (numeric splits or groups of
  categories, each bin at least 5 % of the rows, monotone where the data says so), then a
  logistic regression on the bins' weights of evidence. The artefact keeps, per bin, the
  log-odds it adds (coefficient x WoE): optbinning and scikit-learn are needed to train,
  never to score.
- **LightGBM**: shallow trees (8 leaves, 300 rounds at 0.03, 70 % of the features per tree,
  80 % bagging, L2 5), categorical columns as LightGBM categoricals, one thread, a fixed
  seed: the same data gives the same artefact.

Calibration (`calibrate`): Platt scaling on a held-out part of the training rows; the model
is fitted on the rest. The held-out part is `holdout` when given (for a panel, the latest
as-of months, the closest to the period being predicted), otherwise a stratified 20 %.
Platt rather than isotonic: two numbers, monotone (grades keep the model's ranking), and
stable with the few hundred defaults a holdout has; isotonic steps overfit that few.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from openscf.risk.errors import DatasetError
from openscf.risk.models import Calibration, FeatureSet, Model, lightgbm_matrix

__all__ = ["LIGHTGBM_PARAMS", "reference_of", "train_model"]

Kind = Literal["scorecard", "lightgbm"]
Ints = npt.NDArray[np.int64]

LIGHTGBM_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.03,
    "num_leaves": 8,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.7,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 5.0,
    "cat_smooth": 10.0,
    "min_data_per_group": 20,
    "max_cat_to_onehot": 4,
    "num_threads": 1,
    "deterministic": True,
    "force_row_wise": True,
    "verbosity": -1,
}
LIGHTGBM_ROUNDS = 300


def train_model(
    kind: Kind,
    frame: pd.DataFrame,
    y: npt.ArrayLike,
    feature_set: FeatureSet,
    *,
    target: str,
    calibrate: bool = True,
    holdout: npt.ArrayLike | None = None,
    seed: int = 0,
    reference_label: str = "network median",
    trained: Mapping[str, Any] | None = None,
    lightgbm_params: Mapping[str, Any] | None = None,
    lightgbm_rounds: int = LIGHTGBM_ROUNDS,
) -> Model:
    """Train one model; `calibrate` holds out part of the rows for Platt scaling (see the
    module's docstring)."""
    feature_set.check_frame(frame)
    target_values = np.asarray(y, dtype=np.int64)
    _check_two_classes(target_values)
    fit_rows = np.ones(len(frame), dtype=bool)
    if calibrate:
        fit_rows = ~_holdout_mask(target_values, holdout, seed)
    fit_frame = frame.loc[fit_rows].reset_index(drop=True)
    fit_y = target_values[fit_rows]
    _check_two_classes(fit_y)
    if kind == "scorecard":
        body = _fit_scorecard(fit_frame, fit_y, feature_set)
    elif kind == "lightgbm":
        body = _fit_lightgbm(
            fit_frame, fit_y, feature_set, seed, lightgbm_params or {}, lightgbm_rounds
        )
    else:
        raise ValueError(f"unknown model kind {kind!r}")
    model = Model(
        kind=kind,
        target=target,
        feature_set=feature_set,
        body=body,
        reference_label=reference_label,
        trained={
            "rows": len(frame),
            "events": int(target_values.sum()),
            "fit_rows": int(fit_rows.sum()),
            "calibration_rows": int((~fit_rows).sum()),
            "seed": seed,
            **dict(trained or {}),
        },
    )
    model.reference = reference_of(model, fit_frame)
    if calibrate:
        cal_frame = frame.loc[~fit_rows].reset_index(drop=True)
        model.calibration = _platt(
            model.log_odds(cal_frame),
            target_values[~fit_rows],
            "latest rows held out" if holdout is not None else "a stratified 20 % held out",
        )
    model.assign_id()
    return model


def _check_two_classes(y: Ints) -> None:
    if len(np.unique(y)) != 2:
        raise DatasetError(
            "training needs rows of both classes (defaults and non-defaults); widen the "
            "period or the population",
            "target",
        )


def _holdout_mask(y: Ints, holdout: npt.ArrayLike | None, seed: int) -> npt.NDArray[np.bool_]:
    if holdout is not None:
        mask = np.asarray(holdout, dtype=bool)
        if len(np.unique(y[mask])) != 2 or len(np.unique(y[~mask])) != 2:
            raise DatasetError(
                "the calibration holdout needs defaults and non-defaults on both sides; "
                "choose a longer period",
                "holdout",
            )
        return mask
    rng = np.random.default_rng(seed)
    mask = np.zeros(len(y), dtype=bool)
    for cls in (0, 1):
        rows = np.flatnonzero(y == cls)
        take = max(1, round(0.2 * len(rows)))
        mask[rng.choice(rows, size=take, replace=False)] = True
    return mask


def _platt(log_odds: npt.NDArray[np.float64], y: Ints, where: str) -> Calibration:
    """Logistic regression of the outcome on the model's log-odds (Newton steps, a tiny
    ridge so that a perfectly separated holdout still gives finite numbers)."""
    a, b = 1.0, 0.0
    x = log_odds
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(a * x + b, -700, 700)))
        w = p * (1 - p)
        g = np.array([np.sum((p - y) * x) + 1e-3 * (a - 1), np.sum(p - y)])
        h = np.array([[np.sum(w * x * x) + 1e-3, np.sum(w * x)], [np.sum(w * x), np.sum(w) + 1e-9]])
        step = np.linalg.solve(h, g)
        a, b = a - float(step[0]), b - float(step[1])
        if float(np.abs(step).max()) < 1e-10:
            break
    return Calibration("platt", a, b, where)


def reference_of(model: Model, frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """What reasons compare with: each feature's median (numeric) or most common value
    (categorical) over `frame`, and its mean log-odds contribution there."""
    contrib, _ = model.contributions(frame)
    out: dict[str, dict[str, Any]] = {}
    for j, f in enumerate(model.feature_set.features):
        entry: dict[str, Any] = {"mean_contribution": float(contrib[:, j].mean())}
        column = frame[f.name]
        if f.kind == "numerical":
            median = pd.to_numeric(column, errors="coerce").median()
            entry["median"] = None if pd.isna(median) else float(median)
        else:
            counts = column.dropna().astype(str).value_counts()
            entry["mode"] = None if counts.empty else str(counts.index[0])
        out[f.name] = entry
    return out


# --- the scorecard -------------------------------------------------------------------------


def _fit_scorecard(frame: pd.DataFrame, y: Ints, fs: FeatureSet) -> dict[str, Any]:
    from optbinning import BinningProcess
    from sklearn.linear_model import LogisticRegression

    names = fs.names
    categorical = [f.name for f in fs.features if f.kind == "categorical"]
    x = frame[names].copy()
    for name in categorical:
        x[name] = x[name].astype(object).where(x[name].notna(), np.nan)
        x[name] = x[name].map(lambda v: v if isinstance(v, float) else str(v))
    process = BinningProcess(
        names,
        categorical_variables=categorical,
        min_bin_size=0.05,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        process.fit(x, y)
        tables = {name: process.get_binned_variable(name).binning_table.build() for name in names}
    woe_columns = []
    bins: list[dict[str, Any]] = []
    for name in names:
        binned = process.get_binned_variable(name)
        table = tables[name]
        woe = [float(v) for v in table["WoE"].iloc[: len(table) - 3]]
        missing_rows = table.loc[table["Bin"].astype(str) == "Missing", "WoE"]
        missing_woe = float(missing_rows.iloc[0]) if len(missing_rows) else 0.0
        entry: dict[str, Any] = {"name": name, "woe": woe, "missing_woe": missing_woe}
        if binned.dtype == "categorical":
            entry["kind"] = "categorical"
            entry["categories"] = [sorted(str(c) for c in group) for group in binned.splits]
        else:
            entry["kind"] = "numerical"
            entry["splits"] = [float(s) for s in binned.splits]
        if len(entry["woe"]) != (
            len(entry["categories"]) if entry["kind"] == "categorical" else len(entry["splits"]) + 1
        ):
            raise RuntimeError(f"unexpected binning table for {name}")
        bins.append(entry)
        woe_columns.append(_woe_column(entry, frame[name]))
    design = np.column_stack(woe_columns)
    regression = LogisticRegression(C=1.0, max_iter=2000)
    regression.fit(design, y)
    coef = [float(c) for c in regression.coef_[0]]
    features = []
    for entry, c in zip(bins, coef, strict=True):
        feat: dict[str, Any] = {
            "name": entry["name"],
            "kind": entry["kind"],
            "scores": [c * w for w in entry["woe"]],
            "missing_score": c * entry["missing_woe"],
            "woe": entry["woe"],
            "coefficient": c,
        }
        if entry["kind"] == "categorical":
            feat["categories"] = entry["categories"]
            feat["other_score"] = 0.0
        else:
            feat["splits"] = entry["splits"]
        features.append(feat)
    return {"intercept": float(regression.intercept_[0]), "features": features}


def _woe_column(entry: Mapping[str, Any], column: pd.Series) -> npt.NDArray[np.float64]:
    """The same bin lookup the scorer does, on WoE instead of scores (for the regression)."""
    woe = np.asarray(entry["woe"], dtype=np.float64)
    if entry["kind"] == "numerical":
        x = np.asarray(pd.to_numeric(column, errors="coerce"), dtype=np.float64)
        idx = np.minimum(
            np.searchsorted(np.asarray(entry["splits"]), x, side="right"), len(woe) - 1
        )
        out = woe[idx]
        out[np.isnan(x)] = entry["missing_woe"]
        return out
    lookup = {c: float(w) for group, w in zip(entry["categories"], woe, strict=True) for c in group}
    return np.array(
        [
            entry["missing_woe"]
            if v is None or (isinstance(v, float) and math.isnan(v))
            else lookup.get(str(v), 0.0)
            for v in column
        ],
        dtype=np.float64,
    )


# --- LightGBM ------------------------------------------------------------------------------


def _fit_lightgbm(
    frame: pd.DataFrame,
    y: Ints,
    fs: FeatureSet,
    seed: int,
    params: Mapping[str, Any],
    rounds: int,
) -> dict[str, Any]:
    import lightgbm

    categories = {
        f.name: sorted(frame[f.name].dropna().astype(str).unique().tolist())
        for f in fs.features
        if f.kind == "categorical"
    }
    body: dict[str, Any] = {"categories": categories}
    x = lightgbm_matrix(body, fs, frame)
    cat_index = [i for i, f in enumerate(fs.features) if f.kind == "categorical"]
    settings = {**LIGHTGBM_PARAMS, "seed": seed, **params}
    data = lightgbm.Dataset(
        x,
        label=y,
        feature_name=[_safe_name(i) for i in range(len(fs.features))],
        categorical_feature=cat_index or "auto",
        free_raw_data=True,
        params={"verbosity": -1},
    )
    booster = lightgbm.train(settings, data, num_boost_round=rounds)
    body["booster"] = booster.model_to_string()
    body["rounds"] = rounds
    body["feature_names_in_booster"] = "f0..fN in the feature set's order"
    if math.isnan(float(np.asarray(booster.predict(x[:1])).ravel()[0])):
        raise RuntimeError("LightGBM produced a NaN prediction")
    return body


def _safe_name(i: int) -> str:
    return f"f{i}"
