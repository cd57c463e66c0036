"""What an import, a payment export or a statement import reports back, file by file."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from openscf.documents.errors import DocumentError


def doc_error(exc: DocumentError) -> dict[str, Any]:
    return {"code": exc.code, "message": exc.message, "location": exc.location or None}


def error(code: str, message: str, location: str | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "location": location}


@dataclass
class ImportItem:
    """The outcome for one file (or one CSV row): imported, or why not."""

    source: str
    line: int | None = None
    kind: str | None = None
    number: str | None = None
    document_id: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    stages_skipped: list[str] = field(default_factory=list)
    match_status: str | None = None
    match_issues: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    imported: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "source": self.source,
            "ok": self.ok,
            "imported": self.imported,
            "kind": self.kind,
            "number": self.number,
            "document_id": self.document_id,
            "errors": self.errors,
        }
        if self.line is not None:
            out["line"] = self.line
        if self.findings or self.stages_skipped:
            out["findings"] = self.findings
            out["stages_skipped"] = self.stages_skipped
        if self.match_status is not None:
            out["match_status"] = self.match_status
            out["match_issues"] = self.match_issues
        out["flags"] = self.flags
        return out


@dataclass
class ImportReport:
    kind: str
    items: list[ImportItem]
    committed: bool = False
    partial: bool = False

    @property
    def ok(self) -> bool:
        return all(i.ok for i in self.items)

    @property
    def imported(self) -> int:
        return sum(1 for i in self.items if i.imported)

    def to_dict(self) -> dict[str, Any]:
        return {
            "object": "import",
            "kind": self.kind,
            "ok": self.ok,
            "committed": self.committed,
            "partial": self.partial,
            "imported": self.imported,
            "refused": sum(1 for i in self.items if not i.ok),
            "results": [i.to_dict() for i in self.items],
        }


@dataclass
class PaymentExport:
    on: date
    files: list[dict[str, Any]] = field(default_factory=list)
    instructions: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "object": "payment_export",
            "date": self.on.isoformat(),
            "files": self.files,
            "instructions": self.instructions,
            "skipped": self.skipped,
        }


@dataclass
class StatementReport:
    statement_id: str
    source: str
    message_type: str
    accounts: list[str]
    reconciled: list[dict[str, Any]] = field(default_factory=list)
    unmatched_entries: list[dict[str, Any]] = field(default_factory=list)
    unmatched_instructions: list[str] = field(default_factory=list)
    discrepancies: list[dict[str, Any]] = field(default_factory=list)
    skipped_entries: int = 0
    currency_mismatches: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "object": "statement_import",
            "statement_id": self.statement_id,
            "source": self.source,
            "message_type": self.message_type,
            "accounts": self.accounts,
            "reconciled": self.reconciled,
            "unmatched_entries": self.unmatched_entries,
            "unmatched_instructions": self.unmatched_instructions,
            "discrepancies": self.discrepancies,
            "skipped_entries": self.skipped_entries,
            "currency_mismatches": self.currency_mismatches,
        }


@dataclass
class PaymentStatusImport:
    """What a pain.002 said about the instructions of one payment file."""

    source: str
    message_id: str
    original_message_id: str
    accepted: list[str] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    unchanged: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "object": "payment_status_import",
            "source": self.source,
            "message_id": self.message_id,
            "original_message_id": self.original_message_id,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "unchanged": self.unchanged,
        }
