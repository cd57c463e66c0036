"""Volume jumps: a supplier billing far more than it delivered, often before a bust-out.

A supplier about to run bills its customers a multiple of what they ordered for a few
weeks and takes the financing. Genuine trade jumps too: a new contract multiplies a
link's orders, but each invoice still bills what was ordered; and a few genuine invoices
go above their order (agreed extras, a price renegotiated). So the measure is billing
against the orders it quotes, not billing alone:

- an invoice is over-billed when it bills at least `over_ratio` times its order;
- a firm is a candidate when at least `min_over` of its invoices in a row are
  over-billed, or at least `min_over` within `window_days` making at least `min_share`
  of its invoices there (one invoice far above its order is an agreed extra as often as
  not); its score grows with the run, the share and the multiple, and it is flagged at
  `threshold`;
- the evidence adds billing against its own history (per day, the weeks before against
  the last `window_days`) and whether its orders rose as well (a new contract) or only
  its invoices.

Flags are per firm, dated the day the threshold was first met, naming the invoice that
met it; the score is the highest the firm reached (as of the cut).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from openscf.risk.fraud.data import Invoice, TradeData
from openscf.risk.fraud.flags import FraudFlag

__all__ = ["VolumeConfig", "detect_volume_jumps"]


@dataclass(frozen=True)
class VolumeConfig:
    over_ratio: float = 1.3
    window_days: int = 56
    min_over: int = 2
    min_share: float = 0.5
    threshold: float = 0.6
    history_days: int = 91


def _ratio(inv: Invoice) -> float:
    return inv.amount_minor / inv.ordered_minor if inv.ordered_minor > 0 else 1.0


def _score(run: int, share: float, over: list[Invoice]) -> float:
    """More over-billed invoices in a row, a larger share of the window, and a larger
    multiple of the order each make a jump more certain."""
    ratios = sorted(_ratio(x) for x in over)
    median = ratios[len(ratios) // 2]
    return min(1.0, 0.4 * min(1.0, run / 4) + 0.3 * share + 0.3 * min(1.0, median - 1.0))


def detect_volume_jumps(data: TradeData, config: VolumeConfig | None = None) -> list[FraudFlag]:
    """Flag suppliers whose invoices suddenly bill a multiple of their orders."""
    cfg = config or VolumeConfig()
    by_seller: dict[str, list[Invoice]] = defaultdict(list)
    for inv in data.invoices:
        by_seller[inv.seller_id].append(inv)
    flags = []
    for seller, invs in sorted(by_seller.items()):
        invs.sort(key=lambda x: (x.issued_on, x.invoice_id))
        start = 0
        run = 0
        first: tuple[Invoice, list[Invoice], list[Invoice], int] | None = None
        top = 0.0
        for end, inv in enumerate(invs):
            while (inv.issued_on - invs[start].issued_on).days >= cfg.window_days:
                start += 1
            if _ratio(inv) < cfg.over_ratio:
                run = 0
                continue
            run += 1
            window = invs[start : end + 1]
            over = [x for x in window if _ratio(x) >= cfg.over_ratio]
            share = len(over) / len(window)
            if run < cfg.min_over and (len(over) < cfg.min_over or share < cfg.min_share):
                continue
            score = _score(run, share, over)
            top = max(top, score)
            if first is None and score >= cfg.threshold:
                first = (inv, window, over, run)
        if first is not None:
            flags.append(_flag(seller, top, *first, invs, cfg))
    return flags


def _flag(
    seller: str,
    score: float,
    inv: Invoice,
    window: list[Invoice],
    over: list[Invoice],
    run: int,
    invs: list[Invoice],
    cfg: VolumeConfig,
) -> FraudFlag:
    billed = sum(x.amount_minor for x in window)
    ordered = sum(x.ordered_minor for x in window)
    ratios = sorted(_ratio(x) for x in over)
    median = ratios[len(ratios) // 2]
    first: date = window[0].issued_on
    # The same measures per day over the weeks before the window (up to `history_days`).
    window_start = inv.issued_on - timedelta(days=cfg.window_days)
    before_lo = max(invs[0].issued_on, window_start - timedelta(days=cfg.history_days))
    before_days = (window_start - before_lo).days
    earlier = [x for x in invs if before_lo <= x.issued_on < window_start]
    recent = [x for x in invs if window_start < x.issued_on <= inv.issued_on]
    rate_now = sum(x.amount_minor for x in recent) / cfg.window_days
    ordered_now = sum(x.ordered_minor for x in recent) / cfg.window_days
    has_history = before_days >= 14 and bool(earlier)
    rate_before = sum(x.amount_minor for x in earlier) / before_days if has_history else 0.0
    ordered_before = sum(x.ordered_minor for x in earlier) / before_days if has_history else 0.0
    orders_rose = ordered_before > 0 and ordered_now > 1.5 * ordered_before
    summary = (
        f"{len(over)} of its {len(window)} invoices since {first} ({run} in a row) bill at "
        f"least {cfg.over_ratio:.2f} times their order (median {median:.2f} times): billed "
        f"{billed / max(ordered, 1):.2f} times what was ordered"
        + (
            f"; billing per day {rate_now / rate_before:.1f} times the weeks before"
            if rate_before > 0
            else "; no billing history to compare"
        )
        + ("; its orders rose as well" if orders_rose else "; its orders did not rise")
    )
    return FraudFlag(
        kind="volume_jump",
        invoice_id=inv.invoice_id,
        org_id=seller,
        score=score,
        flagged_on=inv.issued_on,
        summary=summary,
        evidence={
            "window_start": first,
            "invoices_in_window": len(window),
            "over_billed_invoice_ids": [x.invoice_id for x in over],
            "over_billed_ratios": [round(r, 3) for r in ratios],
            "over_billed_in_a_row": run,
            "billed_minor": billed,
            "ordered_minor": ordered,
            "billing_vs_history": round(rate_now / rate_before, 3) if rate_before else None,
            "orders_vs_history": round(ordered_now / ordered_before, 3) if ordered_before else None,
            "orders_rose": orders_rose,
        },
    )
