"""Watching a model after training: population stability and the model card.

**Population stability index** between a reference frame (the training period) and a
current one, per feature and per score:

    PSI = sum over bins of (current share - reference share) x ln(current share / reference share)

Numeric values are binned on the reference's deciles (fewer bins when values repeat, and a
bin of its own for missing values); categorical values bin by category. A share of zero is
floored at 0.0001 so that a bin empty on one side gives a large, finite term. Below 0.10 the
population is stable; 0.10 to 0.25 it moved; past 0.25 (`PSI_WARNING`) the model is scoring a
population it was not trained on and a warning is raised.

**Model card**: what a reviewer needs before trusting a model, as JSON and markdown next to
its artefact: the data and period it was trained on, its features, its metrics with
intervals, its calibration and grade bands, and its limitations.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from openscf.risk.models import Model

__all__ = [
    "PSI_WARNING",
    "model_card",
    "psi",
    "psi_from_shares",
    "stability_report",
    "write_model",
]

PSI_WARNING = 0.25
_FLOOR = 1e-4


def psi_from_shares(reference: npt.ArrayLike, current: npt.ArrayLike) -> float:
    """PSI of two share vectors over the same bins (each summing to 1)."""
    e = np.maximum(np.asarray(reference, dtype=np.float64), _FLOOR)
    a = np.maximum(np.asarray(current, dtype=np.float64), _FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))


def psi(
    reference: npt.ArrayLike | pd.Series,
    current: npt.ArrayLike | pd.Series,
    *,
    categorical: bool = False,
    bins: int = 10,
) -> float:
    """PSI between two samples of one variable (see the module's docstring)."""
    ref = pd.Series(np.asarray(reference, dtype=object) if categorical else reference)
    cur = pd.Series(np.asarray(current, dtype=object) if categorical else current)
    if len(ref) == 0 or len(cur) == 0:
        return math.nan
    if categorical:
        ref_s = ref.map(lambda v: "<missing>" if pd.isna(v) else str(v))
        cur_s = cur.map(lambda v: "<missing>" if pd.isna(v) else str(v))
        cats = sorted(set(ref_s) | set(cur_s))
        e = ref_s.value_counts(normalize=True).reindex(cats, fill_value=0.0).to_numpy()
        a = cur_s.value_counts(normalize=True).reindex(cats, fill_value=0.0).to_numpy()
        return psi_from_shares(e, a)
    r = np.asarray(pd.to_numeric(ref, errors="coerce"), dtype=np.float64)
    c = np.asarray(pd.to_numeric(cur, errors="coerce"), dtype=np.float64)
    known = r[~np.isnan(r)]
    edges: npt.NDArray[np.float64] = (
        np.unique(np.quantile(known, np.linspace(0, 1, bins + 1)[1:-1]))
        if len(known)
        else np.zeros(0, dtype=np.float64)
    )

    def shares(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        idx = np.searchsorted(edges, x, side="right")
        idx[np.isnan(x)] = len(edges) + 1
        return np.bincount(idx, minlength=len(edges) + 2) / len(x)

    return psi_from_shares(shares(r), shares(c))


def stability_report(
    model: Model, reference: pd.DataFrame, current: pd.DataFrame, *, bins: int = 10
) -> dict[str, Any]:
    """PSI of each of the model's features and of its score (the PD) between two frames,
    and the warnings past `PSI_WARNING`."""
    rows: list[dict[str, Any]] = []
    for f in model.feature_set.features:
        value = psi(
            reference[f.name], current[f.name], categorical=f.kind == "categorical", bins=bins
        )
        rows.append({"feature": f.name, "words": f.words, "psi": value})
    score_psi = psi(model.predict_pd(reference), model.predict_pd(current), bins=bins)
    warnings = [
        f"{r['words'] or r['feature']}: PSI {r['psi']:.2f} past {PSI_WARNING}"
        for r in rows
        if r["psi"] > PSI_WARNING
    ]
    if score_psi > PSI_WARNING:
        warnings.insert(0, f"score: PSI {score_psi:.2f} past {PSI_WARNING}; retrain or review")
    return {
        "model_id": model.model_id,
        "features": rows,
        "score_psi": score_psi,
        "threshold": PSI_WARNING,
        "warnings": warnings,
    }


# --- the model card ------------------------------------------------------------------------

_LIMITATIONS = (
    "Trained and tested on the population and period stated here; scores outside it "
    "(another economy, another product, a shock not in the data) are extrapolation: watch "
    "the PSI.",
    "A PD is calibrated on the holdout stated here; when the default rate moves, recalibrate "
    "before trusting levels (the ranking, AUC, degrades more slowly than the levels).",
    "Reasons are per-feature contributions against the training population's mean; they "
    "explain the model, not the world (a correlated feature may carry another's signal).",
)


def model_card(
    model: Model,
    *,
    data: str,
    period: str,
    metrics: Mapping[str, Any] | None = None,
    limitations: Sequence[str] = (),
) -> dict[str, Any]:
    """The card as a JSON-ready mapping."""
    return {
        "model_id": model.model_id,
        "kind": model.kind,
        "sha256": model.sha256,
        "target": model.target,
        "data": data,
        "period": period,
        "trained": model.trained,
        "features": [
            {"name": f.name, "kind": f.kind, "words": f.words, "unit": f.unit, "family": f.family}
            for f in model.feature_set.features
        ],
        "feature_set_version": model.feature_set.version,
        "calibration": model.calibration.to_json(),
        "grades": [[g, None if math.isinf(u) else u] for g, u in model.grades],
        "metrics": dict(metrics or {}),
        "limitations": [*limitations, *_LIMITATIONS],
    }


def _interval(value: Any) -> str:
    if isinstance(value, Mapping) and "point" in value:

        def f(v: Any) -> str:
            return "n/a" if v is None else f"{v:.3f}"

        return f"{f(value['point'])} [{f(value.get('low'))}, {f(value.get('high'))}]"
    return str(value)


def card_markdown(card: Mapping[str, Any]) -> str:
    calibration = card["calibration"]
    lines = [
        f"# Model card: {card['model_id']}",
        "",
        f"- kind: {card['kind']}; target: {card['target']}",
        f"- artefact sha256: `{card['sha256']}`",
        f"- data: {card['data']}",
        f"- period: {card['period']}",
        f"- feature set version: {card['feature_set_version']}",
        f"- calibration: {calibration['method']} ({calibration['fitted_on'] or 'none'})",
        "- grades (PD upper bounds): "
        + ", ".join(f"{g} < {u:.2%}" if u is not None else f"{g} above" for g, u in card["grades"]),
        "",
        "## Features",
        "",
        "| feature | kind | family | words | unit |",
        "|---|---|---|---|---|",
    ]
    for f in card["features"]:
        cells = [f["name"], f["kind"], f["family"] or "", f["words"] or "", f["unit"] or ""]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "## Metrics (95 % bootstrap intervals)", ""]
    for name, value in card["metrics"].items():
        if isinstance(value, Mapping) and "point" not in value:
            for sub, v in value.items():
                lines.append(f"- {name} / {sub}: {_interval(v)}")
        elif not isinstance(value, list):
            lines.append(f"- {name}: {_interval(value)}")
    lines += ["", "## Limitations", ""] + [f"- {text}" for text in card["limitations"]]
    return "\n".join(lines) + "\n"


def write_model(
    model: Model,
    directory: Path,
    *,
    data: str,
    period: str,
    metrics: Mapping[str, Any] | None = None,
    limitations: Sequence[str] = (),
) -> dict[str, Any]:
    """Write the artefact (`MODEL_ID.model.json`), its record (`MODEL_ID.record.json`) and
    its card (`MODEL_ID.card.json` and `.card.md`) into `directory`; return the record."""
    directory.mkdir(parents=True, exist_ok=True)
    artefact = model.artefact_bytes()
    (directory / f"{model.model_id}.model.json").write_bytes(artefact)
    record = model.record()
    (directory / f"{model.model_id}.record.json").write_text(json.dumps(record, indent=2) + "\n")
    card = model_card(model, data=data, period=period, metrics=metrics, limitations=limitations)
    (directory / f"{model.model_id}.card.json").write_text(
        json.dumps(card, indent=2, default=str) + "\n"
    )
    (directory / f"{model.model_id}.card.md").write_text(card_markdown(card))
    return record
