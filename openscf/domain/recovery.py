"""When trade goes wrong: partial payment, obligor default and recovery.

The rules of this module plug into `decide`, `apply` and the invariant replay by
registering on their dispatch; the rest of the domain does not know them.

- **Partial payment.** From maturity on, the obligor pays a piece in one or more parts,
  each to the piece's holder (who cannot change after maturity). A part never exceeds
  what is owed; the part that completes the piece settles it (`ReceivableSettled` for
  the rest), anything less is `ReceivablePartlyPaid` and the rest stays owed (it can go
  overdue and default like any unpaid piece).
- **Obligor default.** The operator declares an obligor in default, maker-checker (a
  second operator user approves): for an insolvency event, or on the program rule that a
  piece it owes is `default_after_days` past maturity. Every piece the obligor still owes,
  in every program, joins its default claim; the obligor confirms nothing more.
- **Recovery.** Money recovered later (from the administrator, an insurer, a guarantor)
  is recorded by the operator and shared among the claim's pieces in its currency, pro
  rata to what each piece still lacks, in whole minor units by the largest remainder
  (each piece gets the floor of its share; the units left go one at a time to the
  largest fractional remainders, ties to the lower piece id). A recovery never exceeds
  what the claim lacks. Closing the claim writes off the rest of every piece: the loss
  per piece and per program (with the loss given default in basis points, rounded down)
  is then a fact on the log.

Money is conserved: for every piece, paid + recovered + written off == face.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta

from openscf.domain import commands as c
from openscf.domain import events as ev
from openscf.domain.apply import _apply, _get, _pay_off
from openscf.domain.decide import (
    USER_PERMISSION,
    Actor,
    _decide,
    _decline_open_offers,
    _new_id,
    _obligor_only,
    _operator_only,
    _org,
    _pending_approval,
    _piece,
)
from openscf.domain.errors import Conflict, InvalidRequest, NotFound
from openscf.domain.model import OUTSTANDING, Approval, DefaultClaim, Receivable
from openscf.domain.money import allocate, check_amount, check_currency, format_amount
from openscf.domain.state import State

__all__ = [
    "DEFAULT_REASONS",
    "check_event",
    "loss_given_default_bps",
    "pieces_past_grace",
    "recovery_shares",
]

DEFAULT_REASONS = ("insolvency", "past_due")

USER_PERMISSION.update(
    {
        c.RecordPayment: "maker",
        c.RequestObligorDefault: "maker",
        c.ApproveObligorDefault: "checker",
        c.RecordRecovery: "maker",
        c.CloseDefaultClaim: "maker",
    }
)
SETTLED_CONSUMED = ("split", "transferred")


def recovery_shares(amount_minor: int, pieces: list[Receivable]) -> list[int]:
    """`amount_minor` shared pro rata to what each piece still lacks (largest remainder,
    ties to the lower piece id: `pieces` must be in id order). No share exceeds what its
    piece lacks when the amount does not exceed what they lack together."""
    assert [p.id for p in pieces] == sorted(p.id for p in pieces)
    shares = allocate(amount_minor, [p.outstanding_minor for p in pieces])
    assert all(0 <= s <= p.outstanding_minor for s, p in zip(shares, pieces, strict=True)) or (
        amount_minor > sum(p.outstanding_minor for p in pieces)
    )
    return shares


def loss_given_default_bps(loss_minor: int, exposure_minor: int) -> int:
    """Loss over exposure in basis points, rounded down (0 when nothing was exposed)."""
    return 0 if exposure_minor <= 0 else loss_minor * 10_000 // exposure_minor


def pieces_past_grace(state: State, obligor_id: str, today: date) -> list[Receivable]:
    """The obligor's outstanding pieces at least `default_after_days` past maturity."""
    late = []
    for piece in state.outstanding_of(obligor_id):
        program = state.program(piece.program_id)
        assert program is not None
        if today >= piece.due_on + timedelta(days=program.default_after_days):
            late.append(piece)
    return late


# --- partial payment -------------------------------------------------------------------


def _payable(piece: Receivable, what: str) -> None:
    """The piece is owed, and by its obligor rather than through a default claim."""
    if piece.status not in OUTSTANDING:
        code = (
            "receivable_consumed" if piece.status in SETTLED_CONSUMED else ("receivable_not_live")
        )
        raise Conflict(code, f"{piece.id} is {piece.status}; nothing to {what}", "receivable_id")
    if piece.claim_id is not None:
        raise Conflict(
            "in_default_claim",
            f"{piece.id} belongs to default claim {piece.claim_id}: money for it "
            "is recorded as a recovery on the claim",
            "receivable_id",
        )


def _withdraw_encumbrance(state: State, piece: Receivable, reason: str) -> list[ev.Event]:
    if piece.encumbrance is None:
        return []
    return [
        ev.FinancingRequestWithdrawn(piece.encumbrance, piece.id, piece.holder_id, reason),
        *_decline_open_offers(state, piece.encumbrance, piece, reason),
    ]


@_decide.register
def _(cmd: c.RecordPayment, state: State, actor: Actor, today: date) -> list[ev.Event]:
    piece = _piece(state, cmd.receivable_id)
    _obligor_only(piece, actor, "pay")
    _payable(piece, "pay")
    if today < piece.due_on:
        raise Conflict(
            "not_yet_due",
            f"{piece.id} matures on {piece.due_on}; pay early with an offer instead",
            "receivable_id",
        )
    check_amount(cmd.amount_minor)
    owed = piece.outstanding_minor
    if cmd.amount_minor > owed:
        raise InvalidRequest(
            "payment_exceeds_outstanding",
            f"{piece.id} lacks {format_amount(owed, piece.currency)}; pay at most that",
            "amount_minor",
        )
    out = _withdraw_encumbrance(state, piece, "the receivable matured and was paid")
    if cmd.amount_minor == owed:
        out.append(
            ev.ReceivableSettled(
                piece.id, piece.obligor_id, piece.holder_id, owed, piece.currency, today
            )
        )
        return out
    paid = piece.paid_minor + cmd.amount_minor
    out.append(
        ev.ReceivablePartlyPaid(
            piece.id,
            piece.obligor_id,
            piece.holder_id,
            cmd.amount_minor,
            paid,
            piece.face_minor - paid,
            piece.currency,
            today,
        )
    )
    return out


@_apply.register
def _(e: ev.ReceivablePartlyPaid, state: State, record: ev.EventRecord) -> None:
    piece = _get(state, e.receivable_id)
    state.put(replace(piece, paid_minor=piece.paid_minor + e.amount_minor, encumbrance=None))


# --- obligor default -------------------------------------------------------------------


def _not_in_default(state: State, obligor_id: str) -> None:
    obligor = _org(state, obligor_id, "obligor_id")
    if obligor.default_claim_id is not None:
        raise Conflict(
            "obligor_in_default",
            f"{obligor_id} is already in default (claim {obligor.default_claim_id})",
            "obligor_id",
        )


def _grounds(state: State, obligor_id: str, reason: str, today: date) -> None:
    if reason not in DEFAULT_REASONS:
        raise InvalidRequest(
            "invalid_default_reason", f"reason is one of {', '.join(DEFAULT_REASONS)}", "reason"
        )
    if not state.outstanding_of(obligor_id):
        raise Conflict(
            "nothing_outstanding", f"{obligor_id} owes no outstanding piece", "obligor_id"
        )
    if reason == "past_due" and not pieces_past_grace(state, obligor_id, today):
        raise Conflict(
            "no_piece_past_grace",
            f"no piece {obligor_id} owes is past its program's default_after_days; "
            "declare an insolvency instead, or wait",
            "reason",
        )


@_decide.register
def _(cmd: c.RequestObligorDefault, state: State, actor: Actor, today: date) -> list[ev.Event]:
    _operator_only(state, actor, "declares an obligor in default")
    _not_in_default(state, cmd.obligor_id)
    _grounds(state, cmd.obligor_id, cmd.reason, today)
    if cmd.approval_id is None or cmd.claim_id is None:
        raise InvalidRequest(
            "missing_id", "name the approval_id and claim_id the request creates", "approval_id"
        )
    approval_id = _new_id(state, actor, "apr", cmd.approval_id, "approval_id")
    claim_id = _new_id(state, actor, "dfl", cmd.claim_id, "claim_id")
    return [
        ev.ObligorDefaultRequested(
            approval_id,
            actor.org_id,
            actor.user_id,
            cmd.obligor_id,
            claim_id,
            cmd.reason,
            cmd.note.strip()[:500],
        )
    ]


@_decide.register
def _(cmd: c.ApproveObligorDefault, state: State, actor: Actor, today: date) -> list[ev.Event]:
    payload = _pending_approval(state, cmd.approval_id, "obligor_default", actor)
    approval = state.approval(cmd.approval_id)
    assert approval is not None
    obligor_id, reason = payload["obligor_id"], payload["reason"]
    _not_in_default(state, obligor_id)
    # The grounds are checked again: pieces may have been paid since the maker asked.
    _grounds(state, obligor_id, reason, today)
    claim_id = _new_id(state, actor, "dfl", payload["claim_id"], "claim_id")
    pieces = state.outstanding_of(obligor_id)
    out: list[ev.Event] = []
    for piece in pieces:
        out.extend(_withdraw_encumbrance(state, piece, "the obligor was declared in default"))
    out.append(
        ev.ObligorDefaulted(
            claim_id,
            actor.org_id,
            obligor_id,
            reason,
            cmd.approval_id,
            approval.maker_id,
            actor.user_id,
            today,
            tuple(p.id for p in pieces),
            tuple(p.holder_id for p in pieces),
            tuple(p.outstanding_minor for p in pieces),
            tuple(p.currency for p in pieces),
        )
    )
    return out


@_apply.register
def _(e: ev.ObligorDefaultRequested, state: State, record: ev.EventRecord) -> None:
    payload = json.dumps(
        {"obligor_id": e.obligor_id, "claim_id": e.claim_id, "reason": e.reason, "note": e.note},
        sort_keys=True,
    )
    state.put(
        Approval(
            e.approval_id,
            e.org_id,
            "obligor_default",
            e.maker_id,
            "pending",
            payload,
            record.occurred_at,
        )
    )


@_apply.register
def _(e: ev.ObligorDefaulted, state: State, record: ev.EventRecord) -> None:
    state.put(
        DefaultClaim(
            e.claim_id, e.obligor_id, "open", e.reason, e.as_of, e.piece_ids, e.approval_id
        )
    )
    obligor = state.organisation(e.obligor_id)
    approval = state.approval(e.approval_id)
    assert obligor is not None and approval is not None
    state.put(replace(obligor, default_claim_id=e.claim_id))
    state.put(replace(approval, status="approved"))
    for piece_id in e.piece_ids:
        piece = _get(state, piece_id)
        state.put(replace(piece, status="defaulted", claim_id=e.claim_id, encumbrance=None))


# --- recovery and closing ------------------------------------------------------------


def _open_claim(state: State, claim_id: str) -> DefaultClaim:
    claim = state.default_claim(claim_id)
    if claim is None:
        raise NotFound("unknown_claim", f"no default claim {claim_id!r}", "claim_id")
    if claim.status != "open":
        raise Conflict("claim_closed", f"{claim_id} is closed; it takes no more money", "claim_id")
    return claim


def _claim_pieces(state: State, claim: DefaultClaim) -> list[Receivable]:
    return [_piece(state, piece_id) for piece_id in sorted(claim.piece_ids)]


@_decide.register
def _(cmd: c.RecordRecovery, state: State, actor: Actor, today: date) -> list[ev.Event]:
    _operator_only(state, actor, "records recoveries")
    claim = _open_claim(state, cmd.claim_id)
    check_currency(cmd.currency)
    check_amount(cmd.amount_minor)
    source = cmd.source.strip()
    if not source or len(source) > 200:
        raise InvalidRequest(
            "invalid_source",
            "say where the money came from (1-200 "
            "characters: the administrator, an insurer, a guarantor)",
            "source",
        )
    lacking = [
        p
        for p in _claim_pieces(state, claim)
        if p.currency == cmd.currency and p.outstanding_minor > 0
    ]
    if not lacking:
        raise Conflict(
            "nothing_to_recover",
            f"no piece of {claim.id} lacks money in {cmd.currency}",
            "currency",
        )
    owed = sum(p.outstanding_minor for p in lacking)
    if cmd.amount_minor > owed:
        raise InvalidRequest(
            "recovery_exceeds_claim",
            f"{claim.id} lacks {format_amount(owed, cmd.currency)}; recover at most that",
            "amount_minor",
        )
    shares = recovery_shares(cmd.amount_minor, lacking)
    return [
        ev.RecoveryDistributed(
            claim.id,
            actor.org_id,
            claim.obligor_id,
            source,
            cmd.amount_minor,
            cmd.currency,
            tuple(p.id for p in lacking),
            tuple(p.holder_id for p in lacking),
            tuple(shares),
        )
    ]


@_apply.register
def _(e: ev.RecoveryDistributed, state: State, record: ev.EventRecord) -> None:
    for piece_id, share in zip(e.piece_ids, e.shares_minor, strict=True):
        piece = _get(state, piece_id)
        state.put(replace(piece, recovered_minor=piece.recovered_minor + share))


def closing_event(
    claim: DefaultClaim, pieces: list[Receivable], org_id: str
) -> ev.DefaultClaimClosed:
    """The losses of a claim as they stand: per piece, and per program."""
    exposures = [p.face_minor - p.paid_minor for p in pieces]
    losses = [p.outstanding_minor for p in pieces]
    by_program: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for piece, exposure, loss in zip(pieces, exposures, losses, strict=True):
        by_program[piece.program_id][0] += exposure
        by_program[piece.program_id][1] += loss
    programs = sorted(by_program)
    return ev.DefaultClaimClosed(
        claim.id,
        org_id,
        claim.obligor_id,
        tuple(p.id for p in pieces),
        tuple(p.holder_id for p in pieces),
        tuple(exposures),
        tuple(p.recovered_minor for p in pieces),
        tuple(losses),
        tuple(programs),
        tuple(by_program[p][0] for p in programs),
        tuple(by_program[p][1] for p in programs),
        tuple(loss_given_default_bps(by_program[p][1], by_program[p][0]) for p in programs),
    )


@_decide.register
def _(cmd: c.CloseDefaultClaim, state: State, actor: Actor, today: date) -> list[ev.Event]:
    _operator_only(state, actor, "closes default claims")
    claim = _open_claim(state, cmd.claim_id)
    return [closing_event(claim, _claim_pieces(state, claim), actor.org_id)]


@_apply.register
def _(e: ev.DefaultClaimClosed, state: State, record: ev.EventRecord) -> None:
    claim = state.default_claim(e.claim_id)
    assert claim is not None
    state.put(replace(claim, status="closed"))
    for piece_id in e.piece_ids:
        # Written off: it stops counting against the limits, like a paid piece.
        _pay_off(state, _get(state, piece_id), "written_off")


# --- the invariant replay's reading of these events ---------------------------------


def _is_operator(state: State, org_id: str) -> bool:
    org = state.organisation(org_id)
    return org is not None and "operator" in org.roles


def _check_partly_paid(state: State, e: ev.ReceivablePartlyPaid, org: str) -> str | None:
    piece = state.receivable(e.receivable_id)
    if piece is None:
        return f"unknown receivable {e.receivable_id}"
    if org != piece.obligor_id:
        return f"{org} paid {e.receivable_id} owed by {piece.obligor_id}"
    if piece.status not in OUTSTANDING or piece.claim_id is not None:
        return f"{e.receivable_id} is {piece.status} and takes no payment"
    if e.payee_id != piece.holder_id:
        return f"payment of {e.receivable_id} went to {e.payee_id}, not its holder"
    if not 0 < e.amount_minor < piece.outstanding_minor or e.currency != piece.currency:
        return f"partial payment of {e.receivable_id} is not within what is owed"
    paid = piece.paid_minor + e.amount_minor
    if (e.paid_minor, e.outstanding_minor) != (paid, piece.face_minor - paid):
        return f"partial payment of {e.receivable_id} misstates the totals"
    return None


def _check_defaulted(state: State, e: ev.ObligorDefaulted, org: str) -> str | None:
    if not _is_operator(state, org):
        return f"{org} declared {e.obligor_id} in default, not the operator"
    approval = state.approval(e.approval_id)
    if (
        approval is None
        or approval.kind != "obligor_default"
        or (
            approval.status != "pending"
            or approval.org_id != org
            or approval.maker_id != e.requested_by
        )
    ):
        return f"default of {e.obligor_id} without its pending request {e.approval_id}"
    payload = json.loads(approval.payload_json)
    if (payload["obligor_id"], payload["claim_id"]) != (e.obligor_id, e.claim_id):
        return f"default of {e.obligor_id} differs from what was requested"
    if e.approved_by == e.requested_by:
        return f"default of {e.obligor_id} approved by its own maker"
    obligor = state.organisation(e.obligor_id)
    if obligor is None or obligor.default_claim_id is not None:
        return f"{e.obligor_id} is unknown or already in default"
    owed = state.outstanding_of(e.obligor_id)
    if (
        tuple(p.id for p in owed),
        tuple(p.holder_id for p in owed),
        tuple(p.outstanding_minor for p in owed),
    ) != (e.piece_ids, e.holder_ids, e.outstanding_minor):
        return f"default of {e.obligor_id} does not list exactly the pieces it owed"
    return None


def _check_recovery(state: State, e: ev.RecoveryDistributed, org: str) -> str | None:
    if not _is_operator(state, org):
        return f"{org} recorded a recovery on {e.claim_id}, not the operator"
    claim = state.default_claim(e.claim_id)
    if claim is None or claim.status != "open":
        return f"recovery on {e.claim_id}, which is not an open claim"
    lacking = [
        p
        for p in (state.receivable(i) for i in sorted(claim.piece_ids))
        if p is not None and p.currency == e.currency and p.outstanding_minor > 0
    ]
    if not lacking or not 0 < e.amount_minor <= sum(p.outstanding_minor for p in lacking):
        return f"recovery on {e.claim_id} exceeds what it lacks"
    expected = (
        tuple(p.id for p in lacking),
        tuple(p.holder_id for p in lacking),
        tuple(recovery_shares(e.amount_minor, lacking)),
    )
    if (e.piece_ids, e.holder_ids, e.shares_minor) != expected:
        return f"recovery on {e.claim_id} is not shared pro rata to its holders"
    return None


def _check_closed(state: State, e: ev.DefaultClaimClosed, org: str) -> str | None:
    if not _is_operator(state, org):
        return f"{org} closed {e.claim_id}, not the operator"
    claim = state.default_claim(e.claim_id)
    if claim is None or claim.status != "open":
        return f"{e.claim_id} is not an open claim"
    pieces = [state.receivable(i) for i in sorted(claim.piece_ids)]
    assert all(p is not None for p in pieces)
    if e != closing_event(claim, [p for p in pieces if p is not None], org):
        return f"closing of {e.claim_id} misstates its losses"
    return None


def check_event(state: State, record: ev.EventRecord) -> str | None:
    """Why one of this module's events (or a confirmation by an obligor in default) may
    not happen in this state, or None."""
    e, org = record.event, record.org_id
    if isinstance(e, ev.ReceivablePartlyPaid):
        return _check_partly_paid(state, e, org)
    if isinstance(e, ev.ObligorDefaultRequested):
        return None if _is_operator(state, org) else f"{org} asked for a default, not the operator"
    if isinstance(e, ev.ObligorDefaulted):
        return _check_defaulted(state, e, org)
    if isinstance(e, ev.RecoveryDistributed):
        return _check_recovery(state, e, org)
    if isinstance(e, ev.DefaultClaimClosed):
        return _check_closed(state, e, org)
    if isinstance(e, ev.ReceivableIssued):
        obligor = state.organisation(e.obligor_id)
        if obligor is not None and obligor.default_claim_id is not None:
            return f"{e.obligor_id} confirmed {e.receivable_id} while in default"
    if isinstance(e, ev.ReceivableSettled):
        piece = state.receivable(e.receivable_id)
        if piece is not None and piece.claim_id is not None:
            return f"{e.receivable_id} was settled although it is in claim {piece.claim_id}"
    return None
