"""The demo network: a small simulated economy, driven through every operation of the
receivables core by the app layer (never by writing tables).

Two anchors, two funders and suppliers in three tiers trade for three months, then the
clock runs on until every receivable has matured: confirmations (with maker-checker),
splits and transfers down the chain, financing with competing offers, early payment,
cancellation after returned goods, settlement, overdue and default. Midway, the demo also
tries a handful of things the network must refuse, and shows the error codes it gives.

That history ends some weeks before `today` (the real date, unless given), and the last
chapter (`openscf.sim.demo_today`) leaves one program as a business finds it on an
ordinary day: payables outstanding, pieces held down the chain, open financing requests,
an early-payment offer, approvals waiting, something overdue.

Deterministic for a given `today`: a fixed clock, a seeded economy and seeded ids, so two
runs on the same day tell the same story.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from openscf.domain import commands as c
from openscf.domain.errors import OpenSCFError
from openscf.domain.events import parse_instant
from openscf.domain.ids import tagged_id
from openscf.domain.money import format_minor
from openscf.domain.replay import replay
from openscf.sim.config import SimConfig
from openscf.sim.confirmation import APPROVAL_THRESHOLD_MINOR, program_id
from openscf.sim.economy import Economy
from openscf.sim.ledger import LIVE, SPLIT, TRANSFERRED
from openscf.store import tables as t
from openscf.store.queries import (
    count_events_by_type,
    iter_events,
    list_organisations,
    load_exposures,
    stored_receivables,
)
from openscf.store.uow import unit_of_work

__all__ = ["DEMO_CONFIG", "OPERATOR_NAME", "DemoResult", "demo_start_date", "run_demo"]

# The simulated history (three months of trade, the run-off to the last maturity and
# default, then the trade leg's sixty days) takes 270 to 370 days, depending on the
# calendar; it starts this long before `today`, on a Monday, so that it ends before
# today's story (its last month) begins.
HISTORY_DAYS = 400

OPERATOR_NAME = "openscf demo operator"
DEMO_CONFIG = SimConfig(
    firms=36,
    months=3,
    seed=20260105,
    start=date(2026, 1, 5),
    run_off=True,
    fraud=1.0,
    anchor_lateness=6.0,
    batch_size=1000,
)
PROBE_DAY = 38  # a Thursday, with pieces in every state to try wrong things on
SHOWN = 12  # financings listed in the summary (the operation counts give the totals)


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
    # The trade leg: UBL documents in, pain.001 out, camt.053 back (openscf.sim.trade_demo).
    trade: dict[str, Any] = field(default_factory=dict)
    # The last chapter: the network on `today` (openscf.sim.demo_today.TodayStory).
    today: dict[str, Any] = field(default_factory=dict)

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
            "trade": self.trade,
            "today": self.today,
        }


class _Probes:
    """Wrong moves tried once, midway, against real pieces: each must be refused."""

    def __init__(self, result: DemoResult) -> None:
        self.result = result
        self.done = False
        # The large confirmation, once its checker approved it: (obligor's user, maturity).
        self.large: tuple[str, date, str] | None = None

    def refused(self, e: Economy, user: str, command: c.Command, why: str) -> None:
        try:
            e.platform.service.handle(user, command)
        except OpenSCFError as exc:
            self.result.rejected.append({"attempt": why, "code": exc.code, "message": exc.message})
            self.result.operations["rejected"] += 1
        else:  # pragma: no cover - the demo's own consistency check
            raise AssertionError(f"the network accepted: {why}")

    def __call__(self, e: Economy, day: int) -> None:
        if self.large is not None and e.date_of(day) >= self.large[1]:
            # The anchor pays the large confirmation at maturity, like any other.
            e.platform.service.handle(self.large[0], c.SettleReceivable(self.large[2]))
            self.result.operations["SettleReceivable"] += 1
            self.large = None
        if self.done or day < PROBE_DAY or (e.start.weekday() + day) % 7 >= 5:
            return
        self.done = True
        b = e.book
        live = [
            p
            for p in range(len(b.piece_status))
            if b.piece_status[p] == LIVE
            and e.firms[b.piece_holder[p]].kind == "supplier"
            and not b.piece_is_encumbered[p]
            and b.piece_due_day[p] > day + 5
        ]
        moved = [
            p
            for p in range(len(b.piece_status))
            if b.piece_status[p] in (SPLIT, TRANSFERRED)
            and e.firms[b.piece_holder[p]].kind == "supplier"
        ]
        confirmed = [i for i in range(len(b.invoice_piece)) if b.invoice_piece[i] >= 0]
        if not (live and moved and confirmed):  # pragma: no cover - seed-dependent
            raise AssertionError("the demo economy is too small to show refusals")
        piece, old = live[0], moved[0]
        holder = e.firms[b.piece_holder[piece]]
        anchor = e.firms[b.piece_anchor[piece]]
        other = next(e.firms[s] for s in e.world.suppliers if s != b.piece_holder[piece])
        invoice = confirmed[0]
        seller = e.firms[b.invoice_seller[invoice]]
        buyer = e.firms[b.invoice_buyer[invoice]]
        today = e.date_of(day)
        # A large confirmation waits for a second user; its maker may not approve it.
        large_id, approval_id = (
            tagged_id(prefix, anchor.org_id, "demo-large") for prefix in ("rcv", "apr")
        )
        e.platform.service.handle(
            anchor.maker,
            c.ConfirmInvoice(
                program_id(anchor.idx),
                holder.org_id,
                "DEMO-LARGE-1",
                APPROVAL_THRESHOLD_MINOR + 1_000_00,
                "EUR",
                today + timedelta(days=60),
                invoice_id=tagged_id("inv", anchor.org_id, "demo-large"),
                receivable_id=large_id,
                approval_id=approval_id,
            ),
        )
        self.result.operations["ConfirmationRequested"] += 1
        self.refused(
            e,
            anchor.maker,
            c.ApproveConfirmation(approval_id),
            "the maker approves its own large confirmation",
        )
        # Its checker approves it (so no stale approval waits in the queue of today).
        assert anchor.checker is not None
        e.platform.service.handle(anchor.checker, c.ApproveConfirmation(approval_id))
        self.result.operations["ApproveConfirmation"] += 1
        with unit_of_work(e.platform.service.engine) as uow:
            large = uow.state.receivable(large_id)
            assert large is not None
            self.large = (anchor.maker, large.due_on, large_id)
        self.refused(
            e,
            buyer.maker,
            c.ConfirmInvoice(
                program_id(buyer.idx),
                seller.org_id,
                b.invoice_number[invoice],
                10_00,
                "EUR",
                today + timedelta(days=30),
            ),
            "the same invoice confirmed twice",
        )
        self.refused(
            e,
            buyer.maker,
            c.ConfirmInvoice(
                program_id(buyer.idx),
                seller.org_id,
                "DEMO-FAR-1",
                10_00,
                "EUR",
                today + timedelta(days=400),
            ),
            "a maturity past the program's maximum tenor",
        )
        self.refused(
            e,
            e.firms[b.piece_holder[old]].maker,
            c.TransferReceivable(b.piece_id[old], other.org_id),
            "moving a piece that was already consumed",
        )
        self.refused(
            e,
            other.maker,
            c.TransferReceivable(b.piece_id[piece], holder.org_id),
            "a supplier moving a piece it does not hold",
        )
        self.refused(
            e,
            holder.maker,
            c.SplitReceivable(b.piece_id[piece], (1, 1)),
            "split pieces that do not sum to the face",
        )
        self.refused(
            e, anchor.maker, c.SettleReceivable(b.piece_id[piece]), "settling before maturity"
        )
        self.refused(
            e,
            holder.maker,
            c.SettleReceivable(b.piece_id[piece]),
            "settlement by someone other than the obligor",
        )
        # And one delivery comes back in full: the anchor will cancel its receivable.
        whole = next(
            (
                i
                for i in confirmed
                if b.piece_status[b.invoice_piece[i]] == LIVE
                and b.piece_holder[b.invoice_piece[i]] == b.invoice_seller[i]
                and not b.piece_is_encumbered[b.invoice_piece[i]]
                and b.piece_due_day[b.invoice_piece[i]] > day + 5
            ),
            None,
        )
        if whole is not None:
            e.return_goods(whole, day)


def run_demo(
    engine: Engine,
    progress: Callable[[str], None] = lambda _: None,
    *,
    files_dir: Path | None = None,
    today: date | None = None,
) -> DemoResult:
    """Run the demo economy on an empty, migrated database.

    With `files_dir`, the trade leg follows: an anchor's invoices arrive as UBL documents
    (with their orders and despatch advices, three-way matched), settlements leave as
    pain.001 files and are reconciled from the camt.053 the bank sends back; its files
    are written under `files_dir`.

    Then today's story (`openscf.sim.demo_today`), up to the day before `today` (default:
    the real date, UTC, which is the date the served network's clock will show).
    """
    from openscf.sim.demo_today import run_today_story

    today = today or datetime.now(UTC).date()
    result = DemoResult()
    probes = _Probes(result)
    last = {"what": ""}

    def on_progress(what: str, _done: int, _total: int) -> None:
        if what != last["what"]:
            last["what"] = what
            progress(what)

    economy = Economy(
        engine,
        replace(DEMO_CONFIG, start=demo_start_date(today)),
        progress=on_progress,
        on_day=probes,
        operator_name=OPERATOR_NAME,
    )
    economy.run()
    # The run-off's last days may be quiet on the platform (cash paid off it): the next
    # chapter starts the day after the last event.
    with engine.connect() as conn:
        last_event = parse_instant(
            conn.execute(select(func.max(t.events.c.occurred_at))).scalar_one()
        )
    economy.platform.clock.set(
        datetime.combine(last_event.date() + timedelta(days=1), time(9, 0), tzinfo=UTC)
    )
    if files_dir is not None:
        from openscf.sim.trade_demo import run_trade_demo

        # It moves the clock on to the trades' maturity.
        trade = run_trade_demo(
            engine,
            economy.platform.service,
            out_dir=files_dir,
            operator_user=economy.operator_user,
            progress=progress,
        )
        result.trade = trade.to_dict()
        if not trade.ok:
            result.violations.append("trade_leg_incomplete: not every payment reconciled")
    result.today = run_today_story(
        engine, economy, today, files_dir=files_dir, progress=progress
    ).to_dict()
    progress("checking the invariants")
    summary = _summarise(economy, engine, result)
    if result.trade and not result.trade.get("ok"):
        summary.invariants_ok = False
    return summary


def _summarise(e: Economy, engine: Engine, result: DemoResult) -> DemoResult:
    b = e.book
    names = {f.org_id: f.name for f in e.firms}
    result.operations.update(e.platform.accepted)
    # Refusals by the platform during the simulation itself (duplicate invoices, limits):
    # one line per kind, with how often it happened.
    for (command, code), n in sorted(e.platform.refused.items()):
        result.rejected.append(
            {
                "attempt": f"in the simulation: {command} ({n}x)",
                "code": code,
                "message": e.platform.examples[(command, code)],
            }
        )
        result.operations["rejected"] += n
    for day, _p, holder, funder, face, rate, days, discount, fees, proceeds, _own in b.financings[
        :SHOWN
    ]:
        result.financings.append(
            {
                "holder": e.firms[holder].name,
                "funder": e.firms[funder].name,
                "face": format_minor(face, "EUR"),
                "annual_rate": rate,
                "days": days,
                "discount": format_minor(discount, "EUR"),
                "fees": format_minor(fees, "EUR"),
                "proceeds": format_minor(proceeds, "EUR"),
                "value_date": e.date_of(day).isoformat(),
            }
        )
    for _day, _p, holder, _anchor, face, rate, days, discount in b.early_payments:
        result.early_payments.append(
            {
                "supplier": e.firms[holder].name,
                "annual_rate": rate,
                "days": days,
                "discount": format_minor(discount, "EUR"),
                "paid": format_minor(face - discount, "EUR"),
            }
        )
    for k in range(len(b.payment_day)):
        if b.payment_kind[k] in ("settlement", "late_settlement"):
            result.settlements.append(
                {
                    "receivable_id": b.piece_id[b.payment_piece[k]],
                    "payee": e.firms[b.payment_payee[k]].name,
                    "amount": format_minor(b.payment_amount_minor[k], "EUR"),
                    "value_date": e.date_of(b.payment_day[k]).isoformat(),
                }
            )
    with engine.connect() as conn:
        check = replay(iter_events(conn))
        stored = {r.id: r for r in stored_receivables(conn)}
        exposures = load_exposures(conn)
        organisations = list_organisations(conn)
        result.organisations = len(organisations)
        # The trade-documents story's firms are not in the economy: name them from the store.
        names = {o.id: o.name for o in organisations} | names
        result.events = check.events
        result.violations = [f"{v.code}: {v.message}" for v in check.violations]
        # The replayed state must equal the stored state, piece by piece.
        if stored != check.state.receivables:
            result.violations.append("state_mismatch: stored receivables differ from replay")
        if {k: v for k, v in exposures.items() if v} != {
            k: v for k, v in check.state.exposures.items() if v
        }:
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
            {
                "holder": names.get(h, h),
                "pieces": n,
                "face_held": format_minor(total, "EUR"),
                "outstanding": format_minor(out, "EUR"),
            }
            for h, (n, total, out) in sorted(by_holder.items(), key=lambda kv: -kv[1][1])
        ]
        result.operations["events_logged"] = sum(count_events_by_type(conn).values())
    return result


def demo_start_date(today: date | None = None) -> date:
    """The Monday the simulated history starts on: `HISTORY_DAYS` or a few more before
    `today` (default: the real date, UTC)."""
    day = (today or datetime.now(UTC).date()) - timedelta(days=HISTORY_DAYS)
    return day - timedelta(days=day.weekday())
