"""Paying suppliers with receivables: a network member passes pieces down the tiers.

A buyer on the network pays what it owes another member in a weekly payment run: one
transfer of a piece it holds (split first, atomically, when the piece is worth more than
the run), so the supplier gets a claim on the anchor instead of waiting for cash. A buyer
holding no usable piece pays in cash as usual. The supplier may then hold the piece, sell
it (`finance.py`) or pass it on in its own payment run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from openscf.domain import commands as c
from openscf.sim import finance, trade
from openscf.sim.ledger import CASH, LIVE, PAYS_FOR_NOTHING, SPLIT, TRANSFERRED

if TYPE_CHECKING:
    from openscf.sim.economy import Economy

__all__ = ["pay_with_receivables", "record_transfer", "usable_piece"]


def usable_piece(
    e: Economy, holder: int, programs: frozenset[int], amount_minor: int, day: int
) -> int:
    """A live piece the holder may pass to a recipient in `programs`, worth >= amount."""
    book = e.book
    held = e.holdings[holder]
    k = 0
    while k < len(held):
        p = held[k]
        if (
            book.piece_status[p] != LIVE
            or book.piece_holder[p] != holder
            or (book.piece_due_day[p] <= day)
        ):
            held[k] = held[-1]  # drop a stale entry (order does not matter)
            held.pop()
            continue
        if (
            not book.piece_is_encumbered[p]
            and book.piece_due_day[p] > day + 5
            and book.piece_face_minor[p] >= amount_minor
            and book.piece_anchor[p] in programs
            and e.alive[book.piece_anchor[p]]
        ):
            return p
        k += 1
    return -1


def queue_transfer(
    e: Economy,
    items: list[tuple[str, c.Command]],
    payer: int,
    payee: int,
    p: int,
    amount_minor: int,
) -> tuple[int, int, int]:
    """Queue a (partial) transfer of piece p; return (new piece, part, remainder), part and
    remainder -1 for a whole transfer."""
    book = e.book
    anchor, due_day = book.piece_anchor[p], book.piece_due_day[p]
    root = book.piece_root_invoice[p]
    creator = e.firms[payer].org_id
    new = book.add_piece(
        payee, anchor, amount_minor, due_day, PAYS_FOR_NOTHING, root, creator_org_id=creator
    )
    if amount_minor == book.piece_face_minor[p]:
        items.append(
            (
                e.firms[payer].maker,
                c.TransferReceivable(
                    book.piece_id[p], e.firms[payee].org_id, new_receivable_id=book.piece_id[new]
                ),
            )
        )
        return new, -1, -1
    part = book.add_piece(
        payer, anchor, amount_minor, due_day, PAYS_FOR_NOTHING, root, creator_org_id=creator
    )
    rest = book.add_piece(
        payer,
        anchor,
        book.piece_face_minor[p] - amount_minor,
        due_day,
        book.piece_pays_for[p],
        root,
        creator_org_id=creator,
    )
    items.append(
        (
            e.firms[payer].maker,
            c.TransferReceivable(
                book.piece_id[p],
                e.firms[payee].org_id,
                amount_minor,
                new_receivable_id=book.piece_id[new],
                part_id=book.piece_id[part],
                remainder_id=book.piece_id[rest],
            ),
        )
    )
    return new, part, rest


def record_transfer(
    e: Economy, p: int, new: int, part: int, rest: int, amount_minor: int, day: int, pays_for: int
) -> None:
    """The platform accepted a transfer queued by `queue_transfer`: a partial one split p
    into part (transferred to become `new`) and rest (kept by the payer)."""
    book = e.book
    if part >= 0:
        book.piece_status[p] = SPLIT
        book.piece_status[part] = TRANSFERRED
        e.activate(rest)
    else:
        book.piece_status[p] = TRANSFERRED
    book.piece_pays_for[new] = pays_for
    e.activate(new)
    book.realise(book.piece_pays_for[p], amount_minor, day)
    paid = book.invoices_paid_by(pays_for)
    for i in paid:
        share = amount_minor if len(paid) == 1 else book.net_minor(i)
        book.pay(
            day,
            book.piece_holder[p],
            book.piece_holder[new],
            share,
            "receivable_transfer",
            invoice=i,
            piece=new,
        )


def pay_with_receivables(e: Economy, day: int) -> None:
    """Today's payment runs: everything a buyer owes one supplier goes in one transfer
    (one piece for the supplier to hold, sell or pass on)."""
    todo = e.agenda["pay_with_receivable"].pop(day, None)
    if not todo:
        return
    book = e.book
    items: list[tuple[str, c.Command]] = []
    meta: list[tuple[list[int], int, int, int, int, int]] = []
    reserved: set[int] = set()
    runs: dict[tuple[int, int], list[int]] = {}
    for i in todo:
        if trade.payable_minor(e, i, day) is not None:
            runs.setdefault((book.invoice_buyer[i], book.invoice_seller[i]), []).append(i)
    for (buyer, seller), invoices in runs.items():
        total = sum(book.net_minor(i) for i in invoices)
        groups = [invoices]
        p = _piece_for(e, buyer, seller, total, day, reserved)
        if p < 0 and len(invoices) > 1:
            groups = [[i] for i in invoices]  # no piece big enough: invoice by invoice
        for group in groups:
            amount = sum(book.net_minor(i) for i in group)
            if len(groups) > 1:
                p = _piece_for(e, buyer, seller, amount, day, reserved)
            if p < 0:
                for i in group:  # no usable receivable in hand: pay cash as usual
                    book.invoice_channel[i] = CASH
                    e.agenda["pay_in_cash"][max(day, book.invoice_cash_day[i])].append(i)
                continue
            reserved.add(p)
            new, part, rest = queue_transfer(e, items, buyer, seller, p, amount)
            meta.append((group, p, new, part, rest, amount))
    for (group, p, new, part, rest, amount), code in zip(meta, e.platform.run(items), strict=True):
        if code is None:
            record_transfer(e, p, new, part, rest, amount, day, book.pays_for_run(group))
            for i in group:
                book.invoice_paid_day[i] = day
            finance.consider_selling(e, new, book.invoice_seller[group[0]], day, as_payment=True)
        else:
            for i in group:
                book.invoice_channel[i] = CASH
                e.agenda["pay_in_cash"][max(day + 1, book.invoice_cash_day[i])].append(i)


def _piece_for(
    e: Economy, buyer: int, seller: int, amount_minor: int, day: int, reserved: set[int]
) -> int:
    if not e.alive[seller]:
        return -1
    p = usable_piece(e, buyer, e.program_sets[seller], amount_minor, day)
    return -1 if p in reserved else p
