"""What each page shows, gathered for one logged-in user.

Every record comes through `ReadModel` (openscf.app.queries), which applies the isolation
rules, so a page can only ever show what the caller's organisation may see. The few
whole-network figures that are not records (limit exposures, the log's size, its
checkpoints and witnesses) are read here directly, and only for what the caller may see:
exposures of the programs `ReadModel` shows it, the log's metadata to auditors and the
operator only (the routes check that).
"""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, TypeVar

from openscf.app.auth import Principal
from openscf.app.queries import Page, ReadModel
from openscf.domain import events as ev
from openscf.domain.calendar import DAY_COUNT_BASIS
from openscf.domain.errors import NotFound
from openscf.domain.model import (
    OUTSTANDING,
    EarlyPaymentOffer,
    FinancingOffer,
    FinancingRequest,
    Organisation,
    Program,
    Receivable,
)
from openscf.domain.money import exponent, format_amount
from openscf.domain.pricing import discount_minor
from openscf.web import charts

__all__ = [
    "anchor_view",
    "auditor_view",
    "funder_view",
    "money",
    "rate",
    "receivable_view",
    "supplier_view",
]

T = TypeVar("T")
PAGE = 500
CAP = 20_000  # records gathered for one page at most (the charts say when they stop)
TABLE_ROWS = 60
HISTORY_ROWS = 15


def money(amount_minor: int, currency: str) -> str:
    """'1234567', 'EUR' -> '12,345.67 EUR' (the templates' `money` filter): the dashboard's
    one amount format, for every page, table and chart label."""
    return format_amount(amount_minor, currency)


def major(amount_minor: int, currency: str) -> float:
    """For chart geometry only: never for arithmetic on money."""
    return float(amount_minor) / float(10 ** exponent(currency))


def money_fmt(currency: str) -> Callable[[float], str]:
    scale = 10 ** exponent(currency)
    return lambda v: money(round(v * scale), currency)


def rate(annual: str | Decimal) -> str:
    """The dashboard's one rate format: '0.045' -> '4.50 % p.a.', '0.04125' -> '4.125 % p.a.'
    (two decimals, three when the rate has them)."""
    value = (Decimal(str(annual)) * 100).quantize(Decimal("0.001"))
    text = f"{value:f}"
    if text.endswith("0"):
        text = text[:-1]
    return f"{text} % p.a."


percent = rate  # the former name, kept for callers elsewhere


def rate_input(annual: str | Decimal) -> str:
    """A rate as a person types it in a 'rate %' field: '0.045' -> '4.5'."""
    value = (Decimal(str(annual)) * 100).quantize(Decimal("0.001")).normalize()
    return f"{value:f}"


def _all(fetch: Callable[..., Page[T]], key: Callable[[T], str], **kw: Any) -> list[T]:
    out: list[T] = []
    after: str | None = None
    while True:
        page = fetch(limit=PAGE, starting_after=after, **kw)
        out.extend(page.data)
        if not page.has_more or not page.data or len(out) >= CAP:
            return out
        after = key(page.data[-1])


def _names(reads: ReadModel, who: Principal) -> dict[str, str]:
    orgs: list[Organisation] = _all(reads.organisations, lambda o: o.id, caller=who)
    return {o.id: o.name for o in orgs}


def _outstanding(reads: ReadModel, who: Principal, **kw: Any) -> list[Receivable]:
    pieces: list[Receivable] = []
    for status in sorted(OUTSTANDING):
        pieces += _all(reads.receivables, lambda r: r.id, caller=who, status=status, **kw)
    return pieces


def _main_currency(pieces: Iterable[Receivable], programs: Iterable[Program]) -> str:
    counts = Counter(p.currency for p in pieces)
    if counts:
        return counts.most_common(1)[0][0]
    return next((p.currency for p in programs), "EUR")


def _weekly(
    pieces: list[Receivable], today: date, currency: str, weeks: int = 13
) -> tuple[list[str], list[float]]:
    """Face due per week from this week on (overdue first, then later)."""
    monday = today - timedelta(days=today.weekday())
    labels = (
        ["overdue"]
        + [(monday + timedelta(weeks=i)).strftime("%d %b") for i in range(weeks)]
        + ["later"]
    )
    values = [0.0] * len(labels)
    for p in pieces:
        if p.currency != currency:
            continue
        if p.due_on < today or p.status in ("overdue", "defaulted"):
            i = 0
        else:
            i = min((p.due_on - monday).days // 7 + 1, len(labels) - 1)
        values[i] += major(p.face_minor, currency)
    if not values[0]:
        labels, values = labels[1:], values[1:]
    return labels, values


BUCKETS = (
    ("overdue", -(10**6), -1),
    ("0-30 days", 0, 30),
    ("31-60 days", 31, 60),
    ("61-90 days", 61, 90),
    ("91-180 days", 91, 180),
    ("over 180 days", 181, 10**6),
)


def bucket_of(due_on: date, today: date) -> str:
    days = (due_on - today).days
    return next(name for name, lo, hi in BUCKETS if lo <= days <= hi)


def _by_bucket(
    pieces: list[Receivable], today: date, currency: str
) -> tuple[list[str], list[float]]:
    totals: dict[str, float] = defaultdict(float)
    for p in pieces:
        if p.currency == currency:
            totals[bucket_of(p.due_on, today)] += major(p.face_minor, currency)
    names = [b[0] for b in BUCKETS if b[0] != "overdue" or totals.get("overdue")]
    return names, [totals.get(n, 0.0) for n in names]


def _exposures(reads: ReadModel, who: Principal, programs: list[Program]) -> dict[str, int]:
    return reads.exposures(who, (p.id for p in programs))


# --- what the pages add to a piece: its invoice, its price, what became of it ---------------

PRICING_WINDOW_DAYS = 180
PRICING_MIN_DEALS = 3
PRICING_STEP = Decimal("0.0005")  # indicative rates are rounded to 0.05 %


@dataclass(frozen=True)
class Indication:
    """What selling a piece today would likely pay, before anyone bids.

    The rule (docs/dashboard.md, "Indicative price"): the median annual rate of the
    financing offers accepted in the same program on pieces of the same obligor, with a
    value date in the last PRICING_WINDOW_DAYS days, once there are at least
    PRICING_MIN_DEALS of them from as many different sellers, rounded half-even to 0.05 %
    (so that no one deal's exact price shows); funders' fees at the median share of face
    of those deals; the platform charges no fees. The cash is face - discount - fees with
    the domain's own discount arithmetic, for a sale today."""

    annual_rate: Decimal | None
    deals: int
    days: int = 0
    discount_minor: int = 0
    fees_minor: int = 0
    cash_minor: int = 0
    currency: str = "EUR"

    @property
    def cost_minor(self) -> int:
        return self.discount_minor + self.fees_minor


def market_rates(
    reads: ReadModel, who: Principal, program_ids: Iterable[str], today: date
) -> dict[tuple[str, str], tuple[Decimal, Decimal, int]]:
    """(program, obligor) -> (indicative rate, median fees as a share of face, deals):
    aggregates only, of programs the caller may see; a pair with too few deals or sellers
    is left out (its count of deals is still given, with rate -1)."""
    since = today - timedelta(days=PRICING_WINDOW_DAYS)
    deals: dict[tuple[str, str], list[tuple[str, Decimal, Decimal]]] = defaultdict(list)
    for program_id, obligor, seller, annual, fees, face in reads.accepted_deals(
        who, program_ids, since, today
    ):
        deals[(program_id, obligor)].append((seller, Decimal(annual), Decimal(fees) / face))
    out: dict[tuple[str, str], tuple[Decimal, Decimal, int]] = {}
    for key, found in deals.items():
        sellers = {d[0] for d in found}
        if len(found) < PRICING_MIN_DEALS or len(sellers) < PRICING_MIN_DEALS:
            out[key] = (Decimal(-1), Decimal(0), len(found))
            continue
        median = statistics.median_low(d[1] for d in found)
        rounded = (median / PRICING_STEP).quantize(Decimal(1), ROUND_HALF_EVEN) * PRICING_STEP
        out[key] = (rounded, statistics.median_low(d[2] for d in found), len(found))
    return out


def indication(
    piece: Receivable,
    program: Program | None,
    rates: dict[tuple[str, str], tuple[Decimal, Decimal, int]],
    today: date,
) -> Indication:
    found = rates.get((piece.program_id, piece.obligor_id))
    days = (piece.due_on - today).days
    if found is None or found[0] < 0 or program is None or days <= 0:
        deals = found[2] if found else 0
        return Indication(None, deals, max(days, 0), currency=piece.currency)
    annual, fee_share, deals = found
    discount = discount_minor(piece.face_minor, annual, days, DAY_COUNT_BASIS[program.day_count])
    fees = int((fee_share * piece.face_minor).to_integral_value())
    return Indication(
        annual, deals, days, discount, fees, piece.face_minor - discount - fees, piece.currency
    )


@dataclass(frozen=True)
class PieceInfo:
    """The trade behind a piece: the invoice its root confirmed, the original supplier
    (the invoice's seller) and debtor (the anchor, the obligor)."""

    invoice_number: str
    original_supplier: str
    debtor: str


def piece_infos(
    reads: ReadModel, who: Principal, pieces: Iterable[Receivable], names: dict[str, str]
) -> dict[str, PieceInfo]:
    """For pieces the caller may see (they came through ReadModel): the invoice behind
    each (a piece's invoice is visible to whoever may see the piece)."""
    pieces = list(pieces)
    numbers = reads.invoice_numbers(who, pieces)
    return {
        p.id: PieceInfo(
            numbers.get(p.invoice_id, "—"),
            names.get(p.supplier_id, p.supplier_id),
            names.get(p.obligor_id, p.obligor_id),
        )
        for p in pieces
    }


@dataclass
class Outcome:
    """What became of a piece the caller held: sold, transferred, split, paid ..."""

    piece: Receivable
    what: str
    on: str
    cash_minor: int | None = None


def outcomes(
    reads: ReadModel, who: Principal, pieces: list[Receivable], names: dict[str, str]
) -> list[Outcome]:
    """One line per retired piece: what happened to it, when, and the cash it brought.
    A sale's price shows only to whom `ReadModel.may_see_offer` shows the offer."""
    by_id = {p.id: p for p in pieces}
    found: dict[str, Outcome] = {}
    for record in reads.events_on_pieces(who, list(by_id)):
        e, on = record.event, record.occurred_at.date().isoformat()
        if isinstance(e, ev.ReceivableTransferred) and e.receivable_id in by_id:
            piece = by_id[e.receivable_id]
            verb = "sold to" if e.reason == "financing" else "passed to"
            previous = found.get(piece.id)
            found[piece.id] = Outcome(
                piece,
                f"{verb} {names.get(e.to_org_id, e.to_org_id)}",
                on,
                previous.cash_minor if previous else None,
            )
        elif isinstance(e, ev.FinancingOfferAccepted) and e.receivable_id in by_id:
            price = e.proceeds_minor if reads.may_see_offer(who, e.funder_id, e.holder_id) else None
            found[e.receivable_id] = Outcome(
                by_id[e.receivable_id], f"sold to {names.get(e.funder_id, e.funder_id)}", on, price
            )
        elif isinstance(e, ev.ReceivableSplit) and e.parent_id in by_id:
            faces = " + ".join(money(f, by_id[e.parent_id].currency) for f in e.faces_minor)
            found[e.parent_id] = Outcome(by_id[e.parent_id], f"split into {faces}", on)
        elif isinstance(e, ev.ReceivableSettled) and e.receivable_id in by_id:
            found[e.receivable_id] = Outcome(
                by_id[e.receivable_id],
                "paid at maturity by " + names.get(e.obligor_id, e.obligor_id),
                on,
                e.amount_minor,
            )
        elif isinstance(e, ev.ReceivablePaidEarly) and e.receivable_id in by_id:
            found[e.receivable_id] = Outcome(
                by_id[e.receivable_id],
                "paid early by " + names.get(e.obligor_id, e.obligor_id),
                on,
                e.amount_minor,
            )
        elif isinstance(e, ev.ReceivableDefaulted) and e.receivable_id in by_id:
            found[e.receivable_id] = Outcome(by_id[e.receivable_id], "defaulted: unpaid", on)
        elif isinstance(e, ev.ReceivableCancelled) and e.receivable_id in by_id:
            found[e.receivable_id] = Outcome(by_id[e.receivable_id], "cancelled", on)
    rows = [found.get(p.id) or Outcome(p, p.status.replace("_", " "), "") for p in pieces]
    rows.sort(key=lambda o: (o.on, o.piece.id), reverse=True)
    return rows


def _members(
    reads: ReadModel, who: Principal, programs: Iterable[Program], names: dict[str, str]
) -> dict[str, list[tuple[str, str]]]:
    """Per program the caller is onboarded in: the other suppliers onboarded there, the
    only organisations a piece of that program can be passed to (the domain refuses a
    recipient that is not onboarded, since it could not be paid at maturity)."""
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for program_id, supplier in reads.program_members(who, (p.id for p in programs)):
        found[program_id].append((supplier, names.get(supplier, supplier)))
    return {k: sorted(v, key=lambda x: x[1]) for k, v in found.items()}


# --- anchor ------------------------------------------------------------------------------


@dataclass
class PendingConfirmation:
    id: str
    maker: str
    supplier: str
    invoice_number: str
    amount: str
    due_on: str
    program_id: str
    mine: bool


def _user_name(reads: ReadModel, who: Principal, user_id: str) -> str:
    """A user as a colleague knows them ('Neumann treasury'), not by id; the id if unseen."""
    try:
        return reads.user(who, user_id).name or user_id
    except NotFound:
        return user_id


def anchor_view(reads: ReadModel, who: Principal, today: date) -> dict[str, Any]:
    names = _names(reads, who)
    programs = [
        p for p in _all(reads.programs, lambda p: p.id, caller=who) if p.anchor_id == who.org_id
    ]
    owed = sorted(
        (p for p in _outstanding(reads, who) if p.obligor_id == who.org_id),
        key=lambda p: (p.due_on, p.id),
    )
    currency = _main_currency(owed, programs)
    labels, values = _weekly(owed, today, currency)
    exposures = _exposures(reads, who, programs)
    usage: list[tuple[str, float, float]] = []
    # The same figures as amounts: (what, used, limit) in minor units of the program.
    limits: list[tuple[Program, str, int, int]] = []
    for prog in programs:
        rows = [
            (
                f"program {prog.name}",
                exposures.get(f"program:{prog.id}", 0),
                prog.program_limit_minor,
            )
        ]
        for funder in prog.funder_ids:
            rows.append(
                (
                    f"funder {names.get(funder, funder)}",
                    exposures.get(f"funder:{prog.id}:{funder}", 0),
                    prog.funder_limit_minor,
                )
            )
        top = sorted(
            (
                (v, k.split(":")[2])
                for k, v in exposures.items()
                if k.startswith(f"supplier:{prog.id}:") and v
            ),
            reverse=True,
        )[:5]
        for used_minor, supplier in top:
            rows.append(
                (f"supplier {names.get(supplier, supplier)}", used_minor, prog.supplier_limit_minor)
            )
        for label, used_minor, limit_minor in rows:
            usage.append(
                (label, major(used_minor, prog.currency), major(limit_minor, prog.currency))
            )
            limits.append((prog, label, used_minor, limit_minor))
    approvals = _all(
        reads.approvals, lambda a: a.id, caller=who, status="pending", kind="confirmation"
    )
    pending = []
    for a in approvals:
        data = json.loads(a.payload_json)
        pending.append(
            PendingConfirmation(
                a.id,
                _user_name(reads, who, a.maker_id),
                names.get(data.get("supplier_id", ""), data.get("supplier_id", "")),
                data.get("invoice_number", ""),
                money(int(data.get("amount_minor", 0)), data.get("currency", currency)),
                data.get("due_on", ""),
                data.get("program_id", ""),
                a.maker_id == who.user_id,
            )
        )
    early: list[tuple[EarlyPaymentOffer, str, str]] = _all(
        reads.early_payment_offers, lambda e: e[0].id, caller=who
    )
    early = [e for e in early if e[0].obligor_id == who.org_id]
    early.sort(key=lambda e: e[0].id, reverse=True)
    suppliers: list[tuple[str, str, str]] = []
    for prog in programs:
        for rel in _all(
            reads.relationships, lambda r: r.supplier_id, caller=who, program_id=prog.id
        ):
            suppliers.append(
                (prog.id, rel.supplier_id, names.get(rel.supplier_id, rel.supplier_id))
            )
    suppliers.sort(key=lambda s: (s[0], s[2]))
    total = sum(p.face_minor for p in owed if p.currency == currency)
    shown = owed[:TABLE_ROWS]
    by_program = {p.id: p for p in programs}
    early_rate = Decimal("0.03")
    previews: dict[str, tuple[int, int, int, int]] = {}
    for p in shown:
        found = by_program.get(p.program_id)
        days = (p.due_on - today).days
        if found is not None and p.status == "live" and days > 0:
            basis = DAY_COUNT_BASIS[found.day_count]
            discount = discount_minor(p.face_minor, early_rate, days, basis)
            previews[p.id] = (days, basis, discount, p.face_minor - discount)
    return {
        "programs": programs,
        "suppliers": suppliers,
        "limits": limits,
        "info": piece_infos(reads, who, shown, names),
        "early_rate": rate_input(early_rate),
        "early_previews": previews,
        "payables": shown,
        "payables_count": len(owed),
        "matured_count": sum(1 for p in owed if p.due_on <= today),
        "outstanding_total": money(total, currency),
        "pending": pending,
        "early_offers": early[:TABLE_ROWS],
        "names": names,
        "currency": currency,
        "default_due": (today + timedelta(days=60)).isoformat(),
        "default_value_date": today.isoformat(),
        "charts": {
            "payables": charts.bar_chart(
                "payables-by-due-date",
                "Payables by due date",
                labels,
                values,
                x_title="week starting",
                y_title=f"face due ({currency})",
                fmt=money_fmt(currency),
                empty="no outstanding payables",
            ),
            "limits": charts.usage_chart(
                "program-limits", "Program use against limits", usage, fmt=money_fmt(currency)
            ),
        },
    }


# --- supplier ------------------------------------------------------------------------------


@dataclass
class OfferChoice:
    offer: FinancingOffer
    funder: str
    currency: str
    face_minor: int
    best: bool = False


@dataclass
class OpenRequest:
    request: FinancingRequest
    piece: Receivable | None
    offers: list[OfferChoice] = field(default_factory=list)
    chart: Any = None


def supplier_view(reads: ReadModel, who: Principal, today: date) -> dict[str, Any]:
    names = _names(reads, who)
    mine = _all(reads.receivables, lambda r: r.id, caller=who, holder_id=who.org_id)
    held = sorted((p for p in mine if p.status in OUTSTANDING), key=lambda p: (p.due_on, p.id))
    retired = [p for p in mine if p.status not in OUTSTANDING]
    programs = _all(reads.programs, lambda p: p.id, caller=who)
    by_program = {p.id: p for p in programs}
    currency = _main_currency(held, programs)
    labels, values = _by_bucket(held, today, currency)
    requests = [
        r
        for r in _all(reads.financing_requests, lambda r: r.id, caller=who, status="open")
        if r.holder_id == who.org_id
    ]
    pieces = {p.id: p for p in reads.receivables_by_id(who, [r.receivable_id for r in requests])}
    open_requests = []
    for r in requests:
        piece = pieces.get(r.receivable_id)
        offers: list[tuple[FinancingOffer, str]] = _all(
            reads.financing_offers, lambda o: o[0].id, caller=who, request_id=r.id, status="open"
        )
        face = piece.face_minor if piece else 0
        choices = [
            OfferChoice(o, names.get(o.funder_id, o.funder_id), cur, face) for o, cur in offers
        ]
        choices.sort(key=lambda c: -c.offer.proceeds_minor)
        if choices:
            choices[0].best = True
        cur = piece.currency if piece else currency
        # The cash differs by little against the face, so the chart shows what differs:
        # what each offer costs (face - cash = discount + fees); the table shows the cash.
        chart = charts.bar_chart(
            f"offers-{r.id}",
            "What each offer costs you (discount + fees)",
            [c.funder for c in choices],
            [major(face - c.offer.proceeds_minor, cur) for c in choices],
            x_title="funder",
            y_title=f"cost ({cur})",
            fmt=money_fmt(cur),
            empty="no offers yet: funders of the program can bid",
            highlight=0 if choices else None,
            height=160,
        )
        open_requests.append(OpenRequest(r, piece, choices, chart))
    early = [
        e
        for e in _all(reads.early_payment_offers, lambda e: e[0].id, caller=who, status="open")
        if e[2] == who.org_id and e[0].value_date >= today
    ]
    members = _members(reads, who, programs, names)
    recipients = {pid: [m for m in found if m[0] != who.org_id] for pid, found in members.items()}
    rates = market_rates(reads, who, by_program, today)
    shown = held[:TABLE_ROWS]
    history = outcomes(reads, who, retired, names)[:HISTORY_ROWS]
    total = sum(p.face_minor for p in held if p.currency == currency)
    return {
        "held": shown,
        "held_count": len(held),
        "held_total": money(total, currency),
        "info": piece_infos(reads, who, shown + [o.piece for o in history], names),
        "indications": {
            p.id: indication(p, by_program.get(p.program_id), rates, today) for p in shown
        },
        "pricing_min_deals": PRICING_MIN_DEALS,
        "pricing_window_days": PRICING_WINDOW_DAYS,
        "history": history,
        "history_count": len(retired),
        "requests": open_requests,
        "early_offers": early,
        "recipients": recipients,
        "names": names,
        "currency": currency,
        "charts": {
            "maturity": charts.bar_chart(
                "receivables-by-maturity",
                "Your receivables by time to maturity",
                labels,
                values,
                x_title="days to maturity",
                y_title=f"face ({currency})",
                fmt=money_fmt(currency),
                empty="you hold no receivables yet",
            ),
        },
    }


# --- funder --------------------------------------------------------------------------------


@dataclass
class Biddable:
    request: FinancingRequest
    piece: Receivable | None
    my_offer: FinancingOffer | None
    days: int = 0
    basis: int = 360


@dataclass
class Holding:
    """A piece the funder bought: what it paid, what it earns, when it is paid."""

    piece: Receivable
    price_minor: int | None  # the cash paid for it (None: not bought through an offer)
    discount_minor: int | None
    annual_rate: str | None  # the discount rate of the offer
    yield_rate: Decimal | None  # earned over cash paid, annualised on the offer's basis
    days_left: int
    outcome: str = ""


def funder_view(reads: ReadModel, who: Principal, today: date) -> dict[str, Any]:
    names = _names(reads, who)
    programs = [
        p for p in _all(reads.programs, lambda p: p.id, caller=who) if who.org_id in p.funder_ids
    ]
    by_program = {p.id: p for p in programs}
    funded = {p.id for p in programs}
    requests = [
        r
        for r in _all(reads.financing_requests, lambda r: r.id, caller=who, status="open")
        if r.program_id in funded
    ]
    pieces = {p.id: p for p in reads.receivables_by_id(who, [r.receivable_id for r in requests])}
    mine: list[tuple[FinancingOffer, str]] = _all(
        reads.financing_offers, lambda o: o[0].id, caller=who
    )
    mine = [o for o in mine if o[0].funder_id == who.org_id]
    by_request = {o.request_id: o for o, _ in mine if o.status == "open"}
    biddable = []
    for r in requests:
        piece = pieces.get(r.receivable_id)
        program = by_program.get(r.program_id)
        biddable.append(
            Biddable(
                r,
                piece,
                by_request.get(r.id),
                (piece.due_on - today).days if piece else 0,
                DAY_COUNT_BASIS[program.day_count] if program else 360,
            )
        )
    biddable.sort(key=lambda b: (b.my_offer is not None, b.request.id))
    owned = _all(reads.receivables, lambda r: r.id, caller=who, holder_id=who.org_id)
    portfolio = sorted(
        (p for p in owned if p.status in OUTSTANDING), key=lambda p: (p.due_on, p.id)
    )
    # What each piece cost: the accepted offer on the request for its parent.
    accepted_requests = {
        r.receivable_id: r
        for r in _all(reads.financing_requests, lambda r: r.id, caller=who, status="accepted")
        if r.program_id in funded
    }
    offers_by_id = {o.id: o for o, _ in mine}

    def holding(p: Receivable) -> Holding:
        request = accepted_requests.get(p.parent_id or "")
        offer = offers_by_id.get(request.accepted_offer_id or "") if request else None
        if offer is None:
            return Holding(p, None, None, None, None, (p.due_on - today).days)
        program = by_program.get(p.program_id)
        basis = DAY_COUNT_BASIS[program.day_count] if program else 365
        earned = p.face_minor - offer.proceeds_minor
        annual = (
            Decimal(earned) * basis / (Decimal(offer.proceeds_minor) * offer.days)
            if offer.days
            else None
        )
        return Holding(
            p,
            offer.proceeds_minor,
            offer.discount_minor,
            offer.annual_rate,
            annual.quantize(Decimal("0.0001")) if annual is not None else None,
            (p.due_on - today).days,
        )

    holdings = [holding(p) for p in portfolio[:TABLE_ROWS]]
    closed = [p for p in owned if p.status not in OUTSTANDING]
    history = []
    for found in outcomes(reads, who, closed, names)[:HISTORY_ROWS]:
        h = holding(found.piece)
        h.outcome = found.what + (f" on {found.on}" if found.on else "")
        history.append(h)
    currency = _main_currency(portfolio, programs)
    anchors = sorted({p.obligor_id for p in portfolio}, key=lambda a: names.get(a, a))
    bucket_names = [b[0] for b in BUCKETS]
    stacks = {a: [0.0] * len(bucket_names) for a in anchors}
    for p in portfolio:
        if p.currency == currency:
            stacks[p.obligor_id][bucket_names.index(bucket_of(p.due_on, today))] += major(
                p.face_minor, currency
            )
    used = [i for i, _ in enumerate(bucket_names) if any(s[i] for s in stacks.values())]
    by_anchor = [(names.get(a, a), sum(stacks[a])) for a in anchors]
    # Yield on the cash paid out: what the accepted offers earn over what they cost,
    # annualised over each offer's days (ACT/365 for comparability across programs).
    accepted = [(o, cur) for o, cur in mine if o.status == "accepted"]
    earned = sum(o.discount_minor + o.fees_minor for o, cur in accepted if cur == currency)
    paid = sum(o.proceeds_minor for o, cur in accepted if cur == currency)
    cash_days = sum(Decimal(o.proceeds_minor) * o.days for o, cur in accepted if cur == currency)
    annual: Decimal | None = (Decimal(earned) * 365 / cash_days) if cash_days else None
    weighted_rate: Decimal | None = (
        (
            sum(
                (
                    Decimal(o.annual_rate) * o.proceeds_minor
                    for o, cur in accepted
                    if cur == currency
                ),
                Decimal(0),
            )
            / paid
        )
        if paid
        else None
    )
    deployed: dict[date, int] = defaultdict(int)
    for o, cur in accepted:
        if cur == currency:
            deployed[o.value_date] += o.proceeds_minor
    running, line_points = 0, []
    for day in sorted(deployed):
        running += deployed[day]
        line_points.append((day, major(running, currency)))
    exposures = _exposures(reads, who, programs)
    usage = [
        (
            f"{p.name}",
            major(exposures.get(f"funder:{p.id}:{who.org_id}", 0), p.currency),
            major(p.funder_limit_minor, p.currency),
        )
        for p in programs
    ]
    limits = [
        (p, exposures.get(f"funder:{p.id}:{who.org_id}", 0), p.funder_limit_minor) for p in programs
    ]
    total = sum(p.face_minor for p in portfolio if p.currency == currency)
    return {
        "biddable": biddable,
        "portfolio": holdings,
        "portfolio_count": len(portfolio),
        "portfolio_total": money(total, currency),
        "history": history,
        "history_count": len(closed),
        "info": piece_infos(reads, who, [h.piece for h in holdings + history], names),
        "limits": limits,
        "accepted_count": len(accepted),
        "cash_paid": money(paid, currency),
        "earned": money(earned, currency),
        "yield": rate(annual.quantize(Decimal("0.0001"))) if annual is not None else "—",
        "weighted_rate": rate(weighted_rate) if weighted_rate is not None else "—",
        "names": names,
        "currency": currency,
        "default_value_date": today.isoformat(),
        "charts": {
            "buckets": charts.stacked_bar_chart(
                "portfolio-by-maturity",
                "Portfolio by time to maturity and anchor",
                [bucket_names[i] for i in used],
                [(names.get(a, a), [stacks[a][i] for i in used]) for a in anchors],
                x_title="days to maturity",
                y_title=f"face ({currency})",
                legend_title="owed by",
                fmt=money_fmt(currency),
                empty="no receivables in your portfolio yet",
            ),
            "anchors": charts.hbar_chart(
                "portfolio-by-anchor",
                "Portfolio by anchor (who owes it)",
                [a for a, _ in by_anchor],
                [v for _, v in by_anchor],
                x_title=f"face outstanding ({currency})",
                y_title="anchor",
                fmt=money_fmt(currency),
                empty="no receivables in your portfolio yet",
            ),
            "deployed": charts.line_chart(
                "cash-deployed",
                "Cash paid out for accepted offers, cumulative",
                line_points,
                x_title="value date",
                y_title=f"cash paid ({currency})",
                fmt=money_fmt(currency),
                step=True,
                empty="no accepted offers yet",
            ),
            "limits": charts.usage_chart(
                "funder-limits",
                "Your exposure against your limit",
                usage,
                fmt=money_fmt(currency),
                y_title="program",
            ),
        },
    }


# --- auditor --------------------------------------------------------------------------------


def _count(value: float) -> str:
    return f"{value:,.0f}"


def _instant(at: Any) -> datetime:
    return at if isinstance(at, datetime) else datetime.fromisoformat(str(at))


def auditor_view(reads: ReadModel, who: Principal) -> dict[str, Any]:
    """The log's size, its signed checkpoints and their witnesses. Callers: auditors and
    the operator only (the route checks `reads_everything`)."""
    assert who.reads_everything
    names = _names(reads, who)
    log = reads.log_overview(who)
    size, head, sizes, cosigs = log.size, log.head, log.checkpoints, log.cosignatures
    count, recent = len(sizes), sizes[::-1][:12]
    witness_rows, by_type, origin = log.witnesses, log.events_by_type, log.origin or "—"
    witnessed: dict[int, list[str]] = defaultdict(list)
    for row in cosigs:
        witnessed[int(str(row["size"]))].append(str(row["witness"]))
    step = max(1, len(sizes) // 60)
    sample = list(sizes[::step])
    if sizes and sample[-1] != sizes[-1]:
        sample.append(sizes[-1])
    types = sorted(by_type.items(), key=lambda kv: -kv[1])
    recent_events = reads.events(who, after_seq=max(0, size - 40), limit=40).data
    recent_pieces: list[tuple[str, str, str]] = []
    for record in reversed(recent_events):
        rid = getattr(record.event, "new_receivable_id", None) or getattr(
            record.event, "receivable_id", None
        )
        if rid and rid not in {r[0] for r in recent_pieces}:
            recent_pieces.append((rid, record.event.TYPE, names.get(record.org_id, record.org_id)))
    return {
        "size": size,
        "head": head,
        "head_root": head.root.hex() if head else "",
        "checkpoint_count": count,
        "recent": [(s, at, witnessed.get(s, [])) for s, at in recent],
        "witnesses": [(n, names.get(o, o), at) for n, o, at in witness_rows],
        "cosignature_count": len(cosigs),
        "origin": origin,
        "recent_pieces": recent_pieces[:8],
        "charts": {
            "growth": charts.line_chart(
                "log-growth",
                "Log size over time (at each signed checkpoint)",
                [(_instant(at), float(s)) for s, at in sample],
                x_title="signed at (UTC)",
                y_title="events in the log",
                fmt=_count,
                money_axis=False,
                empty="no checkpoints yet",
            ),
            "types": charts.hbar_chart(
                "events-by-type",
                "Events in the log by type",
                [k for k, _ in types],
                [float(v) for _, v in types],
                x_title="events",
                y_title="event type",
                fmt=_count,
                empty="the log is empty",
            ),
        },
    }


# --- one receivable and its chain of custody --------------------------------------------------


def receivable_view(reads: ReadModel, who: Principal, receivable_id: str) -> dict[str, Any]:
    """Raises NotFound when the caller may not see the piece (exactly as when it does not
    exist)."""
    piece = reads.receivable(who, receivable_id)
    chain = reads.chain_of_custody(who, receivable_id)
    names = _names(reads, who)
    nodes: dict[str, charts.GraphNode] = {}
    edges: list[charts.GraphEdge] = []
    cur = piece.currency

    def node(rid: str, holder: str, face: int, status: str = "live") -> None:
        nodes[rid] = charts.GraphNode(
            rid, names.get(holder, holder), money(face, cur), status, face
        )

    def mark(rid: str, status: str) -> None:
        if rid in nodes:
            nodes[rid].status = status

    rows = []
    for record in chain:
        e = record.event
        if isinstance(e, ev.ReceivableIssued):
            node(e.receivable_id, e.supplier_id, e.face_minor)
            what = (
                f"{names.get(e.obligor_id, e.obligor_id)} confirmed invoice "
                f"{e.invoice_number}: {money(e.face_minor, e.currency)} due {e.due_on}"
            )
        elif isinstance(e, ev.ReceivableSplit):
            mark(e.parent_id, "split")
            for pid, face in zip(e.piece_ids, e.faces_minor, strict=True):
                node(pid, e.holder_id, face)
                edges.append(charts.GraphEdge(e.parent_id, pid, "split"))
            what = "split into " + " + ".join(money(f, cur) for f in e.faces_minor)
        elif isinstance(e, ev.ReceivableTransferred):
            mark(e.receivable_id, "transferred")
            node(e.new_receivable_id, e.to_org_id, e.face_minor)
            edges.append(charts.GraphEdge(e.receivable_id, e.new_receivable_id, e.reason))
            verb = "sold to" if e.reason == "financing" else "transferred to"
            what = f"{money(e.face_minor, cur)} {verb} {names.get(e.to_org_id, e.to_org_id)}"
        elif isinstance(e, ev.ReceivableSettled):
            mark(e.receivable_id, "settled")
            what = (
                f"settled: {money(e.amount_minor, e.currency)} paid to "
                f"{names.get(e.payee_id, e.payee_id)} on {e.value_date}"
            )
        elif isinstance(e, ev.ReceivablePaidEarly):
            mark(e.receivable_id, "paid_early")
            what = f"paid early: {money(e.amount_minor, cur)} on {e.value_date}"
        elif isinstance(e, ev.FinancingRequested):
            what = "financing requested"
        elif isinstance(e, ev.FinancingRequestWithdrawn):
            what = "financing request withdrawn"
        elif isinstance(e, ev.EarlyPaymentOffered):
            what = f"early payment offered to {names.get(e.holder_id, e.holder_id)}"
            if who.org_id in (e.obligor_id, e.holder_id):  # its terms: to the two parties
                what += (
                    f": {money(e.amount_minor, cur)} on {e.value_date} at {percent(e.annual_rate)}"
                )
        elif isinstance(e, ev.PaymentReconciled):
            what = "payment confirmed by the bank statement"
        elif isinstance(e, ev.FinancingOffered):
            what = (
                f"offer by {names.get(e.funder_id, e.funder_id)} at "
                f"{percent(e.annual_rate)}: {money(e.proceeds_minor, cur)} cash"
            )
        elif isinstance(e, ev.FinancingOfferAccepted):
            what = (
                f"offer accepted: {money(e.proceeds_minor, cur)} paid by "
                f"{names.get(e.funder_id, e.funder_id)}"
            )
        elif isinstance(e, ev.FinancingOfferDeclined):
            what = f"offer by {names.get(e.funder_id, e.funder_id)} declined: {e.reason}"
        elif isinstance(e, ev.ReceivableCancelled | ev.ReceivableOverdue | ev.ReceivableDefaulted):
            status = {
                "ReceivableCancelled": "cancelled",
                "ReceivableOverdue": "overdue",
                "ReceivableDefaulted": "defaulted",
            }[e.TYPE]
            mark(e.receivable_id, status)
            what = status
        else:
            what = ""
        rows.append(
            {
                "seq": record.seq,
                "at": record.occurred_at,
                "type": e.TYPE,
                "org": names.get(record.org_id, record.org_id),
                "what": what,
            }
        )
    # Pieces the caller may open get links; the others are drawn from the events alone.
    visible = {p.id: p for p in reads.receivables_by_id(who, list(nodes))}
    for rid, n in nodes.items():
        if rid in visible:
            n.status = visible[rid].status
            n.href = f"/receivables/{rid}"
        n.focus = rid == piece.id
    retired = piece.status not in OUTSTANDING
    return {
        "piece": piece,
        "names": names,
        "info": piece_infos(reads, who, [piece], names)[piece.id],
        "outcome": outcomes(reads, who, [piece], names)[0] if retired else None,
        "events": rows,
        "chart": charts.custody_graph(
            "chain-of-custody", f"Chain of custody of {piece.id}", list(nodes.values()), edges
        ),
    }
