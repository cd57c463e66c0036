"""The demo's last chapter: the network as a business finds it on an ordinary day.

The simulated history (`openscf.sim.demo`) runs its receivables to maturity, so on its
own it leaves nothing to do. `run_today_story` then plays the last month before
`today` in one program of that economy (an anchor, its two funders, one supply chain
three tiers deep, all onboarded in that program), through the app layer only, and stops
the clock the day before `today`:

- confirmed payables outstanding, due over the next one to four months;
- a piece split and passed down the chain: tier 1 -> tier 2 -> tier 3;
- a piece each funder bought in the last weeks;
- a financing request with two competing (sealed) offers, and one from the tier-3
  supplier with none yet;
- an early-payment offer from the anchor;
- a confirmation above the approval threshold waiting for the anchor's checker;
- an imported UBL invoice that bills more than was delivered (the three-way match fails)
  and whose override waits for the checker;
- a piece past its due date, marked overdue.

Every offer's value date is a week after `today`, so the story stays true for a week of
serving on the system clock. `TodayStory.logins` names, per role, the organisation and
user that has something to do in it: these are the demo's printed logins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from openscf.app.trade import TradeDesk
from openscf.documents.ubl_build import (
    TradeLine,
    TradeParty,
)
from openscf.domain import commands as c
from openscf.domain.calendar import modified_following
from openscf.domain.events import parse_instant
from openscf.sim.confirmation import APPROVAL_THRESHOLD_MINOR, program_id
from openscf.sim.demo_risk import run_risk_story
from openscf.sim.economy import Economy
from openscf.sim.trade_demo import trade_documents
from openscf.store import tables as t
from openscf.store.uow import unit_of_work

__all__ = ["STORY_DAYS", "TodayStory", "run_today_story"]

STORY_DAYS = 30  # the story starts this many days before `today`
OFFER_VALID_DAYS = 7  # value dates of open offers: a week after `today`

# (invoice suffix, amount in minor units, due in days after `today`): the anchor's
# confirmed payables to the tier-1 supplier, one to four months out.
PAYABLES = (
    ("101", 126_480_00, 31),
    ("102", 183_250_00, 59),
    ("103", 97_840_00, 87),
    ("104", 141_300_00, 116),
)
TO_TIER2_MINOR = 60_000_00  # of payable 102, passed to the tier-2 supplier
TO_TIER3_MINOR = 22_500_00  # of that, passed on to the tier-3 supplier
CATALOGUE = (
    ("SKU-DSP-7", "Display module 7 inch", Decimal("64.20")),
    ("SKU-FLX-2", "Flex cable 120 mm", Decimal("2.85")),
    ("SKU-BZL-7", "Front bezel, anodised", Decimal("11.40")),
)


@dataclass
class TodayStory:
    today: date
    program_id: str = ""
    program: str = ""
    # login -> {"role", "org_id", "user_id", "organisation", "tier", "try"}
    logins: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The anchor's confirmations due after today, as confirmed (a piece may since have
    # been split, passed on or sold: the anchor owes its face to the holders all the same).
    payables: list[dict[str, Any]] = field(default_factory=list)
    transfers: list[dict[str, Any]] = field(default_factory=list)
    sold: list[dict[str, Any]] = field(default_factory=list)
    open_requests: list[dict[str, Any]] = field(default_factory=list)
    early_payment_offer: dict[str, Any] = field(default_factory=dict)
    pending_confirmation: dict[str, Any] = field(default_factory=dict)
    mismatched_invoice: dict[str, Any] = field(default_factory=dict)
    overdue: dict[str, Any] = field(default_factory=dict)
    # The operator's risk service: models, scores, prices, the flag (openscf.sim.demo_risk).
    risk: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "today": self.today.isoformat(),
            "program_id": self.program_id,
            "program": self.program,
            "logins": self.logins,
            "payables": self.payables,
            "transfers": self.transfers,
            "sold": self.sold,
            "open_requests": self.open_requests,
            "early_payment_offer": self.early_payment_offer,
            "pending_confirmation": self.pending_confirmation,
            "mismatched_invoice": self.mismatched_invoice,
            "overdue": self.overdue,
            "risk": self.risk,
        }


@dataclass(frozen=True)
class _Cast:
    anchor: int
    tier1: int
    tier1b: int  # a second tier-1 supplier: the overdue piece and the sold ones
    tier2: int
    tier3: int
    funders: tuple[int, int]


def _cast(e: Economy) -> _Cast:
    """One program with a supply chain three tiers deep, every member onboarded in it:
    the anchor with the most such members, suppliers that are alive, trade honestly
    (no ownership group, no phantom invoices) and actually sell to the tier above."""
    w, firms = e.world, e.firms
    phantoms = set(e.phantom_firms)

    def sells_to(s: int) -> set[int]:
        return {w.link_buyer[li] for li in firms[s].customers}

    def members(a: int, tier: int) -> list[int]:
        return [
            s
            for s in w.tiers.get(tier, [])
            if a in firms[s].programs and e.alive[s] and firms[s].group < 0 and s not in phantoms
        ]

    best: _Cast | None = None
    best_size = -1
    for a in w.anchors:
        funders = [f for f in w.program_funders.get(a, []) if e.alive[f]]
        if len(funders) < 2:
            continue
        tier1 = [s for s in members(a, 1) if a in sells_to(s)]
        for s1 in tier1:
            chain = [
                (s2, s3)
                for s2 in members(a, 2)
                if s1 in sells_to(s2)
                for s3 in members(a, 3)
                if s2 in sells_to(s3)
            ]
            if not chain:
                continue
            size = sum(1 for s in w.suppliers if a in firms[s].programs)
            if size > best_size:
                other = [s for s in tier1 if s != s1]
                best = _Cast(
                    a,
                    s1,
                    other[0] if other else s1,
                    chain[0][0],
                    chain[0][1],
                    (funders[0], funders[1]),
                )
                best_size = size
            break
    if best is None:  # pragma: no cover - the demo's seeded world has one
        raise RuntimeError("the demo economy has no program with a three-tier supply chain")
    return best


def run_today_story(
    engine: Engine,
    e: Economy,
    today: date,
    *,
    files_dir: Path | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> TodayStory:
    """Play the weeks before `today` in one program of the simulated economy `e` (whose
    service runs on a `FixedClock`); the history must have ended before they start."""
    service = e.platform.service
    clock = e.platform.clock
    story = TodayStory(today)
    start = today - timedelta(days=STORY_DAYS)
    with engine.connect() as conn:
        last = conn.execute(select(func.max(t.events.c.occurred_at))).scalar_one()
    if last is not None and parse_instant(last).date() >= start:
        raise RuntimeError(
            f"the demo's history runs until {last}, past the start of "
            f"today's story ({start}); start the history earlier"
        )
    cast = _cast(e)
    anchor, s1, s1b, s2, s3 = (
        e.firms[i] for i in (cast.anchor, cast.tier1, cast.tier1b, cast.tier2, cast.tier3)
    )
    f1, f2 = (e.firms[i] for i in cast.funders)
    assert anchor.checker is not None
    prog = program_id(cast.anchor)
    story.program_id = prog
    with engine.connect() as conn:
        story.program = str(
            conn.execute(select(t.programs.c.name).where(t.programs.c.id == prog)).scalar_one()
        )

    def workday(days_before: int) -> date:
        """The working day `days_before` today, or the Friday before it."""
        day = today - timedelta(days=days_before)
        while day.weekday() >= 5:
            day -= timedelta(days=1)
        return day

    def on(days_before: int, hour: int = 9) -> date:
        """Move the clock to `hour` UTC on `workday(days_before)`; never backwards (two
        steps may fall on the same Friday), so the log's timestamps only grow."""
        instant = datetime.combine(workday(days_before), time(hour, 0), tzinfo=UTC)
        clock.set(max(instant, clock.now() + timedelta(minutes=1)))
        return clock.now().date()

    def handle(user: str, command: c.Command) -> dict[str, Any]:
        return dict(service.handle(user, command).created)

    def due_on(receivable_id: str) -> date:
        with unit_of_work(engine) as uow:
            piece = uow.state.receivable(receivable_id)
            assert piece is not None
            return piece.due_on

    def confirm(supplier: Any, number: str, amount: int, due: date) -> str:
        out = handle(
            anchor.maker, c.ConfirmInvoice(prog, supplier.org_id, number, amount, "EUR", due)
        )
        return str(out["receivable_id"])

    prefix = "".join(ch for ch in anchor.name.split()[0].upper() if ch.isalpha())[:4]
    year = today.year

    progress("today's story: the payables outstanding")
    # A month ago: a payable due last week, which the anchor has not paid.
    on(STORY_DAYS)
    marked_on = workday(4)
    late_due = today - timedelta(days=8)
    while modified_following(late_due, "TARGET") >= marked_on:
        late_due -= timedelta(days=1)
    overdue = confirm(s1b, f"{prefix}-{year}-090", 96_400_00, late_due)
    # The same day: the tier-1 supplier's payables, due over the next four months, and
    # one for the second tier-1 supplier, which it will sell.
    on(STORY_DAYS, 11)
    for suffix, amount, days in PAYABLES:
        rid = confirm(s1, f"{prefix}-{year}-{suffix}", amount, today + timedelta(days=days))
        story.payables.append(
            {
                "receivable_id": rid,
                "supplier_id": s1.org_id,
                "amount_minor": amount,
                "due_on": due_on(rid).isoformat(),
            }
        )
    to_sell = []
    for suffix, amount, days in (("091", 212_900_00, 72), ("092", 158_600_00, 94)):
        rid = confirm(s1b, f"{prefix}-{year}-{suffix}", amount, today + timedelta(days=days))
        to_sell.append(rid)
        story.payables.append(
            {
                "receivable_id": rid,
                "supplier_id": s1b.org_id,
                "amount_minor": amount,
                "due_on": due_on(rid).isoformat(),
            }
        )

    progress("today's story: pieces down the chain")
    on(26)
    moved = handle(
        s1.maker,
        c.TransferReceivable(story.payables[1]["receivable_id"], s2.org_id, TO_TIER2_MINOR),
    )
    tier2_piece = str(moved["new_receivable_id"])
    story.transfers.append(
        {
            "from": s1.org_id,
            "to": s2.org_id,
            "tier": 2,
            "receivable_id": tier2_piece,
            "amount_minor": TO_TIER2_MINOR,
        }
    )
    on(21)
    moved = handle(s2.maker, c.TransferReceivable(tier2_piece, s3.org_id, TO_TIER3_MINOR))
    story.transfers.append(
        {
            "from": s2.org_id,
            "to": s3.org_id,
            "tier": 3,
            "receivable_id": str(moved["new_receivable_id"]),
            "amount_minor": TO_TIER3_MINOR,
            "remainder_id": str(moved["remainder_id"]),
        }
    )
    tier3_piece = str(moved["new_receivable_id"])

    progress("today's story: financing")
    # The second tier-1 supplier sold two pieces, three and two weeks ago, each time to
    # the better of two offers: each funder won one.
    for days_before, piece, rates in (
        (19, to_sell[0], ("0.0435", "0.0460")),
        (12, to_sell[1], ("0.0450", "0.0425")),
    ):
        value_day = on(days_before)
        request = handle(s1b.maker, c.RequestFinancing(piece))["request_id"]
        bids = {
            f.org_id: handle(f.maker, c.OfferFinancing(request, rate, value_day))["offer_id"]
            for f, rate in zip((f1, f2), rates, strict=True)
        }
        winner = f1 if rates[0] < rates[1] else f2
        bought = handle(s1b.maker, c.AcceptFinancingOffer(bids[winner.org_id]))["new_receivable_id"]
        story.sold.append(
            {
                "request_id": request,
                "offer_id": bids[winner.org_id],
                "funder_id": winner.org_id,
                "receivable_id": bought,
                "seller_id": s1b.org_id,
            }
        )
    # The overdue piece: due last week and still unpaid; the anchor marks it overdue.
    on(4)
    handle(anchor.maker, c.MarkOverdue(overdue))
    story.overdue = {
        "receivable_id": overdue,
        "holder_id": s1b.org_id,
        "amount_minor": 96_400_00,
        "due_on": due_on(overdue).isoformat(),
    }
    value_date = today + timedelta(days=OFFER_VALID_DAYS)
    # This week: the anchor offers to pay the nearest payable early.
    on(3)
    early = story.payables[0]["receivable_id"]
    offer = handle(anchor.maker, c.OfferEarlyPayment(early, "0.032", value_date))["offer_id"]
    story.early_payment_offer = {
        "offer_id": offer,
        "receivable_id": early,
        "holder_id": s1.org_id,
        "value_date": value_date.isoformat(),
    }
    # The tier-1 supplier asks for cash on another; both funders bid (sealed).
    on(3, 11)
    piece = story.payables[2]["receivable_id"]
    request = handle(s1.maker, c.RequestFinancing(piece))["request_id"]
    offers = [
        handle(f.maker, c.OfferFinancing(request, rate, value_date))["offer_id"]
        for f, rate in ((f1, "0.0420"), (f2, "0.0395"))
    ]
    story.open_requests.append(
        {"request_id": request, "receivable_id": piece, "holder_id": s1.org_id, "offers": offers}
    )

    progress("today's story: a three-way match that fails")
    on(2)
    story.mismatched_invoice = _mismatched_invoice(
        service, anchor, s1b, today, prog, files_dir, prefix
    )

    progress("today's story: waiting for the checker, and for bids")
    on(1)
    large = APPROVAL_THRESHOLD_MINOR + 137_500_00
    pending = handle(
        anchor.maker,
        c.ConfirmInvoice(
            prog, s1.org_id, f"{prefix}-{year}-105", large, "EUR", today + timedelta(days=101)
        ),
    )
    story.pending_confirmation = {
        "approval_id": pending["approval_id"],
        "supplier_id": s1.org_id,
        "amount_minor": large,
        "maker_id": anchor.maker,
        "checker_id": anchor.checker,
    }
    # The tier-3 supplier asks for cash on the piece it was paid with: no bids yet.
    on(1, 14)
    request = handle(s3.maker, c.RequestFinancing(tier3_piece))["request_id"]
    story.open_requests.append(
        {"request_id": request, "receivable_id": tier3_piece, "holder_id": s3.org_id, "offers": []}
    )

    progress("today's story: scores, prices and a fraud flag")
    on(1, 16)
    story.risk = run_risk_story(
        engine,
        service,
        e.operator_user,
        prog,
        today,
        duplicate=(s1b.org_id, f"{prefix}-{year}-093"),
    )

    def login(role: str, firm: Any, user: str, tier: int | None, hint: str) -> dict[str, Any]:
        return {
            "role": role,
            "org_id": firm.org_id,
            "user_id": user,
            "organisation": firm.name,
            "tier": tier,
            "try": hint,
        }

    story.logins = {
        "anchor": login(
            "anchor", anchor, anchor.maker, 0, "settle the overdue piece; see the payables due"
        ),
        "anchor-checker": login(
            "anchor",
            anchor,
            anchor.checker,
            0,
            "approve the large confirmation and the match override",
        ),
        "supplier": login(
            "supplier", s1, s1.maker, 1, "accept the better financing offer or the early payment"
        ),
        "supplier-tier2": login(
            "supplier", s2, s2.maker, 2, "pass part of your piece on to your own supplier"
        ),
        "supplier-tier3": login(
            "supplier", s3, s3.maker, 3, "see the funders' bids for your piece come in"
        ),
        "funder": login("funder", f1, f1.maker, None, "bid on the tier-3 supplier's open request"),
        "funder2": login("funder", f2, f2.maker, None, "bid on the tier-3 supplier's open request"),
    }
    return story


def _mismatched_invoice(
    service: Any,
    anchor: Any,
    seller_firm: Any,
    today: date,
    prog: str,
    files_dir: Path | None,
    prefix: str,
) -> dict[str, Any]:
    """An order, a despatch advice short by a third of one line, and an invoice for the
    whole order: imported, matched three ways (it fails), and an override requested."""
    desk = TradeDesk(service)

    def party(firm: Any, n: int) -> TradeParty:
        return TradeParty(
            firm.name,
            firm.country,
            vat_id=f"{firm.country}{800000000 + n}",
            iban=firm.iban,
            bic=firm.bic,
        )

    buyer, seller = party(anchor, anchor.idx), party(seller_firm, seller_firm.idx)
    order_id = f"{prefix}-PO-{today.year}-0417"
    lines = [
        TradeLine(str(n + 1), sku, name, Decimal(q), price)
        for n, ((sku, name, price), q) in enumerate(zip(CATALOGUE, (600, 1200, 600), strict=True))
    ]
    shipped = [Decimal(400), Decimal(1200), Decimal(600)]
    number = (
        f"{''.join(ch for ch in seller_firm.name.upper() if ch.isalpha())[:4]}-{today.year}-0417"
    )
    files = trade_documents(
        order_id,
        number,
        f"INV-{number}.xml",
        buyer,
        seller,
        lines,
        shipped,
        ordered_on=today - timedelta(days=24),
        shipped_on=today - timedelta(days=6),
        invoiced_on=today - timedelta(days=3),
        due_on=today + timedelta(days=60),
    )
    if files_dir is not None:
        folder = files_dir / "today"
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in files.values():
            (folder / name).write_bytes(data)
    desk.import_orders(anchor.maker, [files["orders"]])
    desk.import_deliveries(anchor.maker, [files["despatches"]])
    report = desk.import_invoices(anchor.maker, [files["invoices"]], program_id=prog)
    if not report.ok or report.items[0].document_id is None:  # pragma: no cover
        raise RuntimeError(f"today's invoice did not import: {report.to_dict()}")
    item = report.items[0]
    assert item.document_id is not None
    override = desk.request_override(
        anchor.maker, item.document_id, "short delivery: 200 display modules follow next week"
    )
    return {
        "document_id": item.document_id,
        "invoice_number": number,
        "supplier_id": seller_firm.org_id,
        "match_status": item.match_status,
        "match_issues": list(item.match_issues),
        "approval_id": override["approval_id"],
    }
