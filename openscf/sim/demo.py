"""The demo network: one anchor, two funders and suppliers in three tiers, driven through
every operation of the receivables core by the app layer (never by writing tables).

Deterministic: a fixed clock and a seeded id factory, so two runs tell the same story.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from openscf.app import FixedClock, NetworkService
from openscf.domain import commands as c
from openscf.domain.errors import OpenSCFError
from openscf.domain.money import format_minor
from openscf.domain.replay import replay
from openscf.store.queries import (
    count_events_by_type,
    iter_events,
    list_organisations,
    load_exposures,
    stored_receivables,
)

__all__ = ["DemoResult", "run_demo"]

DEMO_START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
OPERATOR_NAME = "openscf demo operator"

# A German automotive chain: IBANs are valid (check digits computed below).
TIER1 = ["Kessler Drivetrain GmbH", "Lindner Elektronik GmbH", "Hofmann Stahlguss GmbH",
         "Brandt Kunststofftechnik GmbH", "Vogel Sitzsysteme GmbH"]
TIER2 = ["Schulz Feinmechanik GmbH", "Roth Kabelwerk GmbH", "Weber Schrauben KG",
         "Krause Gummiwerk GmbH", "Fischer Lacke GmbH", "Neumann Platinen GmbH",
         "Wolf Zerspanung GmbH"]
TIER3 = ["Becker Draht e.K.", "Schmitt Granulat GmbH", "Lange Verpackung GmbH",
         "Koch Werkzeugbau e.K.", "Jung Logistik GmbH"]
FUNDERS = ["Hansa Bank AG", "Rhein Factoring GmbH"]


def _iban(n: int) -> str:
    bban = f"{37040044:08d}{n:010d}"
    digits = "".join(str(int(ch, 36)) for ch in bban + "DE00")
    return f"DE{98 - int(digits) % 97:02d}{bban}"


@dataclass
class DemoResult:
    organisations: int = 0
    operations: Counter[str] = field(default_factory=Counter)
    rejected: list[dict[str, str]] = field(default_factory=list)
    financings: list[dict[str, Any]] = field(default_factory=list)
    early_payments: list[dict[str, Any]] = field(default_factory=list)
    settlements: list[dict[str, Any]] = field(default_factory=list)
    holders: list[dict[str, Any]] = field(default_factory=list)
    invariants_ok: bool = False
    violations: list[str] = field(default_factory=list)
    events: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "invariants_ok": self.invariants_ok,
            "violations": self.violations,
            "events": self.events,
            "organisations": self.organisations,
            "operations": dict(sorted(self.operations.items())),
            "rejected": self.rejected,
            "financings": self.financings,
            "early_payments": self.early_payments,
            "settlements": self.settlements,
            "receivables_by_holder": self.holders,
        }


class _Demo:
    def __init__(self, engine: Engine, progress: Callable[[str], None]) -> None:
        self.clock = FixedClock(DEMO_START)
        self.svc = NetworkService(engine, self.clock, seed=20260105)
        self.engine = engine
        self.progress = progress
        self.result = DemoResult()
        self.names: dict[str, str] = {}
        self.users: dict[str, tuple[str, str]] = {}  # org -> (maker, checker)
        self._iban = 1000

    def do(self, user: str, command: c.Command, label: str | None = None) -> Any:
        outcome = self.svc.handle(user, command)
        self.result.operations[label or type(command).__name__] += 1
        return outcome

    def refused(self, user: str, command: c.Command, why: str) -> None:
        """The demo also shows the network saying no, with the error code it gives."""
        try:
            self.svc.handle(user, command)
        except OpenSCFError as exc:
            self.result.rejected.append({"attempt": why, "code": exc.code,
                                         "message": exc.message})
            self.result.operations["rejected"] += 1
        else:  # pragma: no cover - the demo's own consistency check
            raise AssertionError(f"the network accepted: {why}")

    def register(self, op_user: str, name: str, roles: tuple[str, ...]) -> str:
        self._iban += 1
        registration = c.RegisterOrganisation(name, roles, "DE", iban=_iban(self._iban),
                                              bic="COBADEFFXXX")
        org: str = self.do(op_user, registration).created["org_id"]
        # Treasury may also check, so the demo shows the domain refusing self-approval.
        maker = self.do(op_user, c.AddUser(org, f"{name.split()[0]} treasury",
                                           ("admin", "checker", "maker"))).created["user_id"]
        checker = self.do(op_user, c.AddUser(org, f"{name.split()[0]} controller",
                                             ("checker", "viewer"))).created["user_id"]
        self.names[org] = name
        self.users[org] = (maker, checker)
        return org

    def run(self) -> DemoResult:
        svc = self.svc
        _, op_user = svc.bootstrap_operator(OPERATOR_NAME)
        self.progress("registering organisations")
        anchor = self.register(op_user, "Nordwerk Automotive AG", ("anchor",))
        funders = [self.register(op_user, n, ("funder",)) for n in FUNDERS]
        tier1 = [self.register(op_user, n, ("supplier",)) for n in TIER1]
        tier2 = [self.register(op_user, n, ("supplier",)) for n in TIER2]
        tier3 = [self.register(op_user, n, ("supplier",)) for n in TIER3]
        a_maker, a_checker = self.users[anchor]

        self.progress("creating the program and onboarding suppliers")
        program = self.do(a_maker, c.CreateProgram(
            "Nordwerk supplier finance 2026", "EUR", max_tenor_days=180,
            program_limit_minor=50_000_000_00, supplier_limit_minor=5_000_000_00,
            funder_limit_minor=20_000_000_00, day_count="ACT/360", calendar="TARGET",
            approval_threshold_minor=250_000_00, default_after_days=30,
        )).created["program_id"]
        for funder in funders:
            self.do(a_maker, c.AddFunder(program, funder))
        # Maker-checker on a bank-account change before the supplier is onboarded.
        k_maker, k_checker = self.users[tier1[0]]
        approval = self.do(k_maker, c.RequestBankAccountChange(
            tier1[0], _iban(9001), "DEUTDEFFXXX")).created["approval_id"]
        self.refused(k_maker, c.ApproveBankAccountChange(approval),
                     "the maker approves its own bank-account change")
        self.do(k_checker, c.ApproveBankAccountChange(approval))
        for supplier in tier1 + tier2 + tier3:
            self.do(a_maker, c.OnboardSupplier(program, supplier), "OnboardSupplier")

        self.progress("confirming invoices")
        receivables: dict[str, list[str]] = defaultdict(list)
        amounts = [184_250_00, 96_400_00, 312_000_00, 58_730_50, 141_900_00, 75_000_00,
                   420_500_00, 66_120_00, 205_000_00, 99_999_99, 133_300_00, 87_654_32]
        for i, amount in enumerate(amounts):
            supplier = tier1[i % len(tier1)]
            due = (DEMO_START + timedelta(days=60 + 5 * i)).date()
            outcome = self.do(a_maker, c.ConfirmInvoice(
                program, supplier, f"NW-2026-{1001 + i}", amount, "EUR", due))
            if "approval_id" in outcome.created and outcome.events[0]["type"] == (
                    "ConfirmationRequested"):
                self.result.operations["ConfirmationRequested"] += 1
                self.refused(a_maker, c.ApproveConfirmation(outcome.created["approval_id"]),
                             "the maker approves its own large confirmation")
                self.do(a_checker, c.ApproveConfirmation(outcome.created["approval_id"]))
            receivables[supplier].append(outcome.created["receivable_id"])
        self.refused(a_maker, c.ConfirmInvoice(program, tier1[0], "NW-2026-1001", 10_00, "EUR",
                                               (DEMO_START + timedelta(days=30)).date()),
                     "the same invoice confirmed twice")
        self.refused(a_maker, c.ConfirmInvoice(program, tier1[0], "NW-2026-9999", 10_00, "EUR",
                                               (DEMO_START + timedelta(days=400)).date()),
                     "a maturity past the program's maximum tenor")

        self.progress("passing receivables down the chain")
        self.clock.advance(days=3)
        live: dict[str, list[tuple[str, int]]] = defaultdict(list)  # holder -> [(id, face)]
        faces = dict(zip([r for rs in receivables.values() for r in rs], [0] * 100, strict=False))
        for supplier, ids in receivables.items():
            for rid in ids:
                live[supplier].append((rid, 0))
        with self.engine.connect() as conn:
            face_of = {r.id: r.face_minor for r in stored_receivables(conn)}
        faces.update(face_of)
        # Each tier-1 supplier pays two tier-2 suppliers with parts of its first receivable.
        tier2_holdings: dict[str, list[str]] = defaultdict(list)
        for i, supplier in enumerate(tier1):
            maker = self.users[supplier][0]
            first = receivables[supplier][0]
            t2a, t2b = tier2[i % len(tier2)], tier2[(i + 3) % len(tier2)]
            part = self.do(maker, c.TransferReceivable(first, t2a, faces[first] * 3 // 10))
            remainder = part.created["remainder_id"]
            tier2_holdings[t2a].append(part.created["new_receivable_id"])
            if i == 0:
                self.refused(maker, c.TransferReceivable(first, t2b),
                             "moving a piece that was already consumed")
                self.refused(self.users[t2b][0], c.TransferReceivable(remainder, t2b),
                             "a supplier moving a piece it does not hold")
            rest = self.do(maker, c.TransferReceivable(remainder, t2b, faces[first] // 5))
            tier2_holdings[t2b].append(rest.created["new_receivable_id"])
        # A tier-2 supplier splits what it got into three and pays two tier-3 suppliers.
        for i, t2 in enumerate(tier2[:5]):
            if not tier2_holdings[t2]:
                continue
            held = tier2_holdings[t2][0]
            with self.engine.connect() as conn:
                face = next(r.face_minor for r in stored_receivables(conn) if r.id == held)
            third = face // 3
            split = self.do(self.users[t2][0], c.SplitReceivable(
                held, (third, third, face - 2 * third)))
            pieces = split.created["piece_ids"]
            self.do(self.users[t2][0], c.TransferReceivable(pieces[0], tier3[i % len(tier3)]))
            tier2_holdings[t2] = [pieces[1], pieces[2], *tier2_holdings[t2][1:]]
        self.refused(self.users[tier2[0]][0], c.SplitReceivable(
            tier2_holdings[tier2[0]][0], (1, 1)), "split pieces that do not sum to the face")

        self.progress("financing")
        self.clock.advance(days=2)
        today = self.clock.now().date()
        holders = [(t2, h) for t2 in tier2 for h in tier2_holdings[t2][:1]]
        with self.engine.connect() as conn:
            for r in stored_receivables(conn):
                if r.holder_id in tier3 and r.status == "live":
                    holders.append((r.holder_id, r.id))
        for financed, (holder, held) in enumerate(holders[:8]):
            maker = self.users[holder][0]
            request = self.do(maker, c.RequestFinancing(held)).created["request_id"]
            offers = []
            for j, funder in enumerate(funders):
                # Two funders compete: one cheaper on rate, the other with no fee.
                rate = (("0.0415", "0.0398", "0.0452"), ("0.0379", "0.0430", "0.0405"))[j][
                    financed % 3]
                fee = (0, 5_00)[j]
                out = self.do(self.users[funder][0], c.OfferFinancing(request, rate, today, fee))
                offers.append(out.created["offer_id"])
            best = self._best_offer(offers)
            self.do(maker, c.AcceptFinancingOffer(best["id"]))
            self.result.financings.append({
                "holder": self.names[holder], "funder": self.names[best["funder_id"]],
                "face": best["face"], "annual_rate": best["annual_rate"],
                "days": best["days"], "discount": best["discount"], "fees": best["fees"],
                "proceeds": best["proceeds"],
            })

        self.progress("early payment and cancellation")
        early_piece = receivables[tier1[1]][1]
        offer = self.do(a_maker, c.OfferEarlyPayment(early_piece, "0.0350", today))
        self.do(self.users[tier1[1]][0], c.AcceptEarlyPayment(offer.created["offer_id"]))
        self.result.early_payments.append(self._early(offer.created["offer_id"], tier1[1]))
        self.do(a_maker, c.CancelReceivable(receivables[tier1[2]][1], "goods returned in full"))

        self.progress("maturity: settlement, overdue and default")
        self.refused(a_maker, c.SettleReceivable(receivables[tier1[3]][1]),
                     "settling before maturity")
        self.refused(self.users[tier1[3]][0], c.SettleReceivable(receivables[tier1[3]][1]),
                     "settlement by someone other than the obligor")
        # One piece is left unpaid at maturity to show overdue and default marking.
        unpaid = receivables[tier1[4]][1]
        final_day = (DEMO_START + timedelta(days=60 + 5 * len(amounts) + 10)).date()
        day = self.clock.now().date()
        while day <= final_day:
            day += timedelta(days=1)
            self.clock.set(datetime(day.year, day.month, day.day, 10, tzinfo=UTC))
            with self.engine.connect() as conn:
                due_pieces = [r for r in stored_receivables(conn)
                              if r.status == "live" and r.due_on <= day]
            for piece in due_pieces:
                if piece.id == unpaid:
                    continue
                self.do(a_maker, c.SettleReceivable(piece.id))
                self.result.settlements.append({
                    "receivable_id": piece.id, "payee": self.names[piece.holder_id],
                    "amount": format_minor(piece.face_minor, "EUR"),
                    "value_date": day.isoformat()})
        self.do(a_maker, c.MarkOverdue(unpaid))
        self.clock.advance(days=31)
        self.do(a_maker, c.MarkDefaulted(unpaid))
        return self.summarise()

    def _best_offer(self, offer_ids: list[str]) -> dict[str, Any]:
        from openscf.store import unit_of_work

        with unit_of_work(self.engine) as uow:
            offers = [uow.state.financing_offer(o) for o in offer_ids]
            best = max((o for o in offers if o is not None), key=lambda o: o.proceeds_minor)
            request = uow.state.financing_request(best.request_id)
            assert request is not None
            piece = uow.state.receivable(request.receivable_id)
            assert piece is not None
            return {"id": best.id, "funder_id": best.funder_id, "annual_rate": best.annual_rate,
                    "days": best.days, "face": format_minor(piece.face_minor, "EUR"),
                    "discount": format_minor(best.discount_minor, "EUR"),
                    "fees": format_minor(best.fees_minor, "EUR"),
                    "proceeds": format_minor(best.proceeds_minor, "EUR")}

    def _early(self, offer_id: str, supplier: str) -> dict[str, Any]:
        from openscf.store import unit_of_work

        with unit_of_work(self.engine) as uow:
            offer = uow.state.early_payment_offer(offer_id)
            assert offer is not None
            return {"supplier": self.names[supplier], "annual_rate": offer.annual_rate,
                    "days": offer.days, "discount": format_minor(offer.discount_minor, "EUR"),
                    "paid": format_minor(offer.amount_minor, "EUR")}

    def summarise(self) -> DemoResult:
        with self.engine.connect() as conn:
            check = replay(iter_events(conn))
            stored = {r.id: r for r in stored_receivables(conn)}
            exposures = load_exposures(conn)
            result = self.result
            result.organisations = len(list_organisations(conn))
            result.events = check.events
            result.violations = [f"{v.code}: {v.message}" for v in check.violations]
            # The replayed state must equal the stored state, piece by piece.
            if stored != check.state.receivables:
                result.violations.append("state_mismatch: stored receivables differ from replay")
            if {k: v for k, v in exposures.items() if v} != {
                    k: v for k, v in check.state.exposures.items() if v}:
                result.violations.append("state_mismatch: stored exposures differ from replay")
            result.invariants_ok = not result.violations
            by_holder: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
            for r in stored.values():
                if r.status in ("live", "overdue", "defaulted", "settled", "paid_early"):
                    entry = by_holder[r.holder_id]
                    entry[0] += 1
                    entry[1] += r.face_minor
                    entry[2] += r.face_minor if r.status in ("live", "overdue", "defaulted") else 0
            result.holders = [
                {"holder": self.names.get(h, h), "pieces": n,
                 "face_held": format_minor(total, "EUR"),
                 "outstanding": format_minor(out, "EUR")}
                for h, (n, total, out) in sorted(by_holder.items(),
                                                 key=lambda kv: -kv[1][1])
            ]
            counts = count_events_by_type(conn)
            result.operations["events_logged"] = sum(counts.values())
        return result


def run_demo(engine: Engine, progress: Callable[[str], None] = lambda _: None) -> DemoResult:
    """Run the demo story on an empty, migrated database."""
    return _Demo(engine, progress).run()


def demo_start_date() -> date:
    return DEMO_START.date()
