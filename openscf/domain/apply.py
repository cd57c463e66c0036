"""apply(state, record) -> state: how each event changes the state. No decisions here.

`apply` trusts the event (decide or the replay's checks vouched for it). It keeps the
exposure counters that limits are checked against, so those never need a full scan.
"""

from __future__ import annotations

import json
from dataclasses import replace
from functools import singledispatch

from openscf.domain import events as ev
from openscf.domain.model import (
    APPROVAL_PERMISSIONS,
    RECOURSE_DUE,
    Approval,
    EarlyPaymentOffer,
    Exposure,
    FinancingOffer,
    FinancingRequest,
    Invoice,
    Organisation,
    OrgKey,
    Program,
    Receivable,
    ReceivableStatus,
    Relationship,
    User,
    exposure_key,
)
from openscf.domain.state import State

__all__ = ["apply"]


def apply(state: State, record: ev.EventRecord) -> State:
    _apply(record.event, state, record)
    return state


def _bump(state: State, key: str, delta_minor: int) -> None:
    value = state.exposure(key) + delta_minor
    assert value >= 0, f"exposure {key} would go negative"
    state.put(Exposure(key, value))


def _get(state: State, receivable_id: str) -> Receivable:
    piece = state.receivable(receivable_id)
    assert piece is not None, receivable_id
    return piece


def _funder_delta(state: State, piece: Receivable, holder_id: str, delta_minor: int) -> None:
    """Funder exposure follows the pieces a program's funder currently holds."""
    program = state.program(piece.program_id)
    assert program is not None
    if holder_id in program.funder_ids:
        _bump(state, exposure_key("funder", piece.program_id, holder_id), delta_minor)


def _pay_off(state: State, piece: Receivable, status: ReceivableStatus) -> None:
    """The obligor paid this piece: it stops counting against every limit."""
    state.put(replace(piece, status=status, encumbrance=None))
    _bump(state, exposure_key("program", piece.program_id), -piece.face_minor)
    _bump(state, exposure_key("supplier", piece.program_id, piece.supplier_id), -piece.face_minor)
    _funder_delta(state, piece, piece.holder_id, -piece.face_minor)


@singledispatch
def _apply(event: ev.Event, state: State, record: ev.EventRecord) -> None:
    raise AssertionError(f"no apply rule for {type(event).__name__}")


@_apply.register
def _(e: ev.OrganisationRegistered, state: State, record: ev.EventRecord) -> None:
    state.put(Organisation(e.org_id, e.name, e.roles, e.country, e.lei, e.iban, e.bic))


@_apply.register
def _(e: ev.KeyRegistered, state: State, record: ev.EventRecord) -> None:
    state.put(OrgKey(e.key_id, e.org_id, e.public_key, e.custodial, record.occurred_at))
    if e.replaces is not None:
        old = state.org_key(e.replaces)
        assert old is not None
        state.put(replace(old, rotated_at=record.occurred_at))


@_apply.register
def _(e: ev.KeyRevoked, state: State, record: ev.EventRecord) -> None:
    key = state.org_key(e.key_id)
    assert key is not None
    state.put(replace(key, revoked_at=record.occurred_at))


@_apply.register
def _(e: ev.UserAdded, state: State, record: ev.EventRecord) -> None:
    user = User(e.user_id, e.org_id, e.name, e.permissions, record.actor_id)
    if any(p in APPROVAL_PERMISSIONS for p in e.permissions):
        # Seeded by the operator at onboarding (decide allows nothing else).
        user = replace(
            user, approver_since=record.occurred_at, approver_sponsors=(record.actor_id,)
        )
        _count_approver(state, e.org_id)
    state.put(user)


def _count_approver(state: State, org_id: str) -> None:
    org = state.organisation(org_id)
    assert org is not None
    state.put(replace(org, approvers=org.approvers + 1))


@_apply.register
def _(e: ev.BankAccountChangeRequested, state: State, record: ev.EventRecord) -> None:
    payload = json.dumps({"iban": e.iban, "bic": e.bic}, sort_keys=True)
    state.put(
        Approval(
            e.approval_id,
            e.org_id,
            "bank_account",
            e.maker_id,
            "pending",
            payload,
            record.occurred_at,
        )
    )


@_apply.register
def _(e: ev.BankAccountChanged, state: State, record: ev.EventRecord) -> None:
    org = state.organisation(e.org_id)
    assert org is not None
    state.put(replace(org, iban=e.iban, bic=e.bic))
    if e.approval_id is not None:
        approval = state.approval(e.approval_id)
        assert approval is not None
        state.put(replace(approval, status="approved"))


@_apply.register
def _(e: ev.ProgramCreated, state: State, record: ev.EventRecord) -> None:
    state.put(
        Program(
            e.program_id,
            e.anchor_id,
            e.name,
            e.currency,
            e.max_tenor_days,
            e.program_limit_minor,
            e.supplier_limit_minor,
            e.funder_limit_minor,
            e.day_count,
            e.calendar,
            e.approval_threshold_minor,
            e.default_after_days,
            (),
        )
    )
    state.put(Exposure(exposure_key("program", e.program_id), 0))


@_apply.register
def _(e: ev.FunderAdded, state: State, record: ev.EventRecord) -> None:
    program = state.program(e.program_id)
    assert program is not None
    state.put(replace(program, funder_ids=(*program.funder_ids, e.funder_id)))


@_apply.register
def _(e: ev.SupplierOnboarded, state: State, record: ev.EventRecord) -> None:
    state.put(Relationship(e.program_id, e.supplier_id, e.onboarded_on))


@_apply.register
def _(e: ev.ConfirmationRequested, state: State, record: ev.EventRecord) -> None:
    payload = json.dumps(
        {
            "program_id": e.program_id,
            "supplier_id": e.supplier_id,
            "invoice_id": e.invoice_id,
            "invoice_number": e.invoice_number,
            "receivable_id": e.receivable_id,
            "amount_minor": e.amount_minor,
            "currency": e.currency,
            "due_on": e.due_on.isoformat(),
        },
        sort_keys=True,
    )
    state.put(
        Approval(
            e.approval_id,
            e.anchor_id,
            "confirmation",
            e.maker_id,
            "pending",
            payload,
            record.occurred_at,
        )
    )


@_apply.register
def _(e: ev.ReceivableIssued, state: State, record: ev.EventRecord) -> None:
    state.put(
        Invoice(
            e.invoice_id,
            e.program_id,
            e.obligor_id,
            e.supplier_id,
            e.invoice_number,
            e.face_minor,
            e.currency,
            e.invoice_due_on,
            e.receivable_id,
        )
    )
    state.put(
        Receivable(
            id=e.receivable_id,
            program_id=e.program_id,
            obligor_id=e.obligor_id,
            supplier_id=e.supplier_id,
            holder_id=e.supplier_id,
            face_minor=e.face_minor,
            currency=e.currency,
            due_on=e.due_on,
            issued_at=record.occurred_at,
            invoice_id=e.invoice_id,
            root_id=e.receivable_id,
            parent_id=None,
            status="live",
        )
    )
    _bump(state, exposure_key("program", e.program_id), e.face_minor)
    _bump(state, exposure_key("supplier", e.program_id, e.supplier_id), e.face_minor)
    if e.approval_id is not None:
        approval = state.approval(e.approval_id)
        assert approval is not None
        state.put(replace(approval, status="approved"))


@_apply.register
def _(e: ev.ReceivableSplit, state: State, record: ev.EventRecord) -> None:
    parent = _get(state, e.parent_id)
    state.put(replace(parent, status="split"))
    for piece_id, face in zip(e.piece_ids, e.faces_minor, strict=True):
        state.put(
            replace(
                parent,
                id=piece_id,
                face_minor=face,
                parent_id=parent.id,
                status="live",
                issued_at=record.occurred_at,
                encumbrance=None,
            )
        )


@_apply.register
def _(e: ev.ReceivableTransferred, state: State, record: ev.EventRecord) -> None:
    piece = _get(state, e.receivable_id)
    state.put(replace(piece, status="transferred", encumbrance=None))
    state.put(
        replace(
            piece,
            id=e.new_receivable_id,
            holder_id=e.to_org_id,
            parent_id=piece.id,
            status="live",
            issued_at=record.occurred_at,
            encumbrance=None,
        )
    )
    _funder_delta(state, piece, e.from_org_id, -piece.face_minor)
    _funder_delta(state, piece, e.to_org_id, piece.face_minor)


@_apply.register
def _(e: ev.FinancingRequested, state: State, record: ev.EventRecord) -> None:
    state.put(FinancingRequest(e.request_id, e.program_id, e.receivable_id, e.holder_id, "open"))
    piece = _get(state, e.receivable_id)
    state.put(replace(piece, encumbrance=e.request_id))


@_apply.register
def _(e: ev.FinancingOffered, state: State, record: ev.EventRecord) -> None:
    state.put(
        FinancingOffer(
            e.offer_id,
            e.request_id,
            e.funder_id,
            e.annual_rate,
            e.fees_minor,
            e.value_date,
            e.days,
            e.discount_minor,
            e.proceeds_minor,
            "open",
        )
    )


@_apply.register
def _(e: ev.FinancingOfferAccepted, state: State, record: ev.EventRecord) -> None:
    offer = state.financing_offer(e.offer_id)
    request = state.financing_request(e.request_id)
    assert offer is not None and request is not None
    state.put(replace(offer, status="accepted"))
    state.put(replace(request, status="accepted", accepted_offer_id=e.offer_id))


@_apply.register
def _(e: ev.FinancingOfferDeclined, state: State, record: ev.EventRecord) -> None:
    offer = state.financing_offer(e.offer_id)
    assert offer is not None
    state.put(replace(offer, status="declined"))


@_apply.register
def _(e: ev.FinancingRequestWithdrawn, state: State, record: ev.EventRecord) -> None:
    request = state.financing_request(e.request_id)
    assert request is not None
    state.put(replace(request, status="withdrawn"))
    piece = _get(state, e.receivable_id)
    if piece.encumbrance == e.request_id:
        state.put(replace(piece, encumbrance=None))


@_apply.register
def _(e: ev.EarlyPaymentOffered, state: State, record: ev.EventRecord) -> None:
    state.put(
        EarlyPaymentOffer(
            e.offer_id,
            e.receivable_id,
            e.obligor_id,
            e.annual_rate,
            e.value_date,
            e.days,
            e.discount_minor,
            e.amount_minor,
            "open",
        )
    )


@_apply.register
def _(e: ev.ReceivablePaidEarly, state: State, record: ev.EventRecord) -> None:
    offer = state.early_payment_offer(e.offer_id)
    assert offer is not None
    state.put(replace(offer, status="accepted"))
    _pay_off(state, _get(state, e.receivable_id), "paid_early")


@_apply.register
def _(e: ev.ReceivableSettled, state: State, record: ev.EventRecord) -> None:
    piece = _get(state, e.receivable_id)
    paid = replace(piece, paid_minor=piece.paid_minor + e.amount_minor)
    if piece.status == RECOURSE_DUE:  # the seller's debt counts against no limit
        state.put(replace(paid, status="settled"))
        return
    _pay_off(state, paid, "settled")


@_apply.register
def _(e: ev.ReceivableOverdue, state: State, record: ev.EventRecord) -> None:
    state.put(replace(_get(state, e.receivable_id), status="overdue"))


@_apply.register
def _(e: ev.ReceivableDefaulted, state: State, record: ev.EventRecord) -> None:
    state.put(replace(_get(state, e.receivable_id), status="defaulted"))


@_apply.register
def _(e: ev.ReceivableCancelled, state: State, record: ev.EventRecord) -> None:
    _pay_off(state, _get(state, e.receivable_id), "cancelled")


# --- trade documents and payments ---------------------------------------------------


@_apply.register
def _(e: ev.MatchOverrideRequested, state: State, record: ev.EventRecord) -> None:
    payload = json.dumps(
        {
            "program_id": e.program_id,
            "document_id": e.document_id,
            "document_sha256": e.document_sha256,
            "reasons": list(e.reasons),
            "note": e.note,
        },
        sort_keys=True,
    )
    state.put(
        Approval(
            e.approval_id,
            e.anchor_id,
            "match_override",
            e.maker_id,
            "pending",
            payload,
            record.occurred_at,
        )
    )


@_apply.register
def _(e: ev.MatchOverrideApproved, state: State, record: ev.EventRecord) -> None:
    approval = state.approval(e.approval_id)
    assert approval is not None
    state.put(replace(approval, status="approved"))


@_apply.register
def _(e: ev.TradeDocumentLinked, state: State, record: ev.EventRecord) -> None:
    """The link is a record in the log; the document itself lives off the log."""


@_apply.register
def _(e: ev.PaymentReconciled, state: State, record: ev.EventRecord) -> None:
    """Finality is a fact in the log (and the app's payment projection); the receivable's
    state already moved when it was settled or financed."""


# --- separation of duties and custody -------------------------------------------------


@_apply.register
def _(e: ev.PermissionGrantRequested, state: State, record: ev.EventRecord) -> None:
    payload = json.dumps({"user_id": e.user_id, "permission": e.permission}, sort_keys=True)
    state.put(
        Approval(
            e.approval_id,
            e.org_id,
            "permission_grant",
            e.maker_id,
            "pending",
            payload,
            record.occurred_at,
        )
    )


@_apply.register
def _(e: ev.PermissionGranted, state: State, record: ev.EventRecord) -> None:
    user = state.user(e.user_id)
    assert user is not None
    user = replace(user, permissions=tuple(sorted({*user.permissions, e.permission})))
    if e.permission in APPROVAL_PERMISSIONS:
        sponsors = (e.requested_by,) if e.approved_by is None else (e.requested_by, e.approved_by)
        user = replace(
            user,
            approver_since=record.occurred_at,
            approver_sponsors=tuple(sorted({*user.approver_sponsors, *sponsors})),
        )
        _count_approver(state, e.org_id)
    state.put(user)
    if e.approval_id is not None:
        approval = state.approval(e.approval_id)
        assert approval is not None
        state.put(replace(approval, status="approved"))


@_apply.register
def _(e: ev.CustodyDisabled, state: State, record: ev.EventRecord) -> None:
    org = state.organisation(e.org_id)
    assert org is not None
    state.put(replace(org, custody_disabled=True))
    for key_id in e.revoked_key_ids:
        key = state.org_key(key_id)
        assert key is not None
        state.put(replace(key, revoked_at=record.occurred_at))


# Partial payment, obligor default and recovery, recourse and dilution register their
# rules on `_apply` (they read this module's helpers).
from openscf.domain import dilution, recourse  # noqa: E402, F401
from openscf.domain import recovery as _recovery  # noqa: E402, F401
