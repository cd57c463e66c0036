"""The default models end to end over simulated exports: train the champion and the
challenger, score every supplier as of a date, and a self-contained HTML report.

    train_models(["sim-a", "sim-b"], Path("models"), target="default_90d")
    score_export("sim-a", model, date(2026, 9, 30))   # one row per supplier
    report_html("sim-a", model)                          # the report's text

The CLI (`openscf risk train | score | report`) is a thin layer over these.
May import: `openscf.risk`, numeric libraries and the standard library.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from openscf.errors import InvalidRequest
from openscf.risk._registry import FEATURES
from openscf.risk._source import Source, open_source
from openscf.risk.evaluation import auc, calibration_table, evaluate
from openscf.risk.features import compute_features
from openscf.risk.labels import month_ends, training_frame
from openscf.risk.model_scorer import decision_features, output_of
from openscf.risk.models import FeatureSet, Model
from openscf.risk.monitoring import PSI_WARNING, stability_report, write_model
from openscf.risk.pricing import PricingParameters, indicative_rate
from openscf.risk.training import train_model

__all__ = ["TARGETS", "labelled_frame", "report_html", "score_export", "train_models"]

TARGETS = ("default_90d", "default_180d")
Progress = Callable[[str], None]
# The illustrative pricer of the report's grade table (stated in the report).
REPORT_PRICING = PricingParameters(cost_of_funds_bps=350, margin_bps=150)
REPORT_TENOR_DAYS = 90


def _open(data: str | Path) -> Source:
    if not Path(data).is_dir():
        raise InvalidRequest(
            "missing_data", f"no data folder {data}: run `openscf simulate --out DIR` first", "data"
        )
    return open_source(data)


def _first_day(source: Source) -> date:
    value = source.backend.execute(source.table("invoices").issued_on.min())
    if value is None or pd.isna(value):
        raise InvalidRequest("empty_data", "the data holds no invoices", "data")
    day: date = pd.Timestamp(value).date()
    return day


def labelled_frame(data: str | Path, target: str, progress: Progress | None = None) -> pd.DataFrame:
    """Features and labels at every month end of one export whose horizon the ground truth
    covers (censored rows dropped), with a `data` column naming the export."""
    if target not in TARGETS:
        raise InvalidRequest("invalid_target", f"--target is one of {', '.join(TARGETS)}", "target")
    source = _open(data)
    try:
        dates = month_ends(_first_day(source), source.last_day())
        frame = training_frame(
            source,
            dates,
            None if progress is None else lambda d: progress(f"{data}: features as of {d}"),
        )
    finally:
        source.close()
    if frame.empty:
        return frame
    frame = frame.loc[frame[target].notna()].reset_index(drop=True)
    frame["data"] = str(data)
    return frame


def train_models(
    data: Sequence[str | Path],
    out: Path,
    *,
    target: str = "default_90d",
    seed: int = 0,
    progress: Progress | None = None,
) -> list[dict[str, Any]]:
    """Train the champion (scorecard) and the challenger (LightGBM) on the month-end panel
    of every export, the latest month held out for calibration; write each artefact,
    record and model card into `out`. Returns the records (champion first)."""
    frames = [labelled_frame(d, target, progress) for d in data]
    frame = pd.concat([f for f in frames if not f.empty], ignore_index=True) if frames else None
    if frame is None or frame.empty or frame[target].nunique() != 2:
        raise InvalidRequest(
            "no_defaults",
            f"the data has no labelled rows with both defaults and non-defaults for {target}: "
            "simulate more months or more firms",
            "data",
        )
    try:
        return _train(frame, data, out, target, seed, progress)
    except ValueError as exc:  # a binning or a booster that the data cannot support
        raise InvalidRequest(
            "not_trainable",
            f"the data is too small to train on ({str(exc).splitlines()[0][:120]}): "
            "simulate more months or more firms",
            "data",
        ) from None


def _train(
    frame: pd.DataFrame,
    data: Sequence[str | Path],
    out: Path,
    target: str,
    seed: int,
    progress: Progress | None,
) -> list[dict[str, Any]]:
    y = frame[target].to_numpy(dtype=np.int64)
    dates = sorted({str(d) for d in frame["as_of"]})
    holdout = (frame["as_of"] == frame["as_of"].max()).to_numpy() if len(dates) > 1 else None
    if holdout is not None and len(set(y[holdout])) < 2:
        holdout = None
    registry = FeatureSet.from_registry(FEATURES)
    # A feature the data never shows (every value missing, or one value) cannot be binned.
    usable = [n for n in registry.names if frame[n].dropna().nunique() > 1]
    fs = registry.subset(usable)
    period = f"{dates[0]} .. {dates[-1]}"
    records = []
    for kind in ("scorecard", "lightgbm"):
        if progress is not None:
            progress(f"training the {'champion' if kind == 'scorecard' else 'challenger'} ({kind})")
        model = train_model(
            kind,
            frame,
            y,
            fs,
            target=target,
            holdout=holdout,
            seed=seed,
            trained={"period": period, "as_of_dates": dates, "data": [str(d) for d in data]},
        )
        metrics = {
            "in_sample": evaluate(y, model.predict_pd(frame), n_boot=100, seed=seed),
        }
        record = write_model(
            model,
            out,
            data=", ".join(str(d) for d in data),
            period=period,
            metrics=metrics,
            limitations=["metrics are in-sample; `openscf risk report` on other data tests it"],
        )
        record["role"] = "champion" if kind == "scorecard" else "challenger"
        records.append(record)
    return records


def score_export(data: str | Path, model: Model, as_of: date) -> list[dict[str, Any]]:
    """Every supplier's PD (bps), grade and reasons as of `as_of`, each with the feature
    vector a decision would record (the output is what the ledger's scorer computes)."""
    source = _open(data)
    try:
        table = compute_features(source, as_of)
    finally:
        source.close()
    scores = model.score(table)
    rows = []
    for (_, row), result in zip(table.iterrows(), scores, strict=True):
        output = output_of(model, result.pd, result.grade, [r.text for r in result.reasons])
        rows.append(
            {
                "org_id": str(row["org_id"]),
                **output,
                "features": decision_features(model, row.to_dict()),
            }
        )
    return rows


# --- the report -------------------------------------------------------------------------


def _roc_svg(y: np.ndarray, p: np.ndarray, size: int = 260) -> str:
    order = np.argsort(-p, kind="stable")
    ys = y[order]
    pos, neg = max(1, int(ys.sum())), max(1, int(len(ys) - ys.sum()))
    tpr = np.concatenate([[0.0], np.cumsum(ys) / pos])
    fpr = np.concatenate([[0.0], np.cumsum(1 - ys) / neg])
    pts = " ".join(f"{x * size:.1f},{(1 - t) * size:.1f}" for x, t in zip(fpr, tpr, strict=True))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size + 40}" height="{size + 40}" '
        f'viewBox="-30 -10 {size + 40} {size + 40}" role="img" aria-label="ROC curve">'
        f'<rect x="0" y="0" width="{size}" height="{size}" fill="none" stroke="#999"/>'
        f'<line x1="0" y1="{size}" x2="{size}" y2="0" stroke="#ccc" stroke-dasharray="4"/>'
        f'<polyline points="{pts}" fill="none" stroke="#1f5fa8" stroke-width="2"/>'
        f'<text x="{size / 2}" y="{size + 22}" text-anchor="middle" font-size="11">'
        "false positive rate</text>"
        f'<text x="-18" y="{size / 2}" font-size="11" transform="rotate(-90 -18 {size / 2})" '
        'text-anchor="middle">true positive rate</text></svg>'
    )


def _table(head: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    h = "".join(f"<th>{html.escape(str(c))}</th>" for c in head)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows
    )
    return f"<table><thead><tr>{h}</tr></thead><tbody>{body}</tbody></table>"


def _pct(v: float | None) -> str:
    return "-" if v is None or not math.isfinite(v) else f"{v * 100:.2f} %"


def report_html(
    data: str | Path, model: Model, *, as_of: date | None = None, progress: Progress | None = None
) -> str:
    """A self-contained HTML report of `model` on one export (no external resources)."""
    frame = labelled_frame(data, model.target, progress)
    if frame.empty or frame[model.target].nunique() != 2:
        raise InvalidRequest(
            "no_defaults", f"the data has no labelled defaults for {model.target}", "data"
        )
    y = frame[model.target].to_numpy(dtype=np.int64)
    p = model.predict_pd(frame)
    parts = [
        f"<h1>Model report: {html.escape(model.model_id)}</h1>",
        f"<p>{html.escape(model.kind)} for {html.escape(model.target)}, sha256 "
        f"<code>{model.sha256}</code>; data {html.escape(str(data))}: {len(frame)} "
        f"labelled supplier-months, {int(y.sum())} defaults, as-of "
        f"{frame['as_of'].min()} .. {frame['as_of'].max()}.</p>",
        f"<h2>ROC</h2><p>AUC {auc(y, p):.3f}</p>{_roc_svg(y, p)}",
    ]
    cal = calibration_table(y, p, n_boot=100)
    parts.append("<h2>Calibration</h2>")
    parts.append(
        _table(
            ["PD from", "PD to", "rows", "mean PD", "observed rate", "95 % interval"],
            [
                [
                    _pct(r["pd_from"]),
                    _pct(r["pd_to"]),
                    r["rows"],
                    _pct(r["mean_pd"]),
                    _pct(r["observed"]),
                    f"{_pct(r['observed_low'])} - {_pct(r['observed_high'])}",
                ]
                for r in cal
            ],
        )
    )
    parts.append(_grade_section(model, frame, y, p))
    parts.append(_psi_section(model, data, frame, as_of, progress))
    parts.append(
        "<h2>Fraud detection</h2><p>Skipped: the fraud detectors' precision and recall "
        "are not wired into this report yet; measure them with <code>openscf risk "
        "fraud</code> (docs/risk.md).</p>"
    )
    style = (
        "body{font-family:sans-serif;max-width:60em;margin:2em auto}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;"
        "text-align:right}.warn{color:#a00}"
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(model.model_id)}</title><style>{style}</style></head><body>"
        + "".join(parts)
        + "</body></html>\n"
    )


def _grade_section(model: Model, frame: pd.DataFrame, y: np.ndarray, p: np.ndarray) -> str:
    from openscf.risk.models import grade_of

    horizon = int(model.target.split("_")[1].rstrip("d"))
    grades = np.array([grade_of(float(v), model.grades) for v in p])
    rows = []
    for g, _ in model.grades:
        mask = grades == g
        n = int(mask.sum())
        if n == 0:
            rows.append([g, 0, "-", "-", "-", "-", "-"])
            continue
        realised = float(y[mask].mean())
        pd_bps = round(float(p[mask].mean()) * 10_000)
        price = indicative_rate(
            REPORT_PRICING, tenor_days=REPORT_TENOR_DAYS, pd_horizon_days=horizon, pd_bps=pd_bps
        )
        # The realised loss a year, by the same LGD prior and horizon as the price.
        loss_bps = realised * REPORT_PRICING.lgd_prior_bps / 10_000 * 365 / horizon * 10_000
        rows.append(
            [
                g,
                int(frame.loc[mask, "org_id"].nunique()),
                n,
                _pct(realised),
                price.rate_bps,
                price.expected_loss_bps,
                f"{loss_bps:.0f}",
            ]
        )
    return (
        "<h2>Grades</h2><p>Indicative price: cost of funds "
        f"{REPORT_PRICING.cost_of_funds_bps} bps, margin {REPORT_PRICING.margin_bps} bps, "
        f"LGD prior {REPORT_PRICING.lgd_prior_bps} bps, tenor {REPORT_TENOR_DAYS} days, at the "
        "grade's mean PD; realised loss is the realised default rate x the same LGD, a year "
        "(bps).</p>"
        + _table(
            [
                "grade",
                "firms",
                "supplier-months",
                "realised default rate",
                "indicative rate (bps)",
                "of which expected loss (bps)",
                "realised loss (bps)",
            ],
            rows,
        )
    )


def _psi_section(
    model: Model,
    data: str | Path,
    frame: pd.DataFrame,
    as_of: date | None,
    progress: Progress | None,
) -> str:
    dates = {str(d) for d in model.trained.get("as_of_dates", [])}
    reference = frame.loc[frame["as_of"].astype(str).isin(dates)]
    what = "the training months in this data"
    if reference.empty:
        first = frame["as_of"].min()
        reference = frame.loc[frame["as_of"] == first]
        what = f"as of {first} (the model's training months are not in this data)"
    source = _open(data)
    try:
        day = as_of or source.last_day()
        if progress is not None:
            progress(f"features as of {day} for PSI")
        current = compute_features(source, day)
    finally:
        source.close()
    report = stability_report(model, reference, current)
    rows = [
        [
            r["feature"],
            f"{r['psi']:.3f}",
            "warning" if r["psi"] > PSI_WARNING else "",
        ]
        for r in report["features"]
    ]
    warn = "".join(f'<li class="warn">{html.escape(w)}</li>' for w in report["warnings"])
    return (
        f"<h2>Stability (PSI)</h2><p>Reference: {html.escape(what)}; current: as of {day}. "
        f"Score PSI {report['score_psi']:.3f}; past {PSI_WARNING} is a warning.</p>"
        + (f"<ul>{warn}</ul>" if warn else "<p>No warnings.</p>")
        + _table(["feature", "PSI", ""], rows)
    )
