"""The scorer registry: built-in kinds, a scorer a model package plugs in, artefacts a
scorer cannot read, and feature vectors as decisions record them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from openscf.risk import points, pricing_model
from openscf.risk.scoring import (
    FeatureValue,
    ScorerError,
    feature_value,
    features_sha256,
    features_text,
    register_scorer,
    score,
    scorer_kinds,
)

CARD = {
    "format": points.KIND,
    "base_points": 600,
    "features": {
        "late_bps": [[500, 40], [1500, 10], [None, -40]],
        "age_days": [[365, 0], [None, 25]],
    },
    "missing_points": {"age_days": -10},
    "pd_bands": [[650, 50], [600, 150], [None, 900]],
    "grades": [[100, "A"], [300, "B"], [None, "C"]],
}


def _card(**changes: Any) -> bytes:
    return json.dumps(dict(CARD, **changes)).encode()


def test_the_points_scorecard_adds_bins_and_reads_pd_and_grade_from_its_bands() -> None:
    # 600 + 40 (late 200 < 500) + 25 (age 400 >= 365) = 665: PD 50 bps, grade A.
    out = score(points.KIND, _card(), {"late_bps": 200, "age_days": 400})
    assert (out["points"], out["pd_bps"], out["grade"]) == (665, 50, "A")
    assert out["reasons"] == []
    # 600 + 10 + missing age (-10) = 600: PD 150, grade B; the reasons name both costs.
    out = score(points.KIND, _card(), {"late_bps": "0.1e4", "age_days": None})
    assert (out["points"], out["pd_bps"], out["grade"]) == (600, 150, "B")
    assert out["reasons"] == [
        "age_days = missing: 35 points below the best",
        "late_bps = 0.1e4: 30 points below the best",
    ]


def test_the_pricing_scorer_computes_the_formula_from_its_parameters() -> None:
    params = {
        "format": pricing_model.KIND,
        "cost_of_funds_bps": 350,
        "margin_bps": 150,
        "capital_ratio_bps": 800,
        "cost_of_capital_bps": 1000,
        "lgd_prior_bps": 4500,
        "basis_days": 365,
    }
    features = {"pd_bps": 200, "pd_horizon_days": 365, "realised_lgd_bps": None, "tenor_days": 90}
    out = score(pricing_model.KIND, json.dumps(params).encode(), features)
    assert out["rate_bps"] == 670 and out["lgd_source"] == "prior"


def test_a_model_package_plugs_in_its_own_scorer() -> None:
    def doubling(artefact: bytes, features: Mapping[str, FeatureValue]) -> dict[str, Any]:
        value = features["x"]
        assert isinstance(value, int)
        return {"grade": artefact.decode(), "pd_bps": 2 * value}

    register_scorer("test-doubling/1", doubling)
    assert "test-doubling/1" in scorer_kinds()
    assert score("test-doubling/1", b"Z", {"x": 21}) == {"grade": "Z", "pd_bps": 42}
    with pytest.raises(ValueError, match="already registered"):
        register_scorer("test-doubling/1", lambda a, f: {})


@pytest.mark.parametrize(
    ("kind", "artefact", "words"),
    [
        ("nobody/1", b"{}", "no scorer"),
        (points.KIND, b"not json", "not JSON"),
        (points.KIND, b'{"format": "other"}', "not an openscf-points/1"),
        (points.KIND, _card(missing_points=[1]), "cannot read"),
        (points.KIND, _card(pd_bands=[[700, 10]]), "null"),
    ],
)
def test_an_artefact_a_scorer_cannot_read_is_a_scorer_error(
    kind: str, artefact: bytes, words: str
) -> None:
    with pytest.raises(ScorerError, match=words):
        score(kind, artefact, {"late_bps": 1, "age_days": None})


def test_a_feature_vector_from_another_model_is_refused_by_the_scorer() -> None:
    with pytest.raises(ScorerError, match="exactly"):
        score(points.KIND, _card(), {"late_bps": 1})


def test_features_travel_as_canonical_text_without_floats() -> None:
    assert [feature_value(v) for v in (3, True, 0.25, None, "x", float("nan"))] == [
        3,
        1,
        "0.25",
        None,
        "x",
        None,
    ]
    text = features_text({"b": 0.1, "a": 2})
    assert text == '{"a":2,"b":"0.1"}'
    assert len(features_sha256(text)) == 64
