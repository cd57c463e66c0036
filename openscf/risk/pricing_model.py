"""The pricing formula as a scorer: a price decision that the auditor can recompute.

The artefact states the pricer's parameters (`openscf.risk.pricing.PricingParameters`):

    {"format": "openscf-pricing/1", "cost_of_funds_bps": 350, "margin_bps": 150,
     "capital_ratio_bps": 800, "cost_of_capital_bps": 1200, "lgd_prior_bps": 4500,
     "basis_days": 365}

and the features are the piece's `tenor_days`, the PD (`pd_bps`) over `pd_horizon_days`
and the program's `realised_lgd_bps` (null when it has no closed default claim yet).
The output is the breakdown, every part in bps.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openscf.risk.pricing import PricingParameters, indicative_rate
from openscf.risk.scoring import FeatureValue, ScorerError, read_artefact_json

__all__ = ["FEATURES", "KIND", "score_price"]

KIND = "openscf-pricing/1"
FEATURES = ("pd_bps", "pd_horizon_days", "realised_lgd_bps", "tenor_days")
PARAMETERS = (
    "cost_of_funds_bps",
    "margin_bps",
    "capital_ratio_bps",
    "cost_of_capital_bps",
    "lgd_prior_bps",
    "basis_days",
)


def _int(name: str, value: Any) -> int:
    if type(value) is not int:
        raise ScorerError(f"{name} must be a whole number, got {value!r}")
    return value


def parameters_of(artefact: bytes) -> PricingParameters:
    data = read_artefact_json(artefact, KIND)
    try:
        return PricingParameters(**{k: _int(k, data[k]) for k in PARAMETERS})
    except KeyError as exc:
        raise ScorerError(f"the artefact states no {exc.args[0]}") from None
    except ValueError as exc:
        raise ScorerError(str(exc)) from None


def score_price(artefact: bytes, features: Mapping[str, FeatureValue]) -> dict[str, Any]:
    params = parameters_of(artefact)
    if sorted(features) != sorted(FEATURES):
        raise ScorerError(f"a price reads exactly {', '.join(FEATURES)}")
    lgd = features["realised_lgd_bps"]
    try:
        price = indicative_rate(
            params,
            tenor_days=_int("tenor_days", features["tenor_days"]),
            pd_horizon_days=_int("pd_horizon_days", features["pd_horizon_days"]),
            pd_bps=_int("pd_bps", features["pd_bps"]),
            realised_lgd=None if lgd is None else _int("realised_lgd_bps", lgd),
        )
    except ValueError as exc:
        raise ScorerError(str(exc)) from None
    return price.to_dict()
