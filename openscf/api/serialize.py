"""Records -> JSON objects. Every object has `object` and `id`; instants are RFC 3339
UTC text, business dates `YYYY-MM-DD`, money integer minor units with its currency."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from openscf.app.auth import ApiKey, AuthEvent, Principal, SessionRecord
from openscf.app.queries import Page
from openscf.app.risk_ledger import PiecePrice
from openscf.domain.events import EventRecord, format_instant, record_to_data
from openscf.domain.model import (
    Approval,
    Credit,
    Dispute,
    EarlyPaymentOffer,
    FinancingOffer,
    FinancingRequest,
    FraudFlag,
    Invoice,
    Organisation,
    Program,
    Receivable,
    Relationship,
    RiskDecision,
    RiskModel,
    User,
)

__all__ = [
    "api_key",
    "approval",
    "early_payment_offer",
    "event",
    "financing_offer",
    "financing_request",
    "fraud_flag",
    "invoice",
    "listing",
    "organisation",
    "program",
    "program_supplier",
    "receivable",
    "risk_decision",
    "risk_model",
    "session",
    "user",
]


def _instant(value: datetime | None) -> str | None:
    return None if value is None else format_instant(value)


def _date(value: date) -> str:
    return value.isoformat()


def listing(page: Page[Any], render: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [render(item) for item in page.data],
        "has_more": page.has_more,
    }


def list_of(items: Iterable[dict[str, Any]], has_more: bool = False) -> dict[str, Any]:
    return {"object": "list", "data": list(items), "has_more": has_more}


def organisation(o: Organisation) -> dict[str, Any]:
    return {
        "object": "organisation",
        "id": o.id,
        "name": o.name,
        "roles": list(o.roles),
        "country": o.country,
        "lei": o.lei,
        "iban": o.iban,
        "bic": o.bic,
        "custody_disabled": o.custody_disabled,
    }


def user(u: User) -> dict[str, Any]:
    return {
        "object": "user",
        "id": u.id,
        "org_id": u.org_id,
        "name": u.name,
        "permissions": list(u.permissions),
    }


def api_key(k: ApiKey, secret: str | None = None) -> dict[str, Any]:
    return {
        "object": "api_key",
        "id": k.id,
        "user_id": k.user_id,
        "org_id": k.org_id,
        "name": k.name,
        "prefix": k.prefix,
        "created_by": k.created_by,
        "created_at": format_instant(k.created_at),
        "revoked_at": _instant(k.revoked_at),
        "origin_key_id": k.origin_key_id,
        "secret": secret,
    }


def session(p: Principal) -> dict[str, Any]:
    ident = p.credential_id if p.method == "api_key" else "ses_" + p.credential_id[:24]
    return {
        "object": "session",
        "id": ident,
        "method": p.method,
        "user_id": p.user_id,
        "org_id": p.org_id,
        "roles": list(p.roles),
        "permissions": list(p.permissions),
        "csrf_token": p.csrf_token,
        "expires_at": _instant(p.session_expires_at),
    }


def session_record(r: SessionRecord) -> dict[str, Any]:
    return {
        "object": "session",
        "id": r.id,
        "user_id": r.user_id,
        "org_id": r.org_id,
        "opened_with": "api_key" if r.api_key_id else "password",
        "api_key_id": r.api_key_id,
        "address": r.address,
        "created_at": format_instant(r.created_at),
        "expires_at": format_instant(r.expires_at),
        "ended_at": _instant(r.ended_at),
    }


def auth_event(e: AuthEvent) -> dict[str, Any]:
    return {
        "object": "auth_event",
        "id": e.id,
        "occurred_at": format_instant(e.occurred_at),
        "kind": e.kind,
        "org_id": e.org_id,
        "user_id": e.user_id,
        "actor_id": e.actor_id,
        "address": e.address,
        "login": e.login,
        "credential_id": e.credential_id,
        "detail": e.detail,
    }


def program(p: Program) -> dict[str, Any]:
    return {
        "object": "program",
        "id": p.id,
        "anchor_id": p.anchor_id,
        "name": p.name,
        "currency": p.currency,
        "max_tenor_days": p.max_tenor_days,
        "program_limit_minor": p.program_limit_minor,
        "supplier_limit_minor": p.supplier_limit_minor,
        "funder_limit_minor": p.funder_limit_minor,
        "day_count": p.day_count,
        "calendar": p.calendar,
        "approval_threshold_minor": p.approval_threshold_minor,
        "default_after_days": p.default_after_days,
        "funder_ids": list(p.funder_ids),
        "recourse": p.recourse,
        "recourse_days": p.recourse_days,
    }


def program_supplier(r: Relationship) -> dict[str, Any]:
    return {
        "object": "program_supplier",
        "id": r.supplier_id,
        "program_id": r.program_id,
        "supplier_id": r.supplier_id,
        "onboarded_on": _date(r.onboarded_on),
    }


def invoice(i: Invoice) -> dict[str, Any]:
    return {
        "object": "invoice",
        "id": i.id,
        "program_id": i.program_id,
        "anchor_id": i.anchor_id,
        "supplier_id": i.supplier_id,
        "number": i.number,
        "amount_minor": i.amount_minor,
        "currency": i.currency,
        "due_on": _date(i.due_on),
        "receivable_id": i.receivable_id,
    }


def approval(a: Approval) -> dict[str, Any]:
    try:
        payload = json.loads(a.payload_json)
    except ValueError:  # pragma: no cover - written by the app as JSON
        payload = {}
    return {
        "object": "approval",
        "id": a.id,
        "org_id": a.org_id,
        "kind": a.kind,
        "maker_id": a.maker_id,
        "status": a.status,
        "payload": payload if isinstance(payload, dict) else {"value": payload},
    }


def receivable(r: Receivable) -> dict[str, Any]:
    return {
        "object": "receivable",
        "id": r.id,
        "program_id": r.program_id,
        "obligor_id": r.obligor_id,
        "supplier_id": r.supplier_id,
        "holder_id": r.holder_id,
        "face_minor": r.face_minor,
        "currency": r.currency,
        "due_on": _date(r.due_on),
        "issued_at": format_instant(r.issued_at),
        "invoice_id": r.invoice_id,
        "root_id": r.root_id,
        "parent_id": r.parent_id,
        "status": r.status,
        "encumbrance": r.encumbrance,
        "paid_minor": r.paid_minor,
        "recovered_minor": r.recovered_minor,
        "outstanding_minor": r.outstanding_minor,
        "claim_id": r.claim_id,
    }


def financing_request(f: FinancingRequest) -> dict[str, Any]:
    return {
        "object": "financing_request",
        "id": f.id,
        "program_id": f.program_id,
        "receivable_id": f.receivable_id,
        "holder_id": f.holder_id,
        "status": f.status,
        "accepted_offer_id": f.accepted_offer_id,
    }


def financing_offer(item: tuple[FinancingOffer, str]) -> dict[str, Any]:
    o, currency = item
    return {
        "object": "financing_offer",
        "id": o.id,
        "request_id": o.request_id,
        "funder_id": o.funder_id,
        "annual_rate": o.annual_rate,
        "fees_minor": o.fees_minor,
        "value_date": _date(o.value_date),
        "days": o.days,
        "discount_minor": o.discount_minor,
        "proceeds_minor": o.proceeds_minor,
        "currency": currency,
        "status": o.status,
    }


def early_payment_offer(item: tuple[EarlyPaymentOffer, str, str]) -> dict[str, Any]:
    o, currency, holder = item
    return {
        "object": "early_payment_offer",
        "id": o.id,
        "receivable_id": o.receivable_id,
        "obligor_id": o.obligor_id,
        "holder_id": holder,
        "annual_rate": o.annual_rate,
        "value_date": _date(o.value_date),
        "days": o.days,
        "discount_minor": o.discount_minor,
        "amount_minor": o.amount_minor,
        "currency": currency,
        "status": o.status,
    }


def event(e: EventRecord) -> dict[str, Any]:
    data = record_to_data(e)
    return {
        "object": "event",
        "id": e.id,
        "seq": e.seq or 0,
        "type": e.event.TYPE,
        "org_id": e.org_id,
        "actor_id": e.actor_id,
        "occurred_at": format_instant(e.occurred_at),
        "data": data["data"],
        "key_id": None if e.auth is None else e.auth.key_id,
        "custodial": None if e.auth is None else e.auth.custodial,
    }


def credit(k: Credit) -> dict[str, Any]:
    return {
        "object": "credit",
        "id": k.id,
        "program_id": k.program_id,
        "anchor_id": k.anchor_id,
        "supplier_id": k.supplier_id,
        "invoice_id": k.invoice_id,
        "source": k.source,
        "reference": k.reference,
        "amount_minor": k.amount_minor,
        "open_minor": k.open_minor,
        "currency": k.currency,
        "status": k.status,
        "recorded_on": _date(k.recorded_on),
    }


def dispute(d: Dispute) -> dict[str, Any]:
    return {
        "object": "dispute",
        "id": d.id,
        "program_id": d.program_id,
        "anchor_id": d.anchor_id,
        "supplier_id": d.supplier_id,
        "invoice_number": d.invoice_number,
        "invoice_id": d.invoice_id,
        "amount_minor": d.amount_minor,
        "currency": d.currency,
        "reason": d.reason,
        "status": d.status,
        "agreed_minor": d.agreed_minor,
        "credit_id": d.credit_id,
    }


def fraud_flag(f: FraudFlag) -> dict[str, Any]:
    return {
        "object": "fraud_flag",
        "id": f.id,
        "program_id": f.program_id,
        "anchor_id": f.anchor_id,
        "supplier_id": f.supplier_id,
        "invoice_number": f.invoice_number,
        "invoice_id": f.invoice_id,
        "receivable_id": f.receivable_id,
        "detector_id": f.detector_id,
        "evidence": f.evidence,
        "evidence_sha256": f.evidence_sha256,
        "decision_id": f.decision_id,
        "status": f.status,
        "raised_on": f.raised_on.isoformat(),
        "cleared_on": None if f.cleared_on is None else f.cleared_on.isoformat(),
        "clear_reason": f.clear_reason,
    }


def risk_decision(d: RiskDecision) -> dict[str, Any]:
    return {
        "object": "risk_decision",
        "id": d.id,
        "kind": d.kind,
        "subject_kind": d.subject_kind,
        "org_id": d.org_id,
        "program_id": d.program_id,
        "invoice_number": d.invoice_number,
        "receivable_id": d.receivable_id,
        "model_id": d.model_id,
        "model_sha256": d.model_sha256,
        "features_sha256": d.features_sha256,
        "features": json.loads(d.features),
        "output": json.loads(d.output),
        "reasons": list(d.reasons),
        "decided_on": d.decided_on.isoformat(),
    }


def indicative_price(p: PiecePrice) -> dict[str, Any]:
    return {
        "object": "indicative_price",
        "receivable_id": p.receivable_id,
        "decision_id": p.decision_id,
        "model_id": p.model_id,
        "decided_on": p.decided_on,
        "output": p.output,
        "grade": p.grade,
        "pd_bps": p.pd_bps,
    }


def risk_model(m: RiskModel) -> dict[str, Any]:
    return {
        "object": "risk_model",
        "id": m.id,
        "kind": m.kind,
        "content_sha256": m.content_sha256,
        "feature_names": list(m.feature_names),
        "registered_on": m.registered_on.isoformat(),
    }
