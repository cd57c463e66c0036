"""Default model artefacts: they round-trip to identical scores, a changed byte or another
feature set is refused with one line, and reasons name the feature that drives the score."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from openscf.errors import InvalidRequest
from openscf.risk.errors import FeatureSetMismatchError, ModelArtefactError
from openscf.risk.models import FeatureSet, content_hash, format_value, grade_of, load_model
from openscf.risk.training import train_model

from .modeldata import constructed


@pytest.fixture(scope="module", params=["scorecard", "lightgbm"])
def trained(request: pytest.FixtureRequest):
    frame, y, fs = constructed()
    model = train_model(request.param, frame, y, fs, target="default_90d", seed=3)
    return model, frame, y, fs


def test_an_artefact_loaded_from_its_bytes_scores_exactly_as_the_trained_model(trained) -> None:
    model, frame, _, fs = trained
    data = model.artefact_bytes()
    loaded = load_model(data, expected_sha256=content_hash(data), feature_set=fs)
    assert loaded.model_id == model.model_id
    assert np.array_equal(loaded.predict_pd(frame), model.predict_pd(frame))
    assert [s.grade for s in loaded.score(frame.head(50))] == [
        s.grade for s in model.score(frame.head(50))
    ]
    # and writing it again gives the same bytes, so the same hash
    assert loaded.artefact_bytes() == data


def test_the_artefact_is_json_with_no_pickle_in_it(trained) -> None:
    model, *_ = trained
    doc = json.loads(model.artefact_bytes())
    assert doc["format"] == "openscf-risk-model/1"
    assert doc["model_id"] == model.model_id
    assert b"pickle" not in model.artefact_bytes().lower()


def test_a_tampered_artefact_is_refused_before_it_is_read(trained) -> None:
    model, *_ = trained
    data = model.artefact_bytes()
    recorded = content_hash(data)
    doc = json.loads(data)
    doc["calibration"]["intercept"] += 1.0  # a quiet change that would raise every PD
    tampered = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
    with pytest.raises(ModelArtefactError) as caught:
        load_model(tampered, expected_sha256=recorded)
    assert caught.value.code == "model_artefact_rejected"
    assert "\n" not in caught.value.message
    assert isinstance(caught.value, InvalidRequest)


def test_bytes_that_hash_right_but_are_no_model_are_refused_in_one_line() -> None:
    for data in (b"not json", b'{"format": "something else"}', b"[1, 2]"):
        with pytest.raises(ModelArtefactError) as caught:
            load_model(data, expected_sha256=content_hash(data))
        assert "\n" not in caught.value.message


def test_loading_with_another_feature_set_is_refused(trained) -> None:
    model, _, _, fs = trained
    data = model.artefact_bytes()
    other_version = FeatureSet(fs.features, "test-2")
    reordered = FeatureSet(tuple(reversed(fs.features)), fs.version)
    fewer = fs.subset(["late_share", "sector"])
    for other, words in (
        (other_version, "version"),
        (reordered, "order"),
        (fewer, "missing"),
    ):
        with pytest.raises(FeatureSetMismatchError) as caught:
            load_model(data, expected_sha256=content_hash(data), feature_set=other)
        assert words in caught.value.message


def test_scoring_a_frame_with_other_features_is_refused(trained) -> None:
    model, frame, _, _ = trained
    with pytest.raises(FeatureSetMismatchError, match="late_share"):
        model.predict_pd(frame.drop(columns=["late_share"]))
    stamped = frame.copy()
    stamped.attrs["feature_set_version"] = "test-0"
    with pytest.raises(FeatureSetMismatchError, match="version"):
        model.score(stamped)


def test_the_reasons_name_the_feature_that_drives_a_high_score(trained) -> None:
    model, frame, _, _ = trained
    row = pd.DataFrame({"late_share": [0.45], "sector": ["food"], "noise": [0.0]})
    (score,) = model.score(row)
    assert score.reasons[0].feature == "late_share"
    median = model.reference["late_share"]["median"]
    assert score.reasons[0].text == (
        f"late deliveries: 45 % of the last 90 days, network median "
        f"{format_value(median, 'share', short=True)}"
    )
    assert score.pd > float(np.median(model.predict_pd(frame)))


def test_a_low_risk_row_gives_no_reason_above_the_population() -> None:
    frame, y, fs = constructed()
    model = train_model("scorecard", frame, y, fs, target="d", seed=1)
    row = pd.DataFrame({"late_share": [0.0], "sector": ["food"], "noise": [0.0]})
    (score,) = model.score(row)
    assert all(r.feature != "late_share" for r in score.reasons)


def test_calibrated_pds_match_the_default_rate_on_average() -> None:
    frame, y, fs = constructed(4000, seed=11)
    model = train_model("scorecard", frame, y, fs, target="d", seed=2)
    assert model.calibration.method == "platt"
    assert abs(float(model.predict_pd(frame).mean()) - y.mean()) < 0.02


def test_the_scorecard_scores_what_its_regression_scored_when_it_was_fitted() -> None:
    # The exported bins and scores reproduce scikit-learn's decision function on the
    # fitted rows: the artefact is faithful to the model that was trained.
    from sklearn.linear_model import LogisticRegression

    frame, y, fs = constructed()
    model = train_model("scorecard", frame, y, fs, target="d", calibrate=False)
    feats = model.body["features"]
    contrib, base = model.contributions(frame)
    woe = np.column_stack(
        [
            contrib[:, j] / f["coefficient"] if f["coefficient"] else 0 * contrib[:, j]
            for j, f in enumerate(feats)
        ]
    )
    refit = LogisticRegression(C=1.0, max_iter=2000).fit(woe, y)
    assert np.allclose(refit.coef_[0], [f["coefficient"] for f in feats], atol=1e-3)
    assert np.allclose(contrib.sum(axis=1) + base, refit.decision_function(woe), atol=1e-3)


def test_grades_follow_the_pd_bands() -> None:
    assert [grade_of(p) for p in (0.001, 0.004, 0.009, 0.015, 0.03, 0.07, 0.5)] == list("ABCDEFG")


def test_values_are_written_with_their_units() -> None:
    assert format_value(0.18, "share of the last 90 days") == "18 % of the last 90 days"
    assert format_value(0.04, "share of the last 90 days", short=True) == "4 %"
    assert format_value(42.0, "days") == "42 days"
    assert format_value(4521208, "minor") == "4,521,208 minor units"
    assert format_value(None, "days") == "not known"
