"""The features of a tiny hand-built ledger (tests/risk/ledger.py), each worked out by hand
from its rows: which invoices fall in which window, who paid what late."""

from __future__ import annotations

import math
import statistics
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from openscf.errors import InvalidRequest, NotFound
from openscf.risk import FEATURE_NAMES, FEATURES, compute_features, describe, open_source
from openscf.risk.labels import default_labels, month_ends, training_frame

from .ledger import S1, S2, S3, D, write_ledger


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_ledger(tmp_path_factory.mktemp("ledger"))


@pytest.fixture(scope="module")
def features(ledger: Path) -> pd.DataFrame:
    return compute_features(open_source(ledger), D)


def s1(features: pd.DataFrame) -> pd.Series:
    return features.set_index("org_id").loc[S1]


def test_the_table_has_one_row_per_supplier_and_the_registry_columns_in_order(
    features: pd.DataFrame,
) -> None:
    assert list(features.org_id) == [S1, S2, S3]  # not the anchor, not the funder
    assert list(features.columns) == ["org_id", "as_of", *FEATURE_NAMES]
    assert set(features.as_of) == {D}


def test_who_the_firm_is_comes_from_registration_and_the_day_it_joined(
    features: pd.DataFrame,
) -> None:
    f = features.set_index("org_id")
    assert f.loc[S1, "firm_age_days"] == (D - date(2020, 6, 30)).days == 2191
    assert f.loc[S1, "tenure_days"] == (D - date(2026, 1, 1)).days == 180
    assert f.loc[S1, "member"] == 1
    # S3 joins the network in December, after D: not a member yet
    assert f.loc[S3, "member"] == 0 and f.loc[S3, "tenure_days"] == 0
    assert f.loc[S2, "member"] == 0
    assert f.loc[S1, "tier"] == 1 and f.loc[S1, "industry"] == "electronics"
    assert f.loc[S1, "annual_sales_minor"] == 5_000_000_00


def test_sales_windows_count_invoices_not_rejected_and_dated_up_to_d(
    features: pd.DataFrame,
) -> None:
    f = s1(features)
    # i1 (10 days before D); i9 (29 days) was rejected; i6 is after D
    assert f.sales_30d_minor == 100_000
    # + i2 (46 days) and i5 (81 days)
    assert f.sales_90d_minor == 100_000 + 200_000 + 500_000
    # + i3 (121), i10 (149), i4 (171)
    assert f.sales_180d_minor == 800_000 + 300_000 + 80_000 + 400_000
    assert f.sales_growth_90d == pytest.approx(800_000 / 780_000 - 1, rel=1e-12)
    # i1, i2, i5 and the rejected i9
    assert f.invoices_90d == 4
    assert f.days_since_last_invoice == 10
    # months back from D: [0,30) i1; [30,60) i2; [60,90) i5; [90,120) none;
    # [120,150) i3 + i10; [150,180) i4
    months = [100_000, 200_000, 500_000, 0, 380_000, 400_000]
    expected = statistics.pstdev(months) / statistics.fmean(months)
    assert f.sales_volatility_180d == pytest.approx(expected, rel=1e-12)
    assert f.confirmed_sales_share_180d == pytest.approx(500_000 / 1_580_000, rel=1e-12)


def test_delivery_dispute_rejection_and_dilution_shares(features: pd.DataFrame) -> None:
    f = s1(features)
    assert f.late_delivery_share_90d == 1 / 4  # i1 of i1, i2, i5, i9
    assert f.partial_delivery_share_90d == 1 / 4  # i2
    assert f.late_delivery_share_180d == pytest.approx(1 / 7)
    assert f.dispute_share_180d == pytest.approx(1 / 7)  # i3
    assert f.rejected_share_180d == pytest.approx(1 / 7)  # i9
    # credit notes of 2026-06-01 (20,000) and 2026-04-02 (80,000); the one of 07-02 is later
    assert f.dilution_share_180d == pytest.approx(100_000 / 1_580_000, rel=1e-12)


def test_how_its_buyers_pay_it_leaves_out_confirmed_credited_and_later_payments(
    features: pd.DataFrame,
) -> None:
    f = s1(features)
    # due in the last 180 days and paid in cash: i2 (paid 5 days late), i3 (paid only
    # after D: overdue and unpaid at D), i4 (paid 5 days early); i5 is paid through its
    # receivable, i10 was credited in full, i1 is not due yet
    assert f.buyer_paid_late_share_180d == pytest.approx(1 / 3)
    assert f.buyer_overdue_unpaid_share_180d == pytest.approx(1 / 3)
    # paid in the last 180 days: i2 (+5) and i4 (-5)
    assert f.buyer_days_late_mean_180d == 0
    assert f.buyer_days_late_p90_180d == 5  # nearest rank: ceil(0.9 * 2) = 2nd of 2
    assert f.buyer_max_days_overdue == (D - date(2026, 4, 1)).days == 90


def test_how_it_pays_its_own_supplier(features: pd.DataFrame) -> None:
    f = s1(features)
    # i7 paid 10 days late; i8 due 2026-06-25 and unpaid at D
    assert f.own_paid_late_share_180d == 1 / 2
    assert f.own_overdue_unpaid_share_180d == 1 / 2
    assert f.own_days_late_mean_180d == 10
    assert f.own_max_days_overdue == 5
    assert f.own_overdue_invoices_365d == 2


def test_what_the_log_says_up_to_d_and_not_after(features: pd.DataFrame) -> None:
    f = s1(features)
    assert f.overdue_held_180d == 1  # the overdue of 07-15 is after D
    assert f.overdue_owed_365d == 0
    assert f.financing_requests_180d == 2
    assert f.financing_withdrawn_share_180d == 1 / 2
    # 250,000 financed of the 500,000 receivable issued to it (the signed request's
    # escaped copy of another holder and face is never read)
    assert f.financed_share_180d == 1 / 2


def test_network_features_of_s1(features: pd.DataFrame) -> None:
    f = s1(features)
    assert f.buyers_365d == 2  # A and S3 (the rejected i9 adds no edge of its own)
    assert f.suppliers_365d == 1  # S2
    to_a, to_s3, total = 1_280_000, 300_000, 1_580_000
    assert f.buyer_hhi_180d == pytest.approx((to_a / total) ** 2 + (to_s3 / total) ** 2)
    assert f.top_buyer_share_180d == pytest.approx(to_a / total)
    assert f.anchor_sales_share_180d == pytest.approx(to_a / total)
    assert f.tier1_sales_share_180d == pytest.approx(to_s3 / total)
    # S3 was declared in default on 2026-06-15; A's defaulted piece is dated after D
    assert f.defaulted_buyer_sales_share_365d == pytest.approx(to_s3 / total)
    assert f.defaulted_counterparties_365d == 1
    # A paid late 1 of its 2 cash invoices due (i2 late, i4 early); S3 1 of 1 (i3)
    assert f.buyers_late_pay_share == pytest.approx((0.5 * to_a + 1.0 * to_s3) / total)
    assert f.buyers_overdue_unpaid_share == pytest.approx((0.0 * to_a + 1.0 * to_s3) / total)
    assert math.isnan(f.suppliers_late_pay_share)  # S2 owes no one


def test_pagerank_is_scaled_so_the_average_firm_scores_one(ledger: Path) -> None:
    from openscf.risk.features import _pagerank

    # a chain: 0 pays 1, 1 pays 2; every rank positive and the total is one
    rank = _pagerank(3, np.array([0, 1]), np.array([1, 2]), np.array([5, 7]))
    assert rank.sum() == pytest.approx(1.0)
    assert rank[2] > rank[1] > rank[0] > 0


def test_labels_cover_suppliers_alive_at_d_with_both_horizons(ledger: Path) -> None:
    labels = default_labels(open_source(ledger), D).set_index("org_id")
    # S3 defaulted on 2026-06-20, before D: not in the population
    assert list(labels.index) == [S1, S2]
    assert labels.loc[S2, "default_90d"] == 1.0 and labels.loc[S2, "default_180d"] == 1.0
    assert labels.loc[S1, "default_90d"] == 0.0 and labels.loc[S1, "default_180d"] == 0.0


def test_a_horizon_past_the_ground_truth_is_unknown_not_a_no(tmp_path: Path) -> None:
    data = write_ledger(tmp_path / "d")
    # the ground truth stops on 2026-09-01: D + 90 days (2026-09-28) runs past it
    pq.write_table(
        pa.table({"org_id": [S1], "on": pa.array([date(2026, 9, 1)], pa.date32())}),
        data / "health.parquet",
    )
    labels = default_labels(open_source(data), D).set_index("org_id")
    assert math.isnan(labels.loc[S1, "default_90d"])
    assert math.isnan(labels.loc[S1, "default_180d"])
    # a default inside the truth is known whatever the horizon
    assert labels.loc[S2, "default_90d"] == 1.0 and labels.loc[S2, "default_180d"] == 1.0


def test_training_frame_stacks_features_and_labels_per_month_end(ledger: Path) -> None:
    dates = month_ends(date(2026, 5, 1), date(2026, 7, 20))
    assert dates == [date(2026, 5, 31), date(2026, 6, 30)]
    frame = training_frame(open_source(ledger), dates)
    assert list(frame.columns) == [
        "org_id",
        "as_of",
        *FEATURE_NAMES,
        "default_90d",
        "default_180d",
    ]
    # 2026-05-31: S1, S2, S3 alive; 2026-06-30: S3 defaulted on 06-20
    assert list(zip(frame.as_of, frame.org_id, strict=True)) == [
        (date(2026, 5, 31), S1),
        (date(2026, 5, 31), S2),
        (date(2026, 5, 31), S3),
        (date(2026, 6, 30), S1),
        (date(2026, 6, 30), S2),
    ]
    assert frame.set_index(["as_of", "org_id"]).loc[(date(2026, 5, 31), S3), "default_90d"] == 1


def test_a_date_after_the_data_is_refused(ledger: Path) -> None:
    with pytest.raises(InvalidRequest, match="after the last day of the data"):
        compute_features(open_source(ledger), date(2026, 7, 21))


def test_a_missing_table_is_named(tmp_path: Path) -> None:
    data = write_ledger(tmp_path / "d")
    (data / "events.parquet").unlink()
    with pytest.raises(NotFound, match="no table 'events'"):
        compute_features(open_source(data), D)


def test_reasons_read_as_words_in_the_feature_units() -> None:
    assert describe("late_delivery_share_90d", 0.18) == "late deliveries: 18 % of the last 90 days"
    assert describe("sales_90d_minor", 1_250_000, "EUR") == (
        "sales invoiced: 12,500.00 EUR in the last 90 days"
    )
    assert describe("buyer_max_days_overdue", 90) == (
        "oldest unpaid overdue invoice owed to it: 90 days"
    )
    assert describe("sales_growth_90d", 0.25).startswith("sales growth")
    assert "+25 %" in describe("sales_growth_90d", 0.25)
    assert describe("own_days_late_mean_180d", float("nan")).endswith(
        "none recorded for invoices paid in the last 180 days"
    )
    assert {f.family for f in FEATURES} == {"firm", "network"}
    assert len(set(FEATURE_NAMES)) == len(FEATURE_NAMES)


def test_docs_list_every_feature_of_the_registry() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "risk.md").read_text()
    missing = [name for name in FEATURE_NAMES if f"`{name}`" not in text]
    assert missing == []
