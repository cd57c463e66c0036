"""Population stability by hand, and the model card written next to the artefact."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from openscf.risk.models import content_hash, load_model
from openscf.risk.monitoring import PSI_WARNING, psi, psi_from_shares, stability_report, write_model
from openscf.risk.training import train_model

from .modeldata import constructed


def test_psi_of_a_category_that_moved_from_half_to_four_fifths() -> None:
    reference = ["a"] * 50 + ["b"] * 50
    current = ["a"] * 80 + ["b"] * 20
    by_hand = (0.8 - 0.5) * math.log(0.8 / 0.5) + (0.2 - 0.5) * math.log(0.2 / 0.5)
    assert psi(reference, current, categorical=True) == pytest.approx(by_hand)
    assert by_hand == pytest.approx(0.4159, abs=1e-4)


def test_psi_of_numbers_bins_on_the_reference_quantiles() -> None:
    reference = np.arange(100, dtype=float)  # four bins of 25 at edges 25, 50, 75
    current = np.array([10.0] * 40 + [30.0] * 20 + [60.0] * 20 + [90.0] * 20)
    by_hand = psi_from_shares([0.25] * 4, [0.4, 0.2, 0.2, 0.2])
    assert psi(reference, current, bins=4) == pytest.approx(by_hand)
    assert by_hand == pytest.approx(
        0.15 * math.log(0.4 / 0.25) + 3 * (-0.05) * math.log(0.2 / 0.25)
    )


def test_psi_of_the_same_population_is_zero_and_a_bin_empty_on_one_side_stays_finite() -> None:
    x = np.random.default_rng(0).normal(size=500)
    assert psi(x, x) == 0.0
    assert math.isfinite(psi(["a"] * 10, ["b"] * 10, categorical=True))


def test_a_shifted_population_warns_past_a_quarter(tmp_path: Path) -> None:
    frame, y, fs = constructed()
    model = train_model("scorecard", frame, y, fs, target="d")
    shifted = frame.assign(late_share=frame["late_share"] * 3)
    same = stability_report(model, frame, frame)
    moved = stability_report(model, frame, shifted)
    assert same["warnings"] == []
    by_name = {r["feature"]: r["psi"] for r in moved["features"]}
    assert by_name["late_share"] > PSI_WARNING > by_name["noise"]
    assert moved["score_psi"] > PSI_WARNING
    assert any("late deliveries" in w for w in moved["warnings"])


def test_a_model_is_written_with_its_record_and_card(tmp_path: Path) -> None:
    frame, y, fs = constructed()
    model = train_model("lightgbm", frame, y, fs, target="d")
    record = write_model(
        model,
        tmp_path,
        data="constructed",
        period="none",
        metrics={"auc": {"point": 0.8, "low": 0.7, "high": 0.9}},
    )
    data = (tmp_path / f"{model.model_id}.model.json").read_bytes()
    assert record["sha256"] == content_hash(data)
    load_model(data, expected_sha256=record["sha256"], feature_set=fs)
    card = json.loads((tmp_path / f"{model.model_id}.card.json").read_text())
    assert card["sha256"] == record["sha256"] and card["limitations"]
    text = (tmp_path / f"{model.model_id}.card.md").read_text()
    assert "0.800 [0.700, 0.900]" in text and "late deliveries" in text
