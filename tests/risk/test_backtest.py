"""Out-of-time evaluation on a constructed panel: earlier months of one economy train,
later months of another test; firm-only against firm + network features."""

from __future__ import annotations

import numpy as np
import pandas as pd

from openscf.risk.backtest import out_of_time
from openscf.risk.models import FeatureInfo, FeatureSet


def panel(seed: int, months: list[str], firms: int = 150) -> pd.DataFrame:
    """Each firm has a lasting weakness seen in a firm feature and, more faintly, in a
    network feature; it defaults more often in every month."""
    rng = np.random.default_rng(seed)
    weakness = rng.normal(size=firms)
    rows = []
    for month in months:
        late = 1 / (1 + np.exp(-(weakness + rng.normal(scale=0.5, size=firms))))
        buyers_late = 1 / (1 + np.exp(-(0.5 * weakness + rng.normal(scale=1.0, size=firms))))
        p = 1 / (1 + np.exp(-(-3 + 1.5 * weakness)))
        rows.append(
            pd.DataFrame(
                {
                    "org_id": [f"{seed}:{i}" for i in range(firms)],
                    "as_of": month,
                    "tier": rng.choice([1, 2], firms),
                    "late_share": late,
                    "buyers_late_share": buyers_late,
                    "default_90d": (rng.random(firms) < p).astype(float),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def test_out_of_time_reports_both_scopes_with_intervals_and_the_lift() -> None:
    train = panel(1, ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30"])
    test = panel(2, ["2026-06-30", "2026-07-31"])
    test.loc[0, "default_90d"] = np.nan  # an unknown horizon is dropped, not a "no"
    fs = FeatureSet(
        (
            FeatureInfo("late_share", family="firm", unit="share"),
            FeatureInfo("buyers_late_share", family="network", unit="share"),
        ),
        "panel-1",
    )
    result, models = out_of_time(train, test, fs, kinds=("scorecard",), n_boot=100)
    assert result["test"]["rows"] == len(test) - 1
    assert result["train"]["period"] == "2026-01-31 .. 2026-04-30"
    firm, full = result["models"]["scorecard/firm"], result["models"]["scorecard/firm+network"]
    assert (firm["features"], full["features"]) == (1, 2)
    for m in (firm, full):
        assert m["auc"]["low"] <= m["auc"]["point"] <= m["auc"]["high"]
        assert m["auc"]["point"] > 0.7
        assert set(m["auc_by_group"]) == {"1", "2"}
    lift = full["lift_over_firm"]
    assert lift["low"] <= lift["point"] <= lift["high"]
    assert lift["point"] == full["auc"]["point"] - firm["auc"]["point"]
    assert models[("scorecard", "firm")].calibration.fitted_on == "latest rows held out"
