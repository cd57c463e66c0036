"""SQLAlchemy 2 tables. Alembic migrations create them; `metadata` is the reference that
a test compares the migrated schema against.

Amounts are BIGINT minor units. Instants are stored as RFC 3339 UTC text (the same text on
SQLite and PostgreSQL, and the same as in the canonical event bytes); business dates are
DATE. Every mutable row carries a `version` for optimistic concurrency.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _id(name: str = "id") -> Column[str]:
    return Column(name, String(80), primary_key=True)


# SQLite: tables keyed by text are stored WITHOUT ROWID, one b-tree instead of a rowid
# tree plus a key index. Every b-tree a commit touches costs WAL pages, so this is most of
# the per-command write cost. (The option is ignored by PostgreSQL.)
ROWLESS: dict[str, Any] = {"sqlite_with_rowid": False}


def _version() -> Column[int]:
    return Column("version", Integer, nullable=False, default=1)


organisations = Table(
    "organisations", metadata, _id(),
    Column("name", String(200), nullable=False),
    Column("roles", Text, nullable=False),
    Column("country", String(2), nullable=False),
    Column("lei", String(20)),
    Column("iban", String(34)),
    Column("bic", String(11)),
    _version(),
    **ROWLESS,
)

users = Table(
    "users", metadata, _id(),
    Column("org_id", String(80), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("permissions", Text, nullable=False),
    _version(),
    **ROWLESS,
)

programs = Table(
    "programs", metadata, _id(),
    Column("anchor_id", String(80), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("max_tenor_days", Integer, nullable=False),
    Column("program_limit_minor", BigInteger, nullable=False),
    Column("supplier_limit_minor", BigInteger, nullable=False),
    Column("funder_limit_minor", BigInteger, nullable=False),
    Column("day_count", String(10), nullable=False),
    Column("calendar", String(10), nullable=False),
    Column("approval_threshold_minor", BigInteger, nullable=False),
    Column("default_after_days", Integer, nullable=False),
    Column("funder_ids", Text, nullable=False),
    _version(),
    **ROWLESS,
)

relationships = Table(
    "relationships", metadata,
    Column("program_id", String(80), primary_key=True),
    Column("supplier_id", String(80), primary_key=True),
    Column("onboarded_on", Date, nullable=False),
    _version(),
    **ROWLESS,
)

invoices = Table(
    "invoices", metadata, _id(),
    Column("program_id", String(80), nullable=False),
    Column("anchor_id", String(80), nullable=False),
    Column("supplier_id", String(80), nullable=False),
    Column("number", String(64), nullable=False),
    # The normalised number: one invoice backs at most one receivable, held by the database.
    Column("number_key", String(64), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("due_on", Date, nullable=False),
    Column("receivable_id", String(80), nullable=False, unique=True),
    _version(),
    UniqueConstraint("anchor_id", "supplier_id", "number_key", name="uq_invoices_number"),
    **ROWLESS,
)

receivables = Table(
    "receivables", metadata, _id(),
    Column("program_id", String(80), nullable=False),
    Column("obligor_id", String(80), nullable=False),
    Column("supplier_id", String(80), nullable=False),
    Column("holder_id", String(80), nullable=False),
    Column("face_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("due_on", Date, nullable=False),
    Column("issued_at", String(32), nullable=False),
    Column("invoice_id", String(80), nullable=False),
    Column("root_id", String(80), nullable=False, index=True),
    Column("parent_id", String(80)),
    Column("status", String(16), nullable=False),
    Column("encumbrance", String(80)),
    _version(),
    CheckConstraint("face_minor > 0", name="face_positive"),
    Index("ix_receivables_holder_status", "holder_id", "status"),
    Index("ix_receivables_program_status_due", "program_id", "status", "due_on"),
    **ROWLESS,
)

financing_requests = Table(
    "financing_requests", metadata, _id(),
    Column("program_id", String(80), nullable=False),
    Column("receivable_id", String(80), nullable=False, index=True),
    Column("holder_id", String(80), nullable=False),
    Column("status", String(16), nullable=False),
    Column("accepted_offer_id", String(80)),
    _version(),
    **ROWLESS,
)

financing_offers = Table(
    "financing_offers", metadata, _id(),
    Column("request_id", String(80), nullable=False, index=True),
    Column("funder_id", String(80), nullable=False),
    Column("annual_rate", String(32), nullable=False),
    Column("fees_minor", BigInteger, nullable=False),
    Column("value_date", Date, nullable=False),
    Column("days", Integer, nullable=False),
    Column("discount_minor", BigInteger, nullable=False),
    Column("proceeds_minor", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    _version(),
    **ROWLESS,
)

early_payment_offers = Table(
    "early_payment_offers", metadata, _id(),
    Column("receivable_id", String(80), nullable=False, index=True),
    Column("anchor_id", String(80), nullable=False),
    Column("annual_rate", String(32), nullable=False),
    Column("value_date", Date, nullable=False),
    Column("days", Integer, nullable=False),
    Column("discount_minor", BigInteger, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    _version(),
    **ROWLESS,
)

approvals = Table(
    "approvals", metadata, _id(),
    Column("org_id", String(80), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("maker_id", String(80), nullable=False),
    Column("status", String(16), nullable=False),
    Column("payload_json", Text, nullable=False),
    _version(),
    **ROWLESS,
)

exposures = Table(
    "exposures", metadata,
    Column("key", String(200), primary_key=True),
    Column("outstanding_minor", BigInteger, nullable=False),
    _version(),
    CheckConstraint("outstanding_minor >= 0", name="outstanding_not_negative"),
    **ROWLESS,
)

# --- the event log -------------------------------------------------------------------

events = Table(
    "events", metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("id", String(80), nullable=False, unique=True),
    Column("type", String(40), nullable=False),
    Column("org_id", String(80), nullable=False),
    Column("actor_id", String(80), nullable=False),
    Column("occurred_at", String(32), nullable=False),
    # The canonical bytes (openscf.trust.canonical) of the whole record, signature block
    # included: the log leaf. Hashed, verified and replayed exactly as stored.
    Column("body", LargeBinary, nullable=False),
    # RFC 9162 leaf hash of `body`, so proofs never rehash the history.
    Column("leaf_hash", LargeBinary, nullable=False),
)

# Who is party to which event ("org", org id) and which receivables it touches ("rcv",
# receivable id): one index table, so a command's commit touches one b-tree for both.
event_refs = Table(
    "event_refs", metadata,
    Column("ref", String(80), primary_key=True),
    Column("seq", BigInteger, primary_key=True),
    Column("kind", String(3), nullable=False),
    **ROWLESS,
)

# One row: the log's size and root. Appending takes its row lock, so appends are
# serialised and sequence numbers have no gaps (the sequencer of DESIGN.md).
log_head = Table(
    "log_head", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("size", BigInteger, nullable=False),
    Column("root", LargeBinary),
)

# The Merkle tree in tiles (openscf.trust.tiles, the layout of C2SP tlog-tiles): tile
# (level, idx) holds `width` (<= 256) hashes of perfect subtrees of height 8*level. Full
# tiles never change; the last tile of each level grows. A proof reads a few tiles.
log_tiles = Table(
    "log_tiles", metadata,
    Column("level", Integer, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("width", Integer, nullable=False),
    Column("hashes", LargeBinary, nullable=False),
    **ROWLESS,
)

# The operator's signed checkpoints (C2SP tlog-checkpoint in a C2SP signed note).
checkpoints = Table(
    "checkpoints", metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("root", LargeBinary, nullable=False),
    Column("note", Text, nullable=False),
    Column("signed_at", String(32), nullable=False),
)

# Witnesses' timestamped cosignatures (C2SP tlog-cosignature) on checkpoints.
cosignatures = Table(
    "cosignatures", metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("witness", String(200), primary_key=True),
    Column("key_id", String(8), nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("line", Text, nullable=False),
    **ROWLESS,
)

# Witnesses known to the log: a funder or an auditor with a cosigning key.
witnesses = Table(
    "witnesses", metadata,
    Column("name", String(200), primary_key=True),
    Column("org_id", String(80), nullable=False),
    Column("vkey", Text, nullable=False),
    Column("registered_at", String(32), nullable=False),
    **ROWLESS,
)

# The log's own identity: its origin line and the operator's note verifier key.
log_identity = Table(
    "log_identity", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("origin", String(200), nullable=False),
    Column("vkey", Text, nullable=False),
)

# Organisations' Ed25519 public keys with their validity windows (projected from the
# KeyRegistered / KeyRevoked events, which the auditor replays).
org_keys = Table(
    "org_keys", metadata,
    Column("id", String(80), primary_key=True),
    Column("org_id", String(80), nullable=False, index=True),
    Column("public_key", String(100), nullable=False),
    Column("custodial", Integer, nullable=False),
    Column("valid_from", String(32), nullable=False),
    Column("rotated_at", String(32)),
    Column("revoked_at", String(32)),
    Column("version", Integer, nullable=False, default=1),
    **ROWLESS,
)

# Private halves of custodial keys (the server signs for organisations that chose it),
# sealed with AES-GCM under the deployment's master key; never logged, never exported.
custodial_secrets = Table(
    "custodial_secrets", metadata,
    Column("key_id", String(80), primary_key=True),
    Column("sealed", LargeBinary, nullable=False),
    **ROWLESS,
)

idempotency = Table(
    "idempotency", metadata,
    Column("key", String(300), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("response", Text, nullable=False),
    Column("created_at", String(32), nullable=False),
    **ROWLESS,
)

# --- API authentication (issue 5; owned by openscf.app.auth) -------------------------
# Credentials are not network state: they are not events and never enter the log.
# Secrets are stored only as hashes (see openscf.app.auth for the choice of hash).

# API keys: one user each, shown once at creation, revocable. `prefix` is the visible
# start of the key (e.g. "sk_3fa9c2d1") so a person can tell keys apart in a list.
api_keys = Table(
    "api_keys", metadata, _id(),
    Column("user_id", String(80), nullable=False, index=True),
    Column("org_id", String(80), nullable=False),
    Column("name", String(100), nullable=False),
    Column("prefix", String(16), nullable=False),
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column("created_by", String(80), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("revoked_at", String(32)),
    # "<creator>:<Idempotency-Key>" of the POST that created the key, with its body hash.
    Column("idempotency_key", String(300), unique=True),
    Column("request_hash", String(64)),
    **ROWLESS,
)

# Browser sessions: the cookie holds a random id; the row holds its SHA-256, the CSRF
# synchronizer token and the expiry.
auth_sessions = Table(
    "auth_sessions", metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", String(80), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("expires_at", String(32), nullable=False),
    Column("ended_at", String(32)),
    **ROWLESS,
)

# Password logins (the demo's users): scrypt hashes, never the password.
user_passwords = Table(
    "user_passwords", metadata,
    Column("login", String(64), primary_key=True),
    Column("user_id", String(80), nullable=False, unique=True),
    Column("scrypt_hash", String(128), nullable=False),
    Column("salt", String(64), nullable=False),
    Column("params", String(40), nullable=False),
    Column("created_at", String(32), nullable=False),
    **ROWLESS,
)
