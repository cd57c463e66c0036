"""Confirmation: an anchor confirms its onboarded suppliers' invoices on the platform.

Each confirmation issues a receivable piece held by the supplier; above the program's
approval threshold the anchor's checker must approve it (maker-checker). A refused
confirmation falls back to cash (a duplicate the platform caught is not paid at all). A
confirmed trade invoice may later be presented again (`fraud.py`), paid early
(`finance.py`) or diluted by returned goods (`dilution.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from openscf.domain import commands as c
from openscf.domain.ids import tagged_id
from openscf.sim import finance, fraud
from openscf.sim.ledger import CASH, DUPLICATE, PHANTOM, REFUSED_CASH, TRADE

if TYPE_CHECKING:
    from openscf.sim.economy import Economy

__all__ = ["APPROVAL_THRESHOLD_MINOR", "confirm_invoices", "program_id"]

APPROVAL_THRESHOLD_MINOR = 500_000_00
MIN_TENOR_DAYS = 7  # a late approval still gives the supplier a real maturity


def program_id(anchor: int) -> str:
    """The platform id of an anchor's program, in the anchor's namespace."""
    return f"prg_sim{anchor:05d}.scf"


def confirm_invoices(e: Economy, day: int) -> None:
    """Anchors confirm today's invoices; large ones wait for the anchor's checker."""
    todo = e.agenda["confirm"].pop(day, None)
    if not todo:
        return
    book = e.book
    items: list[tuple[str, c.Command]] = []
    meta: list[tuple[int, int, bool]] = []
    for i in todo:
        seller, anchor = book.invoice_seller[i], book.invoice_buyer[i]
        if not e.alive[anchor] or not e.alive[seller]:
            # No confirmation for an insolvent party: the invoice falls back to cash
            # (and is lost if the anchor itself has failed).
            book.invoice_channel[i] = CASH
            e.agenda["pay_in_cash"][max(day, book.invoice_cash_day[i])].append(i)
            continue
        net = book.net_minor(i)
        due_day = book.invoice_due_day[i]
        if due_day - day < MIN_TENOR_DAYS:
            due_day = day + MIN_TENOR_DAYS
            book.invoice_due_day[i] = due_day
        anchor_firm = e.firms[anchor]
        p = book.add_piece(
            seller, anchor, net, e.maturity(due_day), i, i, creator_org_id=anchor_firm.org_id
        )
        needs_checker = net > APPROVAL_THRESHOLD_MINOR
        items.append(
            (
                anchor_firm.maker,
                c.ConfirmInvoice(
                    program_id(anchor),
                    e.firms[seller].org_id,
                    book.invoice_number[i],
                    net,
                    e.config.currency,
                    e.date_of(due_day),
                    invoice_id=e.invoice_id(i),
                    receivable_id=book.piece_id[p],
                    approval_id=tagged_id("apr", anchor_firm.org_id, str(i))
                    if needs_checker
                    else None,
                ),
            )
        )
        meta.append((i, p, needs_checker))
    codes = e.platform.run(items)
    approvals: list[tuple[str, c.Command]] = []
    approved: list[tuple[int, int]] = []
    for (i, p, needs_checker), code in zip(meta, codes, strict=True):
        if code is not None:
            _refused(e, i, day, code)
            continue
        if needs_checker:
            buyer = e.firms[book.invoice_buyer[i]]
            approvals.append(
                (buyer.checker or "", c.ApproveConfirmation(tagged_id("apr", buyer.org_id, str(i))))
            )
            approved.append((i, p))
        else:
            _confirmed(e, i, p, day)
    if approvals:
        for (i, p), code in zip(approved, e.platform.run(approvals), strict=True):
            if code is None:
                _confirmed(e, i, p, day)
            else:
                _refused(e, i, day, code)


def _refused(e: Economy, i: int, day: int, code: str) -> None:
    book = e.book
    book.invoice_channel[i] = REFUSED_CASH
    for label in book.labels_for_invoice(i):
        label["outcome"] = f"refused:{code}"
    if book.invoice_kind[i] == DUPLICATE:
        return  # the platform caught it; the anchor pays the original only
    e.agenda["pay_in_cash"][max(day, book.invoice_cash_day[i])].append(i)


def _confirmed(e: Economy, i: int, p: int, day: int) -> None:
    book = e.book
    book.invoice_piece[i] = p
    e.activate(p)
    for label in book.labels_for_invoice(i):
        label["outcome"] = "confirmed"
        label["piece"] = p
    seller = book.invoice_seller[i]
    kind = book.invoice_kind[i]
    finance.consider_selling(e, p, seller, day, eager=kind in (DUPLICATE, PHANTOM))
    rng = e.rng_behaviour
    if kind == TRADE:
        fraud.maybe_present_again(e, i, day)
        if rng.random() < 0.06:
            e.agenda["offer_early_payment"][e.weekday(day + int(rng.integers(3, 16)))].append(p)
        # Returned goods after confirmation: a credit note (dilution) against the
        # supplier; the anchor's undertaking stays irrevocable.
        if rng.random() < 0.01 + 0.04 * e.health.stress_of(seller):
            e.agenda["dilute"][e.weekday(day + int(rng.integers(10, 41)))].append((i, False))
