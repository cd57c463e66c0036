"""Data for the default-model tests: the German credit table from the corpus, and a small
constructed frame where one feature drives defaults."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from openscf.risk.models import FeatureInfo, FeatureSet

from ..conftest import conformance_file


def german_csv() -> Path:
    """The corpus's German credit table (a missing file fails the test, never skips)."""
    return conformance_file("credit/germancredit.csv")


def constructed(n: int = 1200, seed: int = 7) -> tuple[pd.DataFrame, np.ndarray, FeatureSet]:
    """Suppliers whose default depends on their late-delivery share (strongly) and on
    their sector (a little); `noise` carries nothing."""
    rng = np.random.default_rng(seed)
    late = rng.beta(1.2, 12, n)
    sector = rng.choice(["food", "metal", "textile"], n)
    noise = rng.normal(0, 1, n)
    logit = -3.0 + 14 * late + np.where(sector == "textile", 0.6, 0.0)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    frame = pd.DataFrame({"late_share": late, "sector": sector, "noise": noise})
    fs = FeatureSet(
        (
            FeatureInfo(
                "late_share",
                "numerical",
                words="late deliveries",
                unit="share",
                family="firm",
                window="of the last 90 days",
            ),
            FeatureInfo("sector", "categorical", words="sector", family="firm"),
            FeatureInfo("noise", "numerical", family="network"),
        ),
        "test-1",
    )
    return frame, y, fs
