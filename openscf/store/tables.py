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
    "organisations",
    metadata,
    _id(),
    Column("name", String(200), nullable=False),
    Column("roles", Text, nullable=False),
    Column("country", String(2), nullable=False),
    Column("lei", String(20)),
    Column("iban", String(34)),
    Column("bic", String(11)),
    _version(),
    # Separation of duties and custody (migration 0005).
    Column("approvers", Integer, nullable=False, server_default="0"),
    Column("custody_disabled", Integer, nullable=False, server_default="0"),
    # Declared in default (migration 0006): its default claim.
    Column("default_claim_id", String(80)),
    **ROWLESS,
)

users = Table(
    "users",
    metadata,
    _id(),
    Column("org_id", String(80), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("permissions", Text, nullable=False),
    _version(),
    # Separation of duties (migration 0005).
    Column("created_by", String(80)),
    Column("approver_since", String(32)),
    Column("approver_sponsors", Text, nullable=False, server_default="[]"),
    **ROWLESS,
)

programs = Table(
    "programs",
    metadata,
    _id(),
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
    # Recourse terms (migration 0007).
    Column("recourse", Integer, nullable=False, server_default="0"),
    Column("recourse_days", Integer, nullable=False, server_default="0"),
    **ROWLESS,
)

relationships = Table(
    "relationships",
    metadata,
    Column("program_id", String(80), primary_key=True),
    Column("supplier_id", String(80), primary_key=True),
    Column("onboarded_on", Date, nullable=False),
    _version(),
    **ROWLESS,
)

invoices = Table(
    "invoices",
    metadata,
    _id(),
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
    "receivables",
    metadata,
    _id(),
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
    # Partial payment, default and recovery (migration 0006).
    Column("paid_minor", BigInteger, nullable=False, server_default="0"),
    Column("recovered_minor", BigInteger, nullable=False, server_default="0"),
    Column("claim_id", String(80)),
    CheckConstraint("face_minor > 0", name="face_positive"),
    Index("ix_receivables_holder_status", "holder_id", "status"),
    Index("ix_receivables_program_status_due", "program_id", "status", "due_on"),
    Index("ix_receivables_obligor_status", "obligor_id", "status"),
    **ROWLESS,
)

# An obligor's default claim: the pieces it owed when declared in default (migration 0006).
default_claims = Table(
    "default_claims",
    metadata,
    _id(),
    Column("obligor_id", String(80), nullable=False, unique=True),
    Column("status", String(16), nullable=False),
    Column("reason", String(16), nullable=False),
    Column("declared_on", Date, nullable=False),
    Column("piece_ids", Text, nullable=False),
    Column("approval_id", String(80), nullable=False),
    _version(),
    **ROWLESS,
)

# Dilution after confirmation (migration 0007): credits the anchor holds against a
# supplier, and disputes on a supplier's invoices.
credits = Table(
    "credits",
    metadata,
    _id(),
    Column("program_id", String(80), nullable=False),
    Column("anchor_id", String(80), nullable=False),
    Column("supplier_id", String(80), nullable=False),
    Column("invoice_id", String(80), nullable=False),
    Column("source", String(16), nullable=False),
    Column("reference", String(80), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("open_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(16), nullable=False),
    Column("recorded_on", Date, nullable=False),
    _version(),
    CheckConstraint("open_minor >= 0 AND open_minor <= amount_minor", name="open_within"),
    Index("ix_credits_program_supplier", "program_id", "supplier_id"),
    **ROWLESS,
)

disputes = Table(
    "disputes",
    metadata,
    _id(),
    Column("program_id", String(80), nullable=False),
    Column("anchor_id", String(80), nullable=False),
    Column("supplier_id", String(80), nullable=False),
    Column("invoice_number", String(64), nullable=False),
    Column("number_key", String(64), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("reason", String(200), nullable=False),
    Column("invoice_id", String(80)),
    Column("status", String(16), nullable=False),
    Column("agreed_minor", BigInteger, nullable=False),
    Column("credit_id", String(80)),
    _version(),
    Index("ix_disputes_number", "anchor_id", "supplier_id", "number_key"),
    **ROWLESS,
)

# Risk decisions on the log (migration 0009): registered models, recorded decisions, fraud
# flags; and the models' artefacts, which are not on the log (the log holds their hash).
risk_models = Table(
    "risk_models",
    metadata,
    _id(),
    Column("kind", String(64), nullable=False),
    Column("content_sha256", String(64), nullable=False),
    Column("feature_names", Text, nullable=False),
    Column("registered_on", Date, nullable=False),
    _version(),
    **ROWLESS,
)

risk_decisions = Table(
    "risk_decisions",
    metadata,
    _id(),
    Column("kind", String(16), nullable=False),
    Column("subject_kind", String(16), nullable=False),
    Column("org_id", String(80), nullable=False),
    Column("program_id", String(80)),
    Column("invoice_number", String(64)),
    Column("receivable_id", String(80)),
    Column("model_id", String(80), nullable=False),
    Column("model_sha256", String(64), nullable=False),
    Column("features_sha256", String(64), nullable=False),
    Column("features", Text, nullable=False),
    Column("output", Text, nullable=False),
    Column("reasons", Text, nullable=False),
    Column("decided_on", Date, nullable=False),
    _version(),
    Index("ix_risk_decisions_org", "org_id"),
    Index("ix_risk_decisions_receivable", "receivable_id"),
    **ROWLESS,
)

fraud_flags = Table(
    "fraud_flags",
    metadata,
    _id(),
    Column("program_id", String(80), nullable=False),
    Column("anchor_id", String(80), nullable=False),
    Column("supplier_id", String(80), nullable=False),
    Column("invoice_number", String(64), nullable=False),
    Column("number_key", String(64), nullable=False),
    Column("invoice_id", String(80)),
    Column("receivable_id", String(80)),
    Column("detector_id", String(64), nullable=False),
    Column("evidence", String(500), nullable=False),
    Column("evidence_sha256", String(64), nullable=False),
    Column("decision_id", String(80)),
    Column("status", String(16), nullable=False),
    Column("raised_by", String(80), nullable=False),
    Column("raised_on", Date, nullable=False),
    Column("cleared_by", String(80)),
    Column("clear_reason", String(200)),
    Column("cleared_on", Date),
    _version(),
    Index("ix_fraud_flags_number", "anchor_id", "supplier_id", "number_key"),
    Index("ix_fraud_flags_status", "status"),
    **ROWLESS,
)

risk_model_artefacts = Table(
    "risk_model_artefacts",
    metadata,
    Column("model_id", String(80), primary_key=True),
    Column("content", LargeBinary, nullable=False),
    **ROWLESS,
)

financing_requests = Table(
    "financing_requests",
    metadata,
    _id(),
    Column("program_id", String(80), nullable=False),
    Column("receivable_id", String(80), nullable=False, index=True),
    Column("holder_id", String(80), nullable=False),
    Column("status", String(16), nullable=False),
    Column("accepted_offer_id", String(80)),
    _version(),
    **ROWLESS,
)

financing_offers = Table(
    "financing_offers",
    metadata,
    _id(),
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
    "early_payment_offers",
    metadata,
    _id(),
    Column("receivable_id", String(80), nullable=False, index=True),
    Column("obligor_id", String(80), nullable=False),
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
    "approvals",
    metadata,
    _id(),
    Column("org_id", String(80), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("maker_id", String(80), nullable=False),
    Column("status", String(16), nullable=False),
    Column("payload_json", Text, nullable=False),
    _version(),
    Column("requested_at", String(32)),  # migration 0005
    **ROWLESS,
)

exposures = Table(
    "exposures",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("outstanding_minor", BigInteger, nullable=False),
    _version(),
    CheckConstraint("outstanding_minor >= 0", name="outstanding_not_negative"),
    **ROWLESS,
)

# --- the event log -------------------------------------------------------------------

events = Table(
    "events",
    metadata,
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
    "event_refs",
    metadata,
    Column("ref", String(80), primary_key=True),
    Column("seq", BigInteger, primary_key=True),
    Column("kind", String(3), nullable=False),
    **ROWLESS,
)

# One row: the log's size and root. Appending takes its row lock, so appends are
# serialised and sequence numbers have no gaps (the sequencer of DESIGN.md).
log_head = Table(
    "log_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("size", BigInteger, nullable=False),
    Column("root", LargeBinary),
)

# The Merkle tree in tiles (openscf.trust.tiles, the layout of C2SP tlog-tiles): tile
# (level, idx) holds `width` (<= 256) hashes of perfect subtrees of height 8*level. Full
# tiles never change; the last tile of each level grows. A proof reads a few tiles.
log_tiles = Table(
    "log_tiles",
    metadata,
    Column("level", Integer, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("width", Integer, nullable=False),
    Column("hashes", LargeBinary, nullable=False),
    **ROWLESS,
)

# The operator's signed checkpoints (C2SP tlog-checkpoint in a C2SP signed note).
checkpoints = Table(
    "checkpoints",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("root", LargeBinary, nullable=False),
    Column("note", Text, nullable=False),
    Column("signed_at", String(32), nullable=False),
)

# Witnesses' timestamped cosignatures (C2SP tlog-cosignature) on checkpoints.
cosignatures = Table(
    "cosignatures",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("witness", String(200), primary_key=True),
    Column("key_id", String(8), nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("line", Text, nullable=False),
    **ROWLESS,
)

# Witnesses known to the log: a funder or an auditor with a cosigning key.
witnesses = Table(
    "witnesses",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("org_id", String(80), nullable=False),
    Column("vkey", Text, nullable=False),
    Column("registered_at", String(32), nullable=False),
    **ROWLESS,
)

# The log's own identity: its origin line and the operator's note verifier key.
log_identity = Table(
    "log_identity",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("origin", String(200), nullable=False),
    Column("vkey", Text, nullable=False),
)

# Organisations' Ed25519 public keys with their validity windows (projected from the
# KeyRegistered / KeyRevoked events, which the auditor replays).
org_keys = Table(
    "org_keys",
    metadata,
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
    "custodial_secrets",
    metadata,
    Column("key_id", String(80), primary_key=True),
    Column("sealed", LargeBinary, nullable=False),
    **ROWLESS,
)

idempotency = Table(
    "idempotency",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("response", Text, nullable=False),
    Column("created_at", String(32), nullable=False),
    **ROWLESS,
)

# --- API authentication (owned by openscf.app.auth) -------------------------
# Credentials are not network state: they are not events and never enter the log.
# Secrets are stored only as hashes (see openscf.app.auth for the choice of hash).

# API keys: one user each, shown once at creation, revocable. `prefix` is the visible
# start of the key (e.g. "sk_3fa9c2d1") so a person can tell keys apart in a list.
api_keys = Table(
    "api_keys",
    metadata,
    _id(),
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
    # The API key whose request (directly, or through a session opened with it) created
    # this key, for the audit. None: a password session or a trusted caller.
    Column("origin_key_id", String(80), index=True),
    **ROWLESS,
)

# Browser sessions: the cookie holds a random id; the row holds its SHA-256, the CSRF
# synchronizer token and the expiry.
auth_sessions = Table(
    "auth_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", String(80), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("expires_at", String(32), nullable=False),
    Column("ended_at", String(32)),
    # Where the session came from: the API key it was opened with (None: a
    # password login), so revoking the key ends it; the client's address, for the list.
    Column("api_key_id", String(80), index=True),
    Column("address", String(64)),
    **ROWLESS,
)

# Password logins (the demo's users): scrypt hashes, never the password.
user_passwords = Table(
    "user_passwords",
    metadata,
    Column("login", String(64), primary_key=True),
    Column("user_id", String(80), nullable=False, unique=True),
    Column("scrypt_hash", String(128), nullable=False),
    Column("salt", String(64), nullable=False),
    Column("params", String(40), nullable=False),
    Column("created_at", String(32), nullable=False),
    **ROWLESS,
)

# Users an admin disabled: no login, no key, no session while a row is here.
disabled_users = Table(
    "disabled_users",
    metadata,
    Column("user_id", String(80), primary_key=True),
    Column("org_id", String(80), nullable=False),
    Column("disabled_by", String(80), nullable=False),
    Column("disabled_at", String(32), nullable=False),
    **ROWLESS,
)

# Failed password logins per scope ("login:<name>" or "address:<ip>"), shared by every
# worker: after a few failures the scope is locked until `locked_until` (backoff).
login_throttles = Table(
    "login_throttles",
    metadata,
    Column("scope", String(200), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", String(32), nullable=False),
    Column("locked_until", String(32)),
    **ROWLESS,
)

# The security audit trail of credentials: logins (failed, succeeded, throttled), keys
# minted and revoked, users disabled, sessions ended. Never a password, key or cookie.
auth_events = Table(
    "auth_events",
    metadata,
    _id(),
    Column("occurred_at", String(32), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("org_id", String(80), index=True),
    Column("user_id", String(80)),
    Column("actor_id", String(80)),
    Column("address", String(64)),
    Column("login", String(64)),
    Column("credential_id", String(80)),
    Column("detail", String(200)),
    **ROWLESS,
)

# --- trade documents and payments (owned by openscf.app.trade) ----------------------
# Documents and bank messages are not network state: they live off the log. What the
# network decides on them (the match gate and its overrides, confirmations of imported
# invoices, reconciled payments) is in the log as events; these tables hold the inputs.

# Imported trade documents: invoices and credit notes (UBL/CII), orders, despatch and
# receipt advices, ERP payables rows. `counterparty` is the seller's org id when known
# (else its identifier as written): one seller's number is imported once per importer.
trade_documents = Table(
    "trade_documents",
    metadata,
    _id(),
    Column("org_id", String(80), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("number", String(200), nullable=False),
    Column("number_key", String(200), nullable=False),
    Column("counterparty", String(200), nullable=False),
    Column("program_id", String(80)),
    Column("seller_org_id", String(80)),
    Column("buyer_org_id", String(80)),
    Column("currency", String(3)),
    Column("amount_minor", BigInteger),
    Column("issue_date", Date),
    Column("due_date", Date),
    Column("order_ref", String(200)),
    Column("sha256", String(64), nullable=False),
    Column("source", String(500), nullable=False),
    Column("syntax", String(10)),
    Column("content", LargeBinary),
    Column("summary_json", Text, nullable=False),
    Column("findings_json", Text, nullable=False),
    Column("match_status", String(40)),
    Column("match_json", Text),
    Column("fingerprint", String(64)),
    Column("flags_json", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("invoice_id", String(80)),
    Column("receivable_id", String(80)),
    Column("imported_by", String(80), nullable=False),
    Column("imported_at", String(32), nullable=False),
    UniqueConstraint(
        "org_id", "kind", "counterparty", "number_key", name="uq_trade_documents_number"
    ),
    Index("ix_trade_documents_order", "org_id", "order_ref"),
    **ROWLESS,
)

# The duplicate-financing registry: one canonical invoice fingerprint (openscf.documents.
# fingerprint) once on the network, held by the primary key.
invoice_fingerprints = Table(
    "invoice_fingerprints",
    metadata,
    Column("fingerprint", String(64), primary_key=True),
    Column("document_id", String(80), nullable=False, unique=True),
    Column("seller_key", String(200), nullable=False),
    Column("buyer_key", String(200), nullable=False),
    Column("number", String(200), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("issue_date", Date, nullable=False),
    Column("registered_at", String(32), nullable=False),
    Index("ix_invoice_fingerprints_parties", "seller_key", "buyer_key"),
    **ROWLESS,
)

# Keyed (HMAC) fingerprints imported from other platforms or a registry.
external_fingerprints = Table(
    "external_fingerprints",
    metadata,
    Column("key_id", String(64), primary_key=True),
    Column("fingerprint", String(64), primary_key=True),
    Column("source", String(500), nullable=False),
    Column("imported_at", String(32), nullable=False),
    **ROWLESS,
)

# Three-way match tolerances per program (basis points).
match_tolerances = Table(
    "match_tolerances",
    metadata,
    Column("program_id", String(80), primary_key=True),
    Column("price_bps", Integer, nullable=False),
    Column("quantity_bps", Integer, nullable=False),
    Column("set_by", String(80), nullable=False),
    Column("set_at", String(32), nullable=False),
    **ROWLESS,
)

# Payments out (pain.001): `id` is the EndToEndId. One instruction per settled piece or
# accepted financing offer (`subject_id`); `status` sent -> reconciled.
payment_instructions = Table(
    "payment_instructions",
    metadata,
    Column("id", String(35), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("subject_id", String(80), nullable=False),
    Column("receivable_id", String(80), nullable=False),
    Column("offer_id", String(80)),
    Column("debtor_org_id", String(80), nullable=False),
    Column("creditor_org_id", String(80), nullable=False),
    Column("debtor_iban", String(34), nullable=False),
    Column("debtor_bic", String(11), nullable=False),
    Column("creditor_iban", String(34), nullable=False),
    Column("creditor_bic", String(11)),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("value_date", Date, nullable=False),
    Column("creditor_reference", String(25)),
    Column("message_id", String(35), nullable=False),
    Column("file_name", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("reconciled_at", String(32)),
    Column("bank_reference", String(140)),
    Column("statement_id", String(80)),
    Column("match_rule", String(40)),
    UniqueConstraint("kind", "subject_id", name="uq_payment_instructions_subject"),
    Index("ix_payment_instructions_status", "status", "debtor_iban"),
    **ROWLESS,
)

# Statements in (camt.052/053/054), each file once (`sha256`), and every item read.
bank_statements = Table(
    "bank_statements",
    metadata,
    _id(),
    Column("message_id", String(140), nullable=False),
    Column("message_type", String(10), nullable=False),
    Column("version", String(10)),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("source", String(500), nullable=False),
    Column("accounts", Text, nullable=False),
    Column("items", Integer, nullable=False),
    Column("matched", Integer, nullable=False),
    Column("imported_by", String(80), nullable=False),
    Column("imported_at", String(32), nullable=False),
    **ROWLESS,
)

bank_entries = Table(
    "bank_entries",
    metadata,
    Column("statement_id", String(80), primary_key=True),
    Column("idx", Integer, primary_key=True, autoincrement=False),
    Column("account", String(34), nullable=False),
    Column("report_id", String(140), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("credit_debit", String(6), nullable=False),
    Column("value_date", Date),
    Column("booking_date", Date),
    Column("end_to_end_id", String(140)),
    Column("creditor_reference", String(140)),
    Column("bank_reference", String(140)),
    Column("outcome", String(16), nullable=False),
    Column("instruction_id", String(35)),
    Column("match_rule", String(40)),
    **ROWLESS,
)
