"""Dilution: goods returned after an invoice was confirmed, and the credit notes that follow.

The anchor's undertaking stays irrevocable, so a credit note on a confirmed invoice is owed
by the supplier (and lost to the anchor if the supplier has defaulted). When everything
comes back and the supplier still holds the whole untouched piece, the anchor cancels the
receivable instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from openscf.domain import commands as c
from openscf.sim.ledger import CANCELLED, CREDITED_IN_FULL, LIVE, Loss, scale_minor

if TYPE_CHECKING:
    from openscf.sim.economy import Economy

__all__ = ["dilute", "return_goods"]


def return_goods(e: Economy, invoice: int, day: int) -> None:
    """The buyer sends back everything delivered under a confirmed invoice: a full
    credit note, and the anchor cancels the receivable if the supplier still holds
    all of it (else the dilution is recovered from the supplier)."""
    e.agenda["dilute"][e.weekday(day + 1)].append((invoice, True))


def dilute(e: Economy, day: int) -> None:
    """Today's returns: a partial credit note, or the whole receivable cancelled."""
    todo = e.agenda["dilute"].pop(day, None)
    if not todo:
        return
    book = e.book
    rng = e.rng_behaviour
    items: list[tuple[str, c.Command]] = []
    cancels: list[int] = []
    for i, is_all_returned in todo:
        p = book.invoice_piece[i]
        anchor, seller = book.invoice_buyer[i], book.invoice_seller[i]
        face = book.piece_face_minor[p]
        is_whole = is_all_returned or rng.random() < 0.15
        if (
            is_whole
            and book.piece_status[p] == LIVE
            and book.piece_holder[p] == seller
            and not book.piece_is_encumbered[p]
            and book.piece_due_day[p] > day
            and e.alive[anchor]
        ):
            items.append(
                (
                    e.firms[anchor].maker,
                    c.CancelReceivable(
                        book.piece_id[p], "goods returned in full; credit note issued"
                    ),
                )
            )
            cancels.append(i)
            continue
        credit = scale_minor(face, float(rng.uniform(0.05, 0.3)))
        book.invoice_credit_minor[i] += credit
        book.pay(day, seller, anchor, credit, "credit_note", invoice=i)
        if not e.alive[seller]:
            book.losses.append(Loss(day, anchor, credit, "dilution_unrecovered", i))
    for i, code in zip(cancels, e.platform.run(items), strict=True):
        p = book.invoice_piece[i]
        if code is None:
            book.piece_status[p] = CANCELLED
            book.invoice_credit_minor[i] = book.invoice_amount_minor[i]
            book.invoice_channel[i] = CREDITED_IN_FULL
            book.pay(
                day,
                book.invoice_seller[i],
                book.invoice_buyer[i],
                book.piece_face_minor[p],
                "credit_note",
                invoice=i,
            )
