"""Phantom invoices: invoices to an anchor with no goods behind them.

A phantom quotes an order the fraudster entered itself, so a three-way match on the
order alone passes. What gives it away, in order of strength:

- the anchor rejected it and no corrected invoice followed on the same order within
  `reissue_days`: a genuine supplier whose invoice is rejected invoices again (corrected);
  a fraudster with no goods to deliver does not;
- the same seller had such an invoice within `suspicion_days` (a phantom fraudster
  rarely sends just one), and this invoice is out of pattern for the pair: above the
  amounts the seller usually bills this buyer (`amount_vs_pair`), the only invoice on its
  order and for exactly the ordered amount (nothing partial, nothing corrected), or the
  first invoice between the two in `history_days` (a new relationship).

Each invoice to an anchor gets a score in [0, 1] from these; those at `threshold` or
above are flagged, dated the day the evidence was complete (a rejection counts only
once `reissue_days` have passed without a corrected invoice).
"""

from __future__ import annotations

import bisect
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from openscf.risk.fraud.data import Invoice, TradeData
from openscf.risk.fraud.flags import FraudFlag

__all__ = ["PhantomConfig", "detect_phantoms"]


@dataclass(frozen=True)
class PhantomConfig:
    threshold: float = 0.85
    reissue_days: int = 15
    suspicion_days: int = 60
    history_days: int = 180
    amount_high: float = 1.3  # this many times the pair's median counts as high
    amount_full: float = 1.8  # ... and this many times as fully out of pattern


@dataclass(frozen=True)
class _Unanswered:
    invoice: Invoice
    known_on: date  # rejected, and no corrected invoice for `reissue_days`


def _unanswered_rejections(
    data: TradeData, cfg: PhantomConfig, anchors: set[str]
) -> dict[str, list[_Unanswered]]:
    """Per seller: its rejected invoices to anchors that no corrected invoice followed."""
    by_order: dict[tuple[str, str | None], list[Invoice]] = defaultdict(list)
    last = max((i.issued_on for i in data.invoices), default=date.min)
    now = data.as_of or last
    for inv in data.invoices:
        by_order[(inv.seller_id, inv.order_id)].append(inv)
    out: dict[str, list[_Unanswered]] = defaultdict(list)
    for inv in data.invoices:
        if inv.rejected_on is None or inv.buyer_id not in anchors:
            continue
        known_on = inv.rejected_on + timedelta(days=cfg.reissue_days)
        if known_on > now:
            continue  # a corrected invoice may still come
        corrected = any(
            x is not inv and inv.issued_on <= x.issued_on <= known_on
            for x in by_order[(inv.seller_id, inv.order_id)]
        )
        if not corrected:
            out[inv.seller_id].append(_Unanswered(inv, known_on))
    for items in out.values():
        items.sort(key=lambda u: u.invoice.issued_on)
    return out


def detect_phantoms(data: TradeData, config: PhantomConfig | None = None) -> list[FraudFlag]:
    """Flag invoices to anchors that look like they have no trade behind them."""
    cfg = config or PhantomConfig()
    anchors = {f.org_id for f in data.firms.values() if f.kind == "anchor"}
    unanswered = _unanswered_rejections(data, cfg, anchors)
    per_order: dict[tuple[str, str | None], int] = defaultdict(int)
    for inv in data.invoices:
        per_order[(inv.seller_id, inv.order_id)] += 1
    pairs: dict[tuple[str, str], list[Invoice]] = defaultdict(list)
    for inv in data.invoices:
        if inv.buyer_id in anchors:
            pairs[(inv.seller_id, inv.buyer_id)].append(inv)
    flags = []
    for (seller, _buyer), invs in pairs.items():
        invs.sort(key=lambda x: (x.issued_on, x.invoice_id))
        days = [x.issued_on for x in invs]
        seller_unanswered = unanswered.get(seller, [])
        unanswered_ids = {u.invoice.invoice_id: u for u in seller_unanswered}
        for k, inv in enumerate(invs):
            lo = bisect.bisect_left(days, inv.issued_on - timedelta(days=cfg.history_days))
            prior = [x.amount_minor for x in invs[lo:k] if x.issued_on < inv.issued_on]
            median = statistics.median(prior) if prior else None
            vs_pair = inv.amount_minor / median if median else None
            single = per_order[(seller, inv.order_id)] == 1 and (
                inv.amount_minor == inv.ordered_minor
            )
            own = unanswered_ids.get(inv.invoice_id)
            near = [
                u
                for u in seller_unanswered
                if u is not own
                and abs((u.invoice.issued_on - inv.issued_on).days) <= cfg.suspicion_days
            ]
            if own is not None:
                score = 0.9
                known: date = own.known_on
            elif near:
                high = 0.0
                if vs_pair is not None and vs_pair >= cfg.amount_high:
                    high = min(
                        1.0, (vs_pair - cfg.amount_high) / (cfg.amount_full - cfg.amount_high)
                    )
                    high = 0.5 + 0.5 * high
                score = (
                    0.3
                    + 0.1 * min(len(near), 3) / 3
                    + 0.3 * high
                    + 0.1 * single
                    + 0.2 * (not prior)
                )
                known = max(inv.issued_on, min(u.known_on for u in near))
            else:
                continue
            if score < cfg.threshold:
                continue
            flags.append(_flag(inv, score, known, own, near, vs_pair, single, len(prior)))
    return flags


def _flag(
    inv: Invoice,
    score: float,
    known: date,
    own: _Unanswered | None,
    near: list[_Unanswered],
    vs_pair: float | None,
    single: bool,
    n_prior: int,
) -> FraudFlag:
    reasons = []
    if own is not None:
        reasons.append(
            f"rejected by the buyer on {inv.rejected_on} and not re-invoiced on its order since"
        )
    if near:
        reasons.append(
            f"the seller has {len(near)} other rejected invoice(s) to anchors within "
            "weeks that were never re-invoiced"
        )
    if vs_pair is not None:
        reasons.append(f"{vs_pair:.2f} times the seller's median invoice to this buyer")
    else:
        reasons.append("no earlier invoice between the two (a new relationship)")
    if single:
        reasons.append("the only invoice on its order, for exactly the ordered amount")
    return FraudFlag(
        kind="phantom_invoice",
        invoice_id=inv.invoice_id,
        org_id=inv.seller_id,
        score=min(1.0, score),
        flagged_on=known,
        summary="; ".join(reasons),
        evidence={
            "order_id": inv.order_id,
            "amount_minor": inv.amount_minor,
            "rejected_on": inv.rejected_on,
            "not_re_invoiced": own is not None,
            "seller_unanswered_rejections": [u.invoice.invoice_id for u in near],
            "amount_vs_pair_median": round(vs_pair, 3) if vs_pair is not None else None,
            "earlier_invoices_to_buyer": n_prior,
            "only_invoice_on_order": single,
        },
    )
