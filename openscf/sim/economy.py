"""The life of a simulated economy, day by day, driving the platform through the app layer.

Each day:

1. weekly, every firm's hidden health moves (`health.py`); firms below zero default;
2. orders arrive on each trade link (seasonality, trend, the firms' health), with lead
   times, late and partial deliveries; deliveries become invoices with 30-120 day terms;
   some are disputed and settled with a credit note;
3. on the platform: anchors confirm their onboarded suppliers' invoices (maker-checker
   above the program's threshold), suppliers pay their own suppliers by passing pieces of
   those receivables down the tiers, holders sell pieces to funders (request, competing
   offers, acceptance of the best), anchors offer early payment, and at maturity the
   anchor settles every live piece, or pays late (overdue, then defaulted);
4. everything else (lower-tier trade paid in cash, credit notes, losses when a buyer
   defaults) happens only in the simulator's own books.

Injected fraud (labelled, never shown to the platform as such): invoices presented twice
(also with a slightly altered number), invoices with no order or delivery, circular
trading rings among related firms, and sudden unexplained jumps in invoiced volume.

Amounts are integer minor units; floats only drive the hidden random processes and are
converted to amounts with explicit rounding.
"""

from __future__ import annotations

import math
from array import array
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from itertools import pairwise
from typing import Any

import numpy as np
from sqlalchemy import Engine

from openscf.domain import commands as c
from openscf.domain.calendar import modified_following
from openscf.domain.ids import tagged_id
from openscf.domain.pricing import discount_minor
from openscf.sim.config import SimConfig
from openscf.sim.draws import Draws
from openscf.sim.health import HealthProcess
from openscf.sim.platform import Platform
from openscf.sim.world import INDUSTRIES, MEDIAN_SALES, World, build_world, iban_for

__all__ = ["PIECE_STATUS", "Economy", "Ledger", "program_id"]

OPERATOR_NAME = "openscf simulated network operator"

# Piece statuses, mirroring the platform's (plus NONE: an id the platform refused).
LIVE, CONSUMED, SETTLED, PAID_EARLY, CANCELLED, OVERDUE, DEFAULTED, NONE = range(8)
PIECE_STATUS = ("live", "consumed", "settled", "paid_early", "cancelled", "overdue",
                "defaulted", "never_issued")

# How an invoice was (to be) paid.
CASH, CONFIRMED, BY_RECEIVABLE, REFUSED_CASH, REJECTED, UNPAID, CANCELLED_INV, PENDING = (
    range(8))
CHANNELS = ("cash", "confirmed", "paid_with_receivable", "refused_then_cash",
            "rejected_by_buyer", "unpaid_buyer_defaulted", "credited_in_full", "pending")
# What an invoice is: real trade or one of the fraud kinds.
TRADE, DUPLICATE, PHANTOM, RING = range(4)
KINDS = ("trade", "duplicate", "phantom", "ring")

BASE_RATE = 0.0225  # a money-market reference rate (EUR, 2026)
DEFAULT_AFTER_DAYS = 30
APPROVAL_THRESHOLD_MINOR = 500_000_00


def _i64() -> array[int]:
    return array("q")


@dataclass
class Ledger:
    """The simulator's own books, column by column (cheap at a million rows)."""

    # orders
    o_seller: array[int] = field(default_factory=_i64)
    o_buyer: array[int] = field(default_factory=_i64)
    o_day: array[int] = field(default_factory=_i64)
    o_amount: array[int] = field(default_factory=_i64)
    # invoices
    i_seller: array[int] = field(default_factory=_i64)
    i_buyer: array[int] = field(default_factory=_i64)
    i_order: array[int] = field(default_factory=_i64)
    i_ordered: array[int] = field(default_factory=_i64)
    i_amount: array[int] = field(default_factory=_i64)
    i_credit: array[int] = field(default_factory=_i64)
    i_issue: array[int] = field(default_factory=_i64)
    i_delivery: array[int] = field(default_factory=_i64)
    i_due: array[int] = field(default_factory=_i64)
    i_cf: array[int] = field(default_factory=_i64)
    i_paid: array[int] = field(default_factory=_i64)
    i_rcv: array[int] = field(default_factory=_i64)
    i_cash_amt: array[int] = field(default_factory=_i64)
    i_cash_wdays: array[int] = field(default_factory=_i64)
    i_late_delivery: bytearray = field(default_factory=bytearray)
    i_partial: bytearray = field(default_factory=bytearray)
    i_disputed: bytearray = field(default_factory=bytearray)
    i_channel: bytearray = field(default_factory=bytearray)
    i_kind: bytearray = field(default_factory=bytearray)
    i_number: list[str] = field(default_factory=list)
    # receivable pieces (platform ids in p_id: rcv_<creator's org body>.<index>)
    p_id: list[str] = field(default_factory=list)
    p_holder: array[int] = field(default_factory=_i64)
    p_anchor: array[int] = field(default_factory=_i64)
    p_face: array[int] = field(default_factory=_i64)
    p_due: array[int] = field(default_factory=_i64)
    p_inv: array[int] = field(default_factory=_i64)  # whose payment this piece's value is
    p_root_inv: array[int] = field(default_factory=_i64)
    p_status: bytearray = field(default_factory=bytearray)
    p_enc: bytearray = field(default_factory=bytearray)
    # payments (every movement of money or of a receivable as money)
    m_day: array[int] = field(default_factory=_i64)
    m_payer: array[int] = field(default_factory=_i64)
    m_payee: array[int] = field(default_factory=_i64)
    m_amount: array[int] = field(default_factory=_i64)
    m_kind: list[str] = field(default_factory=list)
    m_invoice: array[int] = field(default_factory=_i64)
    m_piece: array[int] = field(default_factory=_i64)
    # financings: (day, piece, holder, funder, face, rate, days, discount, fees, proceeds,
    # the rate the holder would have paid on its own name)
    financings: list[tuple[int, int, int, int, int, str, int, int, int, int, float]] = field(
        default_factory=list)
    early: list[tuple[int, int, int, int, int, str, int, int]] = field(default_factory=list)
    # ground truth
    labels: list[dict[str, Any]] = field(default_factory=list)
    health: list[tuple[int, int, float, float, bool]] = field(default_factory=list)
    defaults: dict[int, int] = field(default_factory=dict)  # firm -> day
    losses: list[tuple[int, int, int, str, int]] = field(default_factory=list)

    def pay(self, day: int, payer: int, payee: int, amount: int, kind: str,
            invoice: int = -1, piece: int = -1) -> None:
        self.m_day.append(day)
        self.m_payer.append(payer)
        self.m_payee.append(payee)
        self.m_amount.append(amount)
        self.m_kind.append(kind)
        self.m_invoice.append(invoice)
        self.m_piece.append(piece)


@dataclass
class Stats:
    orders: int = 0
    invoices: int = 0
    days: int = 0


class Economy:
    """Builds the world, then runs it day by day against a platform on `engine`."""

    def __init__(self, engine: Engine, config: SimConfig,
                 progress: Callable[[str, int, int], None] | None = None,
                 on_commands: Callable[[int], None] | None = None,
                 on_day: Callable[[Economy, int], None] | None = None,
                 operator_name: str = OPERATOR_NAME) -> None:
        self.config = config
        self.operator_name = operator_name
        self.on_day = on_day
        seeds = np.random.SeedSequence(config.seed).spawn(6)
        self.rng_world, self.rng_orders, self.rng_health, behaviour, self.rng_fraud, \
            market = (np.random.default_rng(s) for s in seeds)
        # Per-invoice and per-piece decisions: scalar draws, pre-drawn in blocks.
        self.rng_behaviour, self.rng_market = Draws(behaviour), Draws(market)
        self.world: World = build_world(config, self.rng_world)
        self.firms = self.world.firms
        self.start = config.start
        self.trading_days = (_add_months(config.start, config.months) - config.start).days
        start_at = datetime(config.start.year, config.start.month, config.start.day, 8,
                            tzinfo=UTC)
        self.platform = Platform(engine, start_at, config.seed, config.batch_size,
                                 on_commands)
        self.progress = progress or (lambda _what, _done, _total: None)
        self.book = Ledger()
        self.stats = Stats()
        n = len(self.firms)
        sigma = np.array([0.85 if f.kind == "supplier" else (0.3 if f.kind == "anchor" else 0.0)
                          for f in self.firms])
        industry = np.array([INDUSTRIES.index(f.industry) if f.industry in INDUSTRIES else 0
                             for f in self.firms])
        self.health = HealthProcess(self.rng_health,
                                    np.array([f.health_mean for f in self.firms]), sigma,
                                    industry, len(INDUSTRIES))
        self.alive = [True] * n
        self.program_sets = [frozenset(f.programs) for f in self.firms]
        self.holdings: list[list[int]] = [[] for _ in range(n)]
        self.sched: dict[str, defaultdict[int, list[Any]]] = {
            k: defaultdict(list) for k in ("deliver", "confirm", "cash", "pay_rcv", "finance",
                                           "early", "dilute", "late_settle", "overdue",
                                           "mark_default", "duplicate", "phantom")}
        self.due_pieces: defaultdict[int, list[int]] = defaultdict(list)
        self._maturity: dict[int, int] = {}
        self._ids = {"fin": 0, "ofr": 0, "epo": 0}
        self.label_index: dict[int, list[dict[str, Any]]] = {}
        self.bundles: list[list[int]] = []
        self.prefix = [_number_prefix(f.name) for f in self.firms]
        self._prepare_links()
        self._prepare_fraud()

    # --- calendar ------------------------------------------------------------------------

    def date_of(self, day: int) -> date:
        return self.start + timedelta(days=day)

    def weekday(self, day: int) -> int:
        """Move a scheduled action off the weekend (firms act on working days)."""
        wd = (self.start.weekday() + day) % 7
        return day + (7 - wd if wd >= 5 else 0)

    def maturity(self, day: int) -> int:
        """The platform's maturity for a due day: modified following on TARGET."""
        rolled = self._maturity.get(day)
        if rolled is None:
            rolled = (modified_following(self.date_of(day), "TARGET") - self.start).days
            self._maturity[day] = rolled
        return rolled

    # --- the network's shape on the platform --------------------------------------------------

    def _prepare_links(self) -> None:
        w = self.world
        # Orders per year per supplier grow slowly with size (big firms send bigger invoices).
        per_year = np.array([
            min(1200.0, 90.0 * (f.sales_eur / _median(f.tier)) ** 0.4) * self.config.volume
            if f.kind == "supplier" else 0.0 for f in self.firms])
        seller = np.array(w.link_seller, dtype=np.int64)
        buyer = np.array(w.link_buyer, dtype=np.int64)
        share = np.array(w.link_share)
        self.l_seller, self.l_buyer = seller, buyer
        # Orders arrive on working days only: 260 of them a year.
        self.l_rate = per_year[seller] * share / 260.0
        sales = np.array([f.sales_eur for f in self.firms])
        self.l_value = sales[seller] / np.maximum(per_year[seller], 1.0)
        self.l_industry = np.array([INDUSTRIES.index(self.firms[s].industry) for s in seller],
                                   dtype=np.int64)
        self.firm_tier = [f.tier for f in self.firms]
        self.buyer_is_anchor = np.array([self.firms[b].kind == "anchor" for b in buyer])

    def _prepare_fraud(self) -> None:
        rng = self.rng_fraud
        cfg = self.config
        tier1 = self.world.tiers[1]
        members1 = [s for s in tier1 if self.firms[s].programs]
        horizon = self.trading_days
        self.jump: dict[int, tuple[int, int, float]] = {}
        self.phantom_firms: list[int] = []
        if cfg.fraud <= 0:
            return
        suppliers = self.world.suppliers
        n_jumps = max(1, round(len(suppliers) * 0.006 * cfg.fraud))
        for s in rng.choice(suppliers, size=min(n_jumps, len(suppliers)), replace=False):
            begin = int(rng.integers(min(20, horizon // 3), max(21, horizon * 2 // 3)))
            length = int(rng.integers(21, 50))
            self.jump[int(s)] = (begin, begin + length, float(rng.uniform(2.5, 6.0)))
        n_phantom = max(1, round(len(members1) * 0.01 * cfg.fraud)) if members1 else 0
        picks: list[int] = [int(k) for k in rng.choice(
            len(members1), size=min(n_phantom, len(members1)), replace=False)] if members1 else []
        for k in picks:
            firm = members1[int(k)]
            self.phantom_firms.append(firm)
            begin = int(rng.integers(0, max(1, horizon // 2)))
            # A phantom invoice every week or two for a couple of months.
            day = begin
            while day < min(horizon, begin + 70):
                self.sched["phantom"][self.weekday(day)].append(firm)
                day += int(rng.integers(5, 15))
        for ring_id, ring in enumerate(self.world.rings):
            self.labels_add("circular_trading_ring", firm=ring[0], ring=ring_id,
                            detail={"members": [self.firms[m].org_id for m in ring]})

    # --- labels ----------------------------------------------------------------------------

    def labels_add(self, label: str, *, firm: int = -1, invoice: int = -1, piece: int = -1,
                   related: int = -1, day: int = -1, ring: int = -1, variant: str = "",
                   outcome: str = "", amount: int = 0, detail: dict[str, Any] | None = None,
                   ) -> None:
        entry = {"label": label, "firm": firm, "invoice": invoice, "piece": piece,
                 "related_invoice": related, "day": day, "ring": ring, "variant": variant,
                 "outcome": outcome, "amount_minor": amount, "detail": detail or {}}
        self.book.labels.append(entry)
        if invoice >= 0:
            self.label_index.setdefault(invoice, []).append(entry)

    # --- set-up on the platform ---------------------------------------------------------

    def setup(self) -> None:
        """Register every firm, its users, the programs, funders and onboardings."""
        p = self.platform
        op = p.bootstrap(self.operator_name)
        self.operator_user = op
        items: list[tuple[str, c.Command]] = []
        for f in self.firms:
            roles = ("anchor",) if f.kind == "anchor" else (
                ("funder",) if f.kind == "funder" else ("supplier",))
            items.append((op, c.RegisterOrganisation(f.name, roles, f.country, iban=f.iban,
                                                     bic=f.bic, org_id=f.org_id)))
            # An anchor's treasury may also check (the domain still refuses it approving
            # its own request); its controller only checks.
            permissions = ("admin", "checker", "maker") if f.kind == "anchor" else (
                "admin", "maker")
            items.append((op, c.AddUser(f.org_id, f"{f.name.split()[0]} treasury",
                                        permissions, user_id=f.maker)))
            if f.checker is not None:
                items.append((op, c.AddUser(f.org_id, f"{f.name.split()[0]} controller",
                                            ("checker",), user_id=f.checker)))
        # A few suppliers change their bank account, with a second user as checker.
        changers = list(self.world.tiers[1][: max(1, len(self.world.tiers[1]) // 25)])
        for s in changers:
            f = self.firms[s]
            f.checker = tagged_id("usr", f.org_id, "c")
            items.append((op, c.AddUser(f.org_id, f"{f.name.split()[0]} controller",
                                        ("checker",), user_id=f.checker)))
        self._must(p.run(items), "registration")
        items = []
        for s in changers:
            f = self.firms[s]
            bank_digits = {"DE": 8, "NL": 4, "AT": 5, "PL": 8}[f.country]
            new_iban = iban_for(f.country, f.iban[4:4 + bank_digits],
                                int(f.iban[4 + bank_digits:]) + 7)
            approval = tagged_id("apr", f.org_id, "bank")
            items.append((f.maker, c.RequestBankAccountChange(f.org_id, new_iban, f.bic,
                                                              approval_id=approval)))
            items.append((f.checker or "", c.ApproveBankAccountChange(approval)))
            f.iban = new_iban
        for a in self.world.anchors:
            f = self.firms[a]
            volume = sum(self.firms[self.world.link_seller[li]].sales_eur *
                         self.world.link_share[li] for li in f.suppliers)
            limit = max(50_000_000_00, _round_up(int(volume * 0.6) * 100, 10_000_000_00))
            items.append((f.maker, c.CreateProgram(
                f"{f.name} supplier finance {self.start.year}", self.config.currency,
                max_tenor_days=180, program_limit_minor=limit,
                supplier_limit_minor=_round_up(limit // 5, 1_000_000_00),
                funder_limit_minor=_round_up(limit * 2 // 5, 1_000_000_00),
                day_count="ACT/360", calendar="TARGET",
                approval_threshold_minor=APPROVAL_THRESHOLD_MINOR,
                default_after_days=DEFAULT_AFTER_DAYS, program_id=program_id(a))))
            for funder in self.world.program_funders[a]:
                items.append((f.maker, c.AddFunder(program_id(a), self.firms[funder].org_id)))
        for s in self.world.suppliers:
            for a in self.firms[s].programs:
                items.append((self.firms[a].maker, c.OnboardSupplier(
                    program_id(a), self.firms[s].org_id)))
        self._must(p.run(items), "programs and onboarding")

    @staticmethod
    def _must(codes: list[str | None], what: str) -> None:
        refused = [code for code in codes if code is not None]
        if refused:
            raise RuntimeError(f"the platform refused {len(refused)} {what} commands: "
                               f"{sorted(set(refused))}")

    # --- the day loop ------------------------------------------------------------------------

    def run(self) -> None:
        self.progress("setting up the network", 0, 1)
        self.setup()
        day = 0
        last_work = self.trading_days
        while day < self.trading_days or (self.config.run_off and day <= last_work):
            self.platform.clock.set(datetime.combine(
                self.date_of(day), datetime.min.time(), UTC) + timedelta(hours=9))
            if day % 7 == 0:
                self._health_week(day)
            if day % 30 == 0:
                self._snapshot(day)
            weekday = (self.start.weekday() + day) % 7 < 5
            self._deliveries(day)
            if day < self.trading_days and weekday:
                self._orders(day)
                self._frauds(day)
            self._confirmations(day)
            self._dilutions(day)
            self._receivable_payments(day)
            if weekday:
                self._rings(day)
            self._financing(day)
            self._early_payments(day)
            self._maturities(day)
            self._cash_payments(day)
            if self.on_day is not None:
                self.on_day(self, day)
            if self.config.run_off and day >= self.trading_days - 1:
                last_work = max(last_work, self._last_scheduled())
            self.stats.days = day + 1
            self.progress("simulating days", day + 1, max(self.trading_days, last_work + 1))
            day += 1
        self._snapshot(day)
        self.end_day = day
        self._close_books()

    def _last_scheduled(self) -> int:
        last = 0
        for table in self.sched.values():
            if table:
                last = max(last, max(table))
        if self.due_pieces:
            last = max(last, max(self.due_pieces) + DEFAULT_AFTER_DAYS + 2)
        return last

    # --- health and defaults ---------------------------------------------------------------

    def _health_week(self, day: int) -> None:
        for firm in self.health.step():
            self.alive[firm] = False
            f = self.firms[firm]
            self.book.defaults[firm] = day
            self.labels_add("default", firm=firm, day=day,
                            detail={"tier": f.tier, "kind": f.kind,
                                    "health_mean": round(f.health_mean, 4)})

    def _snapshot(self, day: int) -> None:
        h = self.health.h
        st = self.health._stress
        for i in range(len(self.firms)):
            self.book.health.append((i, day, float(h[i]), float(st[i]), not self.alive[i]))

    # --- orders, deliveries, invoices ---------------------------------------------------

    def _season(self, day: int) -> np.ndarray:
        """Demand multiplier per industry: yearly cycle and trend."""
        d = self.date_of(day)
        doy = d.timetuple().tm_yday
        years = day / 365.0
        cycle = 1.0 + 0.12 * math.sin(2 * math.pi * (doy - 80) / 365)
        out = np.full(len(INDUSTRIES), cycle)
        # automotive: summer shutdown in August and a quiet Christmas week
        out[0] *= 0.55 if d.month == 8 else (0.7 if d.month == 12 and d.day > 18 else 1.0)
        out[1] *= 1.0 + 0.2 * (d.month in (9, 10, 11))  # electronics: pre-holiday build
        out[2] *= 1.0 + 0.25 * (d.month == 12)  # food: Christmas
        out[3] *= 1.0 + 0.35 * (d.month in (10, 11))  # retail: stocking for Q4
        growth = np.array([0.03, 0.06, 0.02, 0.01, 0.025])
        return np.asarray(out * (1.0 + growth) ** years)

    def _orders(self, day: int) -> None:
        rng = self.rng_orders
        season = self._season(day)
        st = self.health._stress
        alive = self.health.alive
        # Buyers move orders away from failing suppliers; stressed buyers order less.
        lam = (self.l_rate * season[self.l_industry] * (1.0 - 0.5 * st[self.l_seller])
               * (1.0 - 0.3 * st[self.l_buyer]) * alive[self.l_seller] * alive[self.l_buyer])
        counts = rng.poisson(lam)
        links = np.flatnonzero(counts)
        if len(links) == 0:
            return
        links = np.repeat(links, counts[links])
        n = len(links)
        size = self.l_value[links] * season[self.l_industry[links]] * rng.lognormal(
            -0.125, 0.5, n)
        lead = np.maximum(1, np.rint(rng.lognormal(np.log(12), 0.4, n))).astype(np.int64)
        u_late, u_part = rng.random(n), rng.random(n)
        delay = rng.geometric(0.25, n)
        frac = rng.uniform(0.5, 0.95, n)
        rest_after = rng.integers(5, 21, n)
        book = self.book
        sched = self.sched["deliver"]
        for k in range(n):
            li = int(links[k])
            seller, buyer = int(self.l_seller[li]), int(self.l_buyer[li])
            amount = max(100_00, round(float(size[k]) * 100))
            oid = len(book.o_seller)
            book.o_seller.append(seller)
            book.o_buyer.append(buyer)
            book.o_day.append(day)
            book.o_amount.append(amount)
            s = float(st[seller])
            late = u_late[k] < 0.06 + 0.4 * s
            when = day + int(lead[k]) + (int(delay[k]) * (1 + int(8 * s)) if late else 0)
            if u_part[k] < 0.05 + 0.25 * s:
                first = int(amount * float(frac[k]))
                sched[self.weekday(when)].append((oid, first, first, late, True))
                sched[self.weekday(when + int(rest_after[k]))].append(
                    (oid, amount - first, amount - first, True, True))
            else:
                sched[self.weekday(when)].append((oid, amount, amount, late, False))
        self.stats.orders += n

    def _deliveries(self, day: int) -> None:
        todo = self.sched["deliver"].pop(day, None)
        if not todo:
            return
        book = self.book
        for oid, amount, ordered, late, partial in todo:
            seller, buyer = book.o_seller[oid], book.o_buyer[oid]
            if not (self.alive[seller] and self.alive[buyer]):
                continue  # a firm that defaulted neither delivers nor takes delivery
            billed = amount
            jump = self.jump.get(seller)
            if jump is not None and jump[0] <= day < jump[1]:
                # Unexplained volume: billed far above what was ordered and delivered.
                billed = scale(amount, jump[2])
            inv = self.issue(seller, buyer, oid, ordered, billed, day, day, TRADE,
                             late=late, partial=partial)
            if billed != amount:
                self.labels_add("volume_jump", firm=seller, invoice=inv, day=day,
                                amount=billed - amount,
                                detail={"factor": round(jump[2], 2) if jump else 1.0,
                                        "window_start": jump[0] if jump else -1,
                                        "window_end": jump[1] if jump else -1})

    def issue(self, seller: int, buyer: int, order: int, ordered: int, amount: int,
              day: int, delivered: int, kind: int, *, late: bool = False,
              partial: bool = False, number: str | None = None) -> int:
        """Record an invoice and schedule how it will be paid."""
        book = self.book
        rng = self.rng_behaviour
        i = len(book.i_seller)
        fb = self.firms[buyer]
        issue_day = self.weekday(day)
        if fb.kind == "anchor":
            terms = fb.terms_days
        else:
            u = rng.random()
            terms = 30 if u < 0.4 else (45 if u < 0.75 else 60)
        due = issue_day + terms
        book.i_seller.append(seller)
        book.i_buyer.append(buyer)
        book.i_order.append(order)
        book.i_ordered.append(ordered)
        book.i_amount.append(amount)
        book.i_credit.append(0)
        book.i_issue.append(issue_day)
        book.i_delivery.append(delivered)
        book.i_due.append(due)
        book.i_paid.append(-1)
        book.i_rcv.append(-1)
        book.i_cash_amt.append(0)
        book.i_cash_wdays.append(0)
        book.i_late_delivery.append(1 if late else 0)
        book.i_partial.append(1 if partial else 0)
        book.i_kind.append(kind)
        book.i_number.append(number or f"{self.prefix[seller]}-{self.date_of(issue_day).year}-"
                             f"{i:07d}")
        self.stats.invoices += 1
        # Without the network: the buyer pays cash at the due date plus its usual delay.
        sb = self.health.stress_of(buyer)
        if fb.kind == "anchor":
            lateness = int(rng.geometric(1 / (6 + 25 * sb))) if rng.random() < (
                fb.late_share * 4 + sb) else 0
        else:
            # European B2B reality: about half of invoices are paid late, by around two
            # weeks on average, and much later by a buyer in trouble.
            lateness = int(rng.geometric(1 / (12 + 45 * sb))) if rng.random() < (
                0.45 + 0.5 * sb) else 0
        cf = self.weekday(due + lateness)
        book.i_cf.append(cf)
        # Disputes (quality, quantity, price) end in a credit note some weeks later.
        ss = self.health.stress_of(seller)
        disputed = kind == TRADE and rng.random() < 0.02 + 0.10 * ss
        book.i_disputed.append(1 if disputed else 0)
        settle_on = issue_day
        if disputed:
            settle_on = self.weekday(issue_day + int(rng.integers(10, 31)))
            share = 1.0 if rng.random() < 0.08 else float(rng.uniform(0.05, 0.4))
            credit = scale(amount, share)
            book.i_credit[i] = credit
            book.pay(settle_on, seller, buyer, credit, "credit_note", invoice=i)
        if fb.kind == "anchor":
            if buyer in self.program_sets[seller]:
                book.i_channel.append(CONFIRMED)
                if book.i_credit[i] >= amount:
                    book.i_channel[i] = CANCELLED_INV
                elif kind == PHANTOM and rng.random() < 0.6:
                    book.i_channel[i] = REJECTED  # the anchor's three-way match caught it
                else:
                    wait = int(rng.integers(2, 9)) if kind == TRADE else int(
                        rng.integers(1, 4))
                    self.sched["confirm"][self.weekday(settle_on + wait)].append(i)
                return i
            book.i_channel.append(CASH)
        elif self.program_sets[seller] & self.program_sets[buyer]:
            # Paying with a piece of an anchor receivable costs the buyer no cash before
            # the piece matures, so buyers on the network pay on approval of the invoice
            # rather than at its due date (deep-tier supply-chain finance).
            book.i_channel.append(BY_RECEIVABLE)
            approve = max(issue_day + int(rng.integers(3, 11)), settle_on)
            # ... in the buyer's weekly payment run (each buyer has its own weekday).
            run = approve + (buyer % 5 - (self.start.weekday() + approve) % 7) % 7
            self.sched["pay_rcv"][run].append(i)
            return i
        else:
            book.i_channel.append(CASH)
        if book.i_credit[i] >= amount:
            book.i_channel[i] = CANCELLED_INV
        else:
            self.sched["cash"][max(cf, settle_on)].append(i)
        return i

    # --- fraud ---------------------------------------------------------------------------

    def _frauds(self, day: int) -> None:
        book = self.book
        for firm in self.sched["phantom"].pop(day, []):
            if not self.alive[firm]:
                continue
            anchors = self.firms[firm].programs
            buyer = anchors[int(self.rng_fraud.integers(len(anchors)))]
            typical = [li for li in self.firms[firm].customers if self.world.link_buyer[li]
                       == buyer]
            value = float(self.l_value[typical[0]]) if typical else 50_000.0
            amount = max(1000_00, round(value * float(self.rng_fraud.uniform(0.8, 1.6)) * 100))
            inv = self.issue(firm, buyer, -1, 0, amount, day, -1, PHANTOM)
            self.labels_add("phantom_invoice", firm=firm, invoice=inv, day=day, amount=amount,
                            outcome="rejected_by_buyer" if book.i_channel[inv] == REJECTED
                            else "presented")
        for original, variant in self.sched["duplicate"].pop(day, []):
            seller, buyer = book.i_seller[original], book.i_buyer[original]
            if not self.alive[seller]:
                continue
            number = book.i_number[original]
            if variant == "case":
                number = " " + number.lower()
            elif variant == "altered":
                choice = int(self.rng_fraud.integers(3))
                number = (number + "-1", number + "A", number[:-7] + "0" + number[-7:])[choice]
            inv = self.issue(seller, buyer, book.i_order[original], book.i_ordered[original],
                             book.i_amount[original], day, book.i_delivery[original],
                             DUPLICATE, number=number)
            self.labels_add("duplicate_invoice", firm=seller, invoice=inv, related=original,
                            day=day, variant=variant, amount=book.i_amount[original],
                            outcome="presented" if self.firms[buyer].kind == "anchor"
                            else "off_platform")

    def _maybe_duplicate(self, invoice: int, day: int, base: float = 0.003) -> None:
        """After an invoice is accepted, the seller may present it again (fraud)."""
        rate = base * self.config.fraud
        if rate <= 0 or self.rng_fraud.random() >= rate:
            return
        variant = str(self.rng_fraud.choice(["exact", "case", "altered", "altered"]))
        self.sched["duplicate"][self.weekday(day + int(self.rng_fraud.integers(3, 20)))].append(
            (invoice, variant))

    # --- platform: confirmations ---------------------------------------------------------

    def invoice_id(self, i: int) -> str:
        """The network id of invoice i, in its buyer's namespace (the anchor confirms it)."""
        return tagged_id("inv", self.firms[self.book.i_buyer[i]].org_id, str(i))

    def new_piece(self, holder: int, anchor: int, face: int, due: int, tag: int,
                  root_inv: int, *, creator: int) -> int:
        """A new piece, named in the namespace of the firm whose command creates it."""
        book = self.book
        p = len(book.p_holder)
        book.p_id.append(tagged_id("rcv", self.firms[creator].org_id, str(p)))
        book.p_holder.append(holder)
        book.p_anchor.append(anchor)
        book.p_face.append(face)
        book.p_due.append(due)
        book.p_inv.append(tag)
        book.p_root_inv.append(root_inv)
        book.p_status.append(NONE)
        book.p_enc.append(0)
        return p

    def activate(self, p: int) -> None:
        book = self.book
        book.p_status[p] = LIVE
        self.holdings[book.p_holder[p]].append(p)
        self.due_pieces[book.p_due[p]].append(p)

    def _confirmations(self, day: int) -> None:
        todo = self.sched["confirm"].pop(day, None)
        if not todo:
            return
        book = self.book
        items: list[tuple[str, c.Command]] = []
        meta: list[tuple[int, int, bool]] = []
        for i in todo:
            seller, anchor = book.i_seller[i], book.i_buyer[i]
            if not self.alive[anchor] or not self.alive[seller]:
                # No confirmation for an insolvent party: the invoice falls back to cash
                # (and is lost if the anchor itself has failed).
                book.i_channel[i] = CASH
                self.sched["cash"][max(day, book.i_cf[i])].append(i)
                continue
            net = book.i_amount[i] - book.i_credit[i]
            due = book.i_due[i]
            if due - day < 7:
                due = day + 7  # a late approval still gives the supplier a real maturity
                book.i_due[i] = due
            p = self.new_piece(seller, anchor, net, self.maturity(due), i, i, creator=anchor)
            needs_checker = net > APPROVAL_THRESHOLD_MINOR
            fa = self.firms[anchor]
            items.append((fa.maker, c.ConfirmInvoice(
                program_id(anchor), self.firms[seller].org_id, book.i_number[i], net,
                self.config.currency, self.date_of(due),
                invoice_id=self.invoice_id(i),
                receivable_id=book.p_id[p],
                approval_id=tagged_id("apr", fa.org_id, str(i)) if needs_checker else None)))
            meta.append((i, p, needs_checker))
        codes = self.platform.run(items)
        approvals: list[tuple[str, c.Command]] = []
        approved: list[tuple[int, int]] = []
        for (i, p, needs_checker), code in zip(meta, codes, strict=True):
            if code is not None:
                self._refused_confirmation(i, day, code)
                continue
            if needs_checker:
                buyer = self.firms[book.i_buyer[i]]
                approvals.append((buyer.checker or "", c.ApproveConfirmation(
                    tagged_id("apr", buyer.org_id, str(i)))))
                approved.append((i, p))
            else:
                self._confirmed(i, p, day)
        if approvals:
            for (i, p), code in zip(approved, self.platform.run(approvals), strict=True):
                if code is None:
                    self._confirmed(i, p, day)
                else:
                    self._refused_confirmation(i, day, code)

    def _refused_confirmation(self, i: int, day: int, code: str) -> None:
        book = self.book
        book.i_channel[i] = REFUSED_CASH
        for label in self._labels_for_invoice(i):
            label["outcome"] = f"refused:{code}"
        if book.i_kind[i] == DUPLICATE:
            return  # the platform caught it; the anchor pays the original only
        self.sched["cash"][max(day, book.i_cf[i])].append(i)

    def _labels_for_invoice(self, i: int) -> list[dict[str, Any]]:
        return self.label_index.get(i, [])

    def _confirmed(self, i: int, p: int, day: int) -> None:
        book = self.book
        book.i_rcv[i] = p
        self.activate(p)
        for label in self._labels_for_invoice(i):
            label["outcome"] = "confirmed"
            label["piece"] = p
        seller = book.i_seller[i]
        kind = book.i_kind[i]
        self._consider_financing(p, seller, day, eager=kind in (DUPLICATE, PHANTOM))
        rng = self.rng_behaviour
        if kind == TRADE:
            self._maybe_duplicate(i, day)
            if rng.random() < 0.06:
                self.sched["early"][self.weekday(day + int(rng.integers(3, 16)))].append(p)
            # Returned goods after confirmation: a credit note (dilution) against the
            # supplier; the anchor's undertaking stays irrevocable.
            if rng.random() < 0.01 + 0.04 * self.health.stress_of(seller):
                self.sched["dilute"][self.weekday(day + int(rng.integers(10, 41)))].append(
                    (i, False))

    def return_goods(self, invoice: int, day: int) -> None:
        """The buyer sends back everything delivered under a confirmed invoice: a full
        credit note, and the anchor cancels the receivable if the supplier still holds
        all of it (else the dilution is recovered from the supplier)."""
        self.sched["dilute"][self.weekday(day + 1)].append((invoice, True))

    def _dilutions(self, day: int) -> None:
        todo = self.sched["dilute"].pop(day, None)
        if not todo:
            return
        book = self.book
        rng = self.rng_behaviour
        items: list[tuple[str, c.Command]] = []
        cancels: list[int] = []
        for i, all_returned in todo:
            p = book.i_rcv[i]
            anchor, seller = book.i_buyer[i], book.i_seller[i]
            face = book.p_face[p]
            whole = all_returned or rng.random() < 0.15
            if (whole and book.p_status[p] == LIVE and book.p_holder[p] == seller
                    and not book.p_enc[p] and book.p_due[p] > day and self.alive[anchor]):
                items.append((self.firms[anchor].maker, c.CancelReceivable(
                    book.p_id[p], "goods returned in full; credit note issued")))
                cancels.append(i)
                continue
            credit = scale(face, float(rng.uniform(0.05, 0.3)))
            book.i_credit[i] += credit
            book.pay(day, seller, anchor, credit, "credit_note", invoice=i)
            if not self.alive[seller]:
                book.losses.append((day, anchor, credit, "dilution_unrecovered", i))
        for i, code in zip(cancels, self.platform.run(items), strict=True):
            p = book.i_rcv[i]
            if code is None:
                book.p_status[p] = CANCELLED
                book.i_credit[i] = book.i_amount[i]
                book.i_channel[i] = CANCELLED_INV
                book.pay(day, book.i_seller[i], book.i_buyer[i], book.p_face[p], "credit_note",
                         invoice=i)

    # --- platform: paying suppliers with receivables ----------------------------------------

    def _usable_piece(self, holder: int, programs: frozenset[int], amount: int,
                      day: int) -> int:
        """A live piece the holder may pass to a recipient in `programs`, worth >= amount."""
        book = self.book
        held = self.holdings[holder]
        k = 0
        while k < len(held):
            p = held[k]
            if book.p_status[p] != LIVE or book.p_holder[p] != holder or (
                    book.p_due[p] <= day):
                held[k] = held[-1]  # drop a stale entry (order does not matter)
                held.pop()
                continue
            if not book.p_enc[p] and book.p_due[p] > day + 5 and \
                    book.p_face[p] >= amount and book.p_anchor[p] in programs and \
                    self.alive[book.p_anchor[p]]:
                return p
            k += 1
        return -1

    def _transfer(self, items: list[tuple[str, c.Command]], payer: int, payee: int, p: int,
                  amount: int) -> tuple[int, int, int]:
        """Queue a (partial) transfer of piece p; return (new piece, part, remainder)."""
        book = self.book
        anchor, due = book.p_anchor[p], book.p_due[p]
        new = self.new_piece(payee, anchor, amount, due, -1, book.p_root_inv[p], creator=payer)
        if amount == book.p_face[p]:
            items.append((self.firms[payer].maker, c.TransferReceivable(
                book.p_id[p], self.firms[payee].org_id, new_receivable_id=book.p_id[new])))
            return new, -1, -1
        part = self.new_piece(payer, anchor, amount, due, -1, book.p_root_inv[p], creator=payer)
        rest = self.new_piece(payer, anchor, book.p_face[p] - amount, due, book.p_inv[p],
                              book.p_root_inv[p], creator=payer)
        items.append((self.firms[payer].maker, c.TransferReceivable(
            book.p_id[p], self.firms[payee].org_id, amount, new_receivable_id=book.p_id[new],
            part_id=book.p_id[part], remainder_id=book.p_id[rest])))
        return new, part, rest

    def _moved(self, p: int, new: int, part: int, rest: int, amount: int, day: int,
               invoice: int) -> None:
        book = self.book
        book.p_status[p] = CONSUMED
        if part >= 0:
            book.p_status[part] = CONSUMED
            self.activate(rest)
        book.p_inv[new] = invoice
        self.activate(new)
        self.realise(book.p_inv[p], amount, day)
        paid = self.bundles[-2 - invoice] if invoice <= -2 else [invoice]
        for i in paid:
            share = amount if len(paid) == 1 else book.i_amount[i] - book.i_credit[i]
            book.pay(day, book.p_holder[p], book.p_holder[new], share, "receivable_transfer",
                     invoice=i, piece=new)

    def _receivable_payments(self, day: int) -> None:
        todo = self.sched["pay_rcv"].pop(day, None)
        if not todo:
            return
        book = self.book
        items: list[tuple[str, c.Command]] = []
        meta: list[tuple[list[int], int, int, int, int, int]] = []
        reserved: set[int] = set()
        # A weekly payment run: everything a buyer owes one supplier today goes in one
        # transfer (one piece for the supplier to hold, sell or pass on).
        runs: dict[tuple[int, int], list[int]] = {}
        for i in todo:
            if self._payable(i, day) is not None:
                runs.setdefault((book.i_buyer[i], book.i_seller[i]), []).append(i)
        for (buyer, seller), invoices in runs.items():
            total = sum(book.i_amount[i] - book.i_credit[i] for i in invoices)
            groups = [invoices]
            p = self._piece_for(buyer, seller, total, day, reserved)
            if p < 0 and len(invoices) > 1:
                groups = [[i] for i in invoices]  # no piece big enough: invoice by invoice
            for group in groups:
                amount = sum(book.i_amount[i] - book.i_credit[i] for i in group)
                if len(groups) > 1:
                    p = self._piece_for(buyer, seller, amount, day, reserved)
                if p < 0:
                    for i in group:  # no usable receivable in hand: pay cash as usual
                        book.i_channel[i] = CASH
                        self.sched["cash"][max(day, book.i_cf[i])].append(i)
                    continue
                reserved.add(p)
                new, part, rest = self._transfer(items, buyer, seller, p, amount)
                meta.append((group, p, new, part, rest, amount))
        for (group, p, new, part, rest, amount), code in zip(meta, self.platform.run(items),
                                                              strict=True):
            if code is None:
                self._moved(p, new, part, rest, amount, day, self._tag(group))
                for i in group:
                    book.i_paid[i] = day
                self._consider_financing(new, book.i_seller[group[0]], day, as_payment=True)
            else:
                for i in group:
                    book.i_channel[i] = CASH
                    self.sched["cash"][max(day + 1, book.i_cf[i])].append(i)

    def _piece_for(self, buyer: int, seller: int, amount: int, day: int,
                   reserved: set[int]) -> int:
        if not self.alive[seller]:
            return -1
        p = self._usable_piece(buyer, self.program_sets[seller], amount, day)
        return -1 if p in reserved else p

    def _tag(self, invoices: list[int]) -> int:
        """What a piece's value pays for: one invoice (its index) or a payment run of
        several (a bundle, encoded as -2 - bundle index)."""
        if len(invoices) == 1:
            return invoices[0]
        self.bundles.append(invoices)
        return -2 - (len(self.bundles) - 1)

    def _rings(self, day: int) -> None:
        """Circular trading: related firms pass a piece around, each hop 'paying' a fake
        invoice, then sell it to a funder as if it were real trade."""
        if not self.world.rings or day % 10 != 3:
            return
        book = self.book
        items: list[tuple[str, c.Command]] = []
        plans = []
        for ring_id, ring in enumerate(self.world.rings):
            if not all(self.alive[m] for m in ring):
                continue
            program = set.intersection(*(set(self.firms[m].programs) for m in ring))
            if not program:
                continue
            usable = [(k, self._usable_piece(m, frozenset(program), 1, day + 10))
                      for k, m in enumerate(ring)]
            holding = [(k, p) for k, p in usable if p >= 0]
            if not holding:
                continue
            k, p = holding[0]
            # Round the circle from the member holding a piece, back to it.
            order = [*ring[k:], *ring[:k], ring[k]]
            amount = book.p_face[p]
            hops = []
            current = p
            for payer, payee in pairwise(order):
                inv = self.issue(payee, payer, -1, 0, amount, day, -1, RING)
                new = self.new_piece(payee, book.p_anchor[p], amount, book.p_due[p], -1,
                                     book.p_root_inv[p], creator=payer)
                items.append((self.firms[payer].maker, c.TransferReceivable(
                    book.p_id[current], self.firms[payee].org_id,
                    new_receivable_id=book.p_id[new])))
                hops.append((current, new, inv))
                self.labels_add("circular_trading", firm=payee, invoice=inv, piece=new, day=day,
                                ring=ring_id, amount=amount, outcome="transferred")
                current = new
            plans.append(hops)
        if not items:
            return
        codes = iter(self.platform.run(items))
        for hops in plans:
            ok = True
            for current, new, inv in hops:
                code = next(codes)
                if code is None and ok:
                    book.i_channel[inv] = BY_RECEIVABLE
                    book.i_paid[inv] = day
                    self._moved(current, new, -1, -1, book.p_face[current], day, inv)
                else:
                    ok = False
                    book.i_channel[inv] = PENDING
                    for label in self._labels_for_invoice(inv):
                        label["outcome"] = f"refused:{code}"
            if ok:
                self._consider_financing(hops[-1][1], book.p_holder[hops[-1][1]], day,
                                         eager=True)

    # --- platform: financing -------------------------------------------------------------

    def _consider_financing(self, p: int, holder: int, day: int, eager: bool = False,
                            as_payment: bool = False) -> None:
        """The holder decides whether (and when) to sell the piece for cash. A small firm
        paid with a receivable usually needs the cash, not a claim months away."""
        f = self.firms[holder]
        if f.kind != "supplier":
            return
        rng = self.rng_behaviour
        s = self.health.stress_of(holder)
        base = 0.6 + 0.1 * f.tier if as_payment else 0.18 + 0.1 * f.tier
        propensity = min(0.95, base + 0.5 * s)
        if eager or rng.random() < propensity:
            wait = 0 if eager else int(rng.integers(0, 3 if s > 0.4 else 12))
            self.sched["finance"][self.weekday(day + wait)].append((p, holder))

    def _rate(self, anchor: int, funder: int, days: int) -> str:
        h = float(self.firms[anchor].health_mean)
        spread = 0.003 + 0.05 * math.exp(-1.2 * (h - 1.0))
        rate = (BASE_RATE + spread + self.firms[funder].margin + 0.002 * days / 365
                + float(self.rng_market.normal(0, 0.0006)))
        return f"{max(0.005, rate):.4f}"

    def own_rate(self, firm: int) -> float:
        """What the firm would pay to borrow on its own name (the comparison for the
        report): money-market rate plus an SME spread by tier and by its health."""
        f = self.firms[firm]
        return BASE_RATE + 0.025 + 0.008 * f.tier + 0.07 * self.health.stress_of(firm)

    def _financing(self, day: int) -> None:
        todo = self.sched["finance"].pop(day, None)
        if not todo:
            return
        book = self.book
        rng = self.rng_market
        requests: list[tuple[str, c.Command]] = []
        req_meta: list[tuple[int, int, str]] = []
        seen: set[int] = set()
        wanted: list[tuple[int, int]] = []
        splits: list[tuple[str, c.Command]] = []
        split_meta: list[tuple[int, int, int, int]] = []
        behaviour = self.rng_behaviour
        for p, holder in todo:
            if (p in seen or book.p_status[p] != LIVE or book.p_holder[p] != holder
                    or book.p_enc[p] or book.p_due[p] - day < 10
                    or not self.alive[book.p_anchor[p]]):
                continue
            seen.add(p)
            face = book.p_face[p]
            if face >= 20_000_00 and behaviour.random() < 0.12:
                # Sell only what is needed: split the piece and finance one part.
                part = scale(face, float(behaviour.uniform(0.3, 0.7)))
                tag, root = book.p_inv[p], book.p_root_inv[p]
                a = self.new_piece(holder, book.p_anchor[p], part, book.p_due[p], tag, root,
                                   creator=holder)
                b = self.new_piece(holder, book.p_anchor[p], face - part, book.p_due[p], tag,
                                   root, creator=holder)
                splits.append((self.firms[holder].maker, c.SplitReceivable(
                    book.p_id[p], (part, face - part), (book.p_id[a], book.p_id[b]))))
                split_meta.append((p, a, b, holder))
                continue
            wanted.append((p, holder))
        for (p, a, b, holder), code in zip(split_meta, self.platform.run(splits), strict=True):
            if code is None:
                book.p_status[p] = CONSUMED
                self.activate(a)
                self.activate(b)
                wanted.append((a, holder))
            else:
                wanted.append((p, holder))
        for p, holder in wanted:
            self._ids["fin"] += 1
            fin = tagged_id("fin", self.firms[holder].org_id, str(self._ids["fin"]))
            requests.append((self.firms[holder].maker, c.RequestFinancing(book.p_id[p], fin)))
            req_meta.append((p, holder, fin))
        offers: list[tuple[str, c.Command]] = []
        offer_meta: list[tuple[int, int, int, str, str, int, int]] = []
        for (p, holder, fin), code in zip(req_meta, self.platform.run(requests), strict=True):
            if code is not None:
                continue
            book.p_enc[p] = 1
            anchor = book.p_anchor[p]
            funders = self.world.program_funders[anchor]
            days = book.p_due[p] - day
            # One or two funders bid (more would only add commands, not realism).
            first = int(rng.integers(len(funders)))
            chosen = [funders[first]]
            if len(funders) > 1 and rng.random() < 0.3:
                chosen.append(funders[(first + 1 + int(rng.integers(len(funders) - 1)))
                                      % len(funders)])
            for funder in chosen:
                self._ids["ofr"] += 1
                ofr = tagged_id("ofr", self.firms[funder].org_id, str(self._ids["ofr"]))
                rate = self._rate(anchor, funder, days)
                fees = 25_00 if funder % 2 else 0
                offers.append((self.firms[funder].maker, c.OfferFinancing(
                    fin, rate, self.date_of(day), fees, ofr)))
                offer_meta.append((p, holder, funder, fin, ofr, fees, days))
        best: dict[int, tuple[int, int, str, str, int, int, int, int, str]] = {}
        for (p, holder, funder, fin, ofr, fees, days), code, (_, cmd) in zip(
                offer_meta, self.platform.run(offers), offers, strict=True):
            if code is not None:
                continue
            assert isinstance(cmd, c.OfferFinancing)
            discount = discount_minor(book.p_face[p], Decimal(cmd.annual_rate), days, 360)
            proceeds = book.p_face[p] - discount - fees
            current = best.get(p)
            if current is None or proceeds > current[6]:
                best[p] = (holder, funder, fin, ofr, fees, discount, proceeds, days,
                           cmd.annual_rate)
        accepts: list[tuple[str, c.Command]] = []
        acc_meta: list[tuple[int, int, tuple[int, int, str, str, int, int, int, int, str]]] = []
        withdraws: list[tuple[str, c.Command]] = []
        withdrawn: list[int] = []
        for p, holder, fin in req_meta:
            if not book.p_enc[p] or book.p_holder[p] != holder:
                continue
            offer = best.get(p)
            if offer is None:
                withdraws.append((self.firms[holder].maker, c.WithdrawFinancingRequest(fin)))
                withdrawn.append(p)
                continue
            new = self.new_piece(offer[1], book.p_anchor[p], book.p_face[p], book.p_due[p], -1,
                                 book.p_root_inv[p], creator=holder)
            accepts.append((self.firms[holder].maker, c.AcceptFinancingOffer(
                offer[3], new_receivable_id=book.p_id[new])))
            acc_meta.append((p, new, offer))
        for (p, new, offer), code in zip(acc_meta, self.platform.run(accepts), strict=True):
            if code is None:
                holder, funder, _fin, _ofr, fees, discount, proceeds, days, rate = offer
                book.p_status[p] = CONSUMED
                book.p_enc[p] = 0
                self.activate(new)
                self.realise(book.p_inv[p], proceeds, day)
                book.pay(day, funder, holder, proceeds, "financing", invoice=book.p_inv[p],
                         piece=new)
                book.financings.append((day, p, holder, funder, book.p_face[p], rate, days,
                                        discount, fees, proceeds, self.own_rate(holder)))
            else:
                withdraws.append((self.firms[offer[0]].maker,
                                  c.WithdrawFinancingRequest(offer[2])))
                withdrawn.append(p)
        for p, code in zip(withdrawn, self.platform.run(withdraws), strict=True):
            if code is None:
                book.p_enc[p] = 0

    def _early_payments(self, day: int) -> None:
        todo = self.sched["early"].pop(day, None)
        if not todo:
            return
        book = self.book
        rng = self.rng_behaviour
        offers: list[tuple[str, c.Command]] = []
        meta: list[tuple[int, str, str, int]] = []
        for p in todo:
            anchor, holder = book.p_anchor[p], book.p_holder[p]
            if (book.p_status[p] != LIVE or book.p_enc[p] or book.p_due[p] - day < 10
                    or not self.alive[anchor]):
                continue
            self._ids["epo"] += 1
            epo = tagged_id("epo", self.firms[anchor].org_id, str(self._ids["epo"]))
            rate = f"{0.045 + 0.01 * (anchor % 3):.4f}"
            offers.append((self.firms[anchor].maker, c.OfferEarlyPayment(
                book.p_id[p], rate, self.date_of(day), epo)))
            meta.append((p, epo, rate, holder))
        accepts: list[tuple[str, c.Command]] = []
        acc_meta: list[tuple[int, str, int]] = []
        for (p, epo, rate, holder), code in zip(meta, self.platform.run(offers), strict=True):
            if code is not None:
                continue
            if rng.random() < 0.45 + 0.5 * self.health.stress_of(holder):
                accepts.append((self.firms[holder].maker, c.AcceptEarlyPayment(epo)))
                acc_meta.append((p, rate, holder))
        for (p, rate, holder), code in zip(acc_meta, self.platform.run(accepts), strict=True):
            if code is None:
                days = book.p_due[p] - day
                discount = discount_minor(book.p_face[p], Decimal(rate), days, 360)
                amount = book.p_face[p] - discount
                book.p_status[p] = PAID_EARLY
                self.realise(book.p_inv[p], amount, day)
                book.pay(day, book.p_anchor[p], holder, amount, "early_payment",
                         invoice=book.p_inv[p], piece=p)
                book.early.append((day, p, holder, book.p_anchor[p], book.p_face[p], rate,
                                   days, discount))

    # --- platform: maturity ------------------------------------------------------------------

    def _maturities(self, day: int) -> None:
        book = self.book
        rng = self.rng_behaviour
        settle: list[int] = []
        for p in self.due_pieces.pop(day, []):
            if book.p_status[p] != LIVE:
                continue
            anchor = book.p_anchor[p]
            if not self.alive[anchor]:
                self.sched["overdue"][day + 1].append(p)
                continue
            late_share = (self.firms[anchor].late_share * self.config.anchor_lateness
                          + 0.3 * self.health.stress_of(anchor))
            if rng.random() < late_share:
                u = rng.random()
                lateness = int(rng.integers(1, 6)) if u < 0.7 else (
                    int(rng.integers(6, 26)) if u < 0.92 else int(rng.integers(31, 91)))
                self.sched["late_settle"][self.weekday(day + lateness)].append(p)
                self.sched["overdue"][day + 1].append(p)
                continue
            settle.append(p)
        settle.extend(self.sched["late_settle"].pop(day, []))
        items: list[tuple[str, c.Command]] = []
        meta: list[int] = []
        for p in settle:
            if book.p_status[p] not in (LIVE, OVERDUE, DEFAULTED):
                continue
            anchor = book.p_anchor[p]
            if not self.alive[anchor]:
                continue
            items.append((self.firms[anchor].maker, c.SettleReceivable(book.p_id[p])))
            meta.append(p)
        for p, code in zip(meta, self.platform.run(items), strict=True):
            if code is None:
                kind = "settlement" if book.p_status[p] == LIVE else "late_settlement"
                book.p_status[p] = SETTLED
                book.p_enc[p] = 0
                holder = book.p_holder[p]
                self.realise(book.p_inv[p], book.p_face[p], day)
                book.pay(day, book.p_anchor[p], holder, book.p_face[p], kind,
                         invoice=book.p_inv[p], piece=p)
        marks: list[tuple[str, c.Command]] = []
        mark_meta: list[tuple[int, int]] = []
        for p in self.sched["overdue"].pop(day, []):
            if book.p_status[p] == LIVE:
                marks.append((self.operator_user, c.MarkOverdue(book.p_id[p])))
                mark_meta.append((p, OVERDUE))
                self.sched["mark_default"][book.p_due[p] + DEFAULT_AFTER_DAYS].append(p)
        for p in self.sched["mark_default"].pop(day, []):
            if book.p_status[p] == OVERDUE:
                marks.append((self.operator_user, c.MarkDefaulted(book.p_id[p])))
                mark_meta.append((p, DEFAULTED))
        for (p, status), code in zip(mark_meta, self.platform.run(marks), strict=True):
            if code is None:
                book.p_status[p] = status

    def _payable(self, i: int, day: int) -> int | None:
        """What the buyer still owes on invoice `i` today, or None: nothing is left, or
        the buyer has defaulted (then it is recorded as the seller's loss)."""
        book = self.book
        amount = book.i_amount[i] - book.i_credit[i]
        if amount <= 0:
            return None
        if not self.alive[book.i_buyer[i]]:
            book.i_channel[i] = UNPAID
            book.losses.append((day, book.i_seller[i], amount, "buyer_defaulted", i))
            return None
        return amount

    # --- cash (off the platform) -------------------------------------------------------------

    def _cash_payments(self, day: int) -> None:
        todo = self.sched["cash"].pop(day, None)
        if not todo:
            return
        book = self.book
        for i in todo:
            amount = self._payable(i, day)
            if amount is None:
                continue
            buyer, seller = book.i_buyer[i], book.i_seller[i]
            book.i_paid[i] = day
            self.realise(i, amount, day)
            book.pay(day, buyer, seller, amount, "invoice_cash", invoice=i)
            if book.i_kind[i] == TRADE and self.firms[buyer].kind != "anchor":
                self._maybe_duplicate(i, day, 0.001)

    def realise(self, invoice: int, amount: int, day: int) -> None:
        """The seller of `invoice` turned `amount` of what it was paid into cash (or used
        it as cash) on `day`: for the days-from-invoice-to-cash measure."""
        if invoice == -1:
            return
        book = self.book
        if invoice <= -2:
            # A payment run: share the amount out pro rata, the remainder to the last.
            invoices = self.bundles[-2 - invoice]
            nets = [book.i_amount[i] - book.i_credit[i] for i in invoices]
            total, given = sum(nets), 0
            for k, (i, net) in enumerate(zip(invoices, nets, strict=True)):
                share = amount - given if k == len(invoices) - 1 else amount * net // total
                given += share
                book.i_cash_amt[i] += share
                book.i_cash_wdays[i] += share * (day - book.i_issue[i])
            return
        book.i_cash_amt[invoice] += amount
        book.i_cash_wdays[invoice] += amount * (day - book.i_issue[invoice])

    def _close_books(self) -> None:
        """Pieces still outstanding are cash at maturity for their holder (projected);
        pieces of a defaulted anchor are losses."""
        book = self.book
        for p in range(len(book.p_status)):
            status = book.p_status[p]
            if status in (LIVE, OVERDUE, DEFAULTED):
                anchor = book.p_anchor[p]
                if self.alive[anchor]:
                    self.realise(book.p_inv[p], book.p_face[p], book.p_due[p])
                elif status == DEFAULTED:
                    book.losses.append((self.end_day, book.p_holder[p], book.p_face[p],
                                        "anchor_defaulted", book.p_root_inv[p]))


def program_id(anchor: int) -> str:
    """The platform id of an anchor's program, in the anchor's namespace."""
    return f"prg_sim{anchor:05d}.scf"


def _median(tier: int) -> float:
    return MEDIAN_SALES.get(tier, 1e6)


def _number_prefix(name: str) -> str:
    letters = [ch for ch in name.upper() if "A" <= ch <= "Z"]
    return "".join(letters[:2]) + "R" if len(letters) >= 2 else "INV"


def scale(amount: int, factor: float) -> int:
    """amount x factor (a float from a random process), rounded half-even to the minor
    unit through Decimal: the float never touches the amount itself."""
    product = Decimal(amount) * Decimal(f"{factor:.4f}")
    return int(product.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def _round_up(value: int, step: int) -> int:
    return -(-value // step) * step


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, 28))
