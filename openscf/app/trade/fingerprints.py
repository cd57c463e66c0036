"""The invoice fingerprint registry: duplicates, near-duplicates, and the keyed exchange
with other platforms (JSON lines of HMAC fingerprints)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from openscf.app.trade.context import DeskContext
from openscf.app.trade.records import stored_document
from openscf.documents.errors import DocumentError
from openscf.documents.fingerprint import (
    FingerprintIndex,
    InvoiceKey,
    keyed_fingerprint,
)
from openscf.documents.fingerprint import (
    export_fingerprints as export_keyed,
)
from openscf.documents.fingerprint import (
    import_fingerprints as import_keyed,
)
from openscf.domain.errors import InvalidRequest
from openscf.store.trade_documents import TradeDocuments, reading
from openscf.store.uow import UnitOfWork


def read_key_file(path: Path) -> bytes:
    """A fingerprint secret: a file of hex text (64+ digits) or raw bytes (32+)."""
    raw = path.read_bytes()
    text = raw.strip()
    try:
        secret = bytes.fromhex(text.decode("ascii")) if len(text) >= 64 else raw
    except (UnicodeDecodeError, ValueError):
        secret = raw
    if len(secret) < 32:
        raise InvalidRequest(
            "weak_fingerprint_key",
            f"{path}: a fingerprint key needs at least 32 bytes of secret",
            "key_file",
        )
    return secret


def default_key_id(secret: bytes) -> str:
    return "k-" + hashlib.sha256(b"openscf fingerprint key id\n" + secret).hexdigest()[:16]


def invoice_key(row: dict[str, Any]) -> InvoiceKey:
    """The fingerprinted fields of a registered invoice, from its registry row."""
    return InvoiceKey(
        row["seller_key"],
        row["buyer_key"],
        row["number"],
        int(row["amount_minor"]),
        row["currency"],
        row["issue_date"],
    )


def fingerprint_holder(docs: TradeDocuments, fp: str, batch_fps: dict[str, str]) -> str | None:
    """The document that already holds this fingerprint: registered on the network, or
    earlier in the batch being imported."""
    return docs.fingerprint_holder(fp) or batch_fps.get(fp)


def near_duplicates(
    docs: TradeDocuments,
    indexes: dict[tuple[str, str], FingerprintIndex],
    key: InvoiceKey,
    doc_id: str,
) -> list[str]:
    """Flags for invoices of the same seller and buyer that this one resembles."""
    block = (key.seller_id, key.buyer_id)
    index = indexes.get(block)
    if index is None:
        index = FingerprintIndex()
        for row in docs.fingerprints(seller_key=key.seller_id, buyer_key=key.buyer_id):
            index.add(row["document_id"], invoice_key(row))
        indexes[block] = index
    flags = [
        f"near_duplicate:{near.existing_ref}:{'+'.join(near.reasons)}" for near in index.check(key)
    ]
    index.add(doc_id, key)
    return flags


def external_duplicates(ctx: DeskContext, docs: TradeDocuments, key: InvoiceKey) -> list[str]:
    if ctx.fingerprint_key is None:
        return []
    key_id, secret = ctx.fingerprint_key
    found = docs.external_fingerprint_known(key_id, keyed_fingerprint(key, secret))
    return [f"external_duplicate:{key_id}"] if found else []


def export_fingerprints(ctx: DeskContext, secret: bytes, key_id: str | None = None) -> str:
    """Every registered invoice as a keyed (HMAC) fingerprint: JSON lines that reveal
    nothing without the shared secret (openscf.documents.fingerprint)."""
    with reading(ctx.engine) as docs:
        keys = [invoice_key(r) for r in docs.fingerprints()]
    try:
        return export_keyed(keys, secret=secret, key_id=key_id or default_key_id(secret))
    except DocumentError as exc:
        raise InvalidRequest(exc.code, exc.message, exc.element) from None


def import_fingerprints(
    ctx: DeskContext, name: str, text: bytes, secret: bytes, key_id: str | None = None
) -> dict[str, Any]:
    """Store another platform's keyed fingerprints and flag the local invoices they
    collide with (double financing suspected); all or nothing."""
    try:
        parsed = import_keyed(text, expected_key_id=key_id, source=name)
    except DocumentError as exc:
        raise InvalidRequest(exc.code, f"{exc.location}: {exc.message}", "file") from None
    now = ctx.now()

    def work(uow: UnitOfWork) -> dict[str, Any]:
        docs = TradeDocuments(uow.connection)
        known = docs.external_fingerprints(parsed.key_id)
        new = sorted(parsed.fingerprints - known)
        docs.add_external_fingerprints(
            [
                {
                    "key_id": parsed.key_id,
                    "fingerprint": v,
                    "source": name[:500],
                    "imported_at": now,
                }
                for v in new
            ]
        )
        collisions: list[dict[str, Any]] = []
        flag = f"external_duplicate:{parsed.key_id}"
        for row in docs.fingerprints():
            if keyed_fingerprint(invoice_key(row), secret) not in parsed.fingerprints:
                continue
            doc = stored_document(docs, row["document_id"], None)
            collisions.append({"document_id": doc.id, "number": doc.number, "status": doc.status})
            if flag not in doc.flags and doc.status == "imported":
                docs.update_document(doc.id, flags_json=json.dumps([*doc.flags, flag]))
        return {
            "object": "fingerprint_import",
            "key_id": parsed.key_id,
            "fingerprints": len(parsed.fingerprints),
            "new": len(new),
            "collisions": collisions,
        }

    return ctx.service.transaction(work)
