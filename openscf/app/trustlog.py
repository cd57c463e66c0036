"""The verifiable log, read side: checkpoints, proofs, disclosure, witnesses' cosignatures.

Everything here reads what the unit of work wrote (events with leaf hashes, Merkle nodes,
signed checkpoints) and hands out what a participant needs to verify it independently
with `openscf.trust`: an inclusion proof of each event it may see against a signed
checkpoint, and consistency proofs between checkpoints.

Disclosure: a participant sees only the events it is party to (the `event_refs` rows of
kind "org"); an auditor (role `auditor`) and the operator see all of them.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, and_, insert, select, text

from openscf.domain.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from openscf.domain.events import format_instant
from openscf.store import queries as q
from openscf.store import tables as t
from openscf.trust import tiles
from openscf.trust.checkpoint import open_checkpoint
from openscf.trust.cosignature import Cosignature, CosignatureVerifier, verify_cosignature
from openscf.trust.errors import TrustError
from openscf.trust.merkle import consistency_proof_from_nodes, inclusion_proof_from_nodes
from openscf.trust.note import Ed25519NoteVerifier

__all__ = [
    "DisclosedEvent",
    "LogIdentity",
    "LogReader",
    "SignedHead",
    "add_cosignature",
    "consistency_proof",
    "cosignatures",
    "disclosed_events",
    "event_leaf",
    "events_logged",
    "inclusion_proof",
    "latest_checkpoint",
    "log_identity",
    "register_witness",
    "witness_owner",
    "witnesses",
]


@dataclass(frozen=True)
class LogIdentity:
    origin: str
    vkey: str

    def verifier(self) -> Ed25519NoteVerifier:
        return Ed25519NoteVerifier.from_vkey(self.vkey)


@dataclass(frozen=True)
class SignedHead:
    size: int
    root: bytes
    note: str
    signed_at: str


@dataclass(frozen=True)
class DisclosedEvent:
    seq: int
    body: bytes
    leaf_hash: bytes
    proof: list[bytes]
    tree_size: int


def log_identity(conn: Connection) -> LogIdentity:
    row = conn.execute(select(t.log_identity.c.origin, t.log_identity.c.vkey)).first()
    if row is None:
        raise NotFound("no_log", "this database has no log yet (run `openscf demo`)")
    return LogIdentity(row[0], row[1])


def node_getter(conn: Connection):  # type: ignore[no-untyped-def]
    """Node hashes recomputed from the stored tiles (a few reads per proof)."""
    query = text("SELECT hashes FROM log_tiles WHERE level = :l AND idx = :i")

    def get_tile(level: int, index: int) -> bytes:
        value = conn.execute(query, {"l": level, "i": index}).scalar()
        if value is None:
            raise NotFound("missing_tile", f"the log has no tile at level {level} index {index}")
        return bytes(value)

    return tiles.node_getter(get_tile)


def latest_checkpoint(conn: Connection) -> SignedHead:
    row = conn.execute(select(t.checkpoints).order_by(t.checkpoints.c.size.desc()).limit(1)).first()
    if row is None:
        raise NotFound("no_checkpoint", "the log has no signed checkpoint yet")
    return SignedHead(row.size, bytes(row.root), row.note, row.signed_at)


def checkpoint_at(conn: Connection, size: int) -> SignedHead:
    row = conn.execute(select(t.checkpoints).where(t.checkpoints.c.size == size)).first()
    if row is None:
        raise NotFound("no_checkpoint", f"no signed checkpoint of size {size}", "size")
    return SignedHead(row.size, bytes(row.root), row.note, row.signed_at)


def inclusion_proof(conn: Connection, seq: int, size: int) -> list[bytes]:
    """Proof that event `seq` (1-based) is leaf seq-1 of the tree of `size` leaves."""
    if not 1 <= seq <= size:
        raise InvalidRequest("seq_out_of_range", f"event {seq} is not in a tree of {size}", "seq")
    return inclusion_proof_from_nodes(seq - 1, size, node_getter(conn))


def consistency_proof(conn: Connection, old_size: int, new_size: int) -> list[bytes]:
    if not 0 < old_size <= new_size:
        raise InvalidRequest("invalid_sizes", "need 0 < old_size <= new_size", "old_size")
    return consistency_proof_from_nodes(old_size, new_size, node_getter(conn))


def _sees_everything(conn: Connection, org_id: str) -> bool:
    roles = conn.execute(
        select(t.organisations.c.roles).where(t.organisations.c.id == org_id)
    ).scalar()
    if roles is None:
        raise PermissionDenied("unknown_organisation", f"no organisation {org_id!r}")
    return bool({"auditor", "operator"} & set(json.loads(roles)))


def disclosed_events(
    conn: Connection, org_id: str, *, after_seq: int = 0, limit: int = 100
) -> Iterator[DisclosedEvent]:
    """The events `org_id` may see, each with an inclusion proof against the latest
    signed checkpoint (events after it are withheld until a checkpoint covers them)."""
    head = latest_checkpoint(conn)
    query = select(t.events.c.seq, t.events.c.body, t.events.c.leaf_hash).where(
        t.events.c.seq > after_seq, t.events.c.seq <= head.size
    )
    if not _sees_everything(conn, org_id):
        visible = select(t.event_refs.c.seq).where(
            and_(t.event_refs.c.ref == org_id, t.event_refs.c.kind == "org")
        )
        query = query.where(t.events.c.seq.in_(visible))
    get = node_getter(conn)
    for seq, body, leaf in conn.execute(query.order_by(t.events.c.seq).limit(limit)):
        yield DisclosedEvent(
            seq,
            bytes(body),
            bytes(leaf),
            inclusion_proof_from_nodes(seq - 1, head.size, get),
            head.size,
        )


# --- witnesses -----------------------------------------------------------------------


def register_witness(engine: Engine, name: str, org_id: str, vkey: str, now: datetime) -> None:
    """Record a witness's cosignature verifier key. A funder or an auditor may witness."""
    with engine.begin() as conn:
        roles = conn.execute(
            select(t.organisations.c.roles).where(t.organisations.c.id == org_id)
        ).scalar()
        if roles is None or not {"funder", "auditor"} & set(json.loads(roles)):
            raise PermissionDenied(
                "not_a_witness_role", "witnesses are funders or auditors", "org_id"
            )
        existing = conn.execute(
            select(t.witnesses.c.vkey).where(t.witnesses.c.name == name)
        ).scalar()
        if existing is not None:
            if existing != vkey:
                raise Conflict("witness_name_taken", f"witness {name!r} has another key", "name")
            return
        conn.execute(
            insert(t.witnesses).values(
                name=name, org_id=org_id, vkey=vkey, registered_at=format_instant(now)
            )
        )


def witnesses(conn: Connection) -> dict[str, CosignatureVerifier]:
    out = {}
    for name, vkey in conn.execute(select(t.witnesses.c.name, t.witnesses.c.vkey)):
        out[name] = CosignatureVerifier.from_vkey(vkey)
    return out


def add_cosignature(engine: Engine, size: int, cosignature: Cosignature) -> None:
    """Store a witness's cosignature after checking it against the stored checkpoint."""
    with engine.begin() as conn:
        verifier = witnesses(conn).get(cosignature.name)
        if verifier is None:
            raise PermissionDenied("unknown_witness", f"no witness {cosignature.name!r}")
        head = checkpoint_at(conn, size)
        identity = log_identity(conn)
        checkpoint = open_checkpoint(head.note.encode(), identity.verifier()).checkpoint
        try:
            verify_cosignature(checkpoint, cosignature, verifier)
        except TrustError as exc:
            raise PermissionDenied("invalid_cosignature", str(exc)) from None
        exists = conn.execute(
            select(t.cosignatures.c.size).where(
                t.cosignatures.c.size == size, t.cosignatures.c.witness == cosignature.name
            )
        ).first()
        if exists is None:
            conn.execute(
                insert(t.cosignatures).values(
                    size=size,
                    witness=cosignature.name,
                    key_id=f"{cosignature.key_id:08x}",
                    timestamp=cosignature.timestamp,
                    line=cosignature.line(),
                )
            )


def cosignatures(conn: Connection) -> list[dict[str, object]]:
    """Which witness cosigned which tree size, and when."""
    rows = conn.execute(
        select(t.cosignatures).order_by(t.cosignatures.c.size, t.cosignatures.c.witness)
    )
    return [
        {
            "size": r.size,
            "witness": r.witness,
            "key_id": r.key_id,
            "timestamp": r.timestamp,
            "line": r.line,
        }
        for r in rows
    ]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def events_logged(conn: Connection) -> int:
    """How many leaves the log holds (a proof can be asked for no larger tree)."""
    return q.events_logged(conn)


def event_leaf(conn: Connection, seq: int) -> tuple[bytes, bytes]:
    """(canonical event bytes, leaf hash) of the leaf at `seq`."""
    return q.event_leaf(conn, seq)


def witness_owner(conn: Connection, name: str) -> str | None:
    """The organisation that registered the witness `name` (None: no such witness)."""
    return q.witness_owner(conn, name)


class LogReader:
    """The log's read side for the adapters: each call reads one snapshot on a connection
    of its own, so an adapter never holds a database connection."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def identity(self) -> tuple[LogIdentity, int]:
        """The log's identity and the size of its latest signed checkpoint (0: none yet)."""
        with self.engine.connect() as conn:
            identity = log_identity(conn)
            try:
                size = latest_checkpoint(conn).size
            except NotFound:
                size = 0
        return identity, size

    def latest(self) -> tuple[SignedHead, list[dict[str, object]]]:
        """The latest signed checkpoint and every cosignature."""
        with self.engine.connect() as conn:
            return latest_checkpoint(conn), cosignatures(conn)

    def at(self, size: int) -> tuple[SignedHead, list[dict[str, object]]]:
        """The signed checkpoint of `size` leaves and every cosignature."""
        with self.engine.connect() as conn:
            return checkpoint_at(conn, size), cosignatures(conn)

    def cosignatures(self) -> list[dict[str, object]]:
        with self.engine.connect() as conn:
            return cosignatures(conn)

    def witness_owner(self, name: str) -> str | None:
        with self.engine.connect() as conn:
            return witness_owner(conn, name)

    def inclusion(self, seq: int, tree_size: int | None) -> tuple[int, bytes, bytes, list[bytes]]:
        """(tree size, event bytes, leaf hash, proof) of the event at `seq` in the tree of
        `tree_size` leaves (default: the latest signed checkpoint's)."""
        with self.engine.connect() as conn:
            size = tree_size or latest_checkpoint(conn).size
            if seq > size:
                raise InvalidRequest(
                    "event_not_yet_covered",
                    f"event {seq} is not in a tree of {size} leaves; ask for a later checkpoint",
                    "tree_size",
                )
            body, leaf = event_leaf(conn, seq)
            logged = events_logged(conn)
            if size > logged:
                raise InvalidRequest("tree_too_large", f"the log has {logged} leaves", "tree_size")
            return size, body, leaf, inclusion_proof(conn, seq, size)

    def consistency(self, first: int, second: int) -> list[bytes]:
        """Proof that the tree of `second` leaves extends the tree of `first` leaves."""
        with self.engine.connect() as conn:
            logged = events_logged(conn)
            if second > logged:
                raise InvalidRequest("tree_too_large", f"the log has {logged} leaves", "second")
            return consistency_proof(conn, first, second)
