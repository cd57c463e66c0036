"""Obligor default on the platform, and the administrator's recoveries months later.

When an anchor defaults (`defaults.py`), the operator declares it in default for
insolvency, maker-checker (its risk officer requests, its admin approves): every piece the
anchor still owes joins the default claim. The administrator pays a recovery rate drawn
per default (so the loss given default varies), in two parts months apart; then the
operator closes the claim and what each piece still lacks is its holder's loss. The
simulator mirrors the platform's pro rata sharing (`openscf.domain.money.allocate`, by
piece id) so its books equal the log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from openscf.domain import commands as c
from openscf.domain.ids import tagged_id
from openscf.domain.money import allocate
from openscf.sim.ledger import DEFAULTED, LIVE, OVERDUE, Claim, Loss, scale_minor

if TYPE_CHECKING:
    from openscf.sim.economy import Economy

__all__ = ["CLOSE_AFTER_DAYS", "risk_officer", "work_claims"]

CLOSE_AFTER_DAYS = 14  # after the final recovery, the operator closes the claim


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


def _declare(e: Economy, firm: int, day: int) -> None:
    book = e.book
    pieces = [p for p in range(len(book.piece_status))
              if book.piece_anchor[p] == firm and book.piece_status[p] in (LIVE, OVERDUE,
                                                                           DEFAULTED)]
    if not pieces:
        return
    k = len(book.claims)
    op = e.platform.operator_org
    approval_id, claim_id = tagged_id("apr", op, f"dfl{k}"), tagged_id("dfl", op, str(k))
    codes = e.platform.run([
        (risk_officer(e), c.RequestObligorDefault(
            e.firms[firm].org_id, "insolvency", "the administrator was appointed",
            approval_id=approval_id, claim_id=claim_id)),
        (e.operator_user, c.ApproveObligorDefault(approval_id))])
    if any(code is not None for code in codes):
        return
    rng = e.rng_market
    # Recovery rates of senior unsecured trade claims: wide, centred near 40 per cent.
    rate = float(rng.uniform(0.05, 0.75))
    claim = Claim(claim_id, firm, day, pieces, [book.outstanding_minor(p) for p in pieces],
                  rate, [0] * len(pieces))
    book.claims.append(claim)
    for p in pieces:
        book.piece_status[p] = DEFAULTED
        book.piece_is_encumbered[p] = 0
        book.piece_claim[p] = k
    book.add_label("default_declared", firm=firm, day=day, variant="insolvency",
                   amount_minor=sum(claim.exposure_minor),
                   detail={"claim_id": claim_id, "pieces": len(pieces),
                           "recovery_rate": round(rate, 4)})
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
    lacking = sorted((book.piece_id[p], i) for i, p in enumerate(claim.pieces)
                     if claim.exposure_minor[i] > claim.recovered_minor[i])
    owed = [claim.exposure_minor[i] - claim.recovered_minor[i] for _, i in lacking]
    amount_minor = min(amount_minor, sum(owed))
    if amount_minor <= 0:
        return
    code, = e.platform.run([(e.operator_user, c.RecordRecovery(
        claim.claim_id, amount_minor, e.config.currency, "the anchor's administrator"))])
    if code is not None:
        return
    for (_, i), share in zip(lacking, allocate(amount_minor, owed), strict=True):
        if share == 0:
            continue
        p = claim.pieces[i]
        claim.recovered_minor[i] += share
        book.realise(book.piece_pays_for[p], share, day)
        book.pay(day, claim.obligor, book.piece_holder[p], share, "recovery",
                 invoice=book.piece_pays_for[p], piece=p)
    book.add_label("recovery", firm=claim.obligor, day=day, amount_minor=amount_minor,
                   detail={"claim_id": claim.claim_id})


def _close(e: Economy, day: int, k: int) -> None:
    book = e.book
    claim = book.claims[k]
    code, = e.platform.run([(e.operator_user, c.CloseDefaultClaim(claim.claim_id))])
    if code is not None:
        return
    claim.closed_day = day
    for i, p in enumerate(claim.pieces):
        lost = claim.exposure_minor[i] - claim.recovered_minor[i]
        if lost > 0:
            book.losses.append(Loss(day, book.piece_holder[p], lost, "anchor_defaulted",
                                    book.piece_root_invoice[p]))
    book.add_label("default_claim_closed", firm=claim.obligor, day=day,
                   amount_minor=sum(claim.exposure_minor) - sum(claim.recovered_minor),
                   detail={"claim_id": claim.claim_id,
                           "loss_given_default": round(claim.loss_given_default(), 4)})
