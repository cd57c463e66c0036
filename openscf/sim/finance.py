"""Finance: holders sell pieces to funders, anchors offer to pay early.

A supplier holding a piece decides whether (and when) to sell it for cash: more often when
it is small, stressed or was paid with the piece. On the day it sells, it may first split
the piece and sell one part; it requests financing, one or two of the program's funders
bid or pass, and it accepts the best proceeds or withdraws. Separately, an anchor offers
early payment on some confirmed pieces and a holder accepts, more likely when stressed.

Every rate comes from the economy's pricing functions (`pricing.py`: the seam for a
credit model), asked with what the pricer could see that day; by default a funder's bid
follows the base rate, the anchor's rating, its own margin, the tenor and the holder's
observable history.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from openscf.domain import commands as c
from openscf.domain.pricing import discount_minor
from openscf.sim.ledger import (
    LIVE,
    PAID_EARLY,
    PAYS_FOR_NOTHING,
    SPLIT,
    TRANSFERRED,
    EarlyPayment,
    Financing,
    scale_minor,
)

if TYPE_CHECKING:
    from openscf.sim.economy import Economy

__all__ = ["consider_selling", "offer_early_payments", "own_name_rate", "sell_pieces"]

FEES_MINOR = 25_00  # what a fee-charging funder adds to each offer


def consider_selling(
    e: Economy, p: int, holder: int, day: int, eager: bool = False, as_payment: bool = False
) -> None:
    """The holder decides whether (and when) to sell the piece for cash. A small firm
    paid with a receivable usually needs the cash, not a claim months away."""
    f = e.firms[holder]
    if f.kind != "supplier":
        return
    rng = e.rng_behaviour
    s = e.health.stress_of(holder)
    base = 0.6 + 0.1 * f.tier if as_payment else 0.18 + 0.1 * f.tier
    propensity = min(0.95, base + 0.5 * s)
    if eager or rng.random() < propensity:
        wait_days = 0 if eager else int(rng.integers(0, 3 if s > 0.4 else 12))
        e.agenda["sell"][e.weekday(day + wait_days)].append((p, holder))


def own_name_rate(e: Economy, firm: int, day: int) -> float:
    """What the firm would pay to borrow on its own name (the comparison for the
    report): today's base rate plus an SME spread by tier and by its health."""
    f = e.firms[firm]
    base = e.market.base_rate_bps(e, day) / 10_000
    return base + 0.025 + 0.008 * f.tier + 0.07 * e.health.stress_of(firm)


class _Bid(NamedTuple):
    """A funder's offer for a holder's piece, priced."""

    holder: int
    funder: int
    request_id: str
    offer_id: str
    fees_minor: int
    discount_minor: int
    proceeds_minor: int
    tenor_days: int
    annual_rate: str


def sell_pieces(e: Economy, day: int) -> None:
    """Today's sales: split where only part is needed, request, bid, accept the best."""
    todo = e.agenda["sell"].pop(day, None)
    if not todo:
        return
    book = e.book
    behaviour = e.rng_behaviour
    seen: set[int] = set()
    wanted: list[tuple[int, int]] = []
    splits: list[tuple[str, c.Command]] = []
    split_meta: list[tuple[int, int, int, int]] = []
    for p, holder in todo:
        if (
            p in seen
            or book.piece_status[p] != LIVE
            or book.piece_holder[p] != holder
            or book.piece_is_encumbered[p]
            or book.piece_due_day[p] - day < 10
            or not e.alive[book.piece_anchor[p]]
        ):
            continue
        seen.add(p)
        face = book.piece_face_minor[p]
        if face >= 20_000_00 and behaviour.random() < 0.12:
            # Sell only what is needed: split the piece and finance one part.
            part = scale_minor(face, float(behaviour.uniform(0.3, 0.7)))
            pays_for, root = book.piece_pays_for[p], book.piece_root_invoice[p]
            anchor, due_day = book.piece_anchor[p], book.piece_due_day[p]
            creator = e.firms[holder].org_id
            a = book.add_piece(
                holder, anchor, part, due_day, pays_for, root, creator_org_id=creator
            )
            b = book.add_piece(
                holder, anchor, face - part, due_day, pays_for, root, creator_org_id=creator
            )
            splits.append(
                (
                    e.firms[holder].maker,
                    c.SplitReceivable(
                        book.piece_id[p], (part, face - part), (book.piece_id[a], book.piece_id[b])
                    ),
                )
            )
            split_meta.append((p, a, b, holder))
            continue
        wanted.append((p, holder))
    for (p, a, b, holder), code in zip(split_meta, e.platform.run(splits), strict=True):
        if code is None:
            book.piece_status[p] = SPLIT
            e.activate(a)
            e.activate(b)
            wanted.append((a, holder))
        else:
            wanted.append((p, holder))
    _request_bid_accept(e, day, wanted)


def _request_bid_accept(e: Economy, day: int, wanted: list[tuple[int, int]]) -> None:
    """Each holder requests financing of its piece, one or two funders bid, the holder
    accepts the best proceeds (or withdraws when no offer stands)."""
    book = e.book
    rng = e.rng_market
    requests: list[tuple[str, c.Command]] = []
    req_meta: list[tuple[int, int, str]] = []
    for p, holder in wanted:
        request_id = e.next_id("fin", holder)
        requests.append((e.firms[holder].maker, c.RequestFinancing(book.piece_id[p], request_id)))
        req_meta.append((p, holder, request_id))
    offers: list[tuple[str, c.Command]] = []
    offer_meta: list[tuple[int, int, int, str, str, int, int]] = []
    market = e.market
    market.observe(e, day)
    for (p, holder, request_id), code in zip(req_meta, e.platform.run(requests), strict=True):
        if code is not None:
            continue
        book.piece_is_encumbered[p] = 1
        anchor = book.piece_anchor[p]
        funders = e.world.program_funders[anchor]
        tenor_days = book.piece_due_day[p] - day
        # One or two funders are asked (more would only add commands, not realism).
        first = int(rng.integers(len(funders)))
        chosen = [funders[first]]
        if len(funders) > 1 and rng.random() < 0.3:
            chosen.append(funders[(first + 1 + int(rng.integers(len(funders) - 1))) % len(funders)])
        for funder in chosen:
            rate = market.financing_rate(
                market.request(
                    e,
                    "financing",
                    day,
                    holder,
                    anchor,
                    funder,
                    book.piece_face_minor[p],
                    tenor_days,
                )
            )
            if rate is None:
                continue  # the funder passes
            offer_id = e.next_id("ofr", funder)
            fees = FEES_MINOR if funder % 2 else 0
            offers.append(
                (
                    e.firms[funder].maker,
                    c.OfferFinancing(request_id, rate, e.date_of(day), fees, offer_id),
                )
            )
            offer_meta.append((p, holder, funder, request_id, offer_id, fees, tenor_days))
    best: dict[int, _Bid] = {}
    for (p, holder, funder, request_id, offer_id, fees, tenor_days), code, (_, cmd) in zip(
        offer_meta, e.platform.run(offers), offers, strict=True
    ):
        if code is not None:
            continue
        assert isinstance(cmd, c.OfferFinancing)
        face = book.piece_face_minor[p]
        discount = discount_minor(face, Decimal(cmd.annual_rate), tenor_days, 360)
        proceeds = face - discount - fees
        current = best.get(p)
        if current is None or proceeds > current.proceeds_minor:
            best[p] = _Bid(
                holder,
                funder,
                request_id,
                offer_id,
                fees,
                discount,
                proceeds,
                tenor_days,
                cmd.annual_rate,
            )
    _accept_best(e, day, req_meta, best)


def _accept_best(
    e: Economy, day: int, req_meta: list[tuple[int, int, str]], best: dict[int, _Bid]
) -> None:
    book = e.book
    accepts: list[tuple[str, c.Command]] = []
    acc_meta: list[tuple[int, int, _Bid]] = []
    withdraws: list[tuple[str, c.Command]] = []
    withdrawn: list[int] = []
    for p, holder, request_id in req_meta:
        if not book.piece_is_encumbered[p] or book.piece_holder[p] != holder:
            continue
        offer = best.get(p)
        if offer is None:
            withdraws.append((e.firms[holder].maker, c.WithdrawFinancingRequest(request_id)))
            withdrawn.append(p)
            continue
        # Accepting transfers the piece to the funder as a new one.
        new = book.add_piece(
            offer.funder,
            book.piece_anchor[p],
            book.piece_face_minor[p],
            book.piece_due_day[p],
            PAYS_FOR_NOTHING,
            book.piece_root_invoice[p],
            creator_org_id=e.firms[holder].org_id,
        )
        accepts.append(
            (
                e.firms[holder].maker,
                c.AcceptFinancingOffer(offer.offer_id, new_receivable_id=book.piece_id[new]),
            )
        )
        acc_meta.append((p, new, offer))
    for (p, new, offer), code in zip(acc_meta, e.platform.run(accepts), strict=True):
        if code is None:
            holder, funder, proceeds = offer.holder, offer.funder, offer.proceeds_minor
            book.piece_status[p] = TRANSFERRED
            book.piece_is_encumbered[p] = 0
            e.activate(new)
            book.realise(book.piece_pays_for[p], proceeds, day)
            book.pay(
                day,
                funder,
                holder,
                proceeds,
                "financing",
                invoice=book.piece_pays_for[p],
                piece=new,
            )
            book.financings.append(
                Financing(
                    day,
                    p,
                    holder,
                    funder,
                    book.piece_face_minor[p],
                    offer.annual_rate,
                    offer.tenor_days,
                    offer.discount_minor,
                    offer.fees_minor,
                    proceeds,
                    own_name_rate(e, holder, day),
                )
            )
        else:
            withdraws.append(
                (e.firms[offer.holder].maker, c.WithdrawFinancingRequest(offer.request_id))
            )
            withdrawn.append(p)
    for p, code in zip(withdrawn, e.platform.run(withdraws), strict=True):
        if code is None:
            book.piece_is_encumbered[p] = 0


def offer_early_payments(e: Economy, day: int) -> None:
    """Anchors offer to pay today's chosen pieces early; holders accept or not."""
    todo = e.agenda["offer_early_payment"].pop(day, None)
    if not todo:
        return
    book = e.book
    rng = e.rng_behaviour
    offers: list[tuple[str, c.Command]] = []
    meta: list[tuple[int, str, str, int]] = []
    market = e.market
    market.observe(e, day)
    for p in todo:
        anchor, holder = book.piece_anchor[p], book.piece_holder[p]
        if (
            book.piece_status[p] != LIVE
            or book.piece_is_encumbered[p]
            or book.piece_due_day[p] - day < 10
            or not e.alive[anchor]
        ):
            continue
        rate = market.early_payment_rate(
            market.request(
                e,
                "early_payment",
                day,
                holder,
                anchor,
                anchor,
                book.piece_face_minor[p],
                book.piece_due_day[p] - day,
            )
        )
        if rate is None:
            continue  # the anchor makes no offer on this piece
        offer_id = e.next_id("epo", anchor)
        offers.append(
            (
                e.firms[anchor].maker,
                c.OfferEarlyPayment(book.piece_id[p], rate, e.date_of(day), offer_id),
            )
        )
        meta.append((p, offer_id, rate, holder))
    accepts: list[tuple[str, c.Command]] = []
    acc_meta: list[tuple[int, str, int]] = []
    for (p, offer_id, rate, holder), code in zip(meta, e.platform.run(offers), strict=True):
        if code is not None:
            continue
        if rng.random() < 0.45 + 0.5 * e.health.stress_of(holder):
            accepts.append((e.firms[holder].maker, c.AcceptEarlyPayment(offer_id)))
            acc_meta.append((p, rate, holder))
    for (p, rate, holder), code in zip(acc_meta, e.platform.run(accepts), strict=True):
        if code is None:
            tenor_days = book.piece_due_day[p] - day
            face = book.piece_face_minor[p]
            discount = discount_minor(face, Decimal(rate), tenor_days, 360)
            amount = face - discount
            book.piece_status[p] = PAID_EARLY
            book.realise(book.piece_pays_for[p], amount, day)
            book.pay(
                day,
                book.piece_anchor[p],
                holder,
                amount,
                "early_payment",
                invoice=book.piece_pays_for[p],
                piece=p,
            )
            book.early_payments.append(
                EarlyPayment(day, p, holder, book.piece_anchor[p], face, rate, tenor_days, discount)
            )
