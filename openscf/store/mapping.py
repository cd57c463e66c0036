"""Rows <-> domain records. Column names equal field names; a few types need converting."""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import date
from typing import Any

from sqlalchemy import Table

from openscf.domain.events import format_instant, parse_instant
from openscf.domain.model import (
    Approval,
    EarlyPaymentOffer,
    Exposure,
    FinancingOffer,
    FinancingRequest,
    Invoice,
    Organisation,
    Program,
    Receivable,
    Relationship,
    User,
)
from openscf.domain.state import Record
from openscf.store import tables as t

__all__ = [
    "KEY_OF",
    "TABLE_OF",
    "key_of",
    "normalise_invoice_number",
    "record_to_row",
    "row_to_record",
]

TABLE_OF: dict[type[Any], Table] = {
    Organisation: t.organisations,
    User: t.users,
    Program: t.programs,
    Relationship: t.relationships,
    Invoice: t.invoices,
    Receivable: t.receivables,
    FinancingRequest: t.financing_requests,
    FinancingOffer: t.financing_offers,
    EarlyPaymentOffer: t.early_payment_offers,
    Approval: t.approvals,
    Exposure: t.exposures,
}

KEY_OF: dict[type[Any], tuple[str, ...]] = {
    cls: tuple(col.name for col in table.primary_key.columns) for cls, table in TABLE_OF.items()
}

_TUPLE_FIELDS = {"roles", "permissions", "funder_ids"}
_INSTANT_FIELDS = {"issued_at"}


def normalise_invoice_number(number: str) -> str:
    return number.strip().upper()


def key_of(record: Record) -> tuple[Any, ...]:
    return tuple(getattr(record, name) for name in KEY_OF[type(record)])


def record_to_row(record: Record) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for f in fields(record):
        value = getattr(record, f.name)
        if f.name in _TUPLE_FIELDS:
            value = json.dumps(list(value))
        elif f.name in _INSTANT_FIELDS:
            value = format_instant(value)
        row[f.name] = value
    if isinstance(record, Invoice):
        row["number_key"] = normalise_invoice_number(record.number)
    return row


def row_to_record(cls: type[Any], row: Any) -> Any:
    mapping = row._mapping
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        value = mapping[f.name]
        if f.name in _TUPLE_FIELDS:
            value = tuple(json.loads(value))
        elif f.name in _INSTANT_FIELDS:
            value = parse_instant(value)
        elif isinstance(value, str) and f.type in ("date", "date | None"):
            value = date.fromisoformat(value)
        kwargs[f.name] = value
    return cls(**kwargs)
