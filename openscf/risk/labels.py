"""Labels for training and evaluating default models, from the simulation's ground truth.

`default_labels(source, as_of)`: every supplier alive at the end of D (no `default` label on
or before D), with whether it defaulted within 90 and within 180 days after D. A horizon
that reaches past the last day of the data is unknown (NaN), never a silent "no default".
`training_frame(source, as_of_dates)` stacks the features and labels of several cut-off
dates, for out-of-time evaluation (train on the earlier dates, test on the later ones).

The ground truth (`labels.parquet`) is read here only: no feature ever reads it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta

import numpy as np
import pandas as pd

from openscf.risk._source import Source
from openscf.risk.features import compute_features

__all__ = ["HORIZONS", "default_labels", "month_ends", "training_frame"]

HORIZONS = (90, 180)


def default_labels(source: Source, as_of: date) -> pd.DataFrame:
    """One row per supplier alive at `as_of`: `org_id`, `as_of`, `default_90d`,
    `default_180d` (1.0 defaulted in (D, D + h], 0.0 not, NaN when the horizon runs past
    the end of the ground truth) and
    `defaulted_on` (the date of its first default, if any, even after the horizons)."""
    source.check_as_of(as_of)
    firms = source.table("firms")
    labels = source.table("labels")
    defaults = labels.filter(labels.label == "default")
    first = defaults.group_by(defaulted_id=defaults.org_id).aggregate(
        defaulted_on=defaults["on"].min()
    )
    suppliers = firms.filter(firms.kind == "supplier").select("org_id")
    q = suppliers.left_join(first, suppliers.org_id == first.defaulted_id).select(
        "org_id", "defaulted_on"
    )
    df = source.backend.execute(q).sort_values("org_id", kind="stable").reset_index(drop=True)
    on = pd.to_datetime(df.defaulted_on)
    d = pd.Timestamp(as_of)
    alive = on.isna() | (on > d)
    df = df[alive.to_numpy()].reset_index(drop=True)
    on = on[alive.to_numpy()].reset_index(drop=True)
    last = pd.Timestamp(_truth_ends(source))
    out = pd.DataFrame({"org_id": df.org_id.astype(str), "as_of": as_of})
    for h in HORIZONS:
        end = d + pd.Timedelta(days=h)
        hit = (on.notna() & (on <= end)).to_numpy(dtype=np.float64)
        # a default inside the data is known even when the horizon runs past its end
        out[f"default_{h}d"] = np.where((end > last) & (hit == 0), np.nan, hit)
    out["defaulted_on"] = [x.date() if pd.notna(x) else None for x in on]
    return out


def _truth_ends(source: Source) -> date:
    """The last day the ground truth covers: the last health record (defaults are drawn
    from health, which stops with the trading months), else the data's last day."""
    if "health" in source.tables:
        health = source.table("health")
        value = source.backend.execute(health["on"].max())
        if value is not None and not pd.isna(value):
            day: date = pd.Timestamp(value).date()
            return day
    return source.last_day()


def month_ends(first: date, last: date) -> list[date]:
    """The last day of every month from `first`'s to `last`'s, both included."""
    out = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        nxt = date(y + (m == 12), m % 12 + 1, 1)
        out.append(nxt - timedelta(days=1))
        y, m = nxt.year, nxt.month
    return [d for d in out if d <= last]


def training_frame(
    source: Source,
    as_of_dates: Iterable[date],
    progress: Callable[[date], None] | None = None,
) -> pd.DataFrame:
    """Features and labels of every supplier alive at each cut-off date, stacked:
    `org_id`, `as_of`, the features (`FEATURES` order), `default_90d`, `default_180d`.
    Rows are sorted by (`as_of`, `org_id`)."""
    frames = []
    for as_of in sorted(set(as_of_dates)):
        features = compute_features(source, as_of)
        labels = default_labels(source, as_of).drop(columns=["defaulted_on"])
        frames.append(features.merge(labels, on=["org_id", "as_of"], how="inner"))
        if progress is not None:
            progress(as_of)
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)
