"""Metrics and their intervals, checked against definitions computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from openscf.risk.evaluation import auc, bootstrap, brier, calibration_table, evaluate, ks


def test_auc_counts_the_pairs_ranked_right_with_ties_as_half() -> None:
    y = [0, 0, 1, 1]
    # pairs (neg, pos): (0.1,0.4) right, (0.1,0.35) right, (0.5,0.4) wrong, (0.5,0.35) wrong
    assert auc(y, [0.1, 0.5, 0.4, 0.35]) == pytest.approx(0.5)
    assert auc(y, [0.1, 0.2, 0.3, 0.4]) == 1.0
    assert auc([0, 1], [0.3, 0.3]) == 0.5
    assert np.isnan(auc([1, 1], [0.2, 0.3]))


def test_ks_is_the_largest_gap_between_the_two_cumulative_distributions() -> None:
    y = [0, 0, 0, 1, 1, 1]
    p = [0.1, 0.2, 0.6, 0.3, 0.7, 0.8]
    # at 0.2: 2/3 of non-events and 0 of events are at or below: gap 2/3
    assert ks(y, p) == pytest.approx(2 / 3)


def test_brier_is_the_mean_squared_error_of_the_probability() -> None:
    assert brier([0, 1], [0.2, 0.6]) == pytest.approx((0.04 + 0.16) / 2)


def test_the_bootstrap_interval_contains_the_point_estimate() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    p = y * 0.3 + rng.random(400)
    for metric in (auc, ks, brier):
        interval = bootstrap(metric, y, p, n_boot=200, seed=1)
        assert interval.low <= interval.point <= interval.high
        assert interval.high - interval.low > 0


def test_a_cluster_bootstrap_is_wider_when_a_firms_rows_repeat() -> None:
    rng = np.random.default_rng(1)
    firm_y = rng.integers(0, 2, 60)
    firm_p = firm_y * 0.2 + rng.random(60)
    y, p = np.repeat(firm_y, 10), np.repeat(firm_p, 10)
    firms = np.repeat(np.arange(60), 10)
    rows = bootstrap(auc, y, p, n_boot=300, seed=2)
    whole = bootstrap(auc, y, p, clusters=firms, n_boot=300, seed=2)
    assert (whole.high - whole.low) > 1.5 * (rows.high - rows.low)


def test_the_calibration_table_compares_predicted_and_observed_per_band() -> None:
    y = np.array([0] * 90 + [1] * 10 + [0] * 50 + [1] * 50)
    p = np.array([0.1] * 100 + [0.5] * 100)
    rows = calibration_table(y, p, bands=[0.3], n_boot=100)
    assert [(r["rows"], r["observed"], r["mean_pd"]) for r in rows] == [
        (100, 0.1, pytest.approx(0.1)),
        (100, 0.5, pytest.approx(0.5)),
    ]
    assert rows[0]["observed_low"] <= 0.1 <= rows[0]["observed_high"]


def test_evaluate_gives_auc_per_group() -> None:
    y = np.array([0, 1, 0, 1, 0, 1, 0, 1])
    p = np.array([0.1, 0.9, 0.2, 0.8, 0.9, 0.1, 0.8, 0.2])
    tiers = np.array([1, 1, 1, 1, 2, 2, 2, 2])
    out = evaluate(y, p, groups=tiers, n_boot=50)
    assert out["auc_by_group"]["1"]["auc"]["point"] == 1.0
    assert out["auc_by_group"]["2"]["auc"]["point"] == 0.0
    assert out["auc"]["point"] == pytest.approx(0.5)
