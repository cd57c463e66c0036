"""Read-side queries for adapters: lists, details, the event history, chains of custody."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, func, select

from openscf.domain.events import EventRecord, record_from_data
from openscf.domain.model import Organisation, Program, Receivable
from openscf.store import tables as t
from openscf.store.mapping import row_to_record
from openscf.trust.canonical import decode_canonical

__all__ = [
    "accepted_deals",
    "auth_events",
    "chain_of_custody",
    "checkpoint_history",
    "count_events_by_type",
    "demo_cast",
    "event_leaf",
    "events_logged",
    "events_on_receivables",
    "invoice_numbers",
    "iter_event_bodies",
    "iter_events",
    "list_organisations",
    "list_programs",
    "list_receivables",
    "load_exposures",
    "log_size",
    "newest_checkpoints",
    "org_key",
    "org_keys",
    "organisation_names",
    "program_members",
    "receivable_by_id",
    "stored_receivables",
    "witness_owner",
    "witness_rows",
]

CHUNK = 500  # ids per IN (...) list: well under every dialect's bound-parameter limit


def list_receivables(
    conn: Connection,
    *,
    holder_id: str | None = None,
    status: str | None = None,
    program_id: str | None = None,
    limit: int = 100,
    starting_after: str | None = None,
    oldest_first: bool = False,
) -> list[Receivable]:
    """Pieces by id; with oldest_first, in log order: by the sequence number of the event
    that created each piece (pieces of one split in id order)."""
    query = select(t.receivables).order_by(t.receivables.c.id).limit(limit)
    if oldest_first:
        created = (
            select(func.min(t.event_refs.c.seq))
            .where(t.event_refs.c.ref == t.receivables.c.id, t.event_refs.c.kind == "rcv")
            .scalar_subquery()
        )
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
    sealed = conn.execute(
        select(t.custodial_secrets.c.sealed).where(t.custodial_secrets.c.key_id == LOG_KEY_ID)
    ).scalar()
    if row is None or sealed is None:
        raise LookupError("this database has no log identity: was it bootstrapped?")
    return row[0], bytes(sealed)


def log_size(conn: Connection) -> int:
    return int(conn.execute(select(t.log_head.c.size)).scalar_one())


def iter_event_bodies(
    conn: Connection, *, after_seq: int = 0, batch: int = 20000
) -> Iterator[list[tuple[int, bytes]]]:
    """The stored (seq, canonical bytes) of every event in log order, in batches."""
    last = after_seq
    while True:
        rows = conn.execute(
            select(t.events.c.seq, t.events.c.body)
            .where(t.events.c.seq > last)
            .order_by(t.events.c.seq)
            .limit(batch)
        ).all()
        if not rows:
            return
        # SQLite stores whatever type it is given: a tamperer may have written text into
        # the blob column. Read it as bytes either way (the hashes will tell).
        yield [
            (int(seq), body.encode() if isinstance(body, str) else bytes(body))
            for seq, body in rows
        ]
        last = rows[-1][0]


def iter_events(
    conn: Connection, *, after_seq: int = 0, batch: int = 5000
) -> Iterator[EventRecord]:
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
            select(t.receivables.c.id, t.receivables.c.parent_id).where(
                t.receivables.c.id == current
            )
        ).first()
        if row is None:
            break
        ancestry.append(row[0])
        current = row[1]
    if not ancestry:
        return []
    seqs = select(t.event_refs.c.seq).where(t.event_refs.c.ref.in_(ancestry))
    rows = conn.execute(
        select(t.events.c.seq, t.events.c.body)
        .where(t.events.c.seq.in_(seqs))
        .order_by(t.events.c.seq)
    )
    chain = []
    for seq, body in rows:
        record = record_from_data(decode_canonical(bytes(body)), seq)
        chain.append(
            {
                "seq": seq,
                "type": record.event.TYPE,
                "org_id": record.org_id,
                "actor_id": record.actor_id,
                "occurred_at": record.occurred_at,
                "event": record.event,
            }
        )
    return chain


def organisation_names(conn: Connection) -> dict[str, str]:
    return dict(conn.execute(select(t.organisations.c.id, t.organisations.c.name)).all())


# --- the log: leaves, checkpoints, witnesses -------------------------------------------------


def events_logged(conn: Connection) -> int:
    """How many events (leaves) the log holds."""
    return int(conn.execute(select(func.count()).select_from(t.events)).scalar_one())


def event_leaf(conn: Connection, seq: int) -> tuple[bytes, bytes]:
    """(canonical body, leaf hash) of the event at `seq`."""
    body, leaf = conn.execute(
        select(t.events.c.body, t.events.c.leaf_hash).where(t.events.c.seq == seq)
    ).one()
    return bytes(body), bytes(leaf)


def checkpoint_history(conn: Connection) -> list[tuple[int, Any]]:
    """(size, signed_at) of every signed checkpoint, oldest first."""
    return [
        (int(size), at)
        for size, at in conn.execute(
            select(t.checkpoints.c.size, t.checkpoints.c.signed_at).order_by(t.checkpoints.c.size)
        )
    ]


def newest_checkpoints(conn: Connection, limit: int) -> list[tuple[int, bytes, Any]]:
    """(size, root, signed_at) of the newest `limit` signed checkpoints, newest first."""
    return [
        (int(size), bytes(root), at)
        for size, root, at in conn.execute(
            select(t.checkpoints.c.size, t.checkpoints.c.root, t.checkpoints.c.signed_at)
            .order_by(t.checkpoints.c.size.desc())
            .limit(limit)
        )
    ]


def witness_rows(conn: Connection) -> list[tuple[str, str, Any]]:
    """(name, org id, registered at) of every registered witness."""
    return [
        tuple(row)
        for row in conn.execute(
            select(t.witnesses.c.name, t.witnesses.c.org_id, t.witnesses.c.registered_at)
        )
    ]


def witness_owner(conn: Connection, name: str) -> str | None:
    """The organisation that registered the witness `name`, or None."""
    owner: str | None = conn.execute(
        select(t.witnesses.c.org_id).where(t.witnesses.c.name == name)
    ).scalar()
    return owner


# --- keys and the security audit trail -------------------------------------------------------


def org_keys(conn: Connection, org_id: str) -> list[dict[str, Any]]:
    """An organisation's signing keys, in the order they came into force."""
    rows = conn.execute(
        select(t.org_keys)
        .where(t.org_keys.c.org_id == org_id)
        .order_by(t.org_keys.c.valid_from, t.org_keys.c.id)
    )
    return [dict(row._mapping) for row in rows]


def org_key(conn: Connection, key_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(t.org_keys).where(t.org_keys.c.id == key_id)).first()
    return None if row is None else dict(row._mapping)


def auth_events(
    conn: Connection, *, limit: int, org_id: str | None = None, kind: str | None = None
) -> list[dict[str, Any]]:
    """The newest `limit` security audit entries (logins, keys, sessions), oldest first."""
    query = select(t.auth_events).order_by(t.auth_events.c.id.desc()).limit(limit)
    if org_id:
        query = query.where(t.auth_events.c.org_id == org_id)
    if kind:
        query = query.where(t.auth_events.c.kind == kind)
    return [dict(r._mapping) for r in conn.execute(query)][::-1]


# --- what the dashboard adds to pieces -------------------------------------------------------


def accepted_deals(
    conn: Connection, program_ids: Sequence[str], since: date, until: date
) -> list[tuple[str, str, str, str, int, int]]:
    """(program, obligor, seller, annual rate, fees, face) of each financing offer accepted
    in these programs with a value date in [since, until]."""
    o, f, r = t.financing_offers, t.financing_requests, t.receivables
    query = (
        select(
            f.c.program_id,
            r.c.obligor_id,
            f.c.holder_id,
            o.c.annual_rate,
            o.c.fees_minor,
            r.c.face_minor,
        )
        .join(f, f.c.id == o.c.request_id)
        .join(r, r.c.id == f.c.receivable_id)
        .where(
            o.c.status == "accepted",
            f.c.program_id.in_(list(program_ids)),
            o.c.value_date >= since,
            o.c.value_date <= until,
        )
    )
    return [tuple(row) for row in conn.execute(query)]


def invoice_numbers(conn: Connection, invoice_ids: Sequence[str]) -> dict[str, str]:
    """invoice id -> its number, for the ids that exist."""
    ids = list(invoice_ids)
    numbers: dict[str, str] = {}
    for i in range(0, len(ids), CHUNK):
        numbers.update(
            conn.execute(
                select(t.invoices.c.id, t.invoices.c.number).where(
                    t.invoices.c.id.in_(ids[i : i + CHUNK])
                )
            ).all()
        )
    return numbers


def events_on_receivables(conn: Connection, receivable_ids: Sequence[str]) -> list[EventRecord]:
    """Every event naming one of these pieces, in log order."""
    if not receivable_ids:
        return []
    seqs = select(t.event_refs.c.seq).where(
        t.event_refs.c.ref.in_(list(receivable_ids)), t.event_refs.c.kind == "rcv"
    )
    rows = conn.execute(
        select(t.events.c.seq, t.events.c.body)
        .where(t.events.c.seq.in_(seqs))
        .order_by(t.events.c.seq)
    ).all()
    return [record_from_data(decode_canonical(bytes(body)), seq) for seq, body in rows]


def program_members(conn: Connection, program_ids: Sequence[str]) -> list[tuple[str, str]]:
    """(program, supplier) of every supplier onboarded in these programs."""
    return [
        tuple(row)
        for row in conn.execute(
            select(t.relationships.c.program_id, t.relationships.c.supplier_id).where(
                t.relationships.c.program_id.in_(list(program_ids))
            )
        )
    ]


# --- who is who on a demo network ------------------------------------------------------------


def demo_cast(conn: Connection) -> dict[str, Any]:
    """What picking one demo login per role needs: organisations with their roles, users
    with their permissions (by organisation), the first program's anchor, suppliers by
    invoices issued (most first) and every organisation that holds or held a piece."""
    orgs = [
        (oid, tuple(json.loads(roles)))
        for oid, roles in conn.execute(
            select(t.organisations.c.id, t.organisations.c.roles).order_by(t.organisations.c.id)
        )
    ]
    users: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for uid, oid, perms in conn.execute(
        select(t.users.c.id, t.users.c.org_id, t.users.c.permissions).order_by(t.users.c.id)
    ):
        users.setdefault(oid, []).append((uid, tuple(json.loads(perms))))
    anchor = (
        conn.execute(select(t.programs.c.anchor_id).order_by(t.programs.c.id)).scalars().first()
    )
    issuers = [
        row[0]
        for row in conn.execute(
            select(t.invoices.c.supplier_id, func.count())
            .group_by(t.invoices.c.supplier_id)
            .order_by(func.count().desc(), t.invoices.c.supplier_id)
        )
    ]
    holders = set(conn.execute(select(t.receivables.c.holder_id).distinct()).scalars())
    return {"orgs": orgs, "users": users, "anchor": anchor, "issuers": issuers, "holders": holders}
