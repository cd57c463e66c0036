"""Read-side queries for adapters: lists, details, the event history, chains of custody."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, func, select

from openscf.domain.events import EventRecord, record_from_data
from openscf.domain.model import Organisation, Program, Receivable
from openscf.store import tables as t
from openscf.store.mapping import row_to_record
from openscf.trust.canonical import decode_canonical

__all__ = [
    "chain_of_custody",
    "count_events_by_type",
    "iter_event_bodies",
    "iter_events",
    "list_organisations",
    "list_programs",
    "list_receivables",
    "load_exposures",
    "log_size",
    "receivable_by_id",
    "stored_receivables",
]


def list_receivables(conn: Connection, *, holder_id: str | None = None,
                     status: str | None = None, program_id: str | None = None,
                     limit: int = 100, starting_after: str | None = None,
                     oldest_first: bool = False) -> list[Receivable]:
    """Pieces by id; with oldest_first, in log order: by the sequence number of the event
    that created each piece (pieces of one split in id order)."""
    query = select(t.receivables).order_by(t.receivables.c.id).limit(limit)
    if oldest_first:
        created = (select(func.min(t.event_refs.c.seq))
                   .where(t.event_refs.c.ref == t.receivables.c.id,
                          t.event_refs.c.kind == "rcv").scalar_subquery())
        query = select(t.receivables).order_by(created, t.receivables.c.id).limit(limit)
    if holder_id:
        query = query.where(t.receivables.c.holder_id == holder_id)
    if status:
        query = query.where(t.receivables.c.status == status)
    if program_id:
        query = query.where(t.receivables.c.program_id == program_id)
    if starting_after:
        query = query.where(t.receivables.c.id > starting_after)
    return [row_to_record(Receivable, row) for row in conn.execute(query)]


def receivable_by_id(conn: Connection, receivable_id: str) -> Receivable | None:
    row = conn.execute(select(t.receivables).where(t.receivables.c.id == receivable_id)).first()
    return None if row is None else row_to_record(Receivable, row)


def stored_receivables(conn: Connection) -> Iterator[Receivable]:
    for row in conn.execute(select(t.receivables).order_by(t.receivables.c.id)):
        yield row_to_record(Receivable, row)


def list_organisations(conn: Connection) -> list[Organisation]:
    rows = conn.execute(select(t.organisations).order_by(t.organisations.c.id))
    return [row_to_record(Organisation, row) for row in rows]


def list_programs(conn: Connection) -> list[Program]:
    return [row_to_record(Program, row) for row in conn.execute(select(t.programs))]


def load_exposures(conn: Connection) -> dict[str, int]:
    rows = conn.execute(select(t.exposures.c.key, t.exposures.c.outstanding_minor))
    return {key: int(value) for key, value in rows}


LOG_KEY_ID = "log"


def log_identity_and_secret(conn: Connection) -> tuple[str, bytes]:
    """The log's origin and the sealed seed of its checkpoint-signing key."""
    row = conn.execute(select(t.log_identity.c.origin)).first()
    sealed = conn.execute(select(t.custodial_secrets.c.sealed)
                          .where(t.custodial_secrets.c.key_id == LOG_KEY_ID)).scalar()
    if row is None or sealed is None:
        raise LookupError("this database has no log identity: was it bootstrapped?")
    return row[0], bytes(sealed)


def log_size(conn: Connection) -> int:
    return int(conn.execute(select(t.log_head.c.size)).scalar_one())


def iter_event_bodies(conn: Connection, *, after_seq: int = 0,
                      batch: int = 20000) -> Iterator[list[tuple[int, bytes]]]:
    """The stored (seq, canonical bytes) of every event in log order, in batches."""
    last = after_seq
    while True:
        rows = conn.execute(
            select(t.events.c.seq, t.events.c.body).where(t.events.c.seq > last)
            .order_by(t.events.c.seq).limit(batch)
        ).all()
        if not rows:
            return
        # SQLite stores whatever type it is given: a tamperer may have written text into
        # the blob column. Read it as bytes either way (the hashes will tell).
        yield [(int(seq), body.encode() if isinstance(body, str) else bytes(body))
               for seq, body in rows]
        last = rows[-1][0]


def iter_events(conn: Connection, *, after_seq: int = 0,
                batch: int = 5000) -> Iterator[EventRecord]:
    """Every event in log order, decoded from its stored canonical bytes."""
    for rows in iter_event_bodies(conn, after_seq=after_seq, batch=batch):
        for seq, body in rows:
            yield record_from_data(decode_canonical(body), seq)


def count_events_by_type(conn: Connection) -> dict[str, int]:
    rows = conn.execute(select(t.events.c.type, func.count()).group_by(t.events.c.type))
    return {name: int(n) for name, n in rows}


def chain_of_custody(conn: Connection, receivable_id: str) -> list[dict[str, Any]]:
    """From the anchor's confirmation to `receivable_id`: every event on its ancestry."""
    ancestry: list[str] = []
    current: str | None = receivable_id
    while current is not None:
        row = conn.execute(
            select(t.receivables.c.id, t.receivables.c.parent_id)
            .where(t.receivables.c.id == current)
        ).first()
        if row is None:
            break
        ancestry.append(row[0])
        current = row[1]
    if not ancestry:
        return []
    seqs = select(t.event_refs.c.seq).where(t.event_refs.c.ref.in_(ancestry))
    rows = conn.execute(
        select(t.events.c.seq, t.events.c.body).where(t.events.c.seq.in_(seqs))
        .order_by(t.events.c.seq)
    )
    chain = []
    for seq, body in rows:
        record = record_from_data(decode_canonical(bytes(body)), seq)
        chain.append({"seq": seq, "type": record.event.TYPE, "org_id": record.org_id,
                      "actor_id": record.actor_id, "occurred_at": record.occurred_at,
                      "event": record.event})
    return chain
