"""The unit of work: one database transaction per command (or per batch of commands).

`DbState` implements the domain's `State` over the open transaction with an identity map:
reads go to the database once, writes (`put`) are collected and flushed with optimistic
version checks, so a record changed by a concurrent transaction raises
`ConcurrencyConflict` instead of being overwritten. Events are appended to the log in the
same transaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from openscf.domain.errors import ConcurrencyConflict
from openscf.domain.events import EventRecord, format_instant, record_to_data
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
from openscf.store.mapping import (
    KEY_OF,
    TABLE_OF,
    key_of,
    normalise_invoice_number,
    record_to_row,
    row_to_record,
)
from openscf.trust.canonical import canonical_bytes

__all__ = ["DbState", "UnitOfWork", "unit_of_work"]

_MISSING = object()


class DbState:
    """The domain's State over one open transaction."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._cache: dict[tuple[type[Any], tuple[Any, ...]], Any] = {}
        self._versions: dict[tuple[type[Any], tuple[Any, ...]], int] = {}
        self._dirty: dict[tuple[type[Any], tuple[Any, ...]], Record] = {}

    # --- reads ---------------------------------------------------------------------

    def _load(self, cls: type[Any], key: tuple[Any, ...]) -> Any:
        cache_key = (cls, key)
        found = self._cache.get(cache_key, _MISSING)
        if found is not _MISSING:
            return found
        table = TABLE_OF[cls]
        clauses = [table.c[name] == value for name, value in zip(KEY_OF[cls], key, strict=True)]
        row = self.connection.execute(select(table).where(and_(*clauses))).first()
        record = None if row is None else row_to_record(cls, row)
        if row is not None:
            self._versions[cache_key] = row._mapping["version"]
        self._cache[cache_key] = record
        return record

    def organisation(self, org_id: str) -> Organisation | None:
        return self._load(Organisation, (org_id,))  # type: ignore[no-any-return]

    def user(self, user_id: str) -> User | None:
        return self._load(User, (user_id,))  # type: ignore[no-any-return]

    def program(self, program_id: str) -> Program | None:
        return self._load(Program, (program_id,))  # type: ignore[no-any-return]

    def relationship(self, program_id: str, supplier_id: str) -> Relationship | None:
        return self._load(Relationship, (program_id, supplier_id))  # type: ignore[no-any-return]

    def invoice(self, invoice_id: str) -> Invoice | None:
        return self._load(Invoice, (invoice_id,))  # type: ignore[no-any-return]

    def invoice_by_number(self, anchor_id: str, supplier_id: str, number: str) -> Invoice | None:
        key = normalise_invoice_number(number)
        for (cls, _), record in self._dirty.items():
            if cls is Invoice and isinstance(record, Invoice) and (
                    record.anchor_id, record.supplier_id,
                    normalise_invoice_number(record.number)) == (anchor_id, supplier_id, key):
                return record
        row = self.connection.execute(
            select(t.invoices.c.id).where(
                t.invoices.c.anchor_id == anchor_id,
                t.invoices.c.supplier_id == supplier_id,
                t.invoices.c.number_key == key,
            )
        ).first()
        return None if row is None else self.invoice(row[0])

    def receivable(self, receivable_id: str) -> Receivable | None:
        return self._load(Receivable, (receivable_id,))  # type: ignore[no-any-return]

    def financing_request(self, request_id: str) -> FinancingRequest | None:
        return self._load(FinancingRequest, (request_id,))  # type: ignore[no-any-return]

    def financing_offer(self, offer_id: str) -> FinancingOffer | None:
        return self._load(FinancingOffer, (offer_id,))  # type: ignore[no-any-return]

    def early_payment_offer(self, offer_id: str) -> EarlyPaymentOffer | None:
        return self._load(EarlyPaymentOffer, (offer_id,))  # type: ignore[no-any-return]

    def approval(self, approval_id: str) -> Approval | None:
        return self._load(Approval, (approval_id,))  # type: ignore[no-any-return]

    def exposure(self, key: str) -> int:
        record = self._load(Exposure, (key,))
        return 0 if record is None else int(record.outstanding_minor)

    # --- writes ----------------------------------------------------------------------

    def put(self, record: Record) -> None:
        cache_key = (type(record), key_of(record))
        self._cache[cache_key] = record
        self._dirty[cache_key] = record

    def flush(self) -> None:
        """Write every changed record; a stale version means someone else got there first."""
        for cache_key, record in self._dirty.items():
            cls = cache_key[0]
            table = TABLE_OF[cls]
            row = record_to_row(record)
            version = self._versions.get(cache_key)
            if version is None:
                row["version"] = 1
                try:
                    self.connection.execute(insert(table), row)
                except IntegrityError as exc:
                    raise ConcurrencyConflict(
                        f"a concurrent request created the same {table.name} record"
                    ) from exc
                self._versions[cache_key] = 1
            else:
                row["version"] = version + 1
                clauses = [table.c[name] == value
                           for name, value in zip(KEY_OF[cls], cache_key[1], strict=True)]
                result = self.connection.execute(
                    update(table).where(and_(*clauses), table.c.version == version).values(row)
                )
                if result.rowcount != 1:
                    raise ConcurrencyConflict()
                self._versions[cache_key] = version + 1
        self._dirty.clear()


class UnitOfWork:
    """One transaction: a DbState, the event log append, and idempotency records."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.state = DbState(connection)

    def append(self, records: Sequence[EventRecord]) -> list[EventRecord]:
        """Append events to the log; returns them with their sequence numbers.

        Taking the log head's row lock serialises appends across processes, so sequence
        numbers are dense and in commit order.
        """
        if not records:
            return []
        size = self.connection.execute(
            update(t.log_head).where(t.log_head.c.id == 1)
            .values(size=t.log_head.c.size + len(records)).returning(t.log_head.c.size)
        ).scalar_one()
        first = size - len(records) + 1
        event_rows: list[dict[str, Any]] = []
        party_rows: list[dict[str, Any]] = []
        subject_rows: list[dict[str, Any]] = []
        out: list[EventRecord] = []
        for offset, record in enumerate(records):
            seq = first + offset
            body = canonical_bytes(record_to_data(record))
            event_rows.append({
                "seq": seq, "id": record.id, "type": record.event.TYPE, "org_id": record.org_id,
                "actor_id": record.actor_id, "occurred_at": format_instant(record.occurred_at),
                "body": body,
            })
            party_rows.extend({"org_id": org, "seq": seq} for org in record.event.parties())
            subject_rows.extend(
                {"receivable_id": rid, "seq": seq} for rid in dict.fromkeys(record.event.subjects())
            )
            out.append(EventRecord(record.id, record.org_id, record.actor_id, record.occurred_at,
                                   record.event, seq))
        self.connection.execute(insert(t.events), event_rows)
        if party_rows:
            self.connection.execute(insert(t.event_parties), party_rows)
        if subject_rows:
            self.connection.execute(insert(t.event_subjects), subject_rows)
        return out

    def idempotent_response(self, key: str) -> tuple[str, str] | None:
        row = self.connection.execute(
            select(t.idempotency.c.request_hash, t.idempotency.c.response)
            .where(t.idempotency.c.key == bindparam("k")), {"k": key}
        ).first()
        return None if row is None else (row[0], row[1])

    def remember(self, key: str, request_hash: str, response: str, at: str) -> None:
        try:
            self.connection.execute(insert(t.idempotency), {
                "key": key, "request_hash": request_hash, "response": response, "created_at": at,
            })
        except IntegrityError as exc:
            raise ConcurrencyConflict("a concurrent request used the same id") from exc


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[UnitOfWork]:
    """Commit when the block ends normally; roll back everything on any exception."""
    try:
        with engine.begin() as connection:
            uow = UnitOfWork(connection)
            yield uow
            uow.state.flush()
    except OperationalError as exc:
        # SQLite "database is locked" after the busy timeout, PostgreSQL serialization or
        # deadlock failures: the transaction lost a race; the app may retry.
        message = str(exc.orig).lower()
        if "locked" in message or "deadlock" in message or "serializ" in message:
            raise ConcurrencyConflict() from exc
        raise
