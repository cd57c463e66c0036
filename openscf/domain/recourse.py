"""Recourse: the funder of a defaulted financed piece puts it back to the seller.

A program says whether it finances with recourse (`CreateProgram(recourse=True)`, recorded
by a `ProgramRecourseSet` event after `ProgramCreated`). Without recourse the funder keeps
the loss of a defaulted piece and a put-back is refused (`without_recourse`).

With recourse, `PutBackReceivable` by the funder holding a defaulted piece retires it and
creates two pieces, both linked to it by `parent_id` so the chain of custody shows them:

- the *returned* piece: the same claim on the anchor (obligor, face, maturity, still
  defaulted), now held by the seller, the organisation that passed the piece to the funder
  by accepting its financing offer;
- the *recourse obligation*: a piece of its own (its own root) whose obligor is the
  seller and holder the funder, for what the funder still lacked on the piece (its face
  less what the obligor paid in part and what recoveries brought, both kept by the
  funder), due `recourse_days` after the put-back
  (rolled to a business day), status `recourse_due`. The seller pays it with
  `PayRecourse` (at any time: it is already owed), which settles it like any piece
  (`ReceivableSettled`, reconciled by the operator like any settlement).

A defaulted piece may sit in its obligor's default claim (`openscf.domain.recovery`). The
returned piece keeps the claim, and what was paid and recovered on it: it takes the put-back
piece's place in the claim, so later recoveries reach the seller, and on closing the rest is
the seller's loss, no longer the funder's. A piece whose claim already brought it all it
lacked has nothing to put back (`nothing_owed`); a written-off piece is not defaulted any
more (the funder put it back before the claim closed, or keeps the loss).

Money is conserved: the root's pieces still sum to its face (the returned piece replaces
the put-back one), and every recourse obligation's face equals what the piece put back
still lacked. The obligation is the seller's debt, not the anchor's: it counts against no limit.
Dilution never makes a confirmed piece smaller (see `openscf.domain.dilution`), so only a
default is put back.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from openscf.domain import commands as c
from openscf.domain import events as ev
from openscf.domain.apply import _apply, _funder_delta, _get
from openscf.domain.calendar import modified_following
from openscf.domain.decide import Actor, _decide, _new_id, _piece, _program
from openscf.domain.errors import Conflict, InvalidRequest, PermissionDenied
from openscf.domain.model import RECOURSE_DUE, DefaultClaim, Receivable
from openscf.domain.state import InMemoryState, State

__all__ = ["MAX_RECOURSE_DAYS", "check_event", "conservation", "recourse_events", "seller_of"]

MAX_RECOURSE_DAYS = 365


def recourse_events(cmd: c.CreateProgram, program_id: str, anchor_id: str) -> list[ev.Event]:
    """What CreateProgram adds for its recourse terms (nothing without recourse)."""
    if not isinstance(cmd.recourse, bool):
        raise InvalidRequest("invalid_recourse", "recourse is true or false", "recourse")
    if not cmd.recourse:
        return []
    if not isinstance(cmd.recourse_days, int) or not 1 <= cmd.recourse_days <= MAX_RECOURSE_DAYS:
        raise InvalidRequest(
            "invalid_recourse_days",
            f"recourse_days must be 1..{MAX_RECOURSE_DAYS}",
            "recourse_days",
        )
    return [ev.ProgramRecourseSet(program_id, anchor_id, cmd.recourse_days)]


def seller_of(state: State, piece: Receivable) -> str | None:
    """The organisation that passed `piece` (or the piece it was split from) to its holder:
    the seller, for a piece a funder bought. None when the holder always held it."""
    current = piece
    while current.parent_id is not None:
        parent = state.receivable(current.parent_id)
        assert parent is not None, current.parent_id
        if parent.holder_id != piece.holder_id:
            return parent.holder_id
        current = parent
    return None


@_decide.register
def _(cmd: c.PutBackReceivable, state: State, actor: Actor, today: date) -> list[ev.Event]:
    piece = _piece(state, cmd.receivable_id)
    if piece.holder_id != actor.org_id:
        raise PermissionDenied(
            "not_holder", f"only the holder of {piece.id} can put it back", "receivable_id"
        )
    program = _program(state, piece.program_id)
    if actor.org_id not in program.funder_ids:
        raise PermissionDenied(
            "not_program_funder",
            f"only a funder of {program.id} puts a piece back",
            "receivable_id",
        )
    if not program.recourse:
        raise Conflict(
            "without_recourse",
            f"{program.id} finances without recourse: the funder keeps the loss of "
            f"{piece.id}; there is no one to put it back to",
            "receivable_id",
        )
    if piece.status != "defaulted":
        raise Conflict(
            "receivable_not_defaulted",
            f"{piece.id} is {piece.status}; only a defaulted piece is put back",
            "receivable_id",
        )
    seller = seller_of(state, piece)
    if seller is None:
        raise Conflict(
            "not_financed",
            f"{actor.org_id} did not buy {piece.id} from anyone; nothing to put back",
            "receivable_id",
        )
    if piece.outstanding_minor <= 0:
        raise Conflict(
            "nothing_owed",
            f"recoveries on {piece.claim_id} paid all of {piece.id}; nothing to put back",
            "receivable_id",
        )
    returned_id = _new_id(state, actor, "rcv", cmd.returned_receivable_id, "returned_receivable_id")
    recourse_id = _new_id(state, actor, "rcv", cmd.recourse_id, "recourse_id")
    if returned_id == recourse_id:
        raise InvalidRequest(
            "duplicate_ids", "returned_receivable_id and recourse_id differ", "recourse_id"
        )
    due_on = modified_following(today + timedelta(days=program.recourse_days), program.calendar)
    return [
        ev.ReceivablePutBack(
            piece.id,
            returned_id,
            recourse_id,
            program.id,
            actor.org_id,
            seller,
            piece.obligor_id,
            piece.face_minor,
            piece.outstanding_minor,
            piece.currency,
            due_on,
        )
    ]


@_decide.register
def _(cmd: c.PayRecourse, state: State, actor: Actor, today: date) -> list[ev.Event]:
    piece = _piece(state, cmd.receivable_id)
    if piece.obligor_id != actor.org_id:
        raise PermissionDenied(
            "not_obligor",
            f"only {piece.obligor_id}, which owes {piece.id}, pays it",
            "receivable_id",
        )
    if piece.status != RECOURSE_DUE:
        raise Conflict(
            "not_recourse_due",
            f"{piece.id} is {piece.status}, not a recourse obligation still due; "
            "the anchor settles its receivables with SettleReceivable",
            "receivable_id",
        )
    return [
        ev.ReceivableSettled(
            piece.id,
            piece.obligor_id,
            piece.holder_id,
            piece.outstanding_minor,
            piece.currency,
            today,
        )
    ]


@_apply.register
def _(e: ev.ProgramRecourseSet, state: State, record: ev.EventRecord) -> None:
    program = state.program(e.program_id)
    assert program is not None
    state.put(replace(program, recourse=True, recourse_days=e.recourse_days))


@_apply.register
def _(e: ev.ReceivablePutBack, state: State, record: ev.EventRecord) -> None:
    piece = _get(state, e.receivable_id)
    # The retired piece leaves its default claim: the returned piece takes its place there.
    state.put(replace(piece, status="put_back", encumbrance=None, claim_id=None))
    # The returned piece keeps what was paid and recovered on it, and its default claim.
    state.put(
        replace(
            piece,
            id=e.returned_receivable_id,
            holder_id=e.seller_id,
            parent_id=piece.id,
            status="defaulted",
            issued_at=record.occurred_at,
            encumbrance=None,
        )
    )
    if piece.claim_id is not None:
        claim = state.default_claim(piece.claim_id)
        assert claim is not None, piece.claim_id
        state.put(_in_place_of(claim, piece.id, e.returned_receivable_id))
    _funder_delta(state, piece, e.funder_id, -piece.face_minor)
    _funder_delta(state, piece, e.seller_id, piece.face_minor)
    state.put(
        Receivable(
            id=e.recourse_id,
            program_id=piece.program_id,
            obligor_id=e.seller_id,
            supplier_id=piece.supplier_id,
            holder_id=e.funder_id,
            face_minor=e.owed_minor,
            currency=e.currency,
            due_on=e.due_on,
            issued_at=record.occurred_at,
            invoice_id=piece.invoice_id,
            root_id=e.recourse_id,
            parent_id=piece.id,
            status=RECOURSE_DUE,
        )
    )


def _in_place_of(claim: DefaultClaim, old_id: str, new_id: str) -> DefaultClaim:
    """The claim with `new_id` where it listed `old_id` (its pieces stay in id order, the
    order recoveries are shared in)."""
    assert old_id in claim.piece_ids, (claim.id, old_id)
    return replace(
        claim,
        piece_ids=tuple(
            sorted(new_id if piece_id == old_id else piece_id for piece_id in claim.piece_ids)
        ),
    )


def check_event(state: InMemoryState, record: ev.EventRecord) -> str | None:
    """The replay's reading of the recourse rules (None: the event may happen)."""
    e = record.event
    if isinstance(e, ev.ProgramRecourseSet):
        program = state.program(e.program_id)
        if program is None or program.anchor_id != record.org_id or program.recourse:
            return f"{record.org_id} set recourse terms on {e.program_id} it did not just create"
        if not 1 <= e.recourse_days <= MAX_RECOURSE_DAYS:
            return "recourse days out of range"
        return None
    if not isinstance(e, ev.ReceivablePutBack):
        return None
    piece = state.receivable(e.receivable_id)
    if piece is None:
        return f"unknown receivable {e.receivable_id}"
    program = state.programs[piece.program_id]
    if (
        record.org_id != piece.holder_id
        or e.funder_id != piece.holder_id
        or (piece.holder_id not in program.funder_ids)
    ):
        return f"{record.org_id} put back {piece.id} held by {piece.holder_id}"
    if not program.recourse:
        return f"{piece.id} put back in {program.id}, which finances without recourse"
    if piece.status != "defaulted":
        return f"{piece.id} put back while {piece.status}, not defaulted"
    if e.seller_id != seller_of(state, piece):
        return f"{piece.id} put back to {e.seller_id}, who did not sell it"
    if (e.face_minor, e.owed_minor, e.currency, e.obligor_id, e.program_id) != (
        piece.face_minor,
        piece.outstanding_minor,
        piece.currency,
        piece.obligor_id,
        piece.program_id,
    ) or e.owed_minor <= 0:
        return f"the put-back of {piece.id} does not match the piece"
    for new_id in (e.returned_receivable_id, e.recourse_id):
        if new_id in state.receivables:
            return f"piece id {new_id} reused"
    if e.returned_receivable_id == e.recourse_id:
        return "the returned piece and the recourse obligation share an id"
    return None


def conservation(state: InMemoryState) -> list[str]:
    """Every put-back piece has exactly one recourse obligation, for what it still lacked."""
    obligations: dict[str, list[Receivable]] = {}
    for piece in state.receivables.values():
        if piece.root_id == piece.id and piece.parent_id is not None:
            obligations.setdefault(piece.parent_id, []).append(piece)
    out = []
    for piece in state.receivables.values():
        if piece.status != "put_back":
            continue
        found = obligations.get(piece.id, [])
        if len(found) != 1 or found[0].face_minor != piece.outstanding_minor:
            out.append(
                f"{piece.id} was put back but its recourse obligations "
                f"{[p.id for p in found]} do not owe what it lacked"
            )
    for parent_id, found in obligations.items():
        parent = state.receivables.get(parent_id)
        if parent is None or parent.status != "put_back":
            out.append(f"recourse obligation {found[0].id} has no put-back piece")
    return out
