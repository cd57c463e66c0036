"""The feature registry: every feature's name, family, meaning in words and unit.

`FEATURES` is the one list the feature table's columns follow (in its order), that models
read their inputs from and that reasons are written with: `describe("late_delivery_share_90d",
0.18)` says "late deliveries: 18 % of the last 90 days".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from openscf.domain.money import format_amount

__all__ = ["FEATURES", "FEATURE_NAMES", "Feature", "describe", "feature"]

Family = Literal["firm", "network"]
# share: a fraction 0..1 shown in %; days; minor: an amount in minor units of the data's
# currency; count; ratio: a plain number (a growth of 0.25 is +25 %); score: unitless;
# category: a label or a code.
Unit = Literal["share", "days", "minor", "count", "ratio", "score", "category"]


@dataclass(frozen=True, slots=True)
class Feature:
    name: str
    family: Family
    description: str  # what it measures, as a reason's opening words
    unit: Unit
    window: str = ""  # "of the last 90 days", "" for a value at the date
    categorical: bool = False


def _f(name: str, family: Family, description: str, unit: Unit, window: str = "") -> Feature:
    return Feature(name, family, description, unit, window, categorical=unit == "category")


_90 = "of the last 90 days"
_180 = "of the last 180 days"
_365 = "of the last 365 days"

FEATURES: tuple[Feature, ...] = (
    # --- who the firm is -----------------------------------------------------------------
    _f("tier", "firm", "tier in the supply chain (1 sells to anchors)", "category"),
    _f("industry", "firm", "industry", "category"),
    _f("annual_sales_minor", "firm", "annual sales declared at onboarding", "minor"),
    _f("firm_age_days", "firm", "age of the firm", "days"),
    _f("tenure_days", "firm", "time on the network (0 if not a member)", "days"),
    _f("member", "firm", "member of a program on the network (1 yes, 0 no)", "count"),
    # --- what it sells -------------------------------------------------------------------
    _f("sales_30d_minor", "firm", "sales invoiced", "minor", "in the last 30 days"),
    _f("sales_90d_minor", "firm", "sales invoiced", "minor", "in the last 90 days"),
    _f("sales_180d_minor", "firm", "sales invoiced", "minor", "in the last 180 days"),
    _f("invoices_90d", "firm", "invoices issued", "count", "in the last 90 days"),
    _f(
        "confirmed_sales_share_180d",
        "firm",
        "sales its buyers confirmed on the network as receivables",
        "share",
        _180,
    ),
    _f(
        "sales_growth_90d",
        "firm",
        "sales growth, last 90 days against the 90 before",
        "ratio",
    ),
    _f(
        "sales_volatility_180d",
        "firm",
        "volatility of monthly sales (coefficient of variation)",
        "ratio",
        "over the last 6 months",
    ),
    _f("days_since_last_invoice", "firm", "days since its last invoice", "days"),
    # --- how it delivers -----------------------------------------------------------------
    _f("late_delivery_share_90d", "firm", "late deliveries", "share", _90),
    _f("partial_delivery_share_90d", "firm", "partial deliveries", "share", _90),
    _f("late_delivery_share_180d", "firm", "late deliveries", "share", _180),
    _f("dispute_share_180d", "firm", "invoices disputed by the buyer", "share", _180),
    _f("rejected_share_180d", "firm", "invoices rejected by the buyer", "share", _180),
    _f(
        "dilution_share_180d",
        "firm",
        "credit notes against sales (dilution)",
        "share",
        _180,
    ),
    # --- how its buyers pay it -----------------------------------------------------------
    _f(
        "buyer_days_late_mean_180d",
        "firm",
        "days its buyers paid after the due date, on average",
        "days",
        "for invoices paid in the last 180 days",
    ),
    _f(
        "buyer_days_late_p90_180d",
        "firm",
        "days its buyers paid after the due date, 90th percentile",
        "days",
        "for invoices paid in the last 180 days",
    ),
    _f(
        "buyer_paid_late_share_180d",
        "firm",
        "invoices its buyers paid late",
        "share",
        "of invoices due in the last 180 days",
    ),
    _f(
        "buyer_overdue_unpaid_share_180d",
        "firm",
        "invoices overdue and still unpaid",
        "share",
        "of invoices due in the last 180 days",
    ),
    _f(
        "buyer_max_days_overdue",
        "firm",
        "oldest unpaid overdue invoice owed to it",
        "days",
    ),
    # --- how it pays its own suppliers ---------------------------------------------------
    _f(
        "own_days_late_mean_180d",
        "firm",
        "days it paid its own suppliers after the due date, on average",
        "days",
        "for invoices paid in the last 180 days",
    ),
    _f(
        "own_paid_late_share_180d",
        "firm",
        "its own invoices paid late",
        "share",
        "of its invoices due in the last 180 days",
    ),
    _f(
        "own_overdue_unpaid_share_180d",
        "firm",
        "its own invoices overdue and unpaid",
        "share",
        "of its invoices due in the last 180 days",
    ),
    _f("own_max_days_overdue", "firm", "its oldest unpaid overdue bill", "days"),
    _f(
        "own_overdue_invoices_365d",
        "firm",
        "its invoices paid late or overdue unpaid",
        "count",
        "due in the last 365 days",
    ),
    # --- on the platform (the log) -------------------------------------------------------
    _f(
        "overdue_held_180d",
        "firm",
        "receivables it held that went overdue",
        "count",
        "in the last 180 days",
    ),
    _f(
        "overdue_owed_365d",
        "firm",
        "receivables it owed that went overdue",
        "count",
        "in the last 365 days",
    ),
    _f(
        "financed_share_180d",
        "firm",
        "receivables it financed, by face",
        "share",
        "of receivables issued or paid to it in the last 180 days",
    ),
    _f(
        "financing_requests_180d",
        "firm",
        "financing requests",
        "count",
        "in the last 180 days",
    ),
    _f(
        "financing_withdrawn_share_180d",
        "firm",
        "financing requests withdrawn without a deal",
        "share",
        "of its requests in the last 180 days",
    ),
    # --- its place in the trade graph ----------------------------------------------------
    _f("buyers_365d", "network", "buyers it sold to", "count", "in the last 365 days"),
    _f("suppliers_365d", "network", "suppliers it bought from", "count", "in the last 365 days"),
    _f(
        "buyer_hhi_180d",
        "network",
        "buyer concentration (Herfindahl index of sales shares)",
        "score",
        _180,
    ),
    _f("top_buyer_share_180d", "network", "sales to its largest buyer", "share", _180),
    _f("anchor_sales_share_180d", "network", "sales to anchors", "share", _180),
    _f("tier1_sales_share_180d", "network", "sales to tier-1 suppliers", "share", _180),
    _f(
        "pagerank",
        "network",
        "centrality in the trade graph (PageRank, 1 = average firm)",
        "score",
        "over the last 365 days",
    ),
    _f(
        "buyers_late_pay_share",
        "network",
        "invoices its buyers paid late to anyone, weighted by its sales to them",
        "share",
        _180,
    ),
    _f(
        "suppliers_late_pay_share",
        "network",
        "invoices its suppliers paid late to anyone, weighted by its purchases",
        "share",
        _180,
    ),
    _f(
        "buyers_overdue_unpaid_share",
        "network",
        "invoices its buyers owe anyone overdue and unpaid, weighted by its sales to them",
        "share",
        "of their invoices due in the last 180 days",
    ),
    _f(
        "defaulted_buyer_sales_share_365d",
        "network",
        "sales to buyers declared in default on the network",
        "share",
        _365,
    ),
    _f(
        "defaulted_counterparties_365d",
        "network",
        "buyers or suppliers declared in default on the network",
        "count",
        "among its counterparties of the last 365 days",
    ),
)
FEATURE_NAMES: tuple[str, ...] = tuple(x.name for x in FEATURES)
_BY_NAME = {x.name: x for x in FEATURES}


def feature(name: str) -> Feature:
    return _BY_NAME[name]


def _number(value: float) -> str:
    if abs(value - round(value)) < 1e-9:
        return f"{round(value):,}"
    return f"{value:,.2f}"


def describe(name: str, value: object, currency: str = "") -> str:
    """A feature's value in words: 'late deliveries: 18 % of the last 90 days'."""
    f = _BY_NAME[name]
    if value is None or (isinstance(value, float) and math.isnan(value)):
        shown = "none recorded"
    elif f.unit == "share":
        shown = f"{round(float(value) * 100):d} %"  # type: ignore[arg-type]
    elif f.unit == "days":
        shown = f"{_number(float(value))} days"  # type: ignore[arg-type]
    elif f.unit == "minor":
        amount = int(value)  # type: ignore[call-overload]
        shown = format_amount(amount, currency) if currency else f"{amount:,} minor units"
    elif f.unit == "ratio" and name.endswith("growth_90d"):
        shown = f"{float(value) * 100:+.0f} %"  # type: ignore[arg-type]
    elif f.unit in ("ratio", "score", "count"):
        shown = _number(float(value))  # type: ignore[arg-type]
    else:
        shown = str(value)
    return f"{f.description}: {shown}" + (f" {f.window}" if f.window else "")
