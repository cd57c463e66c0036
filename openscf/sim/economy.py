"""The life of a simulated economy, day by day, driving the platform through the app layer.

`Economy` holds the state every mechanism shares (the world, the random streams, the
ledger, the agenda of scheduled actions, who is still alive) and `Economy.run` calls the
mechanisms in a fixed order each day. Each mechanism is one module:

- `defaults.py`: weekly, every firm's hidden health moves; firms below zero default;
- `trade.py`: orders, deliveries, invoices (with their terms, disputes and routing) and
  the buyers' cash payments, all off the platform;
- `fraud.py`: duplicates, phantoms, circular trading rings and volume jumps, labelled;
- `confirmation.py`: anchors confirm their onboarded suppliers' invoices (maker-checker
  above the program's threshold), which issues receivable pieces;
- `dilution.py`: goods returned after confirmation: credit notes or a cancelled piece;
- `transfer.py`: suppliers pay their own suppliers with pieces, down the tiers;
- `finance.py`: holders sell pieces to funders (request, competing offers, acceptance of
  the best), anchors offer early payment;
- `settlement.py`: at maturity the anchor settles every live piece, or pays late, in
  part first when stressed (overdue, then defaulted); at the end, what is outstanding;
- `recovery.py`: a defaulted anchor is declared in default on the platform (operator
  maker-checker); the administrator's recoveries come months later, then the claim closes;
- `onboarding.py`: the network's registration on the platform before day one, and the
  suppliers that join the anchors' programs later, during the trading months;
- `ledger.py`: the simulator's own books (struct of arrays) and the ground truth.

Amounts are integer minor units; floats only drive the hidden random processes and are
converted to amounts with explicit rounding (`ledger.scale_minor`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Engine

from openscf.domain.calendar import modified_following
from openscf.domain.ids import tagged_id
from openscf.sim import (
    confirmation,
    defaults,
    dilution,
    finance,
    fraud,
    onboarding,
    recovery,
    settlement,
    trade,
    transfer,
)
from openscf.sim.config import SimConfig
from openscf.sim.draws import Draws
from openscf.sim.health import HealthProcess
from openscf.sim.ledger import LIVE, Ledger
from openscf.sim.platform import Platform
from openscf.sim.pricing import Market, Pricing
from openscf.sim.settlement import DEFAULT_AFTER_DAYS
from openscf.sim.world import INDUSTRIES, World, build_world

__all__ = ["Economy"]

OPERATOR_NAME = "openscf simulated network operator"

# The agenda: actions scheduled for a day, by kind. Each list is consumed on its day by
# the mechanism that owns it.
AGENDA = (
    "deliver",
    "confirm",
    "pay_in_cash",
    "pay_with_receivable",
    "sell",
    "offer_early_payment",
    "dilute",
    "settle_late",
    "mark_overdue",
    "mark_defaulted",
    "present_duplicate",
    "present_phantom",
    "declare_default",
    "recover",
    "close_claim",
    "put_back",
    "pay_recourse",
    "join",
)


@dataclass
class Stats:
    orders: int = 0
    invoices: int = 0
    days: int = 0


class Economy:
    """Builds the world, then runs it day by day against a platform on `engine`."""

    def __init__(
        self,
        engine: Engine,
        config: SimConfig,
        progress: Callable[[str, int, int], None] | None = None,
        on_commands: Callable[[int], None] | None = None,
        on_day: Callable[[Economy, int], None] | None = None,
        operator_name: str = OPERATOR_NAME,
        pricing: Pricing | None = None,
    ) -> None:
        self.config = config
        self.operator_name = operator_name
        self.operator_user = ""
        self.on_day = on_day
        seeds = np.random.SeedSequence(config.seed).spawn(6)
        self.rng_world, self.rng_orders, self.rng_health, behaviour, self.rng_fraud, market = (
            np.random.default_rng(s) for s in seeds
        )
        # Per-invoice and per-piece decisions: scalar draws, pre-drawn in blocks.
        self.rng_behaviour, self.rng_market = Draws(behaviour), Draws(market)
        # The gap between a delivery and its invoice (openscf.sim.trade.PAPERWORK_STREAM).
        self.rng_paperwork = np.random.default_rng([config.seed, trade.PAPERWORK_STREAM])
        self.world: World = build_world(config, self.rng_world)
        self.firms = self.world.firms
        self.founded_on = _founding_dates(
            self.world, np.random.default_rng(np.random.SeedSequence(config.seed).spawn(7)[6])
        )
        self.start = config.start
        self.trading_days = (_add_months(config.start, config.months) - config.start).days
        self.end_day = -1
        start_at = datetime(config.start.year, config.start.month, config.start.day, 8, tzinfo=UTC)
        self.platform = Platform(engine, start_at, config.seed, config.batch_size, on_commands)
        self.progress = progress or (lambda _what, _done, _total: None)
        self.book = Ledger()
        self.stats = Stats()
        n = len(self.firms)
        sigma = np.array(
            [
                0.85 if f.kind == "supplier" else (0.3 if f.kind == "anchor" else 0.0)
                for f in self.firms
            ]
        )
        industry = np.array(
            [INDUSTRIES.index(f.industry) if f.industry in INDUSTRIES else 0 for f in self.firms]
        )
        self.health = HealthProcess(
            self.rng_health,
            np.array([f.health_mean for f in self.firms]),
            sigma,
            industry,
            len(INDUSTRIES),
        )
        self.alive = [True] * n
        self.contagion_day: dict[int, int] = {}  # firm -> when a buyer's default hit it
        self.recourse_failed: set[int] = set()  # sellers that could not pay a put-back
        self.seller_by_namespace: dict[str, int] = {}
        # From 1,000 firms on (or when asked) one anchor is failing: it defaults about
        # half-way through the trading months.
        self.failing_anchor = -1
        if config.anchor_default or config.firms >= 1000:
            self.failing_anchor = self.world.anchors[-1]
            weak = self.firms[self.failing_anchor]
            weak.late_share = max(weak.late_share, 0.12)
            self.health.decline(self.failing_anchor, self.trading_days / 7 * 0.5)
        self.program_sets = [frozenset(f.programs) for f in self.firms]
        # The pieces each firm may hold (stale entries are dropped when found).
        self.holdings: list[list[int]] = [[] for _ in range(n)]
        self.agenda: dict[str, defaultdict[int, list[Any]]] = {k: defaultdict(list) for k in AGENDA}
        self.due_pieces: defaultdict[int, list[int]] = defaultdict(list)
        self._maturity: dict[int, int] = {}
        self._ids = {"fin": 0, "ofr": 0, "epo": 0}
        self.numbering = trade.Numbering.for_firms(
            [f.name for f in self.firms], config.seed, config.start.year
        )
        self.links = trade.trade_links(self)
        self.fraud_plan = fraud.plan_fraud(self)
        # Funders' bids and anchors' early-payment rates (the seam for a credit model).
        self.market = Market(self, pricing)
        self.join_day = onboarding.plan_late_joiners(
            self, np.random.default_rng(np.random.SeedSequence(config.seed).spawn(8)[7])
        )

    @property
    def phantom_firms(self) -> list[int]:
        return self.fraud_plan.phantom_firms

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

    # --- shared bookkeeping --------------------------------------------------------------

    def next_id(self, prefix: str, firm: int) -> str:
        """The next platform id of a financing request (fin), offer (ofr) or early-payment
        offer (epo), in the namespace of `firm`, whose command creates it."""
        self._ids[prefix] += 1
        return tagged_id(prefix, self.firms[firm].org_id, str(self._ids[prefix]))

    def invoice_id(self, i: int) -> str:
        """The network id of invoice i, in its buyer's namespace (the anchor confirms it)."""
        return tagged_id("inv", self.firms[self.book.invoice_buyer[i]].org_id, str(i))

    def activate(self, p: int) -> None:
        """The platform issued piece p: it is live, held, and due on its day."""
        book = self.book
        book.piece_status[p] = LIVE
        self.holdings[book.piece_holder[p]].append(p)
        self.due_pieces[book.piece_due_day[p]].append(p)

    def return_goods(self, invoice: int, day: int) -> None:
        """See `dilution.return_goods`."""
        dilution.return_goods(self, invoice, day)

    def has_recourse(self, anchor: int) -> bool:
        """Every other anchor's program finances with recourse (the failing one's too)."""
        return self.world.anchors.index(anchor) % 2 == 1 or anchor == self.failing_anchor

    def setup(self) -> None:
        """Register the network on the platform (see `onboarding.py`)."""
        onboarding.onboard(self)

    # --- the day loop ------------------------------------------------------------------------

    def run(self) -> None:
        self.progress("setting up the network", 0, 1)
        self.setup()
        day = 0
        last_work = self.trading_days
        while day < self.trading_days or (self.config.run_off and day <= last_work):
            self._run_day(day)
            if self.config.run_off and day >= self.trading_days - 1:
                last_work = max(last_work, self._last_scheduled())
            self.stats.days = day + 1
            self.progress("simulating days", day + 1, max(self.trading_days, last_work + 1))
            day += 1
        defaults.snapshot_health(self, day)
        self.end_day = day
        settlement.close_books(self, day)

    def _run_day(self, day: int) -> None:
        """One day: the order of the steps is part of the history (same seed, same run).
        The platform's work of the day is one transaction (`Platform.session`)."""
        self.platform.clock.set(
            datetime.combine(self.date_of(day), datetime.min.time(), UTC) + timedelta(hours=9)
        )
        with self.platform.session():
            self._day_on_platform(day)
        if self.on_day is not None:
            self.on_day(self, day)

    def _day_on_platform(self, day: int) -> None:
        if day % 7 == 0:
            defaults.move_health(self, day)
        recovery.work_claims(self, day)
        onboarding.join_late(self, day)
        if day % 30 == 0:
            defaults.snapshot_health(self, day)
        is_working_day = (self.start.weekday() + day) % 7 < 5
        trade.deliver(self, day)
        if day < self.trading_days and is_working_day:
            trade.place_orders(self, day)
            fraud.present_fraud(self, day)
        confirmation.confirm_invoices(self, day)
        dilution.dilute(self, day)
        transfer.pay_with_receivables(self, day)
        if is_working_day:
            fraud.trade_in_rings(self, day)
        finance.sell_pieces(self, day)
        finance.offer_early_payments(self, day)
        settlement.settle_maturities(self, day)
        trade.pay_in_cash(self, day)

    def _last_scheduled(self) -> int:
        last = 0
        for table in self.agenda.values():
            if table:
                last = max(last, max(table))
        if self.due_pieces:
            last = max(last, max(self.due_pieces) + DEFAULT_AFTER_DAYS + 2)
        return last


def _founding_dates(world: World, rng: np.random.Generator) -> list[date]:
    """When each firm was founded (known from the start): anchors and funders decades
    ago; suppliers younger, and the weaker the younger (young firms fail more often)."""
    start = world.config.start
    dates = []
    for f in world.firms:
        median_years = 40.0 if f.kind != "supplier" else 3.0 + 4.0 * max(0.0, f.health_mean)
        years = max(0.3, float(rng.lognormal(np.log(median_years), 0.6)))
        dates.append(start - timedelta(days=round(years * 365.25)))
    return dates


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, 28))
