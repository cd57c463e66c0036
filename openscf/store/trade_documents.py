"""Trade documents, the invoice fingerprint registry, payment instructions and bank
statements: the rows the trade desk (`openscf.app.trade`) keeps off the log.

`TradeDocuments` wraps one connection: inside a unit of work it is `uow.connection`, so
its writes commit or roll back with the command's events; `reading(engine)` gives one for
reads on a fresh connection. Dates come back as `date` on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from openscf.domain.events import Event, record_from_data
from openscf.domain.model import Organisation, Program
from openscf.store import queries as q
from openscf.store import tables as t
from openscf.trust.canonical import decode_canonical

__all__ = ["TradeDocuments", "reading"]

Row = dict[str, Any]


def _day(value: Any) -> date | None:
    """A DATE column's value: SQLite hands back ISO text, PostgreSQL a date."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def _row(row: Any, *dates: str) -> Row:
    out = dict(row._mapping)
    for name in dates:
        out[name] = _day(out[name])
    return out


class TradeDocuments:
    """The trade desk's rows, over one connection (see the module's docstring)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # --- the network, as the desk needs it ---------------------------------------------

    def organisations(self) -> list[Organisation]:
        return q.list_organisations(self.conn)

    def programs(self) -> list[Program]:
        return q.list_programs(self.conn)

    def user_permissions(self, org_id: str) -> list[tuple[str, list[str]]]:
        """(user id, permissions) of an organisation's users, by id."""
        return [
            (str(uid), json.loads(perms))
            for uid, perms in self.conn.execute(
                select(t.users.c.id, t.users.c.permissions)
                .where(t.users.c.org_id == org_id)
                .order_by(t.users.c.id)
            )
        ]

    def invoice_exists(self, invoice_id: str) -> bool:
        return (
            self.conn.execute(select(t.invoices.c.id).where(t.invoices.c.id == invoice_id)).first()
            is not None
        )

    def events_of_type(self, event_type: str) -> list[Event]:
        """Every logged event of this type, in log order."""
        rows = self.conn.execute(
            select(t.events.c.seq, t.events.c.body)
            .where(t.events.c.type == event_type)
            .order_by(t.events.c.seq)
        )
        return [record_from_data(decode_canonical(bytes(body)), seq).event for seq, body in rows]

    def offer_value_date(self, offer_id: str) -> date | None:
        row = self.conn.execute(
            select(t.financing_offers.c.value_date).where(t.financing_offers.c.id == offer_id)
        ).first()
        return None if row is None else _day(row[0])

    def receivable_currency(self, receivable_id: str) -> str:
        return str(
            self.conn.execute(
                select(t.receivables.c.currency).where(t.receivables.c.id == receivable_id)
            ).scalar_one()
        )

    def approved_overrides(self, org_id: str) -> list[tuple[str, dict[str, Any]]]:
        """(approval id, payload) of the organisation's approved match overrides, by id."""
        rows = self.conn.execute(
            select(t.approvals.c.id, t.approvals.c.payload_json)
            .where(
                t.approvals.c.org_id == org_id,
                t.approvals.c.kind == "match_override",
                t.approvals.c.status == "approved",
            )
            .order_by(t.approvals.c.id)
        )
        return [(str(approval_id), json.loads(payload)) for approval_id, payload in rows]

    # --- match tolerances ----------------------------------------------------------------

    def tolerance(self, program_id: str) -> tuple[int, int] | None:
        """(price bps, quantity bps) set for the program, or None."""
        row = self.conn.execute(
            select(t.match_tolerances).where(t.match_tolerances.c.program_id == program_id)
        ).first()
        return None if row is None else (int(row.price_bps), int(row.quantity_bps))

    def replace_tolerance(
        self, program_id: str, *, price_bps: int, quantity_bps: int, set_by: str, set_at: str
    ) -> None:
        self.conn.execute(
            t.match_tolerances.delete().where(t.match_tolerances.c.program_id == program_id)
        )
        self.conn.execute(
            insert(t.match_tolerances).values(
                program_id=program_id,
                price_bps=price_bps,
                quantity_bps=quantity_bps,
                set_by=set_by,
                set_at=set_at,
            )
        )

    # --- documents -----------------------------------------------------------------------

    def document(self, document_id: str) -> Row | None:
        row = self.conn.execute(
            select(t.trade_documents).where(t.trade_documents.c.id == document_id)
        ).first()
        return None if row is None else dict(row._mapping)

    def documents(
        self,
        *,
        org_id: str | None = None,
        kind: str | None = None,
        status: str | None = None,
        limit: int = 100,
    ) -> list[Row]:
        docs = t.trade_documents
        query = select(docs).order_by(docs.c.id).limit(limit)
        if org_id:
            query = query.where(docs.c.org_id == org_id)
        if kind:
            query = query.where(docs.c.kind == kind)
        if status:
            query = query.where(docs.c.status == status)
        return [dict(row._mapping) for row in self.conn.execute(query)]

    def document_id_by_number(
        self, org_id: str, kind: str, counterparty: str, number_key: str
    ) -> str | None:
        """The document of this kind and number already imported from the counterparty."""
        docs = t.trade_documents
        found: str | None = self.conn.execute(
            select(docs.c.id).where(
                docs.c.org_id == org_id,
                docs.c.kind == kind,
                docs.c.counterparty == counterparty,
                docs.c.number_key == number_key,
            )
        ).scalar()
        return found

    def order(self, org_id: str, number_key: str) -> Row | None:
        docs = t.trade_documents
        row = self.conn.execute(
            select(docs).where(
                docs.c.org_id == org_id, docs.c.kind == "order", docs.c.number_key == number_key
            )
        ).first()
        return None if row is None else dict(row._mapping)

    def on_order(
        self, org_id: str, order_key: str, *, kind: str | None = None, status: str | None = None
    ) -> list[Row]:
        """The documents that refer to an order (of one kind and status, if given)."""
        docs = t.trade_documents
        query = select(docs).where(docs.c.org_id == org_id, docs.c.order_ref == order_key)
        if kind is not None:
            query = query.where(docs.c.kind == kind)
        if status is not None:
            query = query.where(docs.c.status == status)
        return [dict(row._mapping) for row in self.conn.execute(query).all()]

    def add_documents(self, rows: Sequence[Row]) -> None:
        if rows:
            self.conn.execute(insert(t.trade_documents), list(rows))

    def update_document(self, document_id: str, **values: Any) -> None:
        self.conn.execute(
            update(t.trade_documents).where(t.trade_documents.c.id == document_id).values(**values)
        )

    # --- the fingerprint registry --------------------------------------------------------

    def fingerprint_holder(self, fingerprint: str) -> str | None:
        """The document registered under this fingerprint, or None."""
        found: str | None = self.conn.execute(
            select(t.invoice_fingerprints.c.document_id).where(
                t.invoice_fingerprints.c.fingerprint == fingerprint
            )
        ).scalar()
        return found

    def fingerprints(
        self, *, seller_key: str | None = None, buyer_key: str | None = None
    ) -> list[Row]:
        """Registered invoice fingerprints (of one seller and buyer, if given)."""
        fps = t.invoice_fingerprints
        query = select(fps)
        if seller_key is not None:
            query = query.where(fps.c.seller_key == seller_key)
        if buyer_key is not None:
            query = query.where(fps.c.buyer_key == buyer_key)
        return [_row(row, "issue_date") for row in self.conn.execute(query).all()]

    def add_fingerprints(self, rows: Sequence[Row]) -> None:
        if rows:
            self.conn.execute(insert(t.invoice_fingerprints), list(rows))

    def external_fingerprint_known(self, key_id: str, fingerprint: str) -> bool:
        ext = t.external_fingerprints
        return (
            self.conn.execute(
                select(ext.c.key_id).where(ext.c.key_id == key_id, ext.c.fingerprint == fingerprint)
            ).scalar()
            is not None
        )

    def external_fingerprints(self, key_id: str) -> set[str]:
        ext = t.external_fingerprints
        return set(
            self.conn.execute(select(ext.c.fingerprint).where(ext.c.key_id == key_id)).scalars()
        )

    def add_external_fingerprints(self, rows: Sequence[Row]) -> None:
        if rows:
            self.conn.execute(insert(t.external_fingerprints), list(rows))

    # --- payments out --------------------------------------------------------------------

    def instructed(self) -> set[tuple[str, str]]:
        """(kind, subject id) of every payment instruction already made."""
        pi = t.payment_instructions
        return {(k, s) for k, s in self.conn.execute(select(pi.c.kind, pi.c.subject_id))}

    def add_payment_instructions(self, rows: Sequence[Row]) -> None:
        if rows:
            self.conn.execute(insert(t.payment_instructions), list(rows))

    def payment_instructions(self, *, status: str | None = None) -> list[Row]:
        pi = t.payment_instructions
        query = select(pi).order_by(pi.c.id)
        if status:
            query = query.where(pi.c.status == status)
        return [dict(row._mapping) for row in self.conn.execute(query)]

    def sent_instructions(self, debtor_ibans: Sequence[str]) -> list[Row]:
        """Instructions sent from these accounts and neither reconciled nor rejected by
        the bank (a rejected payment never settles anything)."""
        pi = t.payment_instructions
        return [
            _row(row, "value_date")
            for row in self.conn.execute(
                select(pi).where(
                    pi.c.status.in_(("sent", "accepted")),
                    pi.c.debtor_iban.in_(list(debtor_ibans)),
                )
            ).all()
        ]

    def instructions_of_message(self, message_id: str) -> list[Row]:
        """The instructions written in one pain.001 file (its MsgId)."""
        pi = t.payment_instructions
        query = select(pi).where(pi.c.message_id == message_id).order_by(pi.c.id)
        return [dict(row._mapping) for row in self.conn.execute(query)]

    def set_instruction_status(self, instruction_id: str, status: str, note: str) -> None:
        """The bank's answer to an instruction (pain.002): accepted or rejected, why."""
        self.conn.execute(
            update(t.payment_instructions)
            .where(t.payment_instructions.c.id == instruction_id)
            .values(status=status, bank_reference=note[:140])
        )

    def mark_reconciled(self, instruction_id: str, **values: Any) -> None:
        self.conn.execute(
            update(t.payment_instructions)
            .where(t.payment_instructions.c.id == instruction_id)
            .values(status="reconciled", **values)
        )

    def settlement_status(self, receivable_id: str) -> str | None:
        """The status of the settlement instruction of a piece, or None."""
        pi = t.payment_instructions
        row = self.conn.execute(
            select(pi.c.status).where(pi.c.kind == "settlement", pi.c.subject_id == receivable_id)
        ).first()
        return None if row is None else str(row[0])

    # --- statements in -------------------------------------------------------------------

    def statement_imported(self, sha256: str) -> bool:
        return (
            self.conn.execute(
                select(t.bank_statements.c.id).where(t.bank_statements.c.sha256 == sha256)
            ).first()
            is not None
        )

    def add_statement(self, statement: Row, entries: Sequence[Row]) -> None:
        self.conn.execute(insert(t.bank_statements).values(**statement))
        if entries:
            self.conn.execute(insert(t.bank_entries), list(entries))


@contextmanager
def reading(engine: Engine) -> Iterator[TradeDocuments]:
    """The desk's rows on a connection of their own, for reads."""
    with engine.connect() as conn:
        yield TradeDocuments(conn)
