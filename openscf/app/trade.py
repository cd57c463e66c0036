"""Real trade in, real money out: the use cases of trade documents and payments.

    desk = TradeDesk(service)                       # over a NetworkService
    desk.import_invoices(user, [(name, bytes)])     # UBL / CII, validated and matched
    desk.import_orders / import_deliveries / import_payables
    desk.confirm(user, doc_id)                      # the three-way-match gate (domain)
    desk.request_override(user, doc_id) / approve_override(checker, apr_id)
    desk.export_payments(on=date, out_dir=path)     # pain.001.001.09 files
    desk.import_statement(name, bytes)              # camt.053/054 -> reconciled payments
    desk.export_fingerprints / import_fingerprints  # HMAC registry exchange

Documents and bank messages are stored off the log (tables in `openscf.store.tables`,
section "trade documents and payments", read and written through
`openscf.store.trade_documents`, on the unit of work's connection); every decision taken
on them is a signed domain command in the log:
`ConfirmTradeInvoice` (with the document's hash, fingerprint and match status),
`RequestMatchOverride` / `ApproveMatchOverride` (maker-checker), `ReconcilePayment`.

Each call is one database transaction: an import whose files or rows have errors
imports nothing (unless `partial`), and a statement for an unknown account changes
nothing. Errors name the file, line or element.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from openscf.app.service import NetworkService
from openscf.documents.camt import BankMessage, parse_camt
from openscf.documents.despatch import DeliveryDocument, parse_delivery_element
from openscf.documents.errors import DocumentError
from openscf.documents.fingerprint import (
    FingerprintIndex,
    InvoiceKey,
    export_fingerprints,
    fingerprint,
    import_fingerprints,
    keyed_fingerprint,
    normalise_party_id,
)
from openscf.documents.iban import create_rf_reference
from openscf.documents.invoice import NormalisedInvoice, Party
from openscf.documents.matching import MatchReport, MatchTolerance, three_way_match
from openscf.documents.order import Order, parse_order_element
from openscf.documents.pain001 import PaymentInstruction, build_pain001, validate_instructions
from openscf.documents.parse import detect_syntax, parse_invoice_element
from openscf.documents.payables_csv import PayableRow, parse_payables_csv
from openscf.documents.reconcile import ReconciledPair, reconcile, statement_items
from openscf.documents.validation import STAGES, validate_invoice_element
from openscf.documents.xml import parse_xml
from openscf.domain import commands as c
from openscf.domain.errors import (
    Conflict,
    InvalidRequest,
    NotFound,
    PermissionDenied,
)
from openscf.domain.events import (
    FinancingOfferAccepted,
    ReceivablePartlyPaid,
    ReceivableSettled,
    format_instant,
)
from openscf.domain.invoice_number import loose_invoice_number_key
from openscf.domain.model import Organisation, Program, User
from openscf.domain.money import format_amount
from openscf.store.trade_documents import TradeDocuments, reading
from openscf.store.uow import UnitOfWork

__all__ = [
    "DEFAULT_TOLERANCE",
    "ImportItem",
    "ImportReport",
    "PaymentExport",
    "StatementReport",
    "TradeDesk",
    "read_key_file",
]

T = TypeVar("T")

DEFAULT_TOLERANCE = MatchTolerance(price_bps=0, quantity_bps=0)
INVOICE_KINDS = ("invoice", "credit_note")
DELIVERY_KINDS = ("despatch_advice", "receipt_advice")


# --- results -------------------------------------------------------------------------


def _doc_error(exc: DocumentError) -> dict[str, Any]:
    return {"code": exc.code, "message": exc.message, "location": exc.location or None}


def _error(code: str, message: str, location: str | None = None) -> dict[str, Any]:
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
        }


# --- helpers ---------------------------------------------------------------------------


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _party_key(org: Organisation) -> str:
    """The network identity of an organisation in invoice fingerprints: its LEI when it
    has one (so other platforms derive the same key), else its openscf id."""
    return f"LEI:{org.lei}" if org.lei else f"OPENSCF:{org.id}"


def _norm_name(text: str) -> str:
    return " ".join(text.casefold().split())


def _party_values(party: Party) -> set[str]:
    ids = [p.value for p in party.ids]
    for pid in (party.legal_id, party.endpoint_id):
        if pid is not None:
            ids.append(pid.value)
    if party.vat_id:
        ids.append(party.vat_id)
    return {normalise_party_id(v) for v in ids if v.strip()}


def _resolve(
    party: Party, orgs: Sequence[Organisation], iban: str | None = None
) -> Organisation | None:
    """The organisation a document's party names: by LEI among its identifiers, then by
    exact name, then by a payment IBAN that only one organisation has."""
    values = _party_values(party)
    by_lei = [o for o in orgs if o.lei and normalise_party_id(o.lei) in values]
    if len(by_lei) == 1:
        return by_lei[0]
    if party.name:
        by_name = [o for o in orgs if _norm_name(o.name) == _norm_name(party.name)]
        if len(by_name) == 1:
            return by_name[0]
    if iban:
        compact = iban.replace(" ", "").upper()
        by_iban = [o for o in orgs if o.iban == compact]
        if len(by_iban) == 1:
            return by_iban[0]
    return None


def _describe(party: Party) -> str:
    ids = ", ".join(sorted(_party_values(party))) or "no identifiers"
    return f"{party.name or '(no name)'} ({ids})"


def _decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _report_json(report: MatchReport) -> dict[str, Any]:
    return {
        "order_id": report.order_id,
        "quantity_basis": report.quantity_basis,
        "tolerance": {
            "price_bps": report.tolerance.price_bps,
            "quantity_bps": report.tolerance.quantity_bps,
        },
        "header_issues": list(report.header_issues),
        "lines": [
            {
                "invoice_line_id": x.invoice_line_id,
                "order_line_id": x.order_line_id,
                "status": x.status,
                "issues": list(x.issues),
                "invoiced_quantity": _decimal_text(x.invoiced_quantity),
                "invoice_unit_price": _decimal_text(x.invoice_unit_price),
                "ordered_quantity": _decimal_text(x.ordered_quantity),
                "ordered_unit_price": _decimal_text(x.ordered_unit_price),
                "received_quantity": _decimal_text(x.received_quantity),
                "cumulative_invoiced_quantity": _decimal_text(x.cumulative_invoiced_quantity),
            }
            for x in report.lines
        ],
    }


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


def _invoice_key(row: dict[str, Any]) -> InvoiceKey:
    """The fingerprinted fields of a registered invoice, from its registry row."""
    return InvoiceKey(
        row["seller_key"],
        row["buyer_key"],
        row["number"],
        int(row["amount_minor"]),
        row["currency"],
        row["issue_date"],
    )


@dataclass(frozen=True)
class _Doc:
    """A stored trade document row."""

    id: str
    org_id: str
    kind: str
    number: str
    program_id: str | None
    seller_org_id: str | None
    buyer_org_id: str | None
    currency: str | None
    amount_minor: int | None
    issue_date: date | None
    due_date: date | None
    order_ref: str | None
    sha256: str
    source: str
    content: bytes | None
    summary: dict[str, Any]
    match_status: str | None
    match: dict[str, Any] | None
    fingerprint: str | None
    flags: list[str]
    status: str
    invoice_id: str | None
    receivable_id: str | None

    @classmethod
    def of(cls, m: dict[str, Any]) -> _Doc:
        def day(value: Any) -> date | None:
            return date.fromisoformat(value) if isinstance(value, str) else value

        return cls(
            m["id"],
            m["org_id"],
            m["kind"],
            m["number"],
            m["program_id"],
            m["seller_org_id"],
            m["buyer_org_id"],
            m["currency"],
            None if m["amount_minor"] is None else int(m["amount_minor"]),
            day(m["issue_date"]),
            day(m["due_date"]),
            m["order_ref"],
            m["sha256"],
            m["source"],
            None if m["content"] is None else bytes(m["content"]),
            json.loads(m["summary_json"]),
            m["match_status"],
            None if m["match_json"] is None else json.loads(m["match_json"]),
            m["fingerprint"],
            json.loads(m["flags_json"]),
            m["status"],
            m["invoice_id"],
            m["receivable_id"],
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "object": "trade_document",
            "id": self.id,
            "org_id": self.org_id,
            "kind": self.kind,
            "number": self.number,
            "program_id": self.program_id,
            "seller_org_id": self.seller_org_id,
            "buyer_org_id": self.buyer_org_id,
            "currency": self.currency,
            "amount_minor": self.amount_minor,
            "issue_date": self.issue_date.isoformat() if self.issue_date else None,
            "due_date": self.due_date.isoformat() if self.due_date else None,
            "order_ref": self.summary.get("order_ref"),
            "sha256": self.sha256,
            "source": self.source,
            "status": self.status,
            "match_status": self.match_status,
            "match": self.match,
            "fingerprint": self.fingerprint,
            "flags": self.flags,
            "invoice_id": self.invoice_id,
            "receivable_id": self.receivable_id,
            "findings": self.summary.get("findings", []),
        }


# --- the desk ----------------------------------------------------------------------------


class TradeDesk:
    """Trade documents, the match gate, the fingerprint registry, payments and statements.

    `data_dir`: where `openscf rules install` put the XSD / Schematron artefacts
    (default `$OPENSCF_DATA_DIR`, else `~/.local/share/openscf`).
    `fingerprint_key`: (key id, secret) to check new invoices against keyed fingerprints
    imported from other platforms.
    `official_rules`: also run the official EN 16931 and Peppol rule stages when they are
    installed (about 10 ms per invoice); without them imports run the XSD and the native
    EN 16931 rules, which always decide whether an invoice can be financed.
    """

    def __init__(
        self,
        service: NetworkService,
        *,
        data_dir: Path | None = None,
        fingerprint_key: tuple[str, bytes] | None = None,
        official_rules: bool = True,
    ) -> None:
        self.service = service
        self.engine = service.engine
        self.data_dir = data_dir
        self.fingerprint_key = fingerprint_key
        self.validation_stages: tuple[str, ...] = STAGES if official_rules else ("xsd", "en16931")

    # --- plumbing ----------------------------------------------------------------------

    def _now(self) -> str:
        return format_instant(self.service.clock.now())

    def _new(self, prefix: str) -> str:
        return f"{prefix}_" + self.service.ids.new("cmd")[4:]

    @staticmethod
    def _actor(
        uow: UnitOfWork, user_id: str, roles: tuple[str, ...], permission: str
    ) -> tuple[User, Organisation]:
        user, org = uow.state.actor(user_id)
        if user is None or org is None:
            raise PermissionDenied("unknown_user", f"no user {user_id!r}", "user_id")
        if roles and not set(roles) & set(org.roles):
            raise PermissionDenied(
                "role_required",
                f"this needs an organisation with role {' or '.join(roles)}; "
                f"{org.id} has {', '.join(org.roles)}",
                "user_id",
            )
        if permission not in user.permissions:
            raise PermissionDenied(
                "permission_required",
                f"this needs the {permission!r} permission; {user.id} has "
                f"{', '.join(user.permissions) or 'none'}",
                "user_id",
            )
        return user, org

    @staticmethod
    def _program(docs: TradeDocuments, org: Organisation, program_id: str | None) -> Program:
        mine = [p for p in docs.programs() if p.anchor_id == org.id]
        if program_id is not None:
            for program in mine:
                if program.id == program_id:
                    return program
            raise NotFound(
                "unknown_program", f"{org.id} runs no program {program_id!r}", "program_id"
            )
        if len(mine) == 1:
            return mine[0]
        raise InvalidRequest(
            "program_required",
            f"{org.id} runs {len(mine)} programs; name one with --program",
            "program_id",
        )

    @staticmethod
    def tolerance_of(docs: TradeDocuments, program_id: str | None) -> MatchTolerance:
        if program_id is None:
            return DEFAULT_TOLERANCE
        found = docs.tolerance(program_id)
        if found is None:
            return DEFAULT_TOLERANCE
        return MatchTolerance(*found)

    def _doc(self, docs: TradeDocuments, document_id: str, org_id: str | None) -> _Doc:
        row = docs.document(document_id)
        if row is None or (org_id is not None and row["org_id"] != org_id):
            raise NotFound("unknown_document", f"no trade document {document_id!r}", "document_id")
        return _Doc.of(row)

    # --- tolerances --------------------------------------------------------------------

    def set_tolerance(
        self, user_id: str, program_id: str, *, price_bps: int, quantity_bps: int
    ) -> MatchTolerance:
        """The anchor's admin sets the program's three-way match tolerances."""
        try:
            tolerance = MatchTolerance(price_bps, quantity_bps)
        except DocumentError as exc:
            raise InvalidRequest(exc.code, exc.message, exc.element) from None

        def work(uow: UnitOfWork) -> MatchTolerance:
            user, org = self._actor(uow, user_id, ("anchor",), "admin")
            docs = TradeDocuments(uow.connection)
            program = self._program(docs, org, program_id)
            docs.replace_tolerance(
                program.id,
                price_bps=price_bps,
                quantity_bps=quantity_bps,
                set_by=user.id,
                set_at=self._now(),
            )
            return tolerance

        return self.service.transaction(work)

    # --- invoices ----------------------------------------------------------------------

    def _parse_invoice(self, name: str, data: bytes) -> tuple[ImportItem, Any]:
        item = ImportItem(source=name)
        try:
            root = parse_xml(data, name)
            detect_syntax(root, name)
            report = validate_invoice_element(
                root, data, data_dir=self.data_dir, stages=self.validation_stages
            )
            item.findings = [
                {
                    "rule_id": f.rule_id,
                    "severity": f.severity,
                    "location": f.location,
                    "message": f.message,
                }
                for f in report.findings
            ]
            item.stages_skipped = [f"{stage}: {why}" for stage, why in report.stages_skipped]
            invoice = parse_invoice_element(root, name)
            item.kind, item.number = invoice.kind, invoice.number
        except DocumentError as exc:
            item.errors.append(_doc_error(exc))
            return item, None
        fatal = [f for f in report.findings if f.severity == "fatal"]
        if fatal:
            first = "; ".join(
                f"{f.rule_id} at {f.location or 'document'}: {f.message}" for f in fatal[:3]
            )
            item.errors.append(
                _error(
                    "invalid_invoice", f"{len(fatal)} fatal validation finding(s): {first}", name
                )
            )
            return item, None
        return item, invoice

    def _match_invoice(
        self,
        docs: TradeDocuments,
        org_id: str,
        invoice: NormalisedInvoice,
        tolerance: MatchTolerance,
        *,
        exclude: str | None = None,
    ) -> tuple[str, list[str], dict[str, Any] | None]:
        """(status, issues, report) of the three-way match against stored documents."""
        if invoice.kind != "invoice":
            return "not_an_invoice", ["not_an_invoice"], None
        if not invoice.order_ref:
            return "no_order", ["no_order_reference"], None
        key = loose_invoice_number_key(invoice.order_ref)
        order_row = docs.order(org_id, key)
        if order_row is None:
            return "no_order", [f"order {invoice.order_ref} has not been imported"], None
        order_doc = _Doc.of(order_row)
        assert order_doc.content is not None
        order: Order = parse_order_element(
            parse_xml(order_doc.content, order_doc.source), order_doc.source
        )
        deliveries: list[DeliveryDocument] = []
        earlier: dict[str, Decimal] = {}
        for row in docs.on_order(org_id, key):
            other = _Doc.of(row)
            if other.id == exclude or other.content is None:
                continue
            if other.kind in DELIVERY_KINDS:
                deliveries.append(
                    parse_delivery_element(parse_xml(other.content, other.source), other.source)
                )
            elif other.kind == "invoice" and other.status in ("confirmed", "pending_approval"):
                billed = parse_invoice_element(parse_xml(other.content, other.source))
                for line in billed.lines:
                    if line.order_line_ref:
                        earlier[line.order_line_ref] = (
                            earlier.get(line.order_line_ref, Decimal(0)) + line.quantity
                        )
        report = three_way_match(invoice, order, deliveries, tolerance, previously_invoiced=earlier)
        status = "matched" if report.matched else "mismatch"
        return status, list(report.issues), _report_json(report)

    def import_invoices(
        self,
        user_id: str,
        files: Sequence[tuple[str, bytes]],
        *,
        program_id: str | None = None,
        supplier_id: str | None = None,
        partial: bool = False,
    ) -> ImportReport:
        """Import UBL / CII invoices and credit notes for the acting anchor.

        Each file is parsed safely, validated (XSD when installed, the native EN 16931
        rules always, the official rules when installed), its seller recognised (by LEI,
        name or IBAN; `supplier_id` to say it), its canonical fingerprint registered (a
        second presentation is refused: `duplicate_invoice`), near-duplicates flagged, and
        its three-way match computed. Any error: nothing is imported, unless `partial`.
        """
        parsed = [(*self._parse_invoice(name, data), data) for name, data in files]

        def work(uow: UnitOfWork) -> ImportReport:
            docs = TradeDocuments(uow.connection)
            user, org = self._actor(uow, user_id, ("anchor",), "maker")
            program = self._program(docs, org, program_id)
            tolerance = self.tolerance_of(docs, program.id)
            orgs = docs.organisations()
            supplier = None
            if supplier_id is not None:
                supplier = next((o for o in orgs if o.id == supplier_id), None)
                if supplier is None:
                    raise NotFound(
                        "unknown_organisation", f"no organisation {supplier_id!r}", "supplier_id"
                    )
            rows: list[dict[str, Any]] = []
            fingerprints: list[dict[str, Any]] = []
            indexes: dict[tuple[str, str], FingerprintIndex] = {}
            batch_fps: dict[str, str] = {}
            batch_numbers: set[tuple[str, str, str]] = set()
            for item, invoice, data in parsed:
                if invoice is None:
                    continue
                seller = supplier or _resolve(invoice.seller, orgs, invoice.payment_iban)
                if seller is None:
                    item.errors.append(
                        _error(
                            "unknown_seller",
                            f"the seller {_describe(invoice.seller)} is not an "
                            "organisation on the network (give --supplier)",
                            f"{item.source} (AccountingSupplierParty)",
                        )
                    )
                    continue
                buyer = _resolve(invoice.buyer, orgs)
                if buyer is not None and buyer.id != org.id:
                    item.errors.append(
                        _error(
                            "buyer_not_importer",
                            f"the invoice is addressed to {buyer.name} "
                            f"({buyer.id}), not to {org.name}",
                            f"{item.source} (AccountingCustomerParty)",
                        )
                    )
                    continue
                number_key = loose_invoice_number_key(invoice.number)
                kind = invoice.kind
                natural = (kind, seller.id, number_key)
                existing = docs.document_id_by_number(org.id, kind, seller.id, number_key)
                if existing is not None or natural in batch_numbers:
                    item.errors.append(
                        _error(
                            "document_already_imported",
                            f"{kind.replace('_', ' ')} "
                            f"{invoice.number} of {seller.id} was already imported"
                            + (f" as {existing}" if existing else " (twice in this batch)"),
                            item.source,
                        )
                    )
                    continue
                doc_id = self._new("doc")
                item.document_id = doc_id
                fp: str | None = None
                flags: list[str] = []
                if kind == "invoice":
                    key = InvoiceKey(
                        _party_key(seller),
                        _party_key(org),
                        invoice.number,
                        invoice.payable_minor,
                        invoice.currency,
                        invoice.issue_date,
                    )
                    fp = fingerprint(key)
                    holder = self._fingerprint_holder(docs, fp, batch_fps)
                    if holder is not None:
                        item.errors.append(
                            _error(
                                "duplicate_invoice",
                                f"invoice {invoice.number} of {seller.id} "
                                f"(amount {format_amount(invoice.payable_minor, invoice.currency)}"
                                f", issued {invoice.issue_date}) is already registered on the "
                                f"network as {holder}: one invoice backs at most one receivable",
                                item.source,
                            )
                        )
                        continue
                    flags = self._near_duplicates(docs, indexes, key, doc_id)
                    flags.extend(self._external_duplicates(docs, key))
                    batch_fps[fp] = doc_id
                    fingerprints.append(
                        {
                            "fingerprint": fp,
                            "document_id": doc_id,
                            "seller_key": key.seller_id,
                            "buyer_key": key.buyer_id,
                            "number": key.number,
                            "amount_minor": key.amount_minor,
                            "currency": key.currency,
                            "issue_date": key.issue_date,
                            "registered_at": self._now(),
                        }
                    )
                status, issues, report = self._match_invoice(docs, org.id, invoice, tolerance)
                item.match_status, item.match_issues, item.flags = status, issues, flags
                batch_numbers.add(natural)
                rows.append(
                    {
                        "id": doc_id,
                        "org_id": org.id,
                        "kind": kind,
                        "number": invoice.number,
                        "number_key": number_key,
                        "counterparty": seller.id,
                        "program_id": program.id,
                        "seller_org_id": seller.id,
                        "buyer_org_id": org.id,
                        "currency": invoice.currency,
                        "amount_minor": invoice.payable_minor,
                        "issue_date": invoice.issue_date,
                        "due_date": invoice.due_date,
                        "order_ref": (
                            loose_invoice_number_key(invoice.order_ref)
                            if invoice.order_ref
                            else None
                        ),
                        "sha256": _sha256(data),
                        "source": item.source[:500],
                        "syntax": invoice.syntax,
                        "content": data,
                        "summary_json": json.dumps(
                            {
                                "order_ref": invoice.order_ref,
                                "despatch_ref": invoice.despatch_ref,
                                "seller": invoice.seller.name,
                                "payment_iban": invoice.payment_iban,
                                "findings": item.findings,
                            }
                        ),
                        "findings_json": json.dumps(item.findings),
                        "match_status": status,
                        "match_issues": issues,
                        "match_json": None if report is None else json.dumps(report),
                        "fingerprint": fp,
                        "flags_json": json.dumps(flags),
                        "status": "imported",
                        "invoice_id": None,
                        "receivable_id": None,
                        "imported_by": user.id,
                        "imported_at": self._now(),
                        "_item": item,
                    }
                )
            return self._commit_rows(
                docs, "invoices", [p[0] for p in parsed], rows, fingerprints, partial
            )

        return self.service.transaction(work)

    @staticmethod
    def _fingerprint_holder(docs: TradeDocuments, fp: str, batch_fps: dict[str, str]) -> str | None:
        """The document that already holds this fingerprint: registered on the network, or
        earlier in the batch being imported."""
        return docs.fingerprint_holder(fp) or batch_fps.get(fp)

    def _near_duplicates(
        self,
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
                index.add(row["document_id"], _invoice_key(row))
            indexes[block] = index
        flags = [
            f"near_duplicate:{near.existing_ref}:{'+'.join(near.reasons)}"
            for near in index.check(key)
        ]
        index.add(doc_id, key)
        return flags

    def _external_duplicates(self, docs: TradeDocuments, key: InvoiceKey) -> list[str]:
        if self.fingerprint_key is None:
            return []
        key_id, secret = self.fingerprint_key
        found = docs.external_fingerprint_known(key_id, keyed_fingerprint(key, secret))
        return [f"external_duplicate:{key_id}"] if found else []

    def _commit_rows(
        self,
        docs: TradeDocuments,
        kind: str,
        items: list[ImportItem],
        rows: list[dict[str, Any]],
        fingerprints: list[dict[str, Any]],
        partial: bool,
    ) -> ImportReport:
        report = ImportReport(kind, items, partial=partial)
        if not report.ok and not partial:
            for item in items:
                item.document_id = None if not item.imported else item.document_id
            return report
        good = [r for r in rows if r["_item"].ok]
        good_ids = {r["id"] for r in good}
        docs.add_documents(
            [
                {k: v for k, v in r.items() if not k.startswith("_") and k != "match_issues"}
                for r in good
            ]
        )
        docs.add_fingerprints([f for f in fingerprints if f["document_id"] in good_ids])
        for r in good:
            r["_item"].imported = True
        report.committed = True
        return report

    # --- orders and deliveries ---------------------------------------------------------

    def import_orders(
        self, user_id: str, files: Sequence[tuple[str, bytes]], *, partial: bool = False
    ) -> ImportReport:
        """Import the anchor's UBL purchase orders (the buyer's side of the match)."""
        return self._import_trade(user_id, files, "orders", partial)

    def import_deliveries(
        self, user_id: str, files: Sequence[tuple[str, bytes]], *, partial: bool = False
    ) -> ImportReport:
        """Import UBL DespatchAdvice (seller's) and ReceiptAdvice (buyer's) documents."""
        return self._import_trade(user_id, files, "despatches", partial)

    def _import_trade(
        self, user_id: str, files: Sequence[tuple[str, bytes]], what: str, partial: bool
    ) -> ImportReport:
        parsed: list[tuple[ImportItem, Order | DeliveryDocument | None, bytes]] = []
        for name, data in files:
            item = ImportItem(source=name)
            doc: Order | DeliveryDocument | None = None
            try:
                root = parse_xml(data, name)
                doc = (
                    parse_order_element(root, name)
                    if what == "orders"
                    else parse_delivery_element(root, name)
                )
            except DocumentError as exc:
                item.errors.append(_doc_error(exc))
            parsed.append((item, doc, data))

        def work(uow: UnitOfWork) -> ImportReport:
            docs = TradeDocuments(uow.connection)
            user, org = self._actor(uow, user_id, ("anchor",), "maker")
            orgs = docs.organisations()
            rows: list[dict[str, Any]] = []
            seen: set[tuple[str, str, str]] = set()
            touched: set[str] = set()
            for item, doc, data in parsed:
                if doc is None:
                    continue
                if isinstance(doc, Order):
                    kind, number, seller_party = "order", doc.order_id, doc.seller
                    order_ref: str | None = doc.order_id
                    issued, currency, amount = doc.issue_date, doc.currency, doc.payable_minor
                else:
                    kind, number, seller_party = doc.kind, doc.document_id, doc.supplier
                    order_ref = doc.order_ref or next(
                        (x.order_ref for x in doc.lines if x.order_ref), None
                    )
                    issued, currency, amount = doc.issue_date, None, None
                item.kind, item.number = kind, number
                seller = _resolve(seller_party, orgs)
                counterparty = (
                    seller.id
                    if seller
                    else (sorted(_party_values(seller_party)) or [seller_party.name or "-"])[0][
                        :200
                    ]
                )
                number_key = loose_invoice_number_key(number)
                natural = (kind, counterparty, number_key)
                exists = docs.document_id_by_number(org.id, kind, counterparty, number_key)
                if exists is not None or natural in seen:
                    item.errors.append(
                        _error(
                            "document_already_imported",
                            f"{kind.replace('_', ' ')} {number} was already imported"
                            + (f" as {exists}" if exists else " (twice in this batch)"),
                            item.source,
                        )
                    )
                    continue
                seen.add(natural)
                key = loose_invoice_number_key(order_ref) if order_ref else None
                if key:
                    touched.add(key)
                item.document_id = self._new("doc")
                rows.append(
                    {
                        "id": item.document_id,
                        "org_id": org.id,
                        "kind": kind,
                        "number": number,
                        "number_key": number_key,
                        "counterparty": counterparty,
                        "program_id": None,
                        "seller_org_id": seller.id if seller else None,
                        "buyer_org_id": org.id,
                        "currency": currency,
                        "amount_minor": amount,
                        "issue_date": issued,
                        "due_date": None,
                        "order_ref": key,
                        "sha256": _sha256(data),
                        "source": item.source[:500],
                        "syntax": "ubl",
                        "content": data,
                        "summary_json": json.dumps(
                            {
                                "order_ref": order_ref,
                                "seller": seller_party.name,
                                "lines": len(doc.lines),
                            }
                        ),
                        "findings_json": "[]",
                        "match_status": None,
                        "match_json": None,
                        "fingerprint": None,
                        "flags_json": "[]",
                        "status": "imported",
                        "invoice_id": None,
                        "receivable_id": None,
                        "imported_by": user.id,
                        "imported_at": self._now(),
                        "_item": item,
                    }
                )
            report = self._commit_rows(docs, what, [p[0] for p in parsed], rows, [], partial)
            if report.committed:
                for key in sorted(touched):
                    self._rematch(docs, org.id, key)
            return report

        return self.service.transaction(work)

    def _rematch(self, docs: TradeDocuments, org_id: str, order_key: str) -> None:
        """Recompute the match of unconfirmed invoices on an order that just changed."""
        for row in docs.on_order(org_id, order_key, kind="invoice", status="imported"):
            doc = _Doc.of(row)
            assert doc.content is not None
            invoice = parse_invoice_element(parse_xml(doc.content, doc.source), doc.source)
            status, _issues, report = self._match_invoice(
                docs, org_id, invoice, self.tolerance_of(docs, doc.program_id), exclude=doc.id
            )
            docs.update_document(
                doc.id,
                match_status=status,
                match_json=None if report is None else json.dumps(report),
            )

    # --- ERP payables ------------------------------------------------------------------

    def import_payables(
        self,
        user_id: str,
        name: str,
        data: bytes,
        *,
        program_id: str | None = None,
        partial: bool = False,
    ) -> ImportReport:
        """Import an anchor's approved-payables CSV (docs/payables-csv.md).

        `supplier_id` in the file is the supplier's openscf organisation id or LEI. Every
        row gets a result; a file-level error imports nothing, and so does any row error
        unless `partial`. Rows are ERP-approved: their match status is `erp_approved`
        (a disputed row is `disputed` and needs an override to be confirmed).
        """
        parsed = parse_payables_csv(data, source=name)
        items: list[ImportItem] = []
        if parsed.fatal is not None:
            items.append(
                ImportItem(source=name, line=parsed.fatal.line, errors=[_doc_error(parsed.fatal)])
            )
        for row in parsed.rows:
            item = ImportItem(
                source=name,
                line=row.line,
                kind="payable",
                number=row.row.invoice_number if row.row else None,
                errors=[_doc_error(e) for e in row.errors],
            )
            items.append(item)
        if parsed.fatal is not None:
            return ImportReport("payables", items, partial=partial)

        def work(uow: UnitOfWork) -> ImportReport:
            docs = TradeDocuments(uow.connection)
            user, org = self._actor(uow, user_id, ("anchor",), "maker")
            program = self._program(docs, org, program_id)
            orgs = docs.organisations()
            rows: list[dict[str, Any]] = []
            fingerprints: list[dict[str, Any]] = []
            indexes: dict[tuple[str, str], FingerprintIndex] = {}
            batch_fps: dict[str, str] = {}
            for item, result in zip(items, parsed.rows, strict=True):
                if result.row is None:
                    continue
                p: PayableRow = result.row
                seller = next((o for o in orgs if p.supplier_id in (o.id, o.lei)), None)
                if seller is None:
                    item.errors.append(
                        _error(
                            "unknown_supplier",
                            f"supplier_id {p.supplier_id!r} is not an "
                            "organisation id or LEI on the network",
                            f"{name}:{p.line} (supplier_id)",
                        )
                    )
                    continue
                number_key = loose_invoice_number_key(p.invoice_number)
                exists = docs.document_id_by_number(org.id, "payable", seller.id, number_key)
                if exists is not None:
                    item.errors.append(
                        _error(
                            "document_already_imported",
                            f"payable {p.invoice_number} of "
                            f"{seller.id} was already imported as {exists}",
                            f"{name}:{p.line} (invoice_number)",
                        )
                    )
                    continue
                key = InvoiceKey(
                    _party_key(seller),
                    _party_key(org),
                    p.invoice_number,
                    p.amount_minor,
                    p.currency,
                    p.invoice_date,
                )
                fp = fingerprint(key)
                holder = self._fingerprint_holder(docs, fp, batch_fps)
                if holder is not None:
                    item.errors.append(
                        _error(
                            "duplicate_invoice",
                            f"invoice {p.invoice_number} of {seller.id} is "
                            f"already registered on the network as {holder}",
                            f"{name}:{p.line} (invoice_number)",
                        )
                    )
                    continue
                doc_id = self._new("doc")
                item.document_id = doc_id
                flags = self._near_duplicates(docs, indexes, key, doc_id)
                flags.extend(self._external_duplicates(docs, key))
                batch_fps[fp] = doc_id
                status = "disputed" if p.disputed else "erp_approved"
                item.match_status, item.flags = status, flags
                canonical = json.dumps(
                    {
                        "invoice_number": p.invoice_number,
                        "invoice_date": p.invoice_date.isoformat(),
                        "due_date": p.due_date.isoformat(),
                        "currency": p.currency,
                        "amount_minor": p.amount_minor,
                        "supplier_id": p.supplier_id,
                        "order_number": p.order_number,
                        "disputed": p.disputed,
                    },
                    sort_keys=True,
                )
                fingerprints.append(
                    {
                        "fingerprint": fp,
                        "document_id": doc_id,
                        "seller_key": key.seller_id,
                        "buyer_key": key.buyer_id,
                        "number": key.number,
                        "amount_minor": key.amount_minor,
                        "currency": key.currency,
                        "issue_date": key.issue_date,
                        "registered_at": self._now(),
                    }
                )
                rows.append(
                    {
                        "id": doc_id,
                        "org_id": org.id,
                        "kind": "payable",
                        "number": p.invoice_number,
                        "number_key": number_key,
                        "counterparty": seller.id,
                        "program_id": program.id,
                        "seller_org_id": seller.id,
                        "buyer_org_id": org.id,
                        "currency": p.currency,
                        "amount_minor": p.amount_minor,
                        "issue_date": p.invoice_date,
                        "due_date": p.due_date,
                        "order_ref": (
                            loose_invoice_number_key(p.order_number) if p.order_number else None
                        ),
                        "sha256": _sha256(canonical.encode()),
                        "source": f"{name}:{p.line}"[:500],
                        "syntax": "csv",
                        "content": None,
                        "summary_json": json.dumps({"order_ref": p.order_number, "row": p.line}),
                        "findings_json": "[]",
                        "match_status": status,
                        "match_json": None,
                        "fingerprint": fp,
                        "flags_json": json.dumps(flags),
                        "status": "imported",
                        "invoice_id": None,
                        "receivable_id": None,
                        "imported_by": user.id,
                        "imported_at": self._now(),
                        "_item": item,
                    }
                )
            return self._commit_rows(docs, "payables", items, rows, fingerprints, partial)

        return self.service.transaction(work)

    # --- reading -----------------------------------------------------------------------

    def document(self, document_id: str, *, org_id: str | None = None) -> dict[str, Any]:
        with reading(self.engine) as docs:
            doc = self._doc(docs, document_id, org_id)
            out = doc.to_dict()
            if (
                doc.status == "pending_approval"
                and doc.invoice_id
                and docs.invoice_exists(doc.invoice_id)
            ):
                out["status"] = "confirmed"
            return out

    def documents(
        self,
        *,
        org_id: str | None = None,
        kind: str | None = None,
        status: str | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        with reading(self.engine) as docs:
            return [
                _Doc.of(row).to_dict()
                for row in docs.documents(org_id=org_id, kind=kind, status=status, limit=limit)
            ]

    # --- the gate: override and confirmation -------------------------------------------

    def _current_match(
        self, docs: TradeDocuments, doc: _Doc
    ) -> tuple[str, list[str], dict[str, Any] | None]:
        if doc.kind == "payable":
            return doc.match_status or "erp_approved", [], None
        assert doc.content is not None
        invoice = parse_invoice_element(parse_xml(doc.content, doc.source), doc.source)
        return self._match_invoice(
            docs, doc.org_id, invoice, self.tolerance_of(docs, doc.program_id), exclude=doc.id
        )

    def _confirmable(self, doc: _Doc) -> None:
        if doc.kind not in ("invoice", "payable"):
            raise InvalidRequest(
                "not_confirmable",
                f"{doc.id} is a {doc.kind.replace('_', ' ')}; only invoices "
                "and payables are confirmed",
                "document_id",
            )
        if doc.status != "imported":
            raise Conflict("document_already_confirmed", f"{doc.id} is {doc.status}", "document_id")

    def request_override(self, user_id: str, document_id: str, note: str = "") -> dict[str, Any]:
        """A maker asks a checker to let a mismatched or flagged invoice through."""

        def work(uow: UnitOfWork) -> dict[str, Any]:
            docs = TradeDocuments(uow.connection)
            _user, org = self._actor(uow, user_id, ("anchor",), "maker")
            doc = self._doc(docs, document_id, org.id)
            self._confirmable(doc)
            status, issues, _ = self._current_match(docs, doc)
            reasons = (
                []
                if status in ("matched", "erp_approved")
                else [f"match:{status}"] + [f"issue:{i}" for i in issues]
            ) + doc.flags
            if not reasons:
                raise InvalidRequest(
                    "override_not_needed",
                    f"{doc.id} is matched and not flagged; confirm it",
                    "document_id",
                )
            assert doc.program_id is not None
            approval_id = self.service.ids.new("apr")
            self.service.run_in(
                uow,
                user_id,
                c.RequestMatchOverride(
                    doc.program_id,
                    doc.id,
                    doc.sha256,
                    tuple(r[:200] for r in reasons[:50]),
                    note,
                    approval_id=approval_id,
                ),
                None,
            )
            return {
                "object": "match_override",
                "approval_id": approval_id,
                "document_id": doc.id,
                "reasons": reasons,
                "status": "pending",
            }

        return self.service.transaction(work)

    def approve_override(self, user_id: str, approval_id: str) -> dict[str, Any]:
        """A checker (not the maker) approves a match override."""
        outcome = self.service.handle(user_id, c.ApproveMatchOverride(approval_id))
        return {
            "object": "match_override",
            "approval_id": approval_id,
            "status": "approved",
            "events": outcome.events,
        }

    @staticmethod
    def _approved_override(docs: TradeDocuments, org_id: str, document_id: str) -> str | None:
        for approval_id, payload in docs.approved_overrides(org_id):
            if payload.get("document_id") == document_id:
                return approval_id
        return None

    def confirm(
        self, user_id: str, document_id: str, *, override_id: str | None = None
    ) -> dict[str, Any]:
        """Confirm an imported invoice: the domain lets it through when its three-way
        match (recomputed now) is clean and nothing flags it, or with an approved
        override; then it is an ordinary confirmation (limits, tenor, maker-checker)."""

        def work(uow: UnitOfWork) -> dict[str, Any]:
            docs = TradeDocuments(uow.connection)
            _user, org = self._actor(uow, user_id, ("anchor",), "maker")
            doc = self._doc(docs, document_id, org.id)
            self._confirmable(doc)
            if doc.kind == "invoice" and doc.match_status == "not_an_invoice":
                raise InvalidRequest(
                    "not_confirmable", "a credit note is not confirmed", "document_id"
                )
            if doc.due_date is None:
                raise InvalidRequest(
                    "missing_due_date",
                    f"{doc.id} states no due date (BT-9); it cannot mature",
                    "document_id",
                )
            assert doc.program_id and doc.seller_org_id and doc.fingerprint
            assert doc.amount_minor is not None and doc.currency
            status, issues, report = self._current_match(docs, doc)
            override = override_id or self._approved_override(docs, org.id, doc.id)
            invoice_id = self.service.ids.new("inv")
            receivable_id = self.service.ids.new("rcv")
            approval_id = self.service.ids.new("apr")
            outcome = self.service.run_in(
                uow,
                user_id,
                c.ConfirmTradeInvoice(
                    doc.program_id,
                    doc.id,
                    doc.seller_org_id,
                    doc.number,
                    doc.amount_minor,
                    doc.currency,
                    doc.due_date,
                    doc.sha256,
                    doc.fingerprint,
                    status,
                    tuple(doc.flags),
                    override,
                    invoice_id=invoice_id,
                    receivable_id=receivable_id,
                    approval_id=approval_id,
                ),
                None,
            )
            pending = any(e["type"] == "ConfirmationRequested" for e in outcome.events)
            new_status = "pending_approval" if pending else "confirmed"
            docs.update_document(
                doc.id,
                status=new_status,
                invoice_id=invoice_id,
                receivable_id=receivable_id,
                match_status=status,
                match_json=None if report is None else json.dumps(report),
            )
            return {
                "object": "confirmation",
                "document_id": doc.id,
                "status": new_status,
                "match_status": status,
                "match_issues": issues,
                "override_id": override,
                "invoice_id": invoice_id,
                "receivable_id": receivable_id,
                "approval_id": approval_id if pending else None,
                "amount_minor": doc.amount_minor,
                "currency": doc.currency,
                "due_on": doc.due_date.isoformat(),
            }

        return self.service.transaction(work)

    # --- the fingerprint registry exchange ---------------------------------------------

    def export_fingerprints(self, secret: bytes, key_id: str | None = None) -> str:
        """Every registered invoice as a keyed (HMAC) fingerprint: JSON lines that reveal
        nothing without the shared secret (openscf.documents.fingerprint)."""
        with reading(self.engine) as docs:
            keys = [_invoice_key(r) for r in docs.fingerprints()]
        try:
            return export_fingerprints(keys, secret=secret, key_id=key_id or default_key_id(secret))
        except DocumentError as exc:
            raise InvalidRequest(exc.code, exc.message, exc.element) from None

    def import_fingerprints(
        self, name: str, text: bytes, secret: bytes, key_id: str | None = None
    ) -> dict[str, Any]:
        """Store another platform's keyed fingerprints and flag the local invoices they
        collide with (double financing suspected); all or nothing."""
        try:
            parsed = import_fingerprints(text, expected_key_id=key_id, source=name)
        except DocumentError as exc:
            raise InvalidRequest(exc.code, f"{exc.location}: {exc.message}", "file") from None
        now = self._now()

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
                if keyed_fingerprint(_invoice_key(row), secret) not in parsed.fingerprints:
                    continue
                doc = self._doc(docs, row["document_id"], None)
                collisions.append(
                    {"document_id": doc.id, "number": doc.number, "status": doc.status}
                )
                if flag not in doc.flags and doc.status == "imported":
                    docs.update_document(doc.id, flags_json=json.dumps([*doc.flags, flag]))
            return {
                "object": "fingerprint_import",
                "key_id": parsed.key_id,
                "fingerprints": len(parsed.fingerprints),
                "new": len(new),
                "collisions": collisions,
            }

        return self.service.transaction(work)

    # --- payments out ------------------------------------------------------------------

    def _due_payments(
        self, docs: TradeDocuments, on: date
    ) -> tuple[list[tuple[str, str, str, str | None, str, str, int, str]], list[dict[str, Any]]]:
        """(kind, subject, receivable, offer, debtor org, creditor org, amount, currency)
        for settlements and disbursements with value date `on` not yet instructed."""
        sent = docs.instructed()
        due: list[tuple[str, str, str, str | None, str, str, int, str]] = []
        skipped: list[dict[str, Any]] = []
        for e in docs.events_of_type(ReceivableSettled.TYPE):
            assert isinstance(e, ReceivableSettled)
            if e.value_date != on:
                continue
            if ("settlement", e.receivable_id) in sent:
                skipped.append(
                    {
                        "kind": "settlement",
                        "subject_id": e.receivable_id,
                        "reason": "already_instructed",
                    }
                )
                continue
            due.append(
                (
                    "settlement",
                    e.receivable_id,
                    e.receivable_id,
                    None,
                    e.obligor_id,
                    e.payee_id,
                    e.amount_minor,
                    e.currency,
                )
            )
        # Partial payments: one instruction each, named by the piece and the total paid
        # after it (which only grows), so a retried export never pays one twice.
        for e in docs.events_of_type(ReceivablePartlyPaid.TYPE):
            assert isinstance(e, ReceivablePartlyPaid)
            subject = f"{e.receivable_id}:{e.paid_minor}"
            if e.value_date != on:
                continue
            if ("payment", subject) in sent:
                skipped.append(
                    {"kind": "payment", "subject_id": subject, "reason": "already_instructed"}
                )
                continue
            due.append(
                (
                    "payment",
                    subject,
                    e.receivable_id,
                    None,
                    e.obligor_id,
                    e.payee_id,
                    e.amount_minor,
                    e.currency,
                )
            )
        for e in docs.events_of_type(FinancingOfferAccepted.TYPE):
            assert isinstance(e, FinancingOfferAccepted)
            if docs.offer_value_date(e.offer_id) != on:
                continue
            if ("disbursement", e.offer_id) in sent:
                skipped.append(
                    {
                        "kind": "disbursement",
                        "subject_id": e.offer_id,
                        "reason": "already_instructed",
                    }
                )
                continue
            currency = docs.receivable_currency(e.receivable_id)
            due.append(
                (
                    "disbursement",
                    e.offer_id,
                    e.receivable_id,
                    e.offer_id,
                    e.funder_id,
                    e.holder_id,
                    e.proceeds_minor,
                    currency,
                )
            )
        return due, skipped

    def export_payments(
        self, on: date, out_dir: Path, *, user_id: str | None = None
    ) -> PaymentExport:
        """pain.001.001.09 files for the financing disbursements (funder -> seller, the
        proceeds), maturity settlements (obligor -> holder, what was still owed) and
        partial payments (obligor -> holder, the part paid) with value date
        `on`: one file per paying organisation, one payment block per debtor account and
        value date, EndToEndId = instruction id, an RF creditor reference. Every IBAN and
        BIC is checked before any file is written; the instructions are stored as sent.
        Without anything due, no file is written."""
        result = PaymentExport(on)
        written: list[Path] = []

        def work(uow: UnitOfWork) -> PaymentExport:
            docs = TradeDocuments(uow.connection)
            if user_id is not None:
                self._actor(uow, user_id, ("operator",), "maker")
            orgs = {o.id: o for o in docs.organisations()}
            due, skipped = self._due_payments(docs, on)
            result.skipped = skipped
            by_debtor: dict[str, list[tuple[PaymentInstruction, dict[str, Any]]]] = {}
            problems: list[str] = []
            for kind, subject, receivable_id, offer_id, debtor_id, creditor_id, amount, ccy in due:
                debtor, creditor = orgs[debtor_id], orgs[creditor_id]
                missing = [o for o in (debtor, creditor) if not o.iban]
                if missing or not debtor.bic:
                    problems.append(
                        f"{kind} {subject}: {missing[0].id if missing else debtor.id}"
                        f" ({(missing[0] if missing else debtor).name}) has no bank "
                        "account (IBAN and BIC) on file"
                    )
                    continue
                instruction_id = "PAY-" + self.service.ids.new("cmd")[4:]
                assert debtor.iban and debtor.bic and creditor.iban
                instruction = PaymentInstruction(
                    instruction_id=instruction_id,
                    debtor_name=debtor.name[:140],
                    debtor_iban=debtor.iban,
                    debtor_bic=debtor.bic,
                    creditor_name=creditor.name[:140],
                    creditor_iban=creditor.iban,
                    creditor_bic=creditor.bic,
                    amount_minor=amount,
                    currency=ccy,
                    value_date=on,
                    creditor_reference=create_rf_reference(instruction_id[-21:]),
                    remittance_text=f"openscf {kind} {receivable_id}"[:140],
                )
                by_debtor.setdefault(debtor_id, []).append(
                    (
                        instruction,
                        {
                            "id": instruction_id,
                            "kind": kind,
                            "subject_id": subject,
                            "receivable_id": receivable_id,
                            "offer_id": offer_id,
                            "debtor_org_id": debtor_id,
                            "creditor_org_id": creditor_id,
                        },
                    )
                )
            everything = [i for items in by_debtor.values() for i, _ in items]
            problems.extend(f"{e.location}: {e.message}" for e in validate_instructions(everything))
            if problems:
                raise InvalidRequest(
                    "invalid_payment_instructions",
                    f"no file written: {'; '.join(problems[:10])}",
                    "date",
                )
            created = self.service.clock.now()
            files: list[tuple[Path, bytes]] = []
            rows: list[dict[str, Any]] = []
            for debtor_id in sorted(by_debtor):
                items = by_debtor[debtor_id]
                message_id = "OSCF-" + self.service.ids.new("cmd")[4:]
                try:
                    xml = build_pain001(
                        [i for i, _ in items],
                        message_id=message_id,
                        created_at=created,
                        initiating_party=orgs[debtor_id].name[:140],
                    )
                except DocumentError as exc:
                    raise InvalidRequest(
                        exc.code, f"{exc.location}: {exc.message}", "date"
                    ) from None
                path = out_dir / f"pain001-{on.isoformat()}-{message_id}.xml"
                files.append((path, xml))
                total = sum(i.amount_minor for i, _ in items)
                result.files.append(
                    {
                        "path": str(path),
                        "message_id": message_id,
                        "debtor_org_id": debtor_id,
                        "transactions": len(items),
                        "control_sum_minor": total,
                        "sha256": _sha256(xml),
                    }
                )
                for instruction, meta in items:
                    rows.append(
                        {
                            **meta,
                            "debtor_iban": instruction.debtor_iban.replace(" ", ""),
                            "debtor_bic": instruction.debtor_bic,
                            "creditor_iban": instruction.creditor_iban.replace(" ", ""),
                            "creditor_bic": instruction.creditor_bic,
                            "amount_minor": instruction.amount_minor,
                            "currency": instruction.currency,
                            "value_date": on,
                            "creditor_reference": instruction.creditor_reference,
                            "message_id": message_id,
                            "file_name": path.name,
                            "status": "sent",
                            "created_at": self._now(),
                        }
                    )
                    result.instructions.append(
                        {
                            "id": instruction.instruction_id,
                            "kind": meta["kind"],
                            "receivable_id": meta["receivable_id"],
                            "from": meta["debtor_org_id"],
                            "to": meta["creditor_org_id"],
                            "amount_minor": instruction.amount_minor,
                            "currency": instruction.currency,
                            "creditor_reference": instruction.creditor_reference,
                        }
                    )
            if rows:
                docs.add_payment_instructions(rows)
                out_dir.mkdir(parents=True, exist_ok=True)
                for path, _xml in files:
                    if path.exists():
                        raise Conflict("file_exists", f"{path} exists; not overwritten", "out")
                for path, xml in files:
                    path.write_bytes(xml)
                    written.append(path)
            return result

        try:
            return self.service.transaction(work)
        except BaseException:
            for path in written:
                path.unlink(missing_ok=True)
            raise

    def instructions(self, *, status: str | None = None) -> list[dict[str, Any]]:
        with reading(self.engine) as docs:
            out = []
            for item in docs.payment_instructions(status=status):
                for k, v in item.items():
                    if isinstance(v, date):
                        item[k] = v.isoformat()
                out.append(item)
            return out

    # --- statements in -----------------------------------------------------------------

    @staticmethod
    def _operator_user(docs: TradeDocuments) -> str:
        orgs = [o for o in docs.organisations() if "operator" in o.roles]
        for org in orgs:
            for uid, perms in docs.user_permissions(org.id):
                if "maker" in perms:
                    return uid
        raise PermissionDenied(
            "no_operator", "the network has no operator user who may reconcile payments", "user_id"
        )

    def import_statement(
        self, name: str, data: bytes, *, user_id: str | None = None
    ) -> StatementReport:
        """Read a camt.053 / camt.054 (versions .02, .04, .08) and reconcile its entries
        with the payment instructions sent from its accounts (EndToEndId, then creditor
        reference, then amount and date). Each clean match is a `ReconcilePayment` by the
        operator in the log, and the instruction is marked reconciled: the settlement is
        final. A statement for an account no organisation holds is refused naming the
        account, and nothing is imported."""
        try:
            message: BankMessage = parse_camt(data, name)
        except DocumentError as exc:
            raise InvalidRequest(exc.code, f"{exc.location}: {exc.message}", "file") from None
        digest = _sha256(data)

        def work(uow: UnitOfWork) -> StatementReport:
            docs = TradeDocuments(uow.connection)
            operator = user_id or self._operator_user(docs)
            self._actor(uow, operator, ("operator",), "maker")
            if docs.statement_imported(digest):
                raise Conflict(
                    "statement_already_imported",
                    f"{name} was already imported (same bytes)",
                    "file",
                )
            known = {o.iban for o in docs.organisations() if o.iban}
            accounts = sorted({(r.account or "").replace(" ", "").upper() for r in message.reports})
            for acct in message.reports:
                account = (acct.account or "").replace(" ", "").upper()
                if account not in known:
                    raise InvalidRequest(
                        "unknown_account",
                        f"{name}: {acct.kind} {acct.report_id} is for "
                        f"account {acct.account}, which no organisation on the network "
                        "holds; nothing was imported",
                        "file",
                    )
            rows = docs.sent_instructions(accounts)
            instructions = [
                PaymentInstruction(
                    r["id"],
                    "-",
                    r["debtor_iban"],
                    r["debtor_bic"],
                    "-",
                    r["creditor_iban"],
                    r["creditor_bic"],
                    int(r["amount_minor"]),
                    r["currency"],
                    r["value_date"],
                    r["creditor_reference"],
                )
                for r in rows
            ]
            meta = {r["id"]: r for r in rows}
            result = reconcile(instructions, [message], known_accounts=known)
            if result.errors:
                first = result.errors[0]
                raise InvalidRequest(first.code, f"{first.location}: {first.message}", "file")
            statement_id = self._new("stm")
            report = StatementReport(statement_id, name, message.message_type, accounts)
            outcome_of: dict[tuple[str, int, int | None], tuple[str, str | None, str | None]] = {}
            for pair in result.matched:
                item = pair.item
                where = (item.report_id, item.entry_index, item.transaction_index)
                if pair.discrepancies:
                    outcome_of[where] = ("discrepancy", pair.instruction.instruction_id, pair.rule)
                    report.discrepancies.append(
                        {
                            "instruction_id": pair.instruction.instruction_id,
                            "rule": pair.rule,
                            "discrepancies": list(pair.discrepancies),
                            "instructed_minor": pair.instruction.amount_minor,
                            "booked_minor": item.amount_minor,
                        }
                    )
                    continue
                outcome_of[where] = ("matched", pair.instruction.instruction_id, pair.rule)
                report.reconciled.append(
                    self._reconcile_one(
                        uow,
                        docs,
                        operator,
                        pair,
                        meta[pair.instruction.instruction_id],
                        message,
                        statement_id,
                    )
                )
            for item in result.unmatched_entries:
                report.unmatched_entries.append(
                    {
                        "account": item.account,
                        "amount_minor": item.amount_minor,
                        "currency": item.currency,
                        "credit_debit": item.credit_debit,
                        "value_date": item.value_date.isoformat() if item.value_date else None,
                        "end_to_end_id": item.end_to_end_id,
                        "bank_reference": item.account_servicer_ref or item.entry_ref,
                    }
                )
            report.unmatched_instructions = [
                i.instruction_id for i in result.unmatched_instructions
            ]
            report.skipped_entries = len(result.skipped_entries)
            skipped = {
                (i.report_id, i.entry_index, i.transaction_index) for i in result.skipped_entries
            }
            entry_rows = []
            for idx, (item, _entry) in enumerate(statement_items([message])):
                where = (item.report_id, item.entry_index, item.transaction_index)
                outcome, instruction_id, rule = outcome_of.get(
                    where, ("skipped" if where in skipped else "unmatched", None, None)
                )
                entry_rows.append(
                    {
                        "statement_id": statement_id,
                        "idx": idx,
                        "account": item.account.replace(" ", "").upper()[:34],
                        "report_id": item.report_id[:140],
                        "amount_minor": item.amount_minor,
                        "currency": item.currency,
                        "credit_debit": item.credit_debit,
                        "value_date": item.value_date,
                        "booking_date": item.booking_date,
                        "end_to_end_id": (item.end_to_end_id or None) and item.end_to_end_id[:140],
                        "creditor_reference": item.creditor_reference,
                        "bank_reference": (item.account_servicer_ref or item.entry_ref or None),
                        "outcome": outcome,
                        "instruction_id": instruction_id,
                        "match_rule": rule,
                    }
                )
            docs.add_statement(
                {
                    "id": statement_id,
                    "message_id": message.message_id[:140],
                    "message_type": message.message_type,
                    "version": message.version,
                    "sha256": digest,
                    "source": name[:500],
                    "accounts": json.dumps(accounts),
                    "items": len(entry_rows),
                    "matched": len(report.reconciled),
                    "imported_by": operator,
                    "imported_at": self._now(),
                },
                entry_rows,
            )
            return report

        return self.service.transaction(work)

    def _reconcile_one(
        self,
        uow: UnitOfWork,
        docs: TradeDocuments,
        operator: str,
        pair: ReconciledPair,
        row: dict[str, Any],
        message: BankMessage,
        statement_id: str,
    ) -> dict[str, Any]:
        item = pair.item
        value_date = pair.instruction.value_date
        reference = (
            item.account_servicer_ref
            or item.entry_ref
            or f"{message.message_id}/{item.report_id}/{item.entry_index}"
        )[:140]
        booked = item.booking_date or item.value_date or value_date
        command = c.ReconcilePayment(
            row["id"],
            row["kind"],
            row["receivable_id"],
            row["debtor_org_id"],
            row["creditor_org_id"],
            int(row["amount_minor"]),
            row["currency"],
            value_date,
            booked,
            reference,
            pair.rule,
            offer_id=row["offer_id"],
        )
        outcome = self.service.run_in(uow, operator, command, f"reconcile:{row['id']}")
        docs.mark_reconciled(
            row["id"],
            reconciled_at=self._now(),
            bank_reference=reference,
            statement_id=statement_id,
            match_rule=pair.rule,
        )
        return {
            "instruction_id": row["id"],
            "kind": row["kind"],
            "receivable_id": row["receivable_id"],
            "amount_minor": int(row["amount_minor"]),
            "currency": row["currency"],
            "rule": pair.rule,
            "bank_reference": reference,
            "booked_on": booked.isoformat(),
            "events": [e["type"] for e in outcome.events],
        }


def payment_is_final(engine: Any, receivable_id: str) -> bool:
    """A settled piece is final once its payment instruction was reconciled."""
    with reading(engine) as docs:
        return docs.settlement_status(receivable_id) == "reconciled"
