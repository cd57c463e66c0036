"""Who sees which credit and dispute (dilution after confirmation).

A credit or a dispute concerns two organisations: the anchor that holds the credit or
raised the dispute, and the supplier it is held against. Both see it (the supplier sees
the credits held against it: a claim on it until netted); the operator and auditors see
everything; nobody else sees anything, and an id they name is answered as unknown.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, or_, select

from openscf.app.queries import FULL_READERS, Caller, Page, ReadModel
from openscf.domain.errors import NotFound
from openscf.domain.model import Credit, Dispute
from openscf.store import tables as t
from openscf.store.mapping import row_to_record

__all__ = ["DilutionLedger", "credit", "credits", "dispute", "disputes"]


def _full(caller: Caller) -> bool:
    return bool(FULL_READERS & set(caller.roles))


def _listing(
    reads: ReadModel,
    table: Any,
    cls: type[Any],
    caller: Caller,
    filters: dict[str, str | None],
    limit: int,
    starting_after: str | None,
) -> Page[Any]:
    query = select(table)
    if not _full(caller):
        query = query.where(
            or_(table.c.anchor_id == caller.org_id, table.c.supplier_id == caller.org_id)
        )
    for name, value in filters.items():
        if value:
            query = query.where(table.c[name] == value)
    query = query.order_by(table.c.id).limit(limit + 1)
    if starting_after:
        query = query.where(table.c.id > starting_after)
    with reads.engine.connect() as conn:
        items = [row_to_record(cls, r) for r in conn.execute(query)]
    return Page(items[:limit], len(items) > limit)


def _one(
    reads: ReadModel, table: Any, cls: type[Any], caller: Caller, record_id: str, kind: str
) -> Any:
    with reads.engine.connect() as conn:
        row = conn.execute(select(table).where(table.c.id == record_id)).first()
    record = None if row is None else row_to_record(cls, row)
    if record is None or not (
        _full(caller) or caller.org_id in (record.anchor_id, record.supplier_id)
    ):
        raise NotFound(f"unknown_{kind}", f"no {kind} {record_id!r}", f"{kind}_id")
    return record


def credits(
    reads: ReadModel,
    caller: Caller,
    *,
    program_id: str | None = None,
    supplier_id: str | None = None,
    status: str | None = None,
    limit: int = 20,
    starting_after: str | None = None,
) -> Page[Credit]:
    """Credits the caller holds (anchor) or that are held against it (supplier)."""
    return _listing(
        reads,
        t.credits,
        Credit,
        caller,
        {"program_id": program_id, "supplier_id": supplier_id, "status": status},
        limit,
        starting_after,
    )


def credit(reads: ReadModel, caller: Caller, credit_id: str) -> Credit:
    found: Credit = _one(reads, t.credits, Credit, caller, credit_id, "credit")
    return found


def disputes(
    reads: ReadModel,
    caller: Caller,
    *,
    program_id: str | None = None,
    supplier_id: str | None = None,
    status: str | None = None,
    limit: int = 20,
    starting_after: str | None = None,
) -> Page[Dispute]:
    """Disputes the caller raised (anchor) or that concern its invoices (supplier)."""
    return _listing(
        reads,
        t.disputes,
        Dispute,
        caller,
        {"program_id": program_id, "supplier_id": supplier_id, "status": status},
        limit,
        starting_after,
    )


def dispute(reads: ReadModel, caller: Caller, dispute_id: str) -> Dispute:
    found: Dispute = _one(reads, t.disputes, Dispute, caller, dispute_id, "dispute")
    return found


class DilutionLedger:
    """Credits and disputes without visibility rules, for the command line (whoever runs
    it holds the database, like `openscf.app.queries.Ledger`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def currency_of(self, kind: str, record_id: str) -> str | None:
        """The currency of an invoice or a program, None when there is no such record."""
        table = {"invoice": t.invoices, "program": t.programs}[kind]
        with self.engine.connect() as conn:
            found = conn.execute(select(table.c.currency).where(table.c.id == record_id)).scalar()
        return None if found is None else str(found)

    def credits(self, **where: str | None) -> list[Credit]:
        """Credits whose columns equal the values given (None: any), oldest first."""
        query = select(t.credits).order_by(t.credits.c.recorded_on, t.credits.c.id)
        for name, value in where.items():
            if value:
                query = query.where(t.credits.c[name] == value)
        with self.engine.connect() as conn:
            return [row_to_record(Credit, r) for r in conn.execute(query)]

    def dispute(self, dispute_id: str) -> Dispute | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(t.disputes).where(t.disputes.c.id == dispute_id)).first()
        return None if row is None else row_to_record(Dispute, row)

    def disputes(self, status: str | None = None) -> list[Dispute]:
        query = select(t.disputes).order_by(t.disputes.c.id)
        if status:
            query = query.where(t.disputes.c.status == status)
        with self.engine.connect() as conn:
            return [row_to_record(Dispute, r) for r in conn.execute(query)]
