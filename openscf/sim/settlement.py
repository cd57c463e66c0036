"""Settlement: at maturity the anchor pays every live piece, or pays late, or not at all.

On a piece's maturity its anchor settles it with the holder, or (by its lateness and
stress) pays some days later; a stressed anchor often pays part at maturity
(`RecordPayment`) and the rest late, or never if it defaults first. The operator marks
the piece overdue the next day and defaulted `DEFAULT_AFTER_DAYS` after maturity if
still unpaid; a late settlement still comes. A defaulted anchor pays nothing. At the
end of the run, pieces still outstanding are counted as cash at maturity for their
holder, or as losses if their anchor defaulted (less what its claim recovered so far).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from openscf.domain import commands as c
from openscf.sim.ledger import (
    DEFAULTED,
    LIVE,
    OVERDUE,
    RECOURSE_DUE,
    SETTLED,
    Loss,
    scale_minor,
)

if TYPE_CHECKING:
    from openscf.sim.economy import Economy

__all__ = ["DEFAULT_AFTER_DAYS", "close_books", "settle_maturities"]

DEFAULT_AFTER_DAYS = 30


def settle_maturities(e: Economy, day: int) -> None:
    """Today's maturities and late settlements, then overdue and default marks."""
    book = e.book
    rng = e.rng_behaviour
    settle: list[int] = []
    partly: list[int] = []
    for p in e.due_pieces.pop(day, []):
        if book.piece_status[p] != LIVE:
            continue
        anchor = book.piece_anchor[p]
        if not e.alive[anchor]:
            e.agenda["mark_overdue"][day + 1].append(p)
            continue
        late_share = e.firms[
            anchor
        ].late_share * e.config.anchor_lateness + 0.3 * e.health.stress_of(anchor)
        if rng.random() < late_share:
            # Short of cash, a stressed anchor pays what it can now and the rest later.
            if rng.random() < 0.15 + 0.7 * e.health.stress_of(anchor):
                partly.append(p)
            u = rng.random()
            lateness_days = (
                int(rng.integers(1, 6))
                if u < 0.7
                else (int(rng.integers(6, 26)) if u < 0.92 else int(rng.integers(31, 91)))
            )
            e.agenda["settle_late"][e.weekday(day + lateness_days)].append(p)
            e.agenda["mark_overdue"][day + 1].append(p)
            continue
        settle.append(p)
    settle.extend(e.agenda["settle_late"].pop(day, []))
    _pay_in_part(e, day, partly)
    _settle(e, day, settle)
    _mark(e, day)


def _pay_in_part(e: Economy, day: int, pieces: list[int]) -> None:
    """The anchor pays a part (30-80 per cent) of each piece at maturity."""
    book = e.book
    items: list[tuple[str, c.Command]] = []
    meta: list[tuple[int, int]] = []
    for p in pieces:
        owed = book.outstanding_minor(p)
        part = scale_minor(owed, float(e.rng_behaviour.uniform(0.3, 0.8)))
        if not 0 < part < owed:
            continue
        items.append((e.firms[book.piece_anchor[p]].maker, c.RecordPayment(book.piece_id[p], part)))
        meta.append((p, part))
    for (p, part), code in zip(meta, e.platform.run(items), strict=True):
        if code is None:
            book.piece_paid_minor[p] = book.piece_paid_minor.get(p, 0) + part
            book.piece_is_encumbered[p] = 0
            book.realise(book.piece_pays_for[p], part, day)
            book.pay(
                day,
                book.piece_anchor[p],
                book.piece_holder[p],
                part,
                "partial_payment",
                invoice=book.piece_pays_for[p],
                piece=p,
            )


def _settle(e: Economy, day: int, pieces: list[int]) -> None:
    book = e.book
    items: list[tuple[str, c.Command]] = []
    meta: list[int] = []
    for p in pieces:
        if book.piece_status[p] not in (LIVE, OVERDUE, DEFAULTED) or p in book.piece_claim:
            continue
        anchor = book.piece_anchor[p]
        if not e.alive[anchor]:
            continue
        items.append((e.firms[anchor].maker, c.SettleReceivable(book.piece_id[p])))
        meta.append(p)
    for p, code in zip(meta, e.platform.run(items), strict=True):
        if code is None:
            kind = "settlement" if book.piece_status[p] == LIVE else "late_settlement"
            book.piece_status[p] = SETTLED
            book.piece_is_encumbered[p] = 0
            holder = book.piece_holder[p]
            rest = book.outstanding_minor(p)
            book.realise(book.piece_pays_for[p], rest, day)
            book.pay(
                day,
                book.piece_anchor[p],
                holder,
                rest,
                kind,
                invoice=book.piece_pays_for[p],
                piece=p,
            )


def _mark(e: Economy, day: int) -> None:
    """The operator marks unpaid pieces overdue, then defaulted after the grace period."""
    book = e.book
    marks: list[tuple[str, c.Command]] = []
    mark_meta: list[tuple[int, int]] = []
    for p in e.agenda["mark_overdue"].pop(day, []):
        if book.piece_status[p] == LIVE:
            marks.append((e.operator_user, c.MarkOverdue(book.piece_id[p])))
            mark_meta.append((p, OVERDUE))
            e.agenda["mark_defaulted"][book.piece_due_day[p] + DEFAULT_AFTER_DAYS].append(p)
    for p in e.agenda["mark_defaulted"].pop(day, []):
        if book.piece_status[p] == OVERDUE:
            marks.append((e.operator_user, c.MarkDefaulted(book.piece_id[p])))
            mark_meta.append((p, DEFAULTED))
    for (p, status), code in zip(mark_meta, e.platform.run(marks), strict=True):
        if code is None:
            book.piece_status[p] = status


def close_books(e: Economy, end_day: int) -> None:
    """Pieces still outstanding are cash at maturity for their holder (projected);
    pieces of a defaulted anchor are losses, less what an open claim recovered so far
    (a closed claim's losses are booked when it closed)."""
    book = e.book
    for p in range(len(book.piece_status)):
        status = book.piece_status[p]
        if status == RECOURSE_DUE and not e.alive[book.piece_anchor[p]]:
            # A put-back its seller never paid: the funder's loss after all.
            book.losses.append(
                Loss(
                    end_day,
                    book.piece_holder[p],
                    book.piece_face_minor[p],
                    "recourse_unpaid",
                    book.piece_root_invoice[p],
                )
            )
        if status in (LIVE, OVERDUE, DEFAULTED):
            anchor = book.piece_anchor[p]
            lost = book.outstanding_minor(p)
            k = book.piece_claim.get(p)
            if k is not None:
                claim = book.claims[k]
                if claim.closed_day >= 0:
                    continue
                i = claim.pieces.index(p)
                lost = claim.exposure_minor[i] - claim.recovered_minor[i]
            if e.alive[anchor]:
                book.realise(book.piece_pays_for[p], lost, book.piece_due_day[p])
            elif status == DEFAULTED and lost > 0:
                book.losses.append(
                    Loss(
                        end_day,
                        book.piece_holder[p],
                        lost,
                        "anchor_defaulted",
                        book.piece_root_invoice[p],
                    )
                )
