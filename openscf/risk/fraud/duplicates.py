"""Duplicate invoices, altered ones included: fuzzy matching on the invoice's fingerprint.

An invoice presented twice (to be paid or financed twice) rarely comes back identical: it
carries a date of its own, quotes another order, and its number may be in another case,
carry a suffix ("-1", "A", "/1") or an extra zero. The exact fingerprint
(`openscf.documents.fingerprint`, which includes the issue date) misses all of these.

Blocking keeps it linear: invoices are compared only within one seller-buyer
relationship, and there only with earlier invoices that share an amount (within
`amount_tolerance_bps`) or a number key (the loose key, the digits alone, or the number
without its last token). Each candidate pair is scored on

- the numbers: the same (1.0), the same but for case, punctuation or leading zeros (0.95),
  one extended by a short suffix (0.9), the same digits with other letters (0.85),
  otherwise a fraction of their edit similarity (numbers one step apart in a seller's
  sequence are that close too, so this weighs little);
- the amounts: equal (1.0), falling to 0 at `amount_tolerance_bps` apart;

and the later invoice is flagged when the weighted score reaches `threshold`. An invoice
the buyer rejected (as known on the cut) is no original: re-issuing it, even under the
same number, is how a rejected invoice is corrected.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from rapidfuzz.distance import Levenshtein

from openscf.domain.invoice_number import exact_invoice_number_key, loose_invoice_number_key
from openscf.risk.fraud.data import Invoice, TradeData
from openscf.risk.fraud.flags import FraudFlag

__all__ = ["DuplicateConfig", "detect_duplicates", "number_relation"]

_TOKEN = re.compile(r"[0-9]+|[A-Z]+")


@dataclass(frozen=True)
class DuplicateConfig:
    threshold: float = 0.75
    number_weight: float = 0.55
    amount_tolerance_bps: int = 500
    lookback_days: int = 400
    suffix_max_chars: int = 2


def _tokens(number: str) -> tuple[str, ...]:
    key = exact_invoice_number_key(number)
    return tuple(t.lstrip("0") or "0" if t.isdigit() else t for t in _TOKEN.findall(key))


def _digits(tokens: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(t for t in tokens if t.isdigit())


def number_relation(original: str, candidate: str, suffix_max_chars: int = 2) -> tuple[str, float]:
    """How two invoice numbers relate, and how much that says they are one invoice."""
    if exact_invoice_number_key(original) == exact_invoice_number_key(candidate):
        return "same", 1.0
    loose_a, loose_b = loose_invoice_number_key(original), loose_invoice_number_key(candidate)
    if loose_a == loose_b:
        return "same up to case, punctuation or leading zeros", 0.95
    ta, tb = _tokens(original), _tokens(candidate)
    short, long_ = (ta, tb) if len(ta) < len(tb) else (tb, ta)
    if (
        len(long_) == len(short) + 1
        and long_[: len(short)] == short
        and len(long_[-1]) <= suffix_max_chars
    ):
        return "one carries a suffix", 0.9
    if _digits(ta) == _digits(tb) and _digits(ta):
        letters_a = "".join(t for t in ta if not t.isdigit())
        letters_b = "".join(t for t in tb if not t.isdigit())
        if Levenshtein.distance(letters_a, letters_b) <= 2:
            return "same digits, letters differ", 0.85
    similarity = Levenshtein.normalized_similarity(loose_a, loose_b)
    return f"different ({Levenshtein.distance(loose_a, loose_b)} edits apart)", 0.3 * similarity


def _amount_similarity(a: int, b: int, tolerance_bps: int) -> float:
    if a == b:
        return 1.0
    larger = max(abs(a), abs(b), 1)
    off_bps = abs(a - b) * 10_000 / larger
    return max(0.0, 1.0 - off_bps / tolerance_bps) * 0.9


@dataclass
class _Block:
    by_amount: list[tuple[int, int]]  # (amount_minor, position) sorted
    by_key: dict[tuple[str, ...] | str, list[int]]


def detect_duplicates(data: TradeData, config: DuplicateConfig | None = None) -> list[FraudFlag]:
    """Flag invoices that repeat an earlier invoice of the same seller to the same buyer."""
    cfg = config or DuplicateConfig()
    ordered = sorted(range(len(data.invoices)), key=lambda k: (data.invoices[k].issued_on, k))
    blocks: dict[tuple[str, str], _Block] = defaultdict(lambda: _Block([], defaultdict(list)))
    flags: list[FraudFlag] = []
    for k in ordered:
        inv = data.invoices[k]
        block = blocks[(inv.seller_id, inv.buyer_id)]
        tokens = _tokens(inv.number)
        keys: list[tuple[str, ...] | str] = [
            loose_invoice_number_key(inv.number),
            ("digits", *_digits(tokens)),
            ("tokens", *tokens),
            ("tokens", *tokens[:-1]),
        ]
        candidates: set[int] = set()
        for key in keys:
            candidates.update(block.by_key.get(key, ()))
        lo = inv.amount_minor - inv.amount_minor * cfg.amount_tolerance_bps // 10_000
        hi = inv.amount_minor + inv.amount_minor * cfg.amount_tolerance_bps // 10_000
        start = bisect.bisect_left(block.by_amount, (lo, -1))
        for amount, position in block.by_amount[start:]:
            if amount > hi:
                break
            candidates.add(position)
        best: tuple[float, Invoice, str, float, float] | None = None
        for position in candidates:
            orig = data.invoices[position]
            if orig.rejected_on is not None:
                continue  # a rejected invoice is corrected by issuing it again
            if (inv.issued_on - orig.issued_on).days > cfg.lookback_days:
                continue
            relation, number_sim = number_relation(orig.number, inv.number, cfg.suffix_max_chars)
            amount_sim = _amount_similarity(
                orig.amount_minor, inv.amount_minor, cfg.amount_tolerance_bps
            )
            score = cfg.number_weight * number_sim + (1 - cfg.number_weight) * amount_sim
            if best is None or score > best[0]:
                best = (score, orig, relation, number_sim, amount_sim)
        if best is not None and best[0] >= cfg.threshold:
            flags.append(_flag(inv, *best))
        bisect.insort(block.by_amount, (inv.amount_minor, k))
        for key in (
            loose_invoice_number_key(inv.number),
            ("digits", *_digits(tokens)),
            ("tokens", *tokens),
        ):
            block.by_key[key].append(k)
        # a later suffixed number finds this one through its own tokens minus the suffix
    return flags


def _differences(orig: Invoice, inv: Invoice) -> dict[str, list[object]]:
    out: dict[str, list[object]] = {}
    for name in ("number", "amount_minor", "order_id", "issued_on", "delivered_on", "due_on"):
        a, b = getattr(orig, name), getattr(inv, name)
        if a != b:
            out[name] = [a, b]
    return out


def _flag(
    inv: Invoice, score: float, orig: Invoice, relation: str, number_sim: float, amount_sim: float
) -> FraudFlag:
    differs = _differences(orig, inv)
    days: int = (inv.issued_on - orig.issued_on).days
    status = "paid" if orig.paid_on is not None else "open"
    summary = (
        f"repeats invoice {orig.invoice_id} ({orig.number!r}, {status}) of the same seller "
        f"to the same buyer {days} days later: numbers {relation}, amounts "
        + ("equal" if orig.amount_minor == inv.amount_minor else "close")
        + (f"; differs in {', '.join(differs)}" if differs else "; identical")
    )
    when: date = inv.issued_on
    return FraudFlag(
        kind="duplicate_invoice",
        invoice_id=inv.invoice_id,
        org_id=inv.seller_id,
        score=min(1.0, score),
        flagged_on=when,
        summary=summary,
        evidence={
            "original_invoice_id": orig.invoice_id,
            "original_number": orig.number,
            "number": inv.number,
            "number_relation": relation,
            "number_similarity": round(number_sim, 3),
            "amount_similarity": round(amount_sim, 3),
            "original_amount_minor": orig.amount_minor,
            "amount_minor": inv.amount_minor,
            "days_after_original": days,
            "original_paid_on": orig.paid_on,
            "same_order": orig.order_id == inv.order_id,
            "differs": differs,
        },
    )
