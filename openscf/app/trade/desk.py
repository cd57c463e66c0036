"""`TradeDesk`: one object over every trade use case, for the CLI, the API and the web.

Each method runs the use case of the module named after it (imports in `invoices`,
`orders`, `payables`; the gate in `confirmation`; the registry in `fingerprints`;
money out in `payments`, money in in `statements`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from openscf.app.service import NetworkService
from openscf.app.trade import (
    confirmation,
    fingerprints,
    invoices,
    matching,
    orders,
    payables,
    payment_status,
    payments,
    records,
    statements,
)
from openscf.app.trade.context import DeskContext
from openscf.app.trade.results import (
    ImportReport,
    PaymentExport,
    PaymentStatusImport,
    StatementReport,
)
from openscf.documents.matching import MatchTolerance
from openscf.documents.validation import STAGES
from openscf.store.trade_documents import TradeDocuments


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

    @property
    def context(self) -> DeskContext:
        return DeskContext(
            self.service, self.data_dir, self.fingerprint_key, self.validation_stages
        )

    @staticmethod
    def tolerance_of(docs: TradeDocuments, program_id: str | None) -> MatchTolerance:
        return matching.tolerance_of(docs, program_id)

    def set_tolerance(
        self, user_id: str, program_id: str, *, price_bps: int, quantity_bps: int
    ) -> MatchTolerance:
        """The anchor's admin sets the program's three-way match tolerances."""
        return matching.set_tolerance(
            self.context, user_id, program_id, price_bps=price_bps, quantity_bps=quantity_bps
        )

    # --- imports -------------------------------------------------------------------------

    def import_invoices(
        self,
        user_id: str,
        files: Sequence[tuple[str, bytes]],
        *,
        program_id: str | None = None,
        supplier_id: str | None = None,
        partial: bool = False,
    ) -> ImportReport:
        """Import UBL / CII invoices and credit notes (see `invoices.import_invoices`)."""
        return invoices.import_invoices(
            self.context,
            user_id,
            files,
            program_id=program_id,
            supplier_id=supplier_id,
            partial=partial,
        )

    def import_orders(
        self,
        user_id: str,
        files: Sequence[tuple[str, bytes]],
        *,
        partial: bool = False,
    ) -> ImportReport:
        """Import the anchor's UBL purchase orders (the buyer's side of the match)."""
        return orders.import_orders(self.context, user_id, files, partial=partial)

    def import_deliveries(
        self,
        user_id: str,
        files: Sequence[tuple[str, bytes]],
        *,
        partial: bool = False,
    ) -> ImportReport:
        """Import UBL DespatchAdvice (seller's) and ReceiptAdvice (buyer's) documents."""
        return orders.import_deliveries(self.context, user_id, files, partial=partial)

    def import_payables(
        self,
        user_id: str,
        name: str,
        data: bytes,
        *,
        program_id: str | None = None,
        partial: bool = False,
    ) -> ImportReport:
        """Import an anchor's approved-payables CSV (docs/payables-csv.md)."""
        return payables.import_payables(
            self.context, user_id, name, data, program_id=program_id, partial=partial
        )

    # --- reading -------------------------------------------------------------------------

    def document(self, document_id: str, *, org_id: str | None = None) -> dict[str, Any]:
        return records.document(self.context, document_id, org_id=org_id)

    def documents(
        self,
        *,
        org_id: str | None = None,
        kind: str | None = None,
        status: str | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        return records.documents(self.context, org_id=org_id, kind=kind, status=status, limit=limit)

    # --- the gate ------------------------------------------------------------------------

    def request_override(self, user_id: str, document_id: str, note: str = "") -> dict[str, Any]:
        """A maker asks a checker to let a mismatched or flagged invoice through."""
        return confirmation.request_override(self.context, user_id, document_id, note)

    def approve_override(self, user_id: str, approval_id: str) -> dict[str, Any]:
        """A checker (not the maker) approves a match override."""
        return confirmation.approve_override(self.context, user_id, approval_id)

    def confirm(
        self, user_id: str, document_id: str, *, override_id: str | None = None
    ) -> dict[str, Any]:
        """Confirm an imported invoice through the match gate (see `confirmation.confirm`)."""
        return confirmation.confirm(self.context, user_id, document_id, override_id=override_id)

    # --- the fingerprint registry --------------------------------------------------------

    def export_fingerprints(self, secret: bytes, key_id: str | None = None) -> str:
        """Every registered invoice as a keyed (HMAC) fingerprint, as JSON lines."""
        return fingerprints.export_fingerprints(self.context, secret, key_id)

    def import_fingerprints(
        self, name: str, text: bytes, secret: bytes, key_id: str | None = None
    ) -> dict[str, Any]:
        """Store another platform's keyed fingerprints and flag the collisions."""
        return fingerprints.import_fingerprints(self.context, name, text, secret, key_id)

    # --- money out and in ----------------------------------------------------------------

    def export_payments(
        self, on: date, out_dir: Path, *, user_id: str | None = None
    ) -> PaymentExport:
        """pain.001.001.09 files for what is due on `on` (see `payments.export_payments`)."""
        return payments.export_payments(self.context, on, out_dir, user_id=user_id)

    def instructions(self, *, status: str | None = None) -> list[dict[str, Any]]:
        return payments.instructions(self.context, status=status)

    def import_statement(
        self, name: str, data: bytes, *, user_id: str | None = None
    ) -> StatementReport:
        """Read a camt.053 / camt.054 and reconcile it (see `statements.import_statement`)."""
        return statements.import_statement(self.context, name, data, user_id=user_id)

    def import_payment_status(
        self, name: str, data: bytes, *, user_id: str | None = None
    ) -> PaymentStatusImport:
        """Read a pain.002: mark the instructions of a payment file accepted or rejected."""
        return payment_status.import_payment_status(self.context, name, data, user_id=user_id)
