"""Obligor default on the platform, and the administrator's recoveries months later.

When an anchor defaults (`defaults.py`), the operator declares it in default for
insolvency, maker-checker (its risk officer requests, its admin approves): every piece the
anchor still owes joins the default claim. The administrator pays a recovery rate drawn
per default (so the loss given default varies), in two parts months apart; then the
operator closes the claim and what each piece still lacks is its holder's loss. The
simulator mirrors the platform's pro rata sharing (`openscf.domain.money.allocate`, by
piece id) so its books equal the log.

In a program with recourse, a funder holding a financed piece of the defaulted anchor
puts it back to the seller (`PutBackReceivable`): the seller takes its place in the
claim and owes the funder what it lacks, which it pays (`PayRecourse`) within the
recourse days, or, too weak to pay, defaults itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from openscf.domain import commands as c
from openscf.domain.ids import namespace_of, tagged_id
from openscf.domain.money import allocate
from openscf.sim.ledger import (
    DEFAULTED,
    LIVE,
    OVERDUE,
    PAYS_FOR_NOTHING,
    PUT_BACK,
    RECOURSE_DUE,
    SETTLED,
    Claim,
    Loss,
    scale_minor,
)

if TYPE_CHECKING:
    from openscf.sim.economy import Economy

__all__ = ["CLOSE_AFTER_DAYS", "RECOURSE_DAYS", "risk_officer", "work_claims"]

CLOSE_AFTER_DAYS = 14  # after the final recovery, the operator closes the claim
RECOURSE_DAYS = 30  # a seller pays a put-back piece within this many days


def risk_officer(e: Economy) -> str:
    """The operator's second user, who requests declarations of default; the operator's
    admin approves them (an approver may not be a user created by the maker)."""
    return tagged_id("usr", e.platform.operator_org, "risk")


def work_claims(e: Economy, day: int) -> None:
    """Today's declarations of default, recoveries and closings."""
    for firm in e.agenda["declare_default"].pop(day, []):
        _declare(e, firm, day)
    for claim, amount in e.agenda["recover"].pop(day, []):
        _recover(e, day, claim, amount)
    for claim in e.agenda["close_claim"].pop(day, []):
        _close(e, day, claim)
    _put_back(e, day, e.agenda["put_back"].pop(day, []))
    _pay_recourse(e, day, e.agenda["pay_recourse"].pop(day, []))


def _declare(e: Economy, firm: int, day: int) -> None:
    book = e.book
    pieces = [
        p
        for p in range(len(book.piece_status))
        if book.piece_anchor[p] == firm and book.piece_status[p] in (LIVE, OVERDUE, DEFAULTED)
    ]
    if not pieces:
        return
    k = len(book.claims)
    op = e.platform.operator_org
    approval_id, claim_id = tagged_id("apr", op, f"dfl{k}"), tagged_id("dfl", op, str(k))
    codes = e.platform.run(
        [
            (
                risk_officer(e),
                c.RequestObligorDefault(
                    e.firms[firm].org_id,
                    "insolvency",
                    "the administrator was appointed",
                    approval_id=approval_id,
                    claim_id=claim_id,
                ),
            ),
            (e.operator_user, c.ApproveObligorDefault(approval_id)),
        ]
    )
    if any(code is not None for code in codes):
        return
    rng = e.rng_market
    # Recovery rates of senior unsecured trade claims: wide, centred near 40 per cent.
    rate = float(rng.uniform(0.05, 0.75))
    claim = Claim(
        claim_id,
        firm,
        day,
        pieces,
        [book.outstanding_minor(p) for p in pieces],
        rate,
        [0] * len(pieces),
    )
    book.claims.append(claim)
    for p in pieces:
        book.piece_status[p] = DEFAULTED
        book.piece_is_encumbered[p] = 0
        book.piece_claim[p] = k
        # A funder holding a financed piece of a program with recourse puts it back.
        if e.firms[book.piece_holder[p]].kind == "funder" and e.has_recourse(firm):
            e.agenda["put_back"][e.weekday(day + int(rng.integers(3, 15)))].append(p)
    book.add_label(
        "default_declared",
        firm=firm,
        day=day,
        variant="insolvency",
        amount_minor=sum(claim.exposure_minor),
        detail={"claim_id": claim_id, "pieces": len(pieces), "recovery_rate": round(rate, 4)},
    )
    total = scale_minor(sum(claim.exposure_minor), rate)
    first = scale_minor(total, float(rng.uniform(0.4, 0.7)))
    first_day = e.weekday(day + int(rng.integers(45, 91)))
    final_day = e.weekday(first_day + int(rng.integers(30, 76)))
    e.agenda["recover"][first_day].append((k, first))
    e.agenda["recover"][final_day].append((k, total - first))
    e.agenda["close_claim"][e.weekday(final_day + CLOSE_AFTER_DAYS)].append(k)


def _recover(e: Economy, day: int, k: int, amount_minor: int) -> None:
    book = e.book
    claim = book.claims[k]
    lacking = sorted(
        (book.piece_id[p], i)
        for i, p in enumerate(claim.pieces)
        if claim.exposure_minor[i] > claim.recovered_minor[i]
    )
    owed = [claim.exposure_minor[i] - claim.recovered_minor[i] for _, i in lacking]
    amount_minor = min(amount_minor, sum(owed))
    if amount_minor <= 0:
        return
    (code,) = e.platform.run(
        [
            (
                e.operator_user,
                c.RecordRecovery(
                    claim.claim_id, amount_minor, e.config.currency, "the anchor's administrator"
                ),
            )
        ]
    )
    if code is not None:
        return
    for (_, i), share in zip(lacking, allocate(amount_minor, owed), strict=True):
        if share == 0:
            continue
        p = claim.pieces[i]
        claim.recovered_minor[i] += share
        book.realise(book.piece_pays_for[p], share, day)
        book.pay(
            day,
            claim.obligor,
            book.piece_holder[p],
            share,
            "recovery",
            invoice=book.piece_pays_for[p],
            piece=p,
        )
    book.add_label(
        "recovery",
        firm=claim.obligor,
        day=day,
        amount_minor=amount_minor,
        detail={"claim_id": claim.claim_id},
    )


def _close(e: Economy, day: int, k: int) -> None:
    book = e.book
    claim = book.claims[k]
    (code,) = e.platform.run([(e.operator_user, c.CloseDefaultClaim(claim.claim_id))])
    if code is not None:
        return
    claim.closed_day = day
    for i, p in enumerate(claim.pieces):
        lost = claim.exposure_minor[i] - claim.recovered_minor[i]
        if lost > 0:
            book.losses.append(
                Loss(
                    day, book.piece_holder[p], lost, "anchor_defaulted", book.piece_root_invoice[p]
                )
            )
    book.add_label(
        "default_claim_closed",
        firm=claim.obligor,
        day=day,
        amount_minor=sum(claim.exposure_minor) - sum(claim.recovered_minor),
        detail={
            "claim_id": claim.claim_id,
            "loss_given_default": round(claim.loss_given_default(), 4),
        },
    )


def _seller_of(e: Economy, p: int) -> int:
    """Who sold a funder's piece: the piece was created (named) by the seller's command
    accepting the financing offer."""
    if not e.seller_by_namespace:
        e.seller_by_namespace.update({namespace_of(f.org_id): f.idx for f in e.firms})
    return e.seller_by_namespace[e.book.piece_id[p][4:].rsplit(".", 1)[0]]


def _put_back(e: Economy, day: int, pieces: list[int]) -> None:
    """Funders put defaulted financed pieces back to their sellers, who then owe the
    funder what the piece still lacks within `RECOURSE_DAYS`."""
    book = e.book
    items: list[tuple[str, c.Command]] = []
    meta: list[tuple[int, int, int, int]] = []
    for p in pieces:
        k = book.piece_claim.get(p)
        if book.piece_status[p] != DEFAULTED or k is None or book.claims[k].closed_day >= 0:
            continue
        claim = book.claims[k]
        i = claim.pieces.index(p)
        owed = claim.exposure_minor[i] - claim.recovered_minor[i]
        if owed <= 0:
            continue
        funder, seller = book.piece_holder[p], _seller_of(e, p)
        org = e.firms[funder].org_id
        anchor, root = book.piece_anchor[p], book.piece_root_invoice[p]
        due_day = e.weekday(day + RECOURSE_DAYS)
        returned = book.add_piece(
            seller,
            anchor,
            book.piece_face_minor[p],
            book.piece_due_day[p],
            PAYS_FOR_NOTHING,
            root,
            creator_org_id=org,
        )
        recourse = book.add_piece(
            funder, seller, owed, due_day, PAYS_FOR_NOTHING, root, creator_org_id=org
        )
        items.append(
            (
                e.firms[funder].maker,
                c.PutBackReceivable(
                    book.piece_id[p], book.piece_id[returned], book.piece_id[recourse]
                ),
            )
        )
        meta.append((p, returned, recourse, seller))
    for (p, returned, recourse, seller), code in zip(meta, e.platform.run(items), strict=True):
        if code is not None:
            continue
        k = book.piece_claim.pop(p)
        claim = book.claims[k]
        claim.pieces[claim.pieces.index(p)] = returned
        book.piece_claim[returned] = k
        book.piece_status[p] = PUT_BACK
        book.piece_status[returned] = DEFAULTED
        if p in book.piece_paid_minor:
            book.piece_paid_minor[returned] = book.piece_paid_minor[p]
        book.piece_status[recourse] = RECOURSE_DUE
        book.add_label(
            "put_back",
            firm=seller,
            piece=recourse,
            day=day,
            amount_minor=book.piece_face_minor[recourse],
            detail={"funder": e.firms[book.piece_holder[p]].org_id},
        )
        # The seller pays within the recourse days, if it can.
        e.agenda["pay_recourse"][
            e.weekday(day + int(e.rng_market.integers(2, RECOURSE_DAYS - 3)))
        ].append(recourse)


def _pay_recourse(e: Economy, day: int, pieces: list[int]) -> None:
    """Sellers pay what they owe on put-back pieces; one too weak to pay defaults."""
    book = e.book
    items: list[tuple[str, c.Command]] = []
    meta: list[int] = []
    for p in pieces:
        seller = book.piece_anchor[p]
        if book.piece_status[p] != RECOURSE_DUE or not e.alive[seller]:
            continue
        if e.rng_market.random() < e.health.stress_of(seller):
            # It cannot find the cash: its health collapses and it defaults next week.
            e.health.shock(seller, float(e.health.h[seller]) + 0.1)
            e.recourse_failed.add(seller)
            continue
        items.append((e.firms[seller].maker, c.PayRecourse(book.piece_id[p])))
        meta.append(p)
    for p, code in zip(meta, e.platform.run(items), strict=True):
        if code is None:
            seller, funder = book.piece_anchor[p], book.piece_holder[p]
            book.piece_status[p] = SETTLED
            book.pay(day, seller, funder, book.piece_face_minor[p], "recourse", piece=p)
            # Paying costs the seller cash it needed: a hit to its health.
            e.health.shock(seller, 0.2)
