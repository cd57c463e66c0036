"""The scorer of the default models' artefacts (`openscf-risk-model/1`) for the ledger.

A recorded score decision cites a registered champion or challenger by its content hash;
the auditor hands this scorer the artefact's exact bytes and the decision's feature vector
(integers, decimal text, strings and nulls, see `openscf.risk.scoring.feature_value`) and
compares the output with the recorded one:

    {"grade": "C", "horizon_days": 90, "model_id": "...", "pd_bps": 73,
     "reasons": ["late deliveries: 18 % of the last 90 days, network median 4 %", ...]}

The PD is the calibrated PD in bps rounded half up to a whole number, so the output holds
no floats. Numeric features are read from their decimal text into the float they were
written from (`repr` round-trips), so on one platform the output is the same bytes every
time; the model itself computes in IEEE doubles (numpy, LightGBM), whose `exp` may differ
in the last bit between platforms - a PD on the edge of a half bps could then round the
other way (the points scorecard, `openscf-points/1`, is exact everywhere).

Registered when `openscf.risk` is imported (and by the scoring registry's built-ins).
May import: `openscf.risk` and numeric libraries.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from openscf.risk.scoring import FeatureValue, ScorerError, as_decimal

if TYPE_CHECKING:
    from openscf.risk.models import Model

__all__ = ["KIND", "decision_features", "output_of", "score_model"]

KIND = "openscf-risk-model/1"

_CACHE: dict[str, Model] = {}


def _load(artefact: bytes) -> Model:
    from openscf.errors import OpenSCFError
    from openscf.risk.models import content_hash, load_model

    digest = content_hash(artefact)
    model = _CACHE.get(digest)
    if model is None:
        try:
            model = load_model(artefact, expected_sha256=digest)
        except OpenSCFError as exc:
            raise ScorerError(str(exc)) from None
        if len(_CACHE) > 16:
            _CACHE.clear()
        _CACHE[digest] = model
    return model


def decision_features(model: Model, row: Mapping[str, Any]) -> dict[str, FeatureValue]:
    """The feature vector a decision records for one row of a feature table (by the
    model's feature names; NaN becomes null)."""
    from openscf.risk.scoring import feature_value

    out: dict[str, FeatureValue] = {}
    for info in model.feature_set.features:
        value = row.get(info.name)
        item = getattr(value, "item", None)
        if callable(item):  # a numpy scalar
            value = item()
        if info.kind == "categorical" and value is not None and not _nan(value):
            out[info.name] = str(value)
        elif isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
            out[info.name] = int(value)
        else:
            out[info.name] = feature_value(value)
    return out


def _nan(value: object) -> bool:
    return isinstance(value, float) and math.isnan(value)


def output_of(model: Model, pd_value: float, grade: str, reasons: list[str]) -> dict[str, Any]:
    pd_bps = int(
        (Decimal(repr(float(pd_value))) * 10_000).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    )
    horizon = model.target.rsplit("_", 1)[-1].rstrip("d")
    return {
        "grade": grade,
        "horizon_days": int(horizon) if horizon.isdigit() else None,
        "model_id": model.model_id,
        "pd_bps": pd_bps,
        "reasons": reasons,
    }


def score_model(artefact: bytes, features: Mapping[str, FeatureValue]) -> dict[str, Any]:
    """PD in bps, grade and up to three reasons in words of one feature vector."""
    import numpy as np
    import pandas as pd

    model = _load(artefact)
    names = model.feature_set.names
    if sorted(names) != sorted(features):
        raise ScorerError("the feature vector does not carry exactly the model's features")
    columns: dict[str, Any] = {}
    for info in model.feature_set.features:
        value = features[info.name]
        if info.kind == "categorical":
            columns[info.name] = pd.Series([value], dtype=object)
        else:
            number = as_decimal(info.name, value)
            columns[info.name] = np.array(
                [math.nan if number is None else float(str(value))], dtype=np.float64
            )
    frame = pd.DataFrame(columns)
    frame.attrs["feature_set_version"] = model.feature_set.version
    result = model.score(frame)[0]
    return output_of(model, result.pd, result.grade, [r.text for r in result.reasons])
