"""Trade documents and bank messages over the API (the CLI's `validate`, `import`,
`documents`, `statements` commands; see openscf.app.trade).

Files travel as base64 in JSON (`{"filename", "content_base64"}`), within the API's body
limit. Validation writes nothing. Imports are all-or-nothing unless `partial` is true.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from openscf.api import schemas as s
from openscf.api.errors import error_body
from openscf.api.params import ERRORS, READ_ERRORS
from openscf.api.security import Caller, Mutate, services
from openscf.app.trade import TradeDesk
from openscf.documents.errors import DocumentError
from openscf.documents.parse import detect_syntax
from openscf.documents.validation import validate_invoice_element
from openscf.documents.xml import parse_xml
from openscf.domain.errors import InvalidRequest, NotFound, PermissionDenied

router = APIRouter()
Body = dict[str, Any]
DOC_PATTERN = r"^doc_[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


class FileIn(s.Strict):
    filename: Annotated[str, Field(min_length=1, max_length=200)]
    content_base64: Annotated[str, Field(min_length=1, max_length=1_400_000)]

    def content(self) -> bytes:
        try:
            return base64.b64decode(self.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidRequest(
                "invalid_base64", "content_base64 is not base64", "content_base64"
            ) from None


class ImportIn(s.Strict):
    kind: Literal["invoices", "orders", "despatches", "payables"]
    files: Annotated[list[FileIn], Field(min_length=1, max_length=50)]
    program_id: Annotated[str | None, Field(pattern=s.id_pattern("prg"), max_length=80)] = None
    partial: bool = False


class ImportRefusedOut(BaseModel):
    """422 when every file (or, for a payables CSV, every row) was refused: the error,
    and the same per-file report a 201 carries."""

    error: s.ErrorDetail
    report: dict[str, Any]


IMPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    422: {
        "model": ImportRefusedOut,
        "description": "every file was refused; nothing was imported (the "
        "per-file report says why)",
    },
}


class ConfirmIn(s.Strict):
    override_id: Annotated[str | None, Field(pattern=s.id_pattern("apr"), max_length=80)] = None


class OverrideIn(s.Strict):
    note: Annotated[str, Field(max_length=500)] = ""


def _count(request: Request, kind: str, outcome: str) -> None:
    """Validation throughput for the metrics (openscf.api.observe)."""
    request.app.state.openscf_metrics.document(kind, outcome)


def _desk(request: Request) -> TradeDesk:
    return TradeDesk(services(request).service)


@router.post("/documents/validate", responses=ERRORS, tags=["documents"])
def validate(body: FileIn, request: Request, m: Mutate) -> Body:
    """Validate an e-invoice (XSD when installed, EN 16931 rules always); writes nothing.
    (A POST like any other: it takes an Idempotency-Key, and it is harmless to repeat.)"""
    data = body.content()
    try:
        root = parse_xml(data, body.filename)
        detect_syntax(root, body.filename)
        report = validate_invoice_element(root, data)
    except DocumentError as exc:
        _count(request, "invoices", "unreadable")
        raise InvalidRequest(exc.code, f"{exc.location}: {exc.message}", "content_base64") from None
    _count(request, "invoices", "valid" if report.valid else "invalid")
    return {
        "object": "validation",
        "filename": body.filename,
        "valid": report.valid,
        "stages_run": list(report.stages_run),
        "stages_skipped": [{"stage": st, "reason": r} for st, r in report.stages_skipped],
        "findings": [
            {
                "rule_id": f.rule_id,
                "severity": f.severity,
                "location": f.location,
                "message": f.message,
            }
            for f in report.findings
        ],
    }


@router.post(
    "/documents",
    status_code=201,
    responses=IMPORT_RESPONSES,
    tags=["documents"],
    response_model=None,
)
def import_documents(body: ImportIn, request: Request, m: Mutate) -> Body | JSONResponse:
    """Import invoices (UBL/CII), orders, despatch/receipt advices or an ERP payables CSV.

    201 with the per-file report when at least one file passed its checks (with any file
    refused and `partial` false, nothing is stored: `committed` is false); 422 with
    the report under `report` when every file was refused (nothing is stored)."""
    desk = _desk(request)
    files = [(f.filename, f.content()) for f in body.files]
    user = m.principal.user_id
    if body.kind == "invoices":
        report = desk.import_invoices(user, files, program_id=body.program_id, partial=body.partial)
    elif body.kind == "orders":
        report = desk.import_orders(user, files, partial=body.partial)
    elif body.kind == "despatches":
        report = desk.import_deliveries(user, files, partial=body.partial)
    else:
        if len(files) != 1 or body.program_id is None:
            raise InvalidRequest(
                "one_payables_file",
                "import one payables CSV at a time, with its program_id",
                "files",
            )
        report = desk.import_payables(
            user, files[0][0], files[0][1], program_id=body.program_id, partial=body.partial
        )
    for item in report.items:
        _count(
            request,
            body.kind,
            "imported" if item.imported else "refused" if not item.ok else "checked",
        )
    if report.items and not any(item.ok for item in report.items):
        refused = error_body(
            "invalid_request_error",
            "import_refused",
            f"every one of the {len(report.items)} {report.kind} was "
            "refused and nothing was imported; fix them as the report "
            "says and import again",
            "files",
        )
        return JSONResponse({**refused, "report": report.to_dict()}, status_code=422)
    return report.to_dict()


def _visible(caller: Any, doc: Body) -> Body:
    if not caller.reads_everything and doc.get("org_id") != caller.org_id:
        raise NotFound("unknown_document", "no such document", "document_id")
    return doc


@router.get("/documents", responses=READ_ERRORS, tags=["documents"])
def list_documents(
    request: Request, caller: Caller, kind: Annotated[str | None, Query(max_length=20)] = None
) -> Body:
    """Documents your organisation imported (operator, auditor: all), with match status."""
    docs = _desk(request).documents(
        org_id=None if caller.reads_everything else caller.org_id, kind=kind
    )
    return {"object": "list", "data": docs, "has_more": False}


@router.get("/documents/{document_id}", responses=READ_ERRORS, tags=["documents"])
def get_document(
    request: Request,
    caller: Caller,
    document_id: Annotated[str, Path(pattern=DOC_PATTERN, max_length=80)],
) -> Body:
    """One document with its validation findings and line-by-line match report."""
    try:
        doc = _desk(request).document(document_id)
    except (NotFound, InvalidRequest):
        raise NotFound("unknown_document", f"no document {document_id!r}", "document_id") from None
    return _visible(caller, doc)


@router.post("/documents/{document_id}/confirm", responses=ERRORS, tags=["documents"])
def confirm_document(
    request: Request,
    m: Mutate,
    document_id: Annotated[str, Path(pattern=DOC_PATTERN, max_length=80)],
    body: ConfirmIn | None = None,
) -> Body:
    """The anchor confirms a matched invoice (or one whose override a checker approved)."""
    return _desk(request).confirm(
        m.principal.user_id, document_id, override_id=body.override_id if body else None
    )


@router.post(
    "/documents/{document_id}/override", status_code=201, responses=ERRORS, tags=["documents"]
)
def request_override(
    request: Request,
    m: Mutate,
    document_id: Annotated[str, Path(pattern=DOC_PATTERN, max_length=80)],
    body: OverrideIn | None = None,
) -> Body:
    """A maker asks to confirm an unmatched or flagged invoice anyway; a checker approves."""
    return _desk(request).request_override(
        m.principal.user_id, document_id, body.note if body else ""
    )


@router.post("/document_overrides/{approval_id}/approve", responses=ERRORS, tags=["documents"])
def approve_override(
    request: Request,
    m: Mutate,
    approval_id: Annotated[str, Path(pattern=s.id_pattern("apr"), max_length=80)],
) -> Body:
    return _desk(request).approve_override(m.principal.user_id, approval_id)


@router.post("/statements", status_code=201, responses=ERRORS, tags=["payments"])
def import_statement(body: FileIn, request: Request, m: Mutate) -> Body:
    """The operator imports a bank statement (camt.053/054) and reconciles it."""
    if "operator" not in m.principal.roles:
        raise PermissionDenied("role_required", "the operator imports bank statements")
    return (
        _desk(request)
        .import_statement(body.filename, body.content(), user_id=m.principal.user_id)
        .to_dict()
    )


@router.post("/payment_status_reports", status_code=201, responses=ERRORS, tags=["payments"])
def import_payment_status(body: FileIn, request: Request, m: Mutate) -> Body:
    """The operator imports a bank's payment status report (pain.002): the instructions
    of the payment file it answers become accepted or rejected."""
    if "operator" not in m.principal.roles:
        raise PermissionDenied("role_required", "the operator imports payment status reports")
    return (
        _desk(request)
        .import_payment_status(body.filename, body.content(), user_id=m.principal.user_id)
        .to_dict()
    )


@router.get("/payment_instructions", responses=READ_ERRORS, tags=["payments"])
def payment_instructions(request: Request, caller: Caller) -> Body:
    """Payment instructions sent to banks and whether they were reconciled (operator and
    auditor)."""
    if not caller.reads_everything:
        raise PermissionDenied("role_required", "operator and auditors see payment files")
    return {"object": "list", "data": _desk(request).instructions(), "has_more": False}
