"""How good a default model is, with how sure we are of it.

Metrics: AUC (the probability that a defaulter is ranked above a non-defaulter, ties
counted half), KS (the largest gap between the score distributions of defaulters and
non-defaulters), Brier score (mean squared error of the PD), a calibration table (PD bands
against observed default rates), and AUC per group (tier). Each comes with a percentile
bootstrap 95 % interval; on a panel (one firm seen at many as-of dates) the bootstrap draws
whole firms (`clusters`), since a firm's rows are not independent.

Cross-validation (`cross_validate`, the benchmark on any CSV): repeated stratified k-fold.
The point estimate is the mean of the fold AUCs; the interval is a bootstrap over the rows of
the out-of-fold predictions (each draw averages the AUC of the drawn rows over the repeats),
so it says how much the AUC would move on another sample of this size. Nothing is tuned on
a test fold: the models' settings are fixed before the folds are drawn.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from openscf.risk.errors import DatasetError
from openscf.risk.models import FeatureSet, Model
from openscf.risk.training import Kind, train_model

__all__ = [
    "Dataset",
    "Interval",
    "auc",
    "bootstrap",
    "bootstrap_draws",
    "brier",
    "calibration_table",
    "cross_validate",
    "evaluate",
    "ks",
    "read_dataset",
]

Floats = npt.NDArray[np.float64]
Metric = Callable[[Floats, Floats], float]


def auc(y: npt.ArrayLike, p: npt.ArrayLike) -> float:
    """ROC AUC by ranks (Mann-Whitney); NaN when only one class is present."""
    from scipy.stats import rankdata

    yy = np.asarray(y, dtype=np.float64)
    pp = np.asarray(p, dtype=np.float64)
    n1 = float(yy.sum())
    n0 = float(len(yy) - n1)
    if n1 == 0 or n0 == 0:
        return math.nan
    ranks = rankdata(pp)
    return float((ranks[yy == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def ks(y: npt.ArrayLike, p: npt.ArrayLike) -> float:
    """Kolmogorov-Smirnov: the largest distance between the cumulative score
    distributions of events and non-events (evaluated at each distinct score)."""
    yy = np.asarray(y, dtype=np.float64)
    pp = np.asarray(p, dtype=np.float64)
    n1 = yy.sum()
    n0 = len(yy) - n1
    if n1 == 0 or n0 == 0:
        return math.nan
    order = np.argsort(pp, kind="stable")
    ys, ps = yy[order], pp[order]
    last = np.r_[ps[1:] != ps[:-1], True]  # the last row of each distinct score
    cum1 = np.cumsum(ys)[last] / n1
    cum0 = np.cumsum(1 - ys)[last] / n0
    return float(np.max(np.abs(cum1 - cum0)))


def brier(y: npt.ArrayLike, p: npt.ArrayLike) -> float:
    yy = np.asarray(y, dtype=np.float64)
    pp = np.asarray(p, dtype=np.float64)
    return float(np.mean((pp - yy) ** 2)) if len(yy) else math.nan


@dataclass(frozen=True)
class Interval:
    """A point estimate and its percentile bootstrap interval."""

    point: float
    low: float
    high: float
    level: float = 0.95

    def to_json(self) -> dict[str, float]:
        return {k: _finite(v) for k, v in asdict(self).items()}

    def __str__(self) -> str:
        return f"{self.point:.3f} [{self.low:.3f}, {self.high:.3f}]"


def _finite(v: float) -> Any:
    return None if isinstance(v, float) and not math.isfinite(v) else v


def bootstrap_draws(
    n: int, clusters: npt.ArrayLike | None, n_boot: int, seed: int
) -> list[npt.NDArray[np.intp]]:
    rng = np.random.default_rng(seed)
    if clusters is None:
        return [rng.integers(0, n, n) for _ in range(n_boot)]
    _, inverse = np.unique(np.asarray(clusters), return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    counts = np.bincount(inverse)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    groups = [order[s : s + c] for s, c in zip(starts, counts, strict=True)]
    out = []
    for _ in range(n_boot):
        picked = rng.integers(0, len(groups), len(groups))
        out.append(np.concatenate([groups[g] for g in picked]))
    return out


def bootstrap(
    metric: Metric,
    y: npt.ArrayLike,
    p: npt.ArrayLike,
    *,
    clusters: npt.ArrayLike | None = None,
    n_boot: int = 500,
    seed: int = 0,
    level: float = 0.95,
    draws: Sequence[npt.NDArray[np.intp]] | None = None,
) -> Interval:
    """The metric on all rows, and the percentile interval of the metric over bootstrap
    draws of the rows (of whole clusters when `clusters` is given)."""
    yy = np.asarray(y, dtype=np.float64)
    pp = np.asarray(p, dtype=np.float64)
    point = metric(yy, pp)
    samples = draws if draws is not None else bootstrap_draws(len(yy), clusters, n_boot, seed)
    values = np.array([metric(yy[d], pp[d]) for d in samples], dtype=np.float64)
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return Interval(point, math.nan, math.nan, level)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return Interval(point, float(low), float(high), level)


def calibration_table(
    y: npt.ArrayLike,
    p: npt.ArrayLike,
    *,
    bands: Sequence[float] | None = None,
    clusters: npt.ArrayLike | None = None,
    n_boot: int = 300,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Rows per PD band: the band, rows, mean predicted PD, observed default rate with its
    bootstrap interval. Bands are deciles of the predicted PD unless given as edges."""
    yy = np.asarray(y, dtype=np.float64)
    pp = np.asarray(p, dtype=np.float64)
    if bands is None:
        edges = np.unique(np.quantile(pp, np.linspace(0, 1, 11)))
        edges[0], edges[-1] = -np.inf, np.inf
    else:
        edges = np.asarray([-np.inf, *bands, np.inf], dtype=np.float64)
    band = np.clip(np.searchsorted(edges, pp, side="right") - 1, 0, len(edges) - 2)
    k = len(edges) - 1
    samples = bootstrap_draws(len(yy), clusters, n_boot, seed)
    boot_rates = []
    for d in samples:
        counts = np.bincount(band[d], minlength=k)
        events = np.bincount(band[d], weights=yy[d], minlength=k)
        with np.errstate(invalid="ignore", divide="ignore"):
            boot_rates.append(events / counts)
    rates = np.array(boot_rates)
    rows = []
    for b in range(k):
        inside = band == b
        if not inside.any():
            continue
        col = rates[:, b]
        col = col[np.isfinite(col)]
        low, high = np.percentile(col, [2.5, 97.5]) if len(col) else (math.nan, math.nan)
        rows.append(
            {
                "pd_from": _finite(float(edges[b])),
                "pd_to": _finite(float(edges[b + 1])),
                "rows": int(inside.sum()),
                "mean_pd": float(pp[inside].mean()),
                "observed": float(yy[inside].mean()),
                "observed_low": float(low),
                "observed_high": float(high),
            }
        )
    return rows


def evaluate(
    y: npt.ArrayLike,
    p: npt.ArrayLike,
    *,
    groups: npt.ArrayLike | None = None,
    clusters: npt.ArrayLike | None = None,
    n_boot: int = 500,
    seed: int = 0,
) -> dict[str, Any]:
    """AUC, KS and Brier with intervals, a calibration table, and AUC per group."""
    yy = np.asarray(y, dtype=np.float64)
    pp = np.asarray(p, dtype=np.float64)
    draws = bootstrap_draws(len(yy), clusters, n_boot, seed)
    out: dict[str, Any] = {
        "rows": len(yy),
        "events": int(yy.sum()),
        "event_rate": float(yy.mean()) if len(yy) else math.nan,
        "auc": bootstrap(auc, yy, pp, draws=draws).to_json(),
        "ks": bootstrap(ks, yy, pp, draws=draws).to_json(),
        "brier": bootstrap(brier, yy, pp, draws=draws).to_json(),
        "calibration": calibration_table(yy, pp, clusters=clusters, seed=seed),
    }
    if groups is not None:
        g = np.asarray(groups)
        per: dict[str, Any] = {}
        for value in sorted({str(v) for v in g}):
            inside = np.array([str(v) == value for v in g])
            sub_clusters = None if clusters is None else np.asarray(clusters)[inside]
            per[value] = {
                "rows": int(inside.sum()),
                "events": int(yy[inside].sum()),
                "auc": bootstrap(
                    auc, yy[inside], pp[inside], clusters=sub_clusters, n_boot=n_boot, seed=seed
                ).to_json(),
            }
        out["auc_by_group"] = per
    return out


# --- bring your own data -------------------------------------------------------------------


@dataclass(frozen=True)
class Dataset:
    """A two-class table: the feature columns, the target as 0/1 (1: `event`)."""

    frame: pd.DataFrame
    y: npt.NDArray[np.int64]
    feature_set: FeatureSet
    target: str
    event: str
    other: str
    dropped_rows: int
    dropped_columns: tuple[str, ...]


def read_dataset(path: Path | str, target: str, *, event: str | None = None) -> Dataset:
    """Read a CSV for the benchmark: numeric columns are numerical features, any other
    column categorical; the target must have exactly two classes (rows with no target are
    dropped). The event (1) is `event` when given, else the rarer class (the later label in
    sorted order when both are as frequent). Columns with one value are dropped."""
    try:
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise DatasetError(f"no file {path}; give the path of a CSV file", "csv") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatasetError(f"{path} is not a readable CSV: {message}", "csv") from None
    except (IsADirectoryError, PermissionError) as exc:
        raise DatasetError(f"cannot read {path}: {exc.strerror}", "csv") from None
    if target not in frame.columns:
        shown = ", ".join(map(str, list(frame.columns)[:8]))
        raise DatasetError(
            f"the CSV has no column {target!r}; its columns are {shown}"
            + (" ..." if len(frame.columns) > 8 else ""),
            "target",
        )
    labels = frame[target]
    known = labels.notna()
    classes = sorted({str(v) for v in labels[known]})
    if len(classes) != 2:
        raise DatasetError(
            f"the target {target!r} has {len(classes)} classes"
            + (
                f" ({', '.join(classes[:5])}{' ...' if len(classes) > 5 else ''})"
                if classes
                else ""
            )
            + "; it needs exactly two",
            "target",
        )
    as_text = labels[known].astype(str)
    if event is None:
        counts = as_text.value_counts()
        a, b = classes
        event = a if counts[a] < counts[b] else b
    elif event not in classes:
        raise DatasetError(
            f"the event {event!r} is not a class of {target!r} ({', '.join(classes)})", "event"
        )
    other = next(c for c in classes if c != event)
    features = frame.loc[known].drop(columns=[target]).reset_index(drop=True)
    constant = tuple(str(c) for c in features.columns if features[c].nunique(dropna=True) <= 1)
    features = features.drop(columns=list(constant))
    if features.shape[1] == 0:
        raise DatasetError("the CSV has no column that varies besides the target", "csv")
    features.columns = [str(c) for c in features.columns]
    y = (as_text == event).to_numpy(dtype=np.int64)
    return Dataset(
        features,
        y,
        FeatureSet.infer(features),
        target,
        event,
        other,
        int((~known).sum()),
        constant,
    )


def cross_validate(
    data: Dataset,
    kinds: Sequence[Kind] = ("scorecard", "lightgbm"),
    *,
    folds: int = 5,
    repeats: int = 3,
    seed: int = 0,
    n_boot: int = 500,
) -> dict[str, Any]:
    """Repeated stratified k-fold AUC of each model kind (see the module's docstring)."""
    from sklearn.model_selection import RepeatedStratifiedKFold

    smallest = int(min(data.y.sum(), len(data.y) - data.y.sum()))
    if folds < 2 or repeats < 1:
        raise DatasetError("--folds must be at least 2 and --repeats at least 1", "folds")
    if smallest < folds:
        raise DatasetError(
            f"the rarer class has {smallest} rows, fewer than {folds} folds; use fewer folds",
            "folds",
        )
    splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)
    splits = list(splitter.split(np.zeros(len(data.y)), data.y))
    results: dict[str, Any] = {}
    for kind in kinds:
        oof = np.full((repeats, len(data.y)), np.nan)
        fold_aucs = []
        cpu = time.process_time()
        for i, (train, test) in enumerate(splits):
            model = train_model(
                kind,
                data.frame.iloc[train].reset_index(drop=True),
                data.y[train],
                data.feature_set,
                target=data.target,
                calibrate=False,
                seed=seed + i,
            )
            p = model.log_odds(data.frame.iloc[test].reset_index(drop=True))
            oof[i // folds, test] = p
            fold_aucs.append(auc(data.y[test], p))
        cpu = time.process_time() - cpu

        def mean_auc(y: Floats, idx: Floats, _oof: Floats = oof) -> float:
            rows = idx.astype(np.intp)
            return float(np.mean([auc(y, r[rows]) for r in _oof]))

        index = np.arange(len(data.y), dtype=np.float64)
        interval = bootstrap(mean_auc, data.y, index, n_boot=n_boot, seed=seed)
        results[kind] = {
            "auc": Interval(float(np.mean(fold_aucs)), interval.low, interval.high).to_json(),
            "fold_auc_sd": float(np.std(fold_aucs, ddof=1)) if len(fold_aucs) > 1 else 0.0,
            "fold_aucs": [float(a) for a in fold_aucs],
            "cpu_seconds": cpu,
        }
    return {
        "rows": len(data.y),
        "events": int(data.y.sum()),
        "event": data.event,
        "other": data.other,
        "target": data.target,
        "numerical": [f.name for f in data.feature_set.features if f.kind == "numerical"],
        "categorical": [f.name for f in data.feature_set.features if f.kind == "categorical"],
        "dropped_rows": data.dropped_rows,
        "dropped_columns": list(data.dropped_columns),
        "folds": folds,
        "repeats": repeats,
        "seed": seed,
        "models": results,
        "champion": "scorecard",
        "challenger": "lightgbm",
    }


def model_metrics(
    model: Model,
    frame: pd.DataFrame,
    y: npt.ArrayLike,
    *,
    groups: Mapping[str, npt.ArrayLike] | None = None,
    clusters: npt.ArrayLike | None = None,
    n_boot: int = 500,
    seed: int = 0,
) -> dict[str, Any]:
    """`evaluate` on a model's calibrated PDs over a frame (AUC per group for the first
    group column given)."""
    p = model.predict_pd(frame)
    group = None if not groups else next(iter(groups.values()))
    return evaluate(y, p, groups=group, clusters=clusters, n_boot=n_boot, seed=seed)
