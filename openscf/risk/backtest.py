"""Out-of-time evaluation: train on earlier as-of months of some economies, test on later
months of others.

`out_of_time(train, test, feature_set)` takes two stacked frames (one row per supplier and
as-of date, as `openscf.risk.labels.training_frame` gives them: the features, the label
columns, ``as_of``, a firm id and a group column such as ``tier``) and, for each model kind
and each feature scope (firm-only features, then firm and network features, by the
registry's ``family``), trains on `train` and scores `test`. Rows whose label is unknown (the
horizon runs past the data) are dropped. The latest as-of date of `train` is held out for
the Platt calibration (the closest to the period predicted). Metrics come with intervals
from a bootstrap over whole firms; the lift of the network features is the paired
difference of AUCs over the same draws.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from openscf.risk.errors import DatasetError
from openscf.risk.evaluation import Interval, auc, bootstrap_draws, evaluate
from openscf.risk.models import FeatureSet, Model
from openscf.risk.training import Kind, train_model

__all__ = ["SCOPES", "out_of_time"]

SCOPES: dict[str, tuple[str, ...]] = {
    "firm": ("firm",),
    "firm+network": ("firm", "network"),
}


def out_of_time(
    train: pd.DataFrame,
    test: pd.DataFrame,
    feature_set: FeatureSet,
    *,
    target: str = "default_90d",
    kinds: Sequence[Kind] = ("scorecard", "lightgbm"),
    scopes: Mapping[str, Sequence[str]] = SCOPES,
    firm_column: str = "org_id",
    group_column: str | None = "tier",
    date_column: str = "as_of",
    n_boot: int = 500,
    seed: int = 0,
) -> tuple[dict[str, Any], dict[tuple[str, str], Model]]:
    """Metrics per (kind, scope) and the trained models (see the module's docstring)."""
    train = train.loc[train[target].notna()].reset_index(drop=True)
    test = test.loc[test[target].notna()].reset_index(drop=True)
    for name, frame in (("training", train), ("test", test)):
        if frame[target].nunique() != 2:
            raise DatasetError(f"the {name} rows need defaults and non-defaults", target)
    y_train = train[target].to_numpy(dtype=np.int64)
    y_test = test[target].to_numpy(dtype=np.int64)
    latest = train[date_column].max()
    holdout = (train[date_column] == latest).to_numpy()
    firms = test[firm_column].astype(str).to_numpy()
    groups = None if group_column is None else test[group_column].astype(str).to_numpy()
    draws = bootstrap_draws(len(y_test), firms, n_boot, seed)
    results: dict[str, Any] = {
        "target": target,
        "train": _describe(train, y_train, date_column, firm_column),
        "test": _describe(test, y_test, date_column, firm_column),
        "calibration_rows": f"as-of {latest} of the training economies",
        "models": {},
    }
    models: dict[tuple[str, str], Model] = {}
    predictions: dict[tuple[str, str], np.ndarray] = {}
    for kind in kinds:
        for scope, families in scopes.items():
            fs = FeatureSet(
                tuple(f for f in feature_set.features if (f.family or "firm") in families),
                feature_set.version,
            )
            cpu = time.process_time()
            model = train_model(
                kind,
                train,
                y_train,
                fs,
                target=target,
                holdout=holdout,
                seed=seed,
                trained={
                    "period": results["train"]["period"],
                    "scope": scope,
                },
            )
            p = model.predict_pd(test)
            cpu = time.process_time() - cpu
            metrics = evaluate(y_test, p, groups=groups, clusters=firms, n_boot=n_boot, seed=seed)
            metrics["features"] = len(fs.features)
            metrics["cpu_seconds"] = cpu
            results["models"][f"{kind}/{scope}"] = metrics
            models[(kind, scope)] = model
            predictions[(kind, scope)] = p
    names = list(scopes)
    if len(names) == 2:
        base, full = names
        for kind in kinds:
            results["models"][f"{kind}/{full}"]["lift_over_" + base] = _paired_lift(
                y_test, predictions[(kind, base)], predictions[(kind, full)], draws
            ).to_json()
    return results, models


def _describe(
    frame: pd.DataFrame, y: np.ndarray, date_column: str, firm_column: str
) -> dict[str, Any]:
    dates = sorted({str(d) for d in frame[date_column]})
    return {
        "rows": len(frame),
        "events": int(y.sum()),
        "event_rate": float(y.mean()),
        "firms": int(frame[firm_column].nunique()),
        "defaulting_firms": int(frame.loc[y == 1, firm_column].nunique()),
        "as_of_dates": dates,
        "period": f"{dates[0]} .. {dates[-1]}" if dates else "",
    }


def _paired_lift(
    y: np.ndarray, base: np.ndarray, full: np.ndarray, draws: Sequence[np.ndarray]
) -> Interval:
    point = auc(y, full) - auc(y, base)
    diffs = np.array([auc(y[d], full[d]) - auc(y[d], base[d]) for d in draws])
    diffs = diffs[np.isfinite(diffs)]
    low, high = np.percentile(diffs, [2.5, 97.5])
    return Interval(point, float(low), float(high))
