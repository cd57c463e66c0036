"""Rows <-> domain records. Column names equal field names; a few types need converting.

Converters are computed once per record class, because this runs for every row read.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import fields
from datetime import date
from operator import attrgetter
from typing import Any

from sqlalchemy import Table

from openscf.domain.events import format_instant, parse_instant
from openscf.domain.invoice_number import exact_invoice_number_key
from openscf.domain.model import (
    Approval,
    Credit,
    DefaultClaim,
    Dispute,
    EarlyPaymentOffer,
    Exposure,
    FinancingOffer,
    FinancingRequest,
    FraudFlag,
    Invoice,
    Organisation,
    OrgKey,
    Program,
    Receivable,
    Relationship,
    RiskDecision,
    RiskModel,
    User,
)
from openscf.domain.state import Record
from openscf.store import tables as t

__all__ = ["KEY_OF", "TABLE_OF", "key_of", "record_to_row", "row_to_record", "values_to_record"]

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
    OrgKey: t.org_keys,
    Credit: t.credits,
    Dispute: t.disputes,
    DefaultClaim: t.default_claims,
    RiskModel: t.risk_models,
    RiskDecision: t.risk_decisions,
    FraudFlag: t.fraud_flags,
}

KEY_OF: dict[type[Any], tuple[str, ...]] = {
    cls: tuple(col.name for col in table.primary_key.columns) for cls, table in TABLE_OF.items()
}

_TUPLE_FIELDS = {
    "roles",
    "permissions",
    "funder_ids",
    "approver_sponsors",
    "piece_ids",
    "feature_names",
    "reasons",
}
_INSTANT_FIELDS = {
    "issued_at",
    "valid_from",
    "rotated_at",
    "revoked_at",
    "approver_since",
    "requested_at",
}
_BOOL_FIELDS = {"custodial", "custody_disabled", "recourse"}


_KEY_GETTERS: dict[type[Any], Callable[[Any], tuple[Any, ...]]] = {}


def _key_getter(cls: type[Any]) -> Callable[[Any], tuple[Any, ...]]:
    names = KEY_OF[cls]
    if len(names) == 1:
        (name,) = names
        return lambda record: (getattr(record, name),)
    get = attrgetter(*names)
    return lambda record: get(record)


def key_of(record: Record) -> tuple[Any, ...]:
    getter = _KEY_GETTERS.get(type(record))
    if getter is None:
        getter = _KEY_GETTERS[type(record)] = _key_getter(type(record))
    return getter(record)


def _to_date(value: Any) -> Any:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _identity(value: Any) -> Any:
    return value


def _reader(cls: type[Any], name: str) -> Callable[[Any], Any]:
    annotation = {f.name: f.type for f in fields(cls)}[name]
    if name in _TUPLE_FIELDS:
        return lambda v: tuple(json.loads(v))
    if name in _INSTANT_FIELDS:
        return lambda v: None if v is None else parse_instant(v)
    if name in _BOOL_FIELDS:
        return bool
    if annotation in ("date", "date | None"):
        return _to_date
    return _identity


_READERS: dict[tuple[type[Any], tuple[str, ...]], list[tuple[int, str, Callable[[Any], Any]]]] = {}


def values_to_record(cls: type[Any], columns: tuple[str, ...], values: Sequence[Any]) -> Any:
    """A record from a DBAPI row whose column order is `columns`."""
    plan = _READERS.get((cls, columns))
    if plan is None:
        position = {name: i for i, name in enumerate(columns)}
        plan = [(position[f.name], f.name, _reader(cls, f.name)) for f in fields(cls)]
        _READERS[(cls, columns)] = plan
    return cls(**{name: read(values[i]) for i, name, read in plan})


def row_to_record(cls: type[Any], row: Any) -> Any:
    """A record from a SQLAlchemy row (read-side queries)."""
    mapping = row._mapping
    columns = tuple(mapping.keys())
    return values_to_record(cls, columns, tuple(mapping.values()))


# Per record class: (field name, how its value is stored: 0 as is, 1 tuple as JSON,
# 2 instant as text, 3 bool as int), computed once (`fields()` is slow per row).
_WRITERS: dict[type[Any], list[tuple[str, int]]] = {}


def _writer(cls: type[Any]) -> list[tuple[str, int]]:
    plan = []
    for f in fields(cls):
        kind = (
            1
            if f.name in _TUPLE_FIELDS
            else 2
            if f.name in _INSTANT_FIELDS
            else 3
            if f.name in _BOOL_FIELDS
            else 0
        )
        plan.append((f.name, kind))
    return plan


def record_to_row(record: Record) -> dict[str, Any]:
    plan = _WRITERS.get(type(record))
    if plan is None:
        plan = _WRITERS[type(record)] = _writer(type(record))
    row: dict[str, Any] = {}
    for name, kind in plan:
        value = getattr(record, name)
        if kind == 1:
            value = json.dumps(list(value))
        elif kind == 2:
            value = None if value is None else format_instant(value)
        elif kind == 3:
            value = int(value)
        row[name] = value
    if isinstance(record, Invoice):
        row["number_key"] = exact_invoice_number_key(record.number)
    return row
