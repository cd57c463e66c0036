"""A points scorecard in a JSON artefact: a small, real, exactly reproducible model.

    {"format": "openscf-points/1",
     "base_points": 600,
     "features": {"late_delivery_bps": [[500, 40], [1500, 10], [null, -40]], ...},
     "missing_points": {"late_delivery_bps": 0},
     "pd_bands": [[650, 50], [600, 150], [550, 400], [null, 1200]],
     "grades": [[100, "A"], [300, "B"], [800, "C"], [null, "D"]],
     "horizon_days": 90}

Each feature's bins are `[upper bound (exclusive, null for the rest), points]` in
ascending order; a missing value (null) scores `missing_points` (0 if not stated). The
score is the base plus every feature's points; the PD is the first band whose lower
bound (`[min points, pd_bps]`, in descending order) the score reaches, the grade the
first whose `[max pd_bps, grade]` bound the PD does not exceed. Reasons: the three
features that cost the most points against their best bin, worst first, in words.
Integer arithmetic and exact decimals only: the output is the same on every machine.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from openscf.risk.scoring import FeatureValue, ScorerError, as_decimal, read_artefact_json

__all__ = ["KIND", "score_points"]

KIND = "openscf-points/1"


def _bins(name: str, spec: Any) -> list[tuple[Decimal | None, int]]:
    if not isinstance(spec, list) or not spec:
        raise ScorerError(f"feature {name}: bins are a non-empty list")
    out: list[tuple[Decimal | None, int]] = []
    for item in spec:
        if not isinstance(item, list) or len(item) != 2 or type(item[1]) is not int:
            raise ScorerError(f"feature {name}: a bin is [upper bound or null, points]")
        upper = None if item[0] is None else Decimal(str(item[0]))
        out.append((upper, item[1]))
    if out[-1][0] is not None:
        raise ScorerError(f"feature {name}: the last bin's upper bound is null")
    return out


def score_points(artefact: bytes, features: Mapping[str, FeatureValue]) -> dict[str, Any]:
    model = read_artefact_json(artefact, KIND)
    specs = model.get("features")
    base = model.get("base_points")
    if not isinstance(specs, dict) or type(base) is not int:
        raise ScorerError("the artefact states base_points and features")
    if sorted(specs) != sorted(features):
        raise ScorerError("the feature vector does not carry exactly the model's features")
    missing = model.get("missing_points", {})
    total = base
    costs: list[tuple[int, str, str]] = []
    for name in sorted(specs):
        bins = _bins(name, specs[name])
        value = as_decimal(name, features[name])
        best = max(points for _, points in bins)
        if value is None:
            points = int(missing.get(name, 0))
            shown = "missing"
        else:
            points = next(p for upper, p in bins if upper is None or value < upper)
            shown = str(features[name])
        total += points
        if points < best:
            costs.append((best - points, name, shown))
    pd_bps = _first(model.get("pd_bands"), lambda bound: bound is None or total >= bound)
    grade = _first(model.get("grades"), lambda bound: bound is None or pd_bps <= bound)
    costs.sort(key=lambda c: (-c[0], c[1]))
    reasons = [f"{name} = {shown}: {cost} points below the best" for cost, name, shown in costs]
    return {
        "grade": grade,
        "horizon_days": int(model.get("horizon_days", 90)),
        "pd_bps": pd_bps,
        "points": total,
        "reasons": reasons[:3],
    }


def _first(table: Any, reaches: Any) -> Any:
    if not isinstance(table, list) or not table:
        raise ScorerError("the artefact's pd_bands and grades are non-empty lists")
    for bound, value in table:
        if reaches(bound):
            return value
    raise ScorerError("the last band's bound is null, so every score has one")
